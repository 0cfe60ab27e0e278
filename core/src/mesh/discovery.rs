//! Discovery: which endpoints istiod sends one client for one host, and why others are left out.
//!
//! The steps follow istiod's `BuildClusterLoadAssignment` (istio/istio
//! `pilot/pkg/xds/endpoints/endpoint_builder.go`) and the Istio "Deployment Models" page:
//! DNS (the client's cluster needs the Service unless DNS proxying is on), visibility (exportTo),
//! control-plane discovery (own cluster plus remote secrets), meshes and federation,
//! cluster-local hosts, endpoint health (`filterIstioEndpoint`), VirtualService routes over
//! DestinationRule subsets, and the network filter (`EndpointsByNetworkFilter`,
//! `pilot/pkg/xds/endpoints/ep_filters.go`). Every endpoint left out is kept as a
//! [`DroppedEndpoint`] with a reason code and a sentence.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::model::{
    ClusterSpec, DestinationRule, IstioVersion, Labels, OutboundTrafficMode, Resource, Scenario,
    ServiceEntry, ServiceSpec, TlsMode, TrafficPolicy, VirtualService,
};
use super::routing;
use super::validate::ScenarioError;
use crate::explain::{ClientReport, ConfigRef, DropReason, DroppedEndpoint, Status};
use crate::model::{HealthStatus, Locality};

/// Kubernetes' cluster domain suffix.
pub const DOMAIN_SUFFIX: &str = "cluster.local";
/// Istio's root namespace (`meshConfig.rootNamespace` default).
pub const ROOT_NAMESPACE: &str = "istio-system";

/// Topology label keys istiod adds to endpoints and proxies (`AugmentLabels`, `setTopologyLabels`).
pub mod labels {
    /// `topology.istio.io/cluster`.
    pub const CLUSTER: &str = "topology.istio.io/cluster";
    /// `topology.istio.io/network`.
    pub const NETWORK: &str = "topology.istio.io/network";
    /// `topology.kubernetes.io/region`.
    pub const REGION: &str = "topology.kubernetes.io/region";
    /// `topology.kubernetes.io/zone`.
    pub const ZONE: &str = "topology.kubernetes.io/zone";
    /// `topology.istio.io/subzone`.
    pub const SUBZONE: &str = "topology.istio.io/subzone";
}

/// Whether an endpoint is a workload or a gateway standing for remote workloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewEndpoint {
    /// Address.
    pub address: String,
    /// Port.
    pub port: u16,
    /// Cluster.
    pub cluster: String,
    /// Network.
    pub network: String,
    /// Locality.
    pub locality: Locality,
    /// The workload's own labels; [`ViewEndpoint::label`] adds the topology labels istiod
    /// puts on every endpoint (`AugmentLabels`) without copying them into this map.
    pub labels: Labels,
    /// Health status as sent.
    pub health: HealthStatus,
    /// Weight as sent (multi-network scaling included).
    pub weight: u32,
    /// For a gateway: the `address:port` of the endpoints behind it.
    pub behind: Vec<String>,
    /// For a gateway: the endpoints behind it, each with its part of the gateway's weight
    /// ([`crate::BehindEndpoint`] in the explanation).
    pub behind_endpoints: Vec<Behind>,
    /// Whether it is a gateway.
    pub gateway: bool,
}

impl ViewEndpoint {
    /// The value of label `key` as istiod sees it: the topology labels
    /// (`topology.istio.io/cluster`, `.../network`, `topology.kubernetes.io/region`, `.../zone`,
    /// `topology.istio.io/subzone`) come from where the endpoint runs and win over the pod's own;
    /// a gateway endpoint carries only cluster and network (`ep_filters.go`).
    #[must_use]
    pub fn label(&self, key: &str) -> Option<&str> {
        fn non_empty(v: &str) -> Option<&str> {
            (!v.is_empty()).then_some(v)
        }
        match key {
            labels::CLUSTER => Some(self.cluster.as_str()),
            labels::NETWORK => non_empty(&self.network),
            labels::REGION | labels::ZONE | labels::SUBZONE if self.gateway => None,
            labels::REGION => non_empty(&self.locality.region),
            labels::ZONE => non_empty(&self.locality.zone),
            labels::SUBZONE => non_empty(&self.locality.sub_zone),
            _ if self.gateway => None,
            _ => self.labels.get(key).map(String::as_str),
        }
    }
}

/// One endpoint a gateway stands for, and its part of the gateway's weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Behind {
    /// Address.
    pub address: String,
    /// Port.
    pub port: u16,
    /// Cluster.
    pub cluster: String,
    /// Network.
    pub network: String,
    /// Locality.
    pub locality: Locality,
    /// Its weight (scaled) divided over the gateways that may carry it.
    pub weight: u64,
}

/// Endpoints of one locality (istiod groups by the locality string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The locality.
    pub locality: Locality,
    /// Its endpoints.
    pub endpoints: Vec<ViewEndpoint>,
}

/// One destination of the route: an Envoy cluster (`outbound|port|subset|host`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The subset, if any.
    pub subset: Option<String>,
    /// Route weight.
    pub weight: u32,
    /// Whether the DestinationRule defines the subset (else Envoy answers 503 NC).
    pub exists: bool,
    /// The merged policy for this port and subset.
    pub policy: TrafficPolicy,
    /// Endpoints grouped by locality, after the network filter.
    pub groups: Vec<Group>,
}

/// What one client sees of one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// Outcome so far.
    pub status: Status,
    /// The client.
    pub client: ClientReport,
    /// The client's labels with topology labels.
    pub client_labels: Labels,
    /// The client's locality.
    pub client_locality: Locality,
    /// The host, fully qualified.
    pub host: String,
    /// The service port.
    pub port: u16,
    /// Destinations (route split).
    pub destinations: Vec<Destination>,
    /// Whether a VirtualService split the route.
    pub routed_by_virtual_service: bool,
    /// The DestinationRule that applies (namespace/name), if any.
    pub destination_rule: Option<DestinationRule>,
    /// The DestinationRule that applies, if any: the config cluster holding it, and where.
    pub destination_rule_ref: Option<ConfigRef>,
    /// The VirtualService that applies, if any: the config cluster holding it, and where.
    pub virtual_service: Option<ConfigRef>,
    /// The Service's traffic distribution.
    pub traffic_distribution: Option<String>,
    /// The control plane's MeshConfig locality setting.
    pub mesh_locality_setting: Option<super::model::LocalityLbSetting>,
    /// Endpoints left out.
    pub dropped: Vec<DroppedEndpoint>,
    /// Notes.
    pub notes: Vec<String>,
    /// Istio version rules.
    pub istio_version: IstioVersion,
}

struct Candidate {
    endpoint: ViewEndpoint,
    sidecar: bool,
    terminating: bool,
    /// The Istio resource that declared it (WorkloadEntry, ServiceEntry endpoint), for messages.
    name: Option<String>,
}

/// Normalises a requested host: `name` → `name.<ns>.svc.cluster.local`, `name.ns` →
/// `name.ns.svc.cluster.local`, `name.ns.svc` → `... .cluster.local`.
#[must_use]
pub fn qualify(host: &str, namespace: &str) -> String {
    let dots = host.matches('.').count();
    if dots == 0 {
        format!("{host}.{namespace}.svc.{DOMAIN_SUFFIX}")
    } else if dots == 1 {
        format!("{host}.svc.{DOMAIN_SUFFIX}")
    } else if host.ends_with(".svc") {
        format!("{host}.{DOMAIN_SUFFIX}")
    } else {
        host.to_string()
    }
}

fn service_host(s: &ServiceSpec) -> String {
    format!("{}.{}.svc.{DOMAIN_SUFFIX}", s.name, s.namespace)
}

/// Whether `host` matches a DestinationRule/ServiceSettings host pattern (exact, or `*.suffix`).
fn host_matches(pattern: &str, host: &str) -> bool {
    pattern == host
        || pattern == "*"
        || pattern
            .strip_prefix('*')
            .is_some_and(|suffix| host.ends_with(suffix))
}

/// Visible under an exportTo list from namespace `from` to namespace `to`
/// (`pkg/config/visibility`): empty or `*` everyone, `.` own namespace, `~` none, or names.
fn exported(export_to: &[String], from: &str, to: &str) -> bool {
    export_to.is_empty()
        || export_to
            .iter()
            .any(|e| e == "*" || (e == "." && from == to) || e == to)
}

struct ControlPlane<'a> {
    name: String,
    config_cluster: &'a ClusterSpec,
    watched: BTreeSet<&'a str>,
}

fn control_plane<'a>(scenario: &'a Scenario, client: &'a ClusterSpec) -> Option<ControlPlane<'a>> {
    let primary = if scenario.is_primary(client) {
        client
    } else {
        scenario.cluster(&client.control_plane).unwrap_or(client)
    };
    if scenario.is_primary(primary)
        && (primary.name == client.name || scenario.cluster(&client.control_plane).is_some())
    {
        let mut watched: BTreeSet<&str> =
            primary.remote_secrets.iter().map(String::as_str).collect();
        watched.insert(&primary.name);
        return Some(ControlPlane {
            name: primary.name.clone(),
            config_cluster: primary,
            watched,
        });
    }
    let ecp = scenario
        .external_control_planes
        .iter()
        .find(|e| e.name == client.control_plane)?;
    let config_cluster = scenario.cluster(&ecp.config_cluster)?;
    let mut watched: BTreeSet<&str> = ecp.remote_secrets.iter().map(String::as_str).collect();
    watched.insert(&config_cluster.name);
    Some(ControlPlane {
        name: ecp.name.clone(),
        config_cluster,
        watched,
    })
}

/// The cluster-local host patterns in force (`pilot/pkg/model/cluster_local.go`): the defaults
/// (`*.kube-system.svc.<domain>`, `kubernetes.default.svc.<domain>`, istiod's own host) adjusted by
/// MeshConfig `serviceSettings`. Returns whether `host` is cluster-local and why.
fn cluster_local(host: &str, config: Option<&super::model::MeshConfig>) -> Option<String> {
    let mut rules: Vec<(String, bool)> = [
        format!("*.kube-system.svc.{DOMAIN_SUFFIX}"),
        format!("kubernetes.default.svc.{DOMAIN_SUFFIX}"),
        format!("istiod.{ROOT_NAMESPACE}.svc.{DOMAIN_SUFFIX}"),
    ]
    .into_iter()
    .map(|h| (h, true))
    .collect();
    for setting in config
        .map(|c| c.service_settings.as_slice())
        .unwrap_or_default()
    {
        for h in &setting.hosts {
            if !setting.cluster_local {
                // A clusterLocal: false host removes a default it equals or covers.
                rules.retain(|(d, _)| {
                    !(d == h || h.strip_prefix('*').is_some_and(|s| d.ends_with(s)))
                });
            }
            rules.push((h.clone(), setting.cluster_local));
        }
    }
    // Most specific match: exact first, then the longest wildcard.
    let exact = rules.iter().find(|(h, _)| h == host);
    let best = exact.or_else(|| {
        rules
            .iter()
            .filter(|(h, _)| h.starts_with('*') && host_matches(h, host))
            .max_by_key(|(h, _)| h.len())
    })?;
    best.1.then(|| best.0.clone())
}

/// Builds the view of `scenario.client` asking for `scenario.request`.
///
/// # Errors
/// A [`ScenarioError`] when the request cannot be resolved at all: an unknown host, or a port
/// the service does not have.
pub fn discover(scenario: &Scenario) -> Result<View, ScenarioError> {
    let client = &scenario.client;
    let client_cluster = scenario.cluster(&client.cluster).ok_or_else(|| {
        ScenarioError::new(
            "client.cluster",
            format!("unknown cluster {:?}", client.cluster),
        )
    })?;
    let cp = control_plane(scenario, client_cluster).ok_or_else(|| {
        ScenarioError::new(
            "client.cluster",
            "the client's cluster has no control plane",
        )
    })?;
    let client_mesh = scenario.mesh_of(client_cluster).to_string();
    let mut notes = Vec::new();
    let mut client_labels = client.labels.clone();
    augment(
        &mut client_labels,
        &client_cluster.name,
        &client_cluster.network,
        &client.locality,
    );
    let report = ClientReport {
        cluster: client_cluster.name.clone(),
        namespace: client.namespace.clone(),
        network: client_cluster.network.clone(),
        locality: client.locality.to_string(),
        control_plane: cp.name.clone(),
        config_cluster: cp.config_cluster.name.clone(),
    };
    if cp.name != client_cluster.name {
        notes.push(format!(
            "the client's proxy is configured by control plane {}, which reads Istio config from cluster {}",
            cp.name, cp.config_cluster.name
        ));
    }
    // Istio config comes only from the control plane's config cluster.
    let resources: Vec<&Resource> = scenario
        .config
        .iter()
        .filter(|c| c.cluster == cp.config_cluster.name)
        .flat_map(|c| c.resources.iter())
        .collect();
    let ignored: BTreeSet<&str> = scenario
        .config
        .iter()
        .filter(|c| c.cluster != cp.config_cluster.name && !c.resources.is_empty())
        .map(|c| c.cluster.as_str())
        .collect();
    if !ignored.is_empty() {
        notes.push(format!(
            "Istio config held by {} is not read by control plane {} (it reads only cluster {})",
            ignored.iter().copied().collect::<Vec<_>>().join(", "),
            cp.name,
            cp.config_cluster.name
        ));
    }
    let mesh_config = cp.config_cluster.mesh_config.as_ref();

    // Which service: a ServiceEntry host (as written) or a Kubernetes Service.
    let raw_host = scenario.request.host.as_str();
    let service_entry = resources.iter().find_map(|r| match r {
        Resource::ServiceEntry(se) if se.hosts.iter().any(|h| h == raw_host) => Some(se),
        _ => None,
    });
    let host = if service_entry.is_some() {
        raw_host.to_string()
    } else {
        qualify(raw_host, &client.namespace)
    };
    let service = scenario.services.iter().find(|s| service_host(s) == host);
    let mut view = View {
        status: Status::Routed,
        client: report,
        client_labels,
        client_locality: client.locality.clone(),
        host: host.clone(),
        port: 0,
        destinations: Vec::new(),
        routed_by_virtual_service: false,
        destination_rule: None,
        destination_rule_ref: None,
        virtual_service: None,
        traffic_distribution: None,
        mesh_locality_setting: mesh_config.and_then(|m| m.locality_lb_setting.clone()),
        dropped: Vec::new(),
        notes,
        istio_version: scenario.istio_version,
    };
    let (namespace, ports, export_to, kind) = match (service_entry, service) {
        (Some(se), _) => (
            se.metadata.namespace.clone(),
            se.ports.iter().map(|p| p.number).collect::<Vec<_>>(),
            se.export_to.clone(),
            "ServiceEntry",
        ),
        (None, Some(s)) => (
            s.namespace.clone(),
            s.ports.clone(),
            s.export_to.clone(),
            "Service",
        ),
        (None, None) => {
            return Err(ScenarioError::new(
                "request.host",
                format!("no Service or ServiceEntry is {host:?} (from {raw_host:?})"),
            ));
        }
    };
    view.port = match scenario.request.port {
        Some(p) if ports.is_empty() || ports.contains(&p) => p,
        Some(p) => {
            return Err(ScenarioError::new(
                "request.port",
                format!("{kind} {host} has no port {p} (ports: {ports:?})"),
            ));
        }
        None if ports.len() == 1 => ports[0],
        None if ports.is_empty() => 0,
        None => {
            return Err(ScenarioError::new(
                "request.port",
                format!("{kind} {host} has several ports {ports:?}: say which"),
            ));
        }
    };

    // DNS.
    let dns_ok = match (service_entry, service) {
        (Some(_), _) => client_cluster.dns_proxy,
        (None, Some(s)) => {
            let local = s.clusters.contains(&client_cluster.name);
            let name = format!("{}.{}", s.name, s.namespace);
            let imports = scenario
                .meshes
                .iter()
                .find(|m| m.id == client_mesh)
                .map(|m| m.imports.as_slice())
                .unwrap_or_default();
            // Known to the control plane: in a watched cluster, or imported from another mesh.
            let known = s.clusters.iter().any(|c| {
                cp.watched.contains(c.as_str())
                    || scenario.cluster(c).is_some_and(|cl| {
                        imports
                            .iter()
                            .any(|i| i.mesh == scenario.mesh_of(cl) && i.service == name)
                    })
            });
            if !local && client_cluster.dns_proxy && known {
                view.notes.push(format!(
                    "cluster {} has no Service {host}, but Istio DNS proxying resolves it",
                    client_cluster.name
                ));
            }
            local || (client_cluster.dns_proxy && known)
        }
        (None, None) => false,
    };
    if !dns_ok {
        view.status = Status::DnsFailure;
        view.notes.push(match service_entry {
            Some(_) => format!(
                "{host} is a ServiceEntry host, which Kubernetes DNS does not resolve; cluster {} has no Istio DNS proxying (ISTIO_META_DNS_CAPTURE)",
                client_cluster.name
            ),
            None => format!(
                "cluster {} has no Service {host} and DNS proxying is off: the lookup fails before any proxy sees the request (deploy the Service to every cluster that calls it)",
                client_cluster.name
            ),
        });
        return Ok(view);
    }
    // The client's Sidecar and the outbound traffic policy in force (Sidecar, else MeshConfig,
    // else ALLOW_ANY: `convertToSidecarScope`).
    let root_namespace = mesh_config
        .and_then(|m| m.root_namespace.clone())
        .unwrap_or_else(|| ROOT_NAMESPACE.to_string());
    let sidecar = routing::client_sidecar(
        &resources,
        &client.namespace,
        &view.client_labels,
        &root_namespace,
    );
    let sidecar_name =
        sidecar.map(|s| format!("Sidecar {}/{}", s.metadata.namespace, s.metadata.name));
    let (mode, mode_from) = match (
        sidecar.and_then(|s| s.outbound_traffic_policy),
        mesh_config.and_then(|m| m.outbound_traffic_policy),
    ) {
        (Some(m), _) => (m, sidecar_name.clone().unwrap_or_default()),
        (None, Some(m)) => (m, format!("MeshConfig of {}", cp.config_cluster.name)),
        (None, None) => (OutboundTrafficMode::AllowAny, "Istio's default".to_string()),
    };
    // Visibility.
    if !exported(&export_to, &namespace, &client.namespace) {
        view.status = Status::NotVisible;
        view.notes.push(format!(
            "{kind} {host} is exported to {:?}, not to namespace {}: istiod builds no cluster for it, and {}",
            export_to,
            client.namespace,
            routing::outbound_note(mode, &mode_from)
        ));
        return Ok(view);
    }
    // The Sidecar's egress imports (`SidecarScope`): a host it does not import has no cluster.
    if let Some(sc) = sidecar {
        let name = sidecar_name.unwrap_or_default();
        match routing::imported_by(sc, &host, &namespace, &client.namespace, view.port) {
            Some(entry) => view.notes.push(format!(
                "{name} applies to the client and imports {host} ({entry})"
            )),
            None => {
                view.status = Status::NotImported;
                view.notes.push(format!(
                    "{name} applies to the client and its egress hosts ({}) do not import {host} on port {}: istiod builds no cluster for it, and {}",
                    sc.egress
                        .iter()
                        .map(|e| match e.port {
                            Some(p) => format!("port {p}: {}", e.hosts.join(" ")),
                            None => e.hosts.join(" "),
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                    view.port,
                    routing::outbound_note(mode, &mode_from)
                ));
                return Ok(view);
            }
        }
    }
    if let Some(s) = service {
        view.traffic_distribution = s.traffic_distribution.clone();
    }

    // Candidates: every workload of the service, sorted into reachable and dropped.
    let cluster_local_rule = cluster_local(&host, mesh_config);
    let mut candidates = Vec::new();
    let network_of =
        |c: &ClusterSpec, w: Option<&String>| w.cloned().unwrap_or_else(|| c.network.clone());
    let service_name = service.map(|s| format!("{}.{}", s.name, s.namespace));
    let mut meshes_crossed = BTreeSet::new();
    let mut untrusted = 0;
    let cluster_index: BTreeMap<&str, &ClusterSpec> = scenario
        .clusters
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    for w in &scenario.workloads {
        let matches = service_name.as_deref() == Some(w.service.as_str())
            || (service_entry.is_some() && w.service == host);
        if !matches {
            continue;
        }
        let Some(cluster) = cluster_index.get(w.cluster.as_str()).copied() else {
            continue;
        };
        let mesh = scenario.mesh_of(cluster);
        let drop = |reason, message: String| DroppedEndpoint {
            address: w.address.clone(),
            port: w.port,
            cluster: Some(w.cluster.clone()),
            reason,
            message,
        };
        let watched = cp.watched.contains(w.cluster.as_str());
        if !watched {
            if mesh != client_mesh {
                let import = scenario
                    .meshes
                    .iter()
                    .find(|m| m.id == client_mesh)
                    .and_then(|m| {
                        m.imports.iter().find(|i| {
                            i.mesh == mesh && service_name.as_deref() == Some(i.service.as_str())
                        })
                    });
                if import.is_none() {
                    view.dropped.push(drop(
                        DropReason::OtherMesh,
                        format!("cluster {} is in mesh {mesh}; services of different meshes never merge, and mesh {client_mesh} does not import {} from it", w.cluster, w.service),
                    ));
                    continue;
                }
                if !trusts(scenario, &client_mesh, mesh) {
                    untrusted += 1;
                    view.dropped.push(drop(
                        DropReason::UntrustedMesh,
                        format!("mesh {client_mesh} imports {} from mesh {mesh} but has neither the same trust domain nor mesh {mesh}'s trust bundle", w.service),
                    ));
                    continue;
                }
                meshes_crossed.insert(format!("{mesh} (federated)"));
            } else {
                view.dropped.push(drop(
                    DropReason::NoRemoteSecret,
                    format!(
                        "control plane {} does not watch cluster {} (no remote secret)",
                        cp.name, w.cluster
                    ),
                ));
                continue;
            }
        } else if mesh != client_mesh {
            meshes_crossed.insert(format!("{mesh} (through a remote secret)"));
        }
        if let Some(rule) = &cluster_local_rule
            && w.cluster != client_cluster.name
        {
            view.dropped.push(drop(
                DropReason::ClusterLocal,
                format!(
                    "{host} is cluster-local ({rule}): only cluster {}'s endpoints are used",
                    client_cluster.name
                ),
            ));
            continue;
        }
        let network = network_of(cluster, w.network.as_ref());
        let labels = w.labels.clone();
        candidates.push(Candidate {
            endpoint: ViewEndpoint {
                address: w.address.clone(),
                port: w.port,
                cluster: w.cluster.clone(),
                network,
                locality: w.locality.clone(),
                labels,
                health: w.health,
                weight: w.weight.max(1),
                behind: Vec::new(),
                behind_endpoints: Vec::new(),
                gateway: false,
            },
            sidecar: w.sidecar,
            terminating: w.terminating,
            name: None,
        });
    }
    if let Some(se) = service_entry {
        add_service_entry_endpoints(se, &resources, &cp, &mut candidates);
    }
    if !meshes_crossed.is_empty() {
        view.notes.push(format!(
            "endpoints of mesh {} are included: the mesh boundary is crossed",
            meshes_crossed.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }

    // DestinationRule and VirtualService for the client's namespace.
    let dr = select_destination_rule(
        &resources,
        &host,
        &client.namespace,
        &namespace,
        &root_namespace,
    );
    if let Some(dr) = &dr {
        view.notes.push(format!(
            "DestinationRule {}/{} applies",
            dr.metadata.namespace, dr.metadata.name
        ));
    }
    let vs = resources.iter().find_map(|r| match r {
        Resource::VirtualService(vs)
            if routing::applies_to_sidecars(vs)
                && exported(&vs.export_to, &vs.metadata.namespace, &client.namespace)
                && vs
                    .hosts
                    .iter()
                    .any(|h| qualify(h, &vs.metadata.namespace) == host || h == &host) =>
        {
            Some(vs)
        }
        _ => None,
    });
    // Where the config cluster's resources hold the rules that apply.
    let path_of = |wanted: &dyn Fn(&Resource) -> bool| {
        scenario
            .config
            .iter()
            .enumerate()
            .filter(|(_, c)| c.cluster == cp.config_cluster.name)
            .find_map(|(i, c)| {
                let j = c.resources.iter().position(wanted)?;
                Some(format!("config[{i}].resources[{j}]"))
            })
            .unwrap_or_default()
    };
    let config_ref = |metadata: &super::model::Metadata, path: String| ConfigRef {
        namespace: metadata.namespace.clone(),
        name: metadata.name.clone(),
        cluster: cp.config_cluster.name.clone(),
        path,
    };
    view.virtual_service = vs.map(|vs| {
        let path = path_of(&|r| matches!(r, Resource::VirtualService(x) if core::ptr::eq(x, vs)));
        config_ref(&vs.metadata, path)
    });
    view.destination_rule_ref = dr.as_ref().map(|dr| {
        let path = path_of(&|r| matches!(r, Resource::DestinationRule(x) if x == dr));
        config_ref(&dr.metadata, path)
    });
    let request = routing::HttpRequest::new(&scenario.request, view.port);
    let Some(routes) = routes(
        vs,
        &host,
        &view.client_labels,
        &client.namespace,
        &request,
        &mut view.notes,
    ) else {
        view.status = Status::NoRoute;
        return Ok(view);
    };
    view.routed_by_virtual_service = vs.is_some();

    // Health as istiod sends it.
    let top_policy = dr
        .as_ref()
        .and_then(|d| d.traffic_policy.clone())
        .unwrap_or_default();
    let forced = view.traffic_distribution.is_some();
    let mut kept = Vec::new();
    for c in candidates {
        let e = &c.endpoint;
        let drop = |reason, message: String| DroppedEndpoint {
            address: e.address.clone(),
            port: e.port,
            cluster: Some(e.cluster.clone()),
            reason,
            message,
        };
        if c.terminating {
            view.dropped.push(drop(
                DropReason::Terminating,
                "terminating pod: istiod never sends it".into(),
            ));
            continue;
        }
        if e.health == HealthStatus::Draining {
            view.dropped.push(drop(
                DropReason::NotReady,
                "draining pod: istiod sends it only for Services labelled istio.io/persistent-session".into(),
            ));
            continue;
        }
        kept.push(c);
    }

    // Destinations: subsets, then the network filter per locality group.
    let gateways_exist = scenario.networks.iter().any(|n| !n.gateways.is_empty());
    let scale = if gateways_exist {
        scale_factor(scenario)
    } else {
        1
    };
    let mut in_some_subset = alloc::vec![false; kept.len()];
    // Not-ready pods are sent per destination (supportsUnhealthyEndpoints uses the policy merged
    // for the port and the subset); remember which were held back, and why.
    let mut not_ready: BTreeMap<usize, String> = BTreeMap::new();
    for (subset, weight) in routes {
        let subset_def = subset
            .as_ref()
            .and_then(|name| dr.as_ref()?.subsets.iter().find(|s| &s.name == name));
        let exists = subset.is_none() || subset_def.is_some();
        if !exists {
            view.notes.push(format!(
                "the route names subset {:?}, which no DestinationRule for {host} defines: Envoy answers 503 (no cluster) for that {}% of requests",
                subset.as_deref().unwrap_or(""),
                weight
            ));
        }
        let policy = merged_policy(&top_policy, dr.as_ref(), subset.as_deref(), view.port);
        let mut members = Vec::new();
        for (i, c) in kept.iter().enumerate() {
            let selected = match subset_def {
                Some(def) => def
                    .labels
                    .iter()
                    .all(|(k, v)| c.endpoint.label(k) == Some(v.as_str())),
                None => exists,
            };
            if !selected {
                continue;
            }
            if c.endpoint.health == HealthStatus::Unhealthy {
                let min_health = policy
                    .outlier_detection
                    .as_ref()
                    .and_then(|o| o.min_health_percent)
                    .unwrap_or(0);
                let sent =
                    forced || (scenario.istio_version == IstioVersion::V1_31 && min_health <= 0);
                if !sent {
                    let why = if scenario.istio_version == IstioVersion::V1_30 {
                        "not-ready pod: Istio 1.30 does not send unready endpoints".to_string()
                    } else {
                        format!(
                            "not-ready pod: not sent because outlierDetection.minHealthPercent is {min_health} (> 0)"
                        )
                    };
                    not_ready.entry(i).or_insert(why);
                    continue;
                }
            }
            in_some_subset[i] = true;
            members.push(c);
        }
        let client_network = view.client.network.clone();
        let groups = network_filter(
            scenario,
            &client_network,
            &members,
            &policy,
            gateways_exist,
            scale,
            &mut view.dropped,
            &mut view.notes,
        );
        view.destinations.push(Destination {
            subset,
            weight,
            exists,
            policy,
            groups,
        });
    }
    for (i, (c, used)) in kept.iter().zip(in_some_subset).enumerate() {
        if !used {
            let e = &c.endpoint;
            if let Some(why) = not_ready.remove(&i) {
                view.dropped.push(DroppedEndpoint {
                    address: e.address.clone(),
                    port: e.port,
                    cluster: Some(e.cluster.clone()),
                    reason: DropReason::NotReady,
                    message: why,
                });
                continue;
            }
            view.dropped.push(DroppedEndpoint {
                address: e.address.clone(),
                port: e.port,
                cluster: Some(e.cluster.clone()),
                reason: DropReason::NotInSubset,
                message: format!(
                    "labels {} match no routed subset",
                    e.labels
                        .iter()
                        .filter(|(k, _)| !k.starts_with("topology."))
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            });
        }
    }
    if untrusted > 0
        && view
            .destinations
            .iter()
            .all(|d| d.groups.iter().all(|g| g.endpoints.is_empty()))
    {
        view.status = Status::Untrusted;
    }
    dedupe_notes(&mut view.notes);
    view.destination_rule = dr;
    Ok(view)
}

fn dedupe_notes(notes: &mut Vec<String>) {
    let mut seen = BTreeSet::new();
    notes.retain(|n| seen.insert(n.clone()));
}

/// Whether `mesh` trusts identities of `other`: the same trust domain, or an imported bundle.
fn trusts(scenario: &Scenario, mesh: &str, other: &str) -> bool {
    let find = |id: &str| scenario.meshes.iter().find(|m| m.id == id);
    let (Some(a), Some(b)) = (find(mesh), find(other)) else {
        return true;
    };
    let domain = |m: &super::model::MeshSpec| {
        if m.trust_domain.is_empty() {
            DOMAIN_SUFFIX.to_string()
        } else {
            m.trust_domain.clone()
        }
    };
    domain(a) == domain(b) || a.trust_bundles.iter().any(|t| t == other)
}

/// Adds the topology labels istiod puts on endpoints and proxies.
fn augment(labels: &mut Labels, cluster: &str, network: &str, locality: &Locality) {
    labels.insert(labels::CLUSTER.into(), cluster.into());
    if !network.is_empty() {
        labels.insert(labels::NETWORK.into(), network.into());
    }
    for (key, value) in [
        (labels::REGION, &locality.region),
        (labels::ZONE, &locality.zone),
        (labels::SUBZONE, &locality.sub_zone),
    ] {
        if !value.is_empty() {
            labels.insert(key.into(), value.clone());
        }
    }
}

/// ServiceEntry endpoints: inline `endpoints` and the WorkloadEntries its `workloadSelector`
/// picks. They belong to the config cluster and go out with health UNKNOWN.
fn add_service_entry_endpoints(
    se: &ServiceEntry,
    resources: &[&Resource],
    cp: &ControlPlane<'_>,
    out: &mut Vec<Candidate>,
) {
    let port = se
        .ports
        .first()
        .map_or(0, |p| p.target_port.unwrap_or(p.number));
    let port_name = se.ports.first().map(|p| p.name.clone()).unwrap_or_default();
    let mut push = |spec: &super::model::WorkloadEntrySpec, name: String| {
        let cluster = cp.config_cluster.name.clone();
        let network = spec.network.clone();
        let labels = spec.labels.clone();
        let endpoint_port = spec.ports.get(&port_name).copied().unwrap_or(port);
        out.push(Candidate {
            endpoint: ViewEndpoint {
                address: spec.address.clone(),
                port: endpoint_port,
                cluster,
                network,
                locality: spec.locality.clone(),
                labels,
                health: HealthStatus::Unknown,
                weight: spec.weight.max(1),
                behind: Vec::new(),
                behind_endpoints: Vec::new(),
                gateway: false,
            },
            sidecar: true,
            terminating: false,
            name: Some(name),
        });
    };
    for (i, e) in se.endpoints.iter().enumerate() {
        push(
            e,
            format!(
                "ServiceEntry {}/{} endpoints[{i}]",
                se.metadata.namespace, se.metadata.name
            ),
        );
    }
    if let Some(selector) = &se.workload_selector {
        for r in resources {
            if let Resource::WorkloadEntry(we) = r
                && we.metadata.namespace == se.metadata.namespace
                && selector
                    .iter()
                    .all(|(k, v)| we.spec.labels.get(k) == Some(v))
            {
                push(
                    &we.spec,
                    format!(
                        "WorkloadEntry {}/{}",
                        we.metadata.namespace, we.metadata.name
                    ),
                );
            }
        }
    }
}

/// istiod's DestinationRule lookup (`push_context.go` `destinationRule`): the client's
/// namespace, then the service's namespace, then the root namespace; in each, the exact host
/// before the most specific wildcard; the first namespace with a match wins.
fn select_destination_rule(
    resources: &[&Resource],
    host: &str,
    client_ns: &str,
    service_ns: &str,
    root_ns: &str,
) -> Option<DestinationRule> {
    let rules: Vec<&DestinationRule> = resources
        .iter()
        .filter_map(|r| {
            if let Resource::DestinationRule(dr) = r {
                Some(dr)
            } else {
                None
            }
        })
        .collect();
    let best_in = |ns: &str, from_other: bool| -> Option<&DestinationRule> {
        let candidates = rules.iter().copied().filter(|dr| {
            dr.metadata.namespace == ns
                && if from_other {
                    dr.export_to.is_empty()
                        || dr.export_to.iter().any(|e| e == "*" || e == client_ns)
                } else {
                    exported(&dr.export_to, ns, client_ns)
                }
        });
        let qualified = |dr: &DestinationRule| qualify_pattern(&dr.host, &dr.metadata.namespace);
        let matching: Vec<&DestinationRule> = candidates
            .filter(|dr| host_matches(&qualified(dr), host))
            .collect();
        matching
            .iter()
            .copied()
            .find(|dr| qualified(dr) == host)
            .or_else(|| {
                matching
                    .iter()
                    .copied()
                    .max_by_key(|dr| qualified(dr).len())
            })
    };
    let order = [(client_ns, false), (service_ns, true), (root_ns, true)];
    order
        .iter()
        .find_map(|&(ns, other)| best_in(ns, other && ns != client_ns))
        .cloned()
}

fn qualify_pattern(host: &str, namespace: &str) -> String {
    if host.starts_with('*') {
        host.to_string()
    } else {
        qualify(host, namespace)
    }
}

/// The route's destinations for `host`: (subset, weight) from the first HTTP route of the
/// VirtualService that matches the request ([`routing::select_route`]), or one destination
/// without a subset when no VirtualService applies. None when a VirtualService applies and no
/// route matches: Envoy's route table answers 404 (`NR`).
fn routes(
    vs: Option<&VirtualService>,
    host: &str,
    proxy_labels: &Labels,
    proxy_namespace: &str,
    request: &routing::HttpRequest<'_>,
    notes: &mut Vec<String>,
) -> Option<Vec<(Option<String>, u32)>> {
    let Some(vs) = vs else {
        return Some(alloc::vec![(None, 100)]);
    };
    if vs.http.is_empty() {
        notes.push(format!(
            "VirtualService {}/{} has no http route: the default route applies",
            vs.metadata.namespace, vs.metadata.name
        ));
        return Some(alloc::vec![(None, 100)]);
    }
    let mut why_not = Vec::new();
    let Some((_, route, why)) =
        routing::select_route(vs, proxy_labels, proxy_namespace, request, &mut why_not)
    else {
        notes.push(format!(
            "no http route of VirtualService {}/{} matches the request ({} {}{}): Envoy's route table answers 404 (NR)",
            vs.metadata.namespace,
            vs.metadata.name,
            request.method,
            request.path,
            if request.port == 0 { String::new() } else { format!(" on port {}", request.port) }
        ));
        notes.extend(why_not);
        return None;
    };
    notes.extend(why_not);
    notes.push(format!(
        "VirtualService {}/{}: {why}",
        vs.metadata.namespace, vs.metadata.name
    ));
    let mut out = Vec::new();
    for d in &route.route {
        if qualify(&d.host, &vs.metadata.namespace) != host && d.host != host {
            notes.push(format!(
                "route destination {} is another host: its share is not explained here",
                d.host
            ));
            continue;
        }
        let weight = if route.route.len() == 1 {
            100
        } else {
            d.weight.unwrap_or(0).clamp(0, i64::from(u32::MAX)) as u32
        };
        if weight == 0 && route.route.len() > 1 {
            continue;
        }
        out.push((d.subset.clone(), weight));
    }
    notes.push(format!(
        "VirtualService {}/{} routes {}",
        vs.metadata.namespace,
        vs.metadata.name,
        out.iter()
            .map(|(s, w)| format!(
                "{w} to {}",
                s.as_deref()
                    .map_or_else(|| "the service".to_string(), |s| format!("subset {s}"))
            ))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if out.is_empty() {
        out.push((None, 100));
    }
    Some(out)
}

/// The policy for one port and subset: a matching port-level entry replaces the top level; the
/// subset's policy (after its own port step) replaces whole fields (`MergeSubsetTrafficPolicy`).
#[must_use]
pub fn merged_policy(
    top: &TrafficPolicy,
    dr: Option<&DestinationRule>,
    subset: Option<&str>,
    port: u16,
) -> TrafficPolicy {
    let port_step = |p: &TrafficPolicy| -> TrafficPolicy {
        match p.port_level.iter().find(|(n, _)| *n == port) {
            Some((_, pl)) => TrafficPolicy {
                port_level: Vec::new(),
                ..pl.clone()
            },
            None => TrafficPolicy {
                port_level: Vec::new(),
                ..p.clone()
            },
        }
    };
    let mut merged = port_step(top);
    let subset_policy = subset.and_then(|s| {
        dr?.subsets
            .iter()
            .find(|x| x.name == s)?
            .traffic_policy
            .as_ref()
    });
    if let Some(sp) = subset_policy {
        if sp.port_level.iter().any(|(n, _)| *n == port) {
            let p = port_step(sp);
            merged.load_balancer = p.load_balancer;
            merged.outlier_detection = p.outlier_detection;
            merged.tls = p.tls;
        } else {
            if sp.load_balancer.is_some() {
                merged.load_balancer = sp.load_balancer.clone();
            }
            if sp.outlier_detection.is_some() {
                merged.outlier_detection = sp.outlier_detection.clone();
            }
            if sp.tls.is_some() {
                merged.tls = sp.tls;
            }
        }
    }
    merged
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// `GetLBWeightScaleFactor`: the lcm of the gateway counts per network and per (network,
/// cluster), over the whole mesh.
fn scale_factor(scenario: &Scenario) -> u32 {
    let mut counts: BTreeMap<(String, Option<String>), u64> = BTreeMap::new();
    for n in &scenario.networks {
        for g in &n.gateways {
            *counts.entry((n.name.clone(), None)).or_default() += 1;
            *counts
                .entry((n.name.clone(), Some(g.cluster.clone())))
                .or_default() += 1;
        }
    }
    let lcm = counts.values().fold(1_u64, |acc, &c| acc / gcd(acc, c) * c);
    lcm.min(u64::from(u32::MAX)) as u32
}

/// istiod's `EndpointsByNetworkFilter`: same-network endpoints (and those of networks without a
/// gateway) are sent directly; others are replaced by their network's gateways (those in the
/// endpoint's cluster, else all of the network's), carrying the scaled weight of what stands
/// behind them, inside each locality group. Endpoints without mTLS on another network are
/// dropped.
#[allow(clippy::too_many_arguments)]
fn network_filter(
    scenario: &Scenario,
    client_network: &str,
    members: &[&Candidate],
    policy: &TrafficPolicy,
    multi_network: bool,
    scale: u32,
    dropped: &mut Vec<DroppedEndpoint>,
    notes: &mut Vec<String>,
) -> Vec<Group> {
    let mut index: BTreeMap<&Locality, usize> = BTreeMap::new();
    let mut groups: Vec<Group> = Vec::new();
    // (group, network index, gateway index) → (weight, `address:port` of the endpoints behind,
    // the same with their parts of the weight).
    type Carried = (u64, Vec<String>, Vec<Behind>);
    let mut gateway_weights: BTreeMap<(usize, usize, usize), Carried> = BTreeMap::new();
    let mut without_gateway: BTreeSet<&str> = BTreeSet::new();
    for c in members {
        let e = &c.endpoint;
        let gi = *index.entry(&e.locality).or_insert_with(|| {
            groups.push(Group {
                locality: e.locality.clone(),
                endpoints: Vec::new(),
            });
            groups.len() - 1
        });
        let scaled = e.weight.saturating_mul(scale);
        let network = scenario.networks.iter().position(|n| n.name == e.network);
        let all: &[super::model::GatewaySpec] = network
            .map(|n| scenario.networks[n].gateways.as_slice())
            .unwrap_or_default();
        let in_cluster = all.iter().any(|g| g.cluster == e.cluster);
        let gateways: Vec<usize> = (0..all.len())
            .filter(|&i| !in_cluster || all[i].cluster == e.cluster)
            .collect();
        let force_gateway =
            client_network.is_empty() && !e.network.is_empty() && !gateways.is_empty();
        let same = e.network.is_empty() || e.network == client_network;
        if !multi_network || (!force_gateway && (same || gateways.is_empty())) {
            // A network without a gateway is sent to directly, also when no network of the
            // mesh has one (multi-network is then off: `EndpointsByNetworkFilter` returns every
            // endpoint unchanged). Either way, say so.
            if !same && gateways.is_empty() {
                without_gateway.insert(&e.network);
            }
            // `EndpointsByNetworkFilter` keeps a directly reachable endpoint only with an
            // address (`util.GetEndpointHost(lbEp) != ""`): an entry without one is reachable
            // only through its network's gateway.
            if e.address.is_empty() {
                let what = c.name.clone().unwrap_or_else(|| "an endpoint".into());
                dropped.push(DroppedEndpoint {
                    address: String::new(),
                    port: e.port,
                    cluster: Some(e.cluster.clone()),
                    reason: DropReason::NoAddress,
                    message: if same {
                        format!(
                            "{what} has no address and is on the client's network {}: it is reachable only through a gateway from another network",
                            e.network
                        )
                    } else {
                        format!(
                            "{what} has no address and its network {} has no east-west gateway to carry it",
                            e.network
                        )
                    },
                });
                continue;
            }
            groups[gi].endpoints.push(ViewEndpoint {
                weight: scaled.max(1),
                ..e.clone()
            });
            continue;
        }
        let mtls = match policy.tls {
            Some(mode) => mode == TlsMode::IstioMutual,
            None => c.sidecar,
        };
        if !mtls {
            dropped.push(DroppedEndpoint {
                address: e.address.clone(),
                port: e.port,
                cluster: Some(e.cluster.clone()),
                reason: DropReason::ProxylessCrossNetwork,
                message: format!(
                    "on network {} without mTLS ({}): east-west gateways pass only Istio mTLS traffic",
                    e.network,
                    if c.sidecar { "the DestinationRule's TLS mode is not ISTIO_MUTUAL" } else { "a proxyless workload" }
                ),
            });
            continue;
        }
        let share = u64::from(scaled) / gateways.len() as u64;
        let behind = if e.address.is_empty() {
            format!("{}:{}", c.name.as_deref().unwrap_or("(no address)"), e.port)
        } else {
            format!("{}:{}", e.address, e.port)
        };
        for g in gateways {
            let entry = gateway_weights
                .entry((gi, network.unwrap_or(0), g))
                .or_default();
            entry.0 += share;
            entry.1.push(behind.clone());
            entry.2.push(Behind {
                address: e.address.clone(),
                port: e.port,
                cluster: e.cluster.clone(),
                network: e.network.clone(),
                locality: e.locality.clone(),
                weight: share,
            });
        }
    }
    for network in without_gateway {
        notes.push(format!(
            "network {network} has no east-west gateway{}: istiod sends its endpoints directly, as if it were routable from network {client_network:?}",
            if multi_network {
                ""
            } else {
                " (no network of the mesh has one, so multi-network is off)"
            }
        ));
    }
    for ((gi, n, g), (weight, behind, behind_endpoints)) in gateway_weights {
        let net = &scenario.networks[n];
        let gw = &net.gateways[g];
        let group = &mut groups[gi];
        group.endpoints.push(ViewEndpoint {
            address: gw.address.clone(),
            port: gw.port,
            cluster: gw.cluster.clone(),
            network: net.name.clone(),
            locality: group.locality.clone(),
            labels: Labels::new(),
            // A failed gateway (a what-if) is sent UNHEALTHY, so it gets no traffic outside
            // panic; removing it would make istiod send its network's endpoints directly
            // (see `super::failure`).
            health: if gw.failed {
                HealthStatus::Unhealthy
            } else {
                HealthStatus::Healthy
            },
            weight: weight.clamp(1, u64::from(u32::MAX)) as u32,
            behind,
            behind_endpoints,
            gateway: true,
        });
    }
    // istiod sorts locality groups by their locality string, and gateway endpoints, appended
    // after the group's direct endpoints, by address then port.
    for group in &mut groups {
        let first_gateway = group
            .endpoints
            .iter()
            .position(|e| e.gateway)
            .unwrap_or(group.endpoints.len());
        group.endpoints[first_gateway..]
            .sort_by(|a, b| (a.address.as_str(), a.port).cmp(&(b.address.as_str(), b.port)));
    }
    let mut keyed: Vec<(String, Group)> = groups
        .into_iter()
        .filter(|g| !g.endpoints.is_empty())
        .map(|g| (g.locality.to_string(), g))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.into_iter().map(|(_, g)| g).collect()
}
