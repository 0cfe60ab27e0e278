//! Discovery: which endpoints istiod sends one client for one host, and why others are left out.
//!
//! [`discover`] runs the stages of istiod's `BuildClusterLoadAssignment` (istio/istio
//! `pilot/pkg/xds/endpoints/endpoint_builder.go`; shared/research/istio.md §0) in order, each in
//! its own module:
//!
//! 1. the client and its control plane ([`super::config`]): which control plane configures the
//!    client's proxy, which clusters it watches, which Istio config it reads;
//! 2. [`dns`]: which service the requested name is, on which port, and whether the client's
//!    lookup resolves (a Service in its cluster, or DNS proxying);
//! 3. [`visibility`]: exportTo and the client's `Sidecar` scope (no cluster at all when the
//!    service is not visible), and which clusters' endpoints the control plane knows (remote
//!    secrets, meshes, trust);
//! 4. [`candidates`]: the workloads of the Service (merged across clusters by namespace
//!    sameness) or the ServiceEntry's endpoints; cluster-local hosts keep the client's cluster's;
//! 5. the DestinationRule and VirtualService that apply ([`super::config`]), and the route's
//!    destinations ([`subsets`]);
//! 6. [`health`]: terminating and draining pods are left out; not-ready pods are sent
//!    UNHEALTHY or held back, per Istio version and DestinationRule;
//! 7. per destination, the endpoints its [`subsets`] selects, grouped by locality through the
//!    network filter ([`networks`]: east-west gateways, proxyless endpoints, split horizon).
//!
//! Stages 1–5 do not depend on endpoint health; 6–7 do. Every endpoint left out is kept as a
//! [`DroppedEndpoint`] with a reason code and a sentence; every stage that ends the request
//! early (DNS failure, not visible, not imported, no route) leaves a [`Status`] and a note.

pub mod candidates;
pub mod dns;
pub mod health;
mod index;
pub mod networks;
pub mod subsets;
pub mod visibility;

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

pub use super::config::merged_policy;
pub use dns::qualify;

use super::config::{self, ControlPlane};
use super::model::{
    ClusterSpec, DestinationRule, IstioVersion, Labels, Resource, Scenario, TrafficPolicy,
};
use super::routing;
use super::validate::ScenarioError;
use crate::explain::{ClientReport, ConfigRef, DropReason, DroppedEndpoint, Status};
use crate::model::{HealthStatus, Locality};
use crate::note::{Note, NoteCode};
use candidates::Candidate;
pub(crate) use index::Index;

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

/// Where a view endpoint comes from in the scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EndpointSource {
    /// The workload `scenario.workloads[i]`.
    Workload(usize),
    /// A ServiceEntry's inline endpoint, or a WorkloadEntry it selects.
    Entry,
    /// The east-west gateway `scenario.networks[network].gateways[gateway]`.
    Gateway {
        /// Index of the network in `scenario.networks`.
        network: usize,
        /// Index of the gateway in that network's `gateways`.
        gateway: usize,
    },
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
    /// The workload, entry or gateway it is.
    pub source: EndpointSource,
}

impl ViewEndpoint {
    /// The value of label `key` as istiod sees it: the topology labels
    /// (`topology.istio.io/cluster`, `.../network`, `topology.kubernetes.io/region`, `.../zone`,
    /// `topology.istio.io/subzone`) come from where the endpoint runs and win over the pod's own;
    /// a gateway endpoint carries only cluster and network (`ep_filters.go`).
    #[must_use]
    pub fn label(&self, key: &str) -> Option<&str> {
        label(
            key,
            &self.cluster,
            &self.network,
            &self.locality,
            &self.labels,
            self.gateway,
        )
    }
}

/// [`ViewEndpoint::label`] of an endpoint running in `cluster`, `network`, `locality` with its
/// own `own` labels (istiod's `AugmentLabels`).
fn label<'a>(
    key: &str,
    cluster: &'a str,
    network: &'a str,
    locality: &'a Locality,
    own: &'a Labels,
    gateway: bool,
) -> Option<&'a str> {
    fn non_empty(v: &str) -> Option<&str> {
        (!v.is_empty()).then_some(v)
    }
    match key {
        labels::CLUSTER => Some(cluster),
        labels::NETWORK => non_empty(network),
        labels::REGION | labels::ZONE | labels::SUBZONE if gateway => None,
        labels::REGION => non_empty(locality.region()),
        labels::ZONE => non_empty(locality.zone()),
        labels::SUBZONE => non_empty(locality.sub_zone()),
        _ if gateway => None,
        _ => own.get(key).map(String::as_str),
    }
}

/// What a what-if changes before discovery's health-dependent stages run again
/// ([`crate::mesh::failure`] decides which): workloads now not ready (`UNHEALTHY`) and
/// east-west gateways now down, beyond what the scenario says. The default changes nothing.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Overlay<'a> {
    /// Indices into `scenario.workloads`, sorted: these are `UNHEALTHY`.
    pub(crate) unready: &'a [usize],
    /// (network, gateway) indices into `scenario.networks`, sorted: these have failed.
    pub(crate) failed_gateways: &'a [(usize, usize)],
}

impl Overlay<'_> {
    fn unready(&self, source: EndpointSource) -> bool {
        matches!(source, EndpointSource::Workload(i) if self.unready.binary_search(&i).is_ok())
    }

    fn gateway_failed(&self, network: usize, gateway: usize) -> bool {
        self.failed_gateways
            .binary_search(&(network, gateway))
            .is_ok()
    }
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
    pub notes: Vec<Note>,
    /// Istio version rules.
    pub istio_version: IstioVersion,
}

/// The client as its control plane sees it: its cluster, the control plane configuring its
/// proxy and the Istio config that control plane reads, its labels with the topology labels
/// istiod adds (`pilot/pkg/xds/ads.go` `setTopologyLabels`).
pub(crate) struct Context<'a> {
    /// The client's cluster.
    cluster: &'a ClusterSpec,
    /// The control plane configuring it.
    control_plane: ControlPlane<'a>,
    /// The client's mesh.
    mesh: String,
    /// The client's labels, topology labels included.
    labels: Labels,
    /// The Istio resources its control plane reads.
    resources: Vec<&'a Resource>,
    /// The control plane's root namespace.
    root_namespace: String,
}

impl<'a> Context<'a> {
    /// The scenario's client and its control plane.
    ///
    /// # Errors
    /// At `client.cluster` when the cluster is unknown or has no control plane.
    fn of(scenario: &'a Scenario) -> Result<Self, ScenarioError> {
        let client = &scenario.client;
        let cluster = scenario.cluster(&client.cluster).ok_or_else(|| {
            ScenarioError::new(
                "client.cluster",
                format!("unknown cluster {:?}", client.cluster),
            )
        })?;
        let control_plane = config::control_plane(scenario, cluster).ok_or_else(|| {
            ScenarioError::new(
                "client.cluster",
                "the client's cluster has no control plane",
            )
        })?;
        let mut labels = client.labels.clone();
        augment(
            &mut labels,
            &cluster.name,
            &cluster.network,
            &client.locality,
        );
        Ok(Self {
            cluster,
            mesh: scenario.mesh_of(cluster).into(),
            labels,
            resources: control_plane.resources(scenario),
            root_namespace: control_plane.root_namespace(),
            control_plane,
        })
    }

    /// The view before any stage has spoken: routed, no destination, with the notes on which
    /// control plane configures the client and which config it ignores.
    fn view(&self, scenario: &Scenario, host: String) -> View {
        let client = &scenario.client;
        let cp = &self.control_plane;
        let mut notes = Vec::new();
        if cp.name != self.cluster.name {
            notes.push(Note::new(NoteCode::ControlPlane, format!(
                "the client's proxy is configured by control plane {}, which reads Istio config from cluster {}",
                cp.name, cp.config_cluster.name
            )));
        }
        let ignored = cp.ignored_config(scenario);
        if !ignored.is_empty() {
            notes.push(Note::new(NoteCode::ControlPlane, format!(
                "Istio config held by {} is not read by control plane {} (it reads only cluster {})",
                ignored.iter().copied().collect::<Vec<_>>().join(", "),
                cp.name,
                cp.config_cluster.name
            )));
        }
        View {
            status: Status::Routed,
            client: ClientReport {
                cluster: self.cluster.name.clone(),
                namespace: client.namespace.clone(),
                network: self.cluster.network.clone(),
                locality: client.locality.to_string(),
                control_plane: cp.name.clone(),
                config_cluster: cp.config_cluster.name.clone(),
            },
            client_labels: self.labels.clone(),
            client_locality: client.locality.clone(),
            host,
            port: 0,
            destinations: Vec::new(),
            routed_by_virtual_service: false,
            destination_rule: None,
            destination_rule_ref: None,
            virtual_service: None,
            traffic_distribution: None,
            mesh_locality_setting: cp.mesh_config().and_then(|m| m.locality_lb_setting.clone()),
            dropped: Vec::new(),
            notes,
            istio_version: scenario.istio_version,
        }
    }
}

/// Builds the view of `scenario.client` asking for `scenario.request`.
///
/// # Errors
/// A [`ScenarioError`] when the request cannot be resolved at all: an unknown host, or a port
/// the service does not have.
pub fn discover(scenario: &Scenario) -> Result<View, ScenarioError> {
    let (view, pending) = resolve(scenario, &Index::of(scenario))?;
    Ok(match pending {
        Some(pending) => pending.finish(view, scenario, &Overlay::default()),
        None => view,
    })
}

/// The request after stages 1–5, when they routed it: the candidates, the route's destinations
/// and the DestinationRule. [`Pending::finish`] runs stages 6–7 on it, as often as needed (the
/// report runs them again for each failure that changes the health of its candidates).
pub(crate) struct Pending<'a> {
    candidates: Vec<Candidate<'a>>,
    /// Candidates of a federated mesh left out for want of trust.
    untrusted: usize,
    routes: Vec<(Option<String>, u32)>,
    destination_rule: Option<DestinationRule>,
}

/// Stages 1–5: client, DNS, visibility, candidates, DestinationRule and route. The view so far,
/// and what stages 6–7 need unless a stage ended the request (DNS, visibility, no route): then
/// the view is final, whatever the endpoints' health. `index` is [`Index::of`] the scenario (or
/// of one that differs only in its client, request and health).
///
/// # Errors
/// As [`discover`].
pub(crate) fn resolve<'a>(
    scenario: &'a Scenario,
    index: &Index,
) -> Result<(View, Option<Pending<'a>>), ScenarioError> {
    let context = Context::of(scenario)?;
    let client = &scenario.client;
    let target = dns::target(scenario, &context)?;
    let mut view = context.view(scenario, target.host.clone());
    view.port = dns::port(scenario.request.port, &target)?;
    if !dns::resolves(scenario, &context, &target, &mut view.notes) {
        view.status = Status::DnsFailure;
        return Ok((view, None));
    }
    let scope = visibility::Scope::of(&context, &client.namespace);
    if let Err(status) = visibility::check(
        &scope,
        &target,
        &client.namespace,
        view.port,
        &mut view.notes,
    ) {
        view.status = status;
        return Ok((view, None));
    }
    if let Some(s) = target.service {
        view.traffic_distribution = s.traffic_distribution.clone();
    }
    let gathered = candidates::gather(
        scenario,
        index,
        &context,
        &target,
        &mut view.dropped,
        &mut view.notes,
    );

    // DestinationRule and VirtualService for the client's namespace.
    let host = &target.host;
    let dr = config::select_destination_rule(
        &context.resources,
        host,
        &client.namespace,
        &target.namespace,
        &context.root_namespace,
    );
    if let Some(dr) = &dr {
        view.notes.push(Note::new(
            NoteCode::DestinationRule,
            format!(
                "DestinationRule {}/{} applies",
                dr.metadata.namespace, dr.metadata.name
            ),
        ));
    }
    let vs = config::virtual_service(&context.resources, host, &client.namespace);
    let config_cluster = context.control_plane.config_cluster.name.as_str();
    view.virtual_service = vs.map(|vs| {
        config_ref(
            scenario,
            config_cluster,
            &vs.metadata,
            |r| matches!(r, Resource::VirtualService(x) if core::ptr::eq(x, vs)),
        )
    });
    view.destination_rule_ref = dr.as_ref().map(|dr| {
        config_ref(
            scenario,
            config_cluster,
            &dr.metadata,
            |r| matches!(r, Resource::DestinationRule(x) if x == dr),
        )
    });
    let request = routing::HttpRequest::new(&scenario.request, view.port);
    let Some(routes) = subsets::routes(
        vs,
        host,
        &view.client_labels,
        &client.namespace,
        &request,
        &mut view.notes,
    ) else {
        view.status = Status::NoRoute;
        return Ok((view, None));
    };
    view.routed_by_virtual_service = vs.is_some();
    let pending = Pending {
        candidates: gathered.candidates,
        untrusted: gathered.untrusted,
        routes,
        destination_rule: dr,
    };
    Ok((view, Some(pending)))
}

impl Pending<'_> {
    /// The candidates that are workloads, as indices into `scenario.workloads`.
    pub(crate) fn candidate_workloads(&self) -> impl Iterator<Item = usize> + '_ {
        self.candidates.iter().filter_map(|c| match c.source {
            EndpointSource::Workload(i) => Some(i),
            _ => None,
        })
    }

    /// Stages 6–7 on `view` (from [`resolve`]), with the health `overlay` gives: health, then
    /// per destination its subset's endpoints through the network filter; what no destination
    /// sends is dropped with its reason.
    pub(crate) fn finish(
        &self,
        mut view: View,
        scenario: &Scenario,
        overlay: &Overlay<'_>,
    ) -> View {
        let dr = &self.destination_rule;
        let host = view.host.clone();
        let top_policy = dr
            .as_ref()
            .and_then(|d| d.traffic_policy.clone())
            .unwrap_or_default();
        let forced = view.traffic_distribution.is_some();
        let kept = health::admitted(&self.candidates, overlay, &mut view.dropped);

        let gateways_exist = scenario.networks.iter().any(|n| !n.gateways.is_empty());
        let scale = if gateways_exist {
            networks::scale_factor(scenario)
        } else {
            1
        };
        let mut in_some_subset = alloc::vec![false; kept.len()];
        // Not-ready pods are sent per destination (supportsUnhealthyEndpoints uses the policy
        // merged for the port and the subset); remember which were held back, and why.
        let mut not_ready: BTreeMap<usize, String> = BTreeMap::new();
        for (subset, weight) in &self.routes {
            let (subset, weight) = (subset.clone(), *weight);
            let subset_def = subset
                .as_ref()
                .and_then(|name| dr.as_ref()?.subsets.iter().find(|s| &s.name == name));
            let exists = subset.is_none() || subset_def.is_some();
            if !exists {
                view.notes.push(Note::new(
                    NoteCode::Route,
                    subsets::missing_subset_note(subset.as_deref(), weight, &host),
                ));
            }
            let policy = merged_policy(&top_policy, dr.as_ref(), subset.as_deref(), view.port);
            let unready = health::sends_unready(&policy, forced, scenario.istio_version);
            let mut members = Vec::new();
            for (i, &(c, health)) in kept.iter().enumerate() {
                if !subsets::selects(subset_def, exists, c) {
                    continue;
                }
                if health == HealthStatus::Unhealthy
                    && let Err(why) = &unready
                {
                    not_ready.entry(i).or_insert_with(|| why.clone());
                    continue;
                }
                in_some_subset[i] = true;
                members.push((c, health));
            }
            let client_network = view.client.network.clone();
            let groups = networks::network_filter(
                scenario,
                &client_network,
                &members,
                &policy,
                gateways_exist,
                scale,
                overlay,
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
        for (i, (&(c, _), used)) in kept.iter().zip(in_some_subset).enumerate() {
            if used {
                continue;
            }
            let (reason, message) = match not_ready.remove(&i) {
                Some(why) => (DropReason::NotReady, why),
                None => (
                    DropReason::NotInSubset,
                    subsets::not_in_subset_message(c.labels),
                ),
            };
            view.dropped.push(c.drop(reason, message));
        }
        if self.untrusted > 0
            && view
                .destinations
                .iter()
                .all(|d| d.groups.iter().all(|g| g.endpoints.is_empty()))
        {
            view.status = Status::Untrusted;
        }
        dedupe_notes(&mut view.notes);
        view.destination_rule = dr.clone();
        view
    }
}

fn dedupe_notes(notes: &mut Vec<Note>) {
    let mut seen = BTreeSet::new();
    notes.retain(|n| seen.insert(n.text.clone()));
}

/// Adds the topology labels istiod puts on endpoints and proxies.
fn augment(labels: &mut Labels, cluster: &str, network: &str, locality: &Locality) {
    labels.insert(labels::CLUSTER.into(), cluster.into());
    if !network.is_empty() {
        labels.insert(labels::NETWORK.into(), network.into());
    }
    for (key, value) in [
        (labels::REGION, locality.region()),
        (labels::ZONE, locality.zone()),
        (labels::SUBZONE, locality.sub_zone()),
    ] {
        if !value.is_empty() {
            labels.insert(key.into(), value.into());
        }
    }
}

/// Where a rule that applied is: its namespace and name, the config cluster holding it, and its
/// path in the scenario (`config[I].resources[J]`), so a page can point at it.
fn config_ref(
    scenario: &Scenario,
    config_cluster: &str,
    metadata: &super::model::Metadata,
    wanted: impl Fn(&Resource) -> bool,
) -> ConfigRef {
    let path = scenario
        .config
        .iter()
        .enumerate()
        .filter(|(_, c)| c.cluster == config_cluster)
        .find_map(|(i, c)| {
            let j = c.resources.iter().position(&wanted)?;
            Some(format!("config[{i}].resources[{j}]"))
        })
        .unwrap_or_default();
    ConfigRef {
        namespace: metadata.namespace.clone(),
        name: metadata.name.clone(),
        cluster: config_cluster.into(),
        path,
    }
}
