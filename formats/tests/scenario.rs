//! The meshlb scenario parser: shared/SCENARIO.md §2 into the model, defaults, notes, and errors
//! that name the path and the line.

use meshlb::mesh::{
    IstioLbPolicy, IstioVersion, MeshPlan, Resource, StringMatch, TlsMode, WorkloadEntrySpec,
};
use meshlb::{HealthStatus, Note, NoteCode};
use meshlb_formats::{InputError, ScenarioInput, looks_like_scenario, parse_scenario};

/// shared/SCENARIO.md §2's example, completed so that every name resolves (a `west` cluster, a
/// workload there).
const FULL: &str = r#"istioVersion: "1.31"
meshes:
  - id: mesh1
    trustDomain: cluster.local
    trustBundles: []
externalControlPlanes:
  - name: managed-cp
    configCluster: east
    remoteSecrets: [east, west]
clusters:
  - name: east
    mesh: mesh1
    network: net1
    controlPlane: east
    remoteSecrets: [west]
    dnsProxy: false
    meshConfig:
      localityLbSetting: { enabled: true }
      serviceSettings:
        - settings: { clusterLocal: true }
          hosts: ["*.kube-system.svc.cluster.local"]
  - name: west
    network: net2
    controlPlane: east
networks:
  - name: net2
    gateways:
      - { address: 192.0.2.20, port: 15443, cluster: west }
services:
  - name: reviews
    namespace: bookinfo
    clusters: [east, west]
    ports: [9080]
    exportTo: ["*"]
    trafficDistribution: PreferClose
workloads:
  - service: reviews.bookinfo
    cluster: east
    address: 10.0.1.5
    port: 9080
    locality: us-east/us-east-1a/rack-1
    network: net1
    labels: { version: v1 }
    health: HEALTHY
    weight: 1
    sidecar: true
  - service: reviews.bookinfo
    cluster: west
    address: 10.2.0.7
    port: 9080
    locality: us-west/us-west-1a
    labels: { version: v2 }
    health: DRAINING
    weight: 3
    terminating: true
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
            outlierDetection: { consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 1m }
          subsets: [{ name: v1, labels: { version: v1 } }]
client:
  cluster: east
  namespace: bookinfo
  locality: us-east/us-east-1a/rack-1
  labels: { app: productpage }
request:
  host: reviews.bookinfo.svc.cluster.local
  port: 9080
"#;

fn parse(text: &str) -> ScenarioInput {
    match parse_scenario(text) {
        Ok(input) => input,
        Err(e) => panic!("unexpected error: {e}\n{text}"),
    }
}

fn parse_err(text: &str) -> InputError {
    match parse_scenario(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

/// The error's path, line and a part of its message.
#[track_caller]
fn assert_error(e: &InputError, path: &str, line: Option<usize>, message: &str) {
    assert_eq!(e.path.to_string(), path, "path of: {e}");
    assert_eq!(e.line, line, "line of: {e}");
    assert!(
        e.message.contains(message),
        "message of: {e}\n(expected it to contain {message:?})"
    );
}

#[test]
fn the_full_example_parses_into_the_model() {
    assert!(looks_like_scenario(FULL));
    let input = parse(FULL);
    let s = &input.scenario;
    assert_eq!(s.istio_version, IstioVersion::V1_31);
    assert_eq!(s.meshes.len(), 1);
    assert_eq!(s.meshes[0].id, "mesh1");
    assert_eq!(s.meshes[0].trust_domain, "cluster.local");
    assert!(s.meshes[0].trust_bundles.is_empty());
    let ecp = &s.external_control_planes[0];
    assert_eq!(
        (ecp.name.as_str(), ecp.config_cluster.as_str()),
        ("managed-cp", "east")
    );
    assert_eq!(ecp.remote_secrets, ["east", "west"]);

    let east = &s.clusters[0];
    assert_eq!(
        (
            east.name.as_str(),
            east.mesh.as_str(),
            east.network.as_str()
        ),
        ("east", "mesh1", "net1")
    );
    assert_eq!(east.control_plane, "east");
    assert_eq!(east.remote_secrets, ["west"]);
    assert!(!east.dns_proxy);
    let mc = east.mesh_config.as_ref().unwrap();
    assert_eq!(mc.locality_lb_setting.as_ref().unwrap().enabled, Some(true));
    assert!(mc.service_settings[0].cluster_local);
    assert_eq!(
        mc.service_settings[0].hosts,
        ["*.kube-system.svc.cluster.local"]
    );
    let west = &s.clusters[1];
    assert_eq!(west.control_plane, "east");
    assert_eq!(
        west.mesh, "",
        "mesh: default is the only mesh (core's mesh_of)"
    );
    assert!(west.mesh_config.is_none());

    let gw = &s.networks[0].gateways[0];
    assert_eq!(
        (gw.address.as_str(), gw.port, gw.cluster.as_str()),
        ("192.0.2.20", 15443, "west")
    );

    let svc = &s.services[0];
    assert_eq!(
        (svc.name.as_str(), svc.namespace.as_str()),
        ("reviews", "bookinfo")
    );
    assert_eq!(svc.clusters, ["east", "west"]);
    assert_eq!(svc.ports, [9080]);
    assert_eq!(svc.export_to, ["*"]);
    assert_eq!(svc.traffic_distribution.as_deref(), Some("PreferClose"));

    let w0 = &s.workloads[0];
    assert_eq!(w0.service, "reviews.bookinfo");
    assert_eq!((w0.address.as_str(), w0.port), ("10.0.1.5", 9080));
    assert_eq!(
        w0.locality,
        meshlb::Locality::new("us-east", "us-east-1a", "rack-1")
    );
    assert_eq!(w0.network.as_deref(), Some("net1"));
    assert_eq!(w0.labels.get("version").map(String::as_str), Some("v1"));
    assert_eq!(w0.health, HealthStatus::Healthy);
    assert_eq!(w0.weight, 1);
    assert!(w0.sidecar && !w0.terminating);
    let w1 = &s.workloads[1];
    assert_eq!(
        w1.locality,
        meshlb::Locality::new("us-west", "us-west-1a", "")
    );
    assert_eq!(w1.network, None, "unset network stays None (the cluster's)");
    assert_eq!(w1.health, HealthStatus::Draining);
    assert_eq!(w1.weight, 3);
    assert!(w1.terminating && w1.sidecar);

    assert_eq!(s.config[0].cluster, "east");
    let Resource::DestinationRule(dr) = &s.config[0].resources[0] else {
        panic!("expected a DestinationRule");
    };
    assert_eq!(
        (dr.metadata.name.as_str(), dr.metadata.namespace.as_str()),
        ("reviews", "bookinfo")
    );
    assert_eq!(dr.host, "reviews.bookinfo.svc.cluster.local");
    let tp = dr.traffic_policy.as_ref().unwrap();
    let lb = tp.load_balancer.as_ref().unwrap();
    assert_eq!(lb.policy, IstioLbPolicy::RoundRobin);
    let setting = lb.locality_lb_setting.as_ref().unwrap();
    assert_eq!(setting.enabled, Some(true));
    assert_eq!(
        (
            setting.failover[0].from.as_str(),
            setting.failover[0].to.as_str()
        ),
        ("us-east", "us-west")
    );
    assert_eq!(
        tp.outlier_detection.as_ref().unwrap().min_health_percent,
        None
    );
    assert_eq!(tp.tls, None);
    assert_eq!(dr.subsets[0].name, "v1");
    assert_eq!(
        dr.subsets[0].labels.get("version").map(String::as_str),
        Some("v1")
    );

    assert_eq!(s.client.cluster, "east");
    assert_eq!(s.client.namespace, "bookinfo");
    assert_eq!(s.client.locality.sub_zone(), "rack-1");
    assert_eq!(
        s.client.labels.get("app").map(String::as_str),
        Some("productpage")
    );
    assert_eq!(s.request.host, "reviews.bookinfo.svc.cluster.local");
    assert_eq!(s.request.port, Some(9080));

    // The outlier detection fields meshlb does not model are named in one note, grouped.
    assert_eq!(
        input.notes,
        [Note::new(
            NoteCode::NotModelled,
            "accepted but not modelled by meshlb (read and checked; what they do is not simulated): \
          config[].resources[].spec.trafficPolicy.outlierDetection.baseEjectionTime, \
          config[].resources[].spec.trafficPolicy.outlierDetection.consecutive5xxErrors, \
          config[].resources[].spec.trafficPolicy.outlierDetection.interval"
        )]
    );
    let plan = input.plan(FULL).unwrap();
    assert!(!plan.destinations.is_empty());
}

#[test]
fn defaults_follow_the_contract() {
    let text = "clusters: [{name: c1}]\n\
                networks: [{name: n, gateways: [{address: 192.0.2.1}]}]\n\
                services: [{name: s, namespace: ns, clusters: [c1]}]\n\
                workloads: [{service: s.ns, cluster: c1, address: 10.0.0.1, port: 80}]\n\
                config:\n\
                - cluster: c1\n  \
                  resources:\n  \
                  - {apiVersion: networking.istio.io/v1beta1, kind: WorkloadEntry, metadata: {name: we}, spec: {address: 10.0.0.9, weight: 0, locality: r/z}}\n";
    let s = parse(text).scenario;
    assert_eq!(s.istio_version, IstioVersion::V1_31);
    assert!(
        s.meshes.is_empty(),
        "no meshes: core's default mesh1 applies"
    );
    let c = &s.clusters[0];
    assert_eq!(
        (
            c.mesh.as_str(),
            c.network.as_str(),
            c.control_plane.as_str()
        ),
        ("", "", "c1")
    );
    assert!(!c.dns_proxy && c.mesh_config.is_none() && c.remote_secrets.is_empty());
    assert_eq!(s.networks[0].gateways[0].port, 15443);
    assert_eq!(s.networks[0].gateways[0].cluster, "");
    let w = &s.workloads[0];
    assert_eq!(w.health, HealthStatus::Healthy);
    assert_eq!(w.weight, 1);
    assert!(w.sidecar && !w.terminating);
    assert_eq!(w.network, None);
    assert_eq!(w.locality, meshlb::Locality::default());
    assert!(w.labels.is_empty());
    let Resource::WorkloadEntry(we) = &s.config[0].resources[0] else {
        panic!("expected a WorkloadEntry");
    };
    assert_eq!(we.metadata.namespace, "default");
    assert_eq!(
        we.spec,
        WorkloadEntrySpec {
            address: "10.0.0.9".into(),
            weight: 1,
            locality: meshlb::Locality::new("r", "z", ""),
            ..WorkloadEntrySpec::default()
        }
    );
    assert_eq!(s.client, meshlb::mesh::ClientSpec::default());
    assert_eq!(s.request.port, None);
}

const SMALL_YAML: &str = "\
istioVersion: 1.30
meshes:
  - id: m1
    imports: [{mesh: m2, service: ratings.bookinfo}]
  - {id: m2, trustDomain: m2.example, trustBundles: [m1]}
clusters:
  - {name: east, mesh: m1, network: net1, dnsProxy: true}
services:
  - {name: reviews, namespace: bookinfo, clusters: [east], ports: [9080, 9443]}
workloads:
  - service: reviews.bookinfo
    cluster: east
    address: 10.0.1.5
    port: 9080
    labels: {version: v1, track: \"1\"}
    health: UNKNOWN
    sidecar: false
client: {cluster: east, namespace: bookinfo, locality: us-east}
request: {host: reviews, port: 9080}
";

const SMALL_JSON: &str = r#"{
  "istioVersion": "1.30",
  "meshes": [
    {"id": "m1", "imports": [{"mesh": "m2", "service": "ratings.bookinfo"}]},
    {"id": "m2", "trustDomain": "m2.example", "trustBundles": ["m1"]}
  ],
  "clusters": [{"name": "east", "mesh": "m1", "network": "net1", "dnsProxy": true}],
  "services": [{"name": "reviews", "namespace": "bookinfo", "clusters": ["east"], "ports": [9080, 9443]}],
  "workloads": [
    {"service": "reviews.bookinfo", "cluster": "east", "address": "10.0.1.5", "port": 9080,
     "labels": {"version": "v1", "track": "1"}, "health": "UNKNOWN", "sidecar": false}
  ],
  "client": {"cluster": "east", "namespace": "bookinfo", "locality": "us-east"},
  "request": {"host": "reviews", "port": 9080}
}"#;

#[test]
fn json_and_yaml_forms_are_the_same_scenario() {
    assert!(looks_like_scenario(SMALL_JSON));
    let yaml = parse(SMALL_YAML);
    let json = parse(SMALL_JSON);
    assert_eq!(yaml, json);
    let s = &json.scenario;
    assert_eq!(
        s.istio_version,
        IstioVersion::V1_30,
        "unquoted 1.30 is read as written"
    );
    assert_eq!(s.meshes[0].imports[0].mesh, "m2");
    assert_eq!(s.meshes[0].imports[0].service, "ratings.bookinfo");
    assert_eq!(s.meshes[0].trust_domain, "cluster.local");
    assert_eq!(s.meshes[1].trust_domain, "m2.example");
    assert!(s.clusters[0].dns_proxy);
    assert_eq!(s.workloads[0].health, HealthStatus::Unknown);
    assert!(!s.workloads[0].sidecar);
    assert_eq!(s.client.locality, meshlb::Locality::new("us-east", "", ""));
}

#[test]
fn istio_resources_map_into_the_model() {
    let text = r#"clusters: [{name: east}]
config:
  - cluster: east
    resources:
      - apiVersion: networking.istio.io/v1alpha3
        kind: DestinationRule
        metadata: {name: r, namespace: ns}
        spec:
          host: reviews
          export_to: ["."]
          traffic_policy:
            connectionPool: {tcp: {maxConnections: 1}, anything: [1, 2]}
            load_balancer:
              consistent_hash: {http_header_name: x-user, ring_hash: {minimum_ring_size: "2048"}}
              locality_lb_setting:
                distribute:
                  - from: us-east/*
                    to: {"us-west/*": 20, "us-east/*": 80}
            outlier_detection: {min_health_percent: 50}
            tls: {mode: ISTIO_MUTUAL, sni: x}
            port_level_settings:
              - port: {number: 9080}
                loadBalancer: {consistentHash: {maglev: {tableSize: 65537}}}
              - port: {number: 9443}
                loadBalancer: {simple: LEAST_CONN}
          subsets:
            - name: v2
              labels: {version: v2}
              trafficPolicy: {loadBalancer: {simple: 2}}
      - apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: vs, namespace: ns}
        spec:
          hosts: [reviews]
          gateways: [mesh]
          http:
            - name: canary
              match: [{headers: {End-User: {exact: jason}}, uri: {prefix: /api}, authority: {exact: x}, source_labels: {app: web}}]
              route: [{destination: {host: reviews, subset: v2}}]
            - route:
                - {destination: {host: reviews, subset: v1, port: {number: 9080}}, weight: 75}
                - {destination: {host: reviews, subset: v2}, weight: 25, headers: {}}
              retries: {attempts: 3}
      - apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: se, namespace: ns}
        spec:
          hosts: [api.example.com]
          ports: [{number: 443, name: https, protocol: TLS, targetPort: 8443}]
          location: MESH_INTERNAL
          resolution: STATIC
          exportTo: ["*"]
          endpoints:
            - {address: 192.0.2.1, ports: {https: 8443}, labels: {app: api}, network: net2, locality: eu/eu-1, weight: 2}
      - apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: se2}
        spec: {hosts: [db.example], ports: [{number: 5432, name: pg}], workloadSelector: {labels: {app: db}}, location: 0}
"#;
    let input = parse(text);
    let resources = &input.scenario.config[0].resources;
    let Resource::DestinationRule(dr) = &resources[0] else {
        panic!("DestinationRule")
    };
    assert_eq!(dr.export_to, ["."]);
    let tp = dr.traffic_policy.as_ref().unwrap();
    let lb = tp.load_balancer.as_ref().unwrap();
    assert_eq!(
        lb.policy,
        IstioLbPolicy::RingHash {
            minimum_ring_size: Some(2048)
        }
    );
    let distribute = &lb.locality_lb_setting.as_ref().unwrap().distribute[0];
    assert_eq!(distribute.from, "us-east/*");
    assert_eq!(
        distribute.to,
        [("us-west/*".to_string(), 20), ("us-east/*".to_string(), 80)],
        "`to` in the order written"
    );
    assert_eq!(
        tp.outlier_detection.as_ref().unwrap().min_health_percent,
        Some(50)
    );
    assert_eq!(tp.tls, Some(TlsMode::IstioMutual));
    assert_eq!(tp.port_level.len(), 2);
    assert_eq!(tp.port_level[0].0, 9080);
    assert_eq!(
        tp.port_level[0].1.load_balancer.as_ref().unwrap().policy,
        IstioLbPolicy::Maglev {
            table_size: Some(65537)
        }
    );
    assert_eq!(
        tp.port_level[1].1.load_balancer.as_ref().unwrap().policy,
        IstioLbPolicy::LeastRequest
    );
    let subset_lb = dr.subsets[0]
        .traffic_policy
        .as_ref()
        .unwrap()
        .load_balancer
        .as_ref()
        .unwrap();
    assert_eq!(subset_lb.policy, IstioLbPolicy::Random, "enum by number");

    let Resource::VirtualService(vs) = &resources[1] else {
        panic!("VirtualService")
    };
    assert_eq!(vs.hosts, ["reviews"]);
    assert_eq!(vs.http.len(), 2);
    assert_eq!(vs.http[0].name.as_deref(), Some("canary"));
    assert!(vs.http[0].has_match);
    assert!(!vs.http[1].has_match);
    assert_eq!(vs.gateways, ["mesh"]);
    let m = &vs.http[0].matches[0];
    assert_eq!(
        m.headers.get("end-user"),
        Some(&Some(StringMatch::Exact("jason".into()))),
        "header names are case-insensitive: read in lower case"
    );
    assert_eq!(m.uri, Some(StringMatch::Prefix("/api".into())));
    assert_eq!(m.source_labels.get("app").map(String::as_str), Some("web"));
    let r = &vs.http[1].route;
    assert_eq!(
        (
            r[0].host.as_str(),
            r[0].subset.as_deref(),
            r[0].port,
            r[0].weight
        ),
        ("reviews", Some("v1"), Some(9080), Some(75))
    );
    assert_eq!(
        (r[1].subset.as_deref(), r[1].port, r[1].weight),
        (Some("v2"), None, Some(25))
    );

    let Resource::ServiceEntry(se) = &resources[2] else {
        panic!("ServiceEntry")
    };
    assert_eq!(se.hosts, ["api.example.com"]);
    assert_eq!(
        (
            se.ports[0].number,
            se.ports[0].name.as_str(),
            se.ports[0].target_port
        ),
        (443, "https", Some(8443))
    );
    assert!(se.mesh_internal);
    assert_eq!(se.resolution, "STATIC");
    assert_eq!(se.export_to, ["*"]);
    let ep = &se.endpoints[0];
    assert_eq!(ep.address, "192.0.2.1");
    assert_eq!(ep.ports.get("https"), Some(&8443));
    assert_eq!(ep.labels.get("app").map(String::as_str), Some("api"));
    assert_eq!(ep.network, "net2");
    assert_eq!(ep.locality, meshlb::Locality::new("eu", "eu-1", ""));
    assert_eq!(ep.weight, 2);
    assert!(se.workload_selector.is_none());
    let Resource::ServiceEntry(se2) = &resources[3] else {
        panic!("ServiceEntry")
    };
    assert_eq!(se2.metadata.namespace, "default");
    assert!(!se2.mesh_internal);
    assert_eq!(se2.resolution, "NONE");
    assert_eq!(
        se2.workload_selector
            .as_ref()
            .and_then(|l| l.get("app"))
            .map(String::as_str),
        Some("db")
    );

    let notes: Vec<&str> = input.notes.iter().map(|n| n.text.as_str()).collect();
    let notes = notes.join("\n");
    assert!(notes.contains("config[0].resources[0].spec.traffic_policy.port_level_settings[1].loadBalancer.simple: LEAST_CONN is deprecated"), "{notes}");
    assert!(
        !notes.contains("match conditions are not evaluated"),
        "match conditions are evaluated now: {notes}"
    );
    let unmodelled = input.notes.last().unwrap();
    assert_eq!(unmodelled.code, NoteCode::NotModelled);
    let unmodelled = &unmodelled.text;
    for pattern in [
        "config[].resources[].spec.traffic_policy.connectionPool",
        "config[].resources[].spec.traffic_policy.load_balancer.consistent_hash.http_header_name",
        "config[].resources[].spec.traffic_policy.tls.sni",
        "config[].resources[].spec.http[].match[].authority",
        "config[].resources[].spec.http[].retries",
        "config[].resources[].spec.http[].route[].headers",
        "config[].resources[].spec.ports[].protocol",
    ] {
        assert!(unmodelled.contains(pattern), "{pattern} in {unmodelled}");
    }
    assert!(unmodelled.starts_with(
        "accepted but not modelled by meshlb (read and checked; what they do is not simulated): "
    ));
    // Content under a sub-message meshlb does not model is not inspected.
    assert!(!unmodelled.contains("maxConnections") && !unmodelled.contains("anything"));
}

#[test]
fn anchors_and_aliases_resolve() {
    let text = "x-labels: &labels {app: web}\n";
    // `x-labels` is not a scenario field: anchors live inside the fields themselves.
    assert_error(
        &parse_err(text),
        "x-labels",
        Some(1),
        "unknown field `x-labels`",
    );
    let text = "clusters: [{name: east}]\n\
                client: {cluster: east, namespace: ns, labels: &l {app: web}}\n\
                workloads: [{service: s.ns, cluster: east, address: 10.0.0.1, port: 80, labels: *l}]\n";
    let s = parse(text).scenario;
    assert_eq!(s.workloads[0].labels, s.client.labels);
    assert_eq!(
        s.workloads[0].labels.get("app").map(String::as_str),
        Some("web")
    );
}

/// A valid scenario the malformed cases below change one line of. Line numbers:
const BASE: &str = "\
clusters:
  - name: east
    network: net1
    remoteSecrets: [west]
  - name: west
    network: net2
services:
  - name: reviews
    namespace: bookinfo
    clusters: [east, west]
    ports: [9080]
workloads:
  - service: reviews.bookinfo
    cluster: east
    address: 10.0.1.5
    port: 9080
    locality: us-east/us-east-1a
  - service: reviews.bookinfo
    cluster: west
    address: 10.0.2.5
    port: 9080
client: {cluster: east, namespace: bookinfo}
request: {host: reviews.bookinfo}
";

/// `BASE` with line `line` (1-based) replaced by `with` (which may hold several lines).
fn edit(line: usize, with: &str) -> String {
    let mut lines: Vec<&str> = BASE.lines().collect();
    lines[line - 1] = with;
    lines.join("\n") + "\n"
}

/// `BASE` with `extra` appended.
fn append(extra: &str) -> String {
    format!("{BASE}{extra}")
}

#[test]
fn base_is_valid() {
    let input = parse(BASE);
    input.plan(BASE).unwrap();
}

#[test]
fn unknown_key_in_own_section_with_hint() {
    let e = parse_err(&edit(3, "    netwrok: net1"));
    assert_error(
        &e,
        "clusters[0].netwrok",
        Some(3),
        "unknown field `netwrok` in a cluster; did you mean `network`?",
    );
    let e = parse_err(&edit(3, "    control_plane: east"));
    assert_error(
        &e,
        "clusters[0].control_plane",
        Some(3),
        "did you mean `controlPlane`?",
    );
    let e = parse_err(&edit(23, "request: {host: reviews.bookinfo, prot: 9080}"));
    assert_error(&e, "request.prot", Some(23), "did you mean `port`?");
}

#[test]
fn locality_of_more_than_three_parts() {
    let e = parse_err(&edit(17, "    locality: a/b/c/d"));
    assert_error(&e, "workloads[0].locality", Some(17), "has 4 parts");
}

#[test]
fn weight_zero() {
    let e = parse_err(&edit(17, "    locality: us-east\n    weight: 0"));
    assert_error(
        &e,
        "workloads[0].weight",
        Some(18),
        "weight must be at least 1",
    );
    let e = parse_err(&edit(17, "    weight: -2"));
    assert_error(&e, "workloads[0].weight", Some(17), "out of range");
    let e = parse_err(&edit(17, "    weight: 4294967296"));
    assert_error(&e, "workloads[0].weight", Some(17), "out of range");
}

#[test]
fn bad_health() {
    let e = parse_err(&edit(17, "    health: READY"));
    assert_error(
        &e,
        "workloads[0].health",
        Some(17),
        "unknown value \"READY\" (expected one of HEALTHY, UNHEALTHY, DEGRADED, DRAINING, TIMEOUT, UNKNOWN)",
    );
    let e = parse_err(&edit(17, "    health: healthy"));
    assert_error(&e, "workloads[0].health", Some(17), "did you mean HEALTHY?");
}

const DR: &str = "config:
  - cluster: east
    resources:
      - apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: bookinfo}
        spec:
          host: reviews.bookinfo.svc.cluster.local
          trafficPolicy:
            loadBalancer:
              simple: ROUND_ROBIN
          subsets: [{name: v1, labels: {version: v1}}]
";

/// Line of `DR`'s first line in `append(DR)`.
const DR_LINE: usize = 24;

fn dr_with(replace: &str, with: &str) -> String {
    assert!(DR.contains(replace));
    append(&DR.replace(replace, with))
}

#[test]
fn dr_fixture_is_valid() {
    let text = append(DR);
    let input = parse(&text);
    input.plan(&text).unwrap();
    assert!(input.notes.is_empty(), "{:?}", input.notes);
}

#[test]
fn unknown_kind() {
    let e = parse_err(&dr_with("kind: DestinationRule", "kind: Gateway"));
    assert_error(
        &e,
        "config[0].resources[0].kind",
        Some(DR_LINE + 4),
        "kind \"Gateway\" is not supported (meshlb reads DestinationRule, VirtualService, ServiceEntry, WorkloadEntry, Sidecar)",
    );
}

#[test]
fn bad_api_version() {
    let e = parse_err(&dr_with("networking.istio.io/v1", "networking.istio.io/v2"));
    assert_error(
        &e,
        "config[0].resources[0].apiVersion",
        Some(DR_LINE + 3),
        "not an Istio networking API version",
    );
}

#[test]
fn istio_field_that_istio_does_not_have() {
    let e = parse_err(&dr_with("simple: ROUND_ROBIN", "simpel: ROUND_ROBIN"));
    assert_error(
        &e,
        "config[0].resources[0].spec.trafficPolicy.loadBalancer.simpel",
        Some(DR_LINE + 10),
        "unknown field `simpel` in LoadBalancerSettings; did you mean `simple`?",
    );
    let e = parse_err(&dr_with("host: reviews", "hosts: reviews"));
    assert_error(
        &e,
        "config[0].resources[0].spec.hosts",
        Some(DR_LINE + 7),
        "unknown field `hosts` in DestinationRule; did you mean `host`?",
    );
}

#[test]
fn unknown_istio_enum_value() {
    let e = parse_err(&dr_with("simple: ROUND_ROBIN", "simple: ROUND_ROBINN"));
    assert_error(
        &e,
        "config[0].resources[0].spec.trafficPolicy.loadBalancer.simple",
        Some(DR_LINE + 10),
        "did you mean ROUND_ROBIN?",
    );
}

#[test]
fn duplicate_key() {
    let e = parse_err(&edit(21, "    port: 9080\n    port: 9081"));
    assert_error(&e, "workloads[1].port", Some(22), "duplicate key `port`");
    let e = parse_err("{\"clusters\": [], \"clusters\": []}");
    assert_error(&e, "clusters", Some(1), "duplicate key `clusters`");
}

#[test]
fn label_value_that_is_not_a_string() {
    let e = parse_err(&dr_with("labels: {version: v1}", "labels: {version: 1}"));
    assert_error(
        &e,
        "config[0].resources[0].spec.subsets[0].labels.version",
        Some(DR_LINE + 11),
        "label values are strings; quote 1",
    );
    let e = parse_err(&edit(17, "    labels:\n      canary: true"));
    assert_error(
        &e,
        "workloads[0].labels.canary",
        Some(18),
        "label values are strings; quote true",
    );
}

#[test]
fn unsupported_istio_version() {
    let e = parse_err(&format!("istioVersion: \"2.0\"\n{BASE}"));
    assert_error(
        &e,
        "istioVersion",
        Some(1),
        "istioVersion \"2.0\" is not supported",
    );
    let e = parse_err(&format!("istioVersion: 1.3\n{BASE}"));
    assert_error(
        &e,
        "istioVersion",
        Some(1),
        "istioVersion \"1.3\" is not supported",
    );
}

#[test]
fn wrong_types() {
    let e = parse_err(&edit(11, "    ports: 9080"));
    assert_error(
        &e,
        "services[0].ports",
        Some(11),
        "expected a list, found an integer (9080); write [9080]",
    );
    let e = parse_err(&edit(11, "    ports: [http]"));
    assert_error(
        &e,
        "services[0].ports[0]",
        Some(11),
        "expected an integer, found \"http\"",
    );
    let e = parse_err(&edit(9, "    namespace: 123"));
    assert_error(
        &e,
        "services[0].namespace",
        Some(9),
        "expected a string, found an integer (123); quote it",
    );
    let e = parse_err(&edit(2, "  - name: east\n    dnsProxy: yes"));
    assert_error(
        &e,
        "clusters[0].dnsProxy",
        Some(3),
        "expected true or false, found \"yes\"",
    );
    let e = parse_err(&edit(10, "    clusters: east"));
    assert_error(
        &e,
        "services[0].clusters",
        Some(10),
        "expected a list, found a string (east); write [east]",
    );
    let e = parse_err(&edit(10, "    clusters: {east: 1}"));
    assert_error(
        &e,
        "services[0].clusters",
        Some(10),
        "expected a list, found a mapping",
    );
    let e = parse_err(&edit(22, "client: [east]"));
    assert_error(
        &e,
        "client",
        Some(22),
        "expected a mapping (the client), found a list",
    );
}

#[test]
fn port_out_of_range() {
    let e = parse_err(&edit(16, "    port: 70000"));
    assert_error(
        &e,
        "workloads[0].port",
        Some(16),
        "port must be between 1 and 65535 (got 70000)",
    );
    let e = parse_err(&edit(16, "    port: 0"));
    assert_error(
        &e,
        "workloads[0].port",
        Some(16),
        "port must be between 1 and 65535",
    );
}

#[test]
fn missing_required_fields() {
    let e = parse_err(&edit(16, "    weight: 2"));
    assert_error(&e, "workloads[0]", Some(13), "missing field `port`");
    let e = parse_err(&dr_with(
        "metadata: {name: reviews, namespace: bookinfo}",
        "metadata: {namespace: bookinfo}",
    ));
    assert_error(
        &e,
        "config[0].resources[0].metadata",
        Some(DR_LINE + 5),
        "missing field `name`",
    );
}

#[test]
fn multi_document() {
    let e = parse_err(&format!("{BASE}---\nclusters: []\n"));
    assert_error(&e, "(document)", Some(24), "several YAML documents");
    assert_eq!(e.path.0.len(), 0);
}

#[test]
fn yaml_syntax_errors_have_lines() {
    let e = parse_err(&edit(3, "\tnetwork: net1"));
    assert_eq!(e.line, Some(3), "{e}");
    assert!(e.message.starts_with("malformed YAML: "), "{e}");
    let e = parse_err(&edit(10, "    clusters: [east, west"));
    assert!(e.message.starts_with("malformed YAML: "), "{e}");
    assert_eq!(e.line, Some(11), "{e}");
    // JSON past its first key gets the JSON reader's message (as the JSON-only filter gives).
    let e = parse_err("{\"clusters\": [\n  {\"name\": \"east\"\n");
    assert_eq!(
        (e.message.as_str(), e.line),
        (
            "malformed JSON: unexpected end of the document (column 1)",
            Some(3)
        ),
        "{e}"
    );
    // YAML flow style keeps YAML's.
    let e = parse_err("{clusters: [\n  {name: east\n");
    assert!(e.message.starts_with("malformed YAML: "), "{e}");
    let e = parse_err(&edit(14, "    cluster: east: west"));
    assert_eq!(e.line, Some(14), "{e}");
}

#[test]
fn the_document_must_be_a_mapping() {
    let e = parse_err("- clusters\n- workloads\n");
    assert_error(&e, "(document)", Some(1), "a meshlb scenario is a mapping");
    let e = parse_err("");
    assert_error(&e, "(document)", None, "the document is empty");
    let e = parse_err("# nothing\n");
    assert!(e.message.contains("empty"), "{e}");
    assert!(!looks_like_scenario("- clusters\n"));
    assert!(!looks_like_scenario(
        "{\"cluster_name\": \"x\", \"endpoints\": []}"
    ));
}

#[test]
fn same_field_spelled_twice() {
    let e = parse_err(&dr_with(
        "          trafficPolicy:\n",
        "          traffic_policy: {}\n          trafficPolicy:\n",
    ));
    assert_error(
        &e,
        "config[0].resources[0].spec.trafficPolicy",
        Some(DR_LINE + 9),
        "`trafficPolicy` and `traffic_policy` are the same field spelled twice",
    );
}

#[test]
fn oneofs() {
    let e = parse_err(&dr_with(
        "simple: ROUND_ROBIN",
        "simple: ROUND_ROBIN\n              consistentHash: {useSourceIp: true}",
    ));
    assert_error(
        &e,
        "config[0].resources[0].spec.trafficPolicy.loadBalancer.consistentHash",
        Some(DR_LINE + 11),
        "alternatives",
    );
}

#[test]
fn workload_entry_locality_and_ports() {
    let we = "config:
  - cluster: east
    resources:
      - apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: vm}
        spec: {address: 10.9.0.1, locality: a/b/c/d}
";
    let e = parse_err(&append(we));
    assert_error(
        &e,
        "config[0].resources[0].spec.locality",
        Some(DR_LINE + 6),
        "has 4 parts",
    );
    let e = parse_err(&append(
        &we.replace("locality: a/b/c/d", "ports: {http: 0}"),
    ));
    assert_error(
        &e,
        "config[0].resources[0].spec.ports.http",
        Some(DR_LINE + 6),
        "port must be between 1 and 65535",
    );
}

#[test]
fn meshes_and_mesh_config_are_strict() {
    let e = parse_err(&format!("meshes:\n  - id: m\n    trustdomain: x\n{BASE}"));
    assert_error(
        &e,
        "meshes[0].trustdomain",
        Some(3),
        "did you mean `trustDomain`?",
    );
    let e = parse_err(&edit(
        4,
        "    meshConfig: {outboundTrafficPolicy: {mode: REGISTRY_ONLY}, localityLbSettings: {}}",
    ));
    assert_error(
        &e,
        "clusters[0].meshConfig.localityLbSettings",
        Some(4),
        "did you mean `localityLbSetting`?",
    );
    let input = parse(&edit(
        4,
        "    meshConfig: {outboundTrafficPolicy: {mode: REGISTRY_ONLY}, rootNamespace: mesh-root, inboundTrafficPolicy: {}}",
    ));
    let mc = input.scenario.clusters[0].mesh_config.as_ref().unwrap();
    assert_eq!(
        mc.outbound_traffic_policy,
        Some(meshlb::mesh::OutboundTrafficMode::RegistryOnly)
    );
    assert_eq!(mc.root_namespace.as_deref(), Some("mesh-root"));
    assert_eq!(
        input.notes,
        [Note::new(
            NoteCode::NotModelled,
            "accepted but not modelled by meshlb (read and checked; what they do is not simulated): clusters[].meshConfig.inboundTrafficPolicy"
        )]
    );
}

#[test]
fn too_many_workloads() {
    let mut text = String::from("{\"clusters\": [{\"name\": \"c\"}],\n\"workloads\": [");
    for _ in 0..=meshlb_formats::MAX_WORKLOADS {
        text.push_str("{},");
    }
    text.push_str("{}]}");
    let e = parse_err(&text);
    assert_error(&e, "workloads", Some(2), "meshlb reads at most 1000000");
}

#[test]
fn too_large_input() {
    let limit = usize::try_from(meshlb_formats::MAX_INPUT_BYTES).unwrap();
    let text = format!("clusters: []\n#{}", " ".repeat(limit));
    let e = parse_err(&text);
    assert_eq!(
        e.message,
        "the input: larger than 64 MiB; meshlb does not read inputs that large"
    );
}

// ---- core validation errors, located in the document ----

fn plan_err(text: &str) -> InputError {
    let input = parse(text);
    match input.plan(text) {
        Ok(_) => panic!("expected a validation error for:\n{text}"),
        Err(e) => e,
    }
}

fn _plan_ok(text: &str) -> MeshPlan {
    parse(text).plan(text).unwrap()
}

#[test]
fn validation_errors_point_at_their_line() {
    let e = plan_err(&edit(19, "    cluster: south"));
    assert_error(
        &e,
        "workloads[1].cluster",
        Some(19),
        "unknown cluster \"south\"",
    );

    let e = plan_err(&edit(4, "    remoteSecrets: [west, north]"));
    assert_error(
        &e,
        "clusters[0].remoteSecrets[1]",
        Some(4),
        "unknown cluster \"north\"",
    );

    let distribute = DR.replace(
        "              simple: ROUND_ROBIN\n",
        "              simple: ROUND_ROBIN\n              localityLbSetting:\n                distribute:\n                  - from: us-east/*\n                    to:\n                      \"us-east/*\": 70\n                      \"us-west/*\": 20\n",
    );
    let e = plan_err(&append(&distribute));
    assert_error(
        &e,
        "config[0].resources[0].spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to",
        Some(DR_LINE + 14),
        "total locality weight 90 != 100",
    );
}

#[test]
fn validation_errors_in_snake_case_and_missing_paths() {
    // Core names `trafficPolicy`; the document spells it `traffic_policy`.
    let text = append(&DR.replace("trafficPolicy:", "traffic_policy:").replace(
        "              simple: ROUND_ROBIN\n",
        "              locality_lb_setting: {failover: [{from: us-east, to: us-east}]}\n",
    ));
    let e = plan_err(&text);
    assert_error(
        &e,
        "config[0].resources[0].spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0]",
        Some(DR_LINE + 10),
        "different regions",
    );
    // A missing `host`: the line of its parent, `spec`.
    let text = append(&DR.replace("          host: reviews.bookinfo.svc.cluster.local\n", ""));
    let e = plan_err(&text);
    assert_error(
        &e,
        "config[0].resources[0].spec.host",
        Some(DR_LINE + 6),
        "needs a host",
    );
    // Nothing of the path in the document: no line.
    let text = BASE.replace("request: {host: reviews.bookinfo}\n", "");
    let e = plan_err(&text);
    assert_error(&e, "request.host", None, "say which host");
}

// ---- robustness ----

/// Mutated documents (deleted ranges, inserted YAML punctuation, duplicated lines) give an
/// answer, never a panic; whatever parses also plans or fails validation without a panic.
#[test]
fn mutated_documents_never_panic() {
    const PIECES: &[&str] = &[
        ":",
        "- ",
        "[",
        "]",
        "{",
        "}",
        "\"",
        "'",
        "\t",
        "\n",
        " ",
        "  ",
        "&a ",
        "*a",
        "0",
        "-1",
        "!!int ",
        "!x ",
        "? ",
        "---\n",
        "#",
        ",",
        "99999999999999999999",
        "1.5",
        "~",
        "é",
        "\\u",
    ];
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        usize::try_from(seed % (n.max(1) as u64)).unwrap_or(0)
    };
    let full_json = SMALL_JSON.to_string();
    let bases = [FULL, SMALL_YAML, full_json.as_str(), BASE];
    let mut parsed = 0;
    for round in 0..3000 {
        let base = bases[round % bases.len()];
        let mut text: Vec<char> = base.chars().collect();
        for _ in 0..=next(3) {
            let at = next(text.len() + 1);
            match next(3) {
                0 => {
                    let end = (at + next(12)).min(text.len());
                    text.drain(at..end);
                }
                1 => {
                    let piece = PIECES[next(PIECES.len())];
                    for (k, c) in piece.chars().enumerate() {
                        text.insert(at + k, c);
                    }
                }
                _ => {
                    let line: String = text.iter().skip(at).take_while(|c| **c != '\n').collect();
                    let insert_at = next(text.len() + 1);
                    for (k, c) in line.chars().chain(['\n']).enumerate() {
                        text.insert(insert_at + k, c);
                    }
                }
            }
        }
        let text: String = text.into_iter().collect();
        let _ = looks_like_scenario(&text);
        match parse_scenario(&text) {
            Ok(input) => {
                parsed += 1;
                if let Err(e) = input.plan(&text) {
                    assert!(!e.message.is_empty());
                }
            }
            Err(e) => {
                assert!(!e.message.is_empty());
                let _ = e.to_string();
            }
        }
    }
    assert!(parsed > 100, "{parsed} mutated documents parsed");
}
