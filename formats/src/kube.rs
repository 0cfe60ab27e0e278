//! A meshlb scenario from each cluster's `kubectl get … -o yaml|json` dump (issue 17,
//! "Kubernetes as it is"; docs/kube.md).
//!
//! [`import`] takes, per cluster, its name in the mesh (the Istio cluster ID) and the text of its
//! dump files: `List`s (`kind: List` with `items`), single objects, or several YAML documents.
//! It reads the Kubernetes and Istio objects istiod reads and builds a [`Scenario`]: clusters,
//! networks and their east-west gateways, services, workloads (one per EndpointSlice endpoint
//! address × port) and each cluster's Istio config. Every object kind it reads, and what it
//! means, is listed with its source in docs/kube.md and next to the code that reads it. Objects
//! meshlb does not need are counted in one note, never an error.
//!
//! Where a dump leaves a fact open (no client, the Istio version, a gateway's address, another
//! mesh's trust), an overlay (a partial scenario, [`KubeOptions::overlay`]) or `--from-pod` sets
//! it, and the notes say what was assumed. [`Imported::to_yaml`] prints the scenario with a `#`
//! comment naming where each cluster, network, gateway, service and workload came from; the
//! scenario reader reads it back to the same scenario.
//!
//! Errors are [`KubeError`]s: the file, the document, the object (`kind/namespace/name`) and the
//! path inside the document with its line.

use meshlb::{Note, NoteCode};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use meshlb::mesh::kube::{EndpointConditions, PERSISTENT_SESSION_LABEL, endpoint_slice_health};
use meshlb::mesh::{
    ClientSpec, ClusterConfig, ClusterSpec, ExternalControlPlane, GatewaySpec, IstioVersion,
    Labels, MeshConfig, MeshSpec, NetworkSpec, Resource, Scenario, ServiceSpec, WorkloadSpec,
};
use meshlb::{HealthStatus, Locality};

use crate::error::InputError;
use crate::path::Path;
use crate::tree::{Node, Value};

/// Largest Kubernetes object meshlb reads, in characters (2 MiB). The API server refuses
/// objects over etcd's request limit, 1.5 MiB by default (etcd `--max-request-bytes`,
/// kubernetes/website `content/en/docs/concepts/configuration/secret.md`: "Individual secrets
/// are limited to 1MiB in size"); anything larger is not an object a cluster returned.
pub const MAX_OBJECT_CHARS: usize = 2 * 1024 * 1024;

/// Istio's system namespace: istiod's namespace and the one whose labels and ConfigMaps give
/// cluster-wide settings (Helm `global.istioNamespace`, default `istio-system`;
/// istio/istio `manifests/charts/istio-control/istio-discovery/values.yaml`).
pub const ISTIO_SYSTEM: &str = "istio-system";

/// The default east-west gateway port: a Service labelled with a network is a gateway when it
/// listens on 15443, or on the port its `networking.istio.io/gatewayPort` label names
/// (istio/istio `pilot/pkg/serviceregistry/kube/controller/network.go` `getGatewayDetails`,
/// `DefaultNetworkGatewayPort`; its addresses are the Service's `ClusterExternalAddresses`).
const GATEWAY_PORT: u16 = meshlb::mesh::DEFAULT_GATEWAY_PORT;

/// Label of a Namespace (the system namespace), a Pod or a gateway Service naming its network
/// (istio/api `label/labels.yaml` `topology.istio.io/network`).
const NETWORK_LABEL: &str = "topology.istio.io/network";
/// Label overriding a gateway Service's port (istio/api `label/labels.yaml`
/// `networking.istio.io/gatewayPort`).
const GATEWAY_PORT_LABEL: &str = "networking.istio.io/gatewayPort";
/// Service annotation narrowing its visibility (istio/api `annotation/annotations.yaml`
/// `networking.istio.io/exportTo`; comma-separated, `pilot/pkg/serviceregistry/kube/conversion.go`).
const EXPORT_TO: &str = "networking.istio.io/exportTo";
/// Service or Namespace annotation for traffic distribution (istio/api
/// `annotation/annotations.yaml` `networking.istio.io/traffic-distribution`).
const TRAFFIC_DISTRIBUTION: &str = "networking.istio.io/traffic-distribution";
/// EndpointSlice label naming its Service (kubernetes/website `endpoint-slices.md`, "Ownership").
const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
/// Label of the remote secrets istiod watches (istio/istio `pkg/kube/multicluster/
/// secretcontroller.go` `MultiClusterSecretLabel`, selector `istio/multiCluster=true`).
const MULTICLUSTER_LABEL: &str = "istio/multiCluster";
/// Annotation `istioctl create-remote-secret` writes on a remote secret: the cluster it is for
/// (istio/istio `istioctl/pkg/multicluster/remote_secret.go`).
const REMOTE_CLUSTER_ANNOTATION: &str = "networking.istio.io/cluster";
/// Annotation on a remote cluster's system namespace naming the clusters whose istiod manages
/// it (istio/api `annotation/annotations.yaml` `topology.istio.io/controlPlaneClusters`; istio.io
/// "Install Primary-Remote": `kubectl annotate namespace istio-system
/// topology.istio.io/controlPlaneClusters=cluster1`).
const CONTROL_PLANE_CLUSTERS: &str = "topology.istio.io/controlPlaneClusters";
/// Pod label injection sets to `istio` when the pod has a sidecar; without it istiod treats the
/// endpoint as plain text (istio/api `label/labels.yaml` `security.istio.io/tlsMode`;
/// `pilot/pkg/model/service.go` `GetTLSModeFromEndpointLabels`: absent → `disabled`).
const TLS_MODE_LABEL: &str = "security.istio.io/tlsMode";
/// Annotation injection writes on a pod it injected (istio/api `annotation/annotations.yaml`
/// `sidecar.istio.io/status`).
const SIDECAR_STATUS: &str = "sidecar.istio.io/status";
/// The injected proxy container's name (istio/istio `manifests/charts/istio-control/
/// istio-discovery/files/injection-template.yaml`: `name: istio-proxy`).
const PROXY_CONTAINER: &str = "istio-proxy";
/// Node (and pod) labels of the locality (kubernetes/website `content/en/docs/reference/labels-
/// annotations-taints/_index.md`; istio/istio `pilot/pkg/serviceregistry/kube/controller/
/// controller.go` `getPodLocality`, with the deprecated `failure-domain.beta` fallbacks;
/// istio/api `label/labels.yaml` `topology.istio.io/subzone`).
const REGION: [&str; 2] = [
    "topology.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/region",
];
const ZONE: [&str; 2] = [
    "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/zone",
];
const SUBZONE: &str = "topology.istio.io/subzone";
/// Pod labels that set a pod's locality outright, `.`-separated (istio/istio `controller.go`
/// `getPodLocality` via `model.GetLocalityLabel`; istio/api `topology.istio.io/locality`, and
/// the older `istio-locality`).
const LOCALITY_LABELS: [&str; 2] = ["topology.istio.io/locality", "istio-locality"];

/// Kubernetes namespaces whose Services are the platform's, not the mesh's applications.
const PLATFORM_NAMESPACES: [&str; 3] = ["kube-system", "kube-public", "kube-node-lease"];

/// What the import may take besides the dumps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KubeOptions {
    /// A partial scenario merged over the import: `(file name, text)` (`--overlay`).
    pub overlay: Option<(String, String)>,
    /// The client pod, `CLUSTER/NAMESPACE/POD` (`--from-pod`): its labels and its node's
    /// locality make the scenario's client.
    pub from_pod: Option<String>,
}

/// Where a part of the scenario came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The dump file.
    pub file: String,
    /// Its document, from 1.
    pub document: usize,
    /// The index in the document's `items` (a `List`), if any.
    pub item: Option<usize>,
    /// `Kind/namespace/name` (`Kind/name` for cluster-scoped objects).
    pub object: String,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} document {}", self.file, self.document)?;
        if let Some(i) = self.item {
            write!(f, " items[{i}]")?;
        }
        write!(f, " {}", self.object)
    }
}

/// Where each part of an imported scenario came from, parallel to the scenario's lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    /// Per cluster: its istiod Deployment, system Namespace, `istio` ConfigMap, remote secrets.
    pub clusters: Vec<Vec<Origin>>,
    /// Per network: the Namespaces (or meshNetworks) naming it.
    pub networks: Vec<Vec<Origin>>,
    /// Per network, per gateway: the gateway Service (or the `istio` ConfigMap's meshNetworks).
    pub gateways: Vec<Vec<Origin>>,
    /// Per service: its Service objects, one per cluster.
    pub services: Vec<Vec<Origin>>,
    /// Per workload: its EndpointSlice.
    pub workloads: Vec<Origin>,
    /// Per config entry, per resource: the Istio resource.
    pub config: Vec<Vec<Origin>>,
}

/// An imported scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The scenario.
    pub scenario: Scenario,
    /// Where its parts came from.
    pub provenance: Provenance,
    /// What the import assumed, ignored or could not carry.
    pub notes: Vec<Note>,
    /// Per config entry, per resource: the resource as JSON (`apiVersion`, `kind`,
    /// `metadata.name`/`namespace`, `spec`), for printing.
    config_json: Vec<Vec<String>>,
}

/// A bad dump: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeError {
    /// The file (`None` for an option such as `--from-pod` or two `--kube` of one cluster).
    pub file: Option<String>,
    /// Its document, from 1.
    pub document: Option<usize>,
    /// `Kind/namespace/name` of the object.
    pub object: Option<String>,
    /// Path from the document's root (`items[3].endpoints[0].conditions`), line, message.
    pub error: Box<InputError>,
}

impl KubeError {
    fn plain(message: impl Into<String>) -> Self {
        Self {
            file: None,
            document: None,
            object: None,
            error: Box::new(InputError::at(&Path::root(), message)),
        }
    }
}

impl fmt::Display for KubeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}: ")?;
        }
        if let Some(d) = self.document {
            write!(f, "document {d}: ")?;
        }
        if let Some(o) = &self.object {
            write!(f, "{o}: ")?;
        }
        write!(f, "{}", self.error)
    }
}

impl std::error::Error for KubeError {}

// ---------------------------------------------------------------------------------------------
// Objects

/// One Kubernetes object of a dump.
#[derive(Debug)]
struct Obj<'a> {
    file: &'a str,
    text: &'a str,
    document: usize,
    item: Option<usize>,
    node: &'a Node,
    kind: &'a str,
    api_version: &'a str,
    namespace: &'a str,
    name: &'a str,
}

impl<'a> Obj<'a> {
    fn object(&self) -> String {
        if self.namespace.is_empty() {
            format!("{}/{}", self.kind, self.name)
        } else {
            format!("{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }

    fn origin(&self) -> Origin {
        Origin {
            file: self.file.to_string(),
            document: self.document,
            item: self.item,
            object: self.object(),
        }
    }

    /// The path of this object's root in its document.
    fn base(&self) -> Path {
        match self.item {
            Some(i) => Path::root().key("items").index(i),
            None => Path::root(),
        }
    }

    fn path(&self, keys: &[&str]) -> Path {
        let mut p = self.base();
        for k in keys {
            p = p.key(k);
        }
        p
    }

    fn error(&self, path: Path, line: usize, message: impl Into<String>) -> KubeError {
        KubeError {
            file: Some(self.file.to_string()),
            document: Some(self.document),
            object: Some(self.object()),
            error: Box::new(InputError {
                path,
                line: Some(line),
                message: message.into(),
            }),
        }
    }

    fn wrap(&self, error: InputError) -> KubeError {
        KubeError {
            file: Some(self.file.to_string()),
            document: Some(self.document),
            object: Some(self.object()),
            error: Box::new(error),
        }
    }

    /// The node at `keys` (absent or `null`: `None`).
    fn get(&self, keys: &[&str]) -> Option<&'a Node> {
        let mut node = self.node;
        for k in keys {
            node = node.get(k)?;
        }
        (node.value != Value::Null).then_some(node)
    }

    /// The string at `keys`; another kind of value is an error.
    fn str(&self, keys: &[&str]) -> Result<Option<&'a str>, KubeError> {
        match self.get(keys) {
            None => Ok(None),
            Some(n) => match &n.value {
                Value::Str(s) => Ok(Some(s)),
                _ => Err(self.error(
                    self.path(keys),
                    n.line,
                    format!("expected a string, found {}", n.kind()),
                )),
            },
        }
    }

    /// The list at `keys` (absent: empty); another kind of value is an error.
    fn list(&self, keys: &[&str]) -> Result<&'a [Node], KubeError> {
        match self.get(keys) {
            None => Ok(&[]),
            Some(n) => match &n.value {
                Value::Seq(items) => Ok(items),
                _ => Err(self.error(
                    self.path(keys),
                    n.line,
                    format!("expected a list, found {}", n.kind()),
                )),
            },
        }
    }

    /// A string-to-string mapping at `keys` (labels, annotations, a ConfigMap's `data`).
    fn map(&self, keys: &[&str]) -> Result<Labels, KubeError> {
        let mut out = Labels::new();
        let Some(n) = self.get(keys) else {
            return Ok(out);
        };
        let Value::Map(entries) = &n.value else {
            return Err(self.error(
                self.path(keys),
                n.line,
                format!("expected a mapping of strings, found {}", n.kind()),
            ));
        };
        for (k, v) in entries {
            match &v.value {
                Value::Str(s) => {
                    out.insert(k.clone(), s.clone());
                }
                _ => {
                    return Err(self.error(
                        self.path(keys).key(k),
                        v.line,
                        format!("expected a string, found {}", v.kind()),
                    ));
                }
            }
        }
        Ok(out)
    }

    fn labels(&self) -> Result<Labels, KubeError> {
        self.map(&["metadata", "labels"])
    }

    fn annotations(&self) -> Result<Labels, KubeError> {
        self.map(&["metadata", "annotations"])
    }

    /// The keys of the mapping at `keys` (a Secret's `data`: names only, never values).
    fn keys(&self, keys: &[&str]) -> Vec<&'a str> {
        match self.get(keys).map(|n| &n.value) {
            Some(Value::Map(entries)) => entries.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }
}

/// A bool field of an element (`conditions.ready`); another kind of value is an error.
fn opt_bool(obj: &Obj<'_>, node: &Node, key: &str, path: &Path) -> Result<Option<bool>, KubeError> {
    match node.get(key).map(|n| (n, &n.value)) {
        None | Some((_, Value::Null)) => Ok(None),
        Some((_, Value::Bool(b))) => Ok(Some(*b)),
        Some((n, _)) => Err(obj.error(
            path.key(key),
            n.line,
            format!("expected true or false, found {}", n.kind()),
        )),
    }
}

/// A string field of an element.
fn opt_str<'n>(
    obj: &Obj<'_>,
    node: &'n Node,
    key: &str,
    path: &Path,
) -> Result<Option<&'n str>, KubeError> {
    match node.get(key).map(|n| (n, &n.value)) {
        None | Some((_, Value::Null)) => Ok(None),
        Some((_, Value::Str(s))) => Ok(Some(s)),
        Some((n, _)) => Err(obj.error(
            path.key(key),
            n.line,
            format!("expected a string, found {}", n.kind()),
        )),
    }
}

/// A port field of an element (`ports[].port`): 1..=65535.
fn opt_port(obj: &Obj<'_>, node: &Node, key: &str, path: &Path) -> Result<Option<u16>, KubeError> {
    match node.get(key) {
        None => Ok(None),
        Some(n) if n.value == Value::Null => Ok(None),
        Some(n) => {
            let p = n.uint(&path.key(key), 65_535).map_err(|e| obj.wrap(e))?;
            match u16::try_from(p) {
                Ok(p) if p > 0 => Ok(Some(p)),
                _ => Err(obj.error(path.key(key), n.line, "port must be between 1 and 65535")),
            }
        }
    }
}

/// The documents of one dump file: one JSON document, or a YAML stream.
fn documents(text: &str) -> Result<Vec<Node>, InputError> {
    if crate::json::looks_like_json(text)
        && let Ok(node) = crate::tree::load(text)
    {
        return Ok(vec![node]);
    }
    crate::yaml::load_all(text)
}

/// Reads the objects of one document: a `List` (`kind: List` or `…List` with `items`), or a
/// single object (kubernetes/website `content/en/docs/reference/using-api/api-concepts.md`,
/// "Collections": `kubectl get -o yaml` of several objects is a `List`).
fn objects<'a>(
    file: &'a str,
    text: &'a str,
    document: usize,
    root: &'a Node,
    out: &mut Vec<Obj<'a>>,
) -> Result<(), KubeError> {
    let located = |path: Path, line: usize, message: String| KubeError {
        file: Some(file.to_string()),
        document: Some(document),
        object: None,
        error: Box::new(InputError {
            path,
            line: Some(line),
            message,
        }),
    };
    match &root.value {
        Value::Null => return Ok(()),
        Value::Map(_) => {}
        _ => {
            return Err(located(
                Path::root(),
                root.line,
                format!(
                    "expected a Kubernetes object or a List (a mapping), found {}",
                    root.kind()
                ),
            ));
        }
    }
    let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
    if kind.ends_with("List") && root.get("items").is_some() {
        let Some(items) = root.get("items") else {
            return Ok(());
        };
        match &items.value {
            Value::Null => return Ok(()),
            Value::Seq(list) => {
                for (i, item) in list.iter().enumerate() {
                    object(file, text, document, Some(i), item, out)?;
                }
                return Ok(());
            }
            _ => {
                return Err(located(
                    Path::root().key("items"),
                    items.line,
                    format!("a {kind}'s `items` is a list, found {}", items.kind()),
                ));
            }
        }
    }
    object(file, text, document, None, root, out)
}

fn object<'a>(
    file: &'a str,
    text: &'a str,
    document: usize,
    item: Option<usize>,
    node: &'a Node,
    out: &mut Vec<Obj<'a>>,
) -> Result<(), KubeError> {
    let base = match item {
        Some(i) => Path::root().key("items").index(i),
        None => Path::root(),
    };
    let located = |path: Path, line: usize, message: String| KubeError {
        file: Some(file.to_string()),
        document: Some(document),
        object: None,
        error: Box::new(InputError {
            path,
            line: Some(line),
            message,
        }),
    };
    if !matches!(node.value, Value::Map(_)) {
        return Err(located(
            base,
            node.line,
            format!(
                "expected a Kubernetes object (a mapping), found {}",
                node.kind()
            ),
        ));
    }
    let string = |key: &str, n: &'a Node| -> Result<&'a str, KubeError> {
        n.as_str().ok_or_else(|| {
            located(
                base.key(key),
                n.line,
                format!("expected a string, found {}", n.kind()),
            )
        })
    };
    let kind = match node.get("kind") {
        Some(n) => string("kind", n)?,
        None => {
            return Err(located(
                base,
                node.line,
                "not a Kubernetes object: no `kind` (give `kubectl get … -o yaml` output)".into(),
            ));
        }
    };
    let api_version = match node.get("apiVersion") {
        Some(n) => string("apiVersion", n)?,
        None => "",
    };
    let meta = node.get("metadata");
    let name = match meta.and_then(|m| m.get("name")) {
        Some(n) => n.as_str().ok_or_else(|| {
            located(
                base.key("metadata").key("name"),
                n.line,
                format!("expected a string, found {}", n.kind()),
            )
        })?,
        None => {
            return Err(located(
                base.key("metadata"),
                meta.map_or(node.line, |m| m.line),
                format!("a {kind} without `metadata.name`"),
            ));
        }
    };
    let namespace = match meta.and_then(|m| m.get("namespace")) {
        Some(n) if n.value != Value::Null => n.as_str().ok_or_else(|| {
            located(
                base.key("metadata").key("namespace"),
                n.line,
                format!("expected a string, found {}", n.kind()),
            )
        })?,
        // Cluster-scoped kinds have none; namespaced objects without one are in `default`
        // (kubernetes/website `namespaces.md`: "default" for objects with no other namespace).
        _ if matches!(kind, "Namespace" | "Node") => "",
        _ => meshlb::mesh::DEFAULT_NAMESPACE,
    };
    let chars = node.span.1.saturating_sub(node.span.0);
    if chars > MAX_OBJECT_CHARS {
        return Err(located(
            base,
            node.line,
            format!(
                "{kind} {name} is {chars} characters long: larger than any object the API server stores (etcd's request limit, 1.5 MiB); meshlb reads objects up to {MAX_OBJECT_CHARS} characters"
            ),
        ));
    }
    out.push(Obj {
        file,
        text,
        document,
        item,
        node,
        kind,
        api_version,
        namespace,
        name,
    });
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// One cluster's objects

#[derive(Debug, Default)]
struct ClusterObjects<'a> {
    namespaces: BTreeMap<&'a str, &'a Obj<'a>>,
    nodes: BTreeMap<&'a str, &'a Obj<'a>>,
    pods: BTreeMap<(&'a str, &'a str), &'a Obj<'a>>,
    services: Vec<&'a Obj<'a>>,
    service_index: BTreeMap<(&'a str, &'a str), &'a Obj<'a>>,
    slices: Vec<&'a Obj<'a>>,
    endpoints: BTreeMap<(&'a str, &'a str), &'a Obj<'a>>,
    configmaps: BTreeMap<(&'a str, &'a str), &'a Obj<'a>>,
    secrets: Vec<&'a Obj<'a>>,
    deployments: Vec<&'a Obj<'a>>,
    istio: Vec<&'a Obj<'a>>,
    ignored: BTreeMap<String, usize>,
}

/// The Istio config kinds the scenario reader takes (shared/SCENARIO.md §2).
const ISTIO_KINDS: [&str; 5] = [
    "DestinationRule",
    "VirtualService",
    "ServiceEntry",
    "WorkloadEntry",
    "Sidecar",
];

fn classify<'a>(
    objs: &'a [Obj<'a>],
    ignored_kinds: &mut BTreeMap<String, usize>,
) -> Result<ClusterObjects<'a>, KubeError> {
    let mut c = ClusterObjects::default();
    let mut seen: BTreeMap<(&str, &str, &str, &str), &Obj<'_>> = BTreeMap::new();
    for o in objs {
        let group = o.api_version.split_once('/').map_or("", |(g, _)| g);
        if let Some(first) = seen.insert((group, o.kind, o.namespace, o.name), o) {
            return Err(o.error(
                o.base(),
                o.node.line,
                format!(
                    "duplicate object: {} is also at {} (one cluster's dump holds each object once)",
                    o.object(),
                    first.origin()
                ),
            ));
        }
        let key = (o.namespace, o.name);
        match (group, o.kind) {
            ("", "Namespace") => {
                c.namespaces.insert(o.name, o);
            }
            ("", "Node") => {
                c.nodes.insert(o.name, o);
            }
            ("", "Pod") => {
                c.pods.insert(key, o);
            }
            ("", "Service") => {
                c.services.push(o);
                c.service_index.insert(key, o);
            }
            ("", "Endpoints") => {
                c.endpoints.insert(key, o);
            }
            ("discovery.k8s.io", "EndpointSlice") => c.slices.push(o),
            ("", "ConfigMap") => {
                c.configmaps.insert(key, o);
            }
            ("", "Secret") => c.secrets.push(o),
            ("apps", "Deployment") => c.deployments.push(o),
            ("networking.istio.io", kind) if ISTIO_KINDS.contains(&kind) => c.istio.push(o),
            (_, kind) => *c.ignored.entry(kind.to_string()).or_default() += 1,
        }
    }
    // Deployments, ConfigMaps, Secrets and Endpoints meshlb does not read are counted later.
    for (k, n) in &c.ignored {
        *ignored_kinds.entry(k.clone()).or_default() += n;
    }
    Ok(c)
}

/// What one cluster's dump says about the cluster itself.
#[derive(Debug, Default)]
struct ClusterFacts {
    system_ns: String,
    network: String,
    primary: bool,
    version: Option<String>,
    image: Option<String>,
    mesh_config: Option<MeshConfig>,
    mesh_id: Option<String>,
    trust_domain: Option<String>,
    trusted_domains: Vec<String>,
    dns_capture: Option<bool>,
    remote_secrets: Vec<String>,
    control_plane_clusters: Vec<String>,
    istiod_addresses: Vec<String>,
    lb_addresses: Vec<String>,
    origins: Vec<Origin>,
    /// meshNetworks: network → (fromRegistry clusters, gateways (address or service, port)).
    mesh_networks: Vec<MeshNetwork>,
    mesh_networks_origin: Option<Origin>,
}

#[derive(Debug, Clone, Default)]
struct MeshNetwork {
    name: String,
    registries: Vec<String>,
    gateways: Vec<(Option<String>, Option<String>, u16)>,
}

// ---------------------------------------------------------------------------------------------
// The import

/// Imports the dumps of each cluster, `(cluster name, [(file name, text)])`, into a scenario.
///
/// # Errors
/// A [`KubeError`]: malformed YAML or JSON, a `List` whose `items` is not a list, an object
/// without `kind` or `metadata.name`, a duplicate or oversized object, an EndpointSlice whose
/// Service is not in the dump, a pod on a node the dump does not have (when it has nodes), two
/// dumps naming the same cluster, an Istio resource Istio's API rejects (with its path), a bad
/// overlay or `--from-pod`.
pub fn import(
    clusters: &[(String, Vec<(String, String)>)],
    options: &KubeOptions,
) -> Result<Imported, KubeError> {
    if clusters.is_empty() {
        return Err(KubeError::plain("no cluster dumps: give --kube NAME=PATH"));
    }
    let mut names = BTreeSet::new();
    for (name, _) in clusters {
        if name.is_empty() || name.contains(['/', ' ']) {
            return Err(KubeError::plain(format!(
                "--kube {name:?}: a cluster name (its Istio cluster ID) is a non-empty word without `/` or spaces"
            )));
        }
        if !names.insert(name.as_str()) {
            return Err(KubeError::plain(format!(
                "two --kube name cluster {name:?}: each cluster's dump is given once (put several files in a directory)"
            )));
        }
    }
    // Read every document of every file.
    let mut trees: Vec<Vec<Vec<Node>>> = Vec::with_capacity(clusters.len());
    for (_, files) in clusters {
        let mut per_file = Vec::with_capacity(files.len());
        for (file, text) in files {
            if let Err(message) = crate::check_size("the file", text.len() as u64) {
                return Err(KubeError {
                    file: Some(file.clone()),
                    document: None,
                    object: None,
                    error: Box::new(InputError::at(&Path::root(), message)),
                });
            }
            let docs = documents(text).map_err(|e| KubeError {
                file: Some(file.clone()),
                document: None,
                object: None,
                error: Box::new(e),
            })?;
            per_file.push(docs);
        }
        trees.push(per_file);
    }
    let mut all_objs: Vec<Vec<Obj<'_>>> = Vec::with_capacity(clusters.len());
    for ((_, files), per_file) in clusters.iter().zip(&trees) {
        let mut objs = Vec::new();
        for ((file, text), docs) in files.iter().zip(per_file) {
            for (d, doc) in docs.iter().enumerate() {
                objects(file, text, d + 1, doc, &mut objs)?;
            }
        }
        all_objs.push(objs);
    }
    let mut ignored_kinds = BTreeMap::new();
    let mut classified = Vec::with_capacity(clusters.len());
    for objs in &all_objs {
        classified.push(classify(objs, &mut ignored_kinds)?);
    }
    let names: Vec<&str> = clusters.iter().map(|(n, _)| n.as_str()).collect();
    Importer {
        names,
        objs: classified,
        notes: Vec::new(),
        ignored: ignored_kinds,
        not_modelled: BTreeSet::new(),
    }
    .run(options)
}

struct Importer<'a> {
    names: Vec<&'a str>,
    objs: Vec<ClusterObjects<'a>>,
    notes: Vec<Note>,
    ignored: BTreeMap<String, usize>,
    not_modelled: BTreeSet<String>,
}

impl<'a> Importer<'a> {
    fn ignore(&mut self, kind: &str) {
        *self.ignored.entry(kind.to_string()).or_default() += 1;
    }

    fn run(mut self, options: &KubeOptions) -> Result<Imported, KubeError> {
        let mut facts = Vec::with_capacity(self.names.len());
        for i in 0..self.names.len() {
            facts.push(self.cluster_facts(i)?);
        }
        let mut scenario = Scenario::default();
        let mut provenance = Provenance::default();

        // Control planes (primaries run istiod; remotes name theirs).
        let control_planes = self.control_planes(&facts);
        // Istio version: the first primary's istiod image.
        let versions: Vec<(&str, &str)> = self
            .names
            .iter()
            .zip(&facts)
            .filter_map(|(n, f)| f.version.as_deref().map(|v| (*n, v)))
            .collect();
        let primaries_unknown: Vec<String> = self
            .names
            .iter()
            .zip(&facts)
            .filter(|(_, f)| f.primary && f.version.is_none())
            .map(|(n, f)| format!("{n} ({})", f.image.as_deref().unwrap_or("no image")))
            .collect();
        if let Some((cluster, version)) = versions.first() {
            let image = self
                .names
                .iter()
                .position(|n| n == cluster)
                .and_then(|i| facts[i].image.as_deref())
                .unwrap_or("");
            self.notes.push(Note::new(
                NoteCode::Import,
                format!("Istio {version} rules: istiod image {image} in {cluster}"),
            ));
        }
        match versions.first() {
            Some((_, "1.30")) => scenario.istio_version = IstioVersion::V1_30,
            Some(_) => scenario.istio_version = IstioVersion::V1_31,
            None => self.notes.push(Note::new(NoteCode::Import,
                "Istio version unknown (no istiod Deployment with a 1.30 or 1.31 image in the dumps): 1.31 rules assumed; set istioVersion in --overlay",
            )),
        }
        if !primaries_unknown.is_empty() {
            self.notes.push(Note::new(
                NoteCode::Import,
                format!(
                    "istiod image of {} is neither Istio 1.30 nor 1.31: meshlb models those two",
                    primaries_unknown.join(", ")
                ),
            ));
        }
        if versions.windows(2).any(|w| w[0].1 != w[1].1) {
            let list: Vec<String> = versions.iter().map(|(n, v)| format!("{n} {v}")).collect();
            self.notes.push(Note::new(
                NoteCode::Import,
                format!(
                    "the primaries run different Istio versions ({}): the first one's rules apply",
                    list.join(", ")
                ),
            ));
        }

        // Meshes.
        let mesh_of = self.meshes(&facts, &control_planes, &mut scenario);

        // Clusters.
        for (i, name) in self.names.iter().enumerate() {
            let f = &facts[i];
            let cp = &control_planes[i];
            let own_or_cp = |pick: &dyn Fn(&ClusterFacts) -> Option<bool>| {
                pick(f).or_else(|| {
                    self.names
                        .iter()
                        .position(|n| *n == cp.as_str())
                        .and_then(|j| pick(&facts[j]))
                })
            };
            scenario.clusters.push(ClusterSpec {
                name: (*name).to_string(),
                mesh: mesh_of[i].clone(),
                network: f.network.clone(),
                control_plane: cp.clone(),
                remote_secrets: if f.primary {
                    f.remote_secrets
                        .iter()
                        .filter(|s| self.names.contains(&s.as_str()))
                        .cloned()
                        .collect()
                } else {
                    Vec::new()
                },
                dns_proxy: own_or_cp(&|f: &ClusterFacts| f.dns_capture).unwrap_or(false),
                mesh_config: if f.primary {
                    f.mesh_config.clone()
                } else {
                    None
                },
            });
            provenance.clusters.push(f.origins.clone());
        }
        self.external_control_planes(&facts, &control_planes, &mut scenario);
        for (i, f) in facts.iter().enumerate() {
            let unknown: Vec<&str> = f
                .remote_secrets
                .iter()
                .filter(|s| !self.names.contains(&s.as_str()))
                .map(String::as_str)
                .collect();
            if !unknown.is_empty() {
                self.notes.push(Note::new(NoteCode::Import, format!(
                    "{}: remote secrets for {} name clusters no --kube gives: not in the scenario",
                    self.names[i],
                    unknown.join(", ")
                )));
            }
            if !f.primary && !f.remote_secrets.is_empty() {
                self.notes.push(Note::new(
                    NoteCode::Import,
                    format!(
                        "{}: remote secrets in a cluster without istiod watch nothing: ignored",
                        self.names[i]
                    ),
                ));
            }
        }

        // Networks and gateways.
        self.networks(&facts, &mut scenario, &mut provenance)?;

        // Services and workloads.
        self.services(&facts, &mut scenario, &mut provenance)?;

        // Istio config.
        let config_json = self.config(&mut scenario, &mut provenance)?;

        // The client.
        if let Some(pod) = &options.from_pod {
            scenario.client = self.client_from_pod(pod)?;
            self.notes.push(Note::new(
                NoteCode::Flag,
                format!("--from-pod {pod} sets the client (its labels and its node's locality)"),
            ));
        }

        let mut imported = Imported {
            scenario,
            provenance,
            notes: Vec::new(),
            config_json,
        };
        if let Some((file, text)) = &options.overlay {
            overlay(&mut imported, file, text, &mut self.notes)?;
        }
        if imported.scenario.client.cluster.is_empty() {
            self.notes.push(Note::new(NoteCode::NoClient,
                "no client: the dumps do not say who sends the request; give --from-pod CLUSTER/NAMESPACE/POD, --from, or client in --overlay",
            ));
        }
        if imported.scenario.request.host.is_empty() {
            self.notes.push(Note::new(
                NoteCode::NoRequest,
                "no request: give --to HOST, or request in --overlay",
            ));
        }
        if !self.ignored.is_empty() {
            let list: Vec<String> = self
                .ignored
                .iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect();
            self.notes.push(Note::new(
                NoteCode::Import,
                format!("ignored: {} (not mesh facts meshlb needs)", list.join(", ")),
            ));
        }
        if let Some(note) = crate::names::not_modelled_note(&self.not_modelled) {
            self.notes.push(note);
        }
        imported.notes = self.notes;
        Ok(imported)
    }

    /// The cluster-wide facts of cluster `i`: system namespace, network, istiod, mesh config,
    /// remote secrets.
    fn cluster_facts(&mut self, i: usize) -> Result<ClusterFacts, KubeError> {
        let name = self.names[i];
        let c = &self.objs[i];
        let mut f = ClusterFacts::default();
        // istiod: a Deployment named istiod (or istiod-<revision>) makes the cluster a primary
        // (istio/istio `manifests/charts/istio-control/istio-discovery/templates/deployment.yaml`:
        // `name: istiod{{- if not (eq .Values.revision "") }}-{{ .Values.revision }}{{- end }}`,
        // container `discovery`, image `{{ .Values.hub }}/pilot:{{ .Values.tag }}`).
        let istiod = c
            .deployments
            .iter()
            .find(|d| d.name == "istiod" || d.name.starts_with("istiod-"));
        let mut counted = BTreeSet::new();
        if let Some(d) = istiod {
            f.primary = true;
            f.system_ns = d.namespace.to_string();
            f.origins.push(d.origin());
            counted.insert(("Deployment", d.namespace, d.name));
            let containers = d.list(&["spec", "template", "spec", "containers"])?;
            let image = containers
                .iter()
                .find(|c| c.get("name").and_then(Node::as_str) == Some("discovery"))
                .or_else(|| containers.first())
                .and_then(|c| c.get("image"))
                .and_then(Node::as_str);
            f.image = image.map(str::to_string);
            f.version = image.and_then(istio_version);
        } else {
            f.system_ns = ISTIO_SYSTEM.to_string();
        }
        let system = f.system_ns.clone();
        // The system namespace's network label (istio/istio `pilot/pkg/serviceregistry/kube/
        // controller/network.go` `networkFromSystemNamespace`; istio.io "Install Multi-Primary
        // on different networks": `kubectl label namespace istio-system
        // topology.istio.io/network=network1`) and the control plane annotation of a remote.
        if let Some(ns) = c.namespaces.get(system.as_str()) {
            let labels = ns.labels()?;
            if let Some(net) = labels.get(NETWORK_LABEL) {
                f.network = net.clone();
            }
            let annotations = ns.annotations()?;
            if let Some(cps) = annotations.get(CONTROL_PLANE_CLUSTERS) {
                f.control_plane_clusters = cps
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
            }
            f.origins.push(ns.origin());
        }
        // The mesh config: ConfigMap `istio` (or `istio-<revision>`) in the system namespace,
        // `data.mesh` is MeshConfig YAML and `data.meshNetworks` MeshNetworks (istio/istio
        // `manifests/charts/istio-control/istio-discovery/templates/configmap.yaml`).
        let revision = istiod.and_then(|d| d.name.strip_prefix("istiod-"));
        let cm_name = revision.map_or_else(|| "istio".to_string(), |r| format!("istio-{r}"));
        let cm = c
            .configmaps
            .get(&(system.as_str(), cm_name.as_str()))
            .or_else(|| c.configmaps.get(&(system.as_str(), "istio")))
            .copied();
        if let Some(cm) = cm {
            counted.insert(("ConfigMap", cm.namespace, cm.name));
            f.origins.push(cm.origin());
            Self::read_mesh_config(cm, &mut f, &mut self.notes, &mut self.not_modelled)?;
        }
        // Remote secrets: Secrets labelled istio/multiCluster=true in istiod's namespace; each
        // key of `data` is a cluster ID (secretcontroller.go `addSecret`: `for clusterID,
        // kubeConfig := range s.Data`, a key equal to the local cluster is ignored). meshlb reads
        // the key names only, never the values; without data it reads the annotation
        // networking.istio.io/cluster.
        for s in &c.secrets {
            if s.namespace != system {
                continue;
            }
            if s.labels()?.get(MULTICLUSTER_LABEL).map(String::as_str) != Some("true") {
                continue;
            }
            counted.insert(("Secret", s.namespace, s.name));
            f.origins.push(s.origin());
            let mut ids: Vec<String> = s
                .keys(&["data"])
                .into_iter()
                .chain(s.keys(&["stringData"]))
                .map(str::to_string)
                .collect();
            if ids.is_empty()
                && let Some(id) = s.annotations()?.get(REMOTE_CLUSTER_ANNOTATION)
            {
                ids.push(id.clone());
            }
            for id in ids {
                if id != name && !f.remote_secrets.contains(&id) {
                    f.remote_secrets.push(id);
                }
            }
        }
        // A remote's istiod Service without selector, with Endpoints naming the control plane's
        // address (istio.io "Install Primary-Remote" / external control plane: the remote
        // profile's `istiod` Service and Endpoints pointing at the discovery address).
        if let Some(svc) = c.service_index.get(&(system.as_str(), "istiod"))
            && svc.get(&["spec", "selector"]).is_none()
            && !f.primary
        {
            if let Some(ep) = c.endpoints.get(&(system.as_str(), "istiod")) {
                counted.insert(("Endpoints", ep.namespace, ep.name));
                for (si, subset) in ep.list(&["subsets"])?.iter().enumerate() {
                    let base = ep.path(&["subsets"]).index(si);
                    if let Some(Value::Seq(addrs)) = subset.get("addresses").map(|n| &n.value) {
                        for (ai, a) in addrs.iter().enumerate() {
                            if let Some(ip) =
                                opt_str(ep, a, "ip", &base.key("addresses").index(ai))?
                            {
                                f.istiod_addresses.push(ip.to_string());
                            }
                        }
                    }
                }
            }
            for slice in &c.slices {
                if slice.namespace == system
                    && slice.labels()?.get(SERVICE_NAME_LABEL).map(String::as_str) == Some("istiod")
                {
                    for e in slice.list(&["endpoints"])? {
                        if let Some(Value::Seq(addrs)) = e.get("addresses").map(|n| &n.value) {
                            f.istiod_addresses
                                .extend(addrs.iter().filter_map(Node::as_str).map(str::to_string));
                        }
                    }
                }
            }
        }
        // Load-balancer addresses of the system namespace's Services (east-west gateways expose
        // istiod on 15012 in primary-remote installs): how a remote's istiod Endpoints point at a
        // primary.
        for svc in &c.services {
            if svc.namespace == system {
                f.lb_addresses.extend(lb_addresses(svc)?);
            }
        }
        // Count what was read of otherwise ignored kinds.
        let c = &self.objs[i];
        let mut ignored = Vec::new();
        for d in &c.deployments {
            if !counted.contains(&("Deployment", d.namespace, d.name)) {
                ignored.push("Deployment");
            }
        }
        for (ns, n) in c.configmaps.keys() {
            if !counted.contains(&("ConfigMap", ns, n)) {
                ignored.push("ConfigMap");
            }
        }
        for s in &c.secrets {
            if !counted.contains(&("Secret", s.namespace, s.name)) {
                ignored.push("Secret");
            }
        }
        for (ns, n) in c.endpoints.keys() {
            if !counted.contains(&("Endpoints", ns, n)) {
                ignored.push("Endpoints");
            }
        }
        for k in ignored {
            self.ignore(k);
        }
        Ok(f)
    }

    /// Reads the `istio` ConfigMap: `data.mesh` (MeshConfig) and `data.meshNetworks`.
    fn read_mesh_config(
        cm: &Obj<'_>,
        f: &mut ClusterFacts,
        self_notes: &mut Vec<Note>,
        not_modelled: &mut BTreeSet<String>,
    ) -> Result<(), KubeError> {
        let data = cm.map(&["data"])?;
        if let Some(mesh) = data.get("mesh") {
            let node = cm.get(&["data", "mesh"]);
            let at = cm.path(&["data", "mesh"]);
            let outer = node.map_or(cm.node.line, |n| n.line);
            let relocate = |e: InputError| -> KubeError {
                let mut path = at.clone();
                path.0.extend(e.path.0.iter().cloned());
                cm.wrap(InputError {
                    path,
                    line: Some(embedded_line(cm.text, node, outer, e.line)),
                    message: e.message,
                })
            };
            let tree = crate::tree::load(mesh).map_err(&relocate)?;
            if matches!(tree.value, Value::Map(_)) {
                let (config, ignored, notes) =
                    crate::scenario::mesh_config(mesh, &tree).map_err(&relocate)?;
                for p in ignored {
                    // MeshConfig fields meshlb reads itself below are not "unmodelled".
                    if ![
                        "trustDomain",
                        "defaultConfig",
                        "caCertificates",
                        "outboundTrafficPolicy",
                    ]
                    .contains(&p.as_str())
                    {
                        not_modelled.insert(format!("ConfigMap istio data.mesh.{p}"));
                    }
                }
                self_notes.extend(notes);
                if config.locality_lb_setting.is_some() || !config.service_settings.is_empty() {
                    f.mesh_config = Some(config);
                }
                // trustDomain (MeshConfig.trust_domain, default cluster.local: istio/api
                // `mesh/v1alpha1/config.proto`).
                f.trust_domain = tree
                    .get("trustDomain")
                    .and_then(Node::as_str)
                    .map(str::to_string);
                // defaultConfig.meshId (ProxyConfig.mesh_id; the Helm chart writes
                // `meshId: {{ .Values.global.meshID }}` there).
                let default_config = tree.get("defaultConfig");
                f.mesh_id = default_config
                    .and_then(|d| d.get("meshId"))
                    .and_then(Node::as_str)
                    .map(str::to_string);
                // DNS proxying: proxyMetadata ISTIO_META_DNS_CAPTURE "true" (istio.io
                // "DNS Proxying"; pilot-agent options.go, default false).
                f.dns_capture = default_config
                    .and_then(|d| d.get("proxyMetadata"))
                    .and_then(|m| m.get("ISTIO_META_DNS_CAPTURE"))
                    .map(|v| v.as_str() == Some("true") || v.value == Value::Bool(true));
                // caCertificates[].trustDomains: other trust domains whose roots this mesh
                // trusts (istio/api `mesh/v1alpha1/config.proto` `CertificateData.trust_domains`).
                if let Some(Value::Seq(certs)) = tree.get("caCertificates").map(|n| &n.value) {
                    for cert in certs {
                        if let Some(Value::Seq(tds)) = cert.get("trustDomains").map(|n| &n.value) {
                            f.trusted_domains
                                .extend(tds.iter().filter_map(Node::as_str).map(str::to_string));
                        }
                    }
                }
                if let Some(mode) = tree
                    .get("outboundTrafficPolicy")
                    .and_then(|o| o.get("mode"))
                    .and_then(Node::as_str)
                    && mode == "REGISTRY_ONLY"
                {
                    self_notes.push(Note::new(NoteCode::Import, format!(
                        "{}: outboundTrafficPolicy REGISTRY_ONLY (hosts the client cannot see are blocked, not passed through); meshlb's notes assume ALLOW_ANY",
                        cm.object()
                    )));
                }
            }
        }
        if let Some(networks) = data.get("meshNetworks") {
            let node = cm.get(&["data", "meshNetworks"]);
            let at = cm.path(&["data", "meshNetworks"]);
            let outer = node.map_or(cm.node.line, |n| n.line);
            let relocate = |e: InputError| -> KubeError {
                let mut path = at.clone();
                path.0.extend(e.path.0.iter().cloned());
                cm.wrap(InputError {
                    path,
                    line: Some(embedded_line(cm.text, node, outer, e.line)),
                    message: e.message,
                })
            };
            let tree = crate::tree::load(networks).map_err(&relocate)?;
            f.mesh_networks = parse_mesh_networks(&tree).map_err(&relocate)?;
            f.mesh_networks_origin = Some(cm.origin());
        }
        Ok(())
    }

    /// Each cluster's control plane: itself (istiod runs there), the primary its system
    /// namespace's `topology.istio.io/controlPlaneClusters` names, the primary whose address its
    /// selector-less `istiod` Endpoints point at, the one primary holding a remote secret for
    /// it; else an external control plane (named below).
    fn control_planes(&mut self, facts: &[ClusterFacts]) -> Vec<String> {
        let mut out = Vec::with_capacity(facts.len());
        for (i, f) in facts.iter().enumerate() {
            let name = self.names[i];
            if f.primary {
                out.push(name.to_string());
                continue;
            }
            let is_primary = |c: &str| {
                self.names
                    .iter()
                    .position(|n| *n == c)
                    .is_some_and(|j| facts[j].primary)
            };
            if let Some(cp) = f.control_plane_clusters.iter().find(|c| is_primary(c)) {
                out.push(cp.clone());
                continue;
            }
            let by_address = self.names.iter().zip(facts).find(|(_, o)| {
                o.primary
                    && o.lb_addresses
                        .iter()
                        .any(|a| f.istiod_addresses.contains(a))
            });
            if let Some((cp, _)) = by_address {
                out.push((*cp).to_string());
                continue;
            }
            let holders: Vec<&str> = self
                .names
                .iter()
                .zip(facts)
                .filter(|(_, o)| o.primary && o.remote_secrets.iter().any(|s| s == name))
                .map(|(n, _)| *n)
                .collect();
            if let [one] = holders.as_slice() {
                out.push((*one).to_string());
                self.notes.push(Note::new(NoteCode::Import, format!(
                    "{name}: no istiod and no control plane annotation: configured by {one}, the primary holding its remote secret"
                )));
                continue;
            }
            // External: grouped by the istiod address the remote points at.
            out.push(format!(
                "\0{}",
                f.istiod_addresses.first().cloned().unwrap_or_default()
            ));
        }
        // Name the external control planes, in the order their clusters were given.
        let mut seen: Vec<String> = Vec::new();
        for c in &out {
            if c.starts_with('\0') && !seen.contains(c) {
                seen.push(c.clone());
            }
        }
        for (k, key) in seen.iter().enumerate() {
            let name = if k == 0 {
                "external-istiod".to_string()
            } else {
                format!("external-istiod-{}", k + 1)
            };
            for c in &mut out {
                if c == key {
                    c.clone_from(&name);
                }
            }
        }
        out
    }

    /// External control planes: the clusters that name one; its config cluster is the first of
    /// them given with --kube, and it watches the others (an assumption the notes state: the
    /// external istiod's own cluster, where its remote secrets are, is not in the dumps).
    fn external_control_planes(
        &mut self,
        facts: &[ClusterFacts],
        control_planes: &[String],
        scenario: &mut Scenario,
    ) {
        let mut by_cp: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, cp) in control_planes.iter().enumerate() {
            if !self.names.contains(&cp.as_str()) {
                by_cp.entry(cp.as_str()).or_default().push(i);
            }
        }
        for (cp, members) in by_cp {
            let config_cluster = self.names[members[0]];
            let remote_secrets: Vec<String> = members[1..]
                .iter()
                .map(|&i| self.names[i].to_string())
                .collect();
            let address = facts[members[0]].istiod_addresses.first().map_or_else(
                || "no istiod address".to_string(),
                |a| format!("istiod at {a}"),
            );
            self.notes.push(Note::new(NoteCode::Import, format!(
                "{} ran no istiod and name no primary ({address}): assumed an external control plane {cp} with config cluster {config_cluster} (the first given) watching {}; set externalControlPlanes in --overlay if not",
                members.iter().map(|&i| self.names[i]).collect::<Vec<_>>().join(", "),
                if remote_secrets.is_empty() { "no other cluster".to_string() } else { remote_secrets.join(", ") }
            )));
            // MeshConfig of an external control plane lives in its config cluster.
            if let Some(c) = scenario
                .clusters
                .iter_mut()
                .find(|c| c.name == config_cluster)
            {
                c.mesh_config.clone_from(&facts[members[0]].mesh_config);
            }
            scenario.external_control_planes.push(ExternalControlPlane {
                name: cp.to_string(),
                config_cluster: config_cluster.to_string(),
                remote_secrets,
            });
        }
    }

    /// Meshes: clusters grouped by mesh id (the control plane's `defaultConfig.meshId`, else its
    /// trust domain); one mesh with Istio's defaults (cluster.local) is left implicit.
    fn meshes(
        &mut self,
        facts: &[ClusterFacts],
        control_planes: &[String],
        scenario: &mut Scenario,
    ) -> Vec<String> {
        let of = |i: usize| -> (Option<String>, Option<String>) {
            let own = &facts[i];
            let cp = self
                .names
                .iter()
                .position(|n| *n == control_planes[i].as_str())
                .map(|j| &facts[j]);
            let id = own
                .mesh_id
                .clone()
                .or_else(|| cp.and_then(|c| c.mesh_id.clone()));
            let td = own
                .trust_domain
                .clone()
                .or_else(|| cp.and_then(|c| c.trust_domain.clone()));
            (id, td)
        };
        let per: Vec<(Option<String>, Option<String>)> = (0..facts.len()).map(of).collect();
        let mut meshes: Vec<MeshSpec> = Vec::new();
        let mut mesh_of = Vec::with_capacity(facts.len());
        for (i, (id, td)) in per.iter().enumerate() {
            let td = td
                .clone()
                .unwrap_or_else(|| meshlb::mesh::DEFAULT_TRUST_DOMAIN.into());
            let id = id.clone().unwrap_or_else(|| {
                if td == meshlb::mesh::DEFAULT_TRUST_DOMAIN {
                    meshlb::mesh::DEFAULT_MESH_ID.into()
                } else {
                    td.clone()
                }
            });
            match meshes.iter_mut().find(|m| m.id == id) {
                Some(m) => {
                    if m.trust_domain != td {
                        self.notes.push(Note::new(NoteCode::Import, format!(
                            "{}: trust domain {td} differs from {} of mesh {id}: the first applies",
                            self.names[i], m.trust_domain
                        )));
                    }
                }
                None => meshes.push(MeshSpec {
                    id: id.clone(),
                    trust_domain: td.clone(),
                    ..MeshSpec::default()
                }),
            }
            mesh_of.push(id);
        }
        // Trust bundles: a mesh whose control planes' caCertificates name another mesh's trust
        // domain has imported that mesh's bundle.
        let domains: Vec<(String, String)> = meshes
            .iter()
            .map(|m| (m.id.clone(), m.trust_domain.clone()))
            .collect();
        for (i, f) in facts.iter().enumerate() {
            for td in &f.trusted_domains {
                for (other, other_td) in &domains {
                    if other_td == td
                        && *other != mesh_of[i]
                        && let Some(m) = meshes.iter_mut().find(|m| m.id == mesh_of[i])
                        && !m.trust_bundles.contains(other)
                    {
                        m.trust_bundles.push(other.clone());
                    }
                }
            }
        }
        if meshes.len() == 1 && meshes[0].trust_domain == "cluster.local" && meshes[0].id == "mesh1"
        {
            if per.iter().all(|(id, _)| id.is_none()) {
                self.notes.push(Note::new(NoteCode::Import,
                    "mesh id unknown (no defaultConfig.meshId in the istio ConfigMaps): one mesh assumed, Istio's default trust domain cluster.local",
                ));
            }
            return vec![String::new(); facts.len()];
        }
        scenario.meshes = meshes;
        mesh_of
    }

    /// Networks: each cluster's network, and the east-west gateways: Services labelled
    /// `topology.istio.io/network` exposing 15443 (or the `networking.istio.io/gatewayPort`
    /// label's port), one gateway per load-balancer address (istio/istio
    /// `pilot/pkg/serviceregistry/kube/controller/network.go` `extractGatewaysFromService`), and
    /// meshNetworks `gateways` (`pilot/pkg/model/network.go`).
    fn networks(
        &mut self,
        facts: &[ClusterFacts],
        scenario: &mut Scenario,
        provenance: &mut Provenance,
    ) -> Result<(), KubeError> {
        // meshNetworks fromRegistry: a cluster without the namespace label takes that network.
        for f in facts {
            for net in &f.mesh_networks {
                for registry in &net.registries {
                    if let Some(j) = self.names.iter().position(|n| n == registry)
                        && let Some(c) = scenario.clusters.get_mut(j)
                        && c.network.is_empty()
                    {
                        c.network.clone_from(&net.name);
                    }
                }
            }
        }
        let mut networks: Vec<NetworkSpec> = Vec::new();
        let mut origins: Vec<Vec<Origin>> = Vec::new();
        let mut gw_origins: Vec<Vec<Origin>> = Vec::new();
        let ensure = |networks: &mut Vec<NetworkSpec>,
                      origins: &mut Vec<Vec<Origin>>,
                      gw_origins: &mut Vec<Vec<Origin>>,
                      name: &str|
         -> usize {
            if let Some(i) = networks.iter().position(|n| n.name == name) {
                return i;
            }
            networks.push(NetworkSpec {
                name: name.to_string(),
                gateways: Vec::new(),
            });
            origins.push(Vec::new());
            gw_origins.push(Vec::new());
            networks.len() - 1
        };
        for (i, c) in scenario.clusters.iter().enumerate() {
            if !c.network.is_empty() {
                let n = ensure(&mut networks, &mut origins, &mut gw_origins, &c.network);
                if let Some(ns) = self.objs[i].namespaces.get(facts[i].system_ns.as_str()) {
                    origins[n].push(ns.origin());
                }
            }
        }
        for (i, cluster) in self.names.iter().enumerate() {
            for svc in &self.objs[i].services {
                let labels = svc.labels()?;
                let Some(net) = labels.get(NETWORK_LABEL) else {
                    continue;
                };
                let port = match labels.get(GATEWAY_PORT_LABEL) {
                    Some(p) => p.parse::<u16>().unwrap_or(GATEWAY_PORT),
                    None => GATEWAY_PORT,
                };
                let ports = service_ports(svc)?;
                if !ports.iter().any(|(_, p)| *p == port) {
                    continue;
                }
                let addresses = lb_addresses(svc)?;
                if addresses.is_empty() {
                    self.notes.push(Note::new(NoteCode::Import, format!(
                        "{cluster}: east-west gateway Service {}/{} (network {net}) has no address yet (status.loadBalancer.ingress is empty): no gateway until one is assigned; give it in --overlay networks",
                        svc.namespace, svc.name
                    )));
                    continue;
                }
                let n = ensure(&mut networks, &mut origins, &mut gw_origins, net);
                for a in addresses {
                    if networks[n]
                        .gateways
                        .iter()
                        .any(|g| g.address == a && g.port == port)
                    {
                        continue;
                    }
                    networks[n].gateways.push(GatewaySpec {
                        address: a,
                        port,
                        cluster: (*cluster).to_string(),
                        ..GatewaySpec::default()
                    });
                    gw_origins[n].push(svc.origin());
                }
            }
        }
        // meshNetworks gateways: an address, or a registry Service resolved in the network's
        // fromRegistry cluster.
        for f in facts {
            for net in &f.mesh_networks {
                let n = ensure(&mut networks, &mut origins, &mut gw_origins, &net.name);
                if let Some(o) = &f.mesh_networks_origin
                    && !origins[n].contains(o)
                {
                    origins[n].push(o.clone());
                }
                for (address, service, port) in &net.gateways {
                    let mut found: Vec<(String, String)> = Vec::new();
                    if let Some(a) = address {
                        found.push((a.clone(), String::new()));
                    }
                    if let Some(s) = service {
                        for registry in &net.registries {
                            let Some(j) = self.names.iter().position(|x| x == registry) else {
                                continue;
                            };
                            let mut parts = s.split('.');
                            let (Some(sname), Some(sns)) = (parts.next(), parts.next()) else {
                                continue;
                            };
                            if let Some(svc) = self.objs[j].service_index.get(&(sns, sname)) {
                                for a in lb_addresses(svc)? {
                                    found.push((a, registry.clone()));
                                }
                            }
                        }
                        if found.is_empty() {
                            self.notes.push(Note::new(NoteCode::Import, format!(
                                "meshNetworks network {}: gateway Service {s} not found with an address in the dumps of {}: left out",
                                net.name,
                                if net.registries.is_empty() { "any cluster".to_string() } else { net.registries.join(", ") }
                            )));
                        }
                    }
                    for (a, cluster) in found {
                        if networks[n]
                            .gateways
                            .iter()
                            .any(|g| g.address == a && g.port == *port)
                        {
                            continue;
                        }
                        networks[n].gateways.push(GatewaySpec {
                            address: a,
                            port: *port,
                            cluster,
                            failed: false,
                        });
                        if let Some(o) = &f.mesh_networks_origin {
                            gw_origins[n].push(o.clone());
                        }
                    }
                }
            }
        }
        scenario.networks = networks;
        provenance.networks = origins;
        provenance.gateways = gw_origins;
        Ok(())
    }

    /// Services (one per name and namespace, held by every cluster that has it) and their
    /// workloads (one per EndpointSlice endpoint address × port).
    fn services(
        &mut self,
        facts: &[ClusterFacts],
        scenario: &mut Scenario,
        provenance: &mut Provenance,
    ) -> Result<(), KubeError> {
        let mut index: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut skipped = 0_usize;
        let mut fqdn = 0_usize;
        let mut missing_pods = 0_usize;
        let mut no_nodes = 0_usize;
        let mut duplicates = 0_usize;
        let mut sidecar_without_label = 0_usize;
        let mut seen_workloads: BTreeSet<(String, String, String, u16)> = BTreeSet::new();
        for (i, cluster) in self.names.iter().enumerate() {
            let c = &self.objs[i];
            let system = facts[i].system_ns.as_str();
            let is_platform = |ns: &str| ns == system || PLATFORM_NAMESPACES.contains(&ns);
            for svc in &c.services {
                if is_platform(svc.namespace) {
                    skipped += 1;
                    continue;
                }
                let key = (svc.namespace.to_string(), svc.name.to_string());
                if let Some(&k) = index.get(&key) {
                    scenario.services[k].clusters.push((*cluster).to_string());
                    provenance.services[k].push(svc.origin());
                    continue;
                }
                let annotations = svc.annotations()?;
                // exportTo: the annotation, comma-separated and trimmed (kube/conversion.go).
                let export_to = annotations
                    .get(EXPORT_TO)
                    .map(|v| {
                        v.split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                // Traffic distribution: spec.trafficDistribution, else the Service's
                // annotation, else the Namespace's (pilot/pkg/model/service.go
                // GetTrafficDistribution; research/istio.md §1.3).
                let ns_annotation = match c.namespaces.get(svc.namespace) {
                    Some(ns) => ns.annotations()?.get(TRAFFIC_DISTRIBUTION).cloned(),
                    None => None,
                };
                let traffic_distribution = svc
                    .str(&["spec", "trafficDistribution"])?
                    .map(str::to_string)
                    .or_else(|| annotations.get(TRAFFIC_DISTRIBUTION).cloned())
                    .or(ns_annotation);
                index.insert(key, scenario.services.len());
                scenario.services.push(ServiceSpec {
                    name: svc.name.to_string(),
                    namespace: svc.namespace.to_string(),
                    clusters: vec![(*cluster).to_string()],
                    ports: service_ports(svc)?.into_iter().map(|(_, p)| p).collect(),
                    export_to,
                    traffic_distribution,
                });
                provenance.services.push(vec![svc.origin()]);
            }
            for slice in &c.slices {
                if is_platform(slice.namespace) {
                    continue;
                }
                let labels = slice.labels()?;
                let Some(svc_name) = labels.get(SERVICE_NAME_LABEL) else {
                    return Err(slice.error(
                        slice.path(&["metadata", "labels"]),
                        slice.get(&["metadata"]).map_or(slice.node.line, |n| n.line),
                        format!("an EndpointSlice without the {SERVICE_NAME_LABEL} label: meshlb cannot tell its Service (istiod reads the label: endpointslice.go serviceNameForEndpointSlice)"),
                    ));
                };
                let Some(svc) = c.service_index.get(&(slice.namespace, svc_name.as_str())) else {
                    return Err(slice.error(
                        slice.path(&["metadata", "labels", SERVICE_NAME_LABEL]),
                        slice
                            .get(&["metadata", "labels", SERVICE_NAME_LABEL])
                            .map_or(slice.node.line, |n| n.line),
                        format!(
                            "EndpointSlice of Service {}/{svc_name}, which this cluster's dump does not have: add `services` to the kubectl command",
                            slice.namespace
                        ),
                    ));
                };
                let persistent = svc.labels()?.contains_key(PERSISTENT_SESSION_LABEL);
                // addressType FQDN slices are skipped by istiod (endpointslice.go
                // updateEndpointCacheForSlice, istio/istio#34995).
                if slice.str(&["addressType"])? == Some("FQDN") {
                    fqdn += 1;
                    continue;
                }
                let mut ports = Vec::new();
                for (pi, p) in slice.list(&["ports"])?.iter().enumerate() {
                    if let Some(port) =
                        opt_port(slice, p, "port", &slice.path(&["ports"]).index(pi))?
                    {
                        ports.push(port);
                    }
                }
                let service = format!("{}.{}", svc.name, svc.namespace);
                for (ei, e) in slice.list(&["endpoints"])?.iter().enumerate() {
                    let at = slice.path(&["endpoints"]).index(ei);
                    let conditions = match e.get("conditions") {
                        Some(cond) if cond.value != Value::Null => {
                            let at = at.key("conditions");
                            EndpointConditions {
                                ready: opt_bool(slice, cond, "ready", &at)?,
                                serving: opt_bool(slice, cond, "serving", &at)?,
                                terminating: opt_bool(slice, cond, "terminating", &at)?,
                            }
                        }
                        _ => EndpointConditions::default(),
                    };
                    let (health, terminating) = endpoint_slice_health(conditions, persistent);
                    let mut pod_expected = false;
                    let pod = match e.get("targetRef") {
                        Some(t) if t.value != Value::Null => {
                            let tat = at.key("targetRef");
                            let kind = opt_str(slice, t, "kind", &tat)?;
                            let name = opt_str(slice, t, "name", &tat)?;
                            let ns =
                                opt_str(slice, t, "namespace", &tat)?.unwrap_or(slice.namespace);
                            match (kind, name) {
                                (Some("Pod"), Some(name)) => {
                                    pod_expected = true;
                                    let pod = c.pods.get(&(ns, name)).copied();
                                    if pod.is_none() {
                                        missing_pods += 1;
                                    }
                                    pod
                                }
                                _ => None,
                            }
                        }
                        _ => None,
                    };
                    let pod_labels = match pod {
                        Some(p) => p.labels()?,
                        None => Labels::new(),
                    };
                    // Sidecar: mTLS is what the tlsMode label says (absent: disabled); a pod
                    // missing from the dump is assumed injected; an endpoint that is no pod
                    // carries no label, so istiod treats it as plain text.
                    let sidecar = match pod {
                        Some(p) => {
                            let label = pod_labels.get(TLS_MODE_LABEL).map(String::as_str);
                            if label.is_none() && has_proxy(p)? {
                                sidecar_without_label += 1;
                            }
                            label == Some("istio")
                        }
                        None => pod_expected,
                    };
                    let node_name = match opt_str(slice, e, "nodeName", &at)? {
                        Some(n) => Some(n),
                        None => match pod {
                            Some(p) => p.str(&["spec", "nodeName"])?,
                            None => None,
                        },
                    };
                    let zone = opt_str(slice, e, "zone", &at)?;
                    let locality =
                        match self.locality(i, pod, &pod_labels, node_name, slice, &at)? {
                            Some(l) => l,
                            None => {
                                if node_name.is_some() || zone.is_some() {
                                    no_nodes += 1;
                                }
                                Locality::new("", zone.unwrap_or(""), "")
                            }
                        };
                    let network = pod_labels
                        .get(NETWORK_LABEL)
                        .filter(|n| **n != scenario.clusters[i].network)
                        .cloned();
                    let Some(Value::Seq(addresses)) = e.get("addresses").map(|n| &n.value) else {
                        return Err(slice.error(
                            at.key("addresses"),
                            e.line,
                            "an endpoint needs `addresses` (a list)",
                        ));
                    };
                    for (ai, a) in addresses.iter().enumerate() {
                        let Some(address) = a.as_str() else {
                            return Err(slice.error(
                                at.key("addresses").index(ai),
                                a.line,
                                format!("expected a string, found {}", a.kind()),
                            ));
                        };
                        for &port in &ports {
                            let key = (
                                (*cluster).to_string(),
                                service.clone(),
                                address.to_string(),
                                port,
                            );
                            if !seen_workloads.insert(key) {
                                duplicates += 1;
                                continue;
                            }
                            scenario.workloads.push(WorkloadSpec {
                                service: service.clone(),
                                cluster: (*cluster).to_string(),
                                address: address.to_string(),
                                port,
                                locality: locality.clone(),
                                network: network.clone(),
                                labels: pod_labels.clone(),
                                health,
                                terminating,
                                sidecar,
                                ..WorkloadSpec::default()
                            });
                            provenance.workloads.push(slice.origin());
                        }
                    }
                }
            }
        }
        if scenario.workloads.len() > crate::MAX_WORKLOADS {
            return Err(KubeError::plain(format!(
                "{} workloads: meshlb reads at most {} in one scenario",
                scenario.workloads.len(),
                crate::MAX_WORKLOADS
            )));
        }
        if skipped > 0 {
            self.notes.push(Note::new(NoteCode::Import, format!(
                "{skipped} Service(s) in Istio's and Kubernetes' system namespaces (istiod, gateways, kube-dns) not imported as services"
            )));
        }
        if fqdn > 0 {
            self.notes.push(Note::new(NoteCode::Import, format!(
                "{fqdn} EndpointSlice(s) of addressType FQDN skipped, as istiod skips them (istio/istio#34995)"
            )));
        }
        if missing_pods > 0 {
            self.notes.push(Note::new(NoteCode::Import, format!(
                "{missing_pods} endpoint(s) name pods the dumps do not have: labels unknown, sidecar assumed (add `pods` to the kubectl command)"
            )));
        }
        if no_nodes > 0 {
            self.notes.push(Note::new(NoteCode::Import, format!(
                "{no_nodes} endpoint(s) on nodes the dumps do not have: region unknown, zone from the EndpointSlice (add `nodes` to the kubectl command)"
            )));
        }
        if duplicates > 0 {
            self.notes.push(Note::new(NoteCode::Import, format!(
                "{duplicates} endpoint(s) listed by two EndpointSlices of one Service (a slice in transition): kept once"
            )));
        }
        if sidecar_without_label > 0 {
            self.notes.push(Note::new(NoteCode::Import, format!(
                "{sidecar_without_label} pod(s) run an istio-proxy but lack the {TLS_MODE_LABEL}=istio label: istiod treats them as plain text (no mTLS)"
            )));
        }
        Ok(())
    }

    /// A pod's locality: its locality label, else its node's region and zone and the pod's or
    /// node's subzone. `None` when the node is not in a dump without nodes.
    fn locality(
        &self,
        cluster: usize,
        pod: Option<&Obj<'_>>,
        pod_labels: &Labels,
        node_name: Option<&str>,
        at_obj: &Obj<'_>,
        at: &Path,
    ) -> Result<Option<Locality>, KubeError> {
        for l in LOCALITY_LABELS {
            if let Some(v) = pod_labels.get(l) {
                let parts: Vec<&str> = v.split('.').collect();
                let part = |i: usize| parts.get(i).copied().unwrap_or("");
                return Ok(Some(Locality::new(part(0), part(1), part(2))));
            }
        }
        let nodes = &self.objs[cluster].nodes;
        let Some(node_name) = node_name else {
            return Ok(None);
        };
        let Some(node) = nodes.get(node_name) else {
            if nodes.is_empty() {
                return Ok(None);
            }
            let (obj, path, line) = match pod {
                Some(p) => (
                    p,
                    p.path(&["spec", "nodeName"]),
                    p.get(&["spec", "nodeName"]).map_or(p.node.line, |n| n.line),
                ),
                None => (at_obj, at.key("nodeName"), at_obj.node.line),
            };
            return Err(obj.error(
                path,
                line,
                format!(
                    "on node {node_name:?}, which cluster {}'s dump does not have (nodes: {})",
                    self.names[cluster],
                    nodes.keys().copied().collect::<Vec<_>>().join(", ")
                ),
            ));
        };
        let label = |key: &str| node.str(&["metadata", "labels", key]);
        let first = |keys: &[&str]| -> Result<String, KubeError> {
            for k in keys {
                if let Some(v) = label(k)? {
                    return Ok(v.to_string());
                }
            }
            Ok(String::new())
        };
        let subzone = match pod_labels.get(SUBZONE) {
            Some(s) => s.clone(),
            None => first(&[SUBZONE])?,
        };
        Ok(Some(Locality::new(
            &first(&REGION)?,
            &first(&ZONE)?,
            &subzone,
        )))
    }

    /// Each cluster's Istio resources, read with the scenario's reader.
    fn config(
        &mut self,
        scenario: &mut Scenario,
        provenance: &mut Provenance,
    ) -> Result<Vec<Vec<String>>, KubeError> {
        let mut json = Vec::new();
        for (i, cluster) in self.names.iter().enumerate() {
            let mut entry = ClusterConfig {
                cluster: (*cluster).to_string(),
                resources: Vec::new(),
            };
            let mut origins = Vec::new();
            let mut texts = Vec::new();
            for o in &self.objs[i].istio {
                // A VirtualService bound only to gateways (`gateways` without the reserved
                // `mesh`) does not apply to sidecars (istio/api `networking/v1alpha3/
                // virtual_service.proto` `gateways`: "The reserved word mesh is used to imply
                // all the sidecars in the mesh"), e.g. the `istiod` VirtualService of a
                // primary-remote install.
                if o.kind == "VirtualService"
                    && let Some(Value::Seq(gateways)) =
                        o.get(&["spec", "gateways"]).map(|n| &n.value)
                    && !gateways.iter().any(|g| g.as_str() == Some("mesh"))
                {
                    *self
                        .ignored
                        .entry("VirtualService (gateways only)".into())
                        .or_default() += 1;
                    continue;
                }
                let (resource, ignored, notes): (Resource, _, _) =
                    crate::scenario::istio_resource(o.text, o.node, o.item)
                        .map_err(|e| o.wrap(e))?;
                let base = o.base().to_string();
                for p in ignored {
                    let rest = if base == "(document)" {
                        p.clone()
                    } else {
                        p.strip_prefix("items[].").map_or(p.clone(), str::to_string)
                    };
                    if rest.starts_with("metadata.") || rest == "status" {
                        continue;
                    }
                    self.not_modelled.insert(format!("{} {rest}", o.kind));
                }
                // A note on a field names its object and where it is (its path is the
                // object's own).
                let origin = o.origin();
                self.notes.extend(
                    notes
                        .into_iter()
                        .map(|n| Note::new(n.code, format!("{origin}: {}", n.text))),
                );
                entry.resources.push(resource);
                origins.push(origin);
                texts.push(resource_json(o));
            }
            if !entry.resources.is_empty() {
                scenario.config.push(entry);
                provenance.config.push(origins);
                json.push(texts);
            }
        }
        Ok(json)
    }

    fn client_from_pod(&self, spec: &str) -> Result<ClientSpec, KubeError> {
        let parts: Vec<&str> = spec.split('/').collect();
        let [cluster, namespace, pod] = parts.as_slice() else {
            return Err(KubeError::plain(format!(
                "--from-pod {spec:?}: expected CLUSTER/NAMESPACE/POD"
            )));
        };
        let Some(i) = self.names.iter().position(|n| n == cluster) else {
            return Err(KubeError::plain(format!(
                "--from-pod {spec}: no --kube names cluster {cluster:?} (clusters: {})",
                self.names.join(", ")
            )));
        };
        let Some(p) = self.objs[i].pods.get(&(*namespace, *pod)).copied() else {
            return Err(KubeError::plain(format!(
                "--from-pod {spec}: cluster {cluster}'s dump has no Pod {namespace}/{pod}"
            )));
        };
        let node = p.str(&["spec", "nodeName"])?;
        let labels = p.labels()?;
        let locality = self
            .locality(i, Some(p), &labels, node, p, &p.base())?
            .unwrap_or_default();
        Ok(ClientSpec {
            cluster: (*cluster).to_string(),
            namespace: (*namespace).to_string(),
            locality,
            labels: p.labels()?,
        })
    }
}

/// "1.31" from an istiod image `docker.io/istio/pilot:1.31.0` (or `…:1.31.0-distroless`,
/// `…@sha256:…` after a tag); `None` for a version meshlb does not model.
fn istio_version(image: &str) -> Option<String> {
    let image = image.split('@').next().unwrap_or(image);
    let (_, tag) = image.rsplit_once(':')?;
    if tag.contains('/') {
        return None;
    }
    let mut parts = tag.split(['.', '-']);
    let major = parts.next()?;
    let minor = parts.next()?;
    let v = format!("{major}.{minor}");
    matches!(v.as_str(), "1.30" | "1.31").then_some(v)
}

/// The line in the dump of line `inner` of an embedded document (a ConfigMap value): a block
/// scalar (`mesh: |-`) starts on the line after its key.
fn embedded_line(text: &str, _node: Option<&Node>, outer: usize, inner: Option<usize>) -> usize {
    let block = text.lines().nth(outer.saturating_sub(1)).is_some_and(|l| {
        l.split_once(':')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['|', '>']))
    });
    match (block, inner) {
        (true, Some(l)) => outer + l,
        _ => outer,
    }
}

/// MeshNetworks (istio/api `mesh/v1alpha1/network.proto`): `networks: {NAME: {endpoints:
/// [{fromRegistry | fromCidr}], gateways: [{address | registryServiceName, port}]}}`.
fn parse_mesh_networks(root: &Node) -> Result<Vec<MeshNetwork>, InputError> {
    let mut out = Vec::new();
    let err = |path: Path, node: &Node, message: &str| InputError {
        path,
        line: Some(node.line),
        message: message.to_string(),
    };
    let Some(networks) = root.get("networks") else {
        return Ok(out);
    };
    let at = Path::root().key("networks");
    let entries = match &networks.value {
        Value::Map(entries) => entries,
        Value::Null => return Ok(out),
        _ => {
            return Err(err(
                at,
                networks,
                "expected a mapping of network name to network",
            ));
        }
    };
    for (name, net) in entries {
        let at = at.key(name);
        let mut n = MeshNetwork {
            name: name.clone(),
            ..MeshNetwork::default()
        };
        if let Some(Value::Seq(eps)) = net.get("endpoints").map(|e| &e.value) {
            for e in eps {
                if let Some(r) = e
                    .get("fromRegistry")
                    .or_else(|| e.get("from_registry"))
                    .and_then(Node::as_str)
                {
                    n.registries.push(r.to_string());
                }
            }
        }
        if let Some(gws) = net.get("gateways") {
            let Value::Seq(gws) = &gws.value else {
                return Err(err(at.key("gateways"), gws, "expected a list of gateways"));
            };
            for (gi, g) in gws.iter().enumerate() {
                let gat = at.key("gateways").index(gi);
                let port = match g.get("port") {
                    Some(p) => u16::try_from(p.uint(&gat.key("port"), 65_535)?)
                        .ok()
                        .filter(|p| *p > 0)
                        .ok_or_else(|| {
                            err(gat.key("port"), p, "port must be between 1 and 65535")
                        })?,
                    None => GATEWAY_PORT,
                };
                let address = g.get("address").and_then(Node::as_str).map(str::to_string);
                let service = g
                    .get("registryServiceName")
                    .or_else(|| g.get("registry_service_name"))
                    .and_then(Node::as_str)
                    .map(str::to_string);
                if address.is_none() && service.is_none() {
                    return Err(err(
                        gat,
                        g,
                        "a gateway needs `address` or `registryServiceName`",
                    ));
                }
                n.gateways.push((address, service, port));
            }
        }
        out.push(n);
    }
    Ok(out)
}

/// A Service's `spec.ports[]`: (name, port).
fn service_ports(svc: &Obj<'_>) -> Result<Vec<(String, u16)>, KubeError> {
    let mut out = Vec::new();
    for (i, p) in svc.list(&["spec", "ports"])?.iter().enumerate() {
        let at = svc.path(&["spec", "ports"]).index(i);
        if let Some(port) = opt_port(svc, p, "port", &at)? {
            let name = opt_str(svc, p, "name", &at)?.unwrap_or("").to_string();
            if !out.iter().any(|(_, q)| *q == port) {
                out.push((name, port));
            }
        }
    }
    Ok(out)
}

/// A Service's external addresses: `status.loadBalancer.ingress[].ip|hostname` and
/// `spec.externalIPs` (what istiod takes as a gateway's addresses: kube/conversion.go
/// `ClusterExternalAddresses`).
fn lb_addresses(svc: &Obj<'_>) -> Result<Vec<String>, KubeError> {
    let mut out = Vec::new();
    for (i, ing) in svc
        .list(&["status", "loadBalancer", "ingress"])?
        .iter()
        .enumerate()
    {
        let at = svc.path(&["status", "loadBalancer", "ingress"]).index(i);
        if let Some(a) = opt_str(svc, ing, "ip", &at)?.or(opt_str(svc, ing, "hostname", &at)?) {
            out.push(a.to_string());
        }
    }
    for (i, a) in svc.list(&["spec", "externalIPs"])?.iter().enumerate() {
        match a.as_str() {
            Some(s) => out.push(s.to_string()),
            None => {
                return Err(svc.error(
                    svc.path(&["spec", "externalIPs"]).index(i),
                    a.line,
                    "expected a string",
                ));
            }
        }
    }
    Ok(out)
}

/// Whether a pod runs Istio's proxy: an `istio-proxy` container (or native sidecar init
/// container), or injection's status annotation.
fn has_proxy(pod: &Obj<'_>) -> Result<bool, KubeError> {
    if pod.annotations()?.contains_key(SIDECAR_STATUS) {
        return Ok(true);
    }
    for key in ["containers", "initContainers"] {
        if pod
            .list(&["spec", key])?
            .iter()
            .any(|c| c.get("name").and_then(Node::as_str) == Some(PROXY_CONTAINER))
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// An Istio resource as the scenario prints it: `apiVersion`, `kind`, name and namespace,
/// `spec` as written (JSON).
fn resource_json(o: &Obj<'_>) -> String {
    let mut out = String::from("{\"apiVersion\":");
    crate::tree::json_string(o.api_version, &mut out);
    out.push_str(",\"kind\":");
    crate::tree::json_string(o.kind, &mut out);
    out.push_str(",\"metadata\":{\"name\":");
    crate::tree::json_string(o.name, &mut out);
    out.push_str(",\"namespace\":");
    crate::tree::json_string(o.namespace, &mut out);
    out.push('}');
    if let Some(spec) = o.get(&["spec"]) {
        out.push_str(",\"spec\":");
        out.push_str(&spec.to_json(o.text));
    }
    out.push('}');
    out
}

// ---------------------------------------------------------------------------------------------
// The overlay

/// Merges the overlay (a partial scenario) over the import: `istioVersion`, `client`,
/// `request` and `externalControlPlanes` replace the import's; `meshes` and `clusters` merge by
/// id or name, field by field (only the fields the overlay writes); `networks` merge by name
/// (gateways written replace the imported ones); `services`, `workloads` and `config` are added.
fn overlay(
    imported: &mut Imported,
    file: &str,
    text: &str,
    notes: &mut Vec<Note>,
) -> Result<(), KubeError> {
    let located = |e: InputError| KubeError {
        file: Some(file.to_string()),
        document: None,
        object: None,
        error: Box::new(e),
    };
    let input = crate::parse_scenario(text).map_err(located)?;
    let root = crate::tree::load(text).map_err(located)?;
    let o = input.scenario;
    let s = &mut imported.scenario;
    let has = |node: &Node, key: &str| node.get(key).is_some_and(|n| n.value != Value::Null);
    let mut set = Vec::new();
    if has(&root, "istioVersion") {
        s.istio_version = o.istio_version;
        set.push("istioVersion");
    }
    if has(&root, "client") {
        s.client = o.client;
        set.push("client");
    }
    if has(&root, "request") {
        s.request = o.request;
        set.push("request");
    }
    if has(&root, "externalControlPlanes") {
        s.external_control_planes = o.external_control_planes;
        set.push("externalControlPlanes");
    }
    if let Some(Value::Seq(items)) = root.get("meshes").map(|n| &n.value) {
        set.push("meshes");
        for (node, m) in items.iter().zip(o.meshes) {
            match s.meshes.iter_mut().find(|x| x.id == m.id) {
                Some(x) => {
                    if has(node, "trustDomain") {
                        x.trust_domain = m.trust_domain;
                    }
                    if has(node, "trustBundles") {
                        x.trust_bundles = m.trust_bundles;
                    }
                    if has(node, "imports") {
                        x.imports = m.imports;
                    }
                }
                None => s.meshes.push(m),
            }
        }
    }
    if let Some(Value::Seq(items)) = root.get("clusters").map(|n| &n.value) {
        set.push("clusters");
        for (node, c) in items.iter().zip(o.clusters) {
            match s.clusters.iter_mut().find(|x| x.name == c.name) {
                Some(x) => {
                    if has(node, "mesh") {
                        x.mesh = c.mesh;
                    }
                    if has(node, "network") {
                        x.network = c.network;
                    }
                    if has(node, "controlPlane") {
                        x.control_plane = c.control_plane;
                    }
                    if has(node, "remoteSecrets") {
                        x.remote_secrets = c.remote_secrets;
                    }
                    if has(node, "dnsProxy") {
                        x.dns_proxy = c.dns_proxy;
                    }
                    if has(node, "meshConfig") {
                        x.mesh_config = c.mesh_config;
                    }
                }
                None => s.clusters.push(c),
            }
        }
    }
    if let Some(Value::Seq(items)) = root.get("networks").map(|n| &n.value) {
        set.push("networks");
        for (node, n) in items.iter().zip(o.networks) {
            match s.networks.iter().position(|x| x.name == n.name) {
                Some(i) => {
                    if has(node, "gateways") {
                        s.networks[i].gateways = n.gateways;
                        if let Some(g) = imported.provenance.gateways.get_mut(i) {
                            g.clear();
                        }
                    }
                }
                None => {
                    s.networks.push(n);
                    imported.provenance.networks.push(Vec::new());
                    imported.provenance.gateways.push(Vec::new());
                }
            }
        }
    }
    if !o.services.is_empty() {
        set.push("services");
        imported
            .provenance
            .services
            .extend(o.services.iter().map(|_| Vec::new()));
        s.services.extend(o.services);
    }
    if !o.workloads.is_empty() {
        set.push("workloads");
        let origin = Origin {
            file: file.to_string(),
            document: 1,
            item: None,
            object: "overlay".into(),
        };
        imported
            .provenance
            .workloads
            .extend(o.workloads.iter().map(|_| origin.clone()));
        s.workloads.extend(o.workloads);
    }
    if has(&root, "config") {
        set.push("config");
        // Overlay config is printed from its own text.
        if let Some(Value::Seq(entries)) = root.get("config").map(|n| &n.value) {
            for (node, entry) in entries.iter().zip(o.config) {
                let texts: Vec<String> = match node.get("resources").map(|n| &n.value) {
                    Some(Value::Seq(rs)) => rs.iter().map(|r| r.to_json(text)).collect(),
                    _ => Vec::new(),
                };
                imported.provenance.config.push(
                    entry
                        .resources
                        .iter()
                        .map(|_| Origin {
                            file: file.to_string(),
                            document: 1,
                            item: None,
                            object: "overlay".into(),
                        })
                        .collect(),
                );
                imported.config_json.push(texts);
                s.config.push(entry);
            }
        }
    }
    notes.extend(input.notes);
    if !set.is_empty() {
        notes.push(Note::new(
            NoteCode::Flag,
            format!("--overlay {file} sets {}", set.join(", ")),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Printing

impl Imported {
    /// The scenario as YAML (shared/SCENARIO.md §2), each cluster, network, gateway, service and
    /// workload preceded by a `#` comment naming where it came from; the scenario reader reads
    /// it back to the same scenario.
    #[must_use]
    pub fn to_yaml(&self) -> String {
        use std::fmt::Write as _;
        let s = &self.scenario;
        let p = &self.provenance;
        let mut out = String::new();
        let q = |v: &str| {
            let mut o = String::new();
            crate::tree::json_string(v, &mut o);
            o
        };
        let list = |v: &[String]| {
            let items: Vec<String> = v.iter().map(|x| q(x)).collect();
            format!("[{}]", items.join(", "))
        };
        let comment = |out: &mut String, indent: &str, origins: &[Origin]| {
            for o in origins {
                let _ = writeln!(out, "{indent}# from {o}");
            }
        };
        let _ = writeln!(
            out,
            "# meshlb scenario imported from kubectl dumps (meshlb import); notes:"
        );
        for n in &self.notes {
            let _ = writeln!(out, "#   - {}", n.text.replace('\n', " "));
        }
        let _ = writeln!(
            out,
            "istioVersion: {}",
            match s.istio_version {
                IstioVersion::V1_30 => "\"1.30\"",
                IstioVersion::V1_31 => "\"1.31\"",
            }
        );
        if !s.meshes.is_empty() {
            let _ = writeln!(out, "meshes:");
            for m in &s.meshes {
                let _ = writeln!(
                    out,
                    "  - {{ id: {}, trustDomain: {}, trustBundles: {} }}",
                    q(&m.id),
                    q(&m.trust_domain),
                    list(&m.trust_bundles)
                );
                if !m.imports.is_empty() {
                    // Rewrite as a block so imports fit.
                    out.truncate(out.trim_end_matches('\n').rfind('\n').map_or(0, |i| i + 1));
                    let _ = writeln!(out, "  - id: {}", q(&m.id));
                    let _ = writeln!(out, "    trustDomain: {}", q(&m.trust_domain));
                    let _ = writeln!(out, "    trustBundles: {}", list(&m.trust_bundles));
                    let _ = writeln!(out, "    imports:");
                    for i in &m.imports {
                        let _ = writeln!(
                            out,
                            "      - {{ mesh: {}, service: {} }}",
                            q(&i.mesh),
                            q(&i.service)
                        );
                    }
                }
            }
        }
        if !s.external_control_planes.is_empty() {
            let _ = writeln!(out, "externalControlPlanes:");
            for e in &s.external_control_planes {
                let _ = writeln!(
                    out,
                    "  - {{ name: {}, configCluster: {}, remoteSecrets: {} }}",
                    q(&e.name),
                    q(&e.config_cluster),
                    list(&e.remote_secrets)
                );
            }
        }
        let _ = writeln!(out, "clusters:");
        for (i, c) in s.clusters.iter().enumerate() {
            comment(&mut out, "  ", p.clusters.get(i).map_or(&[], Vec::as_slice));
            let _ = writeln!(out, "  - name: {}", q(&c.name));
            if !c.mesh.is_empty() {
                let _ = writeln!(out, "    mesh: {}", q(&c.mesh));
            }
            let _ = writeln!(out, "    network: {}", q(&c.network));
            let _ = writeln!(out, "    controlPlane: {}", q(&c.control_plane));
            let _ = writeln!(out, "    remoteSecrets: {}", list(&c.remote_secrets));
            let _ = writeln!(out, "    dnsProxy: {}", c.dns_proxy);
            if let Some(mc) = &c.mesh_config {
                let _ = writeln!(out, "    meshConfig: {}", mesh_config_json(mc));
            }
        }
        if !s.networks.is_empty() {
            let _ = writeln!(out, "networks:");
            for (i, n) in s.networks.iter().enumerate() {
                comment(&mut out, "  ", p.networks.get(i).map_or(&[], Vec::as_slice));
                let _ = writeln!(out, "  - name: {}", q(&n.name));
                let _ = writeln!(out, "    gateways:");
                if n.gateways.is_empty() {
                    out.truncate(out.len() - 1);
                    let _ = writeln!(out, " []");
                }
                for (j, g) in n.gateways.iter().enumerate() {
                    if let Some(o) = p.gateways.get(i).and_then(|g| g.get(j)) {
                        let _ = writeln!(out, "      # from {o}");
                    }
                    let _ = writeln!(
                        out,
                        "      - {{ address: {}, port: {}, cluster: {} }}",
                        q(&g.address),
                        g.port,
                        q(&g.cluster)
                    );
                }
            }
        }
        let _ = writeln!(out, "services:");
        if s.services.is_empty() {
            out.truncate(out.len() - 1);
            let _ = writeln!(out, " []");
        }
        for (i, v) in s.services.iter().enumerate() {
            comment(&mut out, "  ", p.services.get(i).map_or(&[], Vec::as_slice));
            let ports: Vec<String> = v.ports.iter().map(u16::to_string).collect();
            let _ = write!(
                out,
                "  - {{ name: {}, namespace: {}, clusters: {}, ports: [{}], exportTo: {}",
                q(&v.name),
                q(&v.namespace),
                list(&v.clusters),
                ports.join(", "),
                list(&v.export_to)
            );
            if let Some(t) = &v.traffic_distribution {
                let _ = write!(out, ", trafficDistribution: {}", q(t));
            }
            let _ = writeln!(out, " }}");
        }
        let _ = writeln!(out, "workloads:");
        if s.workloads.is_empty() {
            out.truncate(out.len() - 1);
            let _ = writeln!(out, " []");
        }
        let mut last: Option<&Origin> = None;
        for (i, w) in s.workloads.iter().enumerate() {
            let origin = p.workloads.get(i);
            if origin.is_some() && origin != last {
                if let Some(o) = origin {
                    let _ = writeln!(out, "  # from {o}");
                }
                last = origin;
            }
            let labels: Vec<String> = w
                .labels
                .iter()
                .map(|(k, v)| format!("{}: {}", q(k), q(v)))
                .collect();
            let _ = write!(
                out,
                "  - {{ service: {}, cluster: {}, address: {}, port: {}, locality: {}, labels: {{ {} }}, health: {}, weight: {}, sidecar: {}",
                q(&w.service),
                q(&w.cluster),
                q(&w.address),
                w.port,
                q(&w.locality.to_string()),
                labels.join(", "),
                health_name(w.health),
                w.weight,
                w.sidecar
            );
            if let Some(n) = &w.network {
                let _ = write!(out, ", network: {}", q(n));
            }
            if w.terminating {
                let _ = write!(out, ", terminating: true");
            }
            let _ = writeln!(out, " }}");
        }
        if !s.config.is_empty() {
            let _ = writeln!(out, "config:");
            for (i, c) in s.config.iter().enumerate() {
                let _ = writeln!(out, "  - cluster: {}", q(&c.cluster));
                let _ = writeln!(out, "    resources:");
                let texts = self.config_json.get(i).map_or(&[][..], Vec::as_slice);
                for (j, t) in texts.iter().enumerate() {
                    if let Some(o) = p.config.get(i).and_then(|c| c.get(j)) {
                        let _ = writeln!(out, "      # from {o}");
                    }
                    let _ = writeln!(out, "      - {t}");
                }
            }
        }
        if !s.client.cluster.is_empty() || !s.client.namespace.is_empty() {
            let c = &s.client;
            let labels: Vec<String> = c
                .labels
                .iter()
                .map(|(k, v)| format!("{}: {}", q(k), q(v)))
                .collect();
            let _ = writeln!(out, "client:");
            let _ = writeln!(out, "  cluster: {}", q(&c.cluster));
            let _ = writeln!(out, "  namespace: {}", q(&c.namespace));
            let _ = writeln!(out, "  locality: {}", q(&c.locality.to_string()));
            let _ = writeln!(out, "  labels: {{ {} }}", labels.join(", "));
        }
        if !s.request.host.is_empty() {
            let _ = writeln!(out, "request:");
            let _ = writeln!(out, "  host: {}", q(&s.request.host));
            if let Some(port) = s.request.port {
                let _ = writeln!(out, "  port: {port}");
            }
        }
        out
    }
}

fn health_name(h: HealthStatus) -> &'static str {
    match h {
        HealthStatus::Healthy => "HEALTHY",
        HealthStatus::Unhealthy => "UNHEALTHY",
        HealthStatus::Degraded => "DEGRADED",
        HealthStatus::Draining => "DRAINING",
        HealthStatus::Timeout => "TIMEOUT",
        HealthStatus::Unknown => "UNKNOWN",
    }
}

/// The modelled MeshConfig as JSON (flow YAML).
fn mesh_config_json(mc: &MeshConfig) -> String {
    let q = |v: &str| {
        let mut o = String::new();
        crate::tree::json_string(v, &mut o);
        o
    };
    let mut parts = Vec::new();
    if let Some(l) = &mc.locality_lb_setting {
        let mut f = Vec::new();
        if let Some(e) = l.enabled {
            f.push(format!("\"enabled\":{e}"));
        }
        if !l.distribute.is_empty() {
            let d: Vec<String> = l
                .distribute
                .iter()
                .map(|d| {
                    let to: Vec<String> =
                        d.to.iter().map(|(k, w)| format!("{}:{w}", q(k))).collect();
                    format!("{{\"from\":{},\"to\":{{{}}}}}", q(&d.from), to.join(","))
                })
                .collect();
            f.push(format!("\"distribute\":[{}]", d.join(",")));
        }
        if !l.failover.is_empty() {
            let d: Vec<String> = l
                .failover
                .iter()
                .map(|x| format!("{{\"from\":{},\"to\":{}}}", q(&x.from), q(&x.to)))
                .collect();
            f.push(format!("\"failover\":[{}]", d.join(",")));
        }
        if !l.failover_priority.is_empty() {
            let d: Vec<String> = l.failover_priority.iter().map(|x| q(x)).collect();
            f.push(format!("\"failoverPriority\":[{}]", d.join(",")));
        }
        parts.push(format!("\"localityLbSetting\":{{{}}}", f.join(",")));
    }
    if !mc.service_settings.is_empty() {
        let d: Vec<String> = mc
            .service_settings
            .iter()
            .map(|s| {
                let hosts: Vec<String> = s.hosts.iter().map(|h| q(h)).collect();
                format!(
                    "{{\"settings\":{{\"clusterLocal\":{}}},\"hosts\":[{}]}}",
                    s.cluster_local,
                    hosts.join(",")
                )
            })
            .collect();
        parts.push(format!("\"serviceSettings\":[{}]", d.join(",")));
    }
    format!("{{{}}}", parts.join(","))
}

// ---------------------------------------------------------------------------------------------
// The adapters' entry points

/// [`import`] with the CLI's flags applied as `load` applies them to a scenario: `--from`,
/// `--locality`, `--to` (after `--from-pod` and the overlay). What `meshlb import` prints and
/// what `meshlb explain --kube` explains.
///
/// # Errors
/// The [`KubeError`] as the CLI prints it, or a bad flag.
pub fn import_options(options: &crate::Options) -> Result<Imported, String> {
    let kube = KubeOptions {
        overlay: options.overlay.clone(),
        from_pod: options.from_pod.clone(),
    };
    let mut imported = import(&options.kube, &kube).map_err(|e| e.to_string())?;
    crate::input::apply_scenario_flags(&mut imported.scenario, options, &mut imported.notes)?;
    crate::input::apply_failures(&mut imported.scenario, options, &mut imported.notes)?;
    imported
        .notes
        .retain(|n| n.code != NoteCode::NoClient || imported.scenario.client.cluster.is_empty());
    imported
        .notes
        .retain(|n| n.code != NoteCode::NoRequest || imported.scenario.request.host.is_empty());
    Ok(imported)
}

/// `load` for `--kube`: the imported scenario, planned.
pub(crate) fn load(options: &crate::Options) -> Result<crate::Loaded, String> {
    for (option, given) in [
        ("lb-policy", options.lb_policy.is_some()),
        ("panic-threshold", options.panic_threshold.is_some()),
    ] {
        if given {
            return Err(format!(
                "--{option} applies to Envoy input; in a scenario the DestinationRule decides"
            ));
        }
    }
    let imported = import_options(options)?;
    if imported.scenario.client.cluster.is_empty() {
        return Err(
            "the dumps do not say who sends the request: give --from CLUSTER/NAMESPACE or --from-pod CLUSTER/NAMESPACE/POD (or `client` in --overlay)".into(),
        );
    }
    if imported.scenario.request.host.is_empty() {
        return Err(
            "the dumps do not say which host is called: give --to HOST (or `request` in --overlay)"
                .into(),
        );
    }
    let plan = meshlb::mesh::MeshPlan::build(&imported.scenario)
        .map_err(|e| format!("imported scenario: {}: {}", e.path, e.message))?;
    let clusters: Vec<&str> = options.kube.iter().map(|(n, _)| n.as_str()).collect();
    Ok(crate::Loaded {
        title: format!("kubectl dumps of {}: scenario", clusters.join(", ")),
        planned: crate::Planned::Mesh(Box::new(plan)),
        notes: imported.notes,
        scenario: Some(Box::new(imported.scenario)),
        health_check: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_istiod_images() {
        assert_eq!(
            istio_version("docker.io/istio/pilot:1.31.0").as_deref(),
            Some("1.31")
        );
        assert_eq!(
            istio_version("gcr.io/istio-release/pilot:1.30.3-distroless").as_deref(),
            Some("1.30")
        );
        assert_eq!(istio_version("localhost:5000/istio/pilot:1.29.1"), None);
        assert_eq!(istio_version("localhost:5000/istio/pilot"), None);
        assert_eq!(
            istio_version("istio/pilot:1.31.0@sha256:abc").as_deref(),
            Some("1.31")
        );
    }
}
