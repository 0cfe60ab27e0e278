//! `meshlb import` and `--kube`: scenarios built from each cluster's `kubectl get -o yaml` dump
//! (formats/src/kube.rs, docs/kube.md).
//!
//! - One dump set per deployment model of the examples (tests/kube/<model>/<cluster>.yaml, with
//!   tests/kube/<model>.overlay.yaml for what a dump cannot carry: the requested host and port,
//!   a federated import) explains exactly as the hand-written example does: the same status,
//!   client, policy, priorities, endpoints (shares to 1e-9), drops and reasons, and the same
//!   notes from the core; only the import's own notes are added.
//! - The printed import reads back to the same scenario and explains the same.
//! - Istio's own testdata with Kubernetes objects (../shared/real-inputs) imports.
//! - Bad dumps exit 2 with the file, document, object and path.

use meshlb::NoteCode;
use meshlb_formats::kube::{self, KubeOptions};
use meshlb_formats::{Options, Planned};
use meshlb_tests::{
    KUBE_MODELS as MODELS, kube_dir, kube_dump as dump, kube_options as options, meshlb, read,
    temp_file, workspace_root,
};
use serde_json::Value;

const TOLERANCE: f64 = 1e-9;

/// The core's explanation (without the notes parsing or importing added) as JSON.
fn core_explanation(loaded: &meshlb_formats::Loaded) -> Value {
    let Planned::Mesh(plan) = &loaded.planned else {
        panic!("a scenario")
    };
    serde_json::to_value(plan.explain()).expect("serialises")
}

fn example(model: &str) -> meshlb_formats::Loaded {
    let path = workspace_root()
        .join("examples")
        .join(format!("{model}.yaml"));
    meshlb_formats::load(model, &read(&path), &Options::default())
        .unwrap_or_else(|e| panic!("{model}: {e}"))
}

/// Two explanations are the same: every field equal, shares within [`TOLERANCE`], drop
/// messages aside (they quote the workload's labels, which a pod has more of).
fn assert_same(what: &str, expected: &Value, actual: &Value) {
    fn strip(v: &Value) -> Value {
        let mut v = v.clone();
        if let Some(endpoints) = v["endpoints"].as_array_mut() {
            for e in endpoints {
                e["share"] = Value::Null;
            }
        }
        if let Some(dropped) = v["dropped"].as_array_mut() {
            for d in dropped {
                d["message"] = Value::Null;
            }
        }
        v
    }
    assert_eq!(strip(expected), strip(actual), "{what}");
    let shares = |v: &Value| -> Vec<f64> {
        v["endpoints"]
            .as_array()
            .expect("endpoints")
            .iter()
            .map(|e| e["share"].as_f64().expect("share"))
            .collect()
    };
    let (a, b) = (shares(expected), shares(actual));
    assert_eq!(a.len(), b.len(), "{what}");
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() < TOLERANCE, "{what}: share {x} vs {y}");
    }
}

#[test]
fn every_deployment_model_explains_as_its_hand_written_example() {
    for (model, pod, clusters) in MODELS {
        let loaded = meshlb_formats::load("dumps", "", &options(model, pod, clusters))
            .unwrap_or_else(|e| panic!("{model}: {e}"));
        let expected = core_explanation(&example(model));
        let actual = core_explanation(&loaded);
        assert_same(model, &expected, &actual);
        // The notes the import adds say what it assumed and what it left out.
        assert!(
            loaded
                .notes
                .iter()
                .any(|n| n.code == NoteCode::Flag && n.text.starts_with("--from-pod ")),
            "{model}: {:?}",
            loaded.notes
        );
    }
}

#[test]
fn the_printed_import_reads_back_to_the_same_scenario_and_explanation() {
    for (model, pod, clusters) in MODELS {
        let opts = options(model, pod, clusters);
        let imported = kube::import_options(&opts).unwrap_or_else(|e| panic!("{model}: {e}"));
        let yaml = imported.to_yaml();
        let back = meshlb_formats::parse_scenario(&yaml)
            .unwrap_or_else(|e| panic!("{model}: the printed import does not read: {e}\n{yaml}"));
        assert_eq!(back.scenario, imported.scenario, "{model}:\n{yaml}");
        // Through the command line: import, then explain the printed file.
        let mut args = vec!["import".to_string()];
        for c in *clusters {
            args.push("--kube".into());
            args.push(format!(
                "{c}={}",
                kube_dir().join(model).join(format!("{c}.yaml")).display()
            ));
        }
        args.extend([
            "--overlay".into(),
            kube_dir()
                .join(format!("{model}.overlay.yaml"))
                .display()
                .to_string(),
            "--from-pod".into(),
            (*pod).to_string(),
        ]);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = meshlb(&argv);
        assert_eq!(run.status, 0, "{model}: {}", run.stderr);
        let file = temp_file(&format!("{model}.yaml"), run.stdout.as_bytes());
        let printed = meshlb_formats::load("printed", &read(&file), &Options::default())
            .unwrap_or_else(|e| panic!("{model}: {e}"));
        let direct = meshlb_formats::load("dumps", "", &opts).expect("imports");
        assert_same(
            model,
            &core_explanation(&direct),
            &core_explanation(&printed),
        );
        // Explaining the dumps directly on the command line gives the same document too.
        let mut explain = argv.clone();
        explain[0] = "explain";
        explain.extend(["--format", "json"]);
        let run = meshlb(&explain);
        assert_eq!(run.status, 0, "{model}: {}", run.stderr);
        let cli: Value = serde_json::from_str(&run.stdout).expect("JSON");
        let mut expected = serde_json::to_value(direct.explain()).expect("serialises");
        expected["notes"] = cli["notes"].clone();
        assert_same(model, &expected, &cli);
        // pick and simulate take the dumps too, and pick as the printed scenario does.
        let printed_path = file.to_str().expect("utf-8");
        let mut pick = argv.clone();
        pick[0] = "pick";
        pick.extend(["--requests", "20", "--seed", "7"]);
        let from_dumps = meshlb(&pick);
        assert_eq!(from_dumps.status, 0, "{model}: {}", from_dumps.stderr);
        let from_file = meshlb(&["pick", printed_path, "--requests", "20", "--seed", "7"]);
        assert_eq!(from_dumps.stdout, from_file.stdout, "{model}");
        let mut simulate = argv.clone();
        simulate[0] = "simulate";
        simulate.extend(["--requests", "1000"]);
        let run = meshlb(&simulate);
        assert_eq!(run.status, 0, "{model}: {}", run.stderr);
    }
}

#[test]
fn provenance_comments_name_file_document_and_object() {
    let opts = options(
        "multi-network",
        "east/bookinfo/productpage-v1-6c8d5f9b7-pp001",
        &["east", "west"],
    );
    let yaml = kube::import_options(&opts).expect("imports").to_yaml();
    for line in [
        "# from multi-network/west.yaml document 1 items[",
        "Service/istio-system/istio-eastwestgateway",
        "Deployment/istio-system/istiod",
        "Namespace/istio-system",
        "EndpointSlice/bookinfo/reviews-7xk2p",
        "Service/bookinfo/reviews",
    ] {
        assert!(yaml.contains(line), "missing {line:?} in\n{yaml}");
    }
}

#[test]
fn what_the_dumps_say_about_each_cluster() {
    let opts = options(
        "primary-remote",
        "remote/bookinfo/productpage-v1-6c8d5f9b7-pp001",
        &["primary", "remote"],
    );
    let imported = kube::import_options(&opts).expect("imports");
    let s = &imported.scenario;
    // The primary runs istiod and holds the remote's secret; the remote names its control
    // plane on its istio-system Namespace.
    assert_eq!(s.clusters[0].control_plane, "primary");
    assert_eq!(s.clusters[0].remote_secrets, ["remote"]);
    assert_eq!(s.clusters[1].control_plane, "primary");
    // The east-west gateway without a network label is no mesh gateway; the istiod
    // VirtualService bound to it is no sidecar config.
    assert!(s.networks.is_empty(), "{:?}", s.networks);
    assert!(
        imported
            .notes
            .iter()
            .any(|n| n.text.contains("1 Gateway")
                && n.text.contains("1 VirtualService (gateways only)")),
        "{:?}",
        imported.notes
    );
    // The client pod's node gives its locality; its labels are the pod's.
    assert_eq!(s.client.locality.to_string(), "eu-west/eu-west-1b");
    assert_eq!(
        s.client.labels.get("app").map(String::as_str),
        Some("productpage")
    );
    // The not-ready and terminating pods of the single-cluster dump.
    let opts = options(
        "single-cluster",
        "kind/demo/curl-7d5c9b6d4b-xk2jq",
        &["kind"],
    );
    let s = kube::import_options(&opts).expect("imports").scenario;
    let w = |a: &str| s.workloads.iter().find(|w| w.address == a).expect(a);
    assert_eq!(w("10.0.0.14").health, meshlb::HealthStatus::Unhealthy);
    assert!(!w("10.0.0.14").terminating);
    assert!(w("10.0.0.15").terminating);
    assert_eq!(w("10.0.0.11").locality.to_string(), "region1/zone-a");
    assert_eq!(s.istio_version, meshlb::mesh::IstioVersion::V1_31);
    // The proxyless pod of multi-network has no tlsMode label: no sidecar.
    let opts = options(
        "multi-network",
        "east/bookinfo/productpage-v1-6c8d5f9b7-pp001",
        &["east", "west"],
    );
    let s = kube::import_options(&opts).expect("imports").scenario;
    let proxyless = s
        .workloads
        .iter()
        .find(|w| w.address == "10.2.0.24")
        .expect("pod");
    assert!(!proxyless.sidecar);
    assert_eq!(s.networks.len(), 2);
    assert_eq!(s.networks[1].gateways.len(), 2);
}

#[test]
fn json_dumps_and_directories_import_as_yaml_does() {
    let model = "primary-remote";
    let pod = "remote/bookinfo/productpage-v1-6c8d5f9b7-pp001";
    let yaml_opts = options(model, pod, &["primary", "remote"]);
    let expected = kube::import_options(&yaml_opts).expect("imports").scenario;
    // `kubectl get -o json`: the same Lists as JSON documents, one file each.
    let text = read(&kube_dir().join(model).join("primary.yaml"));
    let (k8s, istio) = text.split_once("\n---\n").expect("two documents");
    let dir = temp_file("primary-dump", b"").with_extension("d");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("1-k8s.json"),
        meshlb_formats::yaml_to_json(k8s).expect("converts"),
    )
    .expect("write");
    std::fs::write(
        dir.join("2-istio.json"),
        meshlb_formats::yaml_to_json(istio).expect("converts"),
    )
    .expect("write");
    std::fs::write(dir.join("README.txt"), "not read").expect("write");
    let remote = kube_dir().join(model).join("remote.yaml");
    let overlay = kube_dir().join(format!("{model}.overlay.yaml"));
    let run = meshlb(&[
        "import",
        "--kube",
        &format!("primary={}", dir.display()),
        "--kube",
        &format!("remote={}", remote.display()),
        "--overlay",
        overlay.to_str().expect("utf-8"),
        "--from-pod",
        pod,
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let back = meshlb_formats::parse_scenario(&run.stdout).expect("reads");
    assert_eq!(back.scenario, expected);
}

/// Runs `meshlb import` over dump texts written to temporary files; returns (status, stderr).
fn import_texts(dumps: &[(&str, &str)]) -> (u8, String) {
    let mut args = vec!["import".to_string()];
    for (cluster, text) in dumps {
        let path = temp_file(&format!("{cluster}.yaml"), text.as_bytes());
        args.push("--kube".into());
        args.push(format!("{cluster}={}", path.display()));
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = meshlb(&argv);
    (run.status, run.stderr)
}

fn assert_bad(dumps: &[(&str, &str)], parts: &[&str]) {
    let (status, stderr) = import_texts(dumps);
    assert_eq!(status, 2, "{stderr}");
    for p in parts {
        assert!(stderr.contains(p), "expected {p:?} in: {stderr}");
    }
}

const SLICE_ONLY: &str = "apiVersion: v1
kind: List
items:
- apiVersion: discovery.k8s.io/v1
  kind: EndpointSlice
  metadata:
    name: reviews-abcde
    namespace: bookinfo
    labels:
      kubernetes.io/service-name: reviews
  addressType: IPv4
  endpoints:
  - addresses: [10.0.0.1]
  ports:
  - {name: http, port: 9080}
";

#[test]
fn bad_dumps_exit_2_naming_file_document_object_and_path() {
    // An EndpointSlice whose Service is not in the dump.
    assert_bad(
        &[("east", SLICE_ONLY)],
        &[
            "east.yaml: document 1: EndpointSlice/bookinfo/reviews-abcde: items[0].metadata.labels.kubernetes.io/service-name",
            "Service bookinfo/reviews",
            "(line 10)",
        ],
    );
    // A pod on a node the dump does not have.
    let pod_on_unknown_node = "apiVersion: v1
kind: Node
metadata: {name: node-1, labels: {topology.kubernetes.io/region: r1}}
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: bookinfo}
spec: {ports: [{port: 9080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-1, namespace: bookinfo}
spec:
  nodeName: node-9
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: reviews-x, namespace: bookinfo, labels: {kubernetes.io/service-name: reviews}}
addressType: IPv4
endpoints:
- addresses: [10.0.0.1]
  targetRef: {kind: Pod, name: reviews-1, namespace: bookinfo}
ports: [{port: 9080}]
";
    assert_bad(
        &[("east", pod_on_unknown_node)],
        &[
            "document 3: Pod/bookinfo/reviews-1: spec.nodeName",
            "node \"node-9\"",
            "(line 14)",
        ],
    );
    // Two --kube name the same cluster.
    assert_bad(
        &[
            ("east", "kind: List\nitems: []\n"),
            ("east", "kind: List\nitems: []\n"),
        ],
        &["two --kube name cluster \"east\""],
    );
    // Malformed YAML.
    assert_bad(
        &[("east", "apiVersion: v1\nkind: Pod\nmetadata: {name: [x\n")],
        &["east.yaml: ", "malformed YAML"],
    );
    // A List whose items is not a list.
    assert_bad(
        &[("east", "apiVersion: v1\nkind: List\nitems:\n  name: x\n")],
        &["document 1: items: a List's `items` is a list, found a mapping (line 3)"],
    );
    // A duplicate object.
    let dup = "kind: Namespace\napiVersion: v1\nmetadata: {name: shop}\n---\nkind: Namespace\napiVersion: v1\nmetadata: {name: shop}\n";
    assert_bad(
        &[("east", dup)],
        &[
            "document 2: Namespace/shop: ",
            "duplicate object",
            "document 1",
        ],
    );
    // A huge object.
    let huge = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big, namespace: shop}}\ndata:\n  blob: \"{}\"\n",
        "x".repeat(kube::MAX_OBJECT_CHARS + 10)
    );
    assert_bad(&[("east", &huge)], &["document 1", "etcd's request limit"]);
    // An Istio resource Istio's API rejects: the path inside it, and its line.
    let bad_dr = "apiVersion: v1
kind: List
items:
- apiVersion: networking.istio.io/v1
  kind: DestinationRule
  metadata: {name: reviews, namespace: bookinfo}
  spec:
    host: reviews
    trafficPolicy:
      loadBalancer: {simpel: ROUND_ROBIN}
";
    assert_bad(
        &[("east", bad_dr)],
        &[
            "document 1: DestinationRule/bookinfo/reviews: items[0].spec.trafficPolicy.loadBalancer.simpel",
            "did you mean `simple`",
            "(line 10)",
        ],
    );
    // An object without kind; a mesh config Istio does not know.
    assert_bad(
        &[("east", "apiVersion: v1\nmetadata: {name: x}\n")],
        &["document 1: not a Kubernetes object: no `kind`"],
    );
    let bad_mesh = "apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    localityLbSetting:
      enabeld: true
";
    assert_bad(
        &[("east", bad_mesh)],
        &[
            "ConfigMap/istio-system/istio: data.mesh.localityLbSetting.enabeld",
            "(line 7)",
        ],
    );
    // --from-pod naming a pod the dump does not have.
    let path = temp_file("east.yaml", b"kind: List\napiVersion: v1\nitems: []\n");
    let run = meshlb(&[
        "explain",
        "--kube",
        &format!("east={}", path.display()),
        "--from-pod",
        "east/shop/nope",
    ]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("has no Pod shop/nope"),
        "{}",
        run.stderr
    );
}

#[test]
fn import_options_api_without_the_cli() {
    let (name, files) = dump("blue-green-secrets", "blue");
    let imported = kube::import(
        &[(name, files), dump("blue-green-secrets", "green")],
        &KubeOptions {
            overlay: None,
            from_pod: Some("blue/shop/frontend-8c7b6d5f4-fr001".into()),
        },
    )
    .expect("imports");
    assert_eq!(imported.scenario.clusters.len(), 2);
    assert!(
        imported
            .scenario
            .clusters
            .iter()
            .all(|c| c.remote_secrets.is_empty())
    );
    assert_eq!(
        imported.provenance.workloads.len(),
        imported.scenario.workloads.len()
    );
    assert!(imported.notes.iter().any(|n| n.code == NoteCode::NoRequest));
}

// ---------------------------------------------------------------------------------------------
// Istio's own testdata (../shared/real-inputs): read at test time, never copied.

fn real_input(name: &str) -> Option<String> {
    let path = workspace_root()
        .join("..")
        .join("shared")
        .join("real-inputs")
        .join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(_) => {
            println!(
                "{} is absent (../shared/real-inputs is not beside the clone): skipping",
                path.display()
            );
            None
        }
    }
}

fn import_one(cluster: &str, name: &str, text: String) -> kube::Imported {
    kube::import(
        &[(cluster.to_string(), vec![(name.to_string(), text)])],
        &KubeOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn istio_testdata_with_kubernetes_objects_imports() {
    // DestinationRule with topology-label subsets, Service, Pod, Node (analyzer testdata).
    if let Some(text) = real_input("istio__destinationrule-subsets-with-topology-labels.yaml") {
        let i = import_one("c1", "destinationrule-subsets", text);
        assert_eq!(i.scenario.services.len(), 1);
        assert_eq!(i.scenario.services[0].name, "httpbin");
        assert_eq!(i.scenario.config.len(), 1);
        assert!(
            i.scenario.workloads.is_empty(),
            "no EndpointSlice: no workloads"
        );
    }
    // Six Services of one cluster of the multicluster analyzer test.
    if let Some(text) = real_input("istio__multicluster_inconsistent-service-1.yaml") {
        let i = import_one("cluster1", "inconsistent-service-1", text);
        assert_eq!(i.scenario.services.len(), 6);
    }
    // A headless Service's EndpointSlice without pods (sidecar simulation test): three plain
    // endpoints, explained from a client named by --from.
    if let Some(text) = real_input("istio__sidecar_simulation_kubeConfigHeadlessTCP.yaml") {
        let i = import_one("c1", "headless", text.clone());
        assert_eq!(i.scenario.workloads.len(), 3);
        assert!(
            i.scenario
                .workloads
                .iter()
                .all(|w| !w.sidecar && w.port == 8080)
        );
        let loaded = meshlb_formats::load(
            "dumps",
            "",
            &Options {
                kube: vec![("c1".into(), vec![("headless.yaml".into(), text)])],
                from: Some("c1/default".into()),
                to: Some("mystatefulset.default".into()),
                ..Options::default()
            },
        )
        .expect("explains");
        let e = loaded.explain();
        assert_eq!(e.endpoints.len(), 3);
        for ep in &e.endpoints {
            assert!((ep.share - 1.0 / 3.0).abs() < TOLERANCE);
        }
    }
    // The config behind none_eds: a Sidecar (kept as config: it scopes the namespace's
    // proxies), ServiceEntries, a VirtualService, Deployments.
    if let Some(text) = real_input("istio__none.yaml") {
        let i = import_one("c1", "none.yaml", text);
        let sidecars = i
            .scenario
            .config
            .iter()
            .flat_map(|c| &c.resources)
            .filter(|r| matches!(r, meshlb::mesh::Resource::Sidecar(_)))
            .count();
        assert_eq!(sidecars, 1, "{:?}", i.notes);
        let resources: usize = i.scenario.config.iter().map(|c| c.resources.len()).sum();
        assert!(resources >= 9, "{resources}");
        assert!(
            i.notes.iter().any(|n| n.text.contains("Deployment")),
            "{:?}",
            i.notes
        );
    }
    // Five WorkloadEntries without namespace (so in `default`), as the validation testdata has.
    if let Some(text) = real_input("istio__workloadentry-valid.yaml") {
        let i = import_one("c1", "workloadentry-valid", text);
        assert_eq!(i.scenario.config[0].resources.len(), 5);
        let yaml = i.to_yaml();
        meshlb_formats::parse_scenario(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    }
    // MeshNetworks (analyzer testdata), as the `istio` ConfigMap's meshNetworks: network1 holds
    // the registry `kubernetes`, its gateway is the ingress gateway Service's address.
    if let Some(text) = real_input("istio__meshnetworks.yaml") {
        let indented: String = text.lines().map(|l| format!("    {l}\n")).collect();
        let dump = format!(
            "apiVersion: v1
kind: ConfigMap
metadata: {{name: istio, namespace: istio-system}}
data:
  meshNetworks: |
{indented}---
apiVersion: v1
kind: Service
metadata: {{name: istio-ingressgateway, namespace: istio-system}}
spec: {{type: LoadBalancer, ports: [{{name: https, port: 443}}]}}
status: {{loadBalancer: {{ingress: [{{ip: 203.0.113.7}}]}}}}
"
        );
        let i = import_one("kubernetes", "meshnetworks.yaml", dump);
        let s = &i.scenario;
        assert_eq!(s.clusters[0].network, "network1");
        let net1 = s
            .networks
            .iter()
            .find(|n| n.name == "network1")
            .expect("network1");
        assert_eq!(net1.gateways.len(), 1);
        assert_eq!(net1.gateways[0].address, "203.0.113.7");
        assert_eq!(net1.gateways[0].port, 443);
        assert!(s.networks.iter().any(|n| n.name == "network2"));
        assert!(
            i.notes.iter().any(|n| n.text.contains("network2")),
            "{:?}",
            i.notes
        );
    }
}

/// The single-cluster dump with `edits` made (each `(from, to)` must occur exactly once).
fn single_cluster_with(edits: &[(&str, &str)]) -> Options {
    let mut opts = options(
        "single-cluster",
        "kind/demo/curl-7d5c9b6d4b-xk2jq",
        &["kind"],
    );
    let text = &mut opts.kube[0].1[0].1;
    for (from, to) in edits {
        assert_eq!(text.matches(from).count(), 1, "{from:?} must occur once");
        *text = text.replacen(from, to, 1);
    }
    opts
}

#[test]
fn service_annotations_mesh_config_and_istiod_image_carry_over() {
    // exportTo and trafficDistribution on the Service; DNS capture and a mesh-wide locality
    // setting in the istio ConfigMap; istiod 1.30.
    let opts = single_cluster_with(&[
        (
            "    labels:\n      app: httpbin\n      service: httpbin\n    name: httpbin\n",
            "    annotations:\n      networking.istio.io/exportTo: ' demo , shop '\n    labels:\n      app: httpbin\n      service: httpbin\n    name: httpbin\n",
        ),
        (
            "      app: httpbin\n    sessionAffinity: None\n",
            "      app: httpbin\n    sessionAffinity: None\n    trafficDistribution: PreferClose\n",
        ),
        (
            "        proxyMetadata: {}\n",
            "        proxyMetadata:\n          ISTIO_META_DNS_CAPTURE: \"true\"\n",
        ),
        (
            "      rootNamespace: istio-system\n",
            "      rootNamespace: istio-system\n      localityLbSetting:\n        enabled: false\n",
        ),
        (
            "docker.io/istio/pilot:1.31.0",
            "docker.io/istio/pilot:1.30.3",
        ),
    ]);
    let imported = kube::import_options(&opts).expect("imports");
    let s = &imported.scenario;
    let httpbin = s
        .services
        .iter()
        .find(|v| v.name == "httpbin")
        .expect("httpbin");
    assert_eq!(httpbin.export_to, ["demo", "shop"]);
    assert_eq!(httpbin.traffic_distribution.as_deref(), Some("PreferClose"));
    assert!(s.clusters[0].dns_proxy);
    let setting = s.clusters[0]
        .mesh_config
        .as_ref()
        .and_then(|m| m.locality_lb_setting.as_ref())
        .expect("mesh localityLbSetting");
    assert_eq!(setting.enabled, Some(false));
    assert_eq!(s.istio_version, meshlb::mesh::IstioVersion::V1_30);
    // A Service with a traffic distribution is sent its unready pods whatever the version
    // (research/istio.md §4), so check 1.30's rule on the plain dump: istiod 1.30 does not send
    // the not-ready pod, dropped `not-ready` (SEMANTICS B2).
    let opts = single_cluster_with(&[(
        "docker.io/istio/pilot:1.31.0",
        "docker.io/istio/pilot:1.30.3",
    )]);
    let loaded = meshlb_formats::load("dumps", "", &opts).expect("explains");
    let e = serde_json::to_value(loaded.explain()).expect("json");
    assert!(
        e["dropped"]
            .as_array()
            .expect("dropped")
            .iter()
            .any(|d| d["address"] == "10.0.0.14" && d["reason"] == "not-ready"),
        "{e}"
    );
    // A node with only the deprecated zone label: istiod falls back to it.
    let opts = single_cluster_with(&[(
        "topology.kubernetes.io/zone: zone-c",
        "failure-domain.beta.kubernetes.io/zone: zone-c",
    )]);
    let s = kube::import_options(&opts).expect("imports").scenario;
    let w = s
        .workloads
        .iter()
        .find(|w| w.address == "10.0.0.13")
        .expect("pod");
    assert_eq!(w.locality.to_string(), "region1/zone-c");
    // An image that is neither 1.30 nor 1.31: 1.31 rules, and a note says so.
    let opts = single_cluster_with(&[(
        "docker.io/istio/pilot:1.31.0",
        "docker.io/istio/pilot:1.24.2",
    )]);
    let imported = kube::import_options(&opts).expect("imports");
    assert_eq!(
        imported.scenario.istio_version,
        meshlb::mesh::IstioVersion::V1_31
    );
    assert!(
        imported
            .notes
            .iter()
            .any(|n| n.text.contains("pilot:1.24.2")),
        "{:?}",
        imported.notes
    );
}

#[test]
fn a_gateway_without_an_address_and_odd_label_values_are_handled() {
    // West's gateway Service has no load-balancer address yet: no gateway, and a note; the
    // overlay can give it.
    let mut opts = options(
        "multi-network",
        "east/bookinfo/productpage-v1-6c8d5f9b7-pp001",
        &["east", "west"],
    );
    let west = &mut opts.kube[1].1[0].1;
    let before = "      ingress:\n      - ip: 192.0.2.20\n        ipMode: VIP\n      - ip: 192.0.2.21\n        ipMode: VIP\n";
    assert_eq!(west.matches(before).count(), 1);
    *west = west
        .replacen(before, "      {}\n", 1)
        .replace("    loadBalancer:\n      {}\n", "    loadBalancer: {}\n");
    let imported = kube::import_options(&opts).expect("imports");
    assert!(
        imported
            .scenario
            .networks
            .iter()
            .all(|n| n.name != "net2" || n.gateways.is_empty())
    );
    assert!(
        imported
            .notes
            .iter()
            .any(|n| n.text.contains("has no address yet")),
        "{:?}",
        imported.notes
    );
    opts.overlay = Some((
        "overlay.yaml".into(),
        "networks:\n  - name: net2\n    gateways:\n      - { address: 192.0.2.20, cluster: west }\n      - { address: 192.0.2.21, cluster: west }\nrequest: { host: reviews.bookinfo.svc.cluster.local, port: 9080 }\n".into(),
    ));
    let loaded = meshlb_formats::load("dumps", "", &opts).expect("explains");
    assert_same(
        "multi-network with overlay gateways",
        &core_explanation(&example("multi-network")),
        &core_explanation(&loaded),
    );
    // Labels whose values YAML would misread print quoted and read back.
    let opts = single_cluster_with(&[(
        "      app: curl\n      pod-template-hash: 5b6d8f7c9\n",
        "      app: curl\n      odd: 'yes: no # \"quoted\" \\\\ ünï'\n      pod-template-hash: 5b6d8f7c9\n",
    )]);
    let imported = kube::import_options(&opts).expect("imports");
    let yaml = imported.to_yaml();
    let back = meshlb_formats::parse_scenario(&yaml).expect("reads back");
    assert_eq!(back.scenario, imported.scenario);
    assert_eq!(
        imported
            .scenario
            .client
            .labels
            .get("odd")
            .map(String::as_str),
        Some("yes: no # \"quoted\" \\\\ ünï")
    );
}

#[test]
fn a_sidecar_in_the_dump_scopes_what_the_client_imports() {
    // The client's namespace `demo` holds a Sidecar importing only istio-system: the client's
    // proxy has no cluster for httpbin.demo (Istio's Sidecar egress hosts), so the host is
    // `not-imported`; under the mesh's default ALLOW_ANY the request leaves through the
    // PassthroughCluster.
    let sidecar = "apiVersion: v1\nitems:\n- apiVersion: networking.istio.io/v1\n  kind: Sidecar\n  metadata:\n    name: default\n    namespace: demo\n    resourceVersion: '2001'\n    uid: 5b1f0c52-1d3e-4c8e-9a55-1c2b3d4e5f60\n  spec:\n    egress:\n    - hosts:\n      - istio-system/*\nkind: List\nmetadata:\n  resourceVersion: ''\n";
    let mut opts = single_cluster_with(&[]);
    let text = &mut opts.kube[0].1[0].1;
    assert_eq!(
        text.matches("items: []\n").count(),
        1,
        "the Istio List is empty"
    );
    *text = text.replacen(
        "apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ''\n",
        sidecar,
        1,
    );
    let loaded = meshlb_formats::load("dumps", "", &opts).expect("explains");
    let e = serde_json::to_value(loaded.explain()).expect("json");
    assert_eq!(e["status"], "not-imported", "{e}");
    assert!(
        e["notes"]
            .as_array()
            .expect("notes")
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.contains("demo/default"))),
        "{e}"
    );
}
