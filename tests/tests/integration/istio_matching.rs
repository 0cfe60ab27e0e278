//! Istio's request matching and proxy scoping, one small scenario each, with expectations
//! derived by hand from Istio's docs and source:
//! - VirtualService `HTTPMatchRequest` (<https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPMatchRequest>;
//!   istio/istio `pilot/pkg/networking/core/route/route.go` `sourceMatchHTTP`,
//!   `translateRouteMatch`): conditions of one block ANDed, blocks ORed, routes in order, the
//!   first match wins; `sourceLabels` see the topology labels istiod adds to every proxy
//!   (`pilot/pkg/xds/ads.go` `setTopologyLabels`);
//! - the "partition a service by cluster" pattern of
//!   <https://istio.io/latest/docs/ops/configuration/traffic-management/multicluster/>;
//! - `Sidecar` (<https://istio.io/latest/docs/reference/config/networking/sidecar/>;
//!   `pilot/pkg/model/push_context.go` `getSidecarScope`, `pilot/pkg/model/sidecar.go`);
//! - WorkloadEntry without address (`pkg/config/validation/validation.go`
//!   `validateWorkloadEntry`, `pilot/pkg/xds/endpoints/ep_filters.go`
//!   `EndpointsByNetworkFilter`).
//!
//! With no DestinationRule load balancer Istio's policy is LEAST_REQUEST; with no outlier
//! detection every locality is priority 0; so equal-weight endpoints of the routed subset share
//! traffic evenly, which is what the shares below are.

use meshlb_tests::{assert_valid, dropped, explain_json, notes, schema, shares};
use serde_json::Value;

fn explain(yaml: &str, extra: &[&str]) -> Value {
    let e = explain_json("matching.yaml", yaml.as_bytes(), extra, yaml);
    assert_valid(&schema("explain.schema.json"), &e, "explanation");
    e
}

/// Every endpoint with a positive share is listed, with its share.
fn assert_shares(e: &Value, expected: &[(&str, f64)]) {
    let got: std::collections::BTreeMap<String, f64> =
        shares(e).into_iter().filter(|(_, s)| *s > 0.0).collect();
    let want: std::collections::BTreeMap<String, f64> = expected
        .iter()
        .map(|(k, s)| ((*k).to_string(), *s))
        .collect();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{e:#}"
    );
    for (k, s) in &want {
        assert!((got[k] - s).abs() < 1e-9, "{k}: {} != {s}\n{e:#}", got[k]);
    }
}

/// reviews in one cluster: v1 at 10.0.0.1, v2 at 10.0.0.2; a DestinationRule with both
/// subsets; `ROUTES` is replaced by each test's `http` list.
const BASE: &str = r"
clusters:
  - { name: east, network: n1 }
services:
  - { name: reviews, namespace: bookinfo, clusters: [east], ports: [9080, 9090] }
workloads:
  - { service: reviews.bookinfo, cluster: east, address: 10.0.0.1, port: 9080, locality: r1/z1, labels: { version: v1 } }
  - { service: reviews.bookinfo, cluster: east, address: 10.0.0.2, port: 9080, locality: r1/z1, labels: { version: v2 } }
config:
  - cluster: east
    resources:
      - apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: { name: reviews, namespace: bookinfo }
        spec:
          host: reviews
          subsets:
            - { name: v1, labels: { version: v1 } }
            - { name: v2, labels: { version: v2 } }
      - apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: { name: reviews, namespace: bookinfo }
        spec:
          hosts: [reviews]
          http:
ROUTES
client: { cluster: east, namespace: bookinfo, locality: r1/z1, labels: { app: productpage } }
request: { host: reviews, port: 9080 }
";

const V1: &str = "[{ destination: { host: reviews, subset: v1 } }]";
const V2: &str = "[{ destination: { host: reviews, subset: v2 } }]";

/// `- match: [MATCH]\n  route: v2` then a catch-all to v1.
fn v2_if(matches: &str) -> String {
    BASE.replace(
        "ROUTES",
        &format!(
            "            - {{ name: special, match: [{matches}], route: {V2} }}\n            - {{ name: default, route: {V1} }}"
        ),
    )
}

fn routed_to_v2(e: &Value) -> bool {
    assert_eq!(e["status"], "routed", "{e:#}");
    let s = shares(e);
    let v2 = s.get("10.0.0.2:9080").copied().unwrap_or(0.0);
    let v1 = s.get("10.0.0.1:9080").copied().unwrap_or(0.0);
    // Exactly one subset takes everything.
    assert!(
        (v2 - 1.0).abs() < 1e-9 && v1 == 0.0 || (v1 - 1.0).abs() < 1e-9 && v2 == 0.0,
        "{e:#}"
    );
    v2 > 0.5
}

#[test]
fn the_first_matching_route_wins_in_order() {
    // http[0] /api → v2; http[1] /api/v1 → v1 is shadowed by http[0] for /api/v1/x; http[2]
    // catch-all → v1.
    let yaml = BASE.replace(
        "ROUTES",
        &format!(
            "            - {{ match: [{{ uri: {{ prefix: /api }} }}], route: {V2} }}\n            - {{ match: [{{ uri: {{ prefix: /api/v1 }} }}], route: {V1} }}\n            - {{ route: {V1} }}"
        ),
    );
    let e = explain(&yaml, &["--path", "/api/v1/x"]);
    assert_shares(&e, &[("10.0.0.2:9080", 1.0)]);
    assert_eq!(
        dropped(&e),
        [("10.0.0.1:9080".into(), "not-in-subset".into())]
    );
    assert!(
        notes(&e).contains("http[0] match[0] matches the request (uri prefix \"/api\")"),
        "{}",
        notes(&e)
    );
    // /other: neither prefix; the catch-all http[2] takes it.
    let e = explain(&yaml, &["--path", "/other"]);
    assert_shares(&e, &[("10.0.0.1:9080", 1.0)]);
    assert!(
        notes(&e).contains("http[2] has no match conditions"),
        "{}",
        notes(&e)
    );
    // Several match blocks in one route are ORed: the second block matches.
    let yaml = v2_if("{ uri: { exact: /a } }, { uri: { exact: /b } }");
    assert!(routed_to_v2(&explain(&yaml, &["--path", "/b"])));
    assert!(!routed_to_v2(&explain(&yaml, &["--path", "/c"])));
}

#[test]
fn conditions_in_one_block_are_anded() {
    let yaml = v2_if("{ uri: { prefix: /api }, method: { exact: POST } }");
    assert!(routed_to_v2(&explain(
        &yaml,
        &["--path", "/api", "--method", "POST"]
    )));
    assert!(
        !routed_to_v2(&explain(&yaml, &["--path", "/api"])),
        "GET by default"
    );
    assert!(!routed_to_v2(&explain(
        &yaml,
        &["--path", "/x", "--method", "POST"]
    )));
}

#[test]
fn source_labels_see_the_client_labels_and_every_topology_label() {
    // The client: cluster east, network n1, locality r1/z1, labels app=productpage. istiod adds
    // topology.istio.io/cluster, topology.istio.io/network, topology.kubernetes.io/region and
    // .../zone to the proxy's labels (ads.go setTopologyLabels), so each selects it.
    for (key, matching, other) in [
        ("topology.istio.io/cluster", "east", "west"),
        ("topology.istio.io/network", "n1", "n2"),
        ("topology.kubernetes.io/region", "r1", "r2"),
        ("topology.kubernetes.io/zone", "z1", "z2"),
        ("app", "productpage", "ratings"),
    ] {
        let yes = v2_if(&format!("{{ sourceLabels: {{ {key}: {matching} }} }}"));
        assert!(routed_to_v2(&explain(&yes, &[])), "{key}={matching}");
        let no = v2_if(&format!("{{ sourceLabels: {{ {key}: {other} }} }}"));
        let e = explain(&no, &[]);
        assert!(!routed_to_v2(&e), "{key}={other}");
        assert!(
            notes(&e).contains(&format!(
                "is not in the client's route table: sourceLabels {key}={other}"
            )),
            "{}",
            notes(&e)
        );
    }
    // The region label follows --locality.
    let yaml = v2_if("{ sourceLabels: { topology.kubernetes.io/region: r2 } }");
    assert!(routed_to_v2(&explain(&yaml, &["--locality", "r2/z9"])));
}

#[test]
fn source_namespace_is_the_client_namespace() {
    let yes = v2_if("{ sourceNamespace: bookinfo }");
    assert!(routed_to_v2(&explain(&yes, &[])));
    let no = v2_if("{ sourceNamespace: other }");
    assert!(!routed_to_v2(&explain(&no, &[])));
}

#[test]
fn headers_exact_prefix_regex_presence_and_absence() {
    let exact = v2_if("{ headers: { end-user: { exact: jason } } }");
    assert!(routed_to_v2(&explain(
        &exact,
        &["--header", "end-user=jason"]
    )));
    assert!(
        routed_to_v2(&explain(&exact, &["--header", "End-User=jason"])),
        "header names are case-insensitive"
    );
    assert!(!routed_to_v2(&explain(
        &exact,
        &["--header", "end-user=jasonx"]
    )));
    assert!(!routed_to_v2(&explain(&exact, &[])), "absent header");

    let prefix = v2_if("{ headers: { end-user: { prefix: ja } } }");
    assert!(routed_to_v2(&explain(
        &prefix,
        &["--header", "end-user=jane"]
    )));
    assert!(!routed_to_v2(&explain(
        &prefix,
        &["--header", "end-user=bob"]
    )));

    // Envoy's safe_regex matches the whole value: "jason-2" is not matched by "jason|mary".
    let regex = v2_if("{ headers: { end-user: { regex: 'jason|mary' } } }");
    assert!(routed_to_v2(&explain(
        &regex,
        &["--header", "end-user=mary"]
    )));
    assert!(!routed_to_v2(&explain(
        &regex,
        &["--header", "end-user=jason-2"]
    )));
    let regex = v2_if("{ headers: { x-version: { regex: 'v[0-9]+\\.[0-9]+' } } }");
    assert!(routed_to_v2(&explain(
        &regex,
        &["--header", "x-version=v10.2"]
    )));
    assert!(!routed_to_v2(&explain(
        &regex,
        &["--header", "x-version=v10"]
    )));

    // `{}`: presence.
    let present = v2_if("{ headers: { x-canary: {} } }");
    assert!(routed_to_v2(&explain(&present, &["--header", "x-canary="])));
    assert!(!routed_to_v2(&explain(&present, &[])));

    // withoutHeaders: the condition must not hold (absent header, or another value).
    let without = v2_if("{ withoutHeaders: { end-user: { exact: jason } } }");
    assert!(routed_to_v2(&explain(&without, &[])));
    assert!(routed_to_v2(&explain(
        &without,
        &["--header", "end-user=mary"]
    )));
    assert!(!routed_to_v2(&explain(
        &without,
        &["--header", "end-user=jason"]
    )));

    // Several --header flags; every header condition must hold.
    let two = v2_if("{ headers: { a: { exact: '1' }, b: { exact: '2' } } }");
    assert!(routed_to_v2(&explain(
        &two,
        &["--header", "a=1", "--header", "b=2"]
    )));
    assert!(!routed_to_v2(&explain(&two, &["--header", "a=1"])));
}

#[test]
fn headers_from_the_scenario_request() {
    let yaml = v2_if("{ headers: { end-user: { exact: jason } } }").replace(
        "request: { host: reviews, port: 9080 }",
        "request: { host: reviews, port: 9080, headers: { End-User: jason }, path: /p, method: GET }",
    );
    assert!(routed_to_v2(&explain(&yaml, &[])));
    // --header replaces the scenario's headers.
    assert!(!routed_to_v2(&explain(&yaml, &["--header", "x=y"])));
}

#[test]
fn uri_exact_prefix_regex_and_ignore_uri_case() {
    let exact = v2_if("{ uri: { exact: /login } }");
    assert!(routed_to_v2(&explain(&exact, &["--path", "/login"])));
    assert!(!routed_to_v2(&explain(&exact, &["--path", "/login/x"])));
    // The query string is not part of the path Envoy matches.
    assert!(routed_to_v2(&explain(&exact, &["--path", "/login?next=/"])));
    assert!(!routed_to_v2(&explain(&exact, &["--path", "/LOGIN"])));
    let ci = v2_if("{ uri: { exact: /login }, ignoreUriCase: true }");
    assert!(routed_to_v2(&explain(&ci, &["--path", "/LOGIN"])));
    let regex = v2_if("{ uri: { regex: '/users/[0-9]+' } }");
    assert!(routed_to_v2(&explain(&regex, &["--path", "/users/42"])));
    assert!(!routed_to_v2(&explain(
        &regex,
        &["--path", "/users/42/posts"]
    )));
    let query = v2_if("{ queryParams: { debug: { exact: 'true' } } }");
    assert!(routed_to_v2(&explain(&query, &["--path", "/x?debug=true"])));
    assert!(!routed_to_v2(&explain(
        &query,
        &["--path", "/x?debug=false"]
    )));
}

#[test]
fn method_and_port() {
    let method = v2_if("{ method: { exact: POST } }");
    assert!(routed_to_v2(&explain(&method, &["--method", "POST"])));
    assert!(!routed_to_v2(&explain(&method, &[])));
    // `port` is the destination port: reviews has 9080 and 9090.
    let port = v2_if("{ port: 9090 }");
    let e = explain(&port, &["--port", "9090"]);
    assert_eq!(e["status"], "routed");
    assert!(
        notes(&e).contains("match[0] matches the request (port 9090)"),
        "{}",
        notes(&e)
    );
    assert!(!routed_to_v2(&explain(&port, &["--port", "9080"])));
}

#[test]
fn gateways_mesh() {
    // A match block naming only another gateway is not built for sidecars: the catch-all wins.
    let other = v2_if("{ gateways: [istio-system/ingress] }");
    let e = explain(&other, &[]);
    assert!(!routed_to_v2(&e));
    assert!(notes(&e).contains("do not include mesh"), "{}", notes(&e));
    // Naming `mesh` applies to every sidecar.
    let mesh = v2_if("{ gateways: [mesh, istio-system/ingress] }");
    assert!(routed_to_v2(&explain(&mesh, &[])));
    // A VirtualService bound only to a gateway is not a sidecar's: no VirtualService applies, so
    // the default route spreads over both endpoints (1/2 each), with no route split reported.
    let bound = v2_if("{ uri: { prefix: / } }").replace(
        "          hosts: [reviews]\n",
        "          hosts: [reviews]\n          gateways: [istio-system/ingress]\n",
    );
    let e = explain(&bound, &[]);
    assert_shares(&e, &[("10.0.0.1:9080", 0.5), ("10.0.0.2:9080", 0.5)]);
    assert!(e["routes"].is_null(), "{e:#}");
    let both = bound.replace(
        "gateways: [istio-system/ingress]",
        "gateways: [istio-system/ingress, mesh]",
    );
    assert!(routed_to_v2(&explain(&both, &[])));
}

#[test]
fn no_route_matched_is_its_own_status() {
    let yaml = BASE.replace(
        "ROUTES",
        &format!("            - {{ match: [{{ uri: {{ prefix: /api }} }}], route: {V2} }}"),
    );
    let e = explain(&yaml, &["--path", "/web"]);
    assert_eq!(e["status"], "no-route");
    assert!(e["endpoints"].as_array().expect("endpoints").is_empty());
    let n = notes(&e);
    assert!(n.contains("no http route of VirtualService bookinfo/reviews matches the request (GET /web on port 9080)"), "{n}");
    assert!(n.contains("404"), "{n}");
    assert!(
        n.contains("http[0] match[0]: uri prefix \"/api\" does not match path \"/web\""),
        "{n}"
    );
    // The same scenario with a matching path is routed.
    assert!(routed_to_v2(&explain(&yaml, &["--path", "/api/x"])));
}

/// Istio's "partition a service by cluster" pattern: subsets by `topology.istio.io/cluster`,
/// routes by `sourceLabels` on the same label. Both primaries hold the same config.
const PARTITION: &str = r"
clusters:
  - { name: c1, remoteSecrets: [c2] }
  - { name: c2, remoteSecrets: [c1] }
services:
  - { name: web, namespace: shop, clusters: [c1, c2], ports: [8080] }
workloads:
  - { service: web.shop, cluster: c1, address: 10.1.0.1, port: 8080, locality: r1/z1 }
  - { service: web.shop, cluster: c1, address: 10.1.0.2, port: 8080, locality: r1/z2 }
  - { service: web.shop, cluster: c2, address: 10.2.0.1, port: 8080, locality: r2/z1 }
config:
  - cluster: c1
    resources: &partition
      - apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: { name: web, namespace: shop }
        spec:
          host: web.shop.svc.cluster.local
          subsets:
            - { name: c1, labels: { topology.istio.io/cluster: c1 } }
            - { name: c2, labels: { topology.istio.io/cluster: c2 } }
      - apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: { name: web, namespace: shop }
        spec:
          hosts: [web.shop.svc.cluster.local]
          http:
            - name: c1-local
              match: [{ sourceLabels: { topology.istio.io/cluster: c1 } }]
              route: [{ destination: { host: web.shop.svc.cluster.local, subset: c1 } }]
            - name: c2-local
              match: [{ sourceLabels: { topology.istio.io/cluster: c2 } }]
              route: [{ destination: { host: web.shop.svc.cluster.local, subset: c2 } }]
  - cluster: c2
    resources: *partition
client: { cluster: c1, namespace: shop, locality: r1/z1 }
request: { host: web.shop }
";

#[test]
fn partitioning_a_service_by_cluster_keeps_each_client_in_its_cluster() {
    // From c1: route c1-local, subset c1 = c1's two endpoints, 1/2 each; c2's is not in it.
    let e = explain(PARTITION, &[]);
    assert_eq!(e["status"], "routed");
    assert_shares(&e, &[("10.1.0.1:8080", 0.5), ("10.1.0.2:8080", 0.5)]);
    assert_eq!(
        dropped(&e),
        [("10.2.0.1:8080".into(), "not-in-subset".into())]
    );
    assert!(
        notes(&e).contains("http[0] (c1-local) match[0] matches"),
        "{}",
        notes(&e)
    );
    // From c2: http[0] is not in c2's route table (cluster label c2), http[1] takes it; its
    // one endpoint takes everything.
    let e = explain(PARTITION, &["--from", "c2/shop", "--locality", "r2/z1"]);
    assert_shares(&e, &[("10.2.0.1:8080", 1.0)]);
    let mut d = dropped(&e);
    d.sort();
    assert_eq!(
        d,
        [
            ("10.1.0.1:8080".into(), "not-in-subset".into()),
            ("10.1.0.2:8080".into(), "not-in-subset".into())
        ]
    );
    assert!(
        notes(&e).contains("http[1] (c2-local) match[0] matches"),
        "{}",
        notes(&e)
    );
}

#[test]
fn the_cluster_partitioning_example_is_the_same_pattern() {
    let path = meshlb_tests::workspace_root()
        .join("examples")
        .join("cluster-partitioning.yaml");
    let text = std::fs::read_to_string(&path).expect("examples/cluster-partitioning.yaml");
    for args in [&[][..], &["--from", "c2/shop", "--locality", "r2/z1"][..]] {
        let example = explain(&text, args);
        let inline = explain(PARTITION, args);
        assert_eq!(shares(&example), shares(&inline), "{args:?}");
    }
}

/// reviews in bookinfo; `SIDECARS` is replaced by Sidecar resources.
const SCOPED: &str = r"
clusters:
  - name: east
    meshConfig: MESHCONFIG
services:
  - { name: reviews, namespace: bookinfo, clusters: [east], ports: [9080] }
workloads:
  - { service: reviews.bookinfo, cluster: east, address: 10.0.0.1, port: 9080 }
config:
  - cluster: east
    resources:
SIDECARS
client: { cluster: east, namespace: bookinfo, labels: { app: productpage } }
request: { host: reviews }
";

fn sidecar(ns: &str, name: &str, extra: &str) -> String {
    format!(
        "      - {{ apiVersion: networking.istio.io/v1, kind: Sidecar, metadata: {{ name: {name}, namespace: {ns} }}, spec: {{ {extra} }} }}\n"
    )
}

fn scoped(sidecars: &str) -> String {
    SCOPED
        .replace("SIDECARS\n", sidecars)
        .replace("MESHCONFIG", "{}")
}

#[test]
fn sidecar_egress_host_forms() {
    for (hosts, imported) in [
        ("'./*'", true),
        ("'bookinfo/*'", true),
        ("'*/reviews.bookinfo.svc.cluster.local'", true),
        ("'bookinfo/*.svc.cluster.local'", true),
        ("'*/*'", true),
        ("'istio-system/*'", false),
        ("'~/*'", false),
        ("'*/ratings.bookinfo.svc.cluster.local'", false),
        ("'*/*.example.com'", false),
        ("'other/*'", false),
    ] {
        let yaml = scoped(&sidecar(
            "bookinfo",
            "default",
            &format!("egress: [{{ hosts: [{hosts}] }}]"),
        ));
        let e = explain(&yaml, &[]);
        if imported {
            assert_shares(&e, &[("10.0.0.1:9080", 1.0)]);
            assert!(
                notes(&e).contains("Sidecar bookinfo/default applies to the client and imports"),
                "{hosts}: {}",
                notes(&e)
            );
        } else {
            assert_eq!(e["status"], "not-imported", "{hosts}: {e:#}");
            assert!(e["endpoints"].as_array().expect("endpoints").is_empty());
            let n = notes(&e);
            assert!(
                n.contains("Sidecar bookinfo/default applies to the client and its egress hosts"),
                "{n}"
            );
            assert!(
                n.contains("do not import reviews.bookinfo.svc.cluster.local on port 9080"),
                "{n}"
            );
            // MeshConfig's default outbound policy is ALLOW_ANY.
            assert!(
                n.contains("ALLOW_ANY (Istio's default)") && n.contains("PassthroughCluster"),
                "{n}"
            );
        }
    }
    // An egress listener with a port imports on that port only.
    let yaml = scoped(&sidecar(
        "bookinfo",
        "default",
        "egress: [{ port: { number: 9999, protocol: HTTP }, hosts: ['*/*'] }]",
    ));
    assert_eq!(explain(&yaml, &[])["status"], "not-imported");
    let yaml = scoped(&sidecar(
        "bookinfo",
        "default",
        "egress: [{ port: { number: 9080, protocol: HTTP }, hosts: ['*/*'] }]",
    ));
    assert_eq!(explain(&yaml, &[])["status"], "routed");
}

#[test]
fn sidecar_outbound_traffic_policy_notes() {
    // The Sidecar's policy wins over MeshConfig's.
    let yaml = scoped(&sidecar(
        "bookinfo",
        "default",
        "egress: [{ hosts: ['istio-system/*'] }], outboundTrafficPolicy: { mode: REGISTRY_ONLY }",
    ));
    let n = notes(&explain(&yaml, &[]));
    assert!(
        n.contains("REGISTRY_ONLY (Sidecar bookinfo/default)"),
        "{n}"
    );
    assert!(n.contains("BlackHoleCluster: Envoy answers 502"), "{n}");
    // Without one, MeshConfig's applies.
    let yaml = SCOPED
        .replace(
            "SIDECARS\n",
            &sidecar(
                "bookinfo",
                "default",
                "egress: [{ hosts: ['istio-system/*'] }]",
            ),
        )
        .replace(
            "MESHCONFIG",
            "{ outboundTrafficPolicy: { mode: REGISTRY_ONLY } }",
        );
    let n = notes(&explain(&yaml, &[]));
    assert!(n.contains("REGISTRY_ONLY (MeshConfig of east)"), "{n}");
    // exportTo hiding the host reports the policy in force too.
    let hidden = yaml
        .replace("ports: [9080] }", "ports: [9080], exportTo: [other] }")
        .replace(
            "egress: [{ hosts: ['istio-system/*'] }]",
            "egress: [{ hosts: ['*/*'] }]",
        );
    let e = explain(&hidden, &[]);
    assert_eq!(e["status"], "not-visible");
    assert!(notes(&e).contains("BlackHoleCluster"), "{}", notes(&e));
    // Sidecar fields meshlb does not model are accepted and named.
    let ingress = scoped(&sidecar(
        "bookinfo",
        "default",
        "egress: [{ hosts: ['./*'], bind: 127.0.0.1 }], ingress: [{ port: { number: 9080, protocol: HTTP, name: http }, defaultEndpoint: '127.0.0.1:8080' }]",
    ));
    let e = explain(&ingress, &[]);
    assert_eq!(e["status"], "routed");
    let n = notes(&e);
    assert!(n.contains("accepted but not modelled"), "{n}");
    assert!(n.contains("config[].resources[].spec.ingress"), "{n}");
    assert!(n.contains("config[].resources[].spec.egress[].bind"), "{n}");
}

#[test]
fn sidecar_selector_precedence() {
    // Listed first, the selector-less Sidecar still loses to the one selecting the client.
    let both = format!(
        "{}{}",
        sidecar("bookinfo", "default", "egress: [{ hosts: ['./*'] }]"),
        sidecar(
            "bookinfo",
            "narrow",
            "workloadSelector: { labels: { app: productpage } }, egress: [{ hosts: ['istio-system/*'] }]"
        )
    );
    let e = explain(&scoped(&both), &[]);
    assert_eq!(e["status"], "not-imported");
    assert!(
        notes(&e).contains("Sidecar bookinfo/narrow applies"),
        "{}",
        notes(&e)
    );
    // A client the selector does not pick gets the namespace's selector-less Sidecar.
    let other = scoped(&both).replace(
        "labels: { app: productpage } }\nrequest",
        "labels: { app: reviews-ui } }\nrequest",
    );
    let e = explain(&other, &[]);
    assert_eq!(e["status"], "routed");
    assert!(
        notes(&e).contains("Sidecar bookinfo/default applies"),
        "{}",
        notes(&e)
    );
    // The root namespace's selector-less Sidecar is the mesh default...
    let root = sidecar(
        "istio-system",
        "default",
        "egress: [{ hosts: ['istio-system/*'] }]",
    );
    let e = explain(&scoped(&root), &[]);
    assert_eq!(e["status"], "not-imported");
    assert!(
        notes(&e).contains("Sidecar istio-system/default applies"),
        "{}",
        notes(&e)
    );
    // ... `.` in it means the client's namespace ...
    let dot = sidecar("istio-system", "default", "egress: [{ hosts: ['./*'] }]");
    assert_eq!(explain(&scoped(&dot), &[])["status"], "routed");
    // ... and a namespace Sidecar wins over it.
    let e = explain(
        &scoped(&format!(
            "{root}{}",
            sidecar("bookinfo", "default", "egress: [{ hosts: ['./*'] }]")
        )),
        &[],
    );
    assert_eq!(e["status"], "routed");
    // MeshConfig rootNamespace moves the mesh default.
    let moved = SCOPED
        .replace(
            "SIDECARS\n",
            &sidecar(
                "mesh-root",
                "default",
                "egress: [{ hosts: ['istio-system/*'] }]",
            ),
        )
        .replace("MESHCONFIG", "{ rootNamespace: mesh-root }");
    assert_eq!(explain(&moved, &[])["status"], "not-imported");
    let unmoved = moved.replace("{ rootNamespace: mesh-root }", "{}");
    assert_eq!(explain(&unmoved, &[])["status"], "routed");
}

/// A ServiceEntry selecting two WorkloadEntries: db-local at 10.0.0.5 on n1 (the client's),
/// db-remote without address on n2, whose gateway runs in west.
const ADDRESSLESS: &str = r"
clusters:
  - { name: east, network: n1, dnsProxy: true }
  - { name: west, network: n2 }
networks:
  - name: n2
    gateways: [{ address: 192.0.2.20, port: 15443, cluster: west }]
config:
  - cluster: east
    resources:
      - apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: { name: db, namespace: shop }
        spec:
          hosts: [db.shop.internal]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{ number: 5432, name: tcp, protocol: TCP }]
          workloadSelector: { labels: { app: db } }
      - apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: { name: db-local, namespace: shop }
        spec: { address: 10.0.0.5, network: n1, labels: { app: db } }
      - apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: { name: db-remote, namespace: shop }
        spec: { network: n2, labels: { app: db } }
client: { cluster: east, namespace: shop }
request: { host: db.shop.internal }
";

#[test]
fn workload_entry_without_address_is_reached_through_its_gateway() {
    // Gateways: n2 has 1 (1 in west): scale factor lcm(1, 1) = 1. db-local weight 1 direct;
    // db-remote weight 1 behind 192.0.2.20. Even: 1/2 each.
    let e = explain(ADDRESSLESS, &[]);
    assert_eq!(e["status"], "routed", "{e:#}");
    assert_shares(&e, &[("10.0.0.5:5432", 0.5), ("192.0.2.20:15443", 0.5)]);
    let gw = e["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .find(|ep| ep["kind"] == "gateway")
        .expect("a gateway");
    assert_eq!(gw["behind"][0], "WorkloadEntry shop/db-remote:5432");
    assert!(dropped(&e).is_empty(), "{e:#}");
}

#[test]
fn workload_entry_without_address_is_dropped_where_no_gateway_carries_it() {
    // No gateway anywhere: db-remote cannot be reached; db-local takes everything. The note
    // about n2 having no gateway is given although no network has one.
    let none = ADDRESSLESS.replace(
        "networks:\n  - name: n2\n    gateways: [{ address: 192.0.2.20, port: 15443, cluster: west }]\n",
        "",
    );
    let e = explain(&none, &[]);
    assert_shares(&e, &[("10.0.0.5:5432", 1.0)]);
    assert_eq!(dropped(&e), [(":5432".into(), "no-address".into())]);
    let d = &e["dropped"][0]["message"];
    assert!(
        d.as_str()
            .expect("message")
            .contains("WorkloadEntry shop/db-remote has no address"),
        "{d}"
    );
    assert!(
        notes(&e).contains("network n2 has no east-west gateway"),
        "{}",
        notes(&e)
    );
    // On the client's own network there is no gateway to go through either.
    let same = ADDRESSLESS.replace(
        "spec: { network: n2, labels: { app: db } }",
        "spec: { network: n1, labels: { app: db } }",
    );
    let e = explain(&same, &[]);
    assert_shares(&e, &[("10.0.0.5:5432", 1.0)]);
    assert_eq!(dropped(&e), [(":5432".into(), "no-address".into())]);
    assert!(
        e["dropped"][0]["message"]
            .as_str()
            .expect("message")
            .contains("on the client's network n1"),
        "{e:#}"
    );
}

#[test]
fn service_entry_endpoint_without_address_goes_through_the_gateway_too() {
    // The same two endpoints written inline in the ServiceEntry (the WorkloadEntries are then
    // selected by nothing).
    let inline = ADDRESSLESS.replace(
        "          workloadSelector: { labels: { app: db } }\n",
        "          endpoints: [{ address: 10.0.0.5, network: n1 }, { network: n2 }]\n",
    );
    let e = explain(&inline, &[]);
    assert_shares(&e, &[("10.0.0.5:5432", 0.5), ("192.0.2.20:15443", 0.5)]);
    let gw = e["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .find(|ep| ep["kind"] == "gateway")
        .expect("a gateway");
    assert_eq!(gw["behind"][0], "ServiceEntry shop/db endpoints[1]:5432");
}

#[test]
fn networks_without_any_gateway_are_reported() {
    // Two networks, no gateway in the mesh: multi-network is off and istiod sends west's
    // endpoint directly (1/2 each); the explanation says so.
    let yaml = r"
clusters:
  - { name: east, network: n1, remoteSecrets: [west] }
  - { name: west, network: n2, remoteSecrets: [east] }
services:
  - { name: api, namespace: shop, clusters: [east, west], ports: [80] }
workloads:
  - { service: api.shop, cluster: east, address: 10.0.0.1, port: 80 }
  - { service: api.shop, cluster: west, address: 10.1.0.1, port: 80 }
client: { cluster: east, namespace: shop }
request: { host: api.shop }
";
    let e = explain(yaml, &[]);
    assert_shares(&e, &[("10.0.0.1:80", 0.5), ("10.1.0.1:80", 0.5)]);
    let n = notes(&e);
    assert!(
        n.contains("network n2 has no east-west gateway (no network of the mesh has one, so multi-network is off): istiod sends its endpoints directly"),
        "{n}"
    );
    // One flat network: nothing to say.
    let flat = yaml.replace("network: n2", "network: n1");
    assert!(!notes(&explain(&flat, &[])).contains("east-west"));
}
