//! Istio's rules, one small scenario each, with the explanation expected from Istio's docs and
//! source (istio/istio `pilot/pkg/xds/endpoints/endpoint_builder.go`, `ep_filters.go`,
//! `pilot/pkg/networking/core/loadbalancer/loadbalancer.go`; Istio "Deployment Models"; shared
//! SEMANTICS.md part B). Expected values are derived by hand in the comments.

use meshlb_tests::{dropped, explain_json, meshlb, notes, shares};
use serde_json::Value;

fn explain(yaml: &str, extra: &[&str]) -> Value {
    explain_json("rule.yaml", yaml.as_bytes(), extra, yaml)
}

fn assert_shares(e: &Value, expected: &[(&str, f64)]) {
    let got = shares(e);
    for (key, want) in expected {
        let have = got
            .get(*key)
            .copied()
            .unwrap_or_else(|| panic!("no endpoint {key} in {got:?}\n{e:#}"));
        assert!(
            (have - want).abs() < 1e-9,
            "{key}: share {have}, expected {want}\n{e:#}"
        );
    }
    let total: f64 = got.values().sum();
    let expected_total: f64 = expected.iter().map(|(_, s)| s).sum();
    assert!(
        (total - expected_total).abs() < 1e-9,
        "unexpected endpoints: {got:?}"
    );
}

fn priority_of(e: &Value, address: &str) -> u64 {
    e["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .find(|ep| ep["address"] == address)
        .and_then(|ep| ep["priority"].as_u64())
        .unwrap_or_else(|| panic!("no endpoint {address}"))
}

const TWO_PRIMARIES: &str = r"
clusters:
  - { name: east, remoteSecrets: [west] }
  - { name: west, remoteSecrets: [east] }
services:
  - { name: reviews, namespace: bookinfo, clusters: [east, west], ports: [9080] }
workloads:
  - { service: reviews.bookinfo, cluster: east, address: 10.0.0.1, port: 9080, locality: r1/z1 }
  - { service: reviews.bookinfo, cluster: east, address: 10.0.0.2, port: 9080, locality: r1/z2 }
  - { service: reviews.bookinfo, cluster: west, address: 10.1.0.1, port: 9080, locality: r2/z1 }
  - { service: reviews.bookinfo, cluster: west, address: 10.1.0.2, port: 9080, locality: r2/z2 }
client: { cluster: east, namespace: bookinfo, locality: r1/z1 }
request: { host: reviews.bookinfo }
";

#[test]
fn namespace_sameness_merges_endpoints_and_spreads_evenly_by_default() {
    // Same name and namespace in two watched clusters = one service; with no DestinationRule
    // there is no outlier detection, so locality failover is inactive and every locality is
    // priority 0 (loadbalancer.go ApplyLocalityLoadBalancer): 4 endpoints, 1/4 each. Istio's
    // default policy is LEAST_REQUEST.
    let e = explain(TWO_PRIMARIES, &[]);
    assert_eq!(e["status"], "routed");
    assert_eq!(e["lb_policy"], "LEAST_REQUEST");
    assert_eq!(e["locality_lb"], "off");
    assert_eq!(e["host"], "reviews.bookinfo.svc.cluster.local");
    assert_shares(
        &e,
        &[
            ("10.0.0.1:9080", 0.25),
            ("10.0.0.2:9080", 0.25),
            ("10.1.0.1:9080", 0.25),
            ("10.1.0.2:9080", 0.25),
        ],
    );
    assert!(e["priorities"].as_array().expect("priorities").len() == 1);
}

#[test]
fn without_a_remote_secret_the_other_cluster_is_invisible() {
    // Blue/green by control plane: east holds no remote secret for west.
    let yaml = TWO_PRIMARIES.replace("{ name: east, remoteSecrets: [west] }", "{ name: east }");
    let e = explain(&yaml, &[]);
    assert_shares(&e, &[("10.0.0.1:9080", 0.5), ("10.0.0.2:9080", 0.5)]);
    let d = dropped(&e);
    assert_eq!(
        d,
        [
            ("10.1.0.1:9080".to_string(), "no-remote-secret".to_string()),
            ("10.1.0.2:9080".to_string(), "no-remote-secret".to_string())
        ]
    );
    // Both ways: west's client sees only west (it still watches east here, so cut that too).
    let both = yaml.replace("{ name: west, remoteSecrets: [east] }", "{ name: west }");
    let w = explain(&both, &["--from", "west/bookinfo", "--locality", "r2/z1"]);
    assert_shares(&w, &[("10.1.0.1:9080", 0.5), ("10.1.0.2:9080", 0.5)]);
    assert_eq!(w["client"]["control_plane"], "west");
}

#[test]
fn a_remote_cluster_is_configured_by_its_primary_and_uses_the_primary_config() {
    // The remote's proxies get config from the primary's cluster only: a DestinationRule held
    // in the remote is ignored (Istio "Deployment Models": config comes from the control
    // plane's config cluster).
    let yaml = r"
clusters:
  - { name: primary, remoteSecrets: [remote] }
  - { name: remote, controlPlane: primary }
services:
  - { name: api, namespace: shop, clusters: [primary, remote], ports: [8080] }
workloads:
  - { service: api.shop, cluster: primary, address: 10.0.0.1, port: 8080, locality: r1/z1 }
  - { service: api.shop, cluster: remote, address: 10.0.1.1, port: 8080, locality: r1/z2 }
config:
  - cluster: remote
    resources:
      - apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: { name: api, namespace: shop }
        spec:
          host: api.shop.svc.cluster.local
          trafficPolicy:
            loadBalancer: { simple: RANDOM }
            outlierDetection: { consecutive5xxErrors: 1 }
client: { cluster: remote, namespace: shop, locality: r1/z2 }
request: { host: api }
";
    let e = explain(yaml, &[]);
    assert_eq!(e["client"]["control_plane"], "primary");
    // The ignored rule would have set RANDOM and failover; the default applies instead.
    assert_eq!(e["lb_policy"], "LEAST_REQUEST");
    assert_eq!(e["locality_lb"], "off");
    assert_shares(&e, &[("10.0.0.1:8080", 0.5), ("10.0.1.1:8080", 0.5)]);
    assert!(
        notes(&e).contains("not read by control plane primary"),
        "{}",
        notes(&e)
    );
}

#[test]
fn an_external_control_plane_reads_config_from_its_config_cluster() {
    let yaml = r"
externalControlPlanes:
  - { name: managed, configCluster: c1, remoteSecrets: [c2] }
clusters:
  - { name: c1, controlPlane: managed }
  - { name: c2, controlPlane: managed }
services:
  - { name: api, namespace: shop, clusters: [c1, c2], ports: [8080] }
workloads:
  - { service: api.shop, cluster: c1, address: 10.0.0.1, port: 8080, locality: r1/z1 }
  - { service: api.shop, cluster: c2, address: 10.0.1.1, port: 8080, locality: r2/z1 }
config:
  - cluster: c1
    resources:
      - apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: { name: api, namespace: shop }
        spec:
          host: api.shop.svc.cluster.local
          trafficPolicy:
            loadBalancer: { simple: ROUND_ROBIN }
            outlierDetection: { consecutive5xxErrors: 1 }
client: { cluster: c2, namespace: shop, locality: r2/z1 }
request: { host: api.shop }
";
    let e = explain(yaml, &[]);
    assert_eq!(e["client"]["control_plane"], "managed");
    assert_eq!(e["lb_policy"], "ROUND_ROBIN");
    // Failover on (outlierDetection + mesh default): the client's region r2 first.
    assert_eq!(e["locality_lb"], "failover");
    assert_shares(&e, &[("10.0.1.1:8080", 1.0), ("10.0.0.1:8080", 0.0)]);
}

#[test]
fn two_primaries_can_disagree_and_each_client_gets_its_own_config() {
    // East holds a DestinationRule with failover; west holds none: the same service, two
    // behaviours.
    let yaml = format!(
        "{TWO_PRIMARIES}config:
  - cluster: east
    resources:
      - apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {{ name: reviews, namespace: bookinfo }}
        spec:
          host: reviews
          trafficPolicy:
            outlierDetection: {{ consecutive5xxErrors: 1 }}
"
    );
    let east = explain(&yaml, &[]);
    // Client r1/z1: 10.0.0.1 same zone (0), 10.0.0.2 same region (2 → 1), west r2 (3 → 2).
    assert_eq!(east["locality_lb"], "failover");
    assert_eq!(
        (
            priority_of(&east, "10.0.0.1"),
            priority_of(&east, "10.0.0.2"),
            priority_of(&east, "10.1.0.1")
        ),
        (0, 1, 2)
    );
    assert_shares(
        &east,
        &[
            ("10.0.0.1:9080", 1.0),
            ("10.0.0.2:9080", 0.0),
            ("10.1.0.1:9080", 0.0),
            ("10.1.0.2:9080", 0.0),
        ],
    );
    let west = explain(&yaml, &["--from", "west/bookinfo", "--locality", "r2/z1"]);
    assert_eq!(west["locality_lb"], "off");
    assert_shares(
        &west,
        &[
            ("10.0.0.1:9080", 0.25),
            ("10.0.0.2:9080", 0.25),
            ("10.1.0.1:9080", 0.25),
            ("10.1.0.2:9080", 0.25),
        ],
    );
}

const FAILOVER: &str = r"
clusters:
  - { name: c1 }
services:
  - { name: helloworld, namespace: sample, clusters: [c1], ports: [5000] }
workloads:
  - { service: helloworld.sample, cluster: c1, address: 10.0.1.1, port: 5000, locality: region1/zone1 }
  - { service: helloworld.sample, cluster: c1, address: 10.0.2.1, port: 5000, locality: region1/zone2 }
  - { service: helloworld.sample, cluster: c1, address: 10.0.3.1, port: 5000, locality: region2/zone3 }
  - { service: helloworld.sample, cluster: c1, address: 10.0.4.1, port: 5000, locality: region3/zone4 }
config:
  - cluster: c1
    resources:
      - apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: { name: helloworld, namespace: sample }
        spec:
          host: helloworld.sample.svc.cluster.local
          trafficPolicy:
            connectionPool: { http: { maxRequestsPerConnection: 1 } }
            loadBalancer:
              simple: ROUND_ROBIN
              localityLbSetting:
                enabled: true
                failover:
                  - { from: region1, to: region2 }
            outlierDetection: { consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 1m }
client: { cluster: c1, namespace: sample, locality: region1/zone1 }
request: { host: helloworld.sample }
";

#[test]
fn locality_failover_zone_then_region_then_failover_region() {
    // Istio task "Locality failover": client region1/zone1; priorities region1/zone1 0,
    // region1/zone2 2, region2 (the failover target) 3, region3 4 → compacted 0,1,2,3.
    let e = explain(FAILOVER, &[]);
    assert_eq!(e["locality_lb"], "failover");
    assert_eq!(e["locality_weighted"], true);
    let p: Vec<u64> = ["10.0.1.1", "10.0.2.1", "10.0.3.1", "10.0.4.1"]
        .iter()
        .map(|a| priority_of(&e, a))
        .collect();
    assert_eq!(p, [0, 1, 2, 3]);
    // All healthy: everything in the client's zone.
    assert_shares(
        &e,
        &[
            ("10.0.1.1:5000", 1.0),
            ("10.0.2.1:5000", 0.0),
            ("10.0.3.1:5000", 0.0),
            ("10.0.4.1:5000", 0.0),
        ],
    );
    // The zone fails (its pod not ready, sent as UNHEALTHY under 1.31): the next zone of the
    // region takes everything (P0 health 0, P1 100).
    let zone_down = FAILOVER.replace(
        "address: 10.0.1.1, port: 5000, locality: region1/zone1 }",
        "address: 10.0.1.1, port: 5000, locality: region1/zone1, health: UNHEALTHY }",
    );
    let e = explain(&zone_down, &[]);
    assert_shares(
        &e,
        &[
            ("10.0.1.1:5000", 0.0),
            ("10.0.2.1:5000", 1.0),
            ("10.0.3.1:5000", 0.0),
            ("10.0.4.1:5000", 0.0),
        ],
    );
    // The whole region fails: region2, the failover target, takes everything, not region3.
    let region_down = zone_down.replace(
        "address: 10.0.2.1, port: 5000, locality: region1/zone2 }",
        "address: 10.0.2.1, port: 5000, locality: region1/zone2, health: UNHEALTHY }",
    );
    let e = explain(&region_down, &[]);
    assert_shares(
        &e,
        &[
            ("10.0.1.1:5000", 0.0),
            ("10.0.2.1:5000", 0.0),
            ("10.0.3.1:5000", 1.0),
            ("10.0.4.1:5000", 0.0),
        ],
    );
    // Istio sets the panic threshold to minHealthPercent (0): unhealthy hosts never serve.
    assert_eq!(e["panic_threshold"], 0);
}

#[test]
fn without_outlier_detection_failover_is_inactive() {
    let yaml = FAILOVER.replace("            outlierDetection: { consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 1m }\n", "");
    let e = explain(&yaml, &[]);
    assert_eq!(e["locality_lb"], "off");
    assert_eq!(e["locality_weighted"], false);
    assert_shares(
        &e,
        &[
            ("10.0.1.1:5000", 0.25),
            ("10.0.2.1:5000", 0.25),
            ("10.0.3.1:5000", 0.25),
            ("10.0.4.1:5000", 0.25),
        ],
    );
    assert!(notes(&e).contains("inactive"), "{}", notes(&e));
}

#[test]
fn enabled_false_turns_locality_lb_off_even_with_outlier_detection() {
    let yaml = FAILOVER.replace("enabled: true", "enabled: false").replace(
        "                failover:\n                  - { from: region1, to: region2 }\n",
        "",
    );
    let e = explain(&yaml, &[]);
    assert_eq!(e["locality_lb"], "off");
    assert_shares(
        &e,
        &[
            ("10.0.1.1:5000", 0.25),
            ("10.0.2.1:5000", 0.25),
            ("10.0.3.1:5000", 0.25),
            ("10.0.4.1:5000", 0.25),
        ],
    );
}

#[test]
fn weighted_distribution_gives_the_configured_percentages() {
    // Istio task "Locality weighted distribution": from region1/zone1/* to region1/zone1 70%,
    // region1/zone2 20%, region3/zone4 10%. One endpoint per locality: group weights become
    // ceil(1*70/1)=70, 20, 10, and Envoy's locality-weighted LB splits 70/20/10. region2/zone3
    // matches no `to`: its endpoints are removed (not-distributed). No outlier detection needed.
    let yaml = FAILOVER
        .replace("                failover:\n                  - { from: region1, to: region2 }\n", "                distribute:\n                  - from: region1/zone1/*\n                    to:\n                      \"region1/zone1/*\": 70\n                      \"region1/zone2/*\": 20\n                      \"region3/zone4/*\": 10\n")
        .replace("            outlierDetection: { consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 1m }\n", "");
    let e = explain(&yaml, &[]);
    assert_eq!(e["locality_lb"], "distribute");
    assert_shares(
        &e,
        &[
            ("10.0.1.1:5000", 0.7),
            ("10.0.2.1:5000", 0.2),
            ("10.0.4.1:5000", 0.1),
        ],
    );
    assert_eq!(
        dropped(&e),
        [("10.0.3.1:5000".to_string(), "not-distributed".to_string())]
    );
}

#[test]
fn failover_priority_ranks_by_labels() {
    // failoverPriority [topology.istio.io/network, topology.istio.io/cluster]; client on n1 in
    // c1. Istio 1.31: same network and cluster → 0; same network, other cluster → 1; other
    // network → preferred-not-required: 2 + rank of the rest (cluster differs → 1) = 3.
    // Compacted: 0, 1, 2.
    let yaml = r"
clusters:
  - { name: c1, network: n1, remoteSecrets: [c2, c3] }
  - { name: c2, network: n1, controlPlane: c1 }
  - { name: c3, network: n2, controlPlane: c1 }
services:
  - { name: api, namespace: shop, clusters: [c1, c2, c3], ports: [8080] }
workloads:
  - { service: api.shop, cluster: c1, address: 10.0.0.1, port: 8080, locality: r1/z1 }
  - { service: api.shop, cluster: c2, address: 10.0.1.1, port: 8080, locality: r1/z1 }
  - { service: api.shop, cluster: c3, address: 10.0.2.1, port: 8080, locality: r1/z1 }
config:
  - cluster: c1
    resources:
      - apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: { name: api, namespace: shop }
        spec:
          host: api.shop.svc.cluster.local
          trafficPolicy:
            loadBalancer:
              localityLbSetting:
                failoverPriority: [topology.istio.io/network, topology.istio.io/cluster]
            outlierDetection: { consecutive5xxErrors: 1 }
client: { cluster: c1, namespace: shop, locality: r1/z1 }
request: { host: api.shop }
";
    let e = explain(yaml, &[]);
    assert_eq!(e["locality_lb"], "failover-priority");
    assert_eq!(
        (
            priority_of(&e, "10.0.0.1"),
            priority_of(&e, "10.0.1.1"),
            priority_of(&e, "10.0.2.1")
        ),
        (0, 1, 2)
    );
    assert_shares(
        &e,
        &[
            ("10.0.0.1:8080", 1.0),
            ("10.0.1.1:8080", 0.0),
            ("10.0.2.1:8080", 0.0),
        ],
    );
    // Istio 1.30: a network mismatch ranks N = 2 like any other first-label mismatch, the
    // cluster mismatch on the same network ranks 1: raw 0, 1, 2 → the same order here.
    let old = explain(&format!("istioVersion: \"1.30\"\n{yaml}"), &[]);
    assert_eq!(
        (
            priority_of(&old, "10.0.0.1"),
            priority_of(&old, "10.0.1.1"),
            priority_of(&old, "10.0.2.1")
        ),
        (0, 1, 2)
    );
}

#[test]
fn prefer_close_traffic_distribution_forces_failover_priority_without_outlier_detection() {
    // Service trafficDistribution PreferClose → failoverPriority [network, region, zone],
    // forced (no outlierDetection needed); Istio then always sends unhealthy endpoints.
    let yaml = r"
clusters:
  - { name: c1 }
services:
  - { name: api, namespace: shop, clusters: [c1], ports: [8080], trafficDistribution: PreferClose }
workloads:
  - { service: api.shop, cluster: c1, address: 10.0.0.1, port: 8080, locality: r1/z1 }
  - { service: api.shop, cluster: c1, address: 10.0.0.2, port: 8080, locality: r1/z2 }
  - { service: api.shop, cluster: c1, address: 10.0.0.3, port: 8080, locality: r2/z1 }
client: { cluster: c1, namespace: shop, locality: r1/z1 }
request: { host: api.shop }
";
    let e = explain(yaml, &[]);
    assert_eq!(e["locality_lb"], "failover-priority");
    // Labels [network (all ""), region, zone]: same zone 0; other zone → 3-2 = 1; other region
    // → 3-1 = 2.
    assert_eq!(
        (
            priority_of(&e, "10.0.0.1"),
            priority_of(&e, "10.0.0.2"),
            priority_of(&e, "10.0.0.3")
        ),
        (0, 1, 2)
    );
    assert_shares(
        &e,
        &[
            ("10.0.0.1:8080", 1.0),
            ("10.0.0.2:8080", 0.0),
            ("10.0.0.3:8080", 0.0),
        ],
    );
}

#[test]
fn virtual_service_splits_over_subsets_blue_green() {
    // VS 90/10 over subsets blue/green: each subset is its own Envoy cluster; share = route
    // weight × share in the subset. blue has 2 endpoints (0.45 each), green 1 (0.1); the
    // canary pod labelled version=canary is in no routed subset.
    let yaml = r"
clusters:
  - { name: c1 }
services:
  - { name: web, namespace: shop, clusters: [c1], ports: [80] }
workloads:
  - { service: web.shop, cluster: c1, address: 10.0.0.1, port: 80, labels: { version: blue } }
  - { service: web.shop, cluster: c1, address: 10.0.0.2, port: 80, labels: { version: blue } }
  - { service: web.shop, cluster: c1, address: 10.0.0.3, port: 80, labels: { version: green } }
  - { service: web.shop, cluster: c1, address: 10.0.0.4, port: 80, labels: { version: canary } }
config:
  - cluster: c1
    resources:
      - apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: { name: web, namespace: shop }
        spec:
          host: web
          subsets:
            - { name: blue, labels: { version: blue } }
            - { name: green, labels: { version: green } }
      - apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: { name: web, namespace: shop }
        spec:
          hosts: [web]
          http:
            - route:
                - { destination: { host: web, subset: blue }, weight: 90 }
                - { destination: { host: web, subset: green }, weight: 10 }
client: { cluster: c1, namespace: shop }
request: { host: web.shop }
";
    let e = explain(yaml, &[]);
    assert_shares(
        &e,
        &[
            ("10.0.0.1:80", 0.45),
            ("10.0.0.2:80", 0.45),
            ("10.0.0.3:80", 0.1),
        ],
    );
    assert_eq!(
        e["routes"],
        serde_json::json!([{ "subset": "blue", "weight": 90 }, { "subset": "green", "weight": 10 }])
    );
    assert_eq!(
        dropped(&e),
        [("10.0.0.4:80".to_string(), "not-in-subset".to_string())]
    );
    let subsets: Vec<&str> = e["priorities"]
        .as_array()
        .expect("priorities")
        .iter()
        .filter_map(|p| p["subset"].as_str())
        .collect();
    assert_eq!(subsets, ["blue", "green"]);
    // 100/0: green gets nothing; its destination is dropped from the weighted clusters.
    let all_blue = yaml
        .replace("weight: 10 }", "weight: 0 }")
        .replace("weight: 90 }", "weight: 100 }");
    let e = explain(&all_blue, &[]);
    assert_shares(&e, &[("10.0.0.1:80", 0.5), ("10.0.0.2:80", 0.5)]);
}

const MULTI_NETWORK: &str = r"
clusters:
  - { name: c1, network: n1, remoteSecrets: [c2, c3] }
  - { name: c2, network: n2, controlPlane: c1 }
  - { name: c3, network: n3, controlPlane: c1 }
networks:
  - name: n2
    gateways:
      - { address: 192.0.2.1, cluster: c2 }
      - { address: 192.0.2.2, cluster: c2 }
services:
  - { name: api, namespace: shop, clusters: [c1, c2, c3], ports: [8080] }
workloads:
  - { service: api.shop, cluster: c1, address: 10.0.0.1, port: 8080, locality: r1/z1 }
  - { service: api.shop, cluster: c2, address: 10.1.0.1, port: 8080, locality: r1/z2 }
  - { service: api.shop, cluster: c2, address: 10.1.0.2, port: 8080, locality: r1/z2 }
  - { service: api.shop, cluster: c2, address: 10.1.0.3, port: 8080, locality: r1/z2, sidecar: false }
  - { service: api.shop, cluster: c3, address: 10.2.0.1, port: 8080, locality: r1/z3 }
client: { cluster: c1, namespace: shop, locality: r1/z1 }
request: { host: api.shop }
";

#[test]
fn other_networks_go_through_east_west_gateways() {
    // n2 has two gateways (in c2): scale factor lcm(2 per network, 2 per network+cluster) = 2.
    // Local 10.0.0.1 weight 1×2 = 2. n2's two sidecar endpoints: 2 each, split over 2
    // gateways: 1+1 = 2 per gateway. The proxyless one is dropped. n3 has no gateway: sent
    // directly with weight 2, and a note says so. One priority (no failover): shares follow
    // weights over 2 + 2 + 2 + 2 = 8 (LEAST_REQUEST at equal load follows weights).
    let e = explain(MULTI_NETWORK, &[]);
    assert_shares(
        &e,
        &[
            ("10.0.0.1:8080", 0.25),
            ("192.0.2.1:15443", 0.25),
            ("192.0.2.2:15443", 0.25),
            ("10.2.0.1:8080", 0.25),
        ],
    );
    let gw: Vec<&Value> = e["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .filter(|ep| ep["kind"] == "gateway")
        .collect();
    assert_eq!(gw.len(), 2);
    for g in gw {
        assert_eq!(g["weight"], 2);
        assert_eq!(g["locality"], "r1/z2");
        assert_eq!(
            g["behind"],
            serde_json::json!(["10.1.0.1:8080", "10.1.0.2:8080"])
        );
    }
    assert_eq!(
        dropped(&e),
        [(
            "10.1.0.3:8080".to_string(),
            "proxyless-cross-network".to_string()
        )]
    );
    assert!(
        notes(&e).contains("network n3 has no east-west gateway"),
        "{}",
        notes(&e)
    );
}

#[test]
fn dns_needs_the_service_in_the_client_cluster_unless_dns_proxying() {
    let yaml = r"
clusters:
  - { name: c1, remoteSecrets: [c2] }
  - { name: c2, controlPlane: c1 }
services:
  - { name: api, namespace: shop, clusters: [c2], ports: [8080] }
workloads:
  - { service: api.shop, cluster: c2, address: 10.0.1.1, port: 8080 }
client: { cluster: c1, namespace: shop }
request: { host: api.shop }
";
    let e = explain(yaml, &[]);
    assert_eq!(e["status"], "dns-failure");
    assert_eq!(e["endpoints"], serde_json::json!([]));
    let with_proxy = yaml.replace(
        "{ name: c1, remoteSecrets: [c2] }",
        "{ name: c1, remoteSecrets: [c2], dnsProxy: true }",
    );
    let e = explain(&with_proxy, &[]);
    assert_eq!(e["status"], "routed");
    assert_shares(&e, &[("10.0.1.1:8080", 1.0)]);
}

#[test]
fn service_entry_hosts_resolve_only_with_dns_proxying_and_go_out_unknown() {
    let yaml = r"
clusters:
  - { name: c1 }
services: []
workloads: []
config:
  - cluster: c1
    resources:
      - apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: { name: ext, namespace: shop }
        spec:
          hosts: [api.example.com]
          ports: [{ number: 443, name: https, protocol: TLS }]
          location: MESH_INTERNAL
          resolution: STATIC
          endpoints:
            - { address: 203.0.113.1 }
            - { address: 203.0.113.2, weight: 3 }
client: { cluster: c1, namespace: shop }
request: { host: api.example.com }
";
    let e = explain(yaml, &[]);
    assert_eq!(e["status"], "dns-failure");
    let e = explain(
        &yaml.replace("{ name: c1 }", "{ name: c1, dnsProxy: true }"),
        &[],
    );
    assert_eq!(e["status"], "routed");
    // Weights 1 and 3; ServiceEntry endpoints carry no health: UNKNOWN, which Envoy serves.
    assert_shares(&e, &[("203.0.113.1:443", 0.25), ("203.0.113.2:443", 0.75)]);
    assert!(
        e["endpoints"]
            .as_array()
            .expect("endpoints")
            .iter()
            .all(|ep| ep["health"] == "UNKNOWN")
    );
}

#[test]
fn export_to_dot_hides_a_service_from_other_namespaces() {
    let yaml = r#"
clusters:
  - { name: c1 }
services:
  - { name: db, namespace: data, clusters: [c1], ports: [5432], exportTo: ["."] }
workloads:
  - { service: db.data, cluster: c1, address: 10.0.0.1, port: 5432 }
client: { cluster: c1, namespace: shop }
request: { host: db.data }
"#;
    let e = explain(yaml, &[]);
    assert_eq!(e["status"], "not-visible");
    assert!(notes(&e).contains("PassthroughCluster"), "{}", notes(&e));
    // From its own namespace it is visible.
    let e = explain(yaml, &["--from", "c1/data"]);
    assert_eq!(e["status"], "routed");
}

#[test]
fn cluster_local_hosts_use_only_the_client_cluster() {
    // kube-system services are cluster-local by default (cluster_local.go); serviceSettings
    // makes others so.
    let yaml = r#"
clusters:
  - name: c1
    remoteSecrets: [c2]
    meshConfig:
      serviceSettings:
        - settings: { clusterLocal: true }
          hosts: ["*.cache.svc.cluster.local"]
  - { name: c2, remoteSecrets: [c1] }
services:
  - { name: redis, namespace: cache, clusters: [c1, c2], ports: [6379] }
  - { name: dns, namespace: kube-system, clusters: [c1, c2], ports: [53] }
workloads:
  - { service: redis.cache, cluster: c1, address: 10.0.0.1, port: 6379 }
  - { service: redis.cache, cluster: c2, address: 10.1.0.1, port: 6379 }
  - { service: dns.kube-system, cluster: c1, address: 10.0.0.53, port: 53 }
  - { service: dns.kube-system, cluster: c2, address: 10.1.0.53, port: 53 }
client: { cluster: c1, namespace: cache }
request: { host: redis.cache }
"#;
    let e = explain(yaml, &[]);
    assert_shares(&e, &[("10.0.0.1:6379", 1.0)]);
    assert_eq!(
        dropped(&e),
        [("10.1.0.1:6379".to_string(), "cluster-local".to_string())]
    );
    let e = explain(yaml, &["--to", "dns.kube-system"]);
    assert_shares(&e, &[("10.0.0.53:53", 1.0)]);
}

#[test]
fn unready_and_terminating_pods_follow_the_istio_version() {
    let yaml = r"
clusters:
  - { name: c1 }
services:
  - { name: api, namespace: shop, clusters: [c1], ports: [8080] }
workloads:
  - { service: api.shop, cluster: c1, address: 10.0.0.1, port: 8080 }
  - { service: api.shop, cluster: c1, address: 10.0.0.2, port: 8080, health: UNHEALTHY }
  - { service: api.shop, cluster: c1, address: 10.0.0.3, port: 8080, terminating: true }
client: { cluster: c1, namespace: shop }
request: { host: api.shop }
";
    // 1.31: the unready pod is sent as UNHEALTHY (share 0), panic threshold 0.
    let e = explain(yaml, &[]);
    assert_shares(&e, &[("10.0.0.1:8080", 1.0), ("10.0.0.2:8080", 0.0)]);
    assert_eq!(e["panic_threshold"], 0);
    assert_eq!(
        dropped(&e),
        [("10.0.0.3:8080".to_string(), "terminating".to_string())]
    );
    // 1.30: unready pods are not sent at all; Envoy's 50 % panic threshold stays.
    let e = explain(&format!("istioVersion: \"1.30\"\n{yaml}"), &[]);
    assert_shares(&e, &[("10.0.0.1:8080", 1.0)]);
    assert_eq!(e["panic_threshold"], 50);
    let d = dropped(&e);
    assert!(
        d.contains(&("10.0.0.2:8080".to_string(), "not-ready".to_string())),
        "{d:?}"
    );
}

const TWO_MESHES: &str = r"
meshes:
  - { id: mesh1, trustDomain: mesh1.local }
  - { id: mesh2, trustDomain: mesh2.local }
clusters:
  - { name: a, mesh: mesh1, network: na }
  - { name: b, mesh: mesh2, network: nb }
networks:
  - name: nb
    gateways: [{ address: 198.51.100.1, cluster: b }]
services:
  - { name: ratings, namespace: shop, clusters: [a, b], ports: [9080] }
workloads:
  - { service: ratings.shop, cluster: a, address: 10.0.0.1, port: 9080 }
  - { service: ratings.shop, cluster: b, address: 10.9.0.1, port: 9080 }
client: { cluster: a, namespace: shop }
request: { host: ratings.shop }
";

#[test]
fn services_of_different_meshes_never_merge_without_federation() {
    let e = explain(TWO_MESHES, &[]);
    assert_shares(&e, &[("10.0.0.1:9080", 1.0)]);
    assert_eq!(
        dropped(&e),
        [("10.9.0.1:9080".to_string(), "other-mesh".to_string())]
    );
}

#[test]
fn federation_needs_trust() {
    let imported = TWO_MESHES.replace("{ id: mesh1, trustDomain: mesh1.local }", "{ id: mesh1, trustDomain: mesh1.local, imports: [{ mesh: mesh2, service: ratings.shop }] }");
    // Imported but not trusted: mesh2's endpoint is dropped as untrusted; mesh1's own stays.
    let e = explain(&imported, &[]);
    assert_eq!(
        dropped(&e),
        [("10.9.0.1:9080".to_string(), "untrusted-mesh".to_string())]
    );
    // With mesh2's bundle imported, mesh2's endpoint is reached through its gateway: two
    // endpoints of weight 1 → 1/2 each.
    let trusted = imported.replace(
        "trustDomain: mesh1.local,",
        "trustDomain: mesh1.local, trustBundles: [mesh2],",
    );
    let e = explain(&trusted, &[]);
    assert_shares(&e, &[("10.0.0.1:9080", 0.5), ("198.51.100.1:15443", 0.5)]);
    // A service only in mesh2, imported without trust: status untrusted.
    let only_remote = imported
        .replace("clusters: [a, b], ports", "clusters: [b], ports")
        .replace(
            "  - { service: ratings.shop, cluster: a, address: 10.0.0.1, port: 9080 }\n",
            "",
        )
        .replace(
            "{ name: a, mesh: mesh1, network: na }",
            "{ name: a, mesh: mesh1, network: na, dnsProxy: true }",
        );
    let e = explain(&only_remote, &[]);
    assert_eq!(e["status"], "untrusted", "{e:#}");
}

#[test]
fn the_built_in_default_scenario() {
    // examples/default.yaml: client east us-east/us-east-1a; failover us-east → us-west.
    // P0 = us-east-1a (10.1.0.11 healthy, 10.1.0.12 not ready → UNHEALTHY): health 140×1/2 = 70;
    // P1 = us-east-1b (2 healthy): 100; P2 = us-west via gateway 192.0.2.20 (weight 2: two
    // sidecar pods; the proxyless one is dropped). Loads 70/30/0.
    let run = meshlb(&["explain", "--format", "json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let e: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(e["locality_lb"], "failover");
    let loads: Vec<u64> = e["priorities"]
        .as_array()
        .expect("priorities")
        .iter()
        .map(|p| p["healthy_load"].as_u64().expect("load"))
        .collect();
    assert_eq!(loads, [70, 30, 0]);
    assert_shares(
        &e,
        &[
            ("10.1.0.11:9080", 0.7),
            ("10.1.0.12:9080", 0.0),
            ("10.2.0.21:9080", 0.15),
            ("10.2.0.22:9080", 0.15),
            ("192.0.2.20:15443", 0.0),
        ],
    );
    assert_eq!(
        dropped(&e),
        [(
            "10.3.0.33:9080".to_string(),
            "proxyless-cross-network".to_string()
        )]
    );
}

#[test]
fn a_subset_min_health_percent_holds_back_that_subsets_unready_pods() {
    let yaml = std::fs::read_to_string(
        meshlb_tests::workspace_root().join("tests/scenarios/subset-min-health.yaml"),
    )
    .expect("scenario");
    let e = explain(&yaml, &[]);
    // Blue: 2 pods × 0.45; green: its one ready pod takes the whole 0.1, no panic.
    assert_shares(
        &e,
        &[
            ("10.0.0.1:8080", 0.45),
            ("10.0.0.2:8080", 0.45),
            ("10.0.0.3:8080", 0.1),
        ],
    );
    let d = dropped(&e);
    assert!(
        d.contains(&("10.0.0.5:8080".to_string(), "not-ready".to_string())),
        "{d:?}"
    );
    assert!(
        d.contains(&("10.0.0.6:8080".to_string(), "not-ready".to_string())),
        "{d:?}"
    );
    assert!(
        d.contains(&("10.0.0.4:8080".to_string(), "not-in-subset".to_string())),
        "{d:?}"
    );
    assert!(
        e["priorities"]
            .as_array()
            .expect("priorities")
            .iter()
            .all(|p| p["panic"] == false)
    );
}

#[test]
fn balancer_updates_move_traffic_to_the_failover_locality() {
    // The built-in default: P0 us-east-1a (10.1.0.11 healthy), P1 us-east-1b. Failing
    // 10.1.0.11 at run time leaves P0 with no healthy host: health 0, so P1 takes 100 %.
    let text =
        std::fs::read_to_string(meshlb_tests::workspace_root().join("examples/default.yaml"))
            .expect("default");
    let loaded =
        meshlb_formats::load("default", &text, &meshlb_formats::Options::default()).expect("loads");
    let mut balancer = meshlb_formats::Balancer::new(loaded, 11);
    let before: Vec<String> = (0..1000)
        .filter_map(|_| balancer.pick(None))
        .map(|p| p.locality)
        .collect();
    assert!(before.iter().any(|l| l == "us-east/us-east-1a"));
    balancer
        .set_health("10.1.0.11", 9080, meshlb::HealthStatus::Unhealthy)
        .expect("known workload");
    let after: Vec<String> = (0..1000)
        .filter_map(|_| balancer.pick(None))
        .map(|p| p.locality)
        .collect();
    assert_eq!(after.len(), 1000);
    assert!(after.iter().all(|l| l == "us-east/us-east-1b"), "{after:?}");
    assert!(
        balancer
            .set_health("10.9.9.9", 1, meshlb::HealthStatus::Healthy)
            .is_err()
    );
    assert!(balancer.set_weight("10.2.0.21", 9080, 0).is_err());
    // Weight 3 on one of P1's two hosts: 3/4 of P1's traffic.
    balancer.set_weight("10.2.0.21", 9080, 3).expect("weight");
    let share = balancer
        .explain()
        .endpoints
        .iter()
        .find(|e| e.address == "10.2.0.21")
        .map(|e| e.share);
    assert_eq!(share, Some(0.75));
}

#[test]
fn meshlb_pick_prints_the_balancer_sequence() {
    let run = meshlb(&["pick", "--requests", "4", "--seed", "3", "--format", "json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let picks: Vec<Option<String>> = serde_json::from_str(&run.stdout).expect("JSON");
    let text =
        std::fs::read_to_string(meshlb_tests::workspace_root().join("examples/default.yaml"))
            .expect("default");
    let loaded =
        meshlb_formats::load("default", &text, &meshlb_formats::Options::default()).expect("loads");
    let mut balancer = meshlb_formats::Balancer::new(loaded, 3);
    let native: Vec<Option<String>> = (0..4)
        .map(|_| {
            balancer
                .pick(None)
                .map(|p| format!("{}:{}", p.address, p.port))
        })
        .collect();
    assert_eq!(picks, native);
}

/// `--from CLUSTER/NAMESPACE` places the client as the report places a client there: in the
/// locality of that namespace's workloads in that cluster (the first one's, in scenario order,
/// when they are in several), without the scenario client's labels (its own pod's); where no
/// workload of the namespace runs, it keeps the scenario client's locality. A note says which.
#[test]
fn from_places_the_client_in_its_namespaces_locality() {
    let yaml = r#"
clusters:
  - { name: c1, remoteSecrets: [c2] }
  - { name: c2, remoteSecrets: [c1] }
services:
  - { name: web, namespace: shop, clusters: [c1, c2], ports: [80] }
workloads:
  - { service: web.shop, cluster: c1, address: 10.0.0.1, port: 80, locality: r1/z1 }
  - { service: web.shop, cluster: c2, address: 10.0.1.1, port: 80, locality: r2/z2 }
  - { service: web.shop, cluster: c2, address: 10.0.1.2, port: 80, locality: r2/z3 }
client: { cluster: c1, namespace: shop, locality: r1/z1, labels: { app: web } }
request: { host: web.shop }
"#;
    // c2's shop workloads are in r2/z2, then r2/z3: the first.
    let e = explain(yaml, &["--from", "c2/shop"]);
    assert_eq!(e["client"]["cluster"], "c2");
    assert_eq!(e["client"]["locality"], "r2/z2");
    let n = notes(&e);
    assert!(
        n.contains("the client moves from c1/shop to c2/shop, in its first workload's locality r2/z2 (others: r2/z3; choose with --locality)"),
        "{n}"
    );
    assert!(
        n.contains("the scenario client's labels (app=web) stay behind"),
        "{n}"
    );
    // --locality still decides.
    let e = explain(yaml, &["--from", "c2/shop", "--locality", "r2/z3"]);
    assert_eq!(e["client"]["locality"], "r2/z3");
    // The client's own place: nothing moves.
    let e = explain(yaml, &["--from", "c1/shop"]);
    assert_eq!(e["client"]["locality"], "r1/z1");
    assert!(!notes(&e).contains("moves"), "{}", notes(&e));
    // No workload of `ops` runs in c2: the locality stays, and the note says so.
    let e = explain(yaml, &["--from", "c2/ops", "--to", "web.shop"]);
    assert_eq!(e["client"]["locality"], "r1/z1");
    let n = notes(&e);
    assert!(
        n.contains("no workload of ops runs in c2, so it keeps the locality r1/z1 (set one with --locality)"),
        "{n}"
    );
}
