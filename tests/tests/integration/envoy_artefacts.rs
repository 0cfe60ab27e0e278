//! `meshlb explain` on what Envoy, istioctl and control planes print: admin `/config_dump`
//! (whole, with `include_eds`, and `?resource=` fragments), `/clusters?format=json`, xDS
//! `DiscoveryResponse`s, bootstraps, CDS and EDS files (JSON or YAML).
//!
//! Part 1 reads our own fixtures (tests/envoy/), written in the shapes Envoy and istioctl print;
//! part 2 reads every Envoy file of shared/real-inputs; part 3 feeds bad input. Every expected
//! share is derived by hand in a comment from Envoy's rules (shared/SEMANTICS.md A1–A5,
//! research/envoy.md): priority load with the overprovisioning factor, panic, locality weights.

use std::collections::BTreeMap;
use std::path::PathBuf;

use meshlb_tests::{Run, meshlb, temp_file};
use serde_json::Value;

// ------------------------------------------------------------------------------------------
// Helpers

/// A fixture of tests/envoy/.
fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("envoy")
        .join(name)
        .to_str()
        .expect("utf-8 path")
        .to_string()
}

/// `meshlb ARGS... --format json`: asserts exit 0 and returns the JSON.
fn json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--format", "json"]);
    let run = meshlb(&all);
    assert_eq!(run.status, 0, "meshlb {all:?}: {}", run.stderr);
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("meshlb {all:?} printed no JSON ({e}): {}", run.stdout))
}

/// `explain FILES... --format json` (no --cluster): the listing rows by cluster name.
fn listing(files: &[&str]) -> BTreeMap<String, Value> {
    let mut args = vec!["explain"];
    args.extend_from_slice(files);
    let value = json(&args);
    let rows = value
        .as_array()
        .unwrap_or_else(|| panic!("{files:?}: not a listing: {value}"));
    let mut by_name = BTreeMap::new();
    for row in rows {
        let name = row["name"].as_str().expect("row name").to_string();
        assert!(
            by_name.insert(name.clone(), row.clone()).is_none(),
            "{files:?}: cluster {name} listed twice"
        );
    }
    by_name
}

/// `explain FILES... --cluster NAME --format json`.
fn explain_cluster(files: &[&str], cluster: &str) -> Value {
    let mut args = vec!["explain"];
    args.extend_from_slice(files);
    args.extend_from_slice(&["--cluster", cluster]);
    json(&args)
}

/// The explanation's endpoint `address:port`.
fn endpoint<'a>(explanation: &'a Value, address: &str, port: u64) -> &'a Value {
    explanation["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .find(|e| e["address"] == address && e["port"].as_u64() == Some(port))
        .unwrap_or_else(|| panic!("no endpoint {address}:{port} in {explanation:#}"))
}

/// Asserts each `(address, port, share)` to `tolerance`, and that the listed endpoints are all
/// the explanation has (so the shares cover every endpoint).
fn assert_shares(explanation: &Value, expected: &[(&str, u64, f64)], tolerance: f64) {
    let endpoints = explanation["endpoints"].as_array().expect("endpoints");
    assert_eq!(
        endpoints.len(),
        expected.len(),
        "endpoints: {explanation:#}"
    );
    for &(address, port, share) in expected {
        let got = endpoint(explanation, address, port)["share"]
            .as_f64()
            .expect("share");
        assert!(
            (got - share).abs() <= tolerance,
            "{address}:{port}: share {got}, Envoy's rules give {share}"
        );
    }
}

/// The row's field as u64 (None when null or absent).
fn num(row: &Value, field: &str) -> Option<u64> {
    row[field].as_u64()
}

/// Asserts a listing row: discovery type, policy, endpoints, healthy, localities, priorities.
#[allow(clippy::too_many_arguments)]
fn assert_row(
    rows: &BTreeMap<String, Value>,
    name: &str,
    source: &str,
    discovery_type: Option<&str>,
    lb_policy: &str,
    counts: Option<(u64, u64, u64, u64)>,
) {
    let row = rows
        .get(name)
        .unwrap_or_else(|| panic!("no row {name}: {:?}", rows.keys()));
    assert_eq!(row["source"], source, "{name}: {row}");
    assert_eq!(
        row["discovery_type"].as_str(),
        discovery_type,
        "{name}: {row}"
    );
    assert_eq!(row["lb_policy"], lb_policy, "{name}: {row}");
    if let Some((endpoints, healthy, localities, priorities)) = counts {
        assert_eq!(num(row, "endpoints"), Some(endpoints), "{name}: {row}");
        assert_eq!(num(row, "healthy"), Some(healthy), "{name}: {row}");
        assert_eq!(num(row, "localities"), Some(localities), "{name}: {row}");
        assert_eq!(num(row, "priorities"), Some(priorities), "{name}: {row}");
        assert!(row["unexplained"].is_null(), "{name}: {row}");
    }
}

/// The priority entry `p` of an explanation.
fn priority(explanation: &Value, p: u64) -> &Value {
    explanation["priorities"]
        .as_array()
        .expect("priorities")
        .iter()
        .find(|x| x["priority"].as_u64() == Some(p))
        .unwrap_or_else(|| panic!("no P{p} in {explanation:#}"))
}

/// (healthy_load, degraded_load, panic) of priority `p`.
fn load(explanation: &Value, p: u64) -> (Option<u64>, Option<u64>, Option<bool>) {
    let x = priority(explanation, p);
    (
        x["healthy_load"].as_u64(),
        x["degraded_load"].as_u64(),
        x["panic"].as_bool(),
    )
}

const REVIEWS: &str = "outbound|9080||reviews.bookinfo.svc.cluster.local";
const RATINGS: &str = "outbound|9080||ratings.bookinfo.svc.cluster.local";

// ------------------------------------------------------------------------------------------
// 1. Our fixtures

/// tests/envoy/istio-sidecar-config_dump.json: a sidecar's `/config_dump?include_eds`
/// (Bootstrap, Clusters and Endpoints config dumps). Static clusters also appear in
/// `static_endpoint_configs`: one row each, not two.
#[test]
fn sidecar_config_dump_lists_every_cluster_once() {
    let file = fixture("istio-sidecar-config_dump.json");
    let rows = listing(&[&file]);
    assert_eq!(rows.len(), 7, "{:?}", rows.keys());
    // sds-grpc: one pipe endpoint, no health status → healthy (UNKNOWN).
    assert_row(
        &rows,
        "sds-grpc",
        "static_clusters",
        Some("STATIC"),
        "ROUND_ROBIN",
        Some((1, 1, 1, 1)),
    );
    assert_row(
        &rows,
        "prometheus_stats",
        "static_clusters",
        Some("STATIC"),
        "ROUND_ROBIN",
        Some((1, 1, 1, 1)),
    );
    assert_row(
        &rows,
        "inbound|9080|http|reviews.bookinfo.svc.cluster.local",
        "dynamic_active_clusters",
        Some("STATIC"),
        "ROUND_ROBIN",
        Some((1, 1, 1, 1)),
    );
    // ratings: 4 endpoints in 2 zones, one UNHEALTHY; all at P0; no lb_policy → ROUND_ROBIN.
    assert_row(
        &rows,
        RATINGS,
        "dynamic_active_clusters",
        Some("EDS"),
        "ROUND_ROBIN",
        Some((4, 3, 2, 1)),
    );
    // reviews: 6 endpoints, 3 zones at P0/P1/P2, one UNHEALTHY.
    assert_row(
        &rows,
        REVIEWS,
        "dynamic_active_clusters",
        Some("EDS"),
        "LEAST_REQUEST",
        Some((6, 5, 3, 3)),
    );
    // No endpoints to balance: BlackHoleCluster (STATIC without a load_assignment) and the
    // ORIGINAL_DST PassthroughCluster (CLUSTER_PROVIDED: Envoy does not balance it).
    assert_row(
        &rows,
        "BlackHoleCluster",
        "dynamic_active_clusters",
        Some("STATIC"),
        "ROUND_ROBIN",
        None,
    );
    assert!(
        num(&rows["BlackHoleCluster"], "endpoints").is_none(),
        "{}",
        rows["BlackHoleCluster"]
    );
    assert_row(
        &rows,
        "PassthroughCluster",
        "dynamic_active_clusters",
        Some("ORIGINAL_DST"),
        "CLUSTER_PROVIDED",
        None,
    );
    assert!(
        rows["PassthroughCluster"]["unexplained"].is_string(),
        "{}",
        rows["PassthroughCluster"]
    );
}

/// reviews: LEAST_REQUEST, equal weights, no locality_weighted_lb_config (so the locality
/// weights 3/2/1 are ignored), `healthy_panic_threshold: {}` (0 %: panic off).
/// P0 (us-east-1a) 2 of 3 healthy → health = min(100, 140×2/3) = 93 (integer);
/// P1 2/2 → 100; P2 1/1 → 100; normalized total availability min(100, 293) = 100.
/// Loads: P0 93, P1 min(100−93, 100) = 7, P2 0. P0's 93 % over its 2 healthy hosts,
/// P1's 7 % over 2.
#[test]
fn sidecar_reviews_spills_seven_percent_to_p1() {
    let file = fixture("istio-sidecar-config_dump.json");
    let x = explain_cluster(&[&file], REVIEWS);
    assert_eq!(x["lb_policy"], "LEAST_REQUEST");
    assert_eq!(priority(&x, 0)["health"].as_u64(), Some(93));
    assert_eq!(load(&x, 0), (Some(93), Some(0), Some(false)));
    assert_eq!(load(&x, 1), (Some(7), Some(0), Some(false)));
    assert_eq!(load(&x, 2), (Some(0), Some(0), Some(false)));
    assert_shares(
        &x,
        &[
            ("10.1.0.11", 9080, 0.465),
            ("10.1.0.12", 9080, 0.465),
            ("10.1.0.13", 9080, 0.0),
            ("10.1.1.21", 9080, 0.035),
            ("10.1.1.22", 9080, 0.035),
            ("10.2.0.31", 9080, 0.0),
        ],
        1e-9,
    );
    assert_eq!(endpoint(&x, "10.1.0.13", 9080)["health"], "UNHEALTHY");
    assert_eq!(
        endpoint(&x, "10.1.1.21", 9080)["locality"],
        "us-east-1/us-east-1b"
    );
}

/// ratings: `common_lb_config.locality_weighted_lb_config`, zones weighted 80 and 20.
/// us-east-1a: 2/2 healthy → effective 80 × min(1, 1.4×2/2) = 80;
/// us-east-1b: 1/2 healthy → 20 × min(1, 1.4×1/2 = 0.7) = 14. Σ = 94.
/// P0 health min(100, 140×3/4 = 105) = 100, no panic.
/// Shares: 10.1.0.41/.42 = 80/94/2 = 40/94 each; 10.1.1.43 = 14/94; the unhealthy host 0.
#[test]
fn sidecar_ratings_locality_weights_scaled_by_availability() {
    let file = fixture("istio-sidecar-config_dump.json");
    let x = explain_cluster(&[&file], RATINGS);
    assert_shares(
        &x,
        &[
            ("10.1.0.41", 9080, 40.0 / 94.0),
            ("10.1.0.42", 9080, 40.0 / 94.0),
            ("10.1.1.43", 9080, 14.0 / 94.0),
            ("10.1.1.44", 9080, 0.0),
        ],
        1e-9,
    );
}

/// sds-grpc's pipe address is named `unix:PATH` with port 0 and takes all the traffic.
#[test]
fn sidecar_pipe_cluster_is_a_unix_endpoint() {
    let file = fixture("istio-sidecar-config_dump.json");
    let x = explain_cluster(&[&file], "sds-grpc");
    assert_shares(
        &x,
        &[("unix:./var/run/secrets/workload-spiffe-uds/socket", 0, 1.0)],
        1e-12,
    );
}

/// `/config_dump?resource=dynamic_active_clusters`: `ClustersConfigDump.DynamicCluster`
/// entries. The EDS cluster has no endpoints in the file; the STRICT_DNS cluster is RANDOM, so
/// its endpoint weights 1/2/5 are ignored: 1/3 each.
#[test]
fn resource_fragment_rows_and_random_ignores_weights() {
    let file = fixture("resource-dynamic_active_clusters.json");
    let rows = listing(&[&file]);
    assert_eq!(rows.len(), 2, "{:?}", rows.keys());
    assert_row(
        &rows,
        REVIEWS,
        "dynamic_active_clusters",
        Some("EDS"),
        "LEAST_REQUEST",
        None,
    );
    assert!(rows[REVIEWS]["endpoints"].is_null(), "{}", rows[REVIEWS]);
    assert!(
        rows[REVIEWS]["unexplained"].is_string(),
        "{}",
        rows[REVIEWS]
    );
    let api = "outbound|443||api.partner.example.com";
    assert_row(
        &rows,
        api,
        "dynamic_active_clusters",
        Some("STRICT_DNS"),
        "RANDOM",
        Some((3, 3, 1, 1)),
    );
    let x = explain_cluster(&[&file], api);
    let third = 1.0 / 3.0;
    assert_shares(
        &x,
        &[
            ("api-1.partner.example.com", 443, third),
            ("api-2.partner.example.com", 443, third),
            ("api-3.partner.example.com", 443, third),
        ],
        1e-9,
    );
}

/// `/clusters?format=json`, checkout: 10 hosts at P0, weight 1.
/// .1, .8 healthy; .2 failed_outlier_check, .9 eds TIMEOUT, .10 failed_active_health_check
/// (beats eds DEGRADED) → unhealthy; .3 failed_active_degraded_check, .4 eds DEGRADED →
/// degraded; .5 pending_active_hc, .6 eds DRAINING, .7 excluded_via_immediate_hc_fail →
/// excluded (left out of the counts). Counted: 7 hosts, 2 healthy, 2 degraded.
/// health = min(100, 140×2/7) = 40, degraded = 40; NTA = 80.
/// Panic: 100×(2+2)/7 = 57 % ≥ 50 → no. Healthy load min(100, 40×100/80) = 50; degraded load
/// min(50, 50) = 50. Each healthy host 25 %, each degraded host 25 %, the rest 0.
#[test]
fn clusters_json_health_flags_and_degraded_load() {
    let file = fixture("clusters-health.json");
    let rows = listing(&[&file]);
    assert_eq!(rows.len(), 2, "{:?}", rows.keys());
    let checkout = "outbound|8080||checkout.shop.svc.cluster.local";
    assert_eq!(
        num(&rows[checkout], "healthy"),
        Some(2),
        "{}",
        rows[checkout]
    );
    assert_eq!(rows[checkout]["source"], "cluster_statuses");
    let x = explain_cluster(&[&file], checkout);
    assert_eq!(load(&x, 0), (Some(50), Some(50), Some(false)));
    for (host, share, health) in [
        ("10.4.0.1", 0.25, Some("HEALTHY")),
        ("10.4.0.8", 0.25, Some("HEALTHY")),
        ("10.4.0.3", 0.25, Some("DEGRADED")),
        ("10.4.0.4", 0.25, Some("DEGRADED")),
        ("10.4.0.2", 0.0, Some("UNHEALTHY")),
        ("10.4.0.9", 0.0, Some("UNHEALTHY")),
        ("10.4.0.10", 0.0, Some("UNHEALTHY")),
    ] {
        let e = endpoint(&x, host, 8080);
        let got = e["share"].as_f64().expect("share");
        assert!(
            (got - share).abs() < 1e-9,
            "{host}: share {got}, expected {share}"
        );
        assert_eq!(e["health"].as_str(), health, "{host}: {e}");
    }
    // Excluded hosts are left out of the assignment (Envoy never picks them outside panic and
    // leaves them out of the counts) and named in a note.
    for host in ["10.4.0.5", "10.4.0.6", "10.4.0.7"] {
        assert!(
            !x["endpoints"]
                .as_array()
                .expect("endpoints")
                .iter()
                .any(|e| e["address"] == host),
            "{host} is excluded: {x}"
        );
        assert!(
            x["notes"].as_array().expect("notes").iter().any(|n| n
                .as_str()
                .is_some_and(|n| n.contains("excluded") && n.contains(host))),
            "{host} named in a note: {x}"
        );
    }
    assert_eq!(
        num(&rows[checkout], "endpoints"),
        Some(7),
        "{}",
        rows[checkout]
    );
}

/// The panic case, payments: 4 hosts, only 10.5.0.2 healthy (the others: failed_outlier_check,
/// failed_active_health_check, eds UNHEALTHY). 25 % < 50 % → P0 in panic; health
/// min(100, 140×1/4) = 35, NTA 35 < 100 so panic holds; the only priority is in panic → total
/// panic, load by host count: P0 100 %, over all 4 hosts: 1/4 each.
#[test]
fn clusters_json_panic_spreads_over_all_hosts() {
    let file = fixture("clusters-health.json");
    let x = explain_cluster(&[&file], "outbound|8080||payments.shop.svc.cluster.local");
    assert_eq!(priority(&x, 0)["panic"].as_bool(), Some(true), "{x:#}");
    assert_shares(
        &x,
        &[
            ("10.5.0.1", 8080, 0.25),
            ("10.5.0.2", 8080, 0.25),
            ("10.5.0.3", 8080, 0.25),
            ("10.5.0.4", 8080, 0.25),
        ],
        1e-9,
    );
}

/// xDS DiscoveryResponse (camelCase) of two CLAs, no Cluster: Envoy's defaults (ROUND_ROBIN).
/// backend, overprovisioningFactor 200: P0 1 of 4 healthy (2 UNHEALTHY, 1 TIMEOUT) → health
/// min(100, 200×1/4) = 50; P1 2/2 (one without healthStatus: UNKNOWN = healthy) → 100;
/// NTA = min(100, 150) = 100 → no panic although P0 is 25 % healthy; loads P0 50, P1 50.
/// frontend: weights 1 and 3 → 1/4 and 3/4.
#[test]
fn discovery_response_overprovisioning_200() {
    let file = fixture("xds-eds-response.json");
    let rows = listing(&[&file]);
    assert_eq!(rows.len(), 2, "{:?}", rows.keys());
    assert_row(
        &rows,
        "backend",
        "resources",
        None,
        "ROUND_ROBIN",
        Some((6, 3, 2, 2)),
    );
    assert_row(
        &rows,
        "frontend",
        "resources",
        None,
        "ROUND_ROBIN",
        Some((2, 2, 1, 1)),
    );
    let x = explain_cluster(&[&file], "backend");
    assert_eq!(load(&x, 0), (Some(50), Some(0), Some(false)));
    assert_eq!(load(&x, 1), (Some(50), Some(0), Some(false)));
    assert_shares(
        &x,
        &[
            ("10.8.0.1", 8080, 0.5),
            ("10.8.0.2", 8080, 0.0),
            ("10.8.0.3", 8080, 0.0),
            ("10.8.0.4", 8080, 0.0),
            ("10.8.1.1", 8080, 0.25),
            ("10.8.1.2", 8080, 0.25),
        ],
        1e-9,
    );
    let y = explain_cluster(&[&file], "frontend");
    assert_shares(&y, &[("10.9.0.1", 80, 0.25), ("10.9.0.2", 80, 0.75)], 1e-9);
}

fn eg() -> (String, String) {
    (
        fixture("eg-weighted.clusters.yaml"),
        fixture("eg-weighted.endpoints.yaml"),
    )
}

/// Envoy Gateway-style CDS + EDS YAML lists (camelCase, typed `loadBalancingPolicy`), read
/// together: clusters joined with assignments by `edsClusterConfig.serviceName`.
#[test]
fn envoy_gateway_typed_policies_listing() {
    let (cds, eds) = eg();
    let rows = listing(&[&cds, &eds]);
    assert_eq!(rows.len(), 4, "{:?}", rows.keys());
    let src = rows["httproute/shop/storefront/rule/0"]["source"].clone();
    assert_row(
        &rows,
        "httproute/shop/storefront/rule/0",
        src.as_str().expect("source"),
        Some("EDS"),
        "ROUND_ROBIN",
        Some((4, 4, 3, 1)),
    );
    assert_row(
        &rows,
        "httproute/shop/sessions/rule/0",
        src.as_str().expect("source"),
        Some("EDS"),
        "MAGLEV",
        Some((3, 3, 2, 1)),
    );
    assert_row(
        &rows,
        "httproute/shop/search/rule/0",
        src.as_str().expect("source"),
        Some("EDS"),
        "LEAST_REQUEST",
        Some((4, 3, 2, 1)),
    );
    assert_row(
        &rows,
        "httproute/shop/images/rule/0",
        src.as_str().expect("source"),
        Some("EDS"),
        "RANDOM",
        Some((2, 2, 1, 1)),
    );
}

/// RoundRobin with `localityLbConfig.localityWeightedLbConfig`, zones 70/20/1, all healthy:
/// Σ = 91; zone a's two hosts 70/91/2 = 35/91 = 38.46 %; zone b 20/91 = 21.98 %;
/// zone c 1/91 = 1.10 %.
#[test]
fn envoy_gateway_weighted_zones_70_20_1() {
    let (cds, eds) = eg();
    let x = explain_cluster(&[&cds, &eds], "httproute/shop/storefront/rule/0");
    assert_shares(
        &x,
        &[
            ("10.60.0.1", 8080, 35.0 / 91.0),
            ("10.60.0.2", 8080, 35.0 / 91.0),
            ("10.60.1.1", 8080, 20.0 / 91.0),
            ("10.60.2.1", 8080, 1.0 / 91.0),
        ],
        1e-9,
    );
}

/// Maglev with `localityWeightedLbConfig`: host weight = lw/Σlw × hw/Σhw (no availability
/// adjustment): zone a (3) hosts 3/4 × 1/2 = 0.375 each, zone b (1) host 1/4 × 2/2 = 0.25.
/// The table has 65537 slots, so each share is its slot count / 65537: within 2 slots.
#[test]
fn envoy_gateway_maglev_with_locality_weights() {
    let (cds, eds) = eg();
    let x = explain_cluster(&[&cds, &eds], "httproute/shop/sessions/rule/0");
    assert_eq!(x["lb_policy"], "MAGLEV");
    assert_shares(
        &x,
        &[
            ("10.61.0.1", 8080, 0.375),
            ("10.61.0.2", 8080, 0.375),
            ("10.61.1.1", 8080, 0.25),
        ],
        2.0 / 65_537.0,
    );
}

/// LeastRequest with locality weighting, zones 1/1: zone-b has 1 of 2 healthy → effective
/// 1 × min(1, 1.4×1/2) = 0.7; zone-a 1. Σ 1.7: zone-a hosts 1/1.7/2 = 5/17 each, zone-b's
/// healthy host 0.7/1.7 = 7/17. P0 health min(100, 140×3/4) = 100.
/// Random policy (typed): weights 1 and 4 ignored → 1/2 each.
#[test]
fn envoy_gateway_least_request_and_random() {
    let (cds, eds) = eg();
    let x = explain_cluster(&[&cds, &eds], "httproute/shop/search/rule/0");
    assert_shares(
        &x,
        &[
            ("10.62.0.1", 9200, 5.0 / 17.0),
            ("10.62.0.2", 9200, 5.0 / 17.0),
            ("10.62.1.1", 9200, 7.0 / 17.0),
            ("10.62.1.2", 9200, 0.0),
        ],
        1e-9,
    );
    let y = explain_cluster(&[&cds, &eds], "httproute/shop/images/rule/0");
    assert_eq!(y["lb_policy"], "RANDOM");
    assert_shares(
        &y,
        &[("10.63.0.1", 8080, 0.5), ("10.63.0.2", 8080, 0.5)],
        1e-9,
    );
}

/// Bootstrap YAML, backend: STATIC, locality-weighted, panic threshold 30 %.
/// P0: eu-central-1a (weight 2) 1 of 3 healthy, eu-central-1b (weight 1) 2/2 → P0 3/5 →
/// health min(100, 140×3/5) = 84; P1 eu-west-1a 2/2 → 100. NTA 100 → loads 84 / 16.
/// P0 localities: a = 2 × min(1, 1.4×1/3) = 14/15, b = 1 × min(1, 1.4) = 1; Σ = 29/15 →
/// a gets 14/29 of P0, b 15/29. 10.30.0.1 = 0.84 × 14/29; 10.30.1.x = 0.84 × 15/29 / 2;
/// P1's 16 % over 2 hosts: 0.08 each.
#[test]
fn bootstrap_locality_priorities() {
    let file = fixture("bootstrap-locality-priorities.yaml");
    let rows = listing(&[&file]);
    assert_eq!(rows.len(), 3, "{:?}", rows.keys());
    let src = "static_resources.clusters";
    assert_row(
        &rows,
        "backend",
        src,
        Some("STATIC"),
        "ROUND_ROBIN",
        Some((7, 5, 3, 2)),
    );
    assert_row(
        &rows,
        "auth",
        src,
        Some("STRICT_DNS"),
        "LEAST_REQUEST",
        Some((1, 1, 1, 1)),
    );
    assert_row(
        &rows,
        "ext_authz_uds",
        src,
        Some("STATIC"),
        "ROUND_ROBIN",
        Some((1, 1, 1, 1)),
    );
    let x = explain_cluster(&[&file], "backend");
    assert_eq!(load(&x, 0), (Some(84), Some(0), Some(false)));
    assert_eq!(load(&x, 1), (Some(16), Some(0), Some(false)));
    assert_shares(
        &x,
        &[
            ("10.30.0.1", 8080, 0.84 * 14.0 / 29.0),
            ("10.30.0.2", 8080, 0.0),
            ("10.30.0.3", 8080, 0.0),
            ("10.30.1.1", 8080, 0.84 * 7.5 / 29.0),
            ("10.30.1.2", 8080, 0.84 * 7.5 / 29.0),
            ("10.40.0.1", 8080, 0.08),
            ("10.40.0.2", 8080, 0.08),
        ],
        1e-9,
    );
    let uds = explain_cluster(&[&file], "ext_authz_uds");
    assert_shares(&uds, &[("unix:/var/run/ext-authz.sock", 0, 1.0)], 1e-12);
}

/// A filesystem CDS file and EDS file (`resources:` with `@type`), read together: the cluster
/// `payments` takes the assignment `payments-v2` (its eds service_name).
/// P0: weights 1 and 3 healthy, one UNHEALTHY, one DRAINING. DRAINING is excluded from the
/// counts (Envoy's `exclude_host_in_eds_status_draining`, a RUNTIME_GUARD: on by default) →
/// 2 healthy of 3 counted → health min(100, 140×2/3) = 93; P1 1/1 → 100; NTA 100 → loads
/// 93 / 7. Panic threshold 80 %: P0 is 67 % healthy, but NTA = 100 → no panic.
/// Shares 0.93×1/4, 0.93×3/4, 0, 0, 0.07.
#[test]
fn cds_and_eds_files_joined_by_service_name() {
    let (cds, eds) = (fixture("fs-cds.yaml"), fixture("fs-eds.yaml"));
    let x = explain_cluster(&[&cds, &eds], "payments");
    assert_eq!(load(&x, 0), (Some(93), Some(0), Some(false)));
    assert_eq!(load(&x, 1), (Some(7), Some(0), Some(false)));
    assert_shares(
        &x,
        &[
            ("10.70.0.1", 8443, 0.2325),
            ("10.70.0.2", 8443, 0.6975),
            ("10.70.0.3", 8443, 0.0),
            ("10.70.0.4", 8443, 0.0),
            ("10.71.0.1", 8443, 0.07),
        ],
        1e-9,
    );
    // The files in the other order: the same answer.
    let y = explain_cluster(&[&eds, &cds], "payments");
    assert_eq!(x["endpoints"], y["endpoints"]);
}

/// drop_overloads: category throttle, 1500/TEN_THOUSAND → d = 0.15. Weights 1/1/2 →
/// 0.25/0.25/0.5 of what is routed, × 0.85 → 0.2125/0.2125/0.425.
/// `simulate -n 20000`: dropped ≈ 3000, σ = √(20000×0.15×0.85) ≈ 50.5 → within 4σ.
#[test]
fn drop_overloads_scale_shares_and_simulate_drops() {
    let file = fixture("cla-drop-overloads.json");
    let x = json(&["explain", &file]);
    let d = x["drop_overload"].as_f64().expect("drop_overload");
    assert!((d - 0.15).abs() < 1e-12, "drop_overload {d}");
    assert_shares(
        &x,
        &[
            ("10.20.0.1", 7000, 0.2125),
            ("10.20.0.2", 7000, 0.2125),
            ("10.20.0.3", 7000, 0.425),
        ],
        1e-9,
    );
    let n = 20_000.0_f64;
    let s = json(&["simulate", &file, "-n", "20000", "--seed", "11"]);
    let dropped = s["dropped"].as_f64().expect("dropped");
    let sigma = (n * 0.15 * 0.85).sqrt();
    assert!(
        (dropped - 0.15 * n).abs() <= 4.0 * sigma,
        "dropped {dropped}, expected {} ± {}",
        0.15 * n,
        4.0 * sigma
    );
    let picked: f64 = s["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .map(|e| e["count"].as_f64().expect("count"))
        .sum();
    assert!(
        (picked + dropped - n).abs() < 0.5,
        "picked {picked} + dropped {dropped} != {n}"
    );
}

// ------------------------------------------------------------------------------------------
// 2. Real inputs (shared/real-inputs; its README says where each file comes from)

fn real_inputs() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/real-inputs");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "{} is absent: the real-input tests have nothing to read",
            dir.display()
        );
        None
    }
}

fn real(dir: &std::path::Path, name: &str) -> String {
    dir.join(name).to_str().expect("utf-8 path").to_string()
}

/// Clusters each file holds (counted by hand from the files; the README's table), or `None`
/// for one cluster (then explain prints one explanation, not a listing).
const REAL_ROWS: &[(&str, Option<usize>)] = &[
    (
        "consul__connect-proxy-with-chain-and-failover.latest.golden.json",
        Some(2),
    ),
    (
        "consul__connect-proxy-with-tcp-chain-double-failover-through-remote-gateway-triggered.latest.golden.json",
        Some(4),
    ),
    ("envoy-gateway__backend-priority.clusters.yaml", Some(3)),
    ("envoy-gateway__backend-priority.endpoints.yaml", Some(3)),
    (
        "envoy-gateway__http-route-backend-zone-splitting.endpoints.yaml",
        None,
    ),
    (
        "envoy-gateway__http-route-weighted-zones.clusters.yaml",
        Some(3),
    ),
    (
        "envoy-gateway__http-route-weighted-zones.endpoints.yaml",
        Some(3),
    ),
    ("envoy__admin_test_ClustersJsonAndText.json", None),
    ("envoy__admin_test_ConfigDumpWithEndpoint.json", None),
    (
        "envoy__admin_test_ConfigDumpWithLocalityEndpoint.json",
        None,
    ),
    ("envoyproxy-examples__dynamic-config-fs_cds.yaml", None),
    ("envoyproxy-examples__front-proxy_envoy.yaml", Some(2)),
    (
        "envoyproxy-examples__locality-load-balancing_envoy.yaml",
        None,
    ),
    (
        "envoyproxy-examples__response-config-active-clusters.json",
        None,
    ),
    ("istio__bootstrap_running_golden.json", Some(5)),
    ("istio__endpoint_configdump.json", Some(37)),
    ("istio__endpoint_emptyfilter_output.json", Some(32)),
    ("istio__endpoint_portfilter_output.json", Some(2)),
    ("istio__none_cds.json", Some(8)),
    ("istio__none_eds.json", Some(5)),
    (
        "malston-istio-liveproject__milestone-6_istioctl_pc_endpoints.json",
        None,
    ),
];

/// Every Envoy/istioctl/xDS file (all `*.json`, and the YAML files whose names start with
/// `envoy`; the `istio__*.yaml` resources are not Envoy input) explains with exit 0, as text and
/// as JSON; a file of several clusters gives a listing (a JSON array).
#[test]
fn every_real_envoy_file_explains() {
    let Some(dir) = real_inputs() else { return };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("read real-inputs")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") || (n.starts_with("envoy") && n.ends_with(".yaml")))
        .collect();
    names.sort();
    assert!(names.len() >= 20, "{names:?}");
    let mut failures = Vec::new();
    for name in &names {
        let file = real(&dir, name);
        let text = meshlb(&["explain", &file]);
        if text.status != 0 {
            failures.push(format!(
                "{name} (text): exit {}: {}",
                text.status, text.stderr
            ));
        }
        let run = meshlb(&["explain", &file, "--format", "json"]);
        if run.status != 0 {
            failures.push(format!(
                "{name} (json): exit {}: {}",
                run.status, run.stderr
            ));
            continue;
        }
        let value: Value = match serde_json::from_str(&run.stdout) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{name}: not JSON: {e}"));
                continue;
            }
        };
        if let Some(&(_, rows)) = REAL_ROWS.iter().find(|(n, _)| n == name) {
            match (rows, value.as_array()) {
                (None, None) => {}
                (Some(n), Some(a)) if a.len() == n => {}
                (expected, _) => failures.push(format!(
                    "{name}: expected {expected:?} rows (None: one explanation), got {}",
                    value
                        .as_array()
                        .map_or("an explanation".to_string(), |a| format!(
                            "{} rows",
                            a.len()
                        ))
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Two Envoy Gateway dumps and an Istio dump holding the same cluster in several places:
/// `xds_cluster` is in the bootstrap, in static_clusters and in static_endpoint_configs (one
/// row); istioctl's dump has two static clusters, a dynamic one and an assignment of another.
#[test]
fn real_full_dumps_list_their_clusters() {
    let Some(dir) = real_inputs() else { return };
    let rows = listing(&[&real(&dir, "envoy-gateway__egctl_config_in.all.json")]);
    assert!(rows.contains_key("xds_cluster"), "{:?}", rows.keys());
    assert!(
        rows.contains_key("default-backend-rule-0-match-0-www.example.com"),
        "{:?}",
        rows.keys()
    );
    assert_eq!(rows.len(), 2, "{:?}", rows.keys());
    let rows = listing(&[&real(&dir, "istio__proxyconfig_config_dump.json")]);
    for name in [
        "agent",
        "prometheus_stats",
        "inbound-vip|8000|http|httpbin.default.svc.cluster.local",
        "inbound-vip|8100|http|httpbin.default.svc.cluster.local",
    ] {
        assert!(rows.contains_key(name), "{name} not in {:?}", rows.keys());
    }
}

/// ConfigDumpWithLocalityEndpoint: P2 holds 1.2.3.9 (healthy), P4 1.2.3.8, P6 1.2.3.4 and
/// 1.2.3.7; P0 and P1 are empty (health 0). health P2 = 100, NTA = 100 → P2 takes 100 %.
#[test]
fn real_config_dump_with_locality_endpoint_all_to_p2() {
    let Some(dir) = real_inputs() else { return };
    let x = json(&[
        "explain",
        &real(
            &dir,
            "envoy__admin_test_ConfigDumpWithLocalityEndpoint.json",
        ),
    ]);
    assert_eq!(load(&x, 2), (Some(100), Some(0), Some(false)));
    assert_shares(
        &x,
        &[
            ("1.2.3.9", 8, 1.0),
            ("1.2.3.8", 8, 0.0),
            ("1.2.3.4", 80, 0.0),
            ("1.2.3.7", 8, 0.0),
        ],
        1e-12,
    );
    assert_eq!(
        endpoint(&x, "1.2.3.9", 8)["locality"],
        "oceania/hello/world"
    );
}

/// ConfigDumpWithEndpoint: drop_overloads 350/MILLION → d = 0.00035; the only host (P6) takes
/// 1 − 0.00035.
#[test]
fn real_config_dump_with_endpoint_drops_350_per_million() {
    let Some(dir) = real_inputs() else { return };
    let x = json(&[
        "explain",
        &real(&dir, "envoy__admin_test_ConfigDumpWithEndpoint.json"),
    ]);
    let d = x["drop_overload"].as_f64().expect("drop_overload");
    assert!((d - 0.000_35).abs() < 1e-15, "{d}");
    assert_shares(&x, &[("1.2.3.4", 80, 1.0 - 0.000_35)], 1e-12);
}

/// Envoy Gateway weighted zones, CDS and EDS read together: round robin with locality weights
/// 70/20/1 → 35/91, 35/91, 20/91, 1/91; maglev with locality weights 80/20 (one host each) →
/// 0.8 / 0.2 within 2 table slots; the wrr_locality cluster (client-side weighted round robin)
/// is not explainable.
#[test]
fn real_envoy_gateway_weighted_zones() {
    let Some(dir) = real_inputs() else { return };
    let cds = real(
        &dir,
        "envoy-gateway__http-route-weighted-zones.clusters.yaml",
    );
    let eds = real(
        &dir,
        "envoy-gateway__http-route-weighted-zones.endpoints.yaml",
    );
    let rows = listing(&[&cds, &eds]);
    assert_eq!(rows.len(), 3, "{:?}", rows.keys());
    let wrr = &rows["route-with-weighted-zones-backend-utilization-dest/backend/0"];
    assert!(wrr["unexplained"].is_string(), "{wrr}");
    let x = explain_cluster(
        &[&cds, &eds],
        "route-with-weighted-zones-roundrobin-dest/backend/0",
    );
    assert_shares(
        &x,
        &[
            ("1.2.3.4", 8080, 35.0 / 91.0),
            ("2.3.4.5", 8080, 35.0 / 91.0),
            ("3.4.5.6", 8080, 20.0 / 91.0),
            ("4.5.6.7", 8080, 1.0 / 91.0),
        ],
        1e-9,
    );
    let m = explain_cluster(
        &[&cds, &eds],
        "route-with-weighted-zones-maglev-dest/backend/0",
    );
    assert_eq!(m["lb_policy"], "MAGLEV");
    assert_shares(
        &m,
        &[("10.0.0.1", 8080, 0.8), ("10.0.0.2", 8080, 0.2)],
        2.0 / 65_537.0,
    );
}

/// Envoy Gateway backend priority, CDS and EDS together: the extension policy's cluster has an
/// empty P0 locality (health 0) and three one-host localities at P1 (weights 1, least_request
/// with locality weighting) → P1 takes 100 %, 1/3 each.
#[test]
fn real_envoy_gateway_backend_priority() {
    let Some(dir) = real_inputs() else { return };
    let cds = real(&dir, "envoy-gateway__backend-priority.clusters.yaml");
    let eds = real(&dir, "envoy-gateway__backend-priority.endpoints.yaml");
    let x = explain_cluster(
        &[&cds, &eds],
        "envoyextensionpolicy/default/policy-for-http-route/0",
    );
    assert_eq!(x["lb_policy"], "LEAST_REQUEST");
    let third = 1.0 / 3.0;
    assert_shares(
        &x,
        &[
            ("8.8.8.8", 9000, third),
            ("1.1.1.1", 3001, third),
            ("2.2.2.2", 3443, third),
        ],
        1e-9,
    );
}

/// Zone splitting EDS alone (no cluster: no locality weighting): 9 hosts of weight 1 at P0 →
/// 1/9 each whatever the locality weights (30/30/30/120/60/10/20).
#[test]
fn real_zone_splitting_without_cluster_is_even() {
    let Some(dir) = real_inputs() else { return };
    let x = json(&[
        "explain",
        &real(
            &dir,
            "envoy-gateway__http-route-backend-zone-splitting.endpoints.yaml",
        ),
    ]);
    let endpoints = x["endpoints"].as_array().expect("endpoints");
    assert_eq!(endpoints.len(), 9);
    for e in endpoints {
        let s = e["share"].as_f64().expect("share");
        assert!((s - 1.0 / 9.0).abs() < 1e-9, "{e}");
    }
}

/// Consul, failover through gateways: each failover target is its own CLA. failover-target~0:
/// both hosts UNHEALTHY → 0 % healthy < 50 % → panic, the only priority → total panic: both
/// hosts 1/2. failover-target~2: both HEALTHY → 1/2 each. chain-and-failover, db:
/// overprovisioningFactor 100000 → P0 health min(100, 100000×2/2) = 100 → P1 gets nothing.
#[test]
fn real_consul_failover_targets() {
    let Some(dir) = real_inputs() else { return };
    let file = real(
        &dir,
        "consul__connect-proxy-with-tcp-chain-double-failover-through-remote-gateway-triggered.latest.golden.json",
    );
    let rows = listing(&[&file]);
    let t = |i: u32| {
        format!(
            "failover-target~{i}~db.default.dc1.internal.11111111-2222-3333-4444-555555555555.consul"
        )
    };
    for (i, healthy) in [(0, 0), (1, 0), (2, 2)] {
        let row = &rows[&t(i)];
        assert_eq!(
            (num(row, "endpoints"), num(row, "healthy")),
            (Some(2), Some(healthy)),
            "{row}"
        );
    }
    let x = explain_cluster(&[&file], &t(0));
    assert_eq!(priority(&x, 0)["panic"].as_bool(), Some(true), "{x:#}");
    assert_shares(
        &x,
        &[("10.10.1.1", 8080, 0.5), ("10.10.1.2", 8080, 0.5)],
        1e-12,
    );
    let y = explain_cluster(&[&file], &t(2));
    assert_eq!(priority(&y, 0)["panic"].as_bool(), Some(false), "{y:#}");
    assert_shares(
        &y,
        &[("198.38.1.1", 443, 0.5), ("198.38.1.2", 443, 0.5)],
        1e-12,
    );

    let chain = real(
        &dir,
        "consul__connect-proxy-with-chain-and-failover.latest.golden.json",
    );
    let z = explain_cluster(
        &[&chain],
        "db.default.dc1.internal.11111111-2222-3333-4444-555555555555.consul",
    );
    assert_shares(
        &z,
        &[
            ("10.10.1.1", 8080, 0.5),
            ("10.10.1.2", 8080, 0.5),
            ("10.20.1.1", 8080, 0.0),
            ("10.20.1.2", 8080, 0.0),
        ],
        1e-12,
    );
}

/// Envoy's locality sandbox: STRICT_DNS, locality weighted, backend-local-1 alone at P0 and
/// healthy (DNS hosts start healthy) → P0 health 100 → all traffic to it.
#[test]
fn real_locality_sandbox_all_to_p0() {
    let Some(dir) = real_inputs() else { return };
    let x = json(&[
        "explain",
        &real(
            &dir,
            "envoyproxy-examples__locality-load-balancing_envoy.yaml",
        ),
    ]);
    assert_shares(
        &x,
        &[
            ("backend-local-1", 8080, 1.0),
            ("backend-local-2", 8080, 0.0),
            ("backend-remote-1", 8080, 0.0),
            ("backend-remote-2", 8080, 0.0),
        ],
        1e-12,
    );
}

/// istioctl's endpoint config dump: reviews has 3 HEALTHY hosts at P0 → 1/3 each; kube-dns 2 →
/// 1/2 each.
#[test]
fn real_istio_endpoint_dump_one_cluster() {
    let Some(dir) = real_inputs() else { return };
    let file = real(&dir, "istio__endpoint_configdump.json");
    let x = explain_cluster(&[&file], "outbound|9080||reviews.default.svc.cluster.local");
    let third = 1.0 / 3.0;
    assert_shares(
        &x,
        &[
            ("10.244.0.192", 9080, third),
            ("10.244.0.193", 9080, third),
            ("10.244.0.195", 9080, third),
        ],
        1e-9,
    );
    let y = explain_cluster(
        &[&file],
        "outbound|53||kube-dns.kube-system.svc.cluster.local",
    );
    assert_shares(
        &y,
        &[("10.244.0.8", 53, 0.5), ("10.244.0.3", 53, 0.5)],
        1e-12,
    );
    let z = explain_cluster(&[&file], "xds-grpc");
    assert_shares(&z, &[("unix:./etc/istio/proxy/XDS", 0, 1.0)], 1e-12);
}

/// `istioctl proxy-config endpoints -o json` (camelCase ClusterStatus): 2 HEALTHY hosts of
/// weight 1 → 1/2 each.
#[test]
fn real_istioctl_pc_endpoints() {
    let Some(dir) = real_inputs() else { return };
    let x = json(&[
        "explain",
        &real(
            &dir,
            "malston-istio-liveproject__milestone-6_istioctl_pc_endpoints.json",
        ),
    ]);
    assert_shares(
        &x,
        &[("172.17.0.4", 8080, 0.5), ("172.17.0.9", 8080, 0.5)],
        1e-12,
    );
}

/// Envoy's /clusters test: the one host (P6) is eds DEGRADED but failed_active_health_check and
/// failed_outlier_check → unhealthy. P6 0 % healthy, P0..P5 empty: every priority in panic →
/// total panic, load by host count → P6 100 %, to the unhealthy host.
#[test]
fn real_clusters_json_unhealthy_by_flags_panics() {
    let Some(dir) = real_inputs() else { return };
    let x = json(&[
        "explain",
        &real(&dir, "envoy__admin_test_ClustersJsonAndText.json"),
    ]);
    assert_eq!(endpoint(&x, "1.2.3.4", 80)["health"], "UNHEALTHY");
    assert_eq!(priority(&x, 6)["panic"].as_bool(), Some(true), "{x:#}");
    assert_shares(&x, &[("1.2.3.4", 80, 1.0)], 1e-12);
}

// ------------------------------------------------------------------------------------------
// 3. Bad input: exit 2, naming the file, the place and the line

/// Runs `explain FILE EXTRA...` on `contents`; asserts exit 2 and a message naming the file.
fn rejected(name: &str, contents: &str, extra: &[&str]) -> (String, Run) {
    let path = temp_file(name, contents.as_bytes());
    let file = path.to_str().expect("utf-8 path").to_string();
    let mut args = vec!["explain", file.as_str()];
    args.extend_from_slice(extra);
    let run = meshlb(&args);
    assert_eq!(
        run.status, 2,
        "{name}: exit {}: {}{}",
        run.status, run.stdout, run.stderr
    );
    assert!(
        run.stderr.contains(&file),
        "{name}: the message names no file: {}",
        run.stderr
    );
    (file, run)
}

fn assert_mentions(run: &Run, parts: &[&str]) {
    for part in parts {
        assert!(run.stderr.contains(part), "`{part}` not in: {}", run.stderr);
    }
}

/// The sidecar dump cut off after its first 60 lines (no newline): the end of the document is on
/// line 60.
#[test]
fn truncated_config_dump() {
    let text = std::fs::read_to_string(fixture("istio-sidecar-config_dump.json")).expect("read");
    let cut: Vec<&str> = text.lines().take(60).collect();
    let (_, run) = rejected("cut.json", &cut.join("\n"), &[]);
    assert_mentions(&run, &["line 60"]);
}

/// The same, and the message names where in the document it stopped (the path), as every other
/// input error does.
#[test]
fn truncated_config_dump_names_the_path() {
    let text = std::fs::read_to_string(fixture("istio-sidecar-config_dump.json")).expect("read");
    let cut: Vec<&str> = text.lines().take(60).collect();
    let (_, run) = rejected("cut.json", &cut.join("\n"), &[]);
    // Line 60 is `"type": "STATIC"` of the prometheus_stats cluster.
    assert_mentions(&run, &["configs[1].static_clusters[1].cluster"]);
}

/// `--cluster` with a name the dump does not hold: the closest names are listed.
#[test]
fn missing_cluster_lists_the_closest() {
    let file = fixture("istio-sidecar-config_dump.json");
    let run = meshlb(&[
        "explain",
        &file,
        "--cluster",
        "outbound|9080||reviews.bookinfo",
        "--format",
        "json",
    ]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert_mentions(&run, &[&file, "outbound|9080||reviews.bookinfo", REVIEWS]);
}

/// A DiscoveryResponse of Listeners is not something to balance: its type_url (line 7) is named.
#[test]
fn discovery_response_of_listeners() {
    let text = r#"{
  "version_info": "3",
  "resources": [
    {"@type": "type.googleapis.com/envoy.config.listener.v3.Listener",
     "name": "virtualInbound"}
  ],
  "type_url": "type.googleapis.com/envoy.config.listener.v3.Listener",
  "nonce": "3"
}"#;
    let (_, run) = rejected("lds.json", text, &[]);
    assert_mentions(&run, &["type_url", "Listener", "line 7"]);
}

/// Two drop_overloads categories (Envoy accepts one): the second (line 9) is named.
#[test]
fn two_drop_overload_categories() {
    let text = r#"{
 "cluster_name": "inventory",
 "endpoints": [{"lb_endpoints": [
   {"endpoint": {"address": {"socket_address": {"address": "10.0.0.1", "port_value": 80}}}}]}],
 "policy": {
  "drop_overloads": [
   {"category": "throttle",
    "drop_percentage": {"numerator": 5, "denominator": "HUNDRED"}},
   {"category": "lb",
    "drop_percentage": {"numerator": 1, "denominator": "HUNDRED"}}
  ]
 }
}"#;
    let (_, run) = rejected("drops.json", text, &[]);
    assert_mentions(&run, &["policy.drop_overloads[1]", "line 9"]);
}

/// A misspelt field of a Cluster inside a config dump: the whole path and line 7.
#[test]
fn unknown_cluster_field_in_config_dump() {
    let text = r#"{"configs": [
 {"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
  "dynamic_active_clusters": [
   {"version_info": "1",
    "cluster": {"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
      "name": "outbound|80||web.default.svc.cluster.local", "type": "STATIC",
      "lb_polcy": "RANDOM"},
    "last_updated": "2026-11-30T09:14:27.512Z"}]}]}"#;
    let (_, run) = rejected("typo.json", text, &[]);
    assert_mentions(
        &run,
        &[
            "configs[0].dynamic_active_clusters[0].cluster.lb_polcy",
            "lb_policy",
            "line 7",
        ],
    );
}

/// A typed load_balancing_policy and common_lb_config.locality_weighted_lb_config together
/// (Envoy rejects the pair): the legacy field is named, with its line (10).
#[test]
fn typed_policy_with_common_locality_weighted() {
    let text = r#"- name: web
  type: STATIC
  load_balancing_policy:
    policies:
    - typed_extension_config:
        name: envoy.load_balancing_policies.round_robin
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin
  common_lb_config:
    locality_weighted_lb_config: {}
  load_assignment:
    cluster_name: web
    endpoints:
    - lb_endpoints:
      - endpoint:
          address:
            socket_address: {address: 10.0.0.1, port_value: 80}
"#;
    let (_, run) = rejected("typed.yaml", text, &[]);
    assert_mentions(
        &run,
        &["common_lb_config.locality_weighted_lb_config", "line 10"],
    );
}

/// A v2-era dump (`envoy.admin.v2alpha`, `envoy.api.v2.Cluster`: the same load-balancing
/// fields): v2's `hosts` list is one locality of weight-1 hosts; RANDOM ignores the endpoint
/// weights 3 and 1: 1/2 each.
#[test]
fn v2_config_dump_reads_as_v3() {
    let file = fixture("v2-clusters-config-dump.json");
    let rows = listing(&[&file]);
    assert_eq!(rows.len(), 2, "{:?}", rows.keys());
    let hello = "outbound|5000||helloworld.sample.svc.cluster.local";
    assert_eq!(rows[hello]["lb_policy"], "RANDOM");
    assert_eq!(rows[hello]["discovery_type"], "STRICT_DNS");
    assert_eq!(num(&rows["prometheus_stats"], "endpoints"), Some(1));
    let x = explain_cluster(&[&file], hello);
    assert_shares(
        &x,
        &[
            ("helloworld-v1.sample.svc.cluster.local", 5000, 0.5),
            ("helloworld-v2.sample.svc.cluster.local", 5000, 0.5),
        ],
        1e-9,
    );
}
