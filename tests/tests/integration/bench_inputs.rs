//! The benchmarks' generated inputs (meshlb-benches' library, which has no test targets of its
//! own) have the shapes the benchmarks and BENCHMARKS.md say they have.

use meshlb::{HealthStatus, LbPolicy};
use meshlb_benches::{
    Weights, build_plan, config, failover, flat, flip_target, mesh, mesh_yaml, request_hashes,
    without_counts, zoned,
};

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

/// The failover topology's loads, derived by hand from Envoy's priority rules
/// (`overprovisioning_factor` 140): of 1,000 hosts priority 0 has 334, `334 × 40 / 100 = 133`
/// of them unhealthy, so its health is `140 × 201 / 334 = 84` (84.25 rounded down) and 16 %
/// spills to priority 1, which, 300 of its 333 hosts healthy (health `min(100, 126) = 100`),
/// takes it all; priority 2 takes none. Each priority has one locality, picked through its
/// locality scheduler (Istio's failover sets locality-weighted LB).
#[test]
fn failover_spills_from_the_clients_zone_to_its_region() {
    let assignment = failover(1_000, Weights::Equal);
    assert_eq!(assignment, failover(1_000, Weights::Equal));
    let zones: Vec<String> = assignment
        .localities
        .iter()
        .map(|l| format!("{} P{} {}", l.locality, l.priority, l.endpoints.len()))
        .collect();
    assert_eq!(
        zones,
        [
            "us-east/us-east-1a P0 334",
            "us-east/us-east-1b P1 333",
            "us-west/us-west-1a P2 333"
        ]
    );
    let plan = build_plan(&assignment, &config(LbPolicy::RoundRobin, true));
    let loads: Vec<(u32, u32, bool)> = plan
        .priorities()
        .iter()
        .map(|p| (p.health, p.healthy_load, p.panic))
        .collect();
    assert_eq!(loads, [(84, 84, false), (100, 16, false), (100, 0, false)]);
    assert!((0..3).all(|p| plan.uses_locality_scheduler(p, meshlb::Availability::Healthy)));
}

#[test]
fn the_generated_mesh_has_what_it_says() {
    let s = mesh(10, 400, true);
    assert_eq!(s.clusters.len(), 10);
    assert_eq!(s.workloads.len(), 400);
    assert_eq!(
        s.workloads
            .iter()
            .filter(|w| w.health == HealthStatus::Unhealthy)
            .count(),
        40
    );
    // Four client locations per cluster: every zone of its region.
    let places: std::collections::BTreeSet<(&str, String)> = s
        .workloads
        .iter()
        .map(|w| (w.cluster.as_str(), w.locality.to_string()))
        .collect();
    assert_eq!(places.len(), 40);
    assert_eq!(mesh_yaml(10, 400, true), mesh_yaml(10, 400, true));
}

/// The reusing report is the naive one on a small generated mesh (the tests crate checks
/// every example; this checks the generator's shape: several networks, one primary).
#[test]
fn reuse_is_naive_on_a_small_generated_mesh() {
    let s = mesh(5, 100, true);
    let fast = meshlb::mesh::Report::build(&s).expect("report");
    let naive = meshlb::mesh::Report::build_naive(&s).expect("report");
    assert_eq!(without_counts(&fast), without_counts(&naive));
    assert_eq!(fast.locations.len(), 20);
    assert!(fast.explained < naive.explained);
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
