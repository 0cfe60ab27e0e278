//! The mesh-wide report (`meshlb report`, issue 13 part 3): its traffic matrix and its
//! single-failure sweep on examples and on tests/scenarios/report-two-regions.yaml, every value
//! derived by hand in the comments (Envoy's weighted round robin and priority maths as in
//! tests/tests/integration/failures.rs; istiod sets no locality priorities without outlierDetection).

use meshlb::HealthStatus;
use meshlb::mesh::{
    IstioLbPolicy, IstioVersion, LoadBalancerSettings, OutlierDetection, Report, Resource,
    Scenario, TrafficPolicy,
};
use meshlb_tests::{KUBE_MODELS, assert_valid, kube_options, meshlb, schema, workspace_root};
use serde_json::Value;

fn path(rel: &str) -> String {
    workspace_root().join(rel).display().to_string()
}

fn report(rel: &str) -> Value {
    let run = meshlb(&["report", &path(rel), "--format", "json"]);
    assert_eq!(run.status, 0, "{rel}: {}", run.stderr);
    serde_json::from_str(&run.stdout).expect("report prints JSON")
}

fn scenario(rel: &str) -> Scenario {
    let text = std::fs::read_to_string(path(rel)).expect("read scenario");
    meshlb_formats::parse_scenario(&text)
        .expect("scenario parses")
        .scenario
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() < 1e-9, "{what}: {a}, expected {b}");
}

fn row<'a>(r: &'a Value, location: &str, host: &str) -> &'a Value {
    r["matrix"]
        .as_array()
        .expect("matrix")
        .iter()
        .find(|m| m["location"] == location && m["host"] == host)
        .unwrap_or_else(|| panic!("no row {location} -> {host}"))
}

fn failure<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["sweep"]
        .as_array()
        .expect("sweep")
        .iter()
        .find(|s| s["failure"] == name)
        .unwrap_or_else(|| panic!("no failure {name}"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

fn sum(v: &Value) -> f64 {
    v.as_object().expect("object").values().map(f).sum()
}

/// Every routed row's per-cluster, zone, region and network fractions sum to 1, and
/// same zone + cross zone = 1.
fn assert_rows_sum_to_one(r: &Value, what: &str) {
    for m in r["matrix"].as_array().expect("matrix") {
        if m["status"] != "routed" {
            continue;
        }
        for key in ["clusters", "zones", "regions", "networks"] {
            close(
                sum(&m[key]),
                1.0,
                &format!("{what}: {} {key}", m["location"]),
            );
        }
        close(
            f(&m["same_zone"]) + f(&m["cross_zone"]),
            1.0,
            &format!("{what}: {} same + cross zone", m["location"]),
        );
    }
}

const TWO: &str = "tests/scenarios/report-two-regions.yaml";
const API: &str = "api.shop.svc.cluster.local";
const WEB: &str = "web.shop.svc.cluster.local";

#[test]
fn two_regions_matrix_matches_hand_derived_fractions() {
    let r = report(TWO);
    assert_rows_sum_to_one(&r, TWO);
    let names: Vec<&str> = r["locations"]
        .as_array()
        .expect("locations")
        .iter()
        .map(|l| l["name"].as_str().expect("name"))
        .collect();
    // The scenario's client first, then the other locations with workloads, sorted.
    assert_eq!(names, ["c1/shop@r1/z1", "c1/shop@r1/z2", "c1/shop@r2/z3"]);
    assert_eq!(r["hosts"], serde_json::json!([API, WEB]));
    // api runs only in r2/z3.
    close(
        f(&row(&r, "c1/shop@r1/z1", API)["cross_region"]),
        1.0,
        "z1 -> api",
    );
    close(
        f(&row(&r, "c1/shop@r2/z3", API)["same_zone"]),
        1.0,
        "z3 -> api",
    );
    // web: 1/3 in each of r1/z1, r1/z2, r2/z3.
    let z1 = row(&r, "c1/shop@r1/z1", WEB);
    close(f(&z1["same_zone"]), 1.0 / 3.0, "z1 -> web same zone");
    close(f(&z1["cross_zone"]), 2.0 / 3.0, "z1 -> web cross zone");
    close(f(&z1["cross_region"]), 1.0 / 3.0, "z1 -> web cross region");
    close(f(&z1["cross_network"]), 0.0, "one network");
    let z3 = row(&r, "c1/shop@r2/z3", WEB);
    close(f(&z3["same_zone"]), 1.0 / 3.0, "z3 -> web same zone");
    close(f(&z3["cross_region"]), 2.0 / 3.0, "z3 -> web cross region");
    close(f(&z3["regions"]["r1"]), 2.0 / 3.0, "z3 -> web in r1");
    // Totals: the mean over the two hosts: z1 crosses its region for all of api and 1/3 of web.
    let t = &r["totals"][0];
    assert_eq!(t["location"], "c1/shop@r1/z1");
    close(f(&t["cross_region"]), (1.0 + 1.0 / 3.0) / 2.0, "z1 totals");
}

#[test]
fn a_zone_that_holds_the_only_endpoint_is_an_outage_and_ranks_first() {
    let r = report(TWO);
    let first = &r["sweep"][0];
    assert_eq!(first["failure"], "zone=r2/z3", "{:#}", r["sweep"]);
    assert_eq!(first["rank"], 1);
    // Every location loses api; web loses the r2/z3 third.
    let outages: Vec<(&str, &str)> = first["outages"]
        .as_array()
        .expect("outages")
        .iter()
        .map(|o| {
            (
                o["location"].as_str().unwrap_or(""),
                o["host"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        outages,
        [
            ("c1/shop@r1/z1", API),
            ("c1/shop@r1/z2", API),
            ("c1/shop@r2/z3", API)
        ]
    );
    close(f(&first["largest_moved"]), 1.0 / 3.0, "web's third moves");
    // The client in r2/z3 now sends web to r1 only: it leaves its region.
    assert_eq!(first["leaves_region"][0]["location"], "c1/shop@r2/z3");
    close(
        f(&first["leaves_region"][0]["share"]),
        1.0,
        "z3 -> web after",
    );
    // Region r2 does the same (same blast radius): the narrower zone ranks first.
    assert_eq!(r["sweep"][1]["failure"], "region=r2");
    // Region r1: web moves its two r1 thirds for the r2/z3 client; no outage.
    let r1 = failure(&r, "region=r1");
    assert_eq!(r1["rank"], 3);
    assert!(r1["outages"].as_array().expect("outages").is_empty());
    close(
        f(&r1["largest_moved"]),
        2.0 / 3.0,
        "region r1 moves web's r1 share",
    );
    // c1 is the only control plane: failing it leaves every proxy on its last configuration.
    let cp = failure(&r, "control-plane=c1");
    assert_eq!(cp["stale"], 6);
    assert!(cp["moved"].as_array().expect("moved").is_empty());
}

#[test]
fn locality_failover_matrix_and_sweep() {
    let rel = "examples/locality-failover.yaml";
    let r = report(rel);
    assert_rows_sum_to_one(&r, rel);
    // Each location has a healthy endpoint in its own zone at P0: 100 % same zone.
    for m in r["matrix"].as_array().expect("matrix") {
        close(
            f(&m["same_zone"]),
            1.0,
            &format!("{} same zone", m["location"]),
        );
    }
    // zone1 down: only the cluster1 client (in zone1) moves, to P1 region1/zone2 (cluster2).
    let z1 = failure(&r, "zone=region1/zone1");
    let moved = z1["moved"].as_array().expect("moved");
    assert_eq!(moved.len(), 1, "{z1:#}");
    assert_eq!(moved[0]["location"], "cluster1/sample@region1/zone1");
    close(f(&moved[0]["clusters_after"]["cluster2"]), 1.0, "to zone2");
    assert!(z1["leaves_region"].as_array().expect("leaves").is_empty());
    // region1 down: both region1 clients fail over to region2 (the DestinationRule's
    // failover region1 -> region2), cluster3: their traffic leaves their region.
    let region1 = failure(&r, "region=region1");
    assert_eq!(region1["rank"], 1);
    let leaving: Vec<&str> = region1["leaves_region"]
        .as_array()
        .expect("leaves")
        .iter()
        .map(|p| p["location"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        leaving,
        [
            "cluster1/sample@region1/zone1",
            "cluster2/sample@region1/zone2"
        ]
    );
    for m in region1["moved"].as_array().expect("moved") {
        close(
            f(&m["clusters_after"]["cluster3"]),
            1.0,
            "failover to region2",
        );
    }
    // cluster1 is every client's control plane.
    assert_eq!(failure(&r, "control-plane=cluster1")["stale"], 4);
}

#[test]
fn blue_and_green_never_fail_over_to_each_other() {
    // Two meshes of one cluster each (no remote secret between them): a blue client only ever
    // reaches blue pods, whatever fails.
    let r = report("examples/blue-green-secrets.yaml");
    for s in r["sweep"].as_array().expect("sweep") {
        for m in s["moved"].as_array().expect("moved") {
            let own = m["location"]
                .as_str()
                .unwrap_or("")
                .split('/')
                .next()
                .unwrap_or("");
            for cluster in m["clusters_after"].as_object().expect("clusters").keys() {
                assert_eq!(cluster, own, "{}: {m:#}", s["failure"]);
            }
        }
    }
    // Failing all of green moves nothing for blue clients; green's own are stale (their
    // control plane is in the failed cluster).
    let green = failure(&r, "cluster=green");
    assert!(
        green["moved"].as_array().expect("moved").is_empty(),
        "{green:#}"
    );
    assert_eq!(green["stale"], 2);
    // Subsets: 90 % blue, 10 % green (one pod, 10.0.0.3 in zone1). zone1 down: blue keeps its
    // 90 % on 10.0.0.2, and green's 10 % fails (503) instead of moving to blue.
    let r = report("examples/blue-green-subsets.yaml");
    let z1 = failure(&r, "zone=region1/zone1");
    for m in z1["moved"].as_array().expect("moved") {
        close(
            f(&m["routed_after"]),
            0.9,
            "green's share is not given to blue",
        );
        close(f(&m["share"]), 0.55, "10.0.0.1's 45 % and green's 10 %");
    }
}

#[test]
fn primary_remote_whose_primary_fails() {
    let r = report("examples/primary-remote.yaml");
    // The primary configures both locations: failing it (or its cluster) freezes them on their
    // last configuration: no outage, nothing moves, every pair stale.
    for name in ["control-plane=primary", "cluster=primary"] {
        let s = failure(&r, name);
        assert_eq!(s["stale"], 2, "{name}");
        assert!(s["outages"].as_array().expect("outages").is_empty());
        assert!(s["moved"].as_array().expect("moved").is_empty());
    }
    // The remote's proxies apply the primary's DestinationRule (ROUND_ROBIN, no outlier
    // detection: one priority), so the remote location sends a third of its requests to the
    // primary's one pod of three. The primary's cluster fails: that pod is down, and the
    // remote's frozen configuration still sends it a third. The primary's own location is
    // down with its cluster (it sends nothing); a control plane alone takes no pod down.
    let cluster = failure(&r, "cluster=primary");
    let to_failed = cluster["stale_to_failed"]
        .as_array()
        .expect("stale_to_failed");
    assert_eq!(to_failed.len(), 1, "{to_failed:?}");
    assert_eq!(
        to_failed[0]["location"],
        "remote/bookinfo@eu-west/eu-west-1b"
    );
    close(f(&to_failed[0]["share"]), 1.0 / 3.0, "the primary's pod");
    let control_plane = failure(&r, "control-plane=primary");
    assert_eq!(control_plane["stale_to_failed"], serde_json::json!([]));
    // The remote cluster fails: its two pods (2/3 of ratings) move to the primary's pod.
    let remote = failure(&r, "cluster=remote");
    assert_eq!(remote["stale"], 0);
    for m in remote["moved"].as_array().expect("moved") {
        close(f(&m["share"]), 2.0 / 3.0, "the remote's two thirds");
        close(f(&m["clusters_after"]["primary"]), 1.0, "to primary");
    }
}

/// The report without its counts of work done (the one field the two builds differ in).
fn strip(r: &Report) -> Report {
    let mut r = r.clone();
    r.explained = 0;
    for s in &mut r.sweep {
        s.reexplained = 0;
    }
    r
}

/// `Report::build` (discovery once per pair, failures re-planned or re-derived from it) gives
/// exactly `Report::build_naive` (every pair re-explained from a fresh copy for every failure):
/// the same report, every share to the bit (the JSON is the same text).
fn assert_reuse_is_naive(s: &Scenario, what: &str) -> Report {
    let fast = Report::build(s).unwrap_or_else(|e| panic!("{what}: {e}"));
    let naive = Report::build_naive(s).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(strip(&fast), strip(&naive), "{what}");
    assert_eq!(
        serde_json::to_string(&strip(&fast)).expect("JSON"),
        serde_json::to_string(&strip(&naive)).expect("JSON"),
        "{what}"
    );
    assert!(fast.explained <= naive.explained, "{what}");
    fast
}

/// Variants of a scenario that take the sweep down each of its paths: Istio 1.30 and
/// `minHealthPercent` hold not-ready endpoints back (re-derived from discovery), a ring hash
/// rebuilds its ring (re-derived), and a health mix (not ready, draining, terminating,
/// degraded) before any failure.
fn variants(s: &Scenario) -> Vec<(&'static str, Scenario)> {
    let each_rule = |s: &Scenario, edit: &dyn Fn(&mut TrafficPolicy)| {
        let mut s = s.clone();
        for config in &mut s.config {
            for r in &mut config.resources {
                if let Resource::DestinationRule(dr) = r {
                    edit(dr.traffic_policy.get_or_insert_with(TrafficPolicy::default));
                }
            }
        }
        s
    };
    let mut v130 = s.clone();
    v130.istio_version = IstioVersion::V1_30;
    let min_health = each_rule(s, &|p| {
        p.outlier_detection = Some(OutlierDetection {
            min_health_percent: Some(50),
        });
    });
    let ring = each_rule(s, &|p| {
        let lb = p.load_balancer.get_or_insert(LoadBalancerSettings {
            policy: IstioLbPolicy::Unspecified,
            locality_lb_setting: None,
        });
        lb.policy = IstioLbPolicy::RingHash {
            minimum_ring_size: Some(64),
        };
    });
    let mut mixed = s.clone();
    for (i, w) in mixed.workloads.iter_mut().enumerate() {
        match i % 7 {
            1 => w.health = HealthStatus::Unhealthy,
            3 => w.health = HealthStatus::Draining,
            4 => w.health = HealthStatus::Degraded,
            5 if i % 2 == 1 => w.terminating = true,
            _ => {}
        }
    }
    vec![
        ("as written", s.clone()),
        ("istio 1.30", v130),
        ("minHealthPercent 50", min_health),
        ("ring hash", ring),
        ("health mix", mixed),
    ]
}

/// Every example and test scenario, and each of its variants: the reusing report equals
/// re-explaining everything.
#[test]
fn reuse_gives_the_naive_report() {
    let validator = schema("report.schema.json");
    let mut files: Vec<String> = ["examples", "tests/scenarios"]
        .iter()
        .flat_map(|dir| {
            std::fs::read_dir(workspace_root().join(dir))
                .expect("scenarios")
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
                .map(|p| p.display().to_string())
        })
        .collect();
    files.sort();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        let s = meshlb_formats::parse_scenario(&text)
            .expect("parses")
            .scenario;
        for (variant, s) in variants(&s) {
            assert_reuse_is_naive(&s, &format!("{file} ({variant})"));
        }
        // The CLI's JSON follows the schema.
        let run = meshlb(&["report", file, "--format", "json"]);
        assert_eq!(run.status, 0, "{file}: {}", run.stderr);
        let json: Value = serde_json::from_str(&run.stdout).expect("JSON");
        assert_valid(&validator, &json, file);
        assert_rows_sum_to_one(&json, file);
    }
}

/// The scenarios imported from the kubectl dumps of tests/kube, and their variants: the
/// reusing report equals re-explaining everything.
#[test]
fn reuse_gives_the_naive_report_on_kube_dumps() {
    for (model, pod, clusters) in KUBE_MODELS {
        let imported = meshlb_formats::kube::import_options(&kube_options(model, pod, clusters))
            .unwrap_or_else(|e| panic!("{model}: {e}"));
        for (variant, s) in variants(&imported.scenario) {
            let r = assert_reuse_is_naive(&s, &format!("tests/kube/{model} ({variant})"));
            assert!(!r.matrix.is_empty(), "{model}");
        }
    }
}

#[test]
fn text_ranks_the_failure_domains() {
    let run = meshlb(&["report", &path(TWO)]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let out = run.stdout;
    assert!(out.contains("FAILURE DOMAINS"), "{out}");
    assert!(out.contains("TRAFFIC MATRIX"), "{out}");
    let first = out
        .lines()
        .find(|l| l.trim_start().starts_with("1 "))
        .expect("a rank 1 row");
    assert!(first.contains("zone=r2/z3"), "{first}");
    assert!(
        out.contains("c1/shop@r1/z1 -> web.shop.svc.cluster.local  routed             33.3%       33.3%         33.3%"),
        "{out}"
    );
}

#[test]
fn html_is_one_self_contained_page() {
    let run = meshlb(&["report", &path(TWO), "--format", "html"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let html = run.stdout;
    assert!(
        html.starts_with("<!DOCTYPE html>"),
        "{}",
        &html[..40.min(html.len())]
    );
    assert!(html.trim_end().ends_with("</html>"));
    assert!(html.contains("<svg"));
    for failure in ["zone=r2/z3", "region=r1", "control-plane=c1"] {
        assert!(html.contains(failure), "{failure}");
    }
    assert!(!html.contains("<script"), "no script");
    assert!(
        !html.contains("http:") && !html.contains("https:"),
        "no URL"
    );
    assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
    assert_eq!(
        html.matches("<table").count(),
        html.matches("</table>").count()
    );
}

#[test]
fn envoy_input_is_refused() {
    let run = meshlb(&["report", &path("examples/envoy/ring-hash.json")]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("report needs a meshlb scenario"),
        "{}",
        run.stderr
    );
}

#[test]
fn scenario_helper_parses() {
    assert!(!scenario(TWO).workloads.is_empty());
}

#[test]
fn kube_dumps_are_reported() {
    // tests/kube/primary-remote: the primary configures both clusters; failing it leaves every
    // pair stale.
    let primary = format!("primary={}", path("tests/kube/primary-remote/primary.yaml"));
    let remote = format!("remote={}", path("tests/kube/primary-remote/remote.yaml"));
    let run = meshlb(&[
        "report",
        "--kube",
        &primary,
        "--kube",
        &remote,
        "--from",
        "remote/bookinfo",
        "--to",
        "ratings.bookinfo",
        "--format",
        "json",
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let r: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_valid(&schema("report.schema.json"), &r, "kube report");
    let cp = failure(&r, "control-plane=primary");
    assert_eq!(cp["stale"], r["matrix"].as_array().expect("matrix").len());
}
