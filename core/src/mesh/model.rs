//! The mesh scenario: meshes, control planes, clusters, networks, services, workloads and the
//! Istio configuration each cluster holds (shared/SCENARIO.md §2).
//!
//! Plain data, as a user writes it; [`Scenario::validate`] checks every reference once, with the
//! path of the offending value (`workloads[3].cluster`), before discovery reads it.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use crate::model::{HealthStatus, Locality};

/// Labels: a sorted map, so iteration (and so every result) is deterministic.
pub type Labels = BTreeMap<String, String>;

/// The port of an east-west gateway when none is given: Istio's multi-network gateway listens
/// for mTLS passthrough on 15443 (istio.io "Install Multi-Primary on different networks",
/// `samples/multicluster/gen-eastwest-gateway.sh`: the `tls` port 15443).
pub const DEFAULT_GATEWAY_PORT: u16 = 15_443;
/// The mesh of a scenario that lists none (shared/SCENARIO.md §2).
pub const DEFAULT_MESH_ID: &str = "mesh1";
/// The trust domain of a mesh that names none: MeshConfig `trustDomain`'s default.
pub const DEFAULT_TRUST_DOMAIN: &str = "cluster.local";
/// The namespace of an object that names none (Kubernetes' `default` namespace).
pub const DEFAULT_NAMESPACE: &str = "default";

/// The Istio release whose behaviour applies (shared/SEMANTICS.md B2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum IstioVersion {
    /// Istio 1.30: not-ready pods are not sent; a network mismatch in `failoverPriority` ranks
    /// an endpoint last.
    V1_30,
    /// Istio 1.31 (the default): not-ready pods are sent as UNHEALTHY unless
    /// `outlierDetection.minHealthPercent > 0`; a leading network label is preferred, not required.
    #[default]
    V1_31,
}

/// A mesh: an administrative and trust boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeshSpec {
    /// Mesh id (`meshID`).
    pub id: String,
    /// Trust domain of the mesh's workload identities (default `cluster.local`).
    pub trust_domain: String,
    /// Ids of other meshes whose trust bundle this mesh has imported.
    pub trust_bundles: Vec<String>,
    /// Services of other meshes this mesh imports (federation), reached through the exporting
    /// mesh's east-west gateways.
    pub imports: Vec<FederatedImport>,
}

/// One federated service: `mesh`'s `service` (`name.namespace`) made reachable from this mesh.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FederatedImport {
    /// The exporting mesh.
    pub mesh: String,
    /// `name.namespace` of the Service in the exporting mesh.
    pub service: String,
}

/// A control plane that runs outside every cluster (Istio's external control plane model).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExternalControlPlane {
    /// Its name (clusters name it in `controlPlane`).
    pub name: String,
    /// The cluster whose API server holds its Istio configuration.
    pub config_cluster: String,
    /// Clusters it watches besides its config cluster.
    pub remote_secrets: Vec<String>,
}

/// The MeshConfig subset meshlb models, held by a primary cluster.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MeshConfig {
    /// `localityLbSetting`: the mesh-wide default (Istio's default: `{enabled: true}`).
    pub locality_lb_setting: Option<LocalityLbSetting>,
    /// `serviceSettings`: hosts made cluster-local (or not).
    pub service_settings: Vec<ServiceSettings>,
    /// `outboundTrafficPolicy.mode` (Istio's default: `ALLOW_ANY`).
    pub outbound_traffic_policy: Option<OutboundTrafficMode>,
    /// `rootNamespace` (Istio's default: `istio-system`).
    pub root_namespace: Option<String>,
}

/// `OutboundTrafficPolicy.Mode` (MeshConfig and `Sidecar`): where a request for a host the
/// proxy has no cluster for goes (<https://istio.io/latest/docs/reference/config/networking/sidecar/#OutboundTrafficPolicy-Mode>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutboundTrafficMode {
    /// `ALLOW_ANY` (the default): the PassthroughCluster forwards to the original destination IP.
    #[default]
    AllowAny,
    /// `REGISTRY_ONLY`: the BlackHoleCluster; Envoy answers 502.
    RegistryOnly,
}

/// `MeshConfig.ServiceSettings`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceSettings {
    /// `settings.clusterLocal`.
    pub cluster_local: bool,
    /// `hosts`: exact hosts or `*.suffix` wildcards.
    pub hosts: Vec<String>,
}

/// A Kubernetes cluster.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterSpec {
    /// Cluster id (`topology.istio.io/cluster`).
    pub name: String,
    /// The mesh it belongs to.
    pub mesh: String,
    /// Its network (`topology.istio.io/network`; "" for one flat network).
    pub network: String,
    /// The control plane configuring its proxies: itself (a primary), a primary cluster, or an
    /// external control plane.
    pub control_plane: String,
    /// Clusters whose API servers this cluster's control plane watches (on a primary).
    pub remote_secrets: Vec<String>,
    /// Istio DNS proxying (`ISTIO_META_DNS_CAPTURE`).
    pub dns_proxy: bool,
    /// MeshConfig of the control plane running here (a primary).
    pub mesh_config: Option<MeshConfig>,
}

/// An east-west gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewaySpec {
    /// Address.
    pub address: String,
    /// Port (15443 by default).
    pub port: u16,
    /// The cluster it runs in ("" when not tied to one).
    pub cluster: String,
    /// Whether it has failed (a what-if, [`super::Failure::Gateway`]): istiod's view is then
    /// sent with the gateway UNHEALTHY.
    pub failed: bool,
}

/// A network and its east-west gateways.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetworkSpec {
    /// Network name.
    pub name: String,
    /// Its gateways.
    pub gateways: Vec<GatewaySpec>,
}

/// A Kubernetes Service, present in some clusters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceSpec {
    /// Name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Clusters whose API server holds the Service.
    pub clusters: Vec<String>,
    /// Service ports.
    pub ports: Vec<u16>,
    /// `networking.istio.io/exportTo` (empty: the mesh default, `*`).
    pub export_to: Vec<String>,
    /// `spec.trafficDistribution` (`PreferClose`, `PreferSameZone`, `PreferSameNode`).
    pub traffic_distribution: Option<String>,
}

/// A workload endpoint of a Service (or of a ServiceEntry host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadSpec {
    /// `name.namespace` of a Service, or a ServiceEntry host.
    pub service: String,
    /// Cluster it runs in.
    pub cluster: String,
    /// Address.
    pub address: String,
    /// Port.
    pub port: u16,
    /// Locality.
    pub locality: Locality,
    /// Network (default: its cluster's).
    pub network: Option<String>,
    /// Pod labels.
    pub labels: Labels,
    /// Health: a not-ready pod is UNHEALTHY; DRAINING a pod that is shutting down.
    pub health: HealthStatus,
    /// Whether the pod is terminating (istiod never sends it).
    pub terminating: bool,
    /// Weight, at least 1.
    pub weight: u32,
    /// Whether it runs a sidecar (false: proxyless, no mTLS).
    pub sidecar: bool,
}

impl WorkloadSpec {
    /// The namespace of the workload's Service (`name.namespace`, or its `.svc.` FQDN;
    /// `default` for a bare name). A ServiceEntry host's is what follows its first dot, as the
    /// report takes it.
    #[must_use]
    pub fn namespace(&self) -> &str {
        let Some((_, rest)) = self.service.split_once('.') else {
            return "default";
        };
        match rest.split_once('.') {
            Some((namespace, tail)) if tail == "svc" || tail.starts_with("svc.") => namespace,
            _ => rest,
        }
    }
}

/// Object metadata of an Istio resource.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Metadata {
    /// Name.
    pub name: String,
    /// Namespace (default `default`).
    pub namespace: String,
}

/// `LocalityLoadBalancerSetting`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LocalityLbSetting {
    /// `enabled` (unset means true).
    pub enabled: Option<bool>,
    /// `distribute`.
    pub distribute: Vec<Distribute>,
    /// `failover`.
    pub failover: Vec<Failover>,
    /// `failoverPriority`: label keys, or `key=value` overrides.
    pub failover_priority: Vec<String>,
}

/// `LocalityLoadBalancerSetting.Distribute`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Distribute {
    /// Client locality pattern (`region/zone/subzone`, `*` wildcards).
    pub from: String,
    /// Target locality pattern → weight percent, in the order written.
    pub to: Vec<(String, u32)>,
}

/// `LocalityLoadBalancerSetting.Failover`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Failover {
    /// Client region.
    pub from: String,
    /// Region to fail over to.
    pub to: String,
}

/// `LoadBalancerSettings.SimpleLB` and consistent hashing, as meshlb models them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IstioLbPolicy {
    /// `UNSPECIFIED` (Istio's default: least request).
    Unspecified,
    /// `LEAST_REQUEST` (and the deprecated `LEAST_CONN`).
    LeastRequest,
    /// `ROUND_ROBIN`.
    RoundRobin,
    /// `RANDOM`.
    Random,
    /// `PASSTHROUGH`: no load balancing by Envoy.
    Passthrough,
    /// `consistentHash` with a ring hash.
    RingHash {
        /// `ringHash.minimumRingSize` (or the deprecated `minimumRingSize`).
        minimum_ring_size: Option<u64>,
    },
    /// `consistentHash.maglev`.
    Maglev {
        /// `maglev.tableSize`.
        table_size: Option<u64>,
    },
}

/// `LoadBalancerSettings`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadBalancerSettings {
    /// The algorithm.
    pub policy: IstioLbPolicy,
    /// `localityLbSetting`.
    pub locality_lb_setting: Option<LocalityLbSetting>,
}

/// `OutlierDetection` (presence matters for locality failover; `minHealthPercent` for panic).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutlierDetection {
    /// `minHealthPercent`.
    pub min_health_percent: Option<i32>,
}

/// `ClientTLSSettings.TLSmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// `DISABLE`.
    Disable,
    /// `SIMPLE`.
    Simple,
    /// `MUTUAL`.
    Mutual,
    /// `ISTIO_MUTUAL`.
    IstioMutual,
}

/// The parts of a `TrafficPolicy` (or `PortTrafficPolicy`) that decide endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrafficPolicy {
    /// `loadBalancer`.
    pub load_balancer: Option<LoadBalancerSettings>,
    /// `outlierDetection`.
    pub outlier_detection: Option<OutlierDetection>,
    /// `tls.mode`.
    pub tls: Option<TlsMode>,
    /// `portLevelSettings`: (port number, policy).
    pub port_level: Vec<(u16, TrafficPolicy)>,
}

/// `Subset`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Subset {
    /// Name.
    pub name: String,
    /// Labels an endpoint must carry.
    pub labels: Labels,
    /// The subset's own policy.
    pub traffic_policy: Option<TrafficPolicy>,
}

/// A `DestinationRule`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DestinationRule {
    /// Name and namespace.
    pub metadata: Metadata,
    /// `host` (short names resolve in the rule's namespace).
    pub host: String,
    /// `trafficPolicy`.
    pub traffic_policy: Option<TrafficPolicy>,
    /// `subsets`.
    pub subsets: Vec<Subset>,
    /// `exportTo`.
    pub export_to: Vec<String>,
}

/// One weighted destination of an HTTP route.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RouteDestination {
    /// `destination.host`.
    pub host: String,
    /// `destination.subset`.
    pub subset: Option<String>,
    /// `destination.port.number`.
    pub port: Option<u16>,
    /// `weight` (None: unset).
    pub weight: Option<i64>,
}

/// `StringMatch` of an `HTTPMatchRequest` (<https://istio.io/latest/docs/reference/config/networking/virtual-service/#StringMatch>).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StringMatch {
    /// `exact`.
    Exact(String),
    /// `prefix`.
    Prefix(String),
    /// `regex` (RE2 syntax, matched against the whole value).
    Regex(String),
}

/// One `HTTPMatchRequest`: its conditions are ANDed
/// (<https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPMatchRequest>).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpMatch {
    /// `name`.
    pub name: Option<String>,
    /// `uri`.
    pub uri: Option<StringMatch>,
    /// `method`.
    pub method: Option<StringMatch>,
    /// `headers`: lower-case name → condition (`None`: `{}`, the header must be present).
    pub headers: BTreeMap<String, Option<StringMatch>>,
    /// `withoutHeaders`: lower-case name → condition (`None`: the header must be absent).
    pub without_headers: BTreeMap<String, Option<StringMatch>>,
    /// `queryParams`: name → condition (`None`: `{}`, the parameter must be present).
    pub query_params: BTreeMap<String, Option<StringMatch>>,
    /// `port`: the destination port.
    pub port: Option<u16>,
    /// `sourceLabels`.
    pub source_labels: Labels,
    /// `sourceNamespace`.
    pub source_namespace: Option<String>,
    /// `gateways` (empty: the VirtualService's).
    pub gateways: Vec<String>,
    /// `ignoreUriCase`.
    pub ignore_uri_case: bool,
}

/// One `http` route of a `VirtualService`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpRoute {
    /// `name`.
    pub name: Option<String>,
    /// Whether it has `match` conditions (`!matches.is_empty()`).
    pub has_match: bool,
    /// `match`: ORed; empty matches every request.
    pub matches: Vec<HttpMatch>,
    /// `route`.
    pub route: Vec<RouteDestination>,
}

/// A `VirtualService`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VirtualService {
    /// Name and namespace.
    pub metadata: Metadata,
    /// `hosts`.
    pub hosts: Vec<String>,
    /// `exportTo`.
    pub export_to: Vec<String>,
    /// `gateways` (empty: `mesh`, every sidecar).
    pub gateways: Vec<String>,
    /// `http`.
    pub http: Vec<HttpRoute>,
}

/// An endpoint of a `ServiceEntry` or the spec of a `WorkloadEntry`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkloadEntrySpec {
    /// `address` ("" when unset: allowed with a `network`, reached only through that network's
    /// gateway).
    pub address: String,
    /// `ports`: port name → number.
    pub ports: BTreeMap<String, u16>,
    /// `labels`.
    pub labels: Labels,
    /// `network` ("" when unset: treated as the client's network, as istiod does).
    pub network: String,
    /// `locality`.
    pub locality: Locality,
    /// `weight` (0 read as 1).
    pub weight: u32,
}

/// A `ServiceEntry` port.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceEntryPort {
    /// `number`.
    pub number: u16,
    /// `name`.
    pub name: String,
    /// `targetPort`.
    pub target_port: Option<u16>,
}

/// A `ServiceEntry`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceEntry {
    /// Name and namespace.
    pub metadata: Metadata,
    /// `hosts`.
    pub hosts: Vec<String>,
    /// `ports`.
    pub ports: Vec<ServiceEntryPort>,
    /// `location` is `MESH_INTERNAL`.
    pub mesh_internal: bool,
    /// `resolution` (`NONE`, `STATIC`, `DNS`, `DNS_ROUND_ROBIN`).
    pub resolution: String,
    /// `endpoints`.
    pub endpoints: Vec<WorkloadEntrySpec>,
    /// `workloadSelector.labels`.
    pub workload_selector: Option<Labels>,
    /// `exportTo`.
    pub export_to: Vec<String>,
}

/// A `WorkloadEntry`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkloadEntry {
    /// Name and namespace.
    pub metadata: Metadata,
    /// The entry.
    pub spec: WorkloadEntrySpec,
}

/// One `egress` listener of a `Sidecar`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SidecarEgress {
    /// `port.number` (None: every port).
    pub port: Option<u16>,
    /// `hosts`, each `namespace/dnsName`.
    pub hosts: Vec<String>,
}

/// A `Sidecar` (<https://istio.io/latest/docs/reference/config/networking/sidecar/>).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sidecar {
    /// Name and namespace.
    pub metadata: Metadata,
    /// `workloadSelector.labels` (None: every proxy of the namespace).
    pub workload_selector: Option<Labels>,
    /// `egress` (empty: Istio's default, `*/*`).
    pub egress: Vec<SidecarEgress>,
    /// `outboundTrafficPolicy.mode` (None: MeshConfig's).
    pub outbound_traffic_policy: Option<OutboundTrafficMode>,
}

/// One Istio resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// `DestinationRule`.
    DestinationRule(DestinationRule),
    /// `VirtualService`.
    VirtualService(VirtualService),
    /// `ServiceEntry`.
    ServiceEntry(ServiceEntry),
    /// `WorkloadEntry`.
    WorkloadEntry(WorkloadEntry),
    /// `Sidecar`.
    Sidecar(Sidecar),
}

/// The Istio resources held by one cluster's API server.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterConfig {
    /// The cluster.
    pub cluster: String,
    /// Its resources.
    pub resources: Vec<Resource>,
}

/// Who sends the request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientSpec {
    /// Cluster.
    pub cluster: String,
    /// Namespace.
    pub namespace: String,
    /// Locality.
    pub locality: Locality,
    /// The client pod's labels (`failoverPriority` matches them, with the topology labels istiod
    /// adds).
    pub labels: Labels,
}

/// What the client asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestSpec {
    /// Host: FQDN, `name.namespace` or `name` (the client's namespace).
    pub host: String,
    /// Port (optional when the service has one).
    pub port: Option<u16>,
    /// HTTP headers: lower-case name → value.
    pub headers: Labels,
    /// HTTP path, with its query string (None: `/`).
    pub path: Option<String>,
    /// HTTP method (None: `GET`).
    pub method: Option<String>,
}

/// A whole scenario.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scenario {
    /// `istioVersion`.
    pub istio_version: IstioVersion,
    /// `meshes` (default: one mesh `mesh1`, trust domain `cluster.local`).
    pub meshes: Vec<MeshSpec>,
    /// `externalControlPlanes`.
    pub external_control_planes: Vec<ExternalControlPlane>,
    /// `clusters`.
    pub clusters: Vec<ClusterSpec>,
    /// `networks`.
    pub networks: Vec<NetworkSpec>,
    /// `services`.
    pub services: Vec<ServiceSpec>,
    /// `workloads`.
    pub workloads: Vec<WorkloadSpec>,
    /// `config`.
    pub config: Vec<ClusterConfig>,
    /// `client`.
    pub client: ClientSpec,
    /// `request`.
    pub request: RequestSpec,
}

/// The scenario's defaults (shared/SCENARIO.md §2): one mesh `mesh1` in trust domain
/// `cluster.local`.
impl Default for MeshSpec {
    fn default() -> Self {
        Self {
            id: DEFAULT_MESH_ID.into(),
            trust_domain: DEFAULT_TRUST_DOMAIN.into(),
            trust_bundles: Vec::new(),
            imports: Vec::new(),
        }
    }
}

/// A gateway on [`DEFAULT_GATEWAY_PORT`], not failed.
impl Default for GatewaySpec {
    fn default() -> Self {
        Self {
            address: String::new(),
            port: DEFAULT_GATEWAY_PORT,
            cluster: String::new(),
            failed: false,
        }
    }
}

/// The scenario's workload defaults (shared/SCENARIO.md §2): health HEALTHY, weight 1, with a
/// sidecar, not terminating, its cluster's network, locality "", no labels.
impl Default for WorkloadSpec {
    fn default() -> Self {
        Self {
            service: String::new(),
            cluster: String::new(),
            address: String::new(),
            port: 0,
            locality: Locality::default(),
            network: None,
            labels: Labels::new(),
            health: HealthStatus::Healthy,
            terminating: false,
            weight: 1,
            sidecar: true,
        }
    }
}
