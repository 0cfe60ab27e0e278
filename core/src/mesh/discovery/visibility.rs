//! Visibility: whether the client's proxy has a cluster for the host at all (exportTo, the
//! client's `Sidecar` scope), and which clusters' endpoints its control plane knows (its own
//! and those it holds remote secrets for; other meshes only through federation and trust).
//!
//! Sources: istio/istio `pkg/config/visibility/visibility.go` and `push_context.go`
//! (`IsServiceVisible`; a Service the client cannot see has no cluster); `pilot/pkg/model/sidecar.go`
//! (`SidecarScope`: egress hosts import services, `OutboundTrafficPolicy`); Istio "Deployment
//! Models" (<https://istio.io/latest/docs/ops/deployment/deployment-models/>: a control plane
//! discovers the clusters it has remote secrets for; meshes federate by exposing services and
//! trusting each other's bundles); `pkg/kube/multicluster/secretcontroller.go`.
//! shared/SEMANTICS.md B1, B6; shared/research/istio.md §7, §8, §11.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::super::config::exported;
use super::super::model::{ClusterSpec, MeshSpec, OutboundTrafficMode, Scenario, Sidecar};
use super::super::routing;
use super::dns::Target;
use super::{Context, DOMAIN_SUFFIX};
use crate::explain::{DropReason, Status};
use crate::note::{Note, NoteCode};

/// The client's `Sidecar` and the outbound traffic policy in force.
pub(crate) struct Scope<'a> {
    sidecar: Option<&'a Sidecar>,
    sidecar_name: Option<String>,
    mode: OutboundTrafficMode,
    mode_from: String,
}

impl<'a> Scope<'a> {
    /// The Sidecar that applies to the client ([`routing::client_sidecar`]) and the outbound
    /// traffic policy in force: the Sidecar's, else MeshConfig's, else `ALLOW_ANY`
    /// (`convertToSidecarScope`).
    pub(crate) fn of(context: &Context<'a>, namespace: &str) -> Self {
        let sidecar = routing::client_sidecar(
            &context.resources,
            namespace,
            &context.labels,
            &context.root_namespace,
        );
        let sidecar_name =
            sidecar.map(|s| format!("Sidecar {}/{}", s.metadata.namespace, s.metadata.name));
        let (mode, mode_from) = match (
            sidecar.and_then(|s| s.outbound_traffic_policy),
            context
                .control_plane
                .mesh_config()
                .and_then(|m| m.outbound_traffic_policy),
        ) {
            (Some(m), _) => (m, sidecar_name.clone().unwrap_or_default()),
            (None, Some(m)) => (
                m,
                format!(
                    "MeshConfig of {}",
                    context.control_plane.config_cluster.name
                ),
            ),
            (None, None) => (OutboundTrafficMode::AllowAny, "Istio's default".to_string()),
        };
        Self {
            sidecar,
            sidecar_name,
            mode,
            mode_from,
        }
    }
}

/// Whether the client's proxy gets a cluster for the host: the service must be exported to
/// the client's namespace, and the client's Sidecar (if any) must import it on the port. Pushes
/// a note either way where a Sidecar applies; on refusal returns the status, with a note saying
/// where the request goes instead.
pub(crate) fn check(
    scope: &Scope<'_>,
    target: &Target<'_>,
    client_namespace: &str,
    port: u16,
    notes: &mut Vec<Note>,
) -> Result<(), Status> {
    let host = &target.host;
    if !exported(&target.export_to, &target.namespace, client_namespace) {
        notes.push(Note::new(NoteCode::Visibility, format!(
            "{} {host} is exported to {:?}, not to namespace {}: istiod builds no cluster for it, and {}",
            target.kind,
            target.export_to,
            client_namespace,
            routing::outbound_note(scope.mode, &scope.mode_from)
        )));
        return Err(Status::NotVisible);
    }
    // The Sidecar's egress imports (`SidecarScope`): a host it does not import has no cluster.
    if let Some(sc) = scope.sidecar {
        let name = scope.sidecar_name.clone().unwrap_or_default();
        match routing::imported_by(sc, host, &target.namespace, client_namespace, port) {
            Some(entry) => notes.push(Note::new(
                NoteCode::Visibility,
                format!("{name} applies to the client and imports {host} ({entry})"),
            )),
            None => {
                notes.push(Note::new(NoteCode::Visibility, format!(
                    "{name} applies to the client and its egress hosts ({}) do not import {host} on port {}: istiod builds no cluster for it, and {}",
                    sc.egress
                        .iter()
                        .map(|e| match e.port {
                            Some(p) => format!("port {p}: {}", e.hosts.join(" ")),
                            None => e.hosts.join(" "),
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                    port,
                    routing::outbound_note(scope.mode, &scope.mode_from)
                )));
                return Err(Status::NotImported);
            }
        }
    }
    Ok(())
}

/// Whether the client's control plane knows a cluster's endpoints of the service.
pub(crate) enum Reach {
    /// Known; with the mesh boundary crossed (a note), if it is.
    Known(Option<String>),
    /// Not known: the drop reason and its sentence.
    Unknown(DropReason, String),
}

/// Whether the client's control plane knows the endpoints `cluster` holds of `service`
/// (`name.namespace`, the service's key); `watched` when the control plane watches `cluster`:
/// a watched cluster's always (a remote secret that
/// reaches into another mesh crosses its boundary, as istiod follows it); an unwatched
/// cluster's only when it is in another mesh whose service the client's mesh imports and
/// trusts (federation).
pub(crate) fn reach(
    scenario: &Scenario,
    context: &Context<'_>,
    cluster: &ClusterSpec,
    watched: bool,
    service: Option<&str>,
    workload_service: &str,
) -> Reach {
    let mesh = scenario.mesh_of(cluster);
    let client_mesh = context.mesh.as_str();
    if watched {
        return Reach::Known(
            (mesh != client_mesh).then(|| format!("{mesh} (through a remote secret)")),
        );
    }
    if mesh == client_mesh {
        return Reach::Unknown(
            DropReason::NoRemoteSecret,
            format!(
                "control plane {} does not watch cluster {} (no remote secret)",
                context.control_plane.name, cluster.name
            ),
        );
    }
    let import = scenario
        .meshes
        .iter()
        .find(|m| m.id == client_mesh)
        .and_then(|m| {
            m.imports
                .iter()
                .find(|i| i.mesh == mesh && service == Some(i.service.as_str()))
        });
    if import.is_none() {
        return Reach::Unknown(
            DropReason::OtherMesh,
            format!(
                "cluster {} is in mesh {mesh}; services of different meshes never merge, and mesh {client_mesh} does not import {workload_service} from it",
                cluster.name
            ),
        );
    }
    if !trusts(scenario, client_mesh, mesh) {
        return Reach::Unknown(
            DropReason::UntrustedMesh,
            format!(
                "mesh {client_mesh} imports {workload_service} from mesh {mesh} but has neither the same trust domain nor mesh {mesh}'s trust bundle"
            ),
        );
    }
    Reach::Known(Some(format!("{mesh} (federated)")))
}

/// Whether `mesh` trusts identities of `other`: the same trust domain, or an imported bundle.
fn trusts(scenario: &Scenario, mesh: &str, other: &str) -> bool {
    let find = |id: &str| scenario.meshes.iter().find(|m| m.id == id);
    let (Some(a), Some(b)) = (find(mesh), find(other)) else {
        return true;
    };
    let domain = |m: &MeshSpec| {
        if m.trust_domain.is_empty() {
            DOMAIN_SUFFIX.to_string()
        } else {
            m.trust_domain.clone()
        }
    };
    domain(a) == domain(b) || a.trust_bundles.iter().any(|t| t == other)
}
