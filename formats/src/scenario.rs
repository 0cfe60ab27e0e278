//! The meshlb scenario (shared/SCENARIO.md §2), in YAML or JSON (YAML 1.2 reads JSON).
//!
//! meshlb's own sections are strict: an unknown key is an error with a "did you mean" hint.
//! Embedded Istio resources (`config[].resources[]`) take Istio's API as it is, in both of
//! proto3 JSON's spellings (`trafficPolicy` and `traffic_policy`): a field of Istio's API that
//! meshlb does not model is accepted and named in a note (sub-messages meshlb does not model at
//! all, such as `connectionPool`, are accepted with any content); a field Istio's API does not
//! have is an error. Field lists: istio/api `networking/v1alpha3/{destination_rule,
//! virtual_service,service_entry,workload_entry,sidecar}.proto` (v1 and v1beta1 are the same
//! messages), `mesh/v1alpha1/config.proto`.
//!
//! Every error is an [`InputError`] with the path (`workloads[3].cluster`) and the line.

use std::collections::{BTreeMap, BTreeSet};

use meshlb::HealthStatus;
use meshlb::mesh::{
    ClientSpec, ClusterConfig, ClusterSpec, DestinationRule, Distribute, ExternalControlPlane,
    Failover, FederatedImport, GatewaySpec, HttpMatch, HttpRoute, IstioLbPolicy, IstioVersion,
    Labels, LoadBalancerSettings, LocalityLbSetting, MeshConfig, MeshPlan, MeshSpec, Metadata,
    NetworkSpec, OutboundTrafficMode, OutlierDetection, RequestSpec, Resource, RouteDestination,
    Scenario, ScenarioError, ServiceEntry, ServiceEntryPort, ServiceSettings, ServiceSpec, Sidecar,
    SidecarEgress, StringMatch, Subset, TlsMode, TrafficPolicy, VirtualService, WorkloadEntry,
    WorkloadEntrySpec, WorkloadSpec,
};

use crate::error::InputError;
use crate::names::enum_hint;
use crate::object::{self, Fields, Misread, Shape, Spelling};
use crate::path::{At, Path, Segment};
use crate::tree::{self, Node, Value};

/// Most workloads a scenario may list: more is refused with a clear error.
pub const MAX_WORKLOADS: usize = 1_000_000;

/// A parsed scenario and what meshlb noticed while reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioInput {
    /// The scenario, with shared/SCENARIO.md's defaults filled in.
    pub scenario: Scenario,
    /// Fields accepted but not modelled, deprecated spellings, and other remarks.
    pub notes: Vec<String>,
}

impl ScenarioInput {
    /// Validates the scenario and builds its plan ([`MeshPlan::build`]).
    ///
    /// # Errors
    /// The [`ScenarioError`] of core validation as an [`InputError`] with the same path and the
    /// line of that path in `text` (the document this input was parsed from).
    pub fn plan(&self, text: &str) -> Result<MeshPlan, InputError> {
        MeshPlan::build(&self.scenario).map_err(|e| self.locate(text, &e))
    }

    /// A [`ScenarioError`] as an [`InputError`]: the same path, and the line in `text` of that
    /// path (or of its longest prefix the document has: a missing field is reported where its
    /// parent is).
    #[must_use]
    pub fn locate(&self, text: &str, error: &ScenarioError) -> InputError {
        InputError::at(&core_path(&error.path), error.message.clone()).with_line_from(text)
    }
}

/// `config[0].resources[1].spec.host` as a [`Path`].
fn core_path(text: &str) -> Path {
    let mut segments = Vec::new();
    for part in text.split('.').filter(|p| !p.is_empty()) {
        let (name, mut rest) = part.find('[').map_or((part, ""), |i| part.split_at(i));
        if !name.is_empty() {
            segments.push(Segment::Key(name.to_owned()));
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let Some(end) = inner.find(']') else { break };
            let (index, tail) = inner.split_at(end);
            match index.parse() {
                Ok(i) => segments.push(Segment::Index(i)),
                Err(_) => segments.push(Segment::Key(format!("[{index}]"))),
            }
            rest = tail.get(1..).unwrap_or("");
        }
    }
    Path(segments)
}

/// Whether `text` looks like a meshlb scenario: a top-level mapping with `clusters` or
/// `workloads` (YAML or JSON).
#[must_use]
pub fn looks_like_scenario(text: &str) -> bool {
    tree::top_level_has(text, &["clusters", "workloads"])
}

/// Parses a meshlb scenario (YAML or JSON).
///
/// # Errors
/// An [`InputError`] naming the path and line: malformed YAML, several documents, a duplicate
/// key, an unknown field (with a hint), a value of the wrong type or out of range (port 0,
/// weight 0, a locality of more than three parts, an unknown health or Istio version), an
/// unsupported Istio kind, input over [`crate::MAX_INPUT_BYTES`] or over [`MAX_WORKLOADS`] workloads.
/// References between parts (an unknown cluster, ...) are checked by [`ScenarioInput::plan`].
pub fn parse_scenario(text: &str) -> Result<ScenarioInput, InputError> {
    crate::check_size("the input", text.len() as u64)
        .map_err(|message| InputError::at(&Path::root(), message))?;
    let root = tree::load(text)?;
    let mut parser = Parser::new(text);
    let scenario = parser.scenario(&root)?;
    Ok(ScenarioInput {
        scenario,
        notes: parser.finish_notes(),
    })
}

/// What reading one Istio resource or one MeshConfig outside a scenario gave: the value, the
/// patterns of accepted but unmodelled fields, and other notes.
#[cfg(feature = "kube")]
pub(crate) type Read<T> = (T, BTreeSet<String>, Vec<String>);

/// Reads one Istio resource (a `kubectl` dump's object, at the document root or at
/// `items[item]` of a `List`) with the scenario's reader: Istio's API, the same checks and
/// messages, paths from the document root. `text` is the document the node was read from.
///
/// # Errors
/// As [`parse_scenario`] for `config[].resources[]`.
#[cfg(feature = "kube")]
pub(crate) fn istio_resource(
    text: &str,
    node: &Node,
    item: Option<usize>,
) -> Result<Read<Resource>, InputError> {
    let mut parser = Parser::new(text);
    let root = At::Root;
    let items = root.key("items");
    let at = match item {
        Some(i) => items.index(i),
        None => At::Root,
    };
    let resource = parser.resource(node, &at)?;
    let notes = std::mem::take(&mut parser.notes);
    Ok((resource, parser.ignored, notes))
}

/// Reads a MeshConfig (the `istio` ConfigMap's `data.mesh`, already loaded from its text) with
/// the scenario's `meshConfig` reader.
///
/// # Errors
/// As [`parse_scenario`] for `clusters[].meshConfig`.
#[cfg(feature = "kube")]
pub(crate) fn mesh_config(text: &str, node: &Node) -> Result<Read<MeshConfig>, InputError> {
    let mut parser = Parser::new(text);
    let config = parser.mesh_config(node, &At::Root)?;
    let notes = std::mem::take(&mut parser.notes);
    Ok((config, parser.ignored, notes))
}

const fn own(what: &'static str, modelled: &'static [&'static str]) -> Shape<'static> {
    Shape::own(what, modelled)
}

const fn istio(
    what: &'static str,
    modelled: &'static [&'static str],
    unmodelled: &'static [&'static str],
) -> Shape<'static> {
    Shape::proto(what, modelled, unmodelled)
}

const SCENARIO: Shape<'static> = own(
    "the scenario",
    &[
        "istioVersion",
        "meshes",
        "externalControlPlanes",
        "clusters",
        "networks",
        "services",
        "workloads",
        "config",
        "client",
        "request",
    ],
);
const MESH: Shape<'static> = own("a mesh", &["id", "trustDomain", "trustBundles", "imports"]);
const IMPORT: Shape<'static> = own("a federated import", &["mesh", "service"]);
const EXTERNAL_CP: Shape<'static> = own(
    "an external control plane",
    &["name", "configCluster", "remoteSecrets"],
);
const CLUSTER: Shape<'static> = own(
    "a cluster",
    &[
        "name",
        "mesh",
        "network",
        "controlPlane",
        "remoteSecrets",
        "dnsProxy",
        "meshConfig",
    ],
);
const MESH_CONFIG: Shape<'static> = istio(
    "MeshConfig",
    &[
        "localityLbSetting",
        "serviceSettings",
        "outboundTrafficPolicy",
        "rootNamespace",
    ],
    &[
        "proxyListenPort",
        "proxyInboundListenPort",
        "proxyHttpPort",
        "connectTimeout",
        "hboneIdleTimeout",
        "protocolDetectionTimeout",
        "tcpKeepalive",
        "ingressClass",
        "ingressService",
        "ingressControllerMode",
        "ingressSelector",
        "enableTracing",
        "accessLogFile",
        "accessLogFormat",
        "accessLogEncoding",
        "enableEnvoyAccessLogService",
        "disableEnvoyListenerLog",
        "defaultConfig",
        "inboundTrafficPolicy",
        "configSources",
        "enableAutoMtls",
        "trustDomain",
        "trustDomainAliases",
        "caCertificates",
        "defaultServiceExportTo",
        "defaultVirtualServiceExportTo",
        "defaultDestinationRuleExportTo",
        "zoneAwareLbSetting",
        "dnsRefreshRate",
        "h2UpgradePolicy",
        "inboundClusterStatName",
        "outboundClusterStatName",
        "certificates",
        "serviceScopeConfigs",
        "enablePrometheusMerge",
        "verifyCertificateAtClient",
        "ca",
        "extensionProviders",
        "defaultProviders",
        "discoverySelectors",
        "pathNormalization",
        "defaultHttpRetryPolicy",
        "defaultInboundHttpRetryPolicy",
        "meshMTLS",
        "tlsDefaults",
        "defaultTrafficPolicy",
        "serviceEntryVisibility",
    ],
);
const SERVICE_SETTINGS: Shape<'static> =
    istio("MeshConfig.ServiceSettings", &["settings", "hosts"], &[]);
const SETTINGS: Shape<'static> = istio(
    "MeshConfig.ServiceSettings.Settings",
    &["clusterLocal"],
    &[],
);
const NETWORK: Shape<'static> = own("a network", &["name", "gateways"]);
const GATEWAY: Shape<'static> = own("a gateway", &["address", "port", "cluster"]);
const SERVICE: Shape<'static> = own(
    "a Service",
    &[
        "name",
        "namespace",
        "clusters",
        "ports",
        "exportTo",
        "trafficDistribution",
    ],
);
const WORKLOAD: Shape<'static> = own(
    "a workload",
    &[
        "service",
        "cluster",
        "address",
        "port",
        "locality",
        "network",
        "labels",
        "health",
        "weight",
        "sidecar",
        "terminating",
    ],
);
const CONFIG: Shape<'static> = own("a cluster's config", &["cluster", "resources"]);
const CLIENT: Shape<'static> = own(
    "the client",
    &["cluster", "namespace", "locality", "labels"],
);
const REQUEST: Shape<'static> = own(
    "the request",
    &["host", "port", "headers", "path", "method"],
);

const RESOURCE: Shape<'static> = Shape {
    what: "an Istio resource",
    modelled: &["apiVersion", "kind", "metadata", "spec"],
    unmodelled: &["status"],
    spelling: Spelling::Exact,
};
const METADATA: Shape<'static> = Shape {
    what: "ObjectMeta",
    modelled: &["name", "namespace"],
    unmodelled: &[
        "generateName",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    ],
    spelling: Spelling::Exact,
};
const DESTINATION_RULE: Shape<'static> = istio(
    "DestinationRule",
    &["host", "trafficPolicy", "subsets", "exportTo"],
    &["workloadSelector"],
);
const TRAFFIC_POLICY: Shape<'static> = istio(
    "TrafficPolicy",
    &[
        "loadBalancer",
        "outlierDetection",
        "tls",
        "portLevelSettings",
    ],
    &["connectionPool", "tunnel", "proxyProtocol", "retryBudget"],
);
const PORT_POLICY: Shape<'static> = istio(
    "TrafficPolicy.PortTrafficPolicy",
    &["port", "loadBalancer", "outlierDetection", "tls"],
    &["connectionPool"],
);
const PORT_SELECTOR: Shape<'static> = istio("PortSelector", &["number"], &[]);
const LOAD_BALANCER: Shape<'static> = istio(
    "LoadBalancerSettings",
    &["simple", "consistentHash", "localityLbSetting"],
    &["zoneAwareLbSetting", "warmupDurationSecs", "warmup"],
);
const CONSISTENT_HASH: Shape<'static> = istio(
    "LoadBalancerSettings.ConsistentHashLB",
    &["ringHash", "maglev", "minimumRingSize"],
    &[
        "httpHeaderName",
        "httpCookie",
        "useSourceIp",
        "httpQueryParameterName",
    ],
);
const RING_HASH: Shape<'static> = istio("ConsistentHashLB.RingHash", &["minimumRingSize"], &[]);
const MAGLEV: Shape<'static> = istio("ConsistentHashLB.MagLev", &["tableSize"], &[]);
const LOCALITY_LB: Shape<'static> = istio(
    "LocalityLoadBalancerSetting",
    &["distribute", "failover", "failoverPriority", "enabled"],
    &[],
);
const DISTRIBUTE: Shape<'static> = istio(
    "LocalityLoadBalancerSetting.Distribute",
    &["from", "to"],
    &[],
);
const FAILOVER: Shape<'static> =
    istio("LocalityLoadBalancerSetting.Failover", &["from", "to"], &[]);
const OUTLIER: Shape<'static> = istio(
    "OutlierDetection",
    &["minHealthPercent"],
    &[
        "consecutiveErrors",
        "splitExternalLocalOriginErrors",
        "consecutiveLocalOriginFailures",
        "consecutiveGatewayErrors",
        "consecutive5xxErrors",
        "interval",
        "baseEjectionTime",
        "maxEjectionPercent",
        "outlierDetectionHttpErrorCodes",
    ],
);
const TLS: Shape<'static> = istio(
    "ClientTLSSettings",
    &["mode"],
    &[
        "clientCertificate",
        "privateKey",
        "caCertificates",
        "credentialName",
        "subjectAltNames",
        "sni",
        "insecureSkipVerify",
        "caCrl",
    ],
);
const SUBSET: Shape<'static> = istio("Subset", &["name", "labels", "trafficPolicy"], &[]);
const VIRTUAL_SERVICE: Shape<'static> = istio(
    "VirtualService",
    &["hosts", "http", "exportTo", "gateways"],
    &["tls", "tcp"],
);
const HTTP_MATCH: Shape<'static> = istio(
    "HTTPMatchRequest",
    &[
        "name",
        "uri",
        "method",
        "headers",
        "port",
        "sourceLabels",
        "gateways",
        "queryParams",
        "ignoreUriCase",
        "withoutHeaders",
        "sourceNamespace",
    ],
    &["scheme", "authority", "statPrefix"],
);
const STRING_MATCH: Shape<'static> = istio("StringMatch", &["exact", "prefix", "regex"], &[]);
const SIDECAR: Shape<'static> = istio(
    "Sidecar",
    &["workloadSelector", "egress", "outboundTrafficPolicy"],
    &["ingress", "inboundConnectionPool"],
);
const EGRESS_LISTENER: Shape<'static> = istio(
    "IstioEgressListener",
    &["port", "hosts"],
    &["bind", "captureMode"],
);
const SIDECAR_PORT: Shape<'static> = istio(
    "SidecarPort",
    &["number", "protocol"],
    &["name", "targetPort"],
);
const OUTBOUND_POLICY: Shape<'static> = istio("OutboundTrafficPolicy", &["mode"], &["egressProxy"]);
const MESH_OUTBOUND_POLICY: Shape<'static> =
    istio("MeshConfig.OutboundTrafficPolicy", &["mode"], &[]);
const HTTP_ROUTE: Shape<'static> = istio(
    "HTTPRoute",
    &["name", "match", "route"],
    &[
        "redirect",
        "directResponse",
        "delegate",
        "rewrite",
        "timeout",
        "retries",
        "fault",
        "mirror",
        "mirrors",
        "mirrorPercent",
        "mirrorPercentage",
        "corsPolicy",
        "headers",
    ],
);
const ROUTE_DESTINATION: Shape<'static> = istio(
    "HTTPRouteDestination",
    &["destination", "weight"],
    &["headers"],
);
const DESTINATION: Shape<'static> = istio("Destination", &["host", "subset", "port"], &[]);
const SERVICE_ENTRY: Shape<'static> = istio(
    "ServiceEntry",
    &[
        "hosts",
        "ports",
        "location",
        "resolution",
        "endpoints",
        "workloadSelector",
        "exportTo",
    ],
    &["addresses", "subjectAltNames"],
);
const SERVICE_PORT: Shape<'static> = istio(
    "ServicePort",
    &["number", "name", "targetPort"],
    &["protocol"],
);
const WORKLOAD_SELECTOR: Shape<'static> = istio("WorkloadSelector", &["labels"], &[]);
const WORKLOAD_ENTRY: Shape<'static> = istio(
    "WorkloadEntry",
    &[
        "address", "ports", "labels", "network", "locality", "weight",
    ],
    &["serviceAccount"],
);

const API_VERSIONS: &[&str] = &[
    "networking.istio.io/v1",
    "networking.istio.io/v1beta1",
    "networking.istio.io/v1alpha3",
];
const KINDS: &str = "DestinationRule, VirtualService, ServiceEntry, WorkloadEntry, Sidecar";

/// Health values of a workload, as written.
const HEALTH: &[(&str, HealthStatus)] = &[
    ("HEALTHY", HealthStatus::Healthy),
    ("UNHEALTHY", HealthStatus::Unhealthy),
    ("DEGRADED", HealthStatus::Degraded),
    ("DRAINING", HealthStatus::Draining),
    ("TIMEOUT", HealthStatus::Timeout),
    ("UNKNOWN", HealthStatus::Unknown),
];

/// An error at `at`, on `line`.
fn fail(at: &At<'_>, line: usize, message: impl Into<String>) -> InputError {
    InputError {
        path: at.path(),
        line: Some(line),
        message: message.into(),
    }
}

/// Reads the tree into the model, collecting notes.
struct Parser<'t> {
    text: &'t str,
    /// Patterns (`config[].resources[].spec.trafficPolicy.connectionPool`) of fields accepted
    /// but not modelled.
    ignored: BTreeSet<String>,
    notes: Vec<String>,
}

impl<'t> Parser<'t> {
    fn new(text: &'t str) -> Self {
        Parser {
            text,
            ignored: BTreeSet::new(),
            notes: Vec::new(),
        }
    }

    fn finish_notes(&mut self) -> Vec<String> {
        let mut notes = std::mem::take(&mut self.notes);
        notes.extend(crate::names::not_modelled_note(&self.ignored));
        notes
    }

    /// The text of a value as written (for messages).
    fn raw(&self, node: &Node) -> String {
        tree::raw(self.text, node.span).trim().to_string()
    }

    /// A value for a message: `9080`, `"east"`, `a list`.
    fn describe(&self, node: &Node) -> String {
        match &node.value {
            Value::Str(s) => format!("{s:?}"),
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Float(_) => self.raw(node),
            _ => node.kind().to_string(),
        }
    }

    fn object<'n>(
        &mut self,
        node: &'n Node,
        at: &At<'_>,
        shape: &Shape<'_>,
    ) -> Result<Fields<'n>, InputError> {
        let ignored = &mut self.ignored;
        object::read(node, shape, |_, key, _| {
            ignored.insert(at.key(key).path().pattern());
        })
        .map_err(|e| match e {
            Misread::NotAMapping => fail(
                at,
                node.line,
                format!("expected a mapping ({}), found {}", shape.what, node.kind()),
            ),
            Misread::Key(key, line, message) => fail(&at.key(key), line, message),
        })
    }

    /// A required field.
    fn require<'n>(
        f: &Fields<'n>,
        name: &str,
        at: &At<'_>,
        what: &str,
    ) -> Result<(&'n str, &'n Node), InputError> {
        f.get(name)
            .ok_or_else(|| fail(at, f.node.line, format!("missing field `{name}` ({what})")))
    }

    fn string(&self, node: &Node, at: &At<'_>) -> Result<String, InputError> {
        match &node.value {
            Value::Str(s) => Ok(s.clone()),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                let raw = self.raw(node);
                Err(fail(
                    at,
                    node.line,
                    format!(
                        "expected a string, found {} ({raw}); quote it: \"{raw}\"",
                        node.kind()
                    ),
                ))
            }
            _ => Err(fail(
                at,
                node.line,
                format!("expected a string, found {}", node.kind()),
            )),
        }
    }

    /// An optional string field ("" when absent).
    fn str_field(&self, f: &Fields<'_>, name: &str, at: &At<'_>) -> Result<String, InputError> {
        match f.get(name) {
            Some((key, node)) => self.string(node, &at.key(key)),
            None => Ok(String::new()),
        }
    }

    fn opt_str_field(
        &self,
        f: &Fields<'_>,
        name: &str,
        at: &At<'_>,
    ) -> Result<Option<String>, InputError> {
        f.get(name)
            .map(|(key, node)| self.string(node, &at.key(key)))
            .transpose()
    }

    fn boolean(&self, node: &Node, at: &At<'_>) -> Result<bool, InputError> {
        match node.value {
            Value::Bool(b) => Ok(b),
            _ => Err(fail(
                at,
                node.line,
                format!("expected true or false, found {}", self.describe(node)),
            )),
        }
    }

    fn bool_field(
        &self,
        f: &Fields<'_>,
        name: &str,
        at: &At<'_>,
    ) -> Result<Option<bool>, InputError> {
        f.get(name)
            .map(|(key, node)| self.boolean(node, &at.key(key)))
            .transpose()
    }

    /// An integer in `min..=max`. In Istio's sections (`proto`), a decimal string too, as
    /// proto3 JSON allows.
    fn integer(
        &self,
        node: &Node,
        at: &At<'_>,
        proto: bool,
        min: i128,
        max: i128,
    ) -> Result<i128, InputError> {
        let n = match &node.value {
            Value::Int(i) => Some(i128::from(*i)),
            Value::Str(s) if proto => s.trim().parse::<i128>().ok(),
            Value::Float(f) if proto && f.fract() == 0.0 && f.abs() < 1e30 => Some(*f as i128),
            _ => None,
        };
        match n {
            Some(n) if (min..=max).contains(&n) => Ok(n),
            Some(n) => Err(fail(
                at,
                node.line,
                format!("{n} is out of range ({min}..{max})"),
            )),
            None => Err(fail(
                at,
                node.line,
                format!("expected an integer, found {}", self.describe(node)),
            )),
        }
    }

    fn uint(&self, node: &Node, at: &At<'_>, proto: bool, max: u64) -> Result<u64, InputError> {
        // The range keeps the value within u64.
        self.integer(node, at, proto, 0, i128::from(max))
            .map(|n| u64::try_from(n).unwrap_or(max))
    }

    /// A port, 1..=65535.
    fn port(&self, node: &Node, at: &At<'_>, proto: bool) -> Result<u16, InputError> {
        let n = self.integer(node, at, proto, i128::MIN, i128::MAX)?;
        u16::try_from(n).ok().filter(|p| *p != 0).ok_or_else(|| {
            fail(
                at,
                node.line,
                format!("port must be between 1 and 65535 (got {n})"),
            )
        })
    }

    fn list<'n>(&self, node: &'n Node, at: &At<'_>) -> Result<&'n [Node], InputError> {
        match &node.value {
            Value::Seq(items) => Ok(items),
            Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                let raw = self.raw(node);
                Err(fail(
                    at,
                    node.line,
                    format!(
                        "expected a list, found {} ({raw}); write [{raw}]",
                        node.kind()
                    ),
                ))
            }
            _ => Err(fail(
                at,
                node.line,
                format!("expected a list, found {}", node.kind()),
            )),
        }
    }

    /// The items of a list field, with their paths' key as written (empty when absent).
    fn items<'n>(
        &self,
        f: &Fields<'n>,
        name: &str,
        at: &At<'_>,
    ) -> Result<(&'n str, &'n [Node]), InputError> {
        match f.get(name) {
            Some((key, node)) => Ok((key, self.list(node, &at.key(key))?)),
            None => Ok(("", &[])),
        }
    }

    fn strings(&self, f: &Fields<'_>, name: &str, at: &At<'_>) -> Result<Vec<String>, InputError> {
        let (key, items) = self.items(f, name, at)?;
        let at = at.key(key);
        items
            .iter()
            .enumerate()
            .map(|(i, n)| self.string(n, &at.index(i)))
            .collect()
    }

    /// Kubernetes labels: a mapping of strings to strings.
    fn labels(&self, node: &Node, at: &At<'_>) -> Result<Labels, InputError> {
        let Value::Map(entries) = &node.value else {
            return Err(fail(
                at,
                node.line,
                format!("expected a mapping of labels, found {}", node.kind()),
            ));
        };
        let mut labels = Labels::new();
        for (key, value) in entries {
            let at = at.key(key);
            let v = match &value.value {
                Value::Str(s) => s.clone(),
                Value::Null => {
                    return Err(fail(
                        &at,
                        value.line,
                        "label values are strings; write \"\" for an empty value",
                    ));
                }
                Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                    return Err(fail(
                        &at,
                        value.line,
                        format!("label values are strings; quote {}", self.raw(value)),
                    ));
                }
                _ => {
                    return Err(fail(
                        &at,
                        value.line,
                        format!("label values are strings, found {}", value.kind()),
                    ));
                }
            };
            labels.insert(key.clone(), v);
        }
        Ok(labels)
    }

    fn labels_field(&self, f: &Fields<'_>, name: &str, at: &At<'_>) -> Result<Labels, InputError> {
        f.get(name).map_or_else(
            || Ok(Labels::new()),
            |(key, node)| self.labels(node, &at.key(key)),
        )
    }

    /// An optional field read by `read` (`None` when absent).
    fn opt<T>(
        &mut self,
        f: &Fields<'_>,
        name: &str,
        at: &At<'_>,
        read: impl FnOnce(&mut Self, &Node, &At<'_>) -> Result<T, InputError>,
    ) -> Result<Option<T>, InputError> {
        f.get(name)
            .map(|(key, node)| read(self, node, &at.key(key)))
            .transpose()
    }

    /// The items of a list field, each read by `read` (empty when absent).
    fn each<T>(
        &mut self,
        f: &Fields<'_>,
        name: &str,
        at: &At<'_>,
        mut read: impl FnMut(&mut Self, &Node, &At<'_>) -> Result<T, InputError>,
    ) -> Result<Vec<T>, InputError> {
        let (key, items) = self.items(f, name, at)?;
        let list_at = at.key(key);
        items
            .iter()
            .enumerate()
            .map(|(i, node)| read(self, node, &list_at.index(i)))
            .collect()
    }

    /// An optional port field (Istio's sections: `proto`).
    fn opt_port(
        &self,
        f: &Fields<'_>,
        name: &str,
        at: &At<'_>,
        proto: bool,
    ) -> Result<Option<u16>, InputError> {
        f.get(name)
            .map(|(key, node)| self.port(node, &at.key(key), proto))
            .transpose()
    }

    /// An optional proto `int32` field.
    fn opt_i32(&self, f: &Fields<'_>, name: &str, at: &At<'_>) -> Result<Option<i32>, InputError> {
        f.get(name)
            .map(|(key, node)| {
                let min = i128::from(i32::MIN);
                let max = i128::from(i32::MAX);
                self.integer(node, &at.key(key), true, min, max)
                    .map(|n| i32::try_from(n).unwrap_or_default())
            })
            .transpose()
    }

    /// An optional locality field (the empty locality when absent).
    fn locality_field(
        &self,
        f: &Fields<'_>,
        name: &str,
        at: &At<'_>,
    ) -> Result<meshlb::Locality, InputError> {
        f.get(name).map_or_else(
            || Ok(meshlb::Locality::default()),
            |(key, node)| self.locality(node, &at.key(key)),
        )
    }

    fn locality(&self, node: &Node, at: &At<'_>) -> Result<meshlb::Locality, InputError> {
        let s = self.string(node, at)?;
        meshlb::mesh::parse_locality(&s).map_err(|e| fail(at, node.line, e))
    }

    /// An enum given by name (or, in Istio's sections, by number).
    fn enumeration(
        &self,
        node: &Node,
        at: &At<'_>,
        names: &[(&str, i64)],
        proto: bool,
    ) -> Result<i64, InputError> {
        let expected = || names.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
        match &node.value {
            Value::Str(s) => names
                .iter()
                .find(|(n, _)| n == s)
                .map(|(_, v)| *v)
                .ok_or_else(|| {
                    let hint = enum_hint(names, s, true);
                    fail(
                        at,
                        node.line,
                        format!("unknown value {s:?} (expected one of {}){hint}", expected()),
                    )
                }),
            Value::Int(i) if proto => names
                .iter()
                .find(|(_, v)| v == i)
                .map(|(_, v)| *v)
                .ok_or_else(|| {
                    fail(
                        at,
                        node.line,
                        format!("unknown enum number {i} (expected one of {})", expected()),
                    )
                }),
            _ => Err(fail(
                at,
                node.line,
                format!(
                    "expected one of {}, found {}",
                    expected(),
                    self.describe(node)
                ),
            )),
        }
    }

    // ---- meshlb's sections ----

    fn scenario(&mut self, root: &Node) -> Result<Scenario, InputError> {
        let at = At::Root;
        if !matches!(root.value, Value::Map(_)) {
            return Err(fail(
                &at,
                root.line,
                format!(
                    "a meshlb scenario is a mapping (clusters, services, workloads, config, client, request), found {}",
                    root.kind()
                ),
            ));
        }
        let f = self.object(root, &at, &SCENARIO)?;
        let mut s = Scenario::default();
        if let Some((key, node)) = f.get("istioVersion") {
            let at = at.key(key);
            let version = match &node.value {
                Value::Str(v) => v.clone(),
                // `istioVersion: 1.30` unquoted is the number 1.3: read it as written.
                Value::Float(_) | Value::Int(_) => self.raw(node),
                _ => {
                    return Err(fail(
                        &at,
                        node.line,
                        format!("expected a string, found {}", node.kind()),
                    ));
                }
            };
            s.istio_version = match version.as_str() {
                "1.31" => IstioVersion::V1_31,
                "1.30" => IstioVersion::V1_30,
                other => {
                    return Err(fail(
                        &at,
                        node.line,
                        format!(
                            "istioVersion {other:?} is not supported: meshlb models Istio \"1.31\" (the default) and \"1.30\""
                        ),
                    ));
                }
            };
        }
        s.meshes = self.each(&f, "meshes", &at, Self::mesh)?;
        s.external_control_planes =
            self.each(&f, "externalControlPlanes", &at, |this, node, at| {
                let f = this.object(node, at, &EXTERNAL_CP)?;
                Ok(ExternalControlPlane {
                    name: this.str_field(&f, "name", at)?,
                    config_cluster: this.str_field(&f, "configCluster", at)?,
                    remote_secrets: this.strings(&f, "remoteSecrets", at)?,
                })
            })?;
        s.clusters = self.each(&f, "clusters", &at, Self::cluster)?;
        s.networks = self.each(&f, "networks", &at, Self::network)?;
        s.services = self.each(&f, "services", &at, Self::service)?;
        let (key, items) = self.items(&f, "workloads", &at)?;
        let list_at = at.key(key);
        if items.len() > MAX_WORKLOADS {
            let line = f.get("workloads").map_or(root.line, |(_, n)| n.line);
            return Err(fail(
                &list_at,
                line,
                format!(
                    "{} workloads: meshlb reads at most {MAX_WORKLOADS} in one scenario",
                    items.len()
                ),
            ));
        }
        s.workloads.reserve(items.len());
        for (i, node) in items.iter().enumerate() {
            s.workloads.push(self.workload(node, &list_at.index(i))?);
        }
        s.config = self.each(&f, "config", &at, Self::cluster_config)?;
        if let Some((key, node)) = f.get("client") {
            let at = at.key(key);
            let f = self.object(node, &at, &CLIENT)?;
            s.client = ClientSpec {
                cluster: self.str_field(&f, "cluster", &at)?,
                namespace: self.str_field(&f, "namespace", &at)?,
                locality: self.locality_field(&f, "locality", &at)?,
                labels: self.labels_field(&f, "labels", &at)?,
            };
        }
        if let Some((key, node)) = f.get("request") {
            let at = at.key(key);
            let f = self.object(node, &at, &REQUEST)?;
            let headers = match f.get("headers") {
                // HTTP header names are case-insensitive: kept in lower case, as Envoy does.
                Some((key, node)) => self
                    .labels(node, &at.key(key))?
                    .into_iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v))
                    .collect(),
                None => Labels::new(),
            };
            s.request = RequestSpec {
                host: self.str_field(&f, "host", &at)?,
                port: self.opt_port(&f, "port", &at, false)?,
                headers,
                path: self.opt_str_field(&f, "path", &at)?,
                method: self.opt_str_field(&f, "method", &at)?,
            };
        }
        Ok(s)
    }

    fn mesh(&mut self, node: &Node, at: &At<'_>) -> Result<MeshSpec, InputError> {
        let f = self.object(node, at, &MESH)?;
        let imports = self.each(&f, "imports", at, |this, node, at| {
            let f = this.object(node, at, &IMPORT)?;
            Ok(FederatedImport {
                mesh: this.str_field(&f, "mesh", at)?,
                service: this.str_field(&f, "service", at)?,
            })
        })?;
        Ok(MeshSpec {
            id: self.str_field(&f, "id", at)?,
            trust_domain: self
                .opt_str_field(&f, "trustDomain", at)?
                .unwrap_or_else(|| meshlb::mesh::DEFAULT_TRUST_DOMAIN.into()),
            trust_bundles: self.strings(&f, "trustBundles", at)?,
            imports,
        })
    }

    fn cluster(&mut self, node: &Node, at: &At<'_>) -> Result<ClusterSpec, InputError> {
        let f = self.object(node, at, &CLUSTER)?;
        let name = self.str_field(&f, "name", at)?;
        let control_plane = self
            .opt_str_field(&f, "controlPlane", at)?
            .unwrap_or_else(|| name.clone());
        let mesh_config = self.opt(&f, "meshConfig", at, Self::mesh_config)?;
        Ok(ClusterSpec {
            mesh: self.str_field(&f, "mesh", at)?,
            network: self.str_field(&f, "network", at)?,
            control_plane,
            remote_secrets: self.strings(&f, "remoteSecrets", at)?,
            dns_proxy: self.bool_field(&f, "dnsProxy", at)?.unwrap_or(false),
            mesh_config,
            name,
        })
    }

    fn mesh_config(&mut self, node: &Node, at: &At<'_>) -> Result<MeshConfig, InputError> {
        let f = self.object(node, at, &MESH_CONFIG)?;
        let locality_lb_setting = self.opt(&f, "localityLbSetting", at, Self::locality_lb)?;
        let service_settings = self.each(&f, "serviceSettings", at, |this, node, at| {
            let f = this.object(node, at, &SERVICE_SETTINGS)?;
            let cluster_local = match f.get("settings") {
                Some((key, node)) => {
                    let at = at.key(key);
                    let s = this.object(node, &at, &SETTINGS)?;
                    this.bool_field(&s, "clusterLocal", &at)?.unwrap_or(false)
                }
                None => false,
            };
            Ok(ServiceSettings {
                cluster_local,
                hosts: this.strings(&f, "hosts", at)?,
            })
        })?;
        // An unset `mode` is the default MeshConfig's ALLOW_ANY (`pkg/config/mesh/mesh.go`).
        let outbound_traffic_policy =
            self.outbound_policy(&f, at, &MESH_OUTBOUND_POLICY, OutboundTrafficMode::AllowAny)?;
        Ok(MeshConfig {
            locality_lb_setting,
            service_settings,
            outbound_traffic_policy,
            root_namespace: self.opt_str_field(&f, "rootNamespace", at)?,
        })
    }

    fn network(&mut self, node: &Node, at: &At<'_>) -> Result<NetworkSpec, InputError> {
        let f = self.object(node, at, &NETWORK)?;
        let gateways = self.each(&f, "gateways", at, |this, node, at| {
            let g = this.object(node, at, &GATEWAY)?;
            Ok(GatewaySpec {
                address: this.str_field(&g, "address", at)?,
                port: match g.get("port") {
                    Some((key, node)) => this.port(node, &at.key(key), false)?,
                    None => meshlb::mesh::DEFAULT_GATEWAY_PORT,
                },
                cluster: this.str_field(&g, "cluster", at)?,
                failed: false,
            })
        })?;
        Ok(NetworkSpec {
            name: self.str_field(&f, "name", at)?,
            gateways,
        })
    }

    fn service(&mut self, node: &Node, at: &At<'_>) -> Result<ServiceSpec, InputError> {
        let f = self.object(node, at, &SERVICE)?;
        let (key, items) = self.items(&f, "ports", at)?;
        let ports_at = at.key(key);
        let ports = items
            .iter()
            .enumerate()
            .map(|(i, n)| self.port(n, &ports_at.index(i), false))
            .collect::<Result<_, _>>()?;
        Ok(ServiceSpec {
            name: self.str_field(&f, "name", at)?,
            namespace: self.str_field(&f, "namespace", at)?,
            clusters: self.strings(&f, "clusters", at)?,
            ports,
            export_to: self.strings(&f, "exportTo", at)?,
            traffic_distribution: self.opt_str_field(&f, "trafficDistribution", at)?,
        })
    }

    fn workload(&mut self, node: &Node, at: &At<'_>) -> Result<WorkloadSpec, InputError> {
        let f = self.object(node, at, &WORKLOAD)?;
        let (key, service) = Self::require(&f, "service", at, "<name>.<namespace> of a Service")?;
        let service = self.string(service, &at.key(key))?;
        let (key, cluster) = Self::require(&f, "cluster", at, "the cluster it runs in")?;
        let cluster = self.string(cluster, &at.key(key))?;
        let (key, address) = Self::require(&f, "address", at, "its IP address")?;
        let address = self.string(address, &at.key(key))?;
        let (key, port) = Self::require(&f, "port", at, "1..65535")?;
        let port = self.port(port, &at.key(key), false)?;
        let health = match f.get("health") {
            Some((key, node)) => {
                let at = at.key(key);
                let names: Vec<(&str, i64)> =
                    HEALTH.iter().zip(0..).map(|((n, _), i)| (*n, i)).collect();
                let i = self.enumeration(node, &at, &names, false)?;
                HEALTH
                    .iter()
                    .zip(0..)
                    .find(|(_, j)| *j == i)
                    .map_or(HealthStatus::Healthy, |((_, h), _)| *h)
            }
            None => WorkloadSpec::default().health,
        };
        let weight = match f.get("weight") {
            Some((key, node)) => {
                let at = at.key(key);
                if node.value == Value::Int(0) {
                    return Err(fail(
                        &at,
                        node.line,
                        "weight must be at least 1 (0 is not a weight Envoy accepts)",
                    ));
                }
                let w = self.integer(node, &at, false, 1, i128::from(u32::MAX))?;
                u32::try_from(w).unwrap_or(u32::MAX)
            }
            None => WorkloadSpec::default().weight,
        };
        Ok(WorkloadSpec {
            service,
            cluster,
            address,
            port,
            locality: self.locality_field(&f, "locality", at)?,
            network: self.opt_str_field(&f, "network", at)?,
            labels: self.labels_field(&f, "labels", at)?,
            health,
            terminating: self.bool_field(&f, "terminating", at)?.unwrap_or(false),
            weight,
            sidecar: self
                .bool_field(&f, "sidecar", at)?
                .unwrap_or(WorkloadSpec::default().sidecar),
        })
    }

    fn cluster_config(&mut self, node: &Node, at: &At<'_>) -> Result<ClusterConfig, InputError> {
        let f = self.object(node, at, &CONFIG)?;
        let resources = self.each(&f, "resources", at, Self::resource)?;
        Ok(ClusterConfig {
            cluster: self.str_field(&f, "cluster", at)?,
            resources,
        })
    }

    // ---- Istio resources ----

    fn resource(&mut self, node: &Node, at: &At<'_>) -> Result<Resource, InputError> {
        let f = self.object(node, at, &RESOURCE)?;
        let (key, kind_node) = Self::require(&f, "kind", at, KINDS)?;
        let kind_at = at.key(key);
        let kind = self.string(kind_node, &kind_at)?;
        if ![
            "DestinationRule",
            "VirtualService",
            "ServiceEntry",
            "WorkloadEntry",
            "Sidecar",
        ]
        .contains(&kind.as_str())
        {
            return Err(fail(
                &kind_at,
                kind_node.line,
                format!("kind {kind:?} is not supported (meshlb reads {KINDS})"),
            ));
        }
        let (key, api_node) = Self::require(&f, "apiVersion", at, "networking.istio.io/v1")?;
        let api_at = at.key(key);
        let api = self.string(api_node, &api_at)?;
        if !API_VERSIONS.contains(&api.as_str()) {
            return Err(fail(
                &api_at,
                api_node.line,
                format!(
                    "apiVersion {api:?} is not an Istio networking API version (expected {})",
                    API_VERSIONS.join(", ")
                ),
            ));
        }
        let (key, meta_node) = Self::require(&f, "metadata", at, "name and namespace")?;
        let meta_at = at.key(key);
        let m = self.object(meta_node, &meta_at, &METADATA)?;
        let (key, name) = Self::require(&m, "name", &meta_at, "metadata.name")?;
        let metadata = Metadata {
            name: self.string(name, &meta_at.key(key))?,
            namespace: self
                .opt_str_field(&m, "namespace", &meta_at)?
                .unwrap_or_else(|| "default".into()),
        };
        let empty = Node {
            line: node.line,
            span: node.span,
            value: Value::Map(Vec::new()),
        };
        let (spec_key, spec) = f.get("spec").unwrap_or(("spec", &empty));
        let at = at.key(spec_key);
        Ok(match kind.as_str() {
            "DestinationRule" => {
                Resource::DestinationRule(self.destination_rule(spec, &at, metadata)?)
            }
            "VirtualService" => {
                Resource::VirtualService(self.virtual_service(spec, &at, metadata)?)
            }
            "ServiceEntry" => Resource::ServiceEntry(self.service_entry(spec, &at, metadata)?),
            "Sidecar" => Resource::Sidecar(self.sidecar(spec, &at, metadata)?),
            _ => Resource::WorkloadEntry(WorkloadEntry {
                metadata,
                spec: self.workload_entry(spec, &at)?,
            }),
        })
    }

    fn destination_rule(
        &mut self,
        node: &Node,
        at: &At<'_>,
        metadata: Metadata,
    ) -> Result<DestinationRule, InputError> {
        let f = self.object(node, at, &DESTINATION_RULE)?;
        let traffic_policy = self.opt(&f, "trafficPolicy", at, Self::traffic_policy)?;
        let subsets = self.each(&f, "subsets", at, |this, node, at| {
            let s = this.object(node, at, &SUBSET)?;
            Ok(Subset {
                name: this.str_field(&s, "name", at)?,
                labels: this.labels_field(&s, "labels", at)?,
                traffic_policy: this.opt(&s, "trafficPolicy", at, Self::traffic_policy)?,
            })
        })?;
        Ok(DestinationRule {
            metadata,
            host: self.str_field(&f, "host", at)?,
            traffic_policy,
            subsets,
            export_to: self.strings(&f, "exportTo", at)?,
        })
    }

    fn traffic_policy(&mut self, node: &Node, at: &At<'_>) -> Result<TrafficPolicy, InputError> {
        let f = self.object(node, at, &TRAFFIC_POLICY)?;
        let mut policy = self.policy_fields(&f, at)?;
        policy.port_level = self.each(&f, "portLevelSettings", at, |this, node, at| {
            let p = this.object(node, at, &PORT_POLICY)?;
            let port = match p.get("port") {
                Some((key, node)) => {
                    let at = at.key(key);
                    let selector = this.object(node, &at, &PORT_SELECTOR)?;
                    match selector.get("number") {
                        Some((key, node)) => this.port(node, &at.key(key), true)?,
                        None => 0,
                    }
                }
                // Core validation names the missing port.
                None => 0,
            };
            let port_policy = this.policy_fields(&p, at)?;
            Ok((port, port_policy))
        })?;
        Ok(policy)
    }

    /// The fields a `TrafficPolicy` and a `PortTrafficPolicy` share.
    fn policy_fields(&mut self, f: &Fields<'_>, at: &At<'_>) -> Result<TrafficPolicy, InputError> {
        let mut policy = TrafficPolicy::default();
        if let Some((key, node)) = f.get("loadBalancer") {
            policy.load_balancer = Some(self.load_balancer(node, &at.key(key))?);
        }
        if let Some((key, node)) = f.get("outlierDetection") {
            let at = at.key(key);
            let o = self.object(node, &at, &OUTLIER)?;
            policy.outlier_detection = Some(OutlierDetection {
                min_health_percent: self.opt_i32(&o, "minHealthPercent", &at)?,
            });
        }
        if let Some((key, node)) = f.get("tls") {
            let at = at.key(key);
            let t = self.object(node, &at, &TLS)?;
            policy.tls = match t.get("mode") {
                Some((key, node)) => {
                    let modes = [
                        ("DISABLE", 0),
                        ("SIMPLE", 1),
                        ("MUTUAL", 2),
                        ("ISTIO_MUTUAL", 3),
                    ];
                    Some(match self.enumeration(node, &at.key(key), &modes, true)? {
                        0 => TlsMode::Disable,
                        1 => TlsMode::Simple,
                        2 => TlsMode::Mutual,
                        _ => TlsMode::IstioMutual,
                    })
                }
                // An unset mode is DISABLE (the enum's zero value).
                None => Some(TlsMode::Disable),
            };
        }
        Ok(policy)
    }

    fn load_balancer(
        &mut self,
        node: &Node,
        at: &At<'_>,
    ) -> Result<LoadBalancerSettings, InputError> {
        let f = self.object(node, at, &LOAD_BALANCER)?;
        let simple = f.get("simple");
        let hash = f.get("consistentHash");
        let policy = match (simple, hash) {
            (Some(_), Some((key, node))) => {
                return Err(fail(
                    &at.key(key),
                    node.line,
                    "`simple` and `consistentHash` are alternatives (one of them): set one",
                ));
            }
            (Some((key, node)), None) => {
                let at = at.key(key);
                let names = [
                    ("UNSPECIFIED", 0),
                    ("LEAST_CONN", 1),
                    ("RANDOM", 2),
                    ("PASSTHROUGH", 3),
                    ("ROUND_ROBIN", 4),
                    ("LEAST_REQUEST", 5),
                ];
                match self.enumeration(node, &at, &names, true)? {
                    0 => IstioLbPolicy::Unspecified,
                    1 => {
                        self.notes.push(format!(
                            "{}: LEAST_CONN is deprecated; Istio treats it as LEAST_REQUEST",
                            at.path()
                        ));
                        IstioLbPolicy::LeastRequest
                    }
                    2 => IstioLbPolicy::Random,
                    3 => IstioLbPolicy::Passthrough,
                    4 => IstioLbPolicy::RoundRobin,
                    _ => IstioLbPolicy::LeastRequest,
                }
            }
            (None, Some((key, node))) => self.consistent_hash(node, &at.key(key))?,
            (None, None) => IstioLbPolicy::Unspecified,
        };
        let locality_lb_setting = self.opt(&f, "localityLbSetting", at, Self::locality_lb)?;
        Ok(LoadBalancerSettings {
            policy,
            locality_lb_setting,
        })
    }

    fn consistent_hash(&mut self, node: &Node, at: &At<'_>) -> Result<IstioLbPolicy, InputError> {
        let f = self.object(node, at, &CONSISTENT_HASH)?;
        let size = |p: &Self, f: &Fields<'_>, name: &str, at: &At<'_>| {
            f.get(name)
                .map(|(key, node)| p.uint(node, &at.key(key), true, u64::MAX))
                .transpose()
        };
        match (f.get("ringHash"), f.get("maglev")) {
            (Some(_), Some((key, node))) => Err(fail(
                &at.key(key),
                node.line,
                "`ringHash` and `maglev` are alternatives (one of them): set one",
            )),
            (None, Some((key, node))) => {
                let at = at.key(key);
                let m = self.object(node, &at, &MAGLEV)?;
                Ok(IstioLbPolicy::Maglev {
                    table_size: size(self, &m, "tableSize", &at)?,
                })
            }
            (ring, None) => {
                let deprecated = size(self, &f, "minimumRingSize", at)?;
                let mut minimum_ring_size = None;
                if let Some((key, node)) = ring {
                    let at = at.key(key);
                    let r = self.object(node, &at, &RING_HASH)?;
                    minimum_ring_size = size(self, &r, "minimumRingSize", &at)?;
                }
                if deprecated.is_some() {
                    self.notes.push(format!(
                        "{}.minimumRingSize is deprecated; meshlb reads it as ringHash.minimumRingSize",
                        at.path()
                    ));
                }
                Ok(IstioLbPolicy::RingHash {
                    minimum_ring_size: minimum_ring_size.or(deprecated),
                })
            }
        }
    }

    fn locality_lb(&mut self, node: &Node, at: &At<'_>) -> Result<LocalityLbSetting, InputError> {
        let f = self.object(node, at, &LOCALITY_LB)?;
        let mut setting = LocalityLbSetting {
            enabled: self.bool_field(&f, "enabled", at)?,
            failover_priority: self.strings(&f, "failoverPriority", at)?,
            ..LocalityLbSetting::default()
        };
        setting.distribute = self.each(&f, "distribute", at, |this, node, at| {
            let d = this.object(node, at, &DISTRIBUTE)?;
            let mut to = Vec::new();
            if let Some((key, node)) = d.get("to") {
                let at = at.key(key);
                let Value::Map(entries) = &node.value else {
                    return Err(fail(
                        &at,
                        node.line,
                        format!(
                            "expected a mapping of locality to weight, found {}",
                            node.kind()
                        ),
                    ));
                };
                for (locality, weight) in entries {
                    let w = this.uint(weight, &at.key(locality), true, u64::from(u32::MAX))?;
                    to.push((locality.clone(), u32::try_from(w).unwrap_or(u32::MAX)));
                }
            }
            Ok(Distribute {
                from: this.str_field(&d, "from", at)?,
                to,
            })
        })?;
        setting.failover = self.each(&f, "failover", at, |this, node, at| {
            let fo = this.object(node, at, &FAILOVER)?;
            Ok(Failover {
                from: this.str_field(&fo, "from", at)?,
                to: this.str_field(&fo, "to", at)?,
            })
        })?;
        Ok(setting)
    }

    fn virtual_service(
        &mut self,
        node: &Node,
        at: &At<'_>,
        metadata: Metadata,
    ) -> Result<VirtualService, InputError> {
        let f = self.object(node, at, &VIRTUAL_SERVICE)?;
        let http = self.each(&f, "http", at, |this, node, at| {
            let r = this.object(node, at, &HTTP_ROUTE)?;
            let matches = this.each(&r, "match", at, Self::http_match)?;
            let mut route = Vec::new();
            let (key, dests) = this.items(&r, "route", at)?;
            let dests_at = at.key(key);
            for (j, node) in dests.iter().enumerate() {
                route.push(this.route_destination(node, &dests_at.index(j))?);
            }
            Ok(HttpRoute {
                name: this.opt_str_field(&r, "name", at)?,
                has_match: !matches.is_empty(),
                matches,
                route,
            })
        })?;
        Ok(VirtualService {
            metadata,
            hosts: self.strings(&f, "hosts", at)?,
            export_to: self.strings(&f, "exportTo", at)?,
            gateways: self.strings(&f, "gateways", at)?,
            http,
        })
    }

    /// An `HTTPMatchRequest`.
    fn http_match(&mut self, node: &Node, at: &At<'_>) -> Result<HttpMatch, InputError> {
        let f = self.object(node, at, &HTTP_MATCH)?;
        let mut m = HttpMatch {
            name: self.opt_str_field(&f, "name", at)?,
            uri: self.opt(&f, "uri", at, Self::string_match)?.flatten(),
            method: self.opt(&f, "method", at, Self::string_match)?.flatten(),
            port: self.opt_port(&f, "port", at, true)?,
            source_labels: self.labels_field(&f, "sourceLabels", at)?,
            source_namespace: self.opt_str_field(&f, "sourceNamespace", at)?,
            gateways: self.strings(&f, "gateways", at)?,
            ignore_uri_case: self.bool_field(&f, "ignoreUriCase", at)?.unwrap_or(false),
            ..HttpMatch::default()
        };
        for (field, lower) in [
            ("headers", true),
            ("withoutHeaders", true),
            ("queryParams", false),
        ] {
            let Some((key, node)) = f.get(field) else {
                continue;
            };
            let at = at.key(key);
            let Value::Map(entries) = &node.value else {
                return Err(fail(
                    &at,
                    node.line,
                    format!(
                        "expected a mapping of name to StringMatch, found {}",
                        node.kind()
                    ),
                ));
            };
            let mut map = BTreeMap::new();
            for (name, value) in entries {
                let cond = self.string_match(value, &at.key(name))?;
                let name = if lower {
                    name.to_ascii_lowercase()
                } else {
                    name.clone()
                };
                map.insert(name, cond);
            }
            match field {
                "headers" => m.headers = map,
                "withoutHeaders" => m.without_headers = map,
                _ => m.query_params = map,
            }
        }
        Ok(m)
    }

    /// A `StringMatch`: one of `exact`, `prefix`, `regex` (None for `{}`).
    fn string_match(
        &mut self,
        node: &Node,
        at: &At<'_>,
    ) -> Result<Option<StringMatch>, InputError> {
        let f = self.object(node, at, &STRING_MATCH)?;
        let mut found = Vec::new();
        for name in ["exact", "prefix", "regex"] {
            if let Some((key, value)) = f.get(name) {
                found.push((name, self.string(value, &at.key(key))?));
            }
        }
        if found.len() > 1 {
            return Err(fail(
                at,
                node.line,
                format!(
                    "a StringMatch holds one of exact, prefix, regex (found {})",
                    found.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        Ok(found.pop().map(|(name, v)| match name {
            "exact" => StringMatch::Exact(v),
            "prefix" => StringMatch::Prefix(v),
            _ => StringMatch::Regex(v),
        }))
    }

    /// `outboundTrafficPolicy` of a Sidecar or a MeshConfig (`shape`), `None` when absent; an
    /// unset `mode` is `unset_mode`, which differs between the two.
    fn outbound_policy(
        &mut self,
        f: &Fields<'_>,
        at: &At<'_>,
        shape: &Shape<'_>,
        unset_mode: OutboundTrafficMode,
    ) -> Result<Option<OutboundTrafficMode>, InputError> {
        let Some((key, node)) = f.get("outboundTrafficPolicy") else {
            return Ok(None);
        };
        let at = at.key(key);
        let o = self.object(node, &at, shape)?;
        match o.get("mode") {
            Some((key, node)) => self.outbound_mode(node, &at.key(key)).map(Some),
            None => Ok(Some(unset_mode)),
        }
    }

    /// `OutboundTrafficPolicy.Mode` (`REGISTRY_ONLY` = 0, `ALLOW_ANY` = 1).
    fn outbound_mode(&self, node: &Node, at: &At<'_>) -> Result<OutboundTrafficMode, InputError> {
        let names = [("REGISTRY_ONLY", 0), ("ALLOW_ANY", 1)];
        Ok(match self.enumeration(node, at, &names, true)? {
            0 => OutboundTrafficMode::RegistryOnly,
            _ => OutboundTrafficMode::AllowAny,
        })
    }

    /// A `Sidecar`.
    fn sidecar(
        &mut self,
        node: &Node,
        at: &At<'_>,
        metadata: Metadata,
    ) -> Result<Sidecar, InputError> {
        let f = self.object(node, at, &SIDECAR)?;
        let workload_selector = match f.get("workloadSelector") {
            Some((key, node)) => {
                let at = at.key(key);
                let w = self.object(node, &at, &WORKLOAD_SELECTOR)?;
                Some(self.labels_field(&w, "labels", &at)?)
            }
            None => None,
        };
        let egress = self.each(&f, "egress", at, |this, node, at| {
            let e = this.object(node, at, &EGRESS_LISTENER)?;
            let port = match e.get("port") {
                Some((key, node)) => {
                    let at = at.key(key);
                    let p = this.object(node, &at, &SIDECAR_PORT)?;
                    let protocol = this.opt_str_field(&p, "protocol", &at)?;
                    let number = this.opt_port(&p, "number", &at, true)?;
                    // `needsPortMatch` (sidecar.go): an HTTP_PROXY listener imports every port.
                    number.filter(|_| protocol.as_deref() != Some("HTTP_PROXY"))
                }
                None => None,
            };
            Ok(SidecarEgress {
                port,
                hosts: this.strings(&e, "hosts", at)?,
            })
        })?;
        // An unset `mode` is the proto's zero value, REGISTRY_ONLY.
        let outbound_traffic_policy =
            self.outbound_policy(&f, at, &OUTBOUND_POLICY, OutboundTrafficMode::RegistryOnly)?;
        Ok(Sidecar {
            metadata,
            workload_selector,
            egress,
            outbound_traffic_policy,
        })
    }

    fn route_destination(
        &mut self,
        node: &Node,
        at: &At<'_>,
    ) -> Result<RouteDestination, InputError> {
        let f = self.object(node, at, &ROUTE_DESTINATION)?;
        let (key, dest) = Self::require(&f, "destination", at, "host, subset, port")?;
        let dest_at = at.key(key);
        let d = self.object(dest, &dest_at, &DESTINATION)?;
        let port = match d.get("port") {
            Some((key, node)) => {
                let at = dest_at.key(key);
                let p = self.object(node, &at, &PORT_SELECTOR)?;
                self.opt_port(&p, "number", &at, true)?
            }
            None => None,
        };
        Ok(RouteDestination {
            host: self.str_field(&d, "host", &dest_at)?,
            subset: self.opt_str_field(&d, "subset", &dest_at)?,
            port,
            weight: self.opt_i32(&f, "weight", at)?.map(i64::from),
        })
    }

    fn service_entry(
        &mut self,
        node: &Node,
        at: &At<'_>,
        metadata: Metadata,
    ) -> Result<ServiceEntry, InputError> {
        let f = self.object(node, at, &SERVICE_ENTRY)?;
        let ports = self.each(&f, "ports", at, |this, node, at| {
            let p = this.object(node, at, &SERVICE_PORT)?;
            let (key, number) = Self::require(&p, "number", at, "the port number")?;
            Ok(ServiceEntryPort {
                number: this.port(number, &at.key(key), true)?,
                name: this.str_field(&p, "name", at)?,
                target_port: this.opt_port(&p, "targetPort", at, true)?,
            })
        })?;
        let mesh_internal = match f.get("location") {
            Some((key, node)) => {
                let names = [("MESH_EXTERNAL", 0), ("MESH_INTERNAL", 1)];
                self.enumeration(node, &at.key(key), &names, true)? == 1
            }
            None => false,
        };
        let resolution = match f.get("resolution") {
            Some((key, node)) => {
                let names = [
                    ("NONE", 0),
                    ("STATIC", 1),
                    ("DNS", 2),
                    ("DNS_ROUND_ROBIN", 3),
                    ("DYNAMIC_DNS", 4),
                ];
                let n = self.enumeration(node, &at.key(key), &names, true)?;
                names
                    .iter()
                    .find(|(_, v)| *v == n)
                    .map_or("NONE", |(name, _)| name)
                    .to_string()
            }
            None => "NONE".into(),
        };
        let endpoints = self.each(&f, "endpoints", at, Self::workload_entry)?;
        let workload_selector = match f.get("workloadSelector") {
            Some((key, node)) => {
                let at = at.key(key);
                let w = self.object(node, &at, &WORKLOAD_SELECTOR)?;
                Some(self.labels_field(&w, "labels", &at)?)
            }
            None => None,
        };
        Ok(ServiceEntry {
            metadata,
            hosts: self.strings(&f, "hosts", at)?,
            ports,
            mesh_internal,
            resolution,
            endpoints,
            workload_selector,
            export_to: self.strings(&f, "exportTo", at)?,
        })
    }

    /// A `WorkloadEntry` spec, or a `ServiceEntry` endpoint.
    fn workload_entry(
        &mut self,
        node: &Node,
        at: &At<'_>,
    ) -> Result<WorkloadEntrySpec, InputError> {
        let f = self.object(node, at, &WORKLOAD_ENTRY)?;
        let mut ports = BTreeMap::new();
        if let Some((key, node)) = f.get("ports") {
            let at = at.key(key);
            let Value::Map(entries) = &node.value else {
                return Err(fail(
                    &at,
                    node.line,
                    format!(
                        "expected a mapping of port name to number, found {}",
                        node.kind()
                    ),
                ));
            };
            for (name, number) in entries {
                ports.insert(name.clone(), self.port(number, &at.key(name), true)?);
            }
        }
        let weight = match f.get("weight") {
            // Istio reads an unset or 0 weight as 1.
            Some((key, node)) => match self.uint(node, &at.key(key), true, u64::from(u32::MAX))? {
                0 => 1,
                w => u32::try_from(w).unwrap_or(u32::MAX),
            },
            None => 1,
        };
        Ok(WorkloadEntrySpec {
            address: self.str_field(&f, "address", at)?,
            ports,
            labels: self.labels_field(&f, "labels", at)?,
            network: self.str_field(&f, "network", at)?,
            locality: self.locality_field(&f, "locality", at)?,
            weight,
        })
    }
}
