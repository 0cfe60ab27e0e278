//! Istio configuration as a control plane reads it: which control plane configures a client and
//! which clusters it watches, which config it reads, and the lookups discovery makes in that
//! config (the DestinationRule for a host and its merged policy, the VirtualService, the
//! cluster-local hosts, exportTo).
//!
//! Sources: Istio "Deployment Models" (<https://istio.io/latest/docs/ops/deployment/deployment-models/>,
//! control plane models); istio/istio `pilot/pkg/bootstrap/configcontroller.go` (config only from
//! the config cluster), `pkg/kube/multicluster/secretcontroller.go` (remote secrets),
//! `pilot/pkg/model/push_context.go` (`destinationRule`), `pilot/pkg/networking/util/util.go`
//! (`MergeSubsetTrafficPolicy`), `pilot/pkg/model/cluster_local.go`, `pkg/config/visibility`
//! (shared/research/istio.md §1, §6–§8).

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::discovery::{DOMAIN_SUFFIX, ROOT_NAMESPACE, qualify};
use super::model::{
    ClusterSpec, DestinationRule, MeshConfig, Resource, Scenario, TrafficPolicy, VirtualService,
};
use super::routing;

/// The control plane that configures a client's proxy: a primary cluster's istiod or an
/// external control plane.
pub(crate) struct ControlPlane<'a> {
    /// Its name: the primary cluster's, or the external control plane's.
    pub(crate) name: String,
    /// The cluster whose API server holds the Istio config it reads.
    pub(crate) config_cluster: &'a ClusterSpec,
    /// The clusters whose API servers it watches: its config cluster and every cluster it holds
    /// a remote secret for.
    pub(crate) watched: BTreeSet<&'a str>,
}

/// The control plane configuring `client`'s proxies (Istio "Deployment Models", control plane
/// models; `pkg/kube/multicluster/secretcontroller.go`): the client's cluster itself when it
/// is a primary, else the primary its `controlPlane` names, else the external control plane of
/// that name. It watches its own (config) cluster and every cluster it holds a remote secret
/// for. None when the client's cluster names neither.
pub(crate) fn control_plane<'a>(
    scenario: &'a Scenario,
    client: &'a ClusterSpec,
) -> Option<ControlPlane<'a>> {
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

impl<'a> ControlPlane<'a> {
    /// The Istio resources it reads: only those held by its config cluster
    /// (`pilot/pkg/bootstrap/configcontroller.go` builds the config store from the local
    /// cluster; Istio resources in remote clusters are ignored).
    pub(crate) fn resources(&self, scenario: &'a Scenario) -> Vec<&'a Resource> {
        scenario
            .config
            .iter()
            .filter(|c| c.cluster == self.config_cluster.name)
            .flat_map(|c| c.resources.iter())
            .collect()
    }

    /// The clusters that hold Istio resources it does not read.
    pub(crate) fn ignored_config(&self, scenario: &'a Scenario) -> BTreeSet<&'a str> {
        scenario
            .config
            .iter()
            .filter(|c| c.cluster != self.config_cluster.name && !c.resources.is_empty())
            .map(|c| c.cluster.as_str())
            .collect()
    }

    /// Its MeshConfig: the config cluster's.
    pub(crate) fn mesh_config(&self) -> Option<&'a MeshConfig> {
        self.config_cluster.mesh_config.as_ref()
    }

    /// `meshConfig.rootNamespace`, default `istio-system`.
    pub(crate) fn root_namespace(&self) -> String {
        self.mesh_config()
            .and_then(|m| m.root_namespace.clone())
            .unwrap_or_else(|| ROOT_NAMESPACE.into())
    }
}

/// Whether `host` matches a DestinationRule/ServiceSettings host pattern (exact, or `*.suffix`).
pub(crate) fn host_matches(pattern: &str, host: &str) -> bool {
    pattern == host
        || pattern == "*"
        || pattern
            .strip_prefix('*')
            .is_some_and(|suffix| host.ends_with(suffix))
}

/// Visible under an exportTo list from namespace `from` to namespace `to`
/// (`pkg/config/visibility`): empty or `*` everyone, `.` own namespace, `~` none, or names.
pub(crate) fn exported(export_to: &[String], from: &str, to: &str) -> bool {
    export_to.is_empty()
        || export_to
            .iter()
            .any(|e| e == "*" || (e == "." && from == to) || e == to)
}

/// The cluster-local host patterns in force (`pilot/pkg/model/cluster_local.go`): the defaults
/// (`*.kube-system.svc.<domain>`, `kubernetes.default.svc.<domain>`, istiod's own host) adjusted by
/// MeshConfig `serviceSettings`. Returns whether `host` is cluster-local and why.
pub(crate) fn cluster_local(host: &str, config: Option<&MeshConfig>) -> Option<String> {
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

/// istiod's DestinationRule lookup (`push_context.go` `destinationRule`): the client's
/// namespace, then the service's namespace, then the root namespace; in each, the exact host
/// before the most specific wildcard; the first namespace with a match wins.
pub(crate) fn select_destination_rule(
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
        host.into()
    } else {
        qualify(host, namespace)
    }
}

/// The VirtualService that routes `host` for a sidecar in `client_ns`: the first one that
/// applies to sidecars (its `gateways` are empty or name `mesh`), is exported to the client's
/// namespace and lists the host (istio/istio `pilot/pkg/model/virtualservice.go`
/// `SelectVirtualServices`: for duplicate hosts the first one wins).
pub(crate) fn virtual_service<'a>(
    resources: &[&'a Resource],
    host: &str,
    client_ns: &str,
) -> Option<&'a VirtualService> {
    resources.iter().find_map(|r| match r {
        Resource::VirtualService(vs)
            if routing::applies_to_sidecars(vs)
                && exported(&vs.export_to, &vs.metadata.namespace, client_ns)
                && vs
                    .hosts
                    .iter()
                    .any(|h| qualify(h, &vs.metadata.namespace) == host || h == host) =>
        {
            Some(vs)
        }
        _ => None,
    })
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
