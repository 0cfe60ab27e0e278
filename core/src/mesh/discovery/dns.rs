//! DNS: which service a requested name is, on which port, and whether the client's lookup
//! resolves at all.
//!
//! Sources: Istio "Deployment Models" (<https://istio.io/latest/docs/ops/deployment/deployment-models/>,
//! "DNS with multiple clusters": the client's cluster needs a Kubernetes Service for the host,
//! even with no local pods); Istio "DNS Proxying"
//! (<https://istio.io/latest/docs/ops/configuration/traffic-management/dns-proxy/>): with
//! `ISTIO_META_DNS_CAPTURE` the sidecar answers for every host its control plane knows, and a
//! ServiceEntry host needs it (Kubernetes DNS does not serve ServiceEntries); the port an
//! outbound cluster is built for (`route/route.go` `GetDestinationCluster`: the only port of a
//! one-port Service). shared/SEMANTICS.md B1, B6; shared/research/istio.md §9–§10.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::super::model::{Resource, Scenario, ServiceEntry, ServiceSpec};
use super::super::validate::ScenarioError;
use super::{Context, DOMAIN_SUFFIX};
use crate::note::{Note, NoteCode};

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

/// A Kubernetes Service's host name, `name.namespace.svc.cluster.local`.
pub(crate) fn service_host(s: &ServiceSpec) -> String {
    format!("{}.{}.svc.{DOMAIN_SUFFIX}", s.name, s.namespace)
}

/// The service a request names: a ServiceEntry host (as written, from the control plane's
/// config) or a Kubernetes Service (by its qualified name).
pub(crate) struct Target<'a> {
    /// The host, fully qualified for a Service.
    pub(crate) host: String,
    /// The ServiceEntry that declares it, if any (it wins: the request names its host).
    pub(crate) service_entry: Option<&'a ServiceEntry>,
    /// The Kubernetes Service of that name, if any.
    pub(crate) service: Option<&'a ServiceSpec>,
    /// The namespace of the ServiceEntry or Service.
    pub(crate) namespace: String,
    /// Its ports.
    pub(crate) ports: Vec<u16>,
    /// Its exportTo.
    pub(crate) export_to: Vec<String>,
    /// "ServiceEntry" or "Service", for messages.
    pub(crate) kind: &'static str,
}

/// Finds the service the scenario's request names.
///
/// # Errors
/// At `request.host` when no ServiceEntry or Service has that name.
pub(crate) fn target<'a>(
    scenario: &'a Scenario,
    context: &Context<'a>,
) -> Result<Target<'a>, ScenarioError> {
    let raw_host = scenario.request.host.as_str();
    let service_entry = context.resources.iter().find_map(|r| match r {
        Resource::ServiceEntry(se) if se.hosts.iter().any(|h| h == raw_host) => Some(se),
        _ => None,
    });
    let host = if service_entry.is_some() {
        raw_host.to_string()
    } else {
        qualify(raw_host, &scenario.client.namespace)
    };
    let service = scenario.services.iter().find(|s| service_host(s) == host);
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
    Ok(Target {
        host,
        service_entry,
        service,
        namespace,
        ports,
        export_to,
        kind,
    })
}

/// The service port the request is for: the one it names (which the service must have), else
/// the service's only port (0 for a ServiceEntry without ports).
///
/// # Errors
/// At `request.port` when the service has no such port, or several and the request names none.
pub(crate) fn port(requested: Option<u16>, target: &Target<'_>) -> Result<u16, ScenarioError> {
    let Target {
        host, ports, kind, ..
    } = target;
    match requested {
        Some(p) if ports.is_empty() || ports.contains(&p) => Ok(p),
        Some(p) => Err(ScenarioError::new(
            "request.port",
            format!("{kind} {host} has no port {p} (ports: {ports:?})"),
        )),
        None if ports.len() == 1 => Ok(ports[0]),
        None if ports.is_empty() => Ok(0),
        None => Err(ScenarioError::new(
            "request.port",
            format!("{kind} {host} has several ports {ports:?}: say which"),
        )),
    }
}

/// Whether the client's DNS lookup of the host resolves: a Kubernetes Service in the client's
/// cluster, or Istio DNS proxying and a host its control plane knows (a Service in a watched
/// cluster, or one its mesh imports). A ServiceEntry host resolves only with DNS proxying.
/// Pushes a note when DNS proxying is what resolves it, and the reason when nothing does.
pub(crate) fn resolves(
    scenario: &Scenario,
    context: &Context<'_>,
    target: &Target<'_>,
    notes: &mut Vec<Note>,
) -> bool {
    let client_cluster = context.cluster;
    let host = &target.host;
    let ok = match (target.service_entry, target.service) {
        (Some(_), _) => client_cluster.dns_proxy,
        (None, Some(s)) => {
            let local = s.clusters.contains(&client_cluster.name);
            let name = format!("{}.{}", s.name, s.namespace);
            let imports = scenario
                .meshes
                .iter()
                .find(|m| m.id == context.mesh)
                .map(|m| m.imports.as_slice())
                .unwrap_or_default();
            // Known to the control plane: in a watched cluster, or imported from another mesh.
            let known = s.clusters.iter().any(|c| {
                context.control_plane.watched.contains(c.as_str())
                    || scenario.cluster(c).is_some_and(|cl| {
                        imports
                            .iter()
                            .any(|i| i.mesh == scenario.mesh_of(cl) && i.service == name)
                    })
            });
            if !local && client_cluster.dns_proxy && known {
                notes.push(Note::new(
                    NoteCode::Dns,
                    format!(
                        "cluster {} has no Service {host}, but Istio DNS proxying resolves it",
                        client_cluster.name
                    ),
                ));
            }
            local || (client_cluster.dns_proxy && known)
        }
        (None, None) => false,
    };
    if !ok {
        notes.push(Note::new(NoteCode::Dns, match target.service_entry {
            Some(_) => format!(
                "{host} is a ServiceEntry host, which Kubernetes DNS does not resolve; cluster {} has no Istio DNS proxying (ISTIO_META_DNS_CAPTURE)",
                client_cluster.name
            ),
            None => format!(
                "cluster {} has no Service {host} and DNS proxying is off: the lookup fails before any proxy sees the request (deploy the Service to every cluster that calls it)",
                client_cluster.name
            ),
        }));
    }
    ok
}
