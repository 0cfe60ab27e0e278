//! Candidates: the endpoints of the host istiod gathers before filtering them: every workload
//! of the Service in the clusters its control plane knows (namespace sameness merges them), or
//! a ServiceEntry's inline endpoints and the WorkloadEntries it selects; a cluster-local host
//! keeps only the client's cluster's.
//!
//! Sources: Istio "Deployment Models" (<https://istio.io/latest/docs/ops/deployment/deployment-models/>,
//! "Namespace sameness": the same name and namespace in several clusters is one service);
//! istio/istio `pilot/pkg/xds/endpoints/endpoint_builder.go` (`BuildClusterLoadAssignment`: the
//! shards of every cluster, or only the client's for a cluster-local host),
//! `pilot/pkg/model/cluster_local.go`, `pilot/pkg/serviceregistry/serviceentry` (ServiceEntry and
//! WorkloadEntry endpoints belong to the config cluster and are sent with health UNKNOWN).
//! shared/SEMANTICS.md B3, B6; shared/research/istio.md §0, §4, §6, §8.

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::super::config::{ControlPlane, cluster_local};
use super::super::model::{Labels, Resource, Scenario, ServiceEntry, WorkloadEntrySpec};
use super::dns::Target;
use super::index::Index;
use super::visibility::{self, Reach};
use super::{Context, EndpointSource, ViewEndpoint};
use crate::explain::{DropReason, DroppedEndpoint};
use crate::model::{HealthStatus, Locality};
use crate::note::{Note, NoteCode};

/// One endpoint of the host before health, subsets and networks decide whether it is sent,
/// borrowed from the scenario (most candidates of a large mesh end up behind a gateway, never
/// as a [`ViewEndpoint`] of their own).
pub(crate) struct Candidate<'a> {
    pub(crate) address: &'a str,
    pub(crate) port: u16,
    pub(crate) cluster: &'a str,
    pub(crate) network: &'a str,
    pub(crate) locality: &'a Locality,
    /// Equal ids, equal localities ([`Index`]).
    pub(crate) locality_id: u32,
    /// Its network's position in `scenario.networks`, when listed there.
    pub(crate) network_index: Option<usize>,
    /// Its own labels (the topology labels are added by [`Candidate::label`]).
    pub(crate) labels: &'a Labels,
    /// Its health in the scenario (an [`super::Overlay`] may override it).
    pub(crate) health: HealthStatus,
    /// At least 1.
    pub(crate) weight: u32,
    pub(crate) sidecar: bool,
    pub(crate) terminating: bool,
    /// The Istio resource that declared it (WorkloadEntry, ServiceEntry endpoint), for messages.
    pub(crate) name: Option<String>,
    pub(crate) source: EndpointSource,
}

impl<'a> Candidate<'a> {
    /// [`ViewEndpoint::label`] of the candidate.
    pub(crate) fn label(&self, key: &str) -> Option<&'a str> {
        super::label(
            key,
            self.cluster,
            self.network,
            self.locality,
            self.labels,
            false,
        )
    }

    /// The view endpoint it becomes when sent directly, with `health` and `weight` as sent.
    pub(crate) fn to_endpoint(&self, health: HealthStatus, weight: u32) -> ViewEndpoint {
        ViewEndpoint {
            address: self.address.into(),
            port: self.port,
            cluster: self.cluster.into(),
            network: self.network.into(),
            locality: self.locality.clone(),
            labels: self.labels.clone(),
            health,
            weight,
            behind: Vec::new(),
            behind_endpoints: Vec::new(),
            gateway: false,
            source: self.source,
        }
    }

    /// A drop of this candidate.
    pub(crate) fn drop(&self, reason: DropReason, message: String) -> DroppedEndpoint {
        DroppedEndpoint {
            address: self.address.into(),
            port: self.port,
            cluster: Some(self.cluster.into()),
            reason,
            message,
        }
    }
}

/// The candidates, and what gathering them left out.
pub(crate) struct Gathered<'a> {
    pub(crate) candidates: Vec<Candidate<'a>>,
    /// Endpoints of an imported service in a mesh the client's does not trust.
    pub(crate) untrusted: usize,
}

/// Gathers the host's candidates; drops what the control plane does not know (another mesh, no
/// remote secret, an untrusted federated mesh) and, for a cluster-local host, other clusters'
/// endpoints; notes a crossed mesh boundary.
pub(crate) fn gather<'a>(
    scenario: &'a Scenario,
    index: &Index,
    context: &Context<'a>,
    target: &Target<'a>,
    dropped: &mut Vec<DroppedEndpoint>,
    notes: &mut Vec<Note>,
) -> Gathered<'a> {
    let host = &target.host;
    let client_cluster = context.cluster;
    let cluster_local_rule = cluster_local(host, context.control_plane.mesh_config());
    let mut candidates = Vec::new();
    let service_name = target
        .service
        .map(|s| format!("{}.{}", s.name, s.namespace));
    let mut meshes_crossed = BTreeSet::new();
    let mut untrusted = 0;
    // A workload belongs to the Service `name.namespace`, or names the ServiceEntry host.
    let mut names: Vec<&str> = service_name.as_deref().into_iter().collect();
    if target.service_entry.is_some() {
        names.push(host);
    }
    let watched: Vec<bool> = scenario
        .clusters
        .iter()
        .map(|c| context.control_plane.watched.contains(c.name.as_str()))
        .collect();
    for i in index.workloads(&names) {
        let w = &scenario.workloads[i];
        let Some(c) = index.cluster(i) else {
            continue;
        };
        let cluster = &scenario.clusters[c];
        let drop = |reason, message: String| DroppedEndpoint {
            address: w.address.clone(),
            port: w.port,
            cluster: Some(w.cluster.clone()),
            reason,
            message,
        };
        match visibility::reach(
            scenario,
            context,
            cluster,
            watched[c],
            service_name.as_deref(),
            &w.service,
        ) {
            Reach::Unknown(reason, message) => {
                untrusted += usize::from(reason == DropReason::UntrustedMesh);
                dropped.push(drop(reason, message));
                continue;
            }
            Reach::Known(crossed) => meshes_crossed.extend(crossed),
        }
        if let Some(rule) = &cluster_local_rule
            && w.cluster != client_cluster.name
        {
            dropped.push(drop(
                DropReason::ClusterLocal,
                format!(
                    "{host} is cluster-local ({rule}): only cluster {}'s endpoints are used",
                    client_cluster.name
                ),
            ));
            continue;
        }
        candidates.push(Candidate {
            address: &w.address,
            port: w.port,
            cluster: &w.cluster,
            network: w.network.as_deref().unwrap_or(&cluster.network),
            locality: &w.locality,
            locality_id: index.locality(i),
            network_index: index.network(i),
            labels: &w.labels,
            health: w.health,
            weight: w.weight.max(1),
            sidecar: w.sidecar,
            terminating: w.terminating,
            name: None,
            source: EndpointSource::Workload(i),
        });
    }
    if let Some(se) = target.service_entry {
        service_entry_endpoints(
            se,
            scenario,
            index,
            &context.resources,
            &context.control_plane,
            &mut candidates,
        );
    }
    if !meshes_crossed.is_empty() {
        notes.push(Note::new(
            NoteCode::MeshBoundary,
            format!(
                "endpoints of mesh {} are included: the mesh boundary is crossed",
                meshes_crossed.into_iter().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    Gathered {
        candidates,
        untrusted,
    }
}

/// ServiceEntry endpoints: inline `endpoints` and the WorkloadEntries its `workloadSelector`
/// picks. They belong to the config cluster and go out with health UNKNOWN.
fn service_entry_endpoints<'a>(
    se: &'a ServiceEntry,
    scenario: &Scenario,
    index: &Index,
    resources: &[&'a Resource],
    cp: &ControlPlane<'a>,
    out: &mut Vec<Candidate<'a>>,
) {
    let port = se
        .ports
        .first()
        .map_or(0, |p| p.target_port.unwrap_or(p.number));
    let port_name = se.ports.first().map(|p| p.name.clone()).unwrap_or_default();
    let cluster = cp.config_cluster.name.as_str();
    let mut localities = Vec::new();
    let mut push = |spec: &'a WorkloadEntrySpec, name: String| {
        out.push(Candidate {
            address: &spec.address,
            port: spec.ports.get(&port_name).copied().unwrap_or(port),
            cluster,
            network: &spec.network,
            locality: &spec.locality,
            locality_id: index.locality_id(&spec.locality, &mut localities),
            network_index: scenario
                .networks
                .iter()
                .position(|n| n.name == spec.network),
            labels: &spec.labels,
            health: HealthStatus::Unknown,
            weight: spec.weight.max(1),
            sidecar: true,
            terminating: false,
            name: Some(name),
            source: EndpointSource::Entry,
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
