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
//!
//! The baseline every pick group carries is [`slice_pick`]: one draw from the same
//! [`SeededRng`] and one index into a slice of the same length.

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
        let endpoints = (0..size)
            .map(|j| {
                let i = next + j;
                let health = if j < unhealthy {
                    HealthStatus::Unhealthy
                } else {
                    HealthStatus::Healthy
                };
                Endpoint::new(&address(i), PORT)
                    .with_weight(w[i])
                    .with_health(health)
            })
            .collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoned_spills_sixteen_percent_and_is_deterministic() {
        let assignment = zoned(10_000, Weights::Equal);
        assert_eq!(assignment, zoned(10_000, Weights::Equal));
        let total: usize = assignment
            .localities
            .iter()
            .map(|l| l.endpoints.len())
            .sum();
        assert_eq!(total, 10_000);
        let plan = build_plan(&assignment, &config(LbPolicy::RoundRobin, true));
        let loads: Vec<u32> = plan.priorities().iter().map(|p| p.healthy_load).collect();
        assert_eq!(loads, [84, 16, 0]);
        assert!(plan.priorities().iter().all(|p| !p.panic));
        assert_eq!(flip_target(&assignment, &plan).index(), 0);
    }

    #[test]
    fn flat_is_one_group_of_unique_addresses() {
        let assignment = flat(1000, Weights::Varied);
        let plan = build_plan(&assignment, &config(LbPolicy::RoundRobin, false));
        assert_eq!(plan.hosts().len(), 1000);
        assert!(
            assignment.localities[0]
                .endpoints
                .iter()
                .any(|e| e.weight != 1)
        );
        assert_eq!(request_hashes(), request_hashes());
    }
}
