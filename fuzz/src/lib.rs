//! meshlb's fuzz targets: one entry point per reader and engine stage, each a function of the
//! fuzzer's bytes that must not panic, hang or exhaust memory whatever they hold, and that
//! checks what it can check of the answer.
//!
//! The libFuzzer binaries in `fuzz_targets/` call these (`cargo xtask fuzz TARGET`); the test
//! `tests/replay.rs` calls them on every input kept in `corpus/TARGET/` (seeds from the
//! examples, vectors and test inputs, plus every input a fuzz run found interesting or
//! crashing), on stable, so a regression fails CI.
//!
//! Invariants checked on every answer ([`check_explanation`]): shares are finite, in `[0, 1]`
//! and sum to what reaches an endpoint when anything is routable: 1 less the drop-overload
//! share and the load RING_HASH/MAGLEV put on empty tables (at most that with weighted routes,
//! one of which may lead to a subset without endpoints); loads are percentages; a pick returns
//! an endpoint of the explanation whose share is not 0.

use arbitrary::{Arbitrary, Unstructured};
use meshlb::{
    Balancer, Change, Endpoint, Explanation, HealthStatus, LbConfig, LbPolicy, LeastRequestConfig,
    LoadAssignment, Locality, LocalityEndpoints, MaglevConfig, Picker, Plan, Request,
    RingHashConfig, SeededRng,
};
use meshlb_formats::{Input, Options};

/// A fuzz target: a function of the fuzzer's bytes.
pub type Target = fn(&[u8]);

/// Every target, by name: what `cargo xtask fuzz` and the replay test run.
pub const TARGETS: &[(&str, Target)] = &[
    ("json", json),
    ("yaml", yaml),
    ("envoy", envoy),
    ("scenario", scenario),
    ("kube", kube),
    ("plan", plan),
    ("picks", picks),
];

/// Picks made on each answer that can pick.
const PICKS: usize = 64;

/// The JSON reader: any text is read or refused with an error naming a path.
pub fn json(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = meshlb_formats::parse_json(text);
    }
}

/// The YAML reader (a scenario's loader): any text is read or refused.
pub fn yaml(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = meshlb_formats::yaml_to_json(text);
    }
}

/// The Envoy reader, end to end: every artefact it detects (config dumps, `/clusters`, xDS
/// responses, CDS/EDS files, bootstrap), then the plan, the explanation and picks.
pub fn envoy(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if meshlb_formats::is_envoy(text) {
        load(text);
    }
}

/// The scenario reader, end to end: parse, validate, discover, plan, explain, pick.
pub fn scenario(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if meshlb_formats::looks_like_scenario(text) {
        load(text);
    }
}

/// The Kubernetes dump reader: the bytes as one cluster's `kubectl get -o yaml` dump, imported,
/// then explained when the import gives a client and a request.
pub fn kube(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let clusters = [(
        "fuzz".to_string(),
        vec![("dump.yaml".to_string(), text.to_string())],
    )];
    let Ok(imported) =
        meshlb_formats::kube::import(&clusters, &meshlb_formats::kube::KubeOptions::default())
    else {
        return;
    };
    // The import writes a scenario; reading it back must give the same scenario.
    let yaml = imported.to_yaml();
    if let Ok(read) = meshlb_formats::parse_scenario(&yaml) {
        assert_eq!(read.scenario, imported.scenario, "{yaml}");
    }
}

/// Reads `text` as [`meshlb_formats::read`] does for the CLI, and checks the answer.
fn load(text: &str) {
    let Ok(Input::Loaded(loaded)) = meshlb_formats::read(&[("input", text)], &Options::default())
    else {
        return;
    };
    let explanation = loaded.explain();
    check_explanation(&explanation);
    let mut balancer = meshlb_formats::Balancer::new(*loaded, 1);
    for i in 0..PICKS {
        let hash = (i % 2 == 0).then_some((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        if let Some(picked) = balancer.pick(hash) {
            let endpoint = &explanation.endpoints[picked.index];
            assert!(endpoint.share > 0.0, "picked {endpoint:?} whose share is 0");
        }
    }
}

/// A plan built from the input's [`FuzzAssignment`], unless the input runs out first or the
/// plan is refused (a [`meshlb::PlanError`]: that path is covered too).
fn built(u: &mut Unstructured<'_>) -> Option<Plan> {
    let (assignment, config) = FuzzAssignment::arbitrary(u).ok()?.build();
    Plan::build(&assignment, &config).ok()
}

/// Plan building from arbitrary assignments and configurations (structured input): built or
/// refused with a [`meshlb::PlanError`], never a panic; a built plan explains and picks.
pub fn plan(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Some(plan) = built(&mut u) else {
        return;
    };
    check_explanation(&plan.explain());
    let mut rng = SeededRng::new(7);
    let mut picker = Picker::new(&plan, &mut rng);
    let shares = plan.shares();
    for i in 0..PICKS as u64 {
        if let Some(host) = picker.pick(&plan, &mut rng, Request::with_hash(i)) {
            assert!(shares[host.index()] > 0.0, "picked a host whose share is 0");
        }
    }
}

/// Picks interleaved with batches of updates (health, weight, endpoints added and removed) on
/// the runtime ([`meshlb::Balancer`]), requests finished in any order, across re-plans.
pub fn picks(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Some(plan) = built(&mut u) else {
        return;
    };
    let mut rng = SeededRng::new(11);
    let mut balancer = Balancer::from_plan(plan, &mut rng);
    let mut active = Vec::new();
    while let Ok(op) = Op::arbitrary(&mut u) {
        match op {
            Op::Pick(hash) => {
                let request = hash.map_or_else(Request::default, Request::with_hash);
                if let Some(picked) = balancer.pick(&mut rng, request) {
                    let shares = balancer.expected_shares();
                    assert!(
                        shares[picked.index()] > 0.0,
                        "picked an endpoint whose share is 0"
                    );
                    active.push(picked);
                }
            }
            Op::Finish(i) if !active.is_empty() => {
                balancer.finish(active.swap_remove(usize::from(i) % active.len()));
            }
            Op::Batch(changes) => {
                let changes: Vec<Change> = changes.iter().take(8).map(FuzzChange::change).collect();
                // Rejected changes are named in the result; the others apply.
                let _ = balancer.apply(&changes);
            }
            Op::Finish(_) => {}
        }
    }
    for picked in active {
        balancer.finish(picked);
    }
    let explanation = balancer.explain();
    check_explanation(&explanation);
    for i in 0..explanation.endpoints.len() {
        assert_eq!(
            balancer.active_requests(i),
            0,
            "a finished request still counts"
        );
    }
}

/// What a fuzz run does between picks.
#[derive(Debug, Arbitrary)]
enum Op {
    Pick(Option<u64>),
    Finish(u8),
    Batch(Vec<FuzzChange>),
}

/// One change of a batch, on the endpoints [`FuzzAssignment`] builds (10.0.0.A:P).
#[derive(Debug, Arbitrary)]
enum FuzzChange {
    Health(u8, u8, u8),
    Weight(u8, u8, u32),
    Remove(u8, u8),
    Add(u8, u8, u8, u8),
}

impl FuzzChange {
    fn change(&self) -> Change {
        let address = |a: u8| format!("10.0.0.{a}");
        let port = |p: u8| u16::from(p % 8) + 1;
        match *self {
            Self::Health(a, p, h) => Change::health(&address(a), port(p), health(h)),
            Self::Weight(a, p, w) => Change::weight(&address(a), port(p), w % 300),
            Self::Remove(a, p) => Change::remove(&address(a), port(p)),
            Self::Add(a, p, zone, priority) => Change::add_endpoint(
                Endpoint::new(&address(a), port(p)),
                Locality::new("r0", &format!("z{}", zone % 4), ""),
                u32::from(priority % 4),
            ),
        }
    }
}

/// An assignment and a cluster's LB settings, small enough to build fast, wide enough to reach
/// every path (invalid values included: weight 0, factor 0, thresholds past 100, duplicate
/// endpoints, priorities past 128, ring and table sizes that Envoy refuses).
#[derive(Debug, Arbitrary)]
struct FuzzAssignment {
    localities: Vec<FuzzLocality>,
    overprovisioning_factor: u16,
    weighted_priority_health: bool,
    allow_duplicate_endpoints: bool,
    drop_overload_ppm: u32,
    policy: u8,
    panic_threshold: u8,
    locality_weighted: bool,
    minimum_ring_size: u16,
    maximum_ring_size: u16,
    maglev_table: u8,
    choice_count: u8,
    active_request_bias: u8,
}

#[derive(Debug, Arbitrary)]
struct FuzzLocality {
    region: u8,
    zone: u8,
    weight: Option<u16>,
    priority: u8,
    endpoints: Vec<(u8, u8, u16, u8)>,
}

fn health(h: u8) -> HealthStatus {
    HealthStatus::ALL[usize::from(h) % HealthStatus::ALL.len()]
}

impl FuzzAssignment {
    fn build(&self) -> (LoadAssignment, LbConfig) {
        let localities = self
            .localities
            .iter()
            .take(16)
            .map(|l| LocalityEndpoints {
                locality: Locality::new(
                    &format!("r{}", l.region % 4),
                    &format!("z{}", l.zone % 4),
                    "",
                ),
                weight: l.weight.map(u32::from),
                priority: u32::from(l.priority % 132),
                endpoints: l
                    .endpoints
                    .iter()
                    .take(16)
                    .map(|&(a, p, w, h)| {
                        let mut e = Endpoint::new(&format!("10.0.0.{a}"), u16::from(p % 8) + 1);
                        e.weight = u32::from(w % 300);
                        e.health = health(h);
                        e
                    })
                    .collect(),
            })
            .collect();
        let assignment = LoadAssignment {
            localities,
            overprovisioning_factor: u32::from(self.overprovisioning_factor % 400),
            weighted_priority_health: self.weighted_priority_health,
            allow_duplicate_endpoints: self.allow_duplicate_endpoints,
            drop_overload_ppm: self.drop_overload_ppm % 1_100_000,
        };
        // Table sizes: Envoy's default prime, small primes, and sizes it refuses.
        const TABLES: [u64; 6] = [65_537, 7, 13, 4, 0, 5_000_012];
        let config = LbConfig {
            policy: LbPolicy::ALL[usize::from(self.policy) % LbPolicy::ALL.len()],
            healthy_panic_threshold: f64::from(self.panic_threshold % 120),
            locality_weighted: self.locality_weighted,
            ring_hash: RingHashConfig {
                minimum_ring_size: u64::from(self.minimum_ring_size),
                maximum_ring_size: u64::from(self.maximum_ring_size),
            },
            maglev: MaglevConfig {
                table_size: TABLES[usize::from(self.maglev_table) % TABLES.len()],
            },
            least_request: LeastRequestConfig {
                choice_count: u32::from(self.choice_count % 12),
                active_request_bias: f64::from(self.active_request_bias) / 64.0,
            },
        };
        (assignment, config)
    }
}

/// What every explanation must satisfy, whatever the input.
///
/// # Panics
/// When it does not: that is a bug the fuzzer reports.
pub fn check_explanation(e: &Explanation) {
    let mut sum = 0.0;
    for endpoint in &e.endpoints {
        assert!(
            endpoint.share.is_finite() && (0.0..=1.0 + 1e-9).contains(&endpoint.share),
            "share {} of {}:{}",
            endpoint.share,
            endpoint.address,
            endpoint.port
        );
        sum += endpoint.share;
    }
    // Requests dropped by `drop_overloads` reach no endpoint (Envoy's router drops them before
    // the load balancer): the rest sum to 1 − drop.
    // Requests that reach no endpoint: those `drop_overloads` drops (Envoy's router, before the
    // load balancer); with weighted routes, a route to a subset without endpoints (Envoy's 503
    // for its part); under RING_HASH and MAGLEV, the load that falls on a priority whose table
    // is empty (the tables hold only healthy hosts, all hosts in panic:
    // `thread_aware_lb_impl.cc` `normalizeWeights`; the degraded load of a priority is picked
    // from that same table).
    let routed = 1.0 - e.drop_overload;
    if e.routes.as_ref().is_some_and(|r| r.len() > 1) {
        assert!(
            sum <= routed + 1e-6,
            "shares sum to {sum}, more than {routed}"
        );
    } else if sum > 1e-9 {
        let empty_tables: u32 = if e.lb_policy.is_hash_based() {
            e.priorities
                .iter()
                .filter(|p| {
                    if p.panic {
                        p.hosts == 0
                    } else {
                        p.healthy_hosts == 0
                    }
                })
                .map(|p| p.healthy_load + p.degraded_load)
                .sum()
        } else {
            0
        };
        let expected = routed * f64::from(100_u32.saturating_sub(empty_tables)) / 100.0;
        assert!(
            (sum - expected).abs() < 1e-6,
            "shares sum to {sum}, not {expected} ({empty_tables}% on empty tables, drop {})",
            e.drop_overload
        );
    }
    for p in &e.priorities {
        assert!(p.healthy_load <= 100 && p.degraded_load <= 100, "{p:?}");
        assert!(p.healthy_load + p.degraded_load <= 100, "{p:?}");
    }
    assert!(e.drop_overload.is_finite() && (0.0..=1.0).contains(&e.drop_overload));
}
