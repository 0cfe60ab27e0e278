//! The `kubectl` dump import (`meshlb explain --kube`): text in, explanation out.
//!
//! Dimensions: one generated mesh of 50 clusters (one primary holding remote secrets for the
//! other 49, five networks with an east-west gateway each), 20,000 pods (400 a cluster, behind
//! EndpointSlices of 100 endpoints, as Kubernetes caps them), 4 zones × 5 regions of nodes, every
//! tenth pod not ready, and a DestinationRule with locality failover: about 25 MB of
//! `kubectl get -o yaml` text, generated before timing. The timed loop reads every dump, builds
//! the scenario, plans and explains it (target: under 2 s).

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::Criterion;

const CLUSTERS: usize = 50;
const PODS: usize = 400;

/// One cluster's dump, as `kubectl get … -A -o yaml` prints a List.
fn cluster_dump(c: usize) -> String {
    let mut s =
        String::from("apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: \"\"\nitems:\n");
    let network = format!("n{}", c % 5);
    let _ = write!(
        s,
        "- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: istio-system\n    labels:\n      topology.istio.io/network: {network}\n"
    );
    if c > 0 {
        s.push_str("    annotations:\n      topology.istio.io/controlPlaneClusters: c0\n");
    }
    s.push_str("- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: shop\n");
    for z in 0..4 {
        let _ = write!(
            s,
            "- apiVersion: v1\n  kind: Node\n  metadata:\n    name: node-{z}\n    labels:\n      kubernetes.io/hostname: node-{z}\n      topology.kubernetes.io/region: region{}\n      topology.kubernetes.io/zone: zone{z}\n",
            c % 5
        );
    }
    for p in 0..PODS {
        let _ = write!(
            s,
            "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: api-{p}\n    namespace: shop\n    uid: 0000-{c}-{p}\n    resourceVersion: \"{p}\"\n    labels:\n      app: api\n      version: v{}\n      security.istio.io/tlsMode: istio\n    annotations:\n      sidecar.istio.io/status: '{{\"containers\":[\"istio-proxy\"]}}'\n  spec:\n    nodeName: node-{}\n    containers:\n    - name: api\n      image: example/api:1\n    - name: istio-proxy\n      image: docker.io/istio/proxyv2:1.31.0\n  status:\n    phase: Running\n    podIP: 10.{c}.{}.{}\n",
            p % 3,
            p % 4,
            p / 250,
            p % 250
        );
    }
    s.push_str("- apiVersion: v1\n  kind: Service\n  metadata:\n    name: api\n    namespace: shop\n  spec:\n    ports:\n    - name: http\n      port: 8080\n      targetPort: 8080\n    selector:\n      app: api\n");
    for slice in 0..PODS / 100 {
        let _ = write!(
            s,
            "- apiVersion: discovery.k8s.io/v1\n  kind: EndpointSlice\n  metadata:\n    name: api-{slice}\n    namespace: shop\n    labels:\n      kubernetes.io/service-name: api\n  addressType: IPv4\n  ports:\n  - name: http\n    port: 8080\n    protocol: TCP\n  endpoints:\n"
        );
        for p in slice * 100..(slice + 1) * 100 {
            let ready = p % 10 != 9;
            let _ = write!(
                s,
                "  - addresses:\n    - 10.{c}.{}.{}\n    conditions:\n      ready: {ready}\n      serving: {ready}\n      terminating: false\n    nodeName: node-{}\n    zone: zone{}\n    targetRef:\n      kind: Pod\n      name: api-{p}\n      namespace: shop\n",
                p / 250,
                p % 250,
                p % 4,
                p % 4
            );
        }
    }
    if c < 5 {
        let _ = write!(
            s,
            "- apiVersion: v1\n  kind: Service\n  metadata:\n    name: istio-eastwestgateway\n    namespace: istio-system\n    labels:\n      topology.istio.io/network: {network}\n  spec:\n    type: LoadBalancer\n    ports:\n    - name: tls\n      port: 15443\n  status:\n    loadBalancer:\n      ingress:\n      - ip: 192.0.2.{c}\n"
        );
    }
    if c == 0 {
        s.push_str("- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: istiod\n    namespace: istio-system\n  spec:\n    template:\n      spec:\n        containers:\n        - name: discovery\n          image: docker.io/istio/pilot:1.31.0\n");
        for o in 1..CLUSTERS {
            let _ = write!(
                s,
                "- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: istio-remote-secret-c{o}\n    namespace: istio-system\n    labels:\n      istio/multiCluster: \"true\"\n    annotations:\n      networking.istio.io/cluster: c{o}\n"
            );
        }
        s.push_str("---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: networking.istio.io/v1\n  kind: DestinationRule\n  metadata:\n    name: api\n    namespace: shop\n  spec:\n    host: api.shop.svc.cluster.local\n    trafficPolicy:\n      loadBalancer:\n        simple: ROUND_ROBIN\n        localityLbSetting:\n          failover:\n          - from: region0\n            to: region1\n      outlierDetection:\n        consecutive5xxErrors: 5\n");
    }
    s
}

/// Registers the `kube` group.
pub(crate) fn register(c: &mut Criterion) {
    let kube: Vec<(String, Vec<(String, String)>)> = (0..CLUSTERS)
        .map(|i| {
            (
                format!("c{i}"),
                vec![(format!("c{i}.yaml"), cluster_dump(i))],
            )
        })
        .collect();
    let options = meshlb_formats::Options {
        kube,
        from: Some("c0/shop".into()),
        to: Some("api.shop".into()),
        ..meshlb_formats::Options::default()
    };
    let mut group = c.benchmark_group("kube");
    group.sample_size(10);
    group.bench_function("import-and-explain/50-clusters-20k-pods", |b| {
        b.iter(|| {
            let loaded = meshlb_formats::load("dumps", "", black_box(&options));
            black_box(loaded.map(|l| l.explain().endpoints.len()))
        });
    });
    group.finish();
}
