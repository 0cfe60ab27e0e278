//! Envoy's reference vectors through the core API.
//!
//! - `vectors/envoy-priority.json`: per-priority host counts → health, degraded availability,
//!   healthy and degraded load, panic (Envoy's docs tables and `load_balancer_impl_base_test.cc`).
//! - `vectors/envoy-locality-weight.json`: locality X (partly healthy) and Y → each locality's
//!   exact share under locality-weighted LB (`LocalityWrr::effectiveLocalityWeight`).
//! - The unit-test rows of shared/research/envoy.md §1c that the JSON leaves out (T6, T8, T10,
//!   T16, T17, T20–T22, T24, T28, T29), the `distributeLoad` source-comment example, Envoy's
//!   Maglev doc example (weights 1 : 2 in 65537 slots) and the ring-size example (3 hosts, minimum
//!   ring 1024 → 1026 entries).
//!
//! The files are read at run time; expected values come from Envoy, never from meshlb.

use meshlb::{
    Endpoint, HealthStatus, LbConfig, LbPolicy, LoadAssignment, Locality, LocalityEndpoints,
    MaglevConfig, NoteCode, Picker, Plan, Request, RingHashConfig, SeededRng,
};
use serde_json::Value;

/// Host counts of one priority: `hosts` endpoints, the first `healthy` HEALTHY, the next
/// `degraded` DEGRADED, the rest UNHEALTHY.
#[derive(Debug, Clone, Copy)]
struct Counts {
    hosts: u32,
    healthy: u32,
    degraded: u32,
}

const fn counts(hosts: u32, healthy: u32, degraded: u32) -> Counts {
    Counts {
        hosts,
        healthy,
        degraded,
    }
}

/// The health of endpoint `i` of a group described by `c`.
fn health_at(c: Counts, i: u32) -> HealthStatus {
    if i < c.healthy {
        HealthStatus::Healthy
    } else if i < c.healthy + c.degraded {
        HealthStatus::Degraded
    } else {
        HealthStatus::Unhealthy
    }
}

/// One locality group at `priority` holding the endpoints `c` describes, with unique addresses
/// `10.<group>.<i / 250>.<i % 250>`.
fn group(group_index: u32, priority: u32, weight: Option<u32>, c: Counts) -> LocalityEndpoints {
    assert!(c.healthy + c.degraded <= c.hosts, "bad counts {c:?}");
    LocalityEndpoints {
        locality: Locality::new("region", &format!("zone-{group_index}"), ""),
        weight,
        priority,
        endpoints: (0..c.hosts)
            .map(|i| {
                Endpoint::new(&format!("10.{group_index}.{}.{}", i / 250, i % 250), 8080)
                    .with_health(health_at(c, i))
            })
            .collect(),
    }
}

/// An assignment with one locality group per priority.
fn by_priority(priorities: &[Counts], overprovisioning_factor: u32) -> LoadAssignment {
    LoadAssignment {
        localities: priorities
            .iter()
            .enumerate()
            .map(|(p, &c)| group(p as u32, p as u32, None, c))
            .collect(),
        overprovisioning_factor,
        ..LoadAssignment::default()
    }
}

fn config(panic_threshold: f64) -> LbConfig {
    LbConfig {
        healthy_panic_threshold: panic_threshold,
        ..LbConfig::default()
    }
}

/// What a vector (or a hand-written row) expects; `None` fields are not checked.
#[derive(Debug, Default)]
struct Expect {
    health: Option<Vec<u32>>,
    degraded: Option<Vec<u32>>,
    healthy_load: Option<Vec<u32>>,
    degraded_load: Option<Vec<u32>>,
    panic: Option<Vec<bool>>,
}

/// Asserts every expected field against the plan's priorities; `id` names the case.
fn check_priorities(id: &str, plan: &Plan, expect: &Expect) {
    let states = plan.priorities();
    let field = |f: fn(&meshlb::PriorityState) -> u32| states.iter().map(f).collect::<Vec<u32>>();
    if let Some(health) = &expect.health {
        assert_eq!(&field(|s| s.health), health, "{id}: health");
    }
    if let Some(degraded) = &expect.degraded {
        assert_eq!(&field(|s| s.degraded), degraded, "{id}: degraded");
    }
    if let Some(load) = &expect.healthy_load {
        assert_eq!(&field(|s| s.healthy_load), load, "{id}: healthy_load");
    }
    if let Some(load) = &expect.degraded_load {
        assert_eq!(&field(|s| s.degraded_load), load, "{id}: degraded_load");
    }
    if let Some(panic) = &expect.panic {
        let got: Vec<bool> = states.iter().map(|s| s.panic).collect();
        assert_eq!(&got, panic, "{id}: panic");
    }
    // Envoy's invariant: the loads always add up to 100.
    let total: u32 = states
        .iter()
        .map(|s| s.healthy_load + s.degraded_load)
        .sum();
    assert_eq!(total, 100, "{id}: loads add up to 100");
}

fn read_json(name: &str) -> Value {
    let path = meshlb_tests::vector_path(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn as_u32(v: &Value, what: &str) -> u32 {
    v.as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or_else(|| panic!("{what}: not a u32: {v}"))
}

fn u32_list(v: Option<&Value>, what: &str) -> Option<Vec<u32>> {
    v.map(|v| {
        v.as_array()
            .unwrap_or_else(|| panic!("{what}: not an array"))
            .iter()
            .map(|x| as_u32(x, what))
            .collect()
    })
}

#[test]
fn envoy_priority_vectors() {
    let file = read_json("envoy-priority.json");
    let defaults = &file["defaults"];
    let default_of = as_u32(
        &defaults["overprovisioning_factor"],
        "defaults.overprovisioning_factor",
    );
    let default_threshold = defaults["panic_threshold"]
        .as_f64()
        .expect("defaults.panic_threshold");
    assert_eq!(
        (default_of, default_threshold),
        (140, 50.0),
        "Envoy's defaults"
    );
    let vectors = file["vectors"].as_array().expect("vectors");
    let mut checked = 0;
    for v in vectors {
        let id = v["id"].as_str().expect("id");
        let priorities: Vec<Counts> = v["priorities"]
            .as_array()
            .unwrap_or_else(|| panic!("{id}: priorities"))
            .iter()
            .map(|p| {
                let get = |k: &str| p.get(k).map_or(0, |x| as_u32(x, id));
                counts(get("hosts"), get("healthy"), get("degraded"))
            })
            .collect();
        let of = v
            .get("overprovisioning_factor")
            .map_or(default_of, |x| as_u32(x, id));
        let threshold = v
            .get("panic_threshold")
            .map_or(default_threshold, |x| x.as_f64().expect("threshold"));
        let plan = Plan::build(&by_priority(&priorities, of), &config(threshold))
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        let e = &v["expect"];
        let expect = Expect {
            health: u32_list(e.get("health"), id),
            degraded: u32_list(e.get("degraded"), id),
            healthy_load: u32_list(e.get("healthy_load"), id),
            degraded_load: u32_list(e.get("degraded_load"), id),
            panic: e.get("panic").map(|p| {
                p.as_array()
                    .expect("panic")
                    .iter()
                    .map(|b| b.as_bool().expect("bool"))
                    .collect()
            }),
        };
        assert!(
            expect.health.is_some() || expect.healthy_load.is_some() || expect.panic.is_some(),
            "{id}: expects nothing"
        );
        check_priorities(id, &plan, &expect);
        checked += 1;
    }
    assert!(
        checked > 30,
        "only {checked} priority vectors: the file lost its vectors?"
    );
}

#[test]
fn envoy_locality_weight_vectors() {
    let file = read_json("envoy-locality-weight.json");
    let vectors = file["vectors"].as_array().expect("vectors");
    let mut checked = 0;
    for v in vectors {
        let id = v["id"].as_str().expect("id");
        let localities = v["localities"].as_array().expect("localities");
        assert_eq!(localities.len(), 2, "{id}: X and Y");
        let groups: Vec<LocalityEndpoints> = localities
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let c = counts(as_u32(&l["hosts"], id), as_u32(&l["healthy"], id), 0);
                let mut g = group(i as u32, 0, Some(as_u32(&l["weight"], id)), c);
                g.locality = Locality::new("region", l["name"].as_str().expect("name"), "");
                g
            })
            .collect();
        let assignment = LoadAssignment {
            localities: groups,
            ..LoadAssignment::default()
        };
        let config = LbConfig {
            locality_weighted: true,
            ..LbConfig::default()
        };
        let plan = Plan::build(&assignment, &config).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert!(
            !plan.priorities()[0].panic,
            "{id}: the vectors assume no panic"
        );
        let shares = plan.shares();
        let expect = v["expect_exact"].as_array().expect("expect_exact");
        for (i, l) in localities.iter().enumerate() {
            let name = l["name"].as_str().expect("name");
            let group = plan
                .localities()
                .iter()
                .find(|g| g.locality.zone() == name)
                .expect("group");
            let total: f64 = group.hosts.clone().map(|h| shares[h as usize]).sum();
            let want = expect[i].as_f64().expect("number");
            assert!(
                (total - want).abs() < 1e-9,
                "{id}: locality {name} share {total}, Envoy {want}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} locality vectors");
}

/// An assignment with one group per priority from explicit (weight, health) endpoints.
fn weighted(priorities: &[&[(u32, HealthStatus)]], overprovisioning_factor: u32) -> LoadAssignment {
    LoadAssignment {
        localities: priorities
            .iter()
            .enumerate()
            .map(|(p, endpoints)| LocalityEndpoints {
                locality: Locality::new("region", &format!("zone-{p}"), ""),
                weight: None,
                priority: p as u32,
                endpoints: endpoints
                    .iter()
                    .enumerate()
                    .map(|(i, &(w, h))| {
                        Endpoint::new(&format!("10.{p}.0.{i}"), 8080)
                            .with_weight(w)
                            .with_health(h)
                    })
                    .collect(),
            })
            .collect(),
        overprovisioning_factor,
        weighted_priority_health: true,
        ..LoadAssignment::default()
    }
}

/// envoy.md §1c T6: `weighted_priority_health`, OF 100; P0 weights 3, 3 healthy and 2, 2
/// unhealthy (health 100 × 6 / 10 = 60), P1 one healthy host → 60 / 40.
#[test]
fn unit_t6_weighted_priority_health() {
    use HealthStatus::{Healthy, Unhealthy};
    let assignment = weighted(
        &[
            &[(3, Healthy), (3, Healthy), (2, Unhealthy), (2, Unhealthy)],
            &[(1, Healthy)],
        ],
        100,
    );
    let plan = Plan::build(&assignment, &LbConfig::default()).expect("plan");
    let expect = Expect {
        health: Some(vec![60, 100]),
        healthy_load: Some(vec![60, 40]),
        degraded_load: Some(vec![0, 0]),
        ..Expect::default()
    };
    check_priorities("T6", &plan, &expect);
}

/// envoy.md §1c T7: `weighted_priority_health`, OF 100; P0 w4 healthy, w10 excluded (a
/// DRAINING host: `EDS_STATUS_DRAINING` excludes it), w6 unhealthy; P1 one healthy host.
/// Health leaves the excluded weight out: 100 × 4 / (20 − 10) = 40 → loads 40 / 60.
#[test]
fn unit_t7_excluded_hosts_leave_the_weighted_health() {
    use HealthStatus::{Draining, Healthy, Unhealthy};
    let assignment = weighted(
        &[
            &[(4, Healthy), (10, Draining), (6, Unhealthy)],
            &[(1, Healthy)],
        ],
        100,
    );
    let plan = Plan::build(&assignment, &LbConfig::default()).expect("plan");
    let expect = Expect {
        health: Some(vec![40, 100]),
        healthy_load: Some(vec![40, 60]),
        ..Expect::default()
    };
    check_priorities("T7", &plan, &expect);
}

/// envoy.md §1c T13–T15: excluded (DRAINING) hosts leave the count health and panic use, but
/// total panic shares load by all hosts, excluded ones included.
#[test]
fn unit_t13_t15_excluded_hosts() {
    use HealthStatus::{Draining, Healthy, Unhealthy};
    // (healthy, unhealthy, excluded) per priority.
    let build = |priorities: &[(usize, usize, usize)]| {
        let rows: Vec<Vec<(u32, HealthStatus)>> = priorities
            .iter()
            .map(|&(h, u, x)| {
                let mut row = vec![(1, Healthy); h];
                row.extend(vec![(1, Unhealthy); u]);
                row.extend(vec![(1, Draining); x]);
                row
            })
            .collect();
        let refs: Vec<&[(u32, HealthStatus)]> = rows.iter().map(Vec::as_slice).collect();
        let mut assignment = weighted(&refs, 140);
        assignment.weighted_priority_health = false;
        Plan::build(&assignment, &LbConfig::default()).expect("plan")
    };
    // T13: P0 4 hosts, 1 healthy, 3 excluded -> 140 × 1 / 1 -> 100; P1 (5, 1) -> loads 100 / 0.
    let plan = build(&[(1, 0, 3), (1, 4, 0)]);
    check_priorities(
        "T13",
        &plan,
        &Expect {
            health: Some(vec![100, 28]),
            healthy_load: Some(vec![100, 0]),
            panic: Some(vec![false, false]),
            ..Expect::default()
        },
    );
    // T14: P0 4 hosts all excluded (health 0), P1 (4, 1) -> 35; both below 50 %: total panic,
    // load by host count with the excluded hosts counted: 4 / 8 and 4 / 8.
    let plan = build(&[(0, 0, 4), (1, 3, 0)]);
    check_priorities(
        "T14",
        &plan,
        &Expect {
            healthy_load: Some(vec![50, 50]),
            panic: Some(vec![true, true]),
            ..Expect::default()
        },
    );
    assert!(plan.total_panic());
    // T15: P0 4 hosts, 1 excluded, none healthy; P1 6 hosts, 1 healthy, 2 excluded -> health
    // 0 and 140 × 1 / 4 = 35; total panic: 4 / 10 and 6 / 10.
    let plan = build(&[(0, 3, 1), (1, 3, 2)]);
    check_priorities(
        "T15",
        &plan,
        &Expect {
            health: Some(vec![0, 35]),
            healthy_load: Some(vec![40, 60]),
            panic: Some(vec![true, true]),
            ..Expect::default()
        },
    );
}

/// envoy.md §1c T8: `weighted_priority_health`, OF 100; P0 w4 healthy, w3 degraded, w2 and w1
/// unhealthy (health 40, degraded 30); P1 w1 healthy, w9 degraded (health 10, degraded 90);
/// healthy 40 + 10, then degraded 30 + min(20, 90).
#[test]
fn unit_t8_weighted_priority_health_with_degraded() {
    use HealthStatus::{Degraded, Healthy, Unhealthy};
    let assignment = weighted(
        &[
            &[(4, Healthy), (3, Degraded), (2, Unhealthy), (1, Unhealthy)],
            &[(1, Healthy), (9, Degraded)],
        ],
        100,
    );
    let plan = Plan::build(&assignment, &LbConfig::default()).expect("plan");
    let expect = Expect {
        health: Some(vec![40, 10]),
        degraded: Some(vec![30, 90]),
        healthy_load: Some(vec![40, 10]),
        degraded_load: Some(vec![30, 20]),
        ..Expect::default()
    };
    check_priorities("T8", &plan, &expect);
}

/// Availability 0 without total panic (found by the plan fuzz target). Envoy's
/// `recalculatePerPriorityState` returns before distributing load when the normalised total
/// availability is 0, and `recalculatePerPriorityPanic` assigns load only in total panic or
/// with the threshold at 0; so when a priority's health rounds to 0 while its host counts keep
/// it out of panic, every load stays 0 and `choosePriority` falls through to P0 healthy
/// (`IS_ENVOY_BUG("unexpected load error")`, load_balancer_impl.cc). Derived by hand:
/// - (a) OF 1 %, one healthy of two: health 1 × 1 / 2 = 0, counts 50 % (not below 50): P0
///   healthy takes every request, and only its healthy host is picked;
/// - (b) weighted priority health, OF 140, weights 20 healthy and 284 unhealthy: health
///   140 × 20 / 304 = 9, so availability is 9 and the usual rules apply (no fallback); with
///   weight 2,900 unhealthy: 140 × 20 / 2,920 = 0, counts 50 %: the fallback again;
/// - (c) P0 two unhealthy hosts (in panic), P1 as (a): not every priority is in panic, so no
///   total panic; the fallback sends everything to P0, which is in panic and balances over its
///   two unhealthy hosts (1/2 each) while P1's healthy host gets nothing.
#[test]
fn no_priority_load_falls_back_to_p0_healthy() {
    use HealthStatus::{Healthy, Unhealthy};
    let shares_and_picks = |assignment: &LoadAssignment| {
        let plan = Plan::build(assignment, &LbConfig::default()).expect("plan");
        let mut rng = SeededRng::new(7);
        let mut picker = Picker::new(&plan, &mut rng);
        let mut picked = vec![0_u32; plan.hosts().len()];
        for _ in 0..1_000 {
            let host = picker.pick(&plan, &mut rng, Request::default());
            picked[host.expect("a host").index()] += 1;
        }
        (plan.shares(), picked, plan)
    };

    let mut a = weighted(&[&[(1, Healthy), (1, Unhealthy)]], 1);
    a.weighted_priority_health = false;
    let (shares, picked, plan) = shares_and_picks(&a);
    check_priorities(
        "a",
        &plan,
        &Expect {
            health: Some(vec![0]),
            healthy_load: Some(vec![100]),
            panic: Some(vec![false]),
            ..Expect::default()
        },
    );
    assert_eq!(plan.normalized_total_availability(), 0);
    assert!(plan.priority_fallback() && !plan.total_panic());
    assert_eq!((shares, picked), (vec![1.0, 0.0], vec![1_000, 0]));
    let explained = plan.explain();
    assert_eq!(explained.notes_of(NoteCode::PriorityFallback).count(), 1);

    let b = weighted(&[&[(20, Healthy), (284, Unhealthy)]], 140);
    let (_, _, plan) = shares_and_picks(&b);
    assert_eq!(plan.priorities()[0].health, 9);
    assert!(!plan.priority_fallback());
    assert_eq!(
        plan.explain().notes_of(NoteCode::PriorityFallback).count(),
        0
    );
    let b = weighted(&[&[(20, Healthy), (2_900, Unhealthy)]], 140);
    let (shares, picked, plan) = shares_and_picks(&b);
    assert_eq!(plan.priorities()[0].health, 0);
    assert!(plan.priority_fallback() && !plan.total_panic());
    assert_eq!((shares, picked), (vec![1.0, 0.0], vec![1_000, 0]));

    let mut c = weighted(
        &[
            &[(1, Unhealthy), (1, Unhealthy)],
            &[(1, Healthy), (1, Unhealthy)],
        ],
        1,
    );
    c.weighted_priority_health = false;
    let (shares, picked, plan) = shares_and_picks(&c);
    check_priorities(
        "c",
        &plan,
        &Expect {
            health: Some(vec![0, 0]),
            healthy_load: Some(vec![100, 0]),
            panic: Some(vec![true, false]),
            ..Expect::default()
        },
    );
    assert!(plan.priority_fallback() && !plan.total_panic());
    assert_eq!(shares, vec![0.5, 0.5, 0.0, 0.0]);
    assert_eq!(picked, vec![500, 500, 0, 0]);
}

/// Rows of envoy.md §1c (`load_balancer_impl_base_test.cc`) not in the JSON file, with the
/// values of that table. Rows with excluded hosts (T7, T13–T15) cannot be modelled.
#[test]
fn unit_rows_not_in_the_json() {
    let t = true;
    let f = false;
    #[allow(clippy::type_complexity)]
    let rows: &[(&str, &[Counts], f64, &[u32], &[u32], Option<&[bool]>)] = &[
        (
            "T10",
            &[counts(2, 1, 0), counts(2, 1, 0)],
            50.0,
            &[70, 30],
            &[0, 0],
            Some(&[f, f]),
        ),
        (
            "T16",
            &[counts(2, 1, 0), counts(2, 1, 0), counts(2, 1, 0)],
            50.0,
            &[70, 30, 0],
            &[0, 0, 0],
            None,
        ),
        (
            "T17",
            &[counts(4, 1, 0), counts(2, 2, 0), counts(2, 1, 0)],
            50.0,
            &[35, 65, 0],
            &[0, 0, 0],
            None,
        ),
        (
            "T20",
            &[counts(5, 0, 0), counts(5, 0, 0), counts(5, 5, 0)],
            50.0,
            &[0, 0, 100],
            &[0, 0, 0],
            Some(&[f, f, f]),
        ),
        (
            "T21",
            &[counts(5, 0, 0), counts(5, 0, 0), counts(5, 4, 0)],
            50.0,
            &[0, 0, 100],
            &[0, 0, 0],
            Some(&[f, f, f]),
        ),
        (
            "T22",
            &[counts(5, 0, 0), counts(5, 0, 0), counts(5, 2, 0)],
            50.0,
            &[34, 33, 33],
            &[0, 0, 0],
            Some(&[t, t, t]),
        ),
        (
            "T24",
            &[counts(5, 0, 0), counts(3, 0, 0), counts(2, 0, 0)],
            50.0,
            &[50, 30, 20],
            &[0, 0, 0],
            Some(&[t, t, t]),
        ),
        (
            "T28",
            &[counts(5, 0, 0), counts(5, 0, 2), counts(5, 0, 1)],
            50.0,
            &[34, 33, 33],
            &[0, 0, 0],
            None,
        ),
        (
            "T29",
            &[counts(3, 0, 0), counts(3, 0, 0), counts(3, 0, 0)],
            50.0,
            &[34, 33, 33],
            &[0, 0, 0],
            Some(&[t, t, t]),
        ),
    ];
    for &(id, priorities, threshold, healthy_load, degraded_load, panic) in rows {
        let plan = Plan::build(&by_priority(priorities, 140), &config(threshold)).expect("plan");
        let expect = Expect {
            healthy_load: Some(healthy_load.to_vec()),
            degraded_load: Some(degraded_load.to_vec()),
            panic: panic.map(<[bool]>::to_vec),
            ..Expect::default()
        };
        check_priorities(id, &plan, &expect);
    }
}

/// The example in the comment above Envoy's `recalculatePerPriorityState`: health
/// {10, 20, 10} and degraded {20, 10, 0} give healthy load 16 / 28 / 14 and degraded load
/// 28 / 14 / 0 (nta 70; 14 + 28 + 14 + 28 + 14 = 98, the 2 left go to P0's healthy load).
///
/// With OF 140 and 14 hosts per priority: 140 × 1 / 14 = 10, 140 × 2 / 14 = 20, so P0 is
/// 1 healthy + 2 degraded, P1 2 healthy + 1 degraded, P2 1 healthy. Every priority is below
/// 50 % available, so with the default threshold all would be in panic (total panic, load by
/// host count); the comment is about `distributeLoad` alone, so panic is disabled (threshold 0).
#[test]
fn distribute_load_source_comment_example() {
    let priorities = [counts(14, 1, 2), counts(14, 2, 1), counts(14, 1, 0)];
    let plan = Plan::build(&by_priority(&priorities, 140), &config(0.0)).expect("plan");
    let expect = Expect {
        health: Some(vec![10, 20, 10]),
        degraded: Some(vec![20, 10, 0]),
        healthy_load: Some(vec![16, 28, 14]),
        degraded_load: Some(vec![28, 14, 0]),
        panic: Some(vec![false, false, false]),
    };
    check_priorities("source comment", &plan, &expect);
    assert_eq!(plan.normalized_total_availability(), 70);
}

fn all_healthy(weights: &[u32]) -> LoadAssignment {
    LoadAssignment {
        localities: vec![LocalityEndpoints {
            locality: Locality::new("region", "zone", ""),
            weight: None,
            priority: 0,
            endpoints: weights
                .iter()
                .enumerate()
                .map(|(i, &w)| Endpoint::new(&format!("10.0.0.{}", i + 1), 8080).with_weight(w))
                .collect(),
        }],
        ..LoadAssignment::default()
    }
}

/// Envoy's Maglev doc (load_balancers.rst): "host A weight 1 and host B weight 2 → host A will
/// have 21,846 entries and host B will have 43,691 entries (totaling 65,537 entries)".
#[test]
fn maglev_doc_weights_one_and_two() {
    let config = LbConfig {
        policy: LbPolicy::Maglev,
        maglev: MaglevConfig { table_size: 65_537 },
        ..LbConfig::default()
    };
    let plan = Plan::build(&all_healthy(&[1, 2]), &config).expect("plan");
    let table = plan.table(0).expect("a table for P0");
    assert_eq!(table.len(), 65_537);
    let mut slots = [0_u32; 2];
    for hash in 0..65_537 {
        let host = table.lookup(hash).expect("every slot is filled");
        slots[host.index()] += 1;
    }
    assert_eq!(slots, [21_846, 43_691]);
    // The explained shares are the same counts over the table size.
    let shares = plan.shares();
    assert!(
        (shares[0] - 21_846.0 / 65_537.0).abs() < 1e-12,
        "{shares:?}"
    );
    assert!(
        (shares[1] - 43_691.0 / 65_537.0).abs() < 1e-12,
        "{shares:?}"
    );
}

/// Envoy's `MaglevLoadBalancerTest.Basic` (`test/extensions/load_balancing_policies/maglev/
/// maglev_lb_test.cc`): hosts `127.0.0.1:90` to `:95`, all healthy, table size 7; hash `i`
/// takes slot `i`, and the slots hold hosts `{2, 4, 0, 1, 5, 0, 3}`. Envoy's test then picks
/// with hashes 0 to 20, three times round the table (`i % 7`): so does a picker, whose MAGLEV
/// fast path reduces the hash itself.
#[test]
fn maglev_envoy_basic_table_of_seven() {
    let config = LbConfig {
        policy: LbPolicy::Maglev,
        maglev: MaglevConfig { table_size: 7 },
        ..LbConfig::default()
    };
    let assignment = LoadAssignment {
        localities: vec![LocalityEndpoints {
            endpoints: (90..96)
                .map(|port| Endpoint::new("127.0.0.1", port))
                .collect(),
            ..LocalityEndpoints::default()
        }],
        ..LoadAssignment::default()
    };
    let plan = Plan::build(&assignment, &config).expect("plan");
    let table = plan.table(0).expect("a table for P0");
    let hosts: Vec<usize> = (0..7)
        .map(|hash| table.lookup(hash).expect("a filled slot").index())
        .collect();
    assert_eq!(hosts, [2, 4, 0, 1, 5, 0, 3]);
    let mut rng = SeededRng::new(1);
    let mut picker = Picker::new(&plan, &mut rng);
    for hash in 0..21_u64 {
        let host = picker.pick(&plan, &mut rng, Request::with_hash(hash));
        assert_eq!(
            host.map(|h| h.index()),
            Some(hosts[hash as usize % 7]),
            "hash {hash}"
        );
    }
    // The largest hashes too: `u64::MAX % 7` is 1 (2^64 ≡ 2 mod 7), `(u64::MAX - 1) % 7` is 0.
    for (hash, slot) in [(u64::MAX, 1), (u64::MAX - 1, 0)] {
        let host = picker.pick(&plan, &mut rng, Request::with_hash(hash));
        assert_eq!(host.map(|h| h.index()), Some(hosts[slot]), "hash {hash}");
    }
}

/// envoy.md §10 G: minimum ring 1024 and 3 equal hosts → scale = ceil(1/3 × 1024) / (1/3) =
/// 342 × 3 = 1026 entries, 342 per host.
#[test]
fn ring_hash_three_hosts_minimum_1024() {
    let config = LbConfig {
        policy: LbPolicy::RingHash,
        ring_hash: RingHashConfig {
            minimum_ring_size: 1024,
            ..RingHashConfig::default()
        },
        ..LbConfig::default()
    };
    let plan = Plan::build(&all_healthy(&[1, 1, 1]), &config).expect("plan");
    let table = plan.table(0).expect("a ring for P0");
    assert_eq!(table.len(), 1026);
    let meshlb::HashTable::Ring(ring) = table else {
        panic!("not a ring: {table:?}")
    };
    for host in 0..3 {
        assert_eq!(
            ring.iter().filter(|&&(_, h)| h == host).count(),
            342,
            "host {host}"
        );
    }
    let total: f64 = plan.shares().iter().sum();
    assert!((total - 1.0).abs() < 1e-9);
}
