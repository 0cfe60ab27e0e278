//! Invariants of whole meshes, on meshes generated from seeds ([`meshlb_tests::meshgen`]):
//! clusters on networks with and without gateways, primary and remote control planes, remote
//! secrets, localities, every health status, weights, terminating and proxyless workloads, and
//! DestinationRules (policy, locality failover or distribute, subsets split by a
//! VirtualService).
//!
//! Each invariant is stated by its definition and its expectation derived from the generated
//! [`Mesh`], never from meshlb's answer:
//!
//! 1. when the request is routed, the endpoint shares sum to the routed fraction: 1, less the
//!    route weight of any subset with no endpoint to send to;
//! 2. no workload on another network that has a gateway is reached directly (a workload
//!    endpoint with a share above 0 is on the client's network or on a network without
//!    gateway: istio `ep_filters.go`);
//! 3. no workload of a cluster the client's control plane does not discover (neither its own
//!    cluster nor one it has a remote secret for) is reachable, directly or behind a gateway;
//! 4. spill-over never moves load to a lower priority while a higher one is fully healthy
//!    (`min(100, 140 × healthy / hosts) = 100`, Envoy's `load_balancer_impl.cc`);
//! 5. every workload of the host appears in `endpoints` (directly or behind a gateway) or in
//!    `dropped` with a reason and a message;
//! 6. shuffling the order of workloads and remote secrets changes no share and no drop;
//! 7. 40,000 simulated requests follow the explained shares (within 5 standard deviations).
//!
//! `PROPTEST_CASES` raises the case count (default 500, about a second in the
//! test profile); the seed is fixed, so runs are deterministic and write no regression files.

use std::collections::{BTreeMap, BTreeSet};

use meshlb::mesh::MeshPlan;
use meshlb::{EndpointKind, Explanation, Status};
use meshlb_tests::meshgen::Mesh;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestRunner};

fn explain(mesh: &Mesh) -> (MeshPlan, Explanation) {
    let text = mesh.yaml();
    let input = meshlb_formats::parse_scenario(&text)
        .unwrap_or_else(|e| panic!("seed {}: {e}\n{text}", mesh.seed));
    let plan = MeshPlan::build(&input.scenario)
        .unwrap_or_else(|e| panic!("seed {}: {e}\n{text}", mesh.seed));
    let explanation = plan.explain();
    (plan, explanation)
}

/// Addresses reachable: workload endpoints with a share, and the workloads behind gateway
/// endpoints with a share.
fn reached(e: &Explanation) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for ep in e.endpoints.iter().filter(|ep| ep.share > 0.0) {
        match ep.kind {
            EndpointKind::Workload => {
                out.insert(ep.address.clone());
            }
            EndpointKind::Gateway => {
                for b in ep.behind_endpoints.iter().filter(|b| b.weight > 0) {
                    out.insert(b.address.clone());
                }
            }
        }
    }
    out
}

fn shares_sum_to_the_routed_fraction(mesh: &Mesh, e: &Explanation) -> Result<(), String> {
    if e.status != Status::Routed {
        return Ok(());
    }
    let total: f64 = e.endpoints.iter().map(|ep| ep.share).sum();
    // Subsets with no endpoint at all lose their route weight (Envoy answers 503 for them).
    let expected = match mesh.split {
        None => 1.0,
        Some(v1) => {
            let has = |subset: &str| {
                e.endpoints
                    .iter()
                    .any(|ep| ep.subset.as_deref() == Some(subset) && ep.share > 0.0)
            };
            (if has("v1") { f64::from(v1) } else { 0.0 }
                + if has("v2") { f64::from(100 - v1) } else { 0.0 })
                / 100.0
        }
    };
    if (total - expected).abs() > 1e-9 {
        return Err(format!("shares sum to {total}, expected {expected}"));
    }
    Ok(())
}

fn no_direct_endpoint_across_a_gateway(mesh: &Mesh, e: &Explanation) -> Result<(), String> {
    let client = mesh.client_network();
    for ep in e.endpoints.iter().filter(|ep| ep.share > 0.0) {
        if ep.kind != EndpointKind::Workload {
            continue;
        }
        let Some(w) = mesh.workload(&ep.address) else {
            return Err(format!("{} is not a workload of the mesh", ep.address));
        };
        let network = mesh.clusters[w.cluster].network;
        if network != client && mesh.networks[network].gateway.is_some() {
            return Err(format!(
                "{} on {} (which has a gateway) is reached directly from {}",
                ep.address, mesh.networks[network].name, mesh.networks[client].name
            ));
        }
    }
    Ok(())
}

fn nothing_undiscovered_is_reachable(mesh: &Mesh, e: &Explanation) -> Result<(), String> {
    for address in reached(e) {
        let Some(w) = mesh.workload(&address) else {
            return Err(format!("{address} is not a workload of the mesh"));
        };
        if !mesh.discovers(w.cluster) {
            return Err(format!(
                "{address} of {} is reachable, but {} does not discover it",
                mesh.clusters[w.cluster].name,
                mesh.clusters[mesh.control_plane()].name
            ));
        }
    }
    Ok(())
}

fn no_spill_over_while_a_higher_priority_is_healthy(e: &Explanation) -> Result<(), String> {
    let mut by_subset: BTreeMap<Option<String>, Vec<&meshlb::PriorityReport>> = BTreeMap::new();
    for p in &e.priorities {
        by_subset.entry(p.subset.clone()).or_default().push(p);
    }
    for priorities in by_subset.values() {
        for p in priorities {
            let fully_healthy =
                p.hosts > 0 && 140 * u64::from(p.healthy_hosts) >= 100 * u64::from(p.hosts);
            if !fully_healthy {
                continue;
            }
            for q in priorities.iter().filter(|q| q.priority > p.priority) {
                if q.healthy_load + q.degraded_load > 0 {
                    return Err(format!(
                        "priority {} is fully healthy ({} of {} hosts) but priority {} gets {} %",
                        p.priority,
                        p.healthy_hosts,
                        p.hosts,
                        q.priority,
                        q.healthy_load + q.degraded_load
                    ));
                }
            }
        }
    }
    Ok(())
}

fn every_workload_is_accounted_for(mesh: &Mesh, e: &Explanation) -> Result<(), String> {
    if !matches!(e.status, Status::Routed | Status::NoEndpoints) {
        return Ok(());
    }
    let mut listed = BTreeSet::new();
    for ep in &e.endpoints {
        listed.insert(ep.address.clone());
        for b in &ep.behind_endpoints {
            listed.insert(b.address.clone());
        }
    }
    for d in &e.dropped {
        if d.message.is_empty() {
            return Err(format!("{} dropped without a message", d.address));
        }
        listed.insert(d.address.clone());
    }
    for w in &mesh.workloads {
        if !listed.contains(&w.address) {
            return Err(format!(
                "{} ({}) is neither in endpoints nor in dropped",
                w.address, mesh.clusters[w.cluster].name
            ));
        }
    }
    Ok(())
}

/// Shares by (address, subset), summed, and drops by (address, reason).
type Outcome = (BTreeMap<(String, Option<String>), f64>, BTreeSet<String>);

/// Under RANDOM, Envoy draws one random value for the priority and the host
/// (`random_lb.cc`: `peekAnotherHost`/`chooseHostOnce` use the same `seed`), so which host of a
/// health class gets the remainder of `value % hosts` depends on the hosts' order in the
/// priority: the EDS order. There the invariant holds for the sum over each locality, priority
/// and health class, which is what the order cannot change.
fn outcome(e: &Explanation) -> Outcome {
    let random = e.lb_policy == meshlb::LbPolicy::Random;
    let mut shares = BTreeMap::new();
    for ep in &e.endpoints {
        let key = if random {
            format!(
                "{} p{} {:?}",
                ep.locality,
                ep.priority,
                ep.health.availability()
            )
        } else {
            ep.address.clone()
        };
        *shares.entry((key, ep.subset.clone())).or_insert(0.0) += ep.share;
    }
    let drops = e
        .dropped
        .iter()
        .map(|d| format!("{} {:?}", d.address, d.reason))
        .collect();
    (shares, drops)
}

fn order_does_not_matter(mesh: &Mesh, e: &Explanation) -> Result<(), String> {
    let (shares, drops) = outcome(e);
    for shuffle in 1..=2 {
        let other = mesh.shuffled(mesh.seed ^ shuffle);
        let (_, f) = explain(&other);
        if f.status != e.status {
            return Err(format!(
                "shuffled: status {:?}, was {:?}",
                f.status, e.status
            ));
        }
        let (s, d) = outcome(&f);
        if d != drops {
            return Err(format!("shuffled: drops {d:?}, were {drops:?}"));
        }
        if s.keys().ne(shares.keys())
            || s.iter()
                .zip(&shares)
                .any(|((_, a), (_, b))| (a - b).abs() > 1e-12)
        {
            return Err(format!("shuffled: shares {s:?}, were {shares:?}"));
        }
    }
    Ok(())
}

fn simulation_follows_the_shares(
    mesh: &Mesh,
    plan: &MeshPlan,
    e: &Explanation,
) -> Result<(), String> {
    if e.status != Status::Routed {
        return Ok(());
    }
    let n = 40_000_u64;
    let sim = plan.simulate(n, mesh.seed);
    let mut explained: BTreeMap<(String, u16), f64> = BTreeMap::new();
    for ep in &e.endpoints {
        *explained
            .entry((ep.address.clone(), ep.port))
            .or_insert(0.0) += ep.share;
    }
    let mut observed: BTreeMap<(String, u16), f64> = BTreeMap::new();
    for s in &sim.endpoints {
        *observed.entry((s.address.clone(), s.port)).or_insert(0.0) += s.count as f64 / n as f64;
    }
    for (key, &share) in &explained {
        let got = observed.get(key).copied().unwrap_or(0.0);
        let sigma = (share * (1.0 - share) / n as f64).sqrt();
        if (got - share).abs() > 5.0 * sigma + 1e-3 {
            return Err(format!("{key:?}: simulated {got}, explained {share}"));
        }
    }
    for (key, &got) in &observed {
        if got > 0.0 && !explained.contains_key(key) {
            return Err(format!("{key:?} simulated {got} but not explained"));
        }
    }
    Ok(())
}

fn check(seed: u64) -> Result<(), String> {
    let mesh = Mesh::generate(seed);
    let (plan, e) = explain(&mesh);
    let checks: [(&str, Result<(), String>); 7] = [
        ("1 shares", shares_sum_to_the_routed_fraction(&mesh, &e)),
        ("2 gateways", no_direct_endpoint_across_a_gateway(&mesh, &e)),
        ("3 discovery", nothing_undiscovered_is_reachable(&mesh, &e)),
        (
            "4 spill-over",
            no_spill_over_while_a_higher_priority_is_healthy(&e),
        ),
        ("5 accounted", every_workload_is_accounted_for(&mesh, &e)),
        ("6 order", order_does_not_matter(&mesh, &e)),
        (
            "7 simulation",
            simulation_follows_the_shares(&mesh, &plan, &e),
        ),
    ];
    for (name, result) in checks {
        result.map_err(|m| format!("invariant {name}, seed {seed}: {m}\n{}", mesh.yaml()))?;
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500)
}

#[test]
fn invariants_hold_on_generated_meshes() {
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    };
    let mut runner = TestRunner::new(Config {
        rng_seed: RngSeed::Fixed(15),
        ..config
    });
    let result = runner.run(&any::<u64>(), |seed| {
        check(seed).map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The generator covers what the invariants are about: across the first 200 seeds there are
/// gateways and networks without them, remotes, undiscovered clusters, subsets, every locality
/// setting, and both routed and unrouted requests.
#[test]
fn the_generator_covers_its_dimensions() {
    let meshes: Vec<Mesh> = (0..200).map(Mesh::generate).collect();
    let any = |f: &dyn Fn(&Mesh) -> bool| meshes.iter().any(f);
    assert!(any(&|m| m.networks.iter().any(|n| n.gateway.is_some())));
    assert!(any(
        &|m| m.networks.len() > 1 && m.networks.iter().any(|n| n.gateway.is_none())
    ));
    assert!(any(&|m| m
        .clusters
        .iter()
        .any(|c| c.control_plane.is_some())));
    assert!(any(&|m| (0..m.clusters.len()).any(|c| !m.discovers(c))));
    assert!(any(&|m| m.split.is_some()));
    for setting in [
        meshlb_tests::meshgen::LocalitySetting::Default,
        meshlb_tests::meshgen::LocalitySetting::Disabled,
        meshlb_tests::meshgen::LocalitySetting::Failover,
        meshlb_tests::meshgen::LocalitySetting::Distribute,
    ] {
        assert!(any(&|m| m.destination_rule && m.locality == setting));
    }
    assert!(any(&|m| m.workloads.iter().any(|w| w.proxyless)));
    assert!(any(&|m| m.workloads.iter().any(|w| w.terminating)));
    let statuses: BTreeSet<String> = meshes
        .iter()
        .take(60)
        .map(|m| format!("{:?}", explain(m).1.status))
        .collect();
    assert!(statuses.contains("Routed"), "{statuses:?}");
    assert!(statuses.len() > 1, "{statuses:?}");
}

/// Seeds of the scenarios the cross-build test (`cargo xtask test-cross`) sends through every
/// build.
const CROSS_SEEDS: std::ops::Range<u64> = 0..24;

/// The generated scenarios of the cross-build test: each parses and plans, and generation is
/// deterministic (a seed is the same mesh twice). With `MESHLB_CROSS_DIR` set, they are written
/// there as `gen-NN.yaml` for `tests/cross/cross.test.mjs`.
#[test]
fn cross_build_scenarios() {
    let dir = std::env::var_os("MESHLB_CROSS_DIR").map(std::path::PathBuf::from);
    if let Some(dir) = &dir {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    for seed in CROSS_SEEDS {
        let mesh = Mesh::generate(seed);
        assert_eq!(mesh, Mesh::generate(seed), "seed {seed}");
        let _ = explain(&mesh);
        if let Some(dir) = &dir {
            let path = dir.join(format!("gen-{seed:02}.yaml"));
            std::fs::write(&path, mesh.yaml())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}
