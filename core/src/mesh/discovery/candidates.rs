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

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::super::config::{ControlPlane, cluster_local};
use super::super::model::{ClusterSpec, Resource, Scenario, ServiceEntry, WorkloadEntrySpec};
use super::dns::Target;
use super::visibility::{self, Reach};
use super::{Context, ViewEndpoint};
use crate::explain::{DropReason, DroppedEndpoint};
use crate::model::HealthStatus;

/// One endpoint of the host before health, subsets and networks decide whether it is sent.
pub(crate) struct Candidate {
    pub(crate) endpoint: ViewEndpoint,
    pub(crate) sidecar: bool,
    pub(crate) terminating: bool,
    /// The Istio resource that declared it (WorkloadEntry, ServiceEntry endpoint), for messages.
    pub(crate) name: Option<String>,
}

/// The candidates, and what gathering them left out.
pub(crate) struct Gathered {
    pub(crate) candidates: Vec<Candidate>,
    /// Endpoints of an imported service in a mesh the client's does not trust.
    pub(crate) untrusted: usize,
}

/// Gathers the host's candidates; drops what the control plane does not know (another mesh, no
/// remote secret, an untrusted federated mesh) and, for a cluster-local host, other clusters'
/// endpoints; notes a crossed mesh boundary.
pub(crate) fn gather(
    scenario: &Scenario,
    context: &Context<'_>,
    target: &Target<'_>,
    dropped: &mut Vec<DroppedEndpoint>,
    notes: &mut Vec<String>,
) -> Gathered {
    let host = &target.host;
    let client_cluster = context.cluster;
    let cluster_local_rule = cluster_local(host, context.control_plane.mesh_config());
    let mut candidates = Vec::new();
    let network_of =
        |c: &ClusterSpec, w: Option<&String>| w.cloned().unwrap_or_else(|| c.network.clone());
    let service_name = target
        .service
        .map(|s| format!("{}.{}", s.name, s.namespace));
    let mut meshes_crossed = BTreeSet::new();
    let mut untrusted = 0;
    let cluster_index: BTreeMap<&str, &ClusterSpec> = scenario
        .clusters
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    for w in &scenario.workloads {
        let matches = service_name.as_deref() == Some(w.service.as_str())
            || (target.service_entry.is_some() && w.service == *host);
        if !matches {
            continue;
        }
        let Some(cluster) = cluster_index.get(w.cluster.as_str()).copied() else {
            continue;
        };
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
                gateway: false,
            },
            sidecar: w.sidecar,
            terminating: w.terminating,
            name: None,
        });
    }
    if let Some(se) = target.service_entry {
        service_entry_endpoints(
            se,
            &context.resources,
            &context.control_plane,
            &mut candidates,
        );
    }
    if !meshes_crossed.is_empty() {
        notes.push(format!(
            "endpoints of mesh {} are included: the mesh boundary is crossed",
            meshes_crossed.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    Gathered {
        candidates,
        untrusted,
    }
}

/// ServiceEntry endpoints: inline `endpoints` and the WorkloadEntries its `workloadSelector`
/// picks. They belong to the config cluster and go out with health UNKNOWN.
fn service_entry_endpoints(
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
    let mut push = |spec: &WorkloadEntrySpec, name: String| {
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
