//! What-if failures (`--fail`, issue 13): each applied to an example, with the explanation
//! derived by hand from Istio's rules (a failed workload is a not-ready pod,
//! `pilot/pkg/xds/endpoints/endpoint_builder.go`) and Envoy's priority and panic maths
//! (<https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/priority>:
//! priority load = min(100, health% × 1.4), normalised by the total availability). istiod sets
//! the panic threshold to 0 unless `outlierDetection.minHealthPercent` is set, so in scenarios
//! unhealthy endpoints never get traffic.

use std::collections::BTreeMap;

use meshlb_tests::{explain_json, explain_path, meshlb, shares, temp_file, workspace_root};
use serde_json::Value;

fn example(name: &str, extra: &[&str]) -> Value {
    let path = workspace_root().join("examples").join(name);
    explain_path(&path, extra, name)
}

/// Asserts the shares of every endpoint listed (the others, if any, must have share 0).
fn assert_shares(e: &Value, expected: &[(&str, f64)]) {
    let got = shares(e);
    for (key, have) in &got {
        let want = expected
            .iter()
            .find(|(k, _)| k == key)
            .map_or(0.0, |(_, s)| *s);
        assert!(
            (have - want).abs() < 1e-9,
            "{key}: share {have}, expected {want}\n{e:#}"
        );
    }
    for (key, _) in expected {
        assert!(got.contains_key(*key), "no endpoint {key} in {got:?}");
    }
}

fn health(e: &Value, key: &str) -> String {
    e["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .find(|ep| format!("{}:{}", ep["address"].as_str().unwrap_or(""), ep["port"]) == key)
        .map(|ep| ep["health"].as_str().unwrap_or("").to_string())
        .unwrap_or_else(|| panic!("no endpoint {key}"))
}

fn notes(e: &Value) -> Vec<String> {
    e["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .map(|n| n.as_str().expect("note").to_string())
        .collect()
}

fn has_note(e: &Value, part: &str) {
    assert!(
        notes(e).iter().any(|n| n.contains(part)),
        "no note containing {part:?}: {:#?}",
        notes(e)
    );
}

#[test]
fn zone_failure_moves_traffic_to_the_next_priority() {
    // Priorities (examples/locality-failover.yaml): P0 region1/zone1 10.1.0.10, P1 region1/zone2
    // 10.2.0.10, P2 region2/zone3 10.3.0.10 (the failover target), P3 region3/zone4 10.4.0.10.
    let before = example("locality-failover.yaml", &[]);
    assert_shares(&before, &[("10.1.0.10:5000", 1.0)]);
    // zone1 fails: 10.1.0.10 is not ready; Istio 1.31 sends it UNHEALTHY. P0 health 0 % → load
    // 0; P1 health 100 % × 1.4 = 140 → 100: all of it.
    let zone = example("locality-failover.yaml", &["--fail", "zone=region1/zone1"]);
    assert_eq!(zone["status"], "routed");
    assert_eq!(health(&zone, "10.1.0.10:5000"), "UNHEALTHY");
    assert_shares(&zone, &[("10.2.0.10:5000", 1.0)]);
    has_note(
        &zone,
        "--fail zone=region1/zone1: 1 workload marked not ready",
    );
    // region1 fails: P0 and P1 health 0 → P2, the failover region region2, takes 100 %.
    let region = example("locality-failover.yaml", &["--fail", "region=region1"]);
    assert_shares(&region, &[("10.3.0.10:5000", 1.0)]);
    // Both failover targets gone: region3 (P3) takes it.
    let more = example(
        "locality-failover.yaml",
        &["--fail", "region=region1", "--fail", "zone=region2/zone3"],
    );
    assert_shares(&more, &[("10.4.0.10:5000", 1.0)]);
}

const ONE_ZONE: &str = "
istioVersion: '1.30'
clusters: [{ name: c1 }]
services: [{ name: web, namespace: app, clusters: [c1], ports: [80] }]
workloads:
  - { service: web.app, cluster: c1, address: 10.0.0.1, port: 80, locality: r1/z1 }
  - { service: web.app, cluster: c1, address: 10.0.0.2, port: 80, locality: r1/z1 }
client: { cluster: c1, namespace: app, locality: r1/z1 }
request: { host: web.app, port: 80 }
";

#[test]
fn a_zone_failure_can_leave_no_endpoint() {
    // Istio 1.30 does not send not-ready pods: both dropped `not-ready`, nothing left.
    let run = meshlb(&[
        "explain",
        temp_file("one-zone.yaml", ONE_ZONE.as_bytes())
            .to_str()
            .expect("path"),
        "--format",
        "json",
        "--fail",
        "zone=r1/z1",
    ]);
    let e: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(e["status"], "no-endpoints", "{e:#}");
    assert_eq!(e["endpoints"].as_array().map(Vec::len), Some(0));
    let reasons: Vec<&str> = e["dropped"]
        .as_array()
        .expect("dropped")
        .iter()
        .map(|d| d["reason"].as_str().expect("reason"))
        .collect();
    assert_eq!(reasons, ["not-ready", "not-ready"]);
    // Istio 1.31 sends them UNHEALTHY: every host is unhealthy and istiod's panic threshold is
    // 0 (panic off), so nothing can be picked either: Envoy answers 503.
    let v131 = ONE_ZONE.replace("istioVersion: '1.30'", "istioVersion: '1.31'");
    let e = explain_json(
        "one-zone-131.yaml",
        v131.as_bytes(),
        &["--fail", "zone=r1/z1"],
        "1.31",
    );
    assert_eq!(e["status"], "no-endpoints");
    assert_shares(&e, &[("10.0.0.1:80", 0.0), ("10.0.0.2:80", 0.0)]);
    assert_eq!(health(&e, "10.0.0.1:80"), "UNHEALTHY");
}

#[test]
fn blue_green_pairs_do_not_fail_over_to_each_other() {
    // Control planes without remote secrets: blue's client sees only blue's pods, 10.0.1.1 in
    // region1/zone1 and 10.0.1.2 in region1/zone2. zone1 fails: 10.0.1.1 UNHEALTHY, 1 of 2
    // healthy = 50 % × 1.4 = 70, the only priority, normalised to 100 %: 10.0.1.2. Green's
    // pods stay dropped `no-remote-secret`, zone2's green pod included.
    let e = example("blue-green-secrets.yaml", &["--fail", "zone=region1/zone1"]);
    assert_shares(&e, &[("10.0.1.2:8080", 1.0)]);
    let dropped: Vec<String> = e["dropped"]
        .as_array()
        .expect("dropped")
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["address"].as_str().unwrap_or(""),
                d["reason"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        dropped,
        ["10.0.2.1 no-remote-secret", "10.0.2.2 no-remote-secret"]
    );
    // Both of blue's zones fail: all of blue unhealthy, no panic: no endpoint, and green's
    // pods, healthy in green, are still not blue's.
    let e = example(
        "blue-green-secrets.yaml",
        &[
            "--fail",
            "zone=region1/zone1",
            "--fail",
            "zone=region1/zone2",
        ],
    );
    assert_eq!(e["status"], "no-endpoints");
    assert_shares(&e, &[("10.0.1.1:8080", 0.0), ("10.0.1.2:8080", 0.0)]);

    // Subsets: the route sends 90 % to blue, 10 % to green. Green's only pod 10.0.0.3 fails:
    // its subset cluster has no healthy host, so that 10 % gets 503s; route weights are not
    // moved to blue (Envoy's weighted clusters pick the cluster first, then its host).
    let e = example(
        "blue-green-subsets.yaml",
        &["--fail", "endpoint=10.0.0.3:8080"],
    );
    assert_eq!(health(&e, "10.0.0.3:8080"), "UNHEALTHY");
    assert_shares(
        &e,
        &[
            ("10.0.0.1:8080", 0.45),
            ("10.0.0.2:8080", 0.45),
            ("10.0.0.3:8080", 0.0),
        ],
    );
}

#[test]
fn a_remote_whose_control_plane_fails_keeps_its_last_config() {
    // examples/primary-remote.yaml: the client runs in `remote`, configured by `primary`.
    let before = example("primary-remote.yaml", &[]);
    let third = 1.0 / 3.0;
    let expected = [
        ("10.10.0.5:9080", third),
        ("10.20.0.5:9080", third),
        ("10.20.0.6:9080", third),
    ];
    assert_shares(&before, &expected);
    let alone = example("primary-remote.yaml", &["--fail", "control-plane=primary"]);
    assert_shares(&alone, &expected);
    has_note(&alone, "the client keeps working on stale config");
    // The client's own zone fails as well: its proxy does not hear of it.
    let stale = example(
        "primary-remote.yaml",
        &[
            "--fail",
            "control-plane=primary",
            "--fail",
            "zone=eu-west/eu-west-1b",
        ],
    );
    assert_shares(&stale, &expected);
    assert_eq!(health(&stale, "10.20.0.5:9080"), "HEALTHY");
    has_note(
        &stale,
        "not seen by the client's configuration (its control plane is down): zone=eu-west/eu-west-1b",
    );
    has_note(&stale, "outlier detection");
    // The primary cluster fails as a whole: its istiod goes with it, same stale view.
    let cluster = example("primary-remote.yaml", &["--fail", "cluster=primary"]);
    assert_shares(&cluster, &expected);
    // Without the control plane failure, the zone failure is seen: 10.20.0.5 and .6 are not
    // ready (UNHEALTHY), 1 of 3 healthy = 33 % × 1.4 = 47, the only priority, normalised to
    // 100 %: 10.10.0.5 takes everything.
    let seen = example(
        "primary-remote.yaml",
        &["--fail", "zone=eu-west/eu-west-1b"],
    );
    assert_eq!(health(&seen, "10.20.0.5:9080"), "UNHEALTHY");
    assert_shares(&seen, &[("10.10.0.5:9080", 1.0)]);
    // The client's own cluster (a remote) fails: its pods are not ready, the primary's istiod
    // still configures the client and sees it: 10.10.0.5 takes everything, as above.
    let own = example("primary-remote.yaml", &["--fail", "cluster=remote"]);
    assert_shares(&own, &[("10.10.0.5:9080", 1.0)]);
    has_note(
        &own,
        "--fail cluster=remote: the client's own cluster fails",
    );
    // `remote` runs no control plane.
    let run = meshlb(&[
        "explain",
        workspace_root()
            .join("examples/primary-remote.yaml")
            .to_str()
            .expect("path"),
        "--fail",
        "control-plane=remote",
    ]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr
            .contains("--fail control-plane=remote: no such control plane")
            && run.stderr.contains("control planes: primary"),
        "{}",
        run.stderr
    );
}

#[test]
fn failed_gateways_carry_no_traffic() {
    // examples/multi-network.yaml, client in east: 10.1.0.11 and 10.1.0.12 weight 2 each,
    // gateways 192.0.2.20 and 192.0.2.21 weight 3 each, one priority, balanced by weight.
    // Gateway .20 fails: sent UNHEALTHY; 3 of 4 hosts healthy = 75 % × 1.4 → 100;
    // the healthy weights 2 + 2 + 3 = 7 share it.
    let e = example("multi-network.yaml", &["--fail", "gateway=192.0.2.20"]);
    assert_eq!(health(&e, "192.0.2.20:15443"), "UNHEALTHY");
    assert_shares(
        &e,
        &[
            ("10.1.0.11:9080", 2.0 / 7.0),
            ("10.1.0.12:9080", 2.0 / 7.0),
            ("192.0.2.21:15443", 3.0 / 7.0),
        ],
    );
    // net2 fails: both gateways UNHEALTHY (still listed: istiod does not send west's pods
    // directly); 2 of 4 healthy = 50 % × 1.4 = 70, normalised to 100 %: east's two pods, 1/2
    // each.
    let e = example("multi-network.yaml", &["--fail", "network=net2"]);
    assert_eq!(health(&e, "192.0.2.21:15443"), "UNHEALTHY");
    assert_shares(&e, &[("10.1.0.11:9080", 0.5), ("10.1.0.12:9080", 0.5)]);
    assert!(
        !shares(&e).contains_key("10.2.0.21:9080"),
        "west's pods are not sent directly"
    );
    has_note(
        &e,
        "--fail network=net2: its 2 east-west gateways stop carrying traffic",
    );
}

const CLA: &str = r#"{"cluster_name": "web", "endpoints": [
 {"locality": {"region": "r", "zone": "a"}, "lb_endpoints": [
   {"endpoint": {"address": {"socket_address": {"address": "10.0.0.1", "port_value": 80}}}},
   {"endpoint": {"address": {"socket_address": {"address": "10.0.0.2", "port_value": 80}}}}]},
 {"locality": {"region": "r", "zone": "b"}, "lb_endpoints": [
   {"endpoint": {"address": {"socket_address": {"address": "10.0.1.1", "port_value": 80}}}},
   {"endpoint": {"address": {"socket_address": {"address": "10.0.1.2", "port_value": 80}}}}]}]}"#;

#[test]
fn envoy_input_takes_zone_region_and_endpoint_failures() {
    // One priority, four hosts. 10.0.0.1 fails: 3 of 4 healthy, 75 % × 1.4 → 100: 1/3 each.
    let e = explain_json(
        "cla.json",
        CLA.as_bytes(),
        &["--fail", "endpoint=10.0.0.1:80"],
        "cla",
    );
    assert_eq!(health(&e, "10.0.0.1:80"), "UNHEALTHY");
    let third = 1.0 / 3.0;
    assert_shares(
        &e,
        &[
            ("10.0.0.2:80", third),
            ("10.0.1.1:80", third),
            ("10.0.1.2:80", third),
        ],
    );
    has_note(&e, "--fail endpoint=10.0.0.1:80: 1 host marked UNHEALTHY");
    // Zone a fails: 2 of 4 healthy = 50 % (not below Envoy's default 50 % panic threshold),
    // × 1.4 = 70, normalised over the only
    // priority to 100 %: zone b's two hosts, 1/2 each.
    let e = explain_json("cla.json", CLA.as_bytes(), &["--fail", "zone=r/a"], "cla");
    assert_shares(&e, &[("10.0.1.1:80", 0.5), ("10.0.1.2:80", 0.5)]);
    // Scenario-only kinds are errors naming the flag.
    let path = temp_file("cla.json", CLA.as_bytes());
    for (fail, message) in [
        ("cluster=c1", "--fail cluster=c1: applies to scenarios"),
        (
            "zone=r/c",
            "--fail zone=r/c: no host matches; localities: r/a, r/b",
        ),
    ] {
        let run = meshlb(&["explain", path.to_str().expect("path"), "--fail", fail]);
        assert_eq!(run.status, 2, "{fail}");
        assert!(run.stderr.contains(message), "{fail}: {}", run.stderr);
    }
}

#[test]
fn bad_fail_values_are_errors_naming_the_flag() {
    let file = workspace_root().join("examples/locality-failover.yaml");
    let file = file.to_str().expect("path");
    for (fail, message) in [
        (
            "zone=region1",
            "--fail \"zone=region1\": zone=region1: expected zone=REGION/ZONE",
        ),
        (
            "node=n1",
            "--fail \"node=n1\": unknown kind \"node\"; kinds: zone=REGION/ZONE, region=REGION",
        ),
        ("endpoint=10.1.0.10", "expected endpoint=ADDRESS:PORT"),
        (
            "zone=region9/zone1",
            "--fail zone=region9/zone1: no workload matches; zones with workloads: region1/zone1, region1/zone2, region2/zone3, region3/zone4",
        ),
        (
            "cluster=cluster9",
            "--fail cluster=cluster9: no such cluster; clusters: cluster1, cluster2, cluster3, cluster4",
        ),
        (
            "network=net9",
            "--fail network=net9: no such network; networks: none",
        ),
        ("gateway=192.0.2.1", "no east-west gateway has this address"),
        (
            "endpoint=10.9.9.9:5000",
            "no workload matches; workloads: 10.1.0.10:5000",
        ),
    ] {
        for command in ["explain", "simulate", "pick"] {
            let run = meshlb(&[command, file, "--fail", fail]);
            assert_eq!(run.status, 2, "{command} {fail}");
            assert!(
                run.stderr.contains(message),
                "{command} {fail}: {}",
                run.stderr
            );
        }
    }
}

#[test]
fn simulate_and_pick_follow_the_failure() {
    let file = workspace_root().join("examples/locality-failover.yaml");
    let run = meshlb(&[
        "simulate",
        file.to_str().expect("path"),
        "--fail",
        "zone=region1/zone1",
        "--requests",
        "1000",
        "--format",
        "json",
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let s: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let counts: BTreeMap<String, u64> = s["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .map(|e| {
            (
                e["address"].as_str().unwrap_or("").to_string(),
                e["count"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(counts.get("10.2.0.10"), Some(&1000), "{counts:?}");
}

fn diff_json(args: &[&str]) -> Value {
    let mut all = vec!["diff", "--format", "json"];
    all.extend_from_slice(args);
    let run = meshlb(&all);
    assert_eq!(run.status, 0, "{args:?}: {}", run.stderr);
    let d: Value = serde_json::from_str(&run.stdout).expect("diff prints JSON");
    meshlb_tests::assert_valid(&meshlb_tests::schema("diff.schema.json"), &d, "diff");
    d
}

/// (key, before, after, presence) of each row of `d[level]`.
fn rows(d: &Value, level: &str) -> Vec<(String, f64, f64, String)> {
    d[level]
        .as_array()
        .expect(level)
        .iter()
        .map(|r| {
            let delta = r["delta"].as_f64().expect("delta");
            let (b, a) = (
                r["before"].as_f64().expect("before"),
                r["after"].as_f64().expect("after"),
            );
            assert!((a - b - delta).abs() < 1e-12, "delta of {r}");
            (
                r["key"].as_str().expect("key").to_string(),
                (b * 1e9).round() / 1e9,
                (a * 1e9).round() / 1e9,
                r["presence"].as_str().expect("presence").to_string(),
            )
        })
        .collect()
}

fn row(key: &str, before: f64, after: f64, presence: &str) -> (String, f64, f64, String) {
    (key.to_string(), before, after, presence.to_string())
}

#[test]
fn diff_of_a_zone_failure() {
    let file = workspace_root().join("examples/locality-failover.yaml");
    let d = diff_json(&[file.to_str().expect("path"), "--fail", "zone=region1/zone1"]);
    // As zone_failure_moves_traffic_to_the_next_priority: P0's 10.1.0.10 → P1's 10.2.0.10.
    assert_eq!(d["status_before"], "routed");
    assert_eq!(d["status_after"], "routed");
    assert_eq!(
        rows(&d, "endpoints"),
        [
            row("10.1.0.10:5000", 1.0, 0.0, "kept"),
            row("10.2.0.10:5000", 0.0, 1.0, "kept"),
            row("10.3.0.10:5000", 0.0, 0.0, "kept"),
            row("10.4.0.10:5000", 0.0, 0.0, "kept"),
        ]
    );
    assert_eq!(d["endpoints"][0]["health_before"], "HEALTHY");
    assert_eq!(d["endpoints"][0]["health_after"], "UNHEALTHY");
    assert_eq!(
        rows(&d, "zones")[..2],
        [
            row("region1/zone1", 1.0, 0.0, "kept"),
            row("region1/zone2", 0.0, 1.0, "kept")
        ]
    );
    // The region keeps all of it: zone2 is in region1 too.
    assert_eq!(rows(&d, "regions")[0], row("region1", 1.0, 1.0, "kept"));
    assert_eq!(rows(&d, "clusters")[1], row("cluster2", 0.0, 1.0, "kept"));
    assert!(
        rows(&d, "networks").is_empty(),
        "one flat network has no name"
    );
    let notes: Vec<&str> = d["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("--fail zone=region1/zone1: 1 workload")),
        "{notes:?}"
    );
}

#[test]
fn diff_of_two_inputs_and_of_a_network_failure() {
    // A: 10.0.0.1 and 10.0.0.2 in r1/z1; B: 10.0.0.1 in r1/z1 and 10.0.0.3 in r1/z2. No
    // outlierDetection: one priority, shares by weight, 1/2 each on both sides.
    let a = temp_file("a.yaml", ONE_ZONE.as_bytes());
    let b = ONE_ZONE.replace(
        "address: 10.0.0.2, port: 80, locality: r1/z1",
        "address: 10.0.0.3, port: 80, locality: r1/z2",
    );
    let b = temp_file("b.yaml", b.as_bytes());
    let d = diff_json(&[a.to_str().expect("path"), b.to_str().expect("path")]);
    assert_eq!(
        rows(&d, "endpoints"),
        [
            row("10.0.0.1:80", 0.5, 0.5, "kept"),
            row("10.0.0.2:80", 0.5, 0.0, "lost"),
            row("10.0.0.3:80", 0.0, 0.5, "gained"),
        ]
    );
    assert_eq!(
        rows(&d, "zones"),
        [
            row("r1/z1", 1.0, 0.5, "kept"),
            row("r1/z2", 0.0, 0.5, "gained")
        ]
    );
    assert_eq!(rows(&d, "regions"), [row("r1", 1.0, 1.0, "kept")]);

    // Status change: Istio 1.30 drops the failed pods, nothing is left.
    let d = diff_json(&[a.to_str().expect("path"), "--fail", "zone=r1/z1"]);
    assert_eq!(d["status_after"], "no-endpoints");
    assert_eq!(d["routed_before"], 1.0);
    assert_eq!(d["routed_after"], 0.0);
    assert_eq!(
        rows(&d, "endpoints"),
        [
            row("10.0.0.1:80", 0.5, 0.0, "lost"),
            row("10.0.0.2:80", 0.5, 0.0, "lost")
        ]
    );

    // multi-network: net1 had 2/10 + 2/10, net2's gateways 3/10 + 3/10; net2 fails: net1 all.
    let file = workspace_root().join("examples/multi-network.yaml");
    let d = diff_json(&[file.to_str().expect("path"), "--fail", "network=net2"]);
    assert_eq!(
        rows(&d, "networks"),
        [row("net1", 0.4, 1.0, "kept"), row("net2", 0.6, 0.0, "kept")]
    );

    // Text: a table per level with the delta.
    let run = meshlb(&[
        "diff",
        file.to_str().expect("path"),
        "--fail",
        "network=net2",
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("NETWORKS"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("192.0.2.20:15443           30.00% ->    0.00%    -30.00%"),
        "{}",
        run.stdout
    );
    // One input and no --fail: nothing to compare.
    let run = meshlb(&["diff", file.to_str().expect("path")]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("diff compares two inputs"),
        "{}",
        run.stderr
    );
}

#[test]
fn kube_dumps_take_fail_as_scenario_files_do() {
    // tests/kube/multi-network: the dumps of examples/multi-network.yaml (tests/kube_import.rs
    // checks they explain the same). net2 fails: as failed_gateways_carry_no_traffic.
    let kube = workspace_root().join("tests").join("kube");
    let dump = |c: &str| {
        format!(
            "{c}={}",
            kube.join("multi-network")
                .join(format!("{c}.yaml"))
                .display()
        )
    };
    let (east, west) = (dump("east"), dump("west"));
    let overlay = kube.join("multi-network.overlay.yaml");
    let mut args = vec![
        "explain",
        "--kube",
        &east,
        "--kube",
        &west,
        "--overlay",
        overlay.to_str().expect("path"),
        "--from-pod",
        "east/bookinfo/productpage-v1-6c8d5f9b7-pp001",
        "--format",
        "json",
    ];
    args.extend(["--fail", "network=net2"]);
    let run = meshlb(&args);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let e: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_shares(&e, &[("10.1.0.11:9080", 0.5), ("10.1.0.12:9080", 0.5)]);
    has_note(
        &e,
        "--fail network=net2: its 2 east-west gateways stop carrying traffic",
    );
    // A bad value names the flag there too.
    let last = args.len() - 1;
    args[last] = "network=net9";
    let run = meshlb(&args);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr
            .contains("--fail network=net9: no such network; networks: net1, net2"),
        "{}",
        run.stderr
    );
}
