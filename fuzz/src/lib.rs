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
use meshlb_filter::native::{Answer, Filter};
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
    ("filter", filter),
    ("explain", explain),
];

/// Picks made on each answer that can pick.
const PICKS: usize = 64;

/// Operations (picks, finishes, update batches) `picks` runs at most on one input.
const MAX_OPS: usize = 4096;

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

/// The proxy-wasm filter without its host ([`meshlb_filter::native`]): the bytes up to the
/// first NUL are the plugin configuration; each later NUL-separated part is one event, chosen
/// by its first byte: `u` an update document (the admin path's), `t` a tick (the shared
/// document read back), `p` a request to the path that follows (up to a newline; after it, the
/// `x-meshlb-update` header), `f` the end of the oldest active request, `c` another worker
/// writing the update document that follows the next byte after each of the next `1 + byte %
/// 5` reads of shared data (when the filter reads it), anything else a request whose
/// `hash_header` holds the part's bytes.
///
/// Checked: a rejected configuration or update is an `Err` with a message; the shared document
/// the filter writes is always one it reads back; a routed request names an endpoint the
/// explanation lists, with a share above 0, in the header its address and port make; every
/// request finished, none stays active.
pub fn filter(data: &[u8]) {
    let mut parts = data.split(|b| *b == 0);
    let configuration = parts.next().unwrap_or_default();
    let mut filter = match Filter::configure(configuration) {
        Ok(filter) => filter,
        Err(message) => {
            assert!(
                !message.is_empty(),
                "a configuration refused without a message"
            );
            return;
        }
    };
    check_explanation(filter.explain());
    let mut active = std::collections::VecDeque::new();
    for part in parts.take(256) {
        let (kind, rest) = part.split_first().unwrap_or((&b'r', &[]));
        match kind {
            b'u' => match filter.update(rest) {
                Ok(_) => check_explanation(filter.explain()),
                Err(message) => assert!(!message.is_empty(), "an update refused without a message"),
            },
            b't' => {
                if let Err(message) = filter.poll() {
                    panic!("the shared document the filter wrote does not read back: {message}");
                }
                check_explanation(filter.explain());
            }
            b'f' => {
                if let Some(picked) = active.pop_front() {
                    filter.finish(&picked);
                }
            }
            b'c' => {
                let (reads, document) = rest.split_first().unwrap_or((&0, &[]));
                if meshlb_formats::update::parse(document).is_ok() {
                    filter.host().contend(document, 1 + usize::from(*reads % 5));
                }
            }
            _ => {
                let answer = if *kind == b'p' {
                    let (path, document) = match rest.iter().position(|b| *b == b'\n') {
                        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
                        None => (rest, None),
                    };
                    filter.request(path, None, document)
                } else {
                    filter.request(b"/", Some(part), None)
                };
                match answer {
                    Answer::Route {
                        header,
                        host,
                        locality,
                        picked,
                    } => {
                        assert!(!header.is_empty());
                        let explanation = filter.explain();
                        let endpoint = explanation
                            .endpoints
                            .get(picked.index)
                            .unwrap_or_else(|| panic!("picked {picked:?}, not in the explanation"));
                        assert!(endpoint.share > 0.0, "picked {endpoint:?} whose share is 0");
                        assert_eq!(
                            host,
                            meshlb::endpoint_address(&endpoint.address, endpoint.port)
                        );
                        assert_eq!(locality, endpoint.locality);
                        active.push_back(picked);
                    }
                    Answer::Respond { status, body } => {
                        assert!((400..600).contains(&status) || status == 200, "{status}");
                        assert!(!body.is_empty());
                    }
                }
            }
        }
    }
    for picked in active {
        filter.finish(&picked);
    }
}

/// Options as the CLI's flags give them: names seen in the examples, or any text.
#[derive(Debug, Arbitrary)]
struct FuzzOptions {
    from: Option<Name>,
    locality: Option<Name>,
    to: Option<Name>,
    lb_policy: Option<u8>,
    panic_threshold: Option<i16>,
    cluster: Option<Name>,
    fail: Vec<(u8, Name)>,
}

/// A flag's value: one the examples use (so the fuzzer reaches past "no such client"), or any.
#[derive(Debug, Arbitrary)]
enum Name {
    Known(u8),
    Any(String),
}

/// Values the examples and vectors use for `--from`, `--locality`, `--to`, `--cluster`, `--fail`.
const NAMES: &[&str] = &[
    "east/bookinfo",
    "west/bookinfo",
    "cluster1/default",
    "cluster-1/default",
    "region1/zone1",
    "region1/zone2",
    "region2/zone3",
    "region1",
    "region2",
    "us-east/us-east-1a",
    "us-west/us-west-1a",
    "us-east",
    "reviews.bookinfo",
    "reviews.bookinfo.svc.cluster.local",
    "reviews",
    "helloworld.sample.svc.cluster.local",
    "outbound|9080||reviews.bookinfo.svc.cluster.local",
    "east",
    "west",
    "network1",
    "10.0.0.1:80",
    "10.1.0.10:5000",
    "",
];

impl Name {
    fn value(&self) -> String {
        match self {
            Self::Known(i) => NAMES[usize::from(*i) % NAMES.len()].to_owned(),
            Self::Any(s) => s.clone(),
        }
    }
}

impl FuzzOptions {
    fn options(&self, with_failures: bool) -> Options {
        const KINDS: [&str; 7] = [
            "zone",
            "region",
            "cluster",
            "network",
            "gateway",
            "endpoint",
            "control-plane",
        ];
        Options {
            from: self.from.as_ref().map(Name::value),
            locality: self.locality.as_ref().map(Name::value),
            to: self.to.as_ref().map(Name::value),
            lb_policy: self
                .lb_policy
                .map(|p| LbPolicy::ALL[usize::from(p) % LbPolicy::ALL.len()]),
            panic_threshold: self.panic_threshold.map(|t| f64::from(t) / 2.0),
            cluster: self.cluster.as_ref().map(Name::value),
            fail: if with_failures {
                self.fail
                    .iter()
                    .take(4)
                    .map(|(k, v)| format!("{}={}", KINDS[usize::from(*k) % KINDS.len()], v.value()))
                    .collect()
            } else {
                Vec::new()
            },
            ..Options::default()
        }
    }
}

/// The `explain` target's input: the text, and the flags when the bytes after the NUL give
/// them.
fn explain_input(data: &[u8]) -> Option<(&str, Option<FuzzOptions>)> {
    let (text, flags) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let text = std::str::from_utf8(text).ok()?;
    Some((
        text,
        FuzzOptions::arbitrary(&mut Unstructured::new(flags)).ok(),
    ))
}

/// What the `explain` target reads of `data`: the input's text and the options without the
/// `--fail` flags (`None`: not UTF-8). For checking seeds.
#[must_use]
pub fn explain_options(data: &[u8]) -> Option<(&str, Options)> {
    explain_input(data).map(|(text, flags)| {
        (
            text,
            flags.map_or_else(Options::default, |f| f.options(false)),
        )
    })
}

/// The explanation end to end: the bytes up to the first NUL as any input the CLI reads
/// (scenario, Envoy artefact), the bytes after it as the flags (`--from`, `--locality`, `--to`,
/// `--lb-policy`, `--panic-threshold`, `--cluster`, `--fail`); loaded, explained and checked;
/// without and with the `--fail` flags, diffed (a diff of an explanation with itself changes
/// nothing); for a scenario, the report.
pub fn explain(data: &[u8]) {
    let Some((text, flags)) = explain_input(data) else {
        return;
    };
    let options = |with_failures| {
        flags
            .as_ref()
            .map_or_else(Options::default, |f| f.options(with_failures))
    };
    let Ok(before) = meshlb_formats::load("input", text, &options(false)) else {
        return;
    };
    let explained = before.explain();
    check_explanation(&explained);
    let same = meshlb::diff(&explained, &explained);
    for change in same
        .endpoints
        .iter()
        .chain(&same.clusters)
        .chain(&same.zones)
        .chain(&same.regions)
        .chain(&same.networks)
    {
        assert!(change.delta == 0.0, "{change:?} in a diff with itself");
    }
    if flags.as_ref().is_some_and(|f| !f.fail.is_empty())
        && let Ok(after) = meshlb_formats::load("input", text, &options(true))
    {
        let after = after.explain();
        check_explanation(&after);
        let d = meshlb::diff(&explained, &after);
        for change in d.endpoints.iter().chain(&d.zones).chain(&d.regions) {
            assert!(change.delta.is_finite(), "{change:?}");
        }
    }
    cli(text, flags.as_ref(), before.scenario.is_some());
}

/// The same input and flags through the CLI (`meshlb_cli::run`, as the binary runs it, on a
/// file): `explain` as text and JSON, `diff` when there are failures, `report` for a scenario
/// (text or HTML). Their exit status is the CLI's business; a panic is a bug.
fn cli(text: &str, flags: Option<&FuzzOptions>, scenario: bool) {
    let file = std::env::temp_dir().join(format!("meshlb-fuzz-{}.input", std::process::id()));
    if std::fs::write(&file, text).is_err() {
        return;
    }
    let path = file.display().to_string();
    let mut args: Vec<String> = Vec::new();
    let mut fail = Vec::new();
    if let Some(f) = flags {
        let options = f.options(true);
        let flag =
            |name: &str, value: &Option<String>| value.as_ref().map(|v| format!("--{name}={v}"));
        args.extend(flag("from", &options.from));
        args.extend(flag("locality", &options.locality));
        args.extend(flag("to", &options.to));
        args.extend(flag("cluster", &options.cluster));
        args.extend(options.lb_policy.map(|p| format!("--lb-policy={p}")));
        args.extend(
            options
                .panic_threshold
                .map(|t| format!("--panic-threshold={t}")),
        );
        fail = options.fail.iter().map(|v| format!("--fail={v}")).collect();
    }
    let run = |command: &str, extra: &[String], format: &str| {
        let mut argv = vec!["meshlb".to_owned(), command.to_owned(), path.clone()];
        argv.extend(extra.iter().cloned());
        argv.push(format!("--format={format}"));
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = meshlb_cli::run(argv, &mut out, &mut err);
        assert!(
            status == 0 || !err.is_empty(),
            "{command}: status {status} without a message"
        );
    };
    let with_fail: Vec<String> = args.iter().chain(&fail).cloned().collect();
    run("explain", &with_fail, "text");
    run("explain", &args, "json");
    if !fail.is_empty() {
        run("diff", &with_fail, "text");
    }
    if scenario {
        let format = if text.len().is_multiple_of(2) {
            "html"
        } else {
            "text"
        };
        run("report", &[], format);
    }
    let _ = std::fs::remove_file(&file);
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
fn built(u: &mut Unstructured<'_>, ring_cap: u16) -> Option<Plan> {
    let (assignment, config) = FuzzAssignment::arbitrary(u).ok()?.build(ring_cap);
    Plan::build(&assignment, &config).ok()
}

/// Plan building from arbitrary assignments and configurations (structured input): built or
/// refused with a [`meshlb::PlanError`], never a panic; a built plan explains and picks.
pub fn plan(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Some(plan) = built(&mut u, u16::MAX) else {
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
    // Minimum ring sizes below 4,096 here: every update batch rebuilds the rings it touches
    // (Envoy's `refresh`), and with rings of up to 65,535 points each input took about 0.5 s
    // under the sanitizer (8 executions a second, 89 % of it in ring builds). `plan` keeps
    // the whole range, the limit tests the largest rings.
    let Some(plan) = built(&mut u, 4096) else {
        return;
    };
    let mut rng = SeededRng::new(11);
    let mut balancer = Balancer::from_plan(plan, &mut rng);
    let mut active = Vec::new();
    // `arbitrary` fills what an exhausted input lacks with zeros (an `Op::Pick(None)`, forever):
    // the loop ends with the input's bytes, and after at most `MAX_OPS` operations.
    let mut ops = 0;
    while !u.is_empty() && ops < MAX_OPS {
        ops += 1;
        let Ok(op) = Op::arbitrary(&mut u) else {
            break;
        };
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
    /// The assignment and configuration, minimum ring sizes below `ring_cap`.
    fn build(&self, ring_cap: u16) -> (LoadAssignment, LbConfig) {
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
                minimum_ring_size: u64::from(self.minimum_ring_size % ring_cap),
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
    // is empty (the tables hold only healthy hosts, all hosts in panic, and under
    // locality-weighted LB only those of localities with a weight: `thread_aware_lb_impl.cc`
    // `normalizeWeights`; the degraded load of a priority is picked from that same table).
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
                    let no_hosts = if p.panic {
                        p.hosts == 0
                    } else {
                        p.healthy_hosts == 0
                    };
                    // Under locality-weighted LB a table holds only the hosts of localities
                    // with a weight (`thread_aware_lb_impl.cc` `normalizeWeights` skips a
                    // locality of weight 0, and builds nothing when all are 0): a priority
                    // with hosts can have an empty table, and then none of its endpoints has
                    // a share. (Without locality weights, hosts mean entries.)
                    let no_weighted_locality = e.locality_weighted
                        && e.endpoints
                            .iter()
                            .filter(|ep| ep.priority == p.priority)
                            .all(|ep| ep.share == 0.0);
                    no_hosts || no_weighted_locality
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
