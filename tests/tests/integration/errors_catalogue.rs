//! docs/errors.md, checked: every entry is triggered through the command line and its message
//! checked (the parts between `…` in order, after `meshlb: error: ` for meshlb's own errors);
//! an entry without a trigger fails, and so does a trigger without an entry. The `wasm-` and
//! `filter-` entries are checked by tests/cross/errors.test.mjs in their builds.

use std::collections::BTreeMap;

use meshlb_tests::{meshlb, temp_file, workspace_root};

/// `(id, message)` of every entry of docs/errors.md.
fn catalogue() -> Vec<(String, String)> {
    let path = workspace_root().join("docs").join("errors.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut entries = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("| `") else {
            continue;
        };
        let Some((id, rest)) = rest.split_once("` | `` ") else {
            continue;
        };
        let Some((message, _fix)) = rest.split_once(" `` | ") else {
            panic!("docs/errors.md: entry {id}: the message is not in `` ... ``");
        };
        entries.push((id.to_owned(), message.to_owned()));
    }
    entries
}

const BASE: &str = "clusters: [{name: c0, network: n0}]
services: [{name: s, namespace: ns, clusters: [c0], ports: [80]}]
workloads:
  - {service: s.ns, cluster: c0, address: 10.0.0.1, port: 80, locality: r/z}
client: {cluster: c0, namespace: ns, locality: r/z}
request: {host: s.ns, port: 80}
";

const ENDPOINT: &str =
    r#"{"endpoint":{"address":{"socket_address":{"address":"10.0.0.1","port_value":80}}}}"#;

/// `meshlb explain FILE` of `text`; the standard error.
fn explain(name: &str, text: &str) -> String {
    let path = temp_file(name, text.as_bytes());
    let run = meshlb(&["explain", path.to_str().expect("utf-8 path")]);
    assert_eq!(run.status, 2, "{name} was accepted: {}", run.stdout);
    run.stderr
}

/// The BASE scenario with `from` replaced by `to` (once, and it must be there).
fn scenario(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from}");
    BASE.replacen(from, to, 1)
}

/// An Envoy ClusterLoadAssignment with `groups` as its endpoints, and `extra` fields.
fn assignment(groups: &str, extra: &str) -> String {
    format!(r#"{{"cluster_name":"c","endpoints":[{groups}]{extra}}}"#)
}

/// An Envoy Cluster with one endpoint and `config` fields.
fn cluster(config: &str) -> String {
    format!(
        r#"{{"name":"c",{config},"load_assignment":{{"cluster_name":"c","endpoints":[{{"lb_endpoints":[{ENDPOINT}]}}]}}}}"#
    )
}

fn run(args: &[&str]) -> String {
    let run = meshlb(args);
    assert_eq!(run.status, 2, "{args:?} was accepted: {}", run.stdout);
    run.stderr
}

fn import(dump: &str) -> String {
    let path = temp_file("dump.yaml", dump.as_bytes());
    run(&["import", "--kube", &format!("c1={}", path.display())])
}

fn triggers() -> BTreeMap<&'static str, Box<dyn Fn() -> String>> {
    let example = workspace_root().join("examples").join("default.yaml");
    let example = example.to_str().expect("utf-8 path").to_owned();
    let ex = move || example.clone();
    let mut t: BTreeMap<&'static str, Box<dyn Fn() -> String>> = BTreeMap::new();
    // Command line.
    t.insert("cli-unknown-command", Box::new(|| run(&["frobnicate"])));
    let e = ex.clone();
    t.insert(
        "cli-unknown-flag",
        Box::new(move || run(&["explain", &e(), "--frob"])),
    );
    let e = ex.clone();
    t.insert(
        "cli-bad-flag-value",
        Box::new(move || run(&["explain", &e(), "--format", "xml"])),
    );
    let e = ex.clone();
    t.insert("cli-diff-arguments", Box::new(move || run(&["diff", &e()])));
    t.insert(
        "cli-kube-spec",
        Box::new(|| run(&["import", "--kube", "foo"])),
    );
    t.insert(
        "cli-kube-name",
        Box::new(|| {
            let path = temp_file(
                "ns.yaml",
                b"apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n",
            );
            run(&["import", "--kube", &format!("a/b={}", path.display())])
        }),
    );
    t.insert(
        "cli-kube-twice",
        Box::new(|| {
            let path = temp_file(
                "ns.yaml",
                b"apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n",
            );
            let arg = format!("c1={}", path.display());
            run(&["import", "--kube", &arg, "--kube", &arg])
        }),
    );
    let e = ex.clone();
    t.insert(
        "cli-file-and-kube",
        Box::new(move || run(&["explain", &e(), "--kube", "a=b"])),
    );
    t.insert(
        "cli-report-envoy",
        Box::new(|| {
            let path = workspace_root()
                .join("examples")
                .join("envoy")
                .join("maglev.json");
            run(&["report", path.to_str().expect("utf-8 path")])
        }),
    );
    let e = ex.clone();
    t.insert(
        "cli-fail-value",
        Box::new(move || run(&["explain", &e(), "--fail", "zone=x"])),
    );
    let e = ex;
    t.insert(
        "cli-locality",
        Box::new(move || run(&["explain", &e(), "--locality", "a/b/c/d"])),
    );
    t.insert(
        "cli-from-pod",
        Box::new(|| {
            let path = temp_file(
                "ns.yaml",
                b"apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n",
            );
            run(&[
                "explain",
                "--kube",
                &format!("c1={}", path.display()),
                "--from-pod",
                "zz",
            ])
        }),
    );
    // Reading a file.
    t.insert(
        "file-cannot-read",
        Box::new(|| run(&["explain", "no-such-file.yaml"])),
    );
    t.insert(
        "file-too-large",
        Box::new(|| {
            let big = vec![b' '; 64 * 1024 * 1024 + 1];
            let path = temp_file("big.yaml", &big);
            let stderr = run(&["explain", path.to_str().expect("utf-8 path")]);
            let _ = std::fs::remove_file(&path);
            stderr
        }),
    );
    t.insert(
        "file-not-utf8",
        Box::new(|| {
            let path = temp_file("bin.yaml", b"\xff\xfe");
            run(&["explain", path.to_str().expect("utf-8 path")])
        }),
    );
    t.insert("file-empty", Box::new(|| explain("empty.yaml", "")));
    t.insert(
        "file-unknown-kind",
        Box::new(|| explain("odd.json", r#"{"a": 1}"#)),
    );
    t.insert(
        "file-istio-mesh-networks",
        Box::new(|| {
            explain(
                "mesh-networks.yaml",
                "networks:\n  n1:\n    endpoints: [{fromRegistry: c1}]\n",
            )
        }),
    );
    t.insert(
        "file-istio-mesh-config",
        Box::new(|| {
            explain(
                "mesh.yaml",
                "defaultConfig: {discoveryAddress: \"istiod:15012\"}\n",
            )
        }),
    );
    t.insert(
        "file-malformed-yaml",
        Box::new(|| explain("bad.yaml", "clusters: [\n")),
    );
    t.insert(
        "file-duplicate-key",
        Box::new(|| explain("dup.yaml", "clusters: [{name: c0}]\nclusters: []\n")),
    );
    t.insert(
        "file-several-documents",
        Box::new(|| explain("two.yaml", &format!("{BASE}---\na: 1\n"))),
    );
    t.insert(
        "file-too-deep",
        Box::new(|| {
            explain(
                "deep.yaml",
                &format!("x: {}{}", "[".repeat(129), "]".repeat(129)),
            )
        }),
    );
    t.insert(
        "file-too-many-documents",
        Box::new(|| import(&"---\n".repeat(65_537))),
    );
    // Scenario.
    t.insert(
        "scenario-unknown-field",
        Box::new(|| explain("s.yaml", &format!("{BASE}foo: 1\n"))),
    );
    t.insert(
        "scenario-wrong-type",
        Box::new(|| {
            explain(
                "s.yaml",
                &scenario("port: 80, locality", "port: eighty, locality"),
            )
        }),
    );
    t.insert(
        "scenario-istio-version",
        Box::new(|| explain("s.yaml", &format!("istioVersion: \"0.9\"\n{BASE}"))),
    );
    t.insert(
        "scenario-no-cluster",
        Box::new(|| {
            explain(
                "s.yaml",
                &scenario("clusters: [{name: c0, network: n0}]", "clusters: []"),
            )
        }),
    );
    t.insert(
        "scenario-duplicate-cluster",
        Box::new(|| {
            explain(
                "s.yaml",
                &scenario(
                    "clusters: [{name: c0, network: n0}]",
                    "clusters: [{name: c0}, {name: c0}]",
                ),
            )
        }),
    );
    t.insert(
        "scenario-unknown-cluster",
        Box::new(|| {
            explain(
                "s.yaml",
                &scenario("cluster: c0, address", "cluster: c9, address"),
            )
        }),
    );
    t.insert(
        "scenario-unknown-control-plane",
        Box::new(|| {
            explain(
                "s.yaml",
                &scenario("{name: c0, network: n0}", "{name: c0, controlPlane: zz}"),
            )
        }),
    );
    t.insert(
        "scenario-unknown-service",
        Box::new(|| explain("s.yaml", &scenario("service: s.ns", "service: t.ns"))),
    );
    t.insert(
        "scenario-empty-network",
        Box::new(|| {
            explain(
                "s.yaml",
                &format!("{BASE}networks: [{{name: n7, gateways: []}}]\n"),
            )
        }),
    );
    t.insert(
        "scenario-weight",
        Box::new(|| {
            explain(
                "s.yaml",
                &scenario("locality: r/z}", "locality: r/z, weight: 0}"),
            )
        }),
    );
    t.insert(
        "scenario-port",
        Box::new(|| {
            explain(
                "s.yaml",
                &scenario("port: 80, locality", "port: 0, locality"),
            )
        }),
    );
    t.insert(
        "scenario-locality",
        Box::new(|| explain("s.yaml", &scenario("locality: r/z}", "locality: a/b/c/d}"))),
    );
    t.insert(
        "scenario-health",
        Box::new(|| {
            explain(
                "s.yaml",
                &scenario("locality: r/z}", "locality: r/z, health: SICK}"),
            )
        }),
    );
    t.insert(
        "scenario-no-client",
        Box::new(|| {
            explain(
                "s.yaml",
                &scenario("client: {cluster: c0, namespace: ns, locality: r/z}\n", ""),
            )
        }),
    );
    t.insert(
        "scenario-client-namespace",
        Box::new(|| {
            explain(
                "s.yaml",
                &scenario(
                    "client: {cluster: c0, namespace: ns, locality: r/z}",
                    "client: {cluster: c0}",
                ),
            )
        }),
    );
    t.insert(
        "scenario-request-host",
        Box::new(|| {
            explain(
                "s.yaml",
                &scenario("request: {host: s.ns, port: 80}", "request: {port: 80}"),
            )
        }),
    );
    t.insert("scenario-istio-kind", Box::new(|| explain("s.yaml", &format!("{BASE}config:\n  - cluster: c0\n    resources:\n      - {{apiVersion: networking.istio.io/v1, kind: Gateway, metadata: {{name: g, namespace: ns}}, spec: {{}}}}\n"))));
    t.insert("scenario-distribute-total", Box::new(|| explain("s.yaml", &format!("{BASE}config:\n  - cluster: c0\n    resources:\n      - apiVersion: networking.istio.io/v1\n        kind: DestinationRule\n        metadata: {{name: d, namespace: ns}}\n        spec:\n          host: s.ns.svc.cluster.local\n          trafficPolicy:\n            loadBalancer:\n              localityLbSetting:\n                distribute: [{{from: 'r/*', to: {{'r/*': 50}}}}]\n"))));
    t.insert(
        "scenario-too-many-workloads",
        Box::new(|| {
            let mut text = String::from("clusters: [{name: c}]\nworkloads:\n");
            text.push_str(&"  - {}\n".repeat(1_000_001));
            explain("many.yaml", &text)
        }),
    );
    t.insert(
        "scenario-too-many-clusters",
        Box::new(|| {
            let names: Vec<String> = (1..=4096).map(|i| format!("{{name: x{i}}}")).collect();
            explain(
                "s.yaml",
                &scenario(
                    "{name: c0, network: n0}",
                    &format!("{{name: c0}}, {}", names.join(", ")),
                ),
            )
        }),
    );
    t.insert(
        "scenario-too-many-labels",
        Box::new(|| {
            let labels: Vec<String> = (0..257).map(|i| format!("k{i}: v")).collect();
            explain(
                "s.yaml",
                &scenario(
                    "locality: r/z}",
                    &format!("locality: r/z, labels: {{{}}}}}", labels.join(", ")),
                ),
            )
        }),
    );
    t.insert(
        "scenario-label-key",
        Box::new(|| {
            explain(
                "s.yaml",
                &scenario(
                    "locality: r/z}",
                    &format!("locality: r/z, labels: {{{}: v}}}}", "k".repeat(318)),
                ),
            )
        }),
    );
    t.insert(
        "scenario-label-value",
        Box::new(|| {
            explain(
                "s.yaml",
                &scenario(
                    "locality: r/z}",
                    &format!("locality: r/z, labels: {{app: {}}}}}", "v".repeat(64)),
                ),
            )
        }),
    );
    t.insert(
        "scenario-hash-tables",
        Box::new(|| {
            let mut text = String::from("clusters: [{name: c0}]\nservices: [{name: s, namespace: ns, clusters: [c0], ports: [80]}]\nworkloads:\n");
            for i in 0..4 {
                text.push_str(&format!("  - {{service: s.ns, cluster: c0, address: 10.0.0.{i}, port: 80, labels: {{v: s{i}}}}}\n"));
            }
            text.push_str("client: {cluster: c0, namespace: ns}\nrequest: {host: s.ns, port: 80}\nconfig:\n  - cluster: c0\n    resources:\n");
            text.push_str("      - {apiVersion: networking.istio.io/v1, kind: DestinationRule, metadata: {name: s, namespace: ns}, spec: {host: s.ns.svc.cluster.local, trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x, maglev: {tableSize: 5000011}}}}, subsets: [{name: s0, labels: {v: s0}}, {name: s1, labels: {v: s1}}, {name: s2, labels: {v: s2}}, {name: s3, labels: {v: s3}}]}}\n");
            text.push_str("      - {apiVersion: networking.istio.io/v1, kind: VirtualService, metadata: {name: s, namespace: ns}, spec: {hosts: [s.ns.svc.cluster.local], http: [{route: [{destination: {host: s.ns.svc.cluster.local, subset: s0}, weight: 25}, {destination: {host: s.ns.svc.cluster.local, subset: s1}, weight: 25}, {destination: {host: s.ns.svc.cluster.local, subset: s2}, weight: 25}, {destination: {host: s.ns.svc.cluster.local, subset: s3}, weight: 25}]}]}}\n");
            explain("routes.yaml", &text)
        }),
    );
    // Envoy input.
    let one = format!(r#"{{"lb_endpoints":[{ENDPOINT}]}}"#);
    let o = one.clone();
    t.insert(
        "envoy-unknown-field",
        Box::new(|| {
            explain(
                "e.json",
                &assignment(&format!(r#"{{"lb_endpointz":[{ENDPOINT}]}}"#), ""),
            )
        }),
    );
    t.insert(
        "envoy-enum",
        Box::new(|| explain("e.json", &cluster(r#""lb_policy":"FASTEST""#))),
    );
    t.insert(
        "envoy-port",
        Box::new(|| {
            explain(
                "e.json",
                &assignment(
                    &format!(
                        r#"{{"lb_endpoints":[{}]}}"#,
                        ENDPOINT.replace("80", "70000")
                    ),
                    "",
                ),
            )
        }),
    );
    t.insert(
        "envoy-duplicate-endpoint",
        Box::new(|| {
            explain(
                "e.json",
                &assignment(
                    &format!(r#"{{"lb_endpoints":[{ENDPOINT},{ENDPOINT}]}}"#),
                    "",
                ),
            )
        }),
    );
    t.insert(
        "envoy-priority",
        Box::new(|| {
            explain(
                "e.json",
                &assignment(
                    &format!(r#"{{"priority":129,"lb_endpoints":[{ENDPOINT}]}}"#),
                    "",
                ),
            )
        }),
    );
    t.insert(
        "envoy-endpoint-weight",
        Box::new(|| {
            explain(
                "e.json",
                &assignment(
                    &format!(
                        r#"{{"lb_endpoints":[{}]}}"#,
                        ENDPOINT.replace("}}}}", r#"}}},"load_balancing_weight":0}"#)
                    ),
                    "",
                ),
            )
        }),
    );
    t.insert(
        "envoy-weight-sum",
        Box::new(|| {
            let heavy = ENDPOINT.replace("}}}}", r#"}}},"load_balancing_weight":4294967295}"#);
            let other = ENDPOINT.replace("10.0.0.1", "10.0.0.2");
            explain(
                "e.json",
                &assignment(&format!(r#"{{"lb_endpoints":[{heavy},{other}]}}"#), ""),
            )
        }),
    );
    t.insert(
        "envoy-overprovisioning",
        Box::new(move || {
            explain(
                "e.json",
                &assignment(&o, r#","policy":{"overprovisioning_factor":0}"#),
            )
        }),
    );
    t.insert(
        "envoy-panic-threshold",
        Box::new(|| {
            explain(
                "e.json",
                &cluster(r#""common_lb_config":{"healthy_panic_threshold":{"value":150}}"#),
            )
        }),
    );
    t.insert("envoy-ring-size", Box::new(|| explain("e.json", &cluster(r#""lb_policy":"RING_HASH","ring_hash_lb_config":{"maximum_ring_size":8388609}"#))));
    t.insert("envoy-ring-inverted", Box::new(|| explain("e.json", &cluster(r#""lb_policy":"RING_HASH","ring_hash_lb_config":{"minimum_ring_size":2048,"maximum_ring_size":1024}"#))));
    t.insert(
        "envoy-maglev-size",
        Box::new(|| {
            explain(
                "e.json",
                &cluster(r#""lb_policy":"MAGLEV","maglev_lb_config":{"table_size":100}"#),
            )
        }),
    );
    t.insert(
        "envoy-choice-count",
        Box::new(|| {
            explain(
                "e.json",
                &cluster(
                    r#""lb_policy":"LEAST_REQUEST","least_request_lb_config":{"choice_count":1}"#,
                ),
            )
        }),
    );
    t.insert("envoy-hash-tables", Box::new(|| {
        let groups: Vec<String> = (0..3)
            .map(|p| format!(r#"{{"priority":{p},"lb_endpoints":[{}]}}"#, ENDPOINT.replace("10.0.0.1", &format!("10.0.0.{}", p + 1))))
            .collect();
        explain(
            "e.json",
            &format!(
                r#"{{"name":"c","lb_policy":"RING_HASH","ring_hash_lb_config":{{"minimum_ring_size":8388608,"maximum_ring_size":8388608}},"load_assignment":{{"cluster_name":"c","endpoints":[{}]}}}}"#,
                groups.join(",")
            ),
        )
    }));
    drop(one);
    // Kubernetes dumps.
    t.insert(
        "kube-no-kind",
        Box::new(|| import("apiVersion: v1\nmetadata: {name: x}\n")),
    );
    t.insert(
        "kube-items",
        Box::new(|| import("apiVersion: v1\nkind: List\nitems: 3\n")),
    );
    t.insert(
        "kube-no-name",
        Box::new(|| import("apiVersion: v1\nkind: Pod\nmetadata: {namespace: x}\n")),
    );
    t.insert("kube-duplicate", Box::new(|| import("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")));
    t
}

/// Whether `actual` holds the parts of `message` between `…`, in order.
fn matches(message: &str, actual: &str) -> bool {
    let mut rest = actual;
    for part in message.split('…') {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

#[test]
fn every_entry_of_the_catalogue_is_what_meshlb_says() {
    let entries = catalogue();
    assert!(entries.len() >= 60, "{} entries", entries.len());
    let triggers = triggers();
    let mut checked = 0;
    for (id, message) in &entries {
        if id.starts_with("wasm-") || id.starts_with("filter-") {
            continue;
        }
        let trigger = triggers
            .get(id.as_str())
            .unwrap_or_else(|| panic!("docs/errors.md entry {id} has no test here"));
        let stderr = trigger();
        assert!(!stderr.contains("panicked"), "{id}: {stderr}");
        if !id.starts_with("cli-unknown") && id != "cli-bad-flag-value" {
            assert!(stderr.starts_with("meshlb: error: "), "{id}: {stderr}");
        }
        assert!(
            matches(message, &stderr),
            "{id}: expected {message:?}\n     got {stderr:?}"
        );
        checked += 1;
    }
    for id in triggers.keys() {
        assert!(
            entries.iter().any(|(e, _)| e == id),
            "a test for {id}, which docs/errors.md does not list"
        );
    }
    assert_eq!(checked, triggers.len());
}

#[test]
fn the_matcher_needs_every_part_in_order() {
    assert!(matches("a … b … c", "xx a 1 b 2 c yy"));
    assert!(!matches("a … b … c", "a 1 c 2 b"));
    assert!(!matches("unknown cluster \"…\"", "unknown network \"x\""));
}
