//! Deterministic inputs for meshlb's criterion benchmarks (see `benches/main.rs`).
//!
//! Every generator here is a pure function of its arguments: the same call builds the same
//! assignment, the same weights and the same request hashes on every machine, so two runs (or
//! two commits) measure the same work. Randomness, where an input wants it, comes from meshlb's
//! own [`SeededRng`] with a fixed seed; nothing reads the clock or the OS random source.
//!
//! Two topologies are used throughout:
//!
//! - [`flat`]: one priority, one locality, `n` endpoints, all healthy: the bare cost of a
//!   policy's host choice.
//! - [`zoned`]: [`ZONED_PRIORITIES`] priorities × [`ZONED_LOCALITIES`] localities, locality
//!   weights set and a health mix ([`zoned_unhealthy_percent`]) that leaves priority 0 at 60 %
//!   healthy, so 16 % of the load spills over to priority 1 and every locality of priority 0 has
//!   its own effective weight.
//! - [`failover`]: the shape of Istio's locality failover, [`FAILOVER_ZONES`] priorities of one
//!   locality each (the client's zone, the rest of its region, the failover region), with
//!   [`zoned`]'s health mix: 16 % of the load spills over to priority 1.
//!
//! The baseline every pick group carries is [`slice_pick`]: one draw from the same
//! [`SeededRng`] and one index into a slice of the same length.

use std::ops::Range;

use meshlb::{
    Endpoint, HealthStatus, LbConfig, LbPolicy, LoadAssignment, Locality, LocalityEndpoints, Plan,
    Rng, SeededRng,
};

/// Seed of every generator that needs randomness (weights, hashes, pickers).
pub const SEED: u64 = 0x6d65_7368_6c62; // "meshlb"

/// Port of every generated endpoint.
pub const PORT: u16 = 8080;

/// Priorities of the [`zoned`] topology.
pub const ZONED_PRIORITIES: u32 = 3;

/// Localities per priority of the [`zoned`] topology.
pub const ZONED_LOCALITIES: u32 = 50;

/// Number of precomputed request hashes hash-policy benchmarks cycle through: a power of two
/// (so the cycle is a mask, not a division) and large enough (32 KiB) that the table accesses
/// it drives are not all the same few cache lines.
pub const HASH_COUNT: usize = 4096;

/// Endpoint weights of a generated assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weights {
    /// Every endpoint has weight 1 (plain round robin, P2C).
    Equal,
    /// Weights 1..=8 drawn from a [`SeededRng`] (weighted round robin runs EDF).
    Varied,
}

/// The address of the `i`-th generated endpoint: `10.a.b.c`, unique for `i < 2^24`.
///
/// # Panics
/// If `i >= 2^24` (the benchmarks use at most 100,000 endpoints).
#[must_use]
pub fn address(i: usize) -> String {
    assert!(i < 1 << 24, "endpoint index {i} does not fit in 10.0.0.0/8");
    format!("10.{}.{}.{}", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff)
}

fn endpoint_weights(n: usize, weights: Weights) -> Vec<u32> {
    match weights {
        Weights::Equal => vec![1; n],
        Weights::Varied => {
            let mut rng = SeededRng::new(SEED ^ 0x5745_4947_4854); // "WEIGHT"
            (0..n).map(|_| 1 + (rng.next_u64() % 8) as u32).collect()
        }
    }
}

/// The endpoints `indices` of a generated assignment, weights from `w`, the first `unhealthy`
/// of them `UNHEALTHY` and the rest healthy.
fn group_endpoints(indices: Range<usize>, unhealthy: usize, w: &[u32]) -> Vec<Endpoint> {
    let first = indices.start;
    indices
        .map(|i| {
            let health = if i - first < unhealthy {
                HealthStatus::Unhealthy
            } else {
                HealthStatus::Healthy
            };
            Endpoint::new(&address(i), PORT)
                .with_weight(w[i])
                .with_health(health)
        })
        .collect()
}

/// One priority, one locality, `n` healthy endpoints.
#[must_use]
pub fn flat(n: usize, weights: Weights) -> LoadAssignment {
    let w = endpoint_weights(n, weights);
    let endpoints = (0..n)
        .map(|i| Endpoint::new(&address(i), PORT).with_weight(w[i]))
        .collect();
    LoadAssignment {
        localities: vec![LocalityEndpoints {
            locality: Locality::new("us-east", "us-east-1a", ""),
            weight: Some(1),
            priority: 0,
            endpoints,
        }],
        ..LoadAssignment::default()
    }
}

/// Percent of the endpoints of `locality` (index within its priority) at `priority` that the
/// [`zoned`] topology marks `UNHEALTHY`.
///
/// Priority 0: 0, 20, 40, 60, 80 % by locality (40 % on average: health `140 × 0.6 = 84`, so
/// 84 % of requests stay and 16 % spill to priority 1; 60 % healthy is above the 50 % panic
/// threshold). Priority 1: 10 % everywhere. Priority 2 and beyond: all healthy.
#[must_use]
pub const fn zoned_unhealthy_percent(priority: u32, locality: u32) -> u32 {
    match priority {
        0 => (locality % 5) * 20,
        1 => 10,
        _ => 0,
    }
}

/// The weight of `locality` (index within its priority) in the [`zoned`] topology: 1..=4.
#[must_use]
pub const fn zoned_locality_weight(locality: u32) -> u32 {
    1 + locality % 4
}

/// `n` endpoints spread evenly over [`ZONED_PRIORITIES`] × [`ZONED_LOCALITIES`] locality groups,
/// with locality weights ([`zoned_locality_weight`]) and the health mix of
/// [`zoned_unhealthy_percent`]; within a group the first endpoints are the unhealthy ones.
///
/// Endpoint addresses follow [`address`] in group order (priority, then locality).
#[must_use]
pub fn zoned(n: usize, weights: Weights) -> LoadAssignment {
    let groups = (ZONED_PRIORITIES * ZONED_LOCALITIES) as usize;
    let w = endpoint_weights(n, weights);
    let mut next = 0;
    let mut localities = Vec::with_capacity(groups);
    for g in 0..groups {
        let priority = g as u32 / ZONED_LOCALITIES;
        let locality = g as u32 % ZONED_LOCALITIES;
        let size = n / groups + usize::from(g < n % groups);
        let unhealthy = size * zoned_unhealthy_percent(priority, locality) as usize / 100;
        let endpoints = group_endpoints(next..next + size, unhealthy, &w);
        next += size;
        localities.push(LocalityEndpoints {
            locality: Locality::new(
                &format!("region-{priority}"),
                &format!("zone-{locality}"),
                "",
            ),
            weight: Some(zoned_locality_weight(locality)),
            priority,
            endpoints,
        });
    }
    LoadAssignment {
        localities,
        ..LoadAssignment::default()
    }
}

/// The priorities of the [`failover`] topology, one locality each: the client's zone, another
/// zone of its region, a zone of the failover region.
pub const FAILOVER_ZONES: [(&str, &str); 3] = [
    ("us-east", "us-east-1a"),
    ("us-east", "us-east-1b"),
    ("us-west", "us-west-1a"),
];

/// [`FAILOVER_ZONES`] as priorities 0, 1 and 2, `n` endpoints shared out among them, and the
/// health mix of [`zoned`]'s average: 40 % of priority 0 `UNHEALTHY` (health `140 × 0.6 = 84`,
/// so 16 % of requests spill over to priority 1), 10 % of priority 1, priority 2 all healthy.
/// Every priority's locality scheduler has one locality, as under Istio's
/// `localityLbSetting` failover with one zone a priority.
#[must_use]
pub fn failover(n: usize, weights: Weights) -> LoadAssignment {
    let w = endpoint_weights(n, weights);
    let groups = FAILOVER_ZONES.len();
    let mut next = 0;
    let localities = FAILOVER_ZONES
        .iter()
        .enumerate()
        .map(|(g, &(region, zone))| {
            let size = n / groups + usize::from(g < n % groups);
            let unhealthy = size * [40, 10, 0][g] / 100;
            let endpoints = group_endpoints(next..next + size, unhealthy, &w);
            next += size;
            LocalityEndpoints {
                locality: Locality::new(region, zone, ""),
                weight: Some(1),
                priority: g as u32,
                endpoints,
            }
        })
        .collect();
    LoadAssignment {
        localities,
        ..LoadAssignment::default()
    }
}

/// The configuration the benchmarks build plans with: `policy`, Envoy's defaults otherwise,
/// locality-weighted LB when `locality_weighted`.
#[must_use]
pub fn config(policy: LbPolicy, locality_weighted: bool) -> LbConfig {
    LbConfig {
        policy,
        locality_weighted,
        ..LbConfig::default()
    }
}

/// [`Plan::build`] of a generated input, which is valid by construction.
///
/// # Panics
/// If the plan does not build (a bug in a generator).
#[must_use]
pub fn build_plan(assignment: &LoadAssignment, config: &LbConfig) -> Plan {
    match Plan::build(assignment, config) {
        Ok(plan) => plan,
        Err(e) => panic!("generated assignment does not build: {e}"),
    }
}

/// [`HASH_COUNT`] request hashes from a [`SeededRng`] (uniform over `u64`, as xxHash64 of
/// distinct header values would be).
#[must_use]
pub fn request_hashes() -> Vec<u64> {
    let mut rng = SeededRng::new(SEED ^ 0x4841_5348); // "HASH"
    (0..HASH_COUNT).map(|_| rng.next_u64()).collect()
}

/// The slice the baseline picks from: `0..n` as host indices.
#[must_use]
pub fn baseline_slice(n: usize) -> Vec<u32> {
    (0..n as u32).collect()
}

/// The baseline pick: one draw from meshlb's [`SeededRng`] and one slice index,
/// `slice[(rng.next_u64() % len) as usize]`.
///
/// # Panics
/// If `slice` is empty.
#[inline]
#[must_use]
pub fn slice_pick(slice: &[u32], rng: &mut SeededRng) -> u32 {
    slice[(rng.next_u64() % slice.len() as u64) as usize]
}

/// The baseline for hash policies: the request hash read from a precomputed array and one
/// slice index, `slice[(hash % len) as usize]`.
///
/// # Panics
/// If `slice` is empty.
#[inline]
#[must_use]
pub fn slice_pick_hashed(slice: &[u32], hash: u64) -> u32 {
    slice[(hash % slice.len() as u64) as usize]
}

/// The host the update benchmarks flip: the first endpoint of the first
/// locality group, healthy in every generated topology (the [`zoned`] group 0 has no unhealthy
/// endpoint), looked up with [`Plan::find`].
///
/// # Panics
/// If the assignment is empty or the plan does not hold its first endpoint.
#[must_use]
pub fn flip_target(assignment: &LoadAssignment, plan: &Plan) -> meshlb::HostId {
    let endpoint = &assignment.localities[0].endpoints[0];
    assert_eq!(
        endpoint.health,
        HealthStatus::Healthy,
        "the flip target starts healthy"
    );
    match plan.find(&endpoint.address, endpoint.port) {
        Some(id) => id,
        None => panic!("{}:{} is not in the plan", endpoint.address, endpoint.port),
    }
}

/// A generated multi-cluster mesh as meshlb scenario YAML (shared/SCENARIO.md §2), for the
/// `mesh/explain` and `report` benchmarks and for timing `meshlb report` by hand
/// (`cargo run --release -p meshlb-benches --bin gen-mesh`).
///
/// `clusters` clusters (`clusters` ≥ 5, a multiple of 5): `c0` is the primary and holds a
/// remote secret for every other cluster, which it configures; cluster `c` is on network
/// `n{c % 5}` in region `region{c % 5}`. Each network has one east-west gateway
/// (`192.0.2.{n}:15443`, in cluster `c{n}`). `workloads` endpoints of the one Service
/// `api.shop` (port 8080, in every cluster) are spread evenly over the clusters; every tenth is
/// not ready (`UNHEALTHY`). With `spread`, a cluster's workloads run in all four zones of its
/// region (workload `i` in zone `(i / clusters) % 4`), so each cluster holds four client
/// locations; without, cluster `c`'s all run in zone `(c / 5) % 4`. `c0` holds a
/// DestinationRule with `ROUND_ROBIN`, outlier detection (which turns locality failover on) and
/// a failover rule `region0 → region1`. The client runs in `c0`, `region0/zone0`.
///
/// `mesh_yaml(50, 20_000, true)` is the report target: 50 clusters, 20,000 workloads,
/// 200 client locations, 81 single failures.
#[must_use]
pub fn mesh_yaml(clusters: u32, workloads: u32, spread: bool) -> String {
    use std::fmt::Write as _;
    let n = clusters;
    let mut out = String::with_capacity(64 * workloads as usize + 4096);
    let _ = writeln!(
        out,
        "# meshlb-benches mesh_yaml({n}, {workloads}, {spread}): generated, deterministic"
    );
    out.push_str("clusters:\n");
    for c in 0..n {
        if c == 0 {
            let secrets: Vec<String> = (1..n).map(|o| format!("c{o}")).collect();
            let _ = writeln!(
                out,
                "  - {{ name: c0, network: n0, remoteSecrets: [{}] }}",
                secrets.join(", ")
            );
        } else {
            let _ = writeln!(
                out,
                "  - {{ name: c{c}, network: n{}, controlPlane: c0 }}",
                c % 5
            );
        }
    }
    out.push_str("networks:\n");
    for net in 0..5 {
        let _ = writeln!(
            out,
            "  - {{ name: n{net}, gateways: [{{ address: 192.0.2.{net}, port: 15443, cluster: c{net} }}] }}"
        );
    }
    let all: Vec<String> = (0..n).map(|c| format!("c{c}")).collect();
    let _ = writeln!(
        out,
        "services:\n  - {{ name: api, namespace: shop, clusters: [{}], ports: [8080] }}",
        all.join(", ")
    );
    out.push_str("workloads:\n");
    for i in 0..workloads {
        let c = i % n;
        let zone = if spread { (i / n) % 4 } else { (c / 5) % 4 };
        let health = if i % 10 == 9 { "UNHEALTHY" } else { "HEALTHY" };
        let _ = writeln!(
            out,
            "  - {{ service: api.shop, cluster: c{c}, address: 10.{c}.{}.{}, port: 8080, locality: region{}/zone{zone}, health: {health} }}",
            (i / n) / 250,
            (i / n) % 250,
            c % 5
        );
    }
    out.push_str(
        "config:
  - cluster: c0
    resources:
      - apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: { name: api, namespace: shop }
        spec:
          host: api.shop.svc.cluster.local
          trafficPolicy:
            loadBalancer:
              simple: ROUND_ROBIN
              localityLbSetting:
                failover: [{ from: region0, to: region1 }]
            outlierDetection: {}
client: { cluster: c0, namespace: shop, locality: region0/zone0 }
request: { host: api.shop }
",
    );
    out
}

/// [`mesh_yaml`] read as a scenario, as `meshlb` reads the file, then cloned: the clone lays
/// each workload's strings out together, as a scenario built in code has them (the parser
/// leaves them scattered, which costs a 20,000-workload scenario's validation and discovery
/// up to a third more in cache misses: `time meshlb report FILE` shows that case).
///
/// # Panics
/// If the generated text does not parse (a bug in the generator).
#[must_use]
#[allow(clippy::redundant_clone)] // the clone is the point: a compact copy
pub fn mesh(clusters: u32, workloads: u32, spread: bool) -> meshlb::mesh::Scenario {
    match meshlb_formats::parse_scenario(&mesh_yaml(clusters, workloads, spread)) {
        Ok(input) => input.scenario.clone(),
        Err(e) => panic!("generated mesh does not parse: {e}"),
    }
}

/// A report without its counts of work done (`explained`, `reexplained`): the one thing
/// `Report::build` and `Report::build_naive` differ in.
#[must_use]
pub fn without_counts(report: &meshlb::mesh::Report) -> meshlb::mesh::Report {
    let mut r = report.clone();
    r.explained = 0;
    for s in &mut r.sweep {
        s.reexplained = 0;
    }
    r
}
