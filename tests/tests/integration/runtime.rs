//! The runtime ([`meshlb::Balancer`]): batches of changes re-plan once, a request's ticket
//! finishes the right request across re-plans, and least request with requests that take time
//! behaves as the power of two choices predicts.
//!
//! Theory (core `traffic` module docs): with `n` endpoints of equal weight and LEAST_REQUEST's
//! `choice_count` c = 2 (Envoy's default), each request samples c endpoints uniformly with
//! replacement and takes the one with the fewest requests in flight (envoy
//! `least_request_lb.cc`; Mitzenmacher, "The Power of Two Choices in Randomized Load
//! Balancing", IEEE TPDS 2001). An endpoint whose latency is longer holds more requests and
//! loses comparisons. At light load the samples tie at zero and shares are the weight shares;
//! as load grows the slow endpoint's share falls, toward the share that equalises the requests
//! in flight, `(1/L_slow) / Σ (1/L_j)`, but never below `(1/n)^c`: an endpoint busier than every
//! other is still taken when every sample is it. Policies that ignore load keep their shares.

use meshlb::{
    Balancer, Change, ChangeError, Endpoint, HealthStatus, LbConfig, LbPolicy, LoadAssignment,
    Locality, LocalityEndpoints, Plan, Request, SeededRng, Simulation, Traffic, simulate_traffic,
};
use meshlb_tests::{assert_valid, meshlb, schema, workspace_root};

fn group(zone: &str, priority: u32, addresses: &[&str]) -> LocalityEndpoints {
    LocalityEndpoints {
        locality: Locality::new("region", zone, ""),
        weight: None,
        priority,
        endpoints: addresses.iter().map(|a| Endpoint::new(a, 8080)).collect(),
    }
}

/// Zone a (P0) with four endpoints, zone b (P1) with two.
fn two_zones(policy: LbPolicy) -> Plan {
    let assignment = LoadAssignment {
        localities: vec![
            group("a", 0, &["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]),
            group("b", 1, &["10.0.1.1", "10.0.1.2"]),
        ],
        ..LoadAssignment::default()
    };
    let config = LbConfig {
        policy,
        ..LbConfig::default()
    };
    Plan::build(&assignment, &config).expect("plan")
}

fn zone_a_fails() -> Vec<Change> {
    ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]
        .iter()
        .map(|a| Change::health(a, 8080, HealthStatus::Unhealthy))
        .collect()
}

#[test]
fn a_batch_of_a_localitys_endpoints_replans_once() {
    for policy in [
        LbPolicy::RoundRobin,
        LbPolicy::LeastRequest,
        LbPolicy::Maglev,
    ] {
        let mut rng = SeededRng::new(1);
        let mut batched = Balancer::from_plan(two_zones(policy), &mut rng);
        let applied = batched.apply(&zone_a_fails()).expect("applies");
        assert_eq!(applied.changed, 4, "{policy}");
        assert!(applied.rejected.is_empty());
        assert_eq!(batched.replans(), 1, "{policy}: one batch, one re-plan");
        assert_eq!(batched.plan().expect("envoy").generation(), 1, "{policy}");

        // The same changes one by one: four re-plans, the same plan.
        let mut single = Balancer::from_plan(two_zones(policy), &mut rng);
        for change in zone_a_fails() {
            single.apply(&[change]).expect("applies");
        }
        assert_eq!(single.replans(), 4, "{policy}");
        assert_eq!(single.plan().expect("envoy").generation(), 4);
        assert_eq!(batched.explain(), single.explain(), "{policy}");
        // And the plan a rebuild gives: zone a down, so P1 takes everything.
        let shares = batched.plan().expect("envoy").shares();
        assert_eq!(shares[..4], [0.0; 4]);
        assert!(
            shares[4..].iter().all(|s| (s - 0.5).abs() < 1e-4),
            "{shares:?}"
        );

        // Applying it again changes nothing and re-plans nothing.
        let again = batched.apply(&zone_a_fails()).expect("applies");
        assert_eq!((again.changed, batched.replans()), (0, 1));
    }
}

#[test]
fn a_batch_of_a_scenarios_workloads_replans_once() {
    let text = std::fs::read_to_string(workspace_root().join("examples/locality-failover.yaml"))
        .expect("example");
    let loaded =
        meshlb_formats::load("locality-failover.yaml", &text, &Default::default()).expect("loads");
    let mut balancer = meshlb_formats::Balancer::new(loaded, 3);
    let region1: Vec<Change> = balancer
        .scenario()
        .expect("scenario")
        .workloads
        .iter()
        .filter(|w| w.locality.region() == "region1")
        .map(|w| Change::health(&w.address, w.port, HealthStatus::Unhealthy))
        .collect();
    assert!(region1.len() >= 2, "region1 has several workloads");
    let applied = balancer.apply(&region1).expect("applies");
    assert_eq!(applied.changed, region1.len());
    assert_eq!(balancer.core().replans(), 1, "one batch, one re-plan");
    // Traffic fails over out of region1 (the example's DestinationRule: region1 -> region2).
    for _ in 0..200 {
        let picked = balancer.pick(None).expect("routed");
        assert!(picked.locality.starts_with("region2"), "{picked:?}");
    }
}

#[test]
fn rejected_changes_are_named_and_the_others_apply() {
    let mut rng = SeededRng::new(1);
    let mut balancer = Balancer::from_plan(two_zones(LbPolicy::RoundRobin), &mut rng);
    let applied = balancer
        .apply(&[
            Change::health("10.9.9.9", 1, HealthStatus::Healthy),
            Change::weight("10.0.0.1", 8080, 0),
            Change::weight("10.0.0.2", 8080, 3),
            Change::weight("10.0.0.3", 8080, u32::MAX),
        ])
        .expect("applies");
    assert_eq!(applied.changed, 1);
    let messages: Vec<(usize, String)> = applied
        .rejected
        .iter()
        .map(|(i, e)| (*i, e.to_string()))
        .collect();
    assert_eq!(messages[0], (0, "no endpoint 10.9.9.9:1".to_string()));
    assert_eq!(
        messages[1],
        (1, "10.0.0.1:8080: weight must be at least 1".to_string())
    );
    assert_eq!(messages[2].0, 3);
    assert!(messages[2].1.starts_with("10.0.0.3:8080: "), "{messages:?}");
    assert_eq!(balancer.replans(), 1);

    // Adding an endpoint that is there already; a workload to Envoy input.
    let applied = balancer
        .apply(&[Change::add_endpoint(
            Endpoint::new("10.0.0.1", 8080),
            Locality::new("region", "a", ""),
            0,
        )])
        .expect("applies");
    assert!(matches!(
        applied.rejected[..],
        [(0, ChangeError::Duplicate { .. })]
    ));
    assert_eq!(balancer.replans(), 1, "nothing changed, nothing re-planned");
}

#[test]
fn adding_and_removing_endpoints_replans_once_and_explains_as_a_rebuild() {
    let mut rng = SeededRng::new(1);
    let mut balancer = Balancer::from_plan(two_zones(LbPolicy::RoundRobin), &mut rng);
    let applied = balancer
        .apply(&[
            Change::remove("10.0.0.4", 8080),
            Change::add_endpoint(
                Endpoint::new("10.0.2.1", 8080).with_weight(2),
                Locality::new("region", "c", ""),
                1,
            ),
            Change::health("10.0.0.3", 8080, HealthStatus::Unhealthy),
        ])
        .expect("applies");
    assert_eq!((applied.changed, balancer.replans()), (3, 1));
    let mut expected = LoadAssignment {
        localities: vec![
            group("a", 0, &["10.0.0.1", "10.0.0.2", "10.0.0.3"]),
            group("b", 1, &["10.0.1.1", "10.0.1.2"]),
            group("c", 1, &["10.0.2.1"]),
        ],
        ..LoadAssignment::default()
    };
    expected.localities[0].endpoints[2].health = HealthStatus::Unhealthy;
    expected.localities[2].endpoints[0].weight = 2;
    let rebuilt = Plan::build(&expected, &LbConfig::default()).expect("plan");
    assert_eq!(balancer.explain(), rebuilt.explain());
    // Picks reach the new endpoint and never the removed one.
    let mut seen_new = false;
    for _ in 0..400 {
        let picked = balancer
            .pick_and_finish(&mut rng, Request::default())
            .expect("routed");
        let address = &balancer.explain().endpoints[picked.index()].address;
        assert_ne!(address, "10.0.0.4");
        seen_new |= address == "10.0.2.1";
    }
    assert!(seen_new);
}

/// A request of no duration (`pick_and_finish`) is [`Balancer::pick`] then
/// [`Balancer::finish`]: the same endpoints as that pair under LEAST_REQUEST, whose choices
/// read the counts, and every count left as it was (the requests held open stay counted, the
/// others never show; finishing its spent ticket changes nothing).
#[test]
fn a_pick_and_finish_is_a_pick_then_its_finish() {
    let mut pairs = Balancer::from_plan(two_zones(LbPolicy::LeastRequest), &mut SeededRng::new(9));
    let mut at_once = pairs.clone();
    let (mut rng_pairs, mut rng_at_once) = (SeededRng::new(10), SeededRng::new(10));
    // Two requests held open on each side: least request avoids their endpoints.
    let held: Vec<_> = (0..2)
        .map(|_| {
            pairs
                .pick(&mut rng_pairs, Request::default())
                .expect("routed")
        })
        .collect();
    for _ in 0..2 {
        at_once
            .pick(&mut rng_at_once, Request::default())
            .expect("routed");
    }
    for _ in 0..200 {
        let picked = pairs
            .pick(&mut rng_pairs, Request::default())
            .expect("routed");
        pairs.finish(picked);
        let once = at_once
            .pick_and_finish(&mut rng_at_once, Request::default())
            .expect("routed");
        assert_eq!(once.index(), picked.index());
        // Spent: finishing it again takes nothing off a held request's count.
        at_once.finish(once);
    }
    let counts = |b: &Balancer| -> Vec<u32> {
        (0..b.explain().endpoints.len())
            .map(|i| b.active_requests(i))
            .collect()
    };
    let mut expected = vec![0; pairs.explain().endpoints.len()];
    for p in &held {
        expected[p.index()] += 1;
    }
    assert_eq!(counts(&pairs), expected);
    assert_eq!(counts(&at_once), expected);
}

/// Requests in flight follow their endpoint across re-plans: counts carry over by endpoint,
/// and a ticket from before an update finishes the request it stands for. An endpoint removed
/// with requests in flight takes them along; added back, it starts with none (a new host in
/// Envoy).
#[test]
fn tickets_finish_the_right_request_across_replans() {
    let mut rng = SeededRng::new(4);
    let plan = two_zones(LbPolicy::LeastRequest);
    let mut balancer = Balancer::from_plan(plan, &mut rng);
    let index_of = |b: &Balancer, address: &str| {
        b.explain()
            .endpoints
            .iter()
            .position(|e| e.address == address)
    };
    let open: Vec<_> = (0..40)
        .map(|_| balancer.pick(&mut rng, Request::default()).expect("routed"))
        .collect();
    let count_on =
        |b: &Balancer, address: &str| index_of(b, address).map_or(0, |i| b.active_requests(i));
    let on = |address: &str| {
        open.iter()
            .filter(|p| balancer.explain().endpoints[p.index()].address == address)
            .count() as u32
    };
    let before: Vec<(String, u32)> = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]
        .iter()
        .map(|a| (a.to_string(), on(a)))
        .collect();
    for (address, n) in &before {
        assert_eq!(count_on(&balancer, address), *n, "{address}");
        assert!(*n > 0);
    }
    // Remove 10.0.0.1 (renumbering the others), then add it back.
    balancer
        .apply(&[Change::remove("10.0.0.1", 8080)])
        .expect("applies");
    for (address, n) in &before[1..] {
        assert_eq!(
            count_on(&balancer, address),
            *n,
            "{address} after the removal"
        );
    }
    balancer
        .apply(&[Change::add_endpoint(
            Endpoint::new("10.0.0.1", 8080),
            Locality::new("region", "a", ""),
            0,
        )])
        .expect("applies");
    assert_eq!(count_on(&balancer, "10.0.0.1"), 0, "added back: a new host");
    let fresh = balancer.pick(&mut rng, Request::default()).expect("routed");
    let fresh_address = balancer.explain().endpoints[fresh.index()].address.clone();
    // Finishing every old ticket leaves only the fresh request.
    for p in open {
        balancer.finish(p);
    }
    for address in ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"] {
        let expected = u32::from(address == fresh_address);
        assert_eq!(count_on(&balancer, address), expected, "{address}");
    }
    balancer.finish(fresh);
    assert_eq!(count_on(&balancer, &fresh_address), 0);
}

// ---------------------------------------------------------------------------------------------
// Least request with requests that take time

/// Four endpoints of weight 1, the last one `slow` ms, the others 10 ms.
fn four(policy: LbPolicy, slow_ms: f64, weights: [u32; 4]) -> (Balancer, SeededRng, Traffic) {
    let assignment = LoadAssignment {
        localities: vec![LocalityEndpoints {
            endpoints: (1..=4)
                .zip(weights)
                .map(|(i, w)| Endpoint::new(&format!("10.4.0.{i}"), 8080).with_weight(w))
                .collect(),
            ..LocalityEndpoints::default()
        }],
        ..LoadAssignment::default()
    };
    let config = LbConfig {
        policy,
        ..LbConfig::default()
    };
    let mut rng = SeededRng::new(11);
    let balancer = Balancer::from_plan(Plan::build(&assignment, &config).expect("plan"), &mut rng);
    let traffic = Traffic::new(1.0, vec![10.0, 10.0, 10.0, slow_ms]).expect("traffic");
    (balancer, rng, traffic)
}

fn run(policy: LbPolicy, slow_ms: f64, rate: f64, requests: u64) -> Simulation {
    let (mut balancer, mut rng, traffic) = four(policy, slow_ms, [1; 4]);
    let traffic =
        Traffic::new(rate, (0..4).map(|i| traffic.latency_ms(i)).collect()).expect("traffic");
    let s = simulate_traffic(&mut balancer, &mut rng, &traffic, requests, 11);
    for i in 0..4 {
        assert_eq!(balancer.active_requests(i), 0, "every request finished");
    }
    s
}

/// `|observed - share| <= 3σ + 1/N` for every endpoint (binomial σ).
fn within_three_sigma(s: &Simulation, what: &str) {
    let n = s.requests as f64;
    for e in &s.endpoints {
        let sigma = (e.share * (1.0 - e.share) / n).sqrt();
        assert!(
            (e.observed - e.share).abs() <= 3.0 * sigma + 1.0 / n,
            "{what}: {}:{} observed {} explained {}",
            e.address,
            e.port,
            e.observed,
            e.share
        );
    }
}

#[test]
fn least_request_sends_a_slow_endpoint_less_than_its_share_as_p2c_predicts() {
    // Heavy load: 100k requests/s, ~250 requests in flight per fast endpoint.
    for (slow, limit) in [
        // 10x slower: equalising in flight would need 1/31 of requests, below the (1/4)^2
        // floor: the slow endpoint is taken only when both samples are it.
        (100.0, (1.0_f64 / 4.0).powi(2)),
        // 2x slower: (1/20) / (3/10 + 1/20) = 1/7, above the floor.
        (20.0, (1.0 / 20.0) / (3.0 / 10.0 + 1.0 / 20.0)),
    ] {
        let s = run(LbPolicy::LeastRequest, slow, 100_000.0, 200_000);
        let slow_share = s.endpoints[3].observed;
        assert!(
            (slow_share - limit).abs() < 0.01,
            "latency {slow} ms: the slow endpoint got {slow_share}, theory {limit}"
        );
        // The others share the rest evenly.
        for e in &s.endpoints[..3] {
            assert!(
                (e.observed - (1.0 - slow_share) / 3.0).abs() < 0.01,
                "{e:?}"
            );
        }
        assert!(
            s.endpoints[3].mean_active.expect("timed") > s.endpoints[0].mean_active.expect("timed")
        );
    }
    // The share falls as the load grows, from the weight share at light load.
    let shares: Vec<f64> = [1.0, 100.0, 1_000.0, 10_000.0]
        .iter()
        .map(|&rate| run(LbPolicy::LeastRequest, 100.0, rate, 40_000).endpoints[3].observed)
        .collect();
    assert!((shares[0] - 0.25).abs() < 0.015, "light load: {shares:?}");
    for pair in shares.windows(2) {
        assert!(pair[1] < pair[0] + 0.005, "{shares:?}");
    }
    assert!(shares[3] < 0.1, "{shares:?}");
}

#[test]
fn least_request_with_equal_latency_keeps_the_explained_shares() {
    for rate in [100.0, 10_000.0] {
        let s = run(LbPolicy::LeastRequest, 10.0, rate, 40_000);
        within_three_sigma(&s, &format!("rate {rate}"));
        for e in &s.endpoints {
            assert_eq!(e.share, 0.25);
        }
    }
}

#[test]
fn policies_that_ignore_load_keep_their_shares_whatever_the_latency() {
    for policy in [LbPolicy::RoundRobin, LbPolicy::Random, LbPolicy::Maglev] {
        let s = run(policy, 100.0, 10_000.0, 40_000);
        within_three_sigma(&s, &policy.to_string());
    }
}

#[test]
fn weighted_least_request_divides_a_slow_endpoints_weight_by_its_requests_in_flight() {
    // Weights 1, 1, 1, 3: the slow endpoint's explained share is 1/2. EDF over
    // weight / (active + 1) (active_request_bias 1) gives it less under load.
    let (mut balancer, mut rng, _) = four(LbPolicy::LeastRequest, 100.0, [1, 1, 1, 3]);
    let traffic = Traffic::new(10_000.0, vec![10.0, 10.0, 10.0, 100.0]).expect("traffic");
    let s = simulate_traffic(&mut balancer, &mut rng, &traffic, 40_000, 5);
    assert_eq!(s.endpoints[3].share, 0.5);
    assert!(s.endpoints[3].observed < 0.25, "{:?}", s.endpoints[3]);
}

#[test]
fn meshlb_simulate_models_latency() {
    let path = workspace_root().join("examples/envoy/least-request.json");
    let file = path.to_str().expect("utf-8 path");
    let args = [
        "simulate",
        file,
        "--latency",
        "10.4.0.4:8080=100",
        "--rate",
        "20000",
        "-n",
        "100000",
        "--format",
        "json",
    ];
    let run = meshlb(&args);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_valid(
        &schema("simulate.schema.json"),
        &value,
        "simulate --latency",
    );
    let slow = &value["endpoints"][3];
    assert_eq!(slow["latency_ms"], 100.0);
    assert!(slow["observed"].as_f64().expect("observed") < 0.1, "{slow}");
    assert_eq!(value["traffic"]["rate"], 20000.0);
    // Deterministic: the same flags, the same output.
    assert_eq!(meshlb(&args).stdout, run.stdout);
    // Without the new flags the output has none of the new fields.
    let plain = meshlb(&["simulate", file, "--format", "json"]);
    assert!(!plain.stdout.contains("latency_ms") && !plain.stdout.contains("traffic"));
    // Text: the latency and in-flight columns.
    let text = meshlb(&["simulate", file, "--mean-latency", "5"]);
    assert_eq!(text.status, 0, "{}", text.stderr);
    assert!(text.stdout.contains("in flight"), "{}", text.stdout);

    for (flag, value, message) in [
        (
            "--latency",
            "10.9.9.9:1=5",
            "no endpoint 10.9.9.9:1 in the explanation",
        ),
        ("--latency", "10.4.0.4=5", "expected ADDRESS:PORT=MS"),
        ("--latency", "10.4.0.4:8080=-1", "is not a latency"),
    ] {
        let r = meshlb(&["simulate", file, flag, value]);
        assert_eq!(r.status, 2, "{flag} {value}");
        assert!(r.stderr.contains(message), "{flag} {value}: {}", r.stderr);
    }
    for (flag, value) in [("--rate", "0"), ("--mean-latency", "-3"), ("--rate", "inf")] {
        let r = meshlb(&["simulate", file, flag, value]);
        assert_eq!(r.status, 2, "{flag} {value}: {}", r.stderr);
    }
}

#[test]
fn a_batch_that_makes_the_scenario_invalid_changes_nothing() {
    let text = std::fs::read_to_string(workspace_root().join("examples/locality-failover.yaml"))
        .expect("example");
    let loaded =
        meshlb_formats::load("locality-failover.yaml", &text, &Default::default()).expect("loads");
    let mut balancer = meshlb_formats::Balancer::new(loaded, 3);
    let before = balancer.scenario().expect("scenario").clone();
    let explained = balancer.explain().clone();
    let mut stray = before.workloads[0].clone();
    stray.address = "10.99.0.1".into();
    stray.cluster = "no-such-cluster".into();
    let first = &before.workloads[0];
    let e = balancer
        .apply(&[
            Change::health(&first.address, first.port, HealthStatus::Unhealthy),
            Change::add_workload(stray),
        ])
        .expect_err("an unknown cluster");
    assert!(e.contains("no-such-cluster"), "{e}");
    assert_eq!(balancer.scenario(), Some(&before));
    assert_eq!(balancer.explain(), &explained);
    assert_eq!(balancer.core().replans(), 0);
    // Removing a workload is a change like the others.
    balancer
        .apply(&[Change::remove(&first.address, first.port)])
        .expect("applies");
    assert!(
        balancer
            .explain()
            .endpoints
            .iter()
            .all(|e| e.address != first.address)
    );
    assert_eq!(balancer.core().replans(), 1);
}
