//! A pick after an update allocates nothing (DESIGN: "a pick allocates nothing"), counted by a
//! global allocator: [`meshlb::Balancer::apply`] resynchronises the pickers, and a [`Picker`]
//! handed an updated plan resynchronises in its first pick into the buffers it sized when it
//! first saw the plan's shape.
//!
//! Runs without the test harness (`harness = false`): one thread, so every allocation counted
//! is the code under test's.

use std::alloc::System;

use meshlb::{
    Balancer, Change, Endpoint, HealthStatus, HostUpdate, LbConfig, LbPolicy, LoadAssignment,
    Locality, LocalityEndpoints, Picker, Plan, Request, SeededRng,
};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Allocations (and reallocations) made by `f`.
fn allocations<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let region = Region::new(GLOBAL);
    let out = f();
    let change = region.change();
    (change.allocations + change.reallocations, out)
}

/// Three localities in two priorities, weights 1 or 2, every host healthy.
fn assignment() -> LoadAssignment {
    let group = |zone: &str, priority: u32, first: u8, weight: Option<u32>| LocalityEndpoints {
        locality: Locality::new("region", zone, ""),
        weight,
        priority,
        endpoints: (0_u32..4)
            .map(|i| Endpoint::new(&format!("10.0.{first}.{i}"), 8080).with_weight(1 + i % 2))
            .collect(),
    };
    LoadAssignment {
        localities: vec![
            group("a", 0, 0, Some(1)),
            group("b", 0, 1, Some(2)),
            group("c", 1, 2, Some(1)),
        ],
        ..LoadAssignment::default()
    }
}

fn configs() -> Vec<(String, LbConfig)> {
    let mut out = Vec::new();
    for policy in [
        LbPolicy::RoundRobin,
        LbPolicy::LeastRequest,
        LbPolicy::Random,
        LbPolicy::RingHash,
        LbPolicy::Maglev,
    ] {
        for locality_weighted in [false, true] {
            out.push((
                format!("{policy} locality_weighted={locality_weighted}"),
                LbConfig {
                    policy,
                    locality_weighted,
                    ..LbConfig::default()
                },
            ));
        }
    }
    out
}

/// A batch touching one locality's hosts: two fail, one gets weight 5 (the locality's weights
/// become unequal or more so), then a later batch brings them back with equal weights.
fn failing() -> Vec<Change> {
    vec![
        Change::health("10.0.0.0", 8080, HealthStatus::Unhealthy),
        Change::health("10.0.0.1", 8080, HealthStatus::Degraded),
        Change::weight("10.0.0.2", 8080, 5),
        Change::weight("10.0.1.1", 8080, 1),
    ]
}

fn recovering() -> Vec<Change> {
    vec![
        Change::health("10.0.0.0", 8080, HealthStatus::Healthy),
        Change::health("10.0.0.1", 8080, HealthStatus::Healthy),
        Change::weight("10.0.0.2", 8080, 1),
        Change::weight("10.0.0.3", 8080, 1),
    ]
}

fn check(what: &str, counted: usize, failures: &mut Vec<String>) {
    if counted != 0 {
        failures.push(format!("{what}: {counted} allocations"));
    }
}

/// The balancer: picks (and finishes) after each batch, and after a batch that adds and
/// removes endpoints.
fn balancer_picks(failures: &mut Vec<String>) -> usize {
    let mut checks = 0;
    for (name, config) in configs() {
        let plan = Plan::build(&assignment(), &config).expect("plan");
        let mut rng = SeededRng::new(3);
        let mut balancer = Balancer::from_plan(plan, &mut rng);
        let batches = [
            failing(),
            recovering(),
            vec![
                Change::remove("10.0.2.3", 8080),
                Change::add_endpoint(
                    Endpoint::new("10.0.3.1", 8080),
                    Locality::new("region", "d", ""),
                    1,
                ),
            ],
            failing(),
        ];
        for (b, batch) in batches.iter().enumerate() {
            // Requests in flight across the update.
            let open: Vec<_> = (0..5)
                .filter_map(|_| balancer.pick(&mut rng, Request::default()))
                .collect();
            balancer.apply(batch).expect("batch applies");
            let (counted, picked) = allocations(|| {
                let mut last = None;
                for _ in 0..200 {
                    let p = balancer.pick(&mut rng, Request::default());
                    if let Some(p) = p {
                        balancer.finish(p);
                    }
                    last = last.or(p);
                }
                for p in &open {
                    balancer.finish(*p);
                }
                last
            });
            assert!(picked.is_some(), "{name}: batch {b}: nothing picked");
            check(&format!("{name}: picks after batch {b}"), counted, failures);
            checks += 1;
        }
    }
    checks
}

/// A picker over a plan updated in place: its first pick resynchronises without allocating.
fn picker_resyncs(failures: &mut Vec<String>) -> usize {
    let mut checks = 0;
    for (name, config) in configs() {
        let mut plan = Plan::build(&assignment(), &config).expect("plan");
        let mut rng = SeededRng::new(5);
        let mut picker = Picker::new(&plan, &mut rng);
        for round in 0..4_u32 {
            let host = plan.find("10.0.0.1", 8080).expect("host");
            let other = plan.find("10.0.1.2", 8080).expect("host");
            let health = if round % 2 == 0 {
                HealthStatus::Unhealthy
            } else {
                HealthStatus::Healthy
            };
            let updates = [
                HostUpdate {
                    host,
                    health: Some(health),
                    weight: Some(1 + round),
                },
                HostUpdate {
                    host: other,
                    health: None,
                    weight: Some(3 + round % 2),
                },
            ];
            let identity = plan.identity();
            // Hash policies rebuild their tables in the update (reusing buffers); the pick is
            // what must not allocate.
            plan.update(&updates, |_, e| panic!("{name}: {e}"));
            assert_ne!(plan.identity(), identity, "{name}: identity unchanged");
            let (counted, ()) = allocations(|| {
                for _ in 0..100 {
                    let host = picker.pick(&plan, &mut rng, Request::default());
                    assert!(host.is_some(), "{name}: no host");
                }
            });
            check(
                &format!("{name}: resync and picks, round {round}"),
                counted,
                failures,
            );
            checks += 1;
        }
    }
    checks
}

/// A scenario: picks after a batch that re-plans the scenario.
fn scenario_picks(failures: &mut Vec<String>) -> usize {
    let path = meshlb_tests::workspace_root().join("examples/locality-failover.yaml");
    let text = std::fs::read_to_string(&path).expect("example");
    let loaded =
        meshlb_formats::load("locality-failover.yaml", &text, &Default::default()).expect("loads");
    let meshlb_formats::Planned::Mesh(plan) = loaded.planned else {
        panic!("a scenario");
    };
    let scenario = *loaded.scenario.expect("scenario");
    let mut rng = SeededRng::new(9);
    let mut balancer = Balancer::from_mesh_plan(scenario, *plan, &mut rng);
    let workloads: Vec<(String, u16)> = balancer
        .scenario()
        .expect("scenario")
        .workloads
        .iter()
        .map(|w| (w.address.clone(), w.port))
        .collect();
    let (address, port) = &workloads[0];
    let mut checks = 0;
    for health in [HealthStatus::Unhealthy, HealthStatus::Healthy] {
        balancer
            .apply(&[Change::health(address, *port, health)])
            .expect("applies");
        let (counted, ()) = allocations(|| {
            for _ in 0..100 {
                let p = balancer.pick(&mut rng, Request::default()).expect("routed");
                balancer.finish(p);
            }
        });
        check(
            &format!("scenario: picks after {health:?}"),
            counted,
            failures,
        );
        checks += 1;
    }
    checks
}

/// `n` endpoints in one locality, endpoint `i` of weight `weight(i)`.
fn one_locality(n: u32, weight: impl Fn(u32) -> u32) -> LoadAssignment {
    LoadAssignment {
        localities: vec![LocalityEndpoints {
            locality: Locality::new("region", "a", ""),
            weight: None,
            priority: 0,
            endpoints: (0..n)
                .map(|i| {
                    Endpoint::new(
                        &format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255),
                        80,
                    )
                    .with_weight(weight(i))
                })
                .collect(),
        }],
        ..LoadAssignment::default()
    }
}

/// Bytes a ROUND_ROBIN or LEAST_REQUEST picker keeps over 10,000 hosts in one locality
/// (without locality-weighted LB), against what its lists and schedulers need, worked out by
/// hand. Every picker keeps a healthy and a degraded list of 4-byte host indices, each
/// reserved for every host of the priority, and a 4-byte request count a host: 12 bytes an
/// endpoint. Over equal weights that is all (no scheduler over hosts is built); 16 allowed
/// (with the schedulers' buffers reserved anyway, the ROUND_ROBIN picker kept 432). Over
/// unequal weights the EDFs of the priority's three lists (all hosts, for panic; healthy;
/// degraded) are reserved for 10,000 entries, a tree of 16,384 leaves each, and the rebuild's
/// scratch (24 bytes an entry and 8 a leaf): LEAST_REQUEST's trees hold 24 bytes a leaf (keys,
/// items, losers), `3 × 16,384 × 24 + 371,072 + 120,000 = 1,670,720`, 167 bytes an endpoint;
/// ROUND_ROBIN's the same and room for 10,000 bursts of entries of one weight (16 bytes each,
/// one an entry at most): `3 × (16,384 × 24 + 10,000 × 16) + 371,072 + 120,000 = 2,150,720`,
/// 215 bytes an endpoint. 175 and 225 allowed (the localities' lists, which only a locality
/// scheduler picks from, took 432 for both; ROUND_ROBIN took 278, 290 allowed, while its
/// fixed weights were kept as one queue per weight with their inverses by leaf).
fn picker_memory(failures: &mut Vec<String>) -> usize {
    let n = 10_000;
    let mut checks = 0;
    for (policy, unequal, most) in [
        (LbPolicy::RoundRobin, false, 16),
        (LbPolicy::LeastRequest, false, 16),
        (LbPolicy::RoundRobin, true, 225),
        (LbPolicy::LeastRequest, true, 175),
    ] {
        let config = LbConfig {
            policy,
            ..LbConfig::default()
        };
        let weight = |i: u32| if unequal { 1 + i % 8 } else { 3 };
        let plan = Plan::build(&one_locality(n, weight), &config).expect("plan");
        let region = Region::new(GLOBAL);
        let picker = Picker::new(&plan, &mut SeededRng::new(1));
        let change = region.change();
        let kept = change
            .bytes_allocated
            .saturating_sub(change.bytes_deallocated);
        if kept > most * n as usize {
            failures.push(format!(
                "{policy} picker over {n} hosts (unequal weights: {unequal}): {kept} bytes \
                 ({} an endpoint, {most} allowed)",
                kept / n as usize
            ));
        }
        drop(picker);
        checks += 1;
    }
    checks
}

/// Weights that become unequal: the first pick after the change sizes the schedulers over
/// hosts for every host of the priority (once), so the picks after health changes allocate
/// nothing, even when the healthy list grows past what it held then: 32 of 64 hosts are down
/// when the weights change, and come back in one batch.
fn weights_become_unequal(failures: &mut Vec<String>) -> usize {
    let mut checks = 0;
    for policy in [LbPolicy::RoundRobin, LbPolicy::LeastRequest] {
        let config = LbConfig {
            policy,
            ..LbConfig::default()
        };
        let mut plan = Plan::build(&one_locality(64, |_| 1), &config).expect("plan");
        let mut rng = SeededRng::new(2);
        let mut picker = Picker::new(&plan, &mut rng);
        let hosts: Vec<_> = (32..64)
            .map(|i| plan.find(&format!("10.0.0.{i}"), 80).expect("host"))
            .collect();
        let batch = |health| -> Vec<HostUpdate> {
            hosts
                .iter()
                .map(|&host| HostUpdate {
                    host,
                    health: Some(health),
                    weight: None,
                })
                .collect()
        };
        plan.update(&batch(HealthStatus::Unhealthy), |_, e| {
            panic!("{policy}: {e}")
        });
        assert!(picker.pick(&plan, &mut rng, Request::default()).is_some());
        let weight = HostUpdate {
            host: plan.find("10.0.0.7", 80).expect("host"),
            health: None,
            weight: Some(4),
        };
        plan.update(&[weight], |_, e| panic!("{policy}: {e}"));
        assert!(picker.pick(&plan, &mut rng, Request::default()).is_some());
        for round in 0..4 {
            let health = if round % 2 == 0 {
                HealthStatus::Healthy
            } else {
                HealthStatus::Unhealthy
            };
            plan.update(&batch(health), |_, e| panic!("{policy}: {e}"));
            let (counted, ()) = allocations(|| {
                for _ in 0..100 {
                    assert!(picker.pick(&plan, &mut rng, Request::default()).is_some());
                }
            });
            check(
                &format!("{policy}: batch {round} after the weights became unequal"),
                counted,
                failures,
            );
            checks += 1;
        }
    }
    checks
}

fn main() {
    let mut failures = Vec::new();
    let checks = balancer_picks(&mut failures)
        + picker_resyncs(&mut failures)
        + scenario_picks(&mut failures)
        + picker_memory(&mut failures)
        + weights_become_unequal(&mut failures);
    // The counter itself works: a Vec allocates.
    let (counted, v) = allocations(|| vec![1_u8; 64]);
    assert!(
        counted >= 1 && v.len() == 64,
        "the counting allocator counts"
    );
    if failures.is_empty() {
        println!("alloc_free: {checks} checks: 1 passed, 0 failed");
    } else {
        for f in &failures {
            eprintln!("alloc_free: {f}");
        }
        eprintln!("alloc_free: 0 passed, 1 failed");
        std::process::exit(1);
    }
}
