//! meshlb-pingora's selection, alone and inside pingora's `LoadBalancer`. Expected shares are
//! derived by hand from Envoy's rules (overprovisioning factor 140 %).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use meshlb::{HealthStatus, LbConfig, LbPolicy, Locality};
use meshlb_pingora::{Meshlb, Placement, backend};
use pingora_load_balancing::selection::{BackendIter, BackendSelection};
use pingora_load_balancing::{Backends, LoadBalancer, discovery};

/// P0 zone a: 10.0.0.1 (healthy), 10.0.0.2 (UNHEALTHY in EDS); P1 zone b: 10.0.1.1, 10.0.1.2.
fn backends() -> BTreeSet<pingora_load_balancing::Backend> {
    let placed = |address: &str, zone: &str, priority: u32, health: HealthStatus| {
        let placement = Placement {
            locality: Locality::new("r", zone, ""),
            priority,
            health,
        };
        backend(address, 1, placement).expect("address")
    };
    [
        placed("10.0.0.1:80", "a", 0, HealthStatus::Healthy),
        placed("10.0.0.2:80", "a", 0, HealthStatus::Unhealthy),
        placed("10.0.1.1:80", "b", 1, HealthStatus::Healthy),
        placed("10.0.1.2:80", "b", 1, HealthStatus::Healthy),
    ]
    .into_iter()
    .collect()
}

/// Within 3σ of the binomial: |count − n·p| ≤ 3·sqrt(n·p·(1−p)).
fn assert_share(counts: &BTreeMap<String, u64>, address: &str, n: u64, p: f64) {
    let got = counts.get(address).copied().unwrap_or(0) as f64;
    let sigma = (n as f64 * p * (1.0 - p)).sqrt();
    assert!(
        (got - n as f64 * p).abs() <= 3.0 * sigma,
        "{address}: {got} of {n}, expected {:.0} ± {:.0} ({counts:?})",
        n as f64 * p,
        3.0 * sigma
    );
}

#[test]
fn first_picks_spill_over_as_envoy() {
    // Seeded: the same draws at every run (a selection's default seed is its id, which
    // depends on how many selections the other tests built first).
    let selection = Arc::new(Meshlb::with_seed(&backends(), &LbConfig::default(), 7));
    // P0: 1 of 2 healthy, health min(100, 140 × 1/2) = 70: 70 % to 10.0.0.1, 15 % to each of P1's.
    let n = 10_000;
    let mut counts = BTreeMap::new();
    for _ in 0..n {
        let mut iter = selection.iter(b"");
        let first = iter.next().expect("a backend").addr.to_string();
        *counts.entry(first).or_insert(0) += 1;
    }
    assert_share(&counts, "10.0.0.1:80", n, 0.70);
    assert_share(&counts, "10.0.1.1:80", n, 0.15);
    assert_share(&counts, "10.0.1.2:80", n, 0.15);
    assert_eq!(counts.get("10.0.0.2:80"), None);
}

#[test]
fn a_seeded_selection_repeats_its_draws_and_threads_draw_apart() {
    let config = LbConfig {
        policy: LbPolicy::Random,
        ..LbConfig::default()
    };
    let firsts = |selection: &Arc<Meshlb>| -> Vec<String> {
        (0..64)
            .map(|_| {
                let mut iter = selection.iter(b"");
                iter.next().expect("a backend").addr.to_string()
            })
            .collect()
    };
    // Two selections of one seed, each the first on this thread: the same draws.
    let a = Arc::new(Meshlb::with_seed(&four("10.0.0"), &config, 11));
    let b = Arc::new(Meshlb::with_seed(&four("10.0.0"), &config, 11));
    let on_this_thread = firsts(&a);
    assert_eq!(on_this_thread, firsts(&b));
    // RANDOM over four: 64 picks from one backend would be a 4^-63 chance.
    assert!(on_this_thread.iter().any(|x| x != &on_this_thread[0]));
    // A second thread on `a` is its second: another generator, other draws.
    let on_another = std::thread::scope(|s| s.spawn(|| firsts(&a)).join().expect("thread"));
    assert_ne!(on_this_thread, on_another);
}

#[test]
fn fallbacks_follow_failover_order() {
    let selection = Arc::new(Meshlb::build(&backends()));
    // Whatever the pick, the fallbacks are the other available hosts by priority, then the
    // EDS-unhealthy one; each backend once.
    for _ in 0..50 {
        let mut iter = selection.iter(b"");
        let mut order = Vec::new();
        while let Some(b) = iter.next() {
            order.push(b.addr.to_string());
        }
        assert_eq!(order.len(), 4, "{order:?}");
        assert_eq!(
            order.last().map(String::as_str),
            Some("10.0.0.2:80"),
            "{order:?}"
        );
        if order[0] == "10.0.0.1:80" {
            let mut p1 = order[1..3].to_vec();
            p1.sort();
            assert_eq!(p1, ["10.0.1.1:80", "10.0.1.2:80"]);
        } else {
            // A P1 pick: the other P1 host, then P0's available one.
            assert!(order[1].starts_with("10.0.1."), "{order:?}");
            assert_eq!(order[2], "10.0.0.1:80");
        }
    }
}

#[tokio::test]
async fn inside_pingoras_load_balancer_a_down_backend_fails_over() {
    let lb =
        LoadBalancer::<Meshlb>::from_backends(Backends::new(discovery::Static::new(backends())));
    lb.update().await.expect("update");
    // pingora's own health check finds 10.0.0.1 down (the accept predicate): every request goes
    // to P1, the failover priority.
    let mut counts = BTreeMap::new();
    for _ in 0..1_000 {
        let chosen = lb
            .select_with(b"", 8, |b, _| b.addr.to_string() != "10.0.0.1:80")
            .expect("a backend");
        *counts.entry(chosen.addr.to_string()).or_insert(0_u64) += 1;
    }
    assert_eq!(
        counts.keys().collect::<Vec<_>>(),
        ["10.0.1.1:80", "10.0.1.2:80"]
    );
}

#[test]
fn ring_hash_keys_are_stable() {
    let config = LbConfig {
        policy: LbPolicy::RingHash,
        ..LbConfig::default()
    };
    let selection = Arc::new(Meshlb::build_with_config(&backends(), &config));
    let mut seen = BTreeSet::new();
    for key in 0..100_u32 {
        let key = key.to_le_bytes();
        let first = selection
            .iter(&key)
            .next()
            .expect("a backend")
            .addr
            .to_string();
        for _ in 0..3 {
            assert_eq!(
                selection
                    .iter(&key)
                    .next()
                    .expect("a backend")
                    .addr
                    .to_string(),
                first
            );
        }
        seen.insert(first);
    }
    assert!(seen.len() > 1, "{seen:?}");
}

/// Four healthy backends `prefix.1` … `prefix.4`, port 80, in one zone.
fn four(prefix: &str) -> BTreeSet<pingora_load_balancing::Backend> {
    (1..=4)
        .map(|i| {
            let placement = Placement {
                locality: Locality::new("r", "a", ""),
                ..Placement::default()
            };
            backend(&format!("{prefix}.{i}:80"), 1, placement).expect("address")
        })
        .collect()
}

#[test]
fn selections_used_in_turn_on_one_thread_keep_their_own_pickers() {
    // A proxy with two upstreams: two selections, asked in turn on the same worker thread.
    // Round robin over four equal backends: each gets exactly a quarter of every 4 × k picks,
    // whatever the other selection did in between.
    let config = LbConfig {
        policy: LbPolicy::RoundRobin,
        ..LbConfig::default()
    };
    let a = Arc::new(Meshlb::build_with_config(&four("10.0.0"), &config));
    let b = Arc::new(Meshlb::build_with_config(&four("10.0.1"), &config));
    let (mut of_a, mut of_b) = (BTreeMap::new(), BTreeMap::new());
    for _ in 0..400 {
        let first = a.iter(b"").next().expect("a backend").addr.to_string();
        *of_a.entry(first).or_insert(0_u32) += 1;
        let first = b.iter(b"").next().expect("a backend").addr.to_string();
        *of_b.entry(first).or_insert(0_u32) += 1;
    }
    for (counts, prefix) in [(&of_a, "10.0.0"), (&of_b, "10.0.1")] {
        let expected: BTreeMap<String, u32> =
            (1..=4).map(|i| (format!("{prefix}.{i}:80"), 100)).collect();
        assert_eq!(counts, &expected);
    }
    // A dropped selection's pickers go; a new one (an update) starts its own.
    drop(a);
    let c = Arc::new(Meshlb::build_with_config(&four("10.0.2"), &config));
    let mut of_c = BTreeMap::new();
    for _ in 0..8 {
        let first = c.iter(b"").next().expect("a backend").addr.to_string();
        *of_c.entry(first).or_insert(0_u32) += 1;
        assert!(b.iter(b"").next().is_some());
    }
    assert!(of_c.values().all(|&n| n == 2), "{of_c:?}");
}

#[test]
fn backends_meshlb_refuses_are_left_out_and_named() {
    let placed = |address: &str, weight: usize, priority: u32| {
        let placement = Placement {
            locality: Locality::new("r", "a", ""),
            priority,
            ..Placement::default()
        };
        backend(address, weight, placement).expect("address")
    };
    // Priority 129 is past Envoy's 128 priorities; 10.0.0.2 is listed with two weights.
    let set: BTreeSet<_> = [
        placed("10.0.0.1:80", 1, 0),
        placed("10.0.0.9:80", 1, 129),
        placed("10.0.0.2:80", 1, 0),
        placed("10.0.0.2:80", 5, 0),
    ]
    .into_iter()
    .collect();
    let selection = Arc::new(Meshlb::build(&set));
    let error = selection.error().expect("named");
    assert!(error.contains("10.0.0.9:80"), "{error}");
    assert!(
        error.contains("10.0.0.2:80: listed again with weight 5"),
        "{error}"
    );
    // The rest is planned: round robin over 10.0.0.1 and 10.0.0.2 (weight 1), half each.
    let mut counts = BTreeMap::new();
    for _ in 0..10 {
        let first = selection
            .iter(b"")
            .next()
            .expect("a backend")
            .addr
            .to_string();
        *counts.entry(first).or_insert(0_u32) += 1;
    }
    let expected = BTreeMap::from([("10.0.0.1:80".to_owned(), 5), ("10.0.0.2:80".to_owned(), 5)]);
    assert_eq!(counts, expected);
}
