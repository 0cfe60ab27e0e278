//! Malformed and inconsistent meshlb scenarios through the `meshlb` command line.
//!
//! Each case changes one thing in [`BASE`], a valid scenario, and must give exit status 2, an
//! empty stdout and a stderr starting `meshlb: error: ` that names the file, the place (the path,
//! such as `workloads[1].cluster`) and the line of the offending value, without a panic. The
//! expected path and line come from the case itself (the line is where the changed text, or the
//! named anchor, sits), never from meshlb's output. The rules broken are shared/SCENARIO.md §2
//! (references resolve, at most three locality parts, weight ≥ 1, `address:port` unique within a
//! network, unknown fields in meshlb's sections are errors) and Istio's own validation
//! (istio/istio `pkg/config/validation`: `distribute` weights sum to 100, failover from ≠ to and
//! regions only, `*` alone in exportTo, no negative route weights, unique subset names,
//! minHealthPercent in [0, 100]).
//!
//! A property test then mutates the bytes of [`BASE`] (a slice replaced or cut) and checks the
//! command line answers 0 or 2 and never panics (300 cases, fixed seed, no regression files).

use meshlb_tests::{explain_json, meshlb, temp_file};

/// A valid scenario: three clusters (a primary, its remote, and a primary on another network
/// behind a gateway), one Service, three workloads (the same address on two networks, which
/// SCENARIO.md §2 allows), a DestinationRule and a VirtualService.
const BASE: &str = r#"# meshlb scenario for bad_scenarios.rs: every case changes one thing.
istioVersion: "1.31"
meshes:
  - id: mesh1
    trustDomain: cluster.local
    trustBundles: []
clusters:
  - name: east
    mesh: mesh1
    network: net1
    remoteSecrets: [east-b, west]
  - name: east-b
    network: net1
    controlPlane: east
  - name: west
    network: net2
    controlPlane: west
networks:
  - name: net2
    gateways:
      - { address: 192.0.2.20, port: 15443, cluster: west }
services:
  - name: reviews
    namespace: bookinfo
    clusters: [east, east-b, west]
    ports: [9080]
    exportTo: ["*"]
workloads:
  - service: reviews.bookinfo
    cluster: east
    address: 10.1.0.1
    port: 9080
    locality: us-east/zone-a
    labels: { version: v1 }
  - service: reviews.bookinfo
    cluster: east-b
    address: 10.1.0.2
    port: 9080
    locality: us-east/zone-b
    labels: { version: v2 }
    health: HEALTHY
    weight: 2
  - service: reviews.bookinfo
    cluster: west
    network: net2
    address: 10.1.0.1
    port: 9080
    locality: us-west/zone-c
    labels: { version: v1 }
config:
  - cluster: east
    resources:
      - apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: { name: reviews, namespace: bookinfo }
        spec:
          host: reviews.bookinfo.svc.cluster.local
          trafficPolicy:
            loadBalancer:
              simple: ROUND_ROBIN
              localityLbSetting:
                enabled: true
                failover: [{ from: us-east, to: us-west }]
            outlierDetection: { consecutive5xxErrors: 5, interval: 10s }
          subsets:
            - { name: v1, labels: { version: v1 } }
            - { name: v2, labels: { version: v2 } }
      - apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: { name: reviews, namespace: bookinfo }
        spec:
          hosts: [reviews]
          http:
            - route:
                - destination: { host: reviews, subset: v1 }
                  weight: 80
                - destination: { host: reviews, subset: v2 }
                  weight: 20
client:
  cluster: east
  namespace: bookinfo
  locality: us-east/zone-a
  labels: { app: productpage }
request:
  host: reviews.bookinfo.svc.cluster.local
  port: 9080
"#;

const DR: &str = "config[0].resources[0]";
const LB: &str = "config[0].resources[0].spec.trafficPolicy.loadBalancer";
const LOCALITY: &str = "config[0].resources[0].spec.trafficPolicy.loadBalancer.localityLbSetting";
const VS: &str = "config[0].resources[1]";
/// A resource appended after the VirtualService.
const SC: &str = "config[0].resources[2]";
/// The head of a Sidecar appended after the VirtualService; a case adds its spec's fields.
const SIDECAR: &str = "      - apiVersion: networking.istio.io/v1\n        kind: Sidecar\n        metadata: { name: default, namespace: bookinfo }\n        spec:\n";

/// One malformed scenario.
struct Case {
    /// What is wrong.
    what: &'static str,
    /// The text of [`BASE`] that is replaced (it occurs exactly once).
    find: &'static str,
    /// Its replacement.
    replace: String,
    /// The path the message must name ("" when the input has no path, as for YAML syntax).
    path: String,
    /// Text whose (last) line is the line the message must name.
    anchor: String,
    /// Further text the message must contain.
    needle: &'static str,
}

fn case(what: &'static str, find: &'static str, replace: &str, path: &str) -> Case {
    Case {
        what,
        find,
        replace: replace.to_string(),
        path: path.to_string(),
        anchor: replace.to_string(),
        needle: "",
    }
}

impl Case {
    fn at(mut self, anchor: &str) -> Self {
        self.anchor = anchor.to_string();
        self
    }

    fn saying(mut self, needle: &'static str) -> Self {
        self.needle = needle;
        self
    }

    fn text(&self) -> String {
        assert_eq!(
            BASE.matches(self.find).count(),
            1,
            "{}: {:?} must occur exactly once in BASE",
            self.what,
            self.find
        );
        BASE.replacen(self.find, &self.replace, 1)
    }

    /// The 1-based line of the anchor's last line in the changed text.
    fn line(&self, text: &str) -> usize {
        assert_eq!(
            text.matches(self.anchor.as_str()).count(),
            1,
            "{}: anchor {:?} must occur exactly once",
            self.what,
            self.anchor
        );
        let start = text.find(self.anchor.as_str()).expect("anchor");
        let end = start + self.anchor.trim_end_matches('\n').len();
        text[..end].matches('\n').count() + 1
    }
}

fn cases() -> Vec<Case> {
    vec![
        // References that do not resolve.
        case(
            "unknown cluster of a workload",
            "    cluster: east-b\n    address",
            "    cluster: east-c\n    address",
            "workloads[1].cluster",
        )
        .at("cluster: east-c"),
        case(
            "unknown network of a workload",
            "    network: net2\n    address",
            "    network: net9\n    address",
            "workloads[2].network",
        )
        .at("network: net9"),
        case("unknown mesh", "    mesh: mesh1", "    mesh: mesh9", "clusters[0].mesh"),
        case(
            "unknown control plane",
            "    controlPlane: east\n",
            "    controlPlane: eats\n",
            "clusters[1].controlPlane",
        ),
        case(
            "a remote whose control plane is itself a remote",
            "    controlPlane: west",
            "    controlPlane: east-b",
            "clusters[2].controlPlane",
        ),
        case(
            "unknown cluster in remoteSecrets",
            "remoteSecrets: [east-b, west]",
            "remoteSecrets: [east-b, wset]",
            "clusters[0].remoteSecrets[1]",
        ),
        case(
            "gateway in an unknown cluster",
            "cluster: west }",
            "cluster: wst }",
            "networks[0].gateways[0].cluster",
        ),
        case(
            "a network no cluster is on",
            "  - name: net2\n",
            "  - name: net3\n",
            "networks[0].name",
        ),
        case(
            "unknown cluster of a Service",
            "clusters: [east, east-b, west]",
            "clusters: [east, east-b, north]",
            "services[0].clusters[2]",
        ),
        case(
            "a workload whose cluster has no such Service",
            "clusters: [east, east-b, west]",
            "clusters: [east, east-b]",
            "workloads[2].cluster",
        )
        .at("    cluster: west\n"),
        case(
            "unknown mesh in trustBundles",
            "trustBundles: []",
            "trustBundles: [mesh9]",
            "meshes[0].trustBundles[0]",
        ),
        case(
            "config held by an unknown cluster",
            "  - cluster: east\n    resources",
            "  - cluster: nowhere\n    resources",
            "config[0].cluster",
        )
        .at("cluster: nowhere"),
        case(
            "client in an unknown cluster",
            "client:\n  cluster: east\n",
            "client:\n  cluster: south\n",
            "client.cluster",
        )
        .at("cluster: south"),
        // Values meshlb's sections do not accept.
        case(
            "a locality with four parts",
            "    locality: us-east/zone-a\n",
            "    locality: us-east/zone-a/rack-1/extra\n",
            "workloads[0].locality",
        ),
        case(
            "a client locality with four parts",
            "  locality: us-east/zone-a\n  labels",
            "  locality: r/z/s/x\n  labels",
            "client.locality",
        )
        .at("locality: r/z/s/x"),
        case(
            "the same address:port twice on one network",
            "    cluster: east-b\n    address: 10.1.0.2\n",
            "    cluster: east-b\n    address: 10.1.0.1\n",
            "workloads[1].address",
        )
        .at("    cluster: east-b\n    address: 10.1.0.1\n"),
        case(
            "label value not a string",
            "    labels: { version: v1 }\n  - service",
            "    labels: { version: 1 }\n  - service",
            "workloads[0].labels.version",
        )
        .at("labels: { version: 1 }"),
        case("weight 0", "    weight: 2\n", "    weight: 0\n", "workloads[1].weight"),
        case(
            "port 70000",
            "    address: 10.1.0.2\n    port: 9080\n",
            "    address: 10.1.0.2\n    port: 70000\n",
            "workloads[1].port",
        )
        .at("port: 70000"),
        case(
            "unknown health status",
            "    health: HEALTHY",
            "    health: SICK",
            "workloads[1].health",
        ),
        case(
            "istioVersion 2.0",
            "istioVersion: \"1.31\"",
            "istioVersion: \"2.0\"",
            "istioVersion",
        ),
        case(
            "exportTo with * and another value",
            "exportTo: [\"*\"]",
            "exportTo: [\"*\", \"bookinfo\"]",
            "services[0].exportTo",
        ),
        // Unknown fields in meshlb's own sections, with a suggestion.
        case(
            "unknown cluster field",
            "    remoteSecrets: [east-b, west]",
            "    remoteSecret: [east-b, west]",
            "clusters[0].remoteSecret",
        )
        .saying("remoteSecrets"),
        case(
            "unknown workload field",
            "    labels: { version: v2 }",
            "    lables: { version: v2 }",
            "workloads[1].lables",
        )
        .saying("labels"),
        case(
            "unknown client field",
            "  namespace: bookinfo\n  locality",
            "  namespce: bookinfo\n  locality",
            "client.namespce",
        )
        .at("namespce: bookinfo")
        .saying("namespace"),
        case(
            "unknown mesh field",
            "    trustDomain: cluster.local",
            "    trustDomian: cluster.local",
            "meshes[0].trustDomian",
        )
        .saying("trustDomain"),
        case(
            "unknown top-level field",
            "istioVersion: \"1.31\"",
            "istioVersoin: \"1.31\"",
            "istioVersoin",
        )
        .saying("istioVersion"),
        // Istio resources, held to Istio's validation.
        case(
            "distribute weights summing to 90",
            "                failover: [{ from: us-east, to: us-west }]",
            "                distribute: [{ from: \"us-east/*\", to: { \"us-east/*\": 60, \"us-west/*\": 30 } }]",
            &format!("{LOCALITY}.distribute[0].to"),
        )
        .saying("100"),
        case(
            "failover from == to",
            "to: us-west }]",
            "to: us-east }]",
            &format!("{LOCALITY}.failover[0]"),
        )
        .at("failover: [{ from: us-east, to: us-east }]"),
        case(
            "failover naming a zone",
            "from: us-east, to",
            "from: us-east/zone-a, to",
            &format!("{LOCALITY}.failover[0].from"),
        )
        .at("failover: [{ from: us-east/zone-a, to: us-west }]"),
        case(
            "negative VirtualService weight",
            "                  weight: 20",
            "                  weight: -20",
            "config[0].resources[1].spec.http[0].route[1].weight",
        ),
        case(
            "duplicate subset name",
            "- { name: v2, labels: { version: v2 } }",
            "- { name: v1, labels: { version: v2 } }",
            &format!("{DR}.spec.subsets[1].name"),
        ),
        case(
            "minHealthPercent 150",
            "{ consecutive5xxErrors: 5, interval: 10s }",
            "{ consecutive5xxErrors: 5, interval: 10s, minHealthPercent: 150 }",
            &format!("{DR}.spec.trafficPolicy.outlierDetection.minHealthPercent"),
        ),
        case(
            "unknown resource kind",
            "        kind: DestinationRule",
            "        kind: DestinationRules",
            &format!("{DR}.kind"),
        ),
        case(
            "a field Istio's API does not have",
            "              simple: ROUND_ROBIN",
            "              simpel: ROUND_ROBIN",
            &format!("{LB}.simpel"),
        ),
        // YAML itself.
        case(
            "YAML syntax error",
            "    locality: us-east/zone-b\n",
            "    locality: us-east/zone-b: x\n",
            "",
        ),
        case(
            "duplicate key",
            "    address: 10.1.0.2\n    port: 9080\n",
            "    address: 10.1.0.2\n    port: 9080\n    port: 9081\n",
            "workloads[1].port",
        )
        .at("port: 9081")
        .saying("duplicate"),
        case(
            "multi-document YAML",
            "  host: reviews.bookinfo.svc.cluster.local\n  port: 9080\n",
            "  host: reviews.bookinfo.svc.cluster.local\n  port: 9080\n---\nclusters: []\n",
            "",
        )
        .at("---")
        .saying("document"),
        // VirtualService match conditions, Sidecar, WorkloadEntry (Istio's API and validation).
        case(
            "sourceLabels that is not a map",
            "            - route:\n                - destination: { host: reviews, subset: v1 }",
            "            - match: [{ sourceLabels: [app] }]\n              route:\n                - destination: { host: reviews, subset: v1 }",
            &format!("{VS}.spec.http[0].match[0].sourceLabels"),
        )
        .at("match: [{ sourceLabels: [app] }]")
        .saying("expected a mapping of labels"),
        case(
            "a misspelled match field",
            "            - route:\n                - destination: { host: reviews, subset: v1 }",
            "            - match: [{ sourceLabel: { app: web } }]\n              route:\n                - destination: { host: reviews, subset: v1 }",
            &format!("{VS}.spec.http[0].match[0].sourceLabel"),
        )
        .at("match: [{ sourceLabel: { app: web } }]")
        .saying("did you mean `sourceLabels`?"),
        case(
            "a StringMatch with two kinds",
            "            - route:\n                - destination: { host: reviews, subset: v1 }",
            "            - match: [{ headers: { end-user: { exact: a, prefix: b } } }]\n              route:\n                - destination: { host: reviews, subset: v1 }",
            &format!("{VS}.spec.http[0].match[0].headers.end-user"),
        )
        .at("match: [{ headers: { end-user: { exact: a, prefix: b } } }]")
        .saying("one of exact, prefix, regex"),
        case(
            "a regex outside the RE2 subset",
            "            - route:\n                - destination: { host: reviews, subset: v1 }",
            "            - match: [{ uri: { regex: '(?i)/api' } }]\n              route:\n                - destination: { host: reviews, subset: v1 }",
            &format!("{VS}.spec.http[0].match[0].uri.regex"),
        )
        .at("match: [{ uri: { regex: '(?i)/api' } }]")
        .saying("not supported"),
        case(
            "a Sidecar egress host without a namespace",
            "                  weight: 20\n",
            &format!("                  weight: 20\n{SIDECAR}          egress: [{{ hosts: [reviews.bookinfo.svc.cluster.local] }}]\n"),
            &format!("{SC}.spec.egress[0].hosts[0]"),
        )
        .at("egress: [{ hosts: [reviews.bookinfo.svc.cluster.local] }]")
        .saying("namespace/dnsName"),
        case(
            "a Sidecar field Istio's API does not have",
            "                  weight: 20\n",
            &format!("                  weight: 20\n{SIDECAR}          egres: [{{ hosts: ['./*'] }}]\n"),
            &format!("{SC}.spec.egres"),
        )
        .at("egres: [{ hosts: ['./*'] }]")
        .saying("did you mean `egress`?"),
        case(
            "an outbound traffic policy mode Istio does not have",
            "                  weight: 20\n",
            &format!("                  weight: 20\n{SIDECAR}          outboundTrafficPolicy: {{ mode: ALLOW_ALL }}\n"),
            &format!("{SC}.spec.outboundTrafficPolicy.mode"),
        )
        .at("outboundTrafficPolicy: { mode: ALLOW_ALL }")
        .saying("ALLOW_ANY"),
        case(
            "a WorkloadEntry with neither address nor network",
            "                  weight: 20\n",
            "                  weight: 20\n      - apiVersion: networking.istio.io/v1\n        kind: WorkloadEntry\n        metadata: { name: db, namespace: bookinfo }\n        spec: { labels: { app: db } }\n",
            &format!("{SC}.spec.address"),
        )
        .at("spec: { labels: { app: db } }")
        .saying("address is required"),
        // The request.
        case(
            "request for a host that does not exist",
            "  host: reviews.bookinfo.svc.cluster.local\n  port",
            "  host: ratings.bookinfo.svc.cluster.local\n  port",
            "request.host",
        )
        .at("host: ratings.bookinfo.svc.cluster.local"),
        case(
            "request for a port the Service lacks",
            "svc.cluster.local\n  port: 9080\n",
            "svc.cluster.local\n  port: 9090\n",
            "request.port",
        )
        .at("port: 9090"),
    ]
}

#[test]
fn the_base_scenario_is_valid_and_the_same_address_on_two_networks_is_accepted() {
    let value = explain_json("base.yaml", BASE.as_bytes(), &[], "base.yaml");
    assert_eq!(value["status"], "routed");
    // 10.1.0.1:9080 is workloads[0] on net1 (sent directly) and workloads[2] on net2 (behind
    // west's gateway): SCENARIO.md §2 allows overlaps across networks.
    let endpoints = value["endpoints"].as_array().expect("endpoints");
    assert!(
        endpoints
            .iter()
            .any(|e| e["address"] == "10.1.0.1" && e["kind"] == "workload"),
        "{value:#}"
    );
    assert!(
        endpoints.iter().any(|e| e["kind"] == "gateway"
            && e["behind"]
                .as_array()
                .is_some_and(|b| b.iter().any(|x| x == "10.1.0.1:9080"))),
        "{value:#}"
    );
}

#[test]
fn malformed_scenarios_exit_2_naming_the_path_and_line() {
    let cases = cases();
    assert!(cases.len() >= 22, "only {} cases", cases.len());
    let mut seen = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for c in &cases {
        assert!(seen.insert(c.what), "two cases are called {:?}", c.what);
        let text = c.text();
        assert_ne!(text, BASE, "{}: the case changes nothing", c.what);
        let line = c.line(&text);
        let path = temp_file("bad.yaml", text.as_bytes());
        let file = path.to_str().expect("utf-8 path");
        let run = meshlb(&["explain", file, "--format", "json"]);
        let mut problems = Vec::new();
        if run.status != 2 {
            problems.push(format!("exit {} (expected 2)", run.status));
        }
        if !run.stdout.is_empty() {
            problems.push(format!("stdout not empty: {:.200}", run.stdout));
        }
        if !run.stderr.starts_with("meshlb: error: ") {
            problems.push("stderr does not start with \"meshlb: error: \"".into());
        }
        if !run.stderr.contains(file) {
            problems.push("the message does not name the file".into());
        }
        if !c.path.is_empty() && !run.stderr.contains(&c.path) {
            problems.push(format!("the message does not name {}", c.path));
        }
        if !run.stderr.contains(&format!("(line {line})")) {
            problems.push(format!("the message does not say (line {line})"));
        }
        if !c.needle.is_empty() && !run.stderr.contains(c.needle) {
            problems.push(format!("the message lacks {:?}", c.needle));
        }
        if c.what.starts_with("unknown")
            && c.what.ends_with("field")
            && !run.stderr.contains("did you mean")
        {
            problems.push("no did-you-mean suggestion".into());
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n    stderr: {}",
                c.what,
                problems.join("; "),
                run.stderr.trim_end()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn simulate_rejects_the_same_scenarios() {
    // The same loader serves `simulate`: spot-check three kinds of defect.
    for c in cases().iter().filter(|c| {
        [
            "unknown cluster of a workload",
            "YAML syntax error",
            "negative VirtualService weight",
        ]
        .contains(&c.what)
    }) {
        let path = temp_file("bad-sim.yaml", c.text().as_bytes());
        let run = meshlb(&["simulate", path.to_str().expect("utf-8 path"), "-n", "10"]);
        assert_eq!(run.status, 2, "{}: {}", c.what, run.stderr);
        assert!(run.stdout.is_empty(), "{}", c.what);
        assert!(
            run.stderr.starts_with("meshlb: error: "),
            "{}: {}",
            c.what,
            run.stderr
        );
    }
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{RngAlgorithm, RngSeed};

    /// Bytes to splice in: printable ASCII, YAML's significant characters and values near the
    /// limits, or (less often) raw bytes, not always UTF-8.
    fn splice() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            1 => proptest::collection::vec(any::<u8>(), 0..6),
            3 => proptest::collection::vec(0x20_u8..0x7f, 0..6),
            3 => proptest::sample::select(vec![
                "", ":", ": ", "-", "- ", " ", "\n", "\t", "[", "]", "{", "}", ",", "\"", "'", "#",
                "*", "&a ", "*a", "!!str ", "~", "null", "true", "0", "-1", "70000", "4294967296",
                "1e9", "  ", "\n  - ", "/", "a/b/c/d", "---\n", "...", "=", "%",
            ])
            .prop_map(|s| s.as_bytes().to_vec()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 300,
            failure_persistence: None,
            rng_algorithm: RngAlgorithm::ChaCha,
            rng_seed: RngSeed::Fixed(0x6d65_7368_6c62_0b5d),
            ..ProptestConfig::default()
        })]

        /// A slice of the valid scenario replaced (or cut): exit 0 or 2, never a panic.
        #[test]
        fn mutated_scenarios_exit_0_or_2(
            at in 0..BASE.len(),
            cut in prop_oneof![0..4_usize, 0..40_usize],
            bytes in splice(),
        ) {
            let mut text = BASE.as_bytes().to_vec();
            let end = (at + cut).min(text.len());
            text.splice(at..end, bytes);
            let path = temp_file("mutated.yaml", &text);
            let run = meshlb(&["explain", path.to_str().expect("utf-8 path"), "--format", "json"]);
            prop_assert!(run.status == 0 || run.status == 2, "exit {}: {}", run.status, run.stderr);
            if run.status == 2 {
                prop_assert!(run.stdout.is_empty());
                prop_assert!(run.stderr.starts_with("meshlb: error: "), "{}", run.stderr);
            } else {
                prop_assert!(serde_json::from_str::<serde_json::Value>(&run.stdout).is_ok());
            }
        }
    }
}
