//! Scenario validation: every reference resolves, every value is one Istio or Envoy accepts.
//!
//! Errors carry the path of the offending value (`workloads[3].cluster`), which adapters turn
//! into a line of the user's file.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::model::{
    ClusterSpec, DEFAULT_MESH_ID, Distribute, Failover, LocalityLbSetting, Resource, Scenario,
    TrafficPolicy,
};

/// A scenario that does not hold together: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// Path of the offending value (`config[0].resources[1].spec.host`).
    pub path: String,
    /// The problem.
    pub message: String,
}

impl ScenarioError {
    /// An error at `path`.
    #[must_use]
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl core::error::Error for ScenarioError {}

type Result<T = ()> = core::result::Result<T, ScenarioError>;

fn err<T>(path: impl Into<String>, message: impl Into<String>) -> Result<T> {
    Err(ScenarioError::new(path, message))
}

fn list(names: &BTreeSet<&str>) -> String {
    names.iter().copied().collect::<Vec<_>>().join(", ")
}

impl Scenario {
    /// The id of the mesh a cluster belongs to, after defaults.
    #[must_use]
    pub fn mesh_of<'a>(&'a self, cluster: &'a ClusterSpec) -> &'a str {
        if cluster.mesh.is_empty() {
            self.meshes
                .first()
                .map_or(DEFAULT_MESH_ID, |m| m.id.as_str())
        } else {
            &cluster.mesh
        }
    }

    /// The cluster named `name`.
    #[must_use]
    pub fn cluster(&self, name: &str) -> Option<&ClusterSpec> {
        self.clusters.iter().find(|c| c.name == name)
    }

    /// Whether `cluster` runs its own control plane (a primary).
    #[must_use]
    pub fn is_primary(&self, cluster: &ClusterSpec) -> bool {
        cluster.control_plane.is_empty() || cluster.control_plane == cluster.name
    }

    /// Checks every reference and value.
    ///
    /// # Errors
    /// The first problem found, with its path.
    pub fn validate(&self) -> Result {
        crate::limits::check_scenario(self)?;
        let mut mesh_ids = BTreeSet::new();
        for (i, mesh) in self.meshes.iter().enumerate() {
            if mesh.id.is_empty() {
                return err(format!("meshes[{i}].id"), "a mesh needs an id");
            }
            if !mesh_ids.insert(mesh.id.as_str()) {
                return err(
                    format!("meshes[{i}].id"),
                    format!("duplicate mesh id {:?}", mesh.id),
                );
            }
        }
        for (i, mesh) in self.meshes.iter().enumerate() {
            for (j, bundle) in mesh.trust_bundles.iter().enumerate() {
                if !mesh_ids.contains(bundle.as_str()) {
                    return err(
                        format!("meshes[{i}].trustBundles[{j}]"),
                        format!("unknown mesh {bundle:?} (meshes: {})", list(&mesh_ids)),
                    );
                }
            }
            for (j, import) in mesh.imports.iter().enumerate() {
                let path = format!("meshes[{i}].imports[{j}]");
                if !mesh_ids.contains(import.mesh.as_str()) || import.mesh == mesh.id {
                    return err(
                        format!("{path}.mesh"),
                        format!(
                            "{:?} is not another mesh (meshes: {})",
                            import.mesh,
                            list(&mesh_ids)
                        ),
                    );
                }
                if import.service.split('.').count() != 2 {
                    return err(
                        format!("{path}.service"),
                        format!("{:?} is not <name>.<namespace>", import.service),
                    );
                }
            }
        }
        let cluster_names: BTreeSet<&str> = self.clusters.iter().map(|c| c.name.as_str()).collect();
        if self.clusters.is_empty() {
            return err("clusters", "a scenario needs at least one cluster");
        }
        let mut seen = BTreeSet::new();
        for (i, c) in self.clusters.iter().enumerate() {
            if c.name.is_empty() {
                return err(format!("clusters[{i}].name"), "a cluster needs a name");
            }
            if !seen.insert(c.name.as_str()) {
                return err(
                    format!("clusters[{i}].name"),
                    format!("duplicate cluster name {:?}", c.name),
                );
            }
        }
        let ecp_names: BTreeSet<&str> = self
            .external_control_planes
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        for (i, ecp) in self.external_control_planes.iter().enumerate() {
            let path = format!("externalControlPlanes[{i}]");
            if ecp.name.is_empty() {
                return err(
                    format!("{path}.name"),
                    "an external control plane needs a name",
                );
            }
            if cluster_names.contains(ecp.name.as_str()) {
                return err(
                    format!("{path}.name"),
                    format!("{:?} is already a cluster's name", ecp.name),
                );
            }
            if !cluster_names.contains(ecp.config_cluster.as_str()) {
                return err(
                    format!("{path}.configCluster"),
                    format!(
                        "unknown cluster {:?} (clusters: {})",
                        ecp.config_cluster,
                        list(&cluster_names)
                    ),
                );
            }
            for (j, s) in ecp.remote_secrets.iter().enumerate() {
                if !cluster_names.contains(s.as_str()) {
                    return err(
                        format!("{path}.remoteSecrets[{j}]"),
                        format!("unknown cluster {s:?} (clusters: {})", list(&cluster_names)),
                    );
                }
            }
        }
        let mut networks: BTreeSet<&str> =
            self.clusters.iter().map(|c| c.network.as_str()).collect();
        for (i, c) in self.clusters.iter().enumerate() {
            let path = format!("clusters[{i}]");
            if c.mesh.is_empty() && self.meshes.len() > 1 {
                return err(
                    format!("{path}.mesh"),
                    format!(
                        "there are several meshes ({}): say which one cluster {:?} belongs to",
                        list(&mesh_ids),
                        c.name
                    ),
                );
            }
            let known_mesh = mesh_ids.contains(c.mesh.as_str())
                || (self.meshes.is_empty() && c.mesh == DEFAULT_MESH_ID);
            if !c.mesh.is_empty() && !known_mesh {
                return err(
                    format!("{path}.mesh"),
                    format!(
                        "unknown mesh {:?} (meshes: {})",
                        c.mesh,
                        if mesh_ids.is_empty() {
                            DEFAULT_MESH_ID.to_string()
                        } else {
                            list(&mesh_ids)
                        }
                    ),
                );
            }
            if !self.is_primary(c) {
                let cp = c.control_plane.as_str();
                match self.cluster(cp) {
                    Some(primary) if self.is_primary(primary) => {
                        if !primary.remote_secrets.contains(&c.name) {
                            return err(
                                format!("{path}.controlPlane"),
                                format!(
                                    "control plane {cp:?} holds no remote secret for cluster {:?}: add it to clusters[{}].remoteSecrets",
                                    c.name,
                                    self.clusters.iter().position(|x| x.name == cp).unwrap_or(0)
                                ),
                            );
                        }
                    }
                    Some(_) => {
                        return err(
                            format!("{path}.controlPlane"),
                            format!(
                                "cluster {cp:?} is itself a remote cluster: a remote's control plane must be a primary cluster or an external control plane"
                            ),
                        );
                    }
                    None => match self.external_control_planes.iter().find(|e| e.name == cp) {
                        Some(ecp) => {
                            if ecp.config_cluster != c.name && !ecp.remote_secrets.contains(&c.name)
                            {
                                return err(
                                    format!("{path}.controlPlane"),
                                    format!(
                                        "external control plane {cp:?} does not watch cluster {:?}: add it to its remoteSecrets",
                                        c.name
                                    ),
                                );
                            }
                        }
                        None => {
                            let mut known: BTreeSet<&str> = cluster_names.clone();
                            known.extend(ecp_names.iter().copied());
                            return err(
                                format!("{path}.controlPlane"),
                                format!(
                                    "unknown control plane {cp:?} (clusters and external control planes: {})",
                                    list(&known)
                                ),
                            );
                        }
                    },
                }
                if !c.remote_secrets.is_empty() {
                    return err(
                        format!("{path}.remoteSecrets"),
                        "only a primary cluster's control plane watches other clusters; this cluster is a remote",
                    );
                }
                let configures_external = self
                    .external_control_planes
                    .iter()
                    .any(|e| e.config_cluster == c.name);
                if c.mesh_config.is_some() && !configures_external {
                    return err(
                        format!("{path}.meshConfig"),
                        "MeshConfig belongs to a control plane: set it on the primary cluster (or an external control plane's config cluster)",
                    );
                }
            }
            for (j, s) in c.remote_secrets.iter().enumerate() {
                if !cluster_names.contains(s.as_str()) {
                    return err(
                        format!("{path}.remoteSecrets[{j}]"),
                        format!("unknown cluster {s:?} (clusters: {})", list(&cluster_names)),
                    );
                }
                if *s == c.name {
                    return err(
                        format!("{path}.remoteSecrets[{j}]"),
                        "a control plane always watches its own cluster: no remote secret for itself",
                    );
                }
            }
            if let Some(mc) = &c.mesh_config
                && let Some(setting) = &mc.locality_lb_setting
            {
                validate_locality_setting(
                    setting,
                    &format!("{path}.meshConfig.localityLbSetting"),
                )?;
            }
        }
        for (i, n) in self.networks.iter().enumerate() {
            let path = format!("networks[{i}]");
            if n.name.is_empty() {
                return err(format!("{path}.name"), "a network needs a name");
            }
            if !networks.contains(n.name.as_str()) {
                return err(
                    format!("{path}.name"),
                    format!(
                        "no cluster is on network {:?} (cluster networks: {})",
                        n.name,
                        list(&networks)
                    ),
                );
            }
            for (j, g) in n.gateways.iter().enumerate() {
                let gpath = format!("{path}.gateways[{j}]");
                if g.address.is_empty() {
                    return err(format!("{gpath}.address"), "a gateway needs an address");
                }
                if g.port == 0 {
                    return err(format!("{gpath}.port"), "port must be between 1 and 65535");
                }
                if !g.cluster.is_empty() {
                    match self.cluster(&g.cluster) {
                        None => {
                            return err(
                                format!("{gpath}.cluster"),
                                format!(
                                    "unknown cluster {:?} (clusters: {})",
                                    g.cluster,
                                    list(&cluster_names)
                                ),
                            );
                        }
                        Some(c) if c.network != n.name => {
                            return err(
                                format!("{gpath}.cluster"),
                                format!(
                                    "cluster {:?} is on network {:?}, not {:?}",
                                    g.cluster, c.network, n.name
                                ),
                            );
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        networks.extend(self.networks.iter().map(|n| n.name.as_str()));
        let mut services = BTreeSet::new();
        for (i, s) in self.services.iter().enumerate() {
            let path = format!("services[{i}]");
            if s.name.is_empty() || s.namespace.is_empty() {
                return err(path, "a Service needs a name and a namespace");
            }
            if !services.insert((s.name.as_str(), s.namespace.as_str())) {
                return err(
                    format!("{path}.name"),
                    format!(
                        "duplicate Service {}.{}: list every cluster that holds it in one entry's `clusters`",
                        s.name, s.namespace
                    ),
                );
            }
            if s.clusters.is_empty() {
                return err(
                    format!("{path}.clusters"),
                    "list the clusters whose API server holds this Service",
                );
            }
            for (j, c) in s.clusters.iter().enumerate() {
                if !cluster_names.contains(c.as_str()) {
                    return err(
                        format!("{path}.clusters[{j}]"),
                        format!("unknown cluster {c:?} (clusters: {})", list(&cluster_names)),
                    );
                }
            }
            for (j, p) in s.ports.iter().enumerate() {
                if *p == 0 {
                    return err(
                        format!("{path}.ports[{j}]"),
                        "port must be between 1 and 65535",
                    );
                }
            }
            // The Kubernetes annotation takes `~` alone, like a ServiceEntry.
            validate_export_to(&s.export_to, &format!("{path}.exportTo"), true)?;
            if let Some(td) = &s.traffic_distribution
                && !["PreferClose", "PreferSameZone", "PreferSameNode"].contains(&td.as_str())
            {
                return err(
                    format!("{path}.trafficDistribution"),
                    format!(
                        "unknown trafficDistribution {td:?} (Kubernetes accepts PreferClose, PreferSameZone, PreferSameNode)"
                    ),
                );
            }
        }
        let mut se_hosts = BTreeSet::new();
        for (i, cc) in self.config.iter().enumerate() {
            if !cluster_names.contains(cc.cluster.as_str()) {
                return err(
                    format!("config[{i}].cluster"),
                    format!(
                        "unknown cluster {:?} (clusters: {})",
                        cc.cluster,
                        list(&cluster_names)
                    ),
                );
            }
            for (j, r) in cc.resources.iter().enumerate() {
                let path = format!("config[{i}].resources[{j}]");
                validate_resource(r, &path)?;
                if let Resource::ServiceEntry(se) = r {
                    se_hosts.extend(se.hosts.iter().map(String::as_str));
                }
            }
        }
        let mut endpoints: BTreeMap<(&str, &str, u16), usize> = BTreeMap::new();
        let cluster_index: BTreeMap<&str, &ClusterSpec> =
            self.clusters.iter().map(|c| (c.name.as_str(), c)).collect();
        for (i, w) in self.workloads.iter().enumerate() {
            let path = format!("workloads[{i}]");
            let Some(cluster) = cluster_index.get(w.cluster.as_str()).copied() else {
                return err(
                    format!("{path}.cluster"),
                    format!(
                        "unknown cluster {:?} (clusters: {})",
                        w.cluster,
                        list(&cluster_names)
                    ),
                );
            };
            let mut parts = w.service.splitn(2, '.');
            let (name, ns) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            if let Some(s) = self
                .services
                .iter()
                .find(|s| s.name == name && s.namespace == ns)
            {
                if !s.clusters.contains(&w.cluster) {
                    return err(
                        format!("{path}.cluster"),
                        format!(
                            "cluster {:?} has no Service {}: the Service is in {}",
                            w.cluster,
                            w.service,
                            s.clusters.join(", ")
                        ),
                    );
                }
            } else if !se_hosts.contains(w.service.as_str()) {
                return err(
                    format!("{path}.service"),
                    format!(
                        "no Service <name>.<namespace> or ServiceEntry host {:?}",
                        w.service
                    ),
                );
            }
            if w.address.is_empty() {
                return err(format!("{path}.address"), "a workload needs an address");
            }
            if w.port == 0 {
                return err(format!("{path}.port"), "port must be between 1 and 65535");
            }
            if w.weight == 0 {
                return err(
                    format!("{path}.weight"),
                    "weight must be at least 1 (0 is not a weight Envoy accepts)",
                );
            }
            let network = w.network.as_deref().unwrap_or(&cluster.network);
            if let Some(n) = &w.network
                && !networks.contains(n.as_str())
            {
                return err(
                    format!("{path}.network"),
                    format!("unknown network {n:?} (networks: {})", list(&networks)),
                );
            }
            if let Some(first) = endpoints.insert((network, w.address.as_str(), w.port), i) {
                return err(
                    format!("{path}.address"),
                    format!(
                        "{}:{} is already workloads[{first}] on network {network:?}: addresses may overlap only across networks",
                        w.address, w.port
                    ),
                );
            }
        }
        let c = &self.client;
        if c.cluster.is_empty() {
            return err(
                "client",
                format!(
                    "no client: say who sends the request (client: {{cluster, namespace, locality}}, or --from CLUSTER/NAMESPACE; clusters: {})",
                    list(&cluster_names)
                ),
            );
        }
        if !cluster_names.contains(c.cluster.as_str()) {
            return err(
                "client.cluster",
                format!(
                    "unknown cluster {:?} (clusters: {})",
                    c.cluster,
                    list(&cluster_names)
                ),
            );
        }
        if c.namespace.is_empty() {
            return err("client.namespace", "the client needs a namespace");
        }
        if self.request.host.is_empty() {
            return err("request.host", "say which host the client calls");
        }
        if self.request.port == Some(0) {
            return err("request.port", "port must be between 1 and 65535");
        }
        Ok(())
    }
}

/// Istio's `validateExportTo` (`pkg/config/validation/validation.go`).
fn validate_export_to(export_to: &[String], path: &str, is_service_entry: bool) -> Result {
    let mut seen = BTreeSet::new();
    for (i, e) in export_to.iter().enumerate() {
        if e.is_empty() {
            return err(format!("{path}[{i}]"), "exportTo entries must not be empty");
        }
        if !seen.insert(e.as_str()) {
            return err(
                format!("{path}[{i}]"),
                format!("duplicate entries in exportTo: {e}"),
            );
        }
        if e == "~" && export_to.len() > 1 {
            return err(
                format!("{path}[{i}]"),
                "cannot export service entry to no one (~) and someone",
            );
        }
        if e == "~" && !is_service_entry {
            return err(
                format!("{path}[{i}]"),
                "exportTo ~ (none) is not allowed for Istio configuration objects",
            );
        }
    }
    if seen.contains("*") && export_to.len() > 1 {
        return err(
            path.to_string(),
            "cannot have both public (*) and non-public exportTo values for a resource",
        );
    }
    Ok(())
}

fn validate_resource(resource: &Resource, path: &str) -> Result {
    match resource {
        Resource::DestinationRule(dr) => {
            if dr.host.is_empty() {
                return err(
                    format!("{path}.spec.host"),
                    "a DestinationRule needs a host",
                );
            }
            validate_export_to(&dr.export_to, &format!("{path}.spec.exportTo"), false)?;
            if let Some(tp) = &dr.traffic_policy {
                validate_policy(tp, &format!("{path}.spec.trafficPolicy"))?;
            }
            let mut names = BTreeSet::new();
            for (i, s) in dr.subsets.iter().enumerate() {
                if s.name.is_empty() {
                    return err(
                        format!("{path}.spec.subsets[{i}].name"),
                        "subset name cannot be empty",
                    );
                }
                if !names.insert(s.name.as_str()) {
                    return err(
                        format!("{path}.spec.subsets[{i}].name"),
                        format!("duplicate subset names: {}", s.name),
                    );
                }
                if let Some(tp) = &s.traffic_policy {
                    validate_policy(tp, &format!("{path}.spec.subsets[{i}].trafficPolicy"))?;
                }
            }
        }
        Resource::VirtualService(vs) => {
            if vs.hosts.is_empty() {
                return err(
                    format!("{path}.spec.hosts"),
                    "virtual service must have at least one host",
                );
            }
            validate_export_to(&vs.export_to, &format!("{path}.spec.exportTo"), false)?;
            for (i, route) in vs.http.iter().enumerate() {
                for (j, m) in route.matches.iter().enumerate() {
                    validate_match(m, &format!("{path}.spec.http[{i}].match[{j}]"))?;
                }
                let rpath = format!("{path}.spec.http[{i}].route");
                let mut total = 0_i64;
                for (j, d) in route.route.iter().enumerate() {
                    if d.host.is_empty() {
                        return err(
                            format!("{rpath}[{j}].destination.host"),
                            "destination host is required",
                        );
                    }
                    if let Some(w) = d.weight {
                        if w < 0 {
                            return err(format!("{rpath}[{j}].weight"), format!("weight {w} < 0"));
                        }
                        total += w;
                    }
                }
                if route.route.len() > 1 && total == 0 {
                    return err(rpath, "total destination weight = 0");
                }
            }
        }
        Resource::ServiceEntry(se) => {
            if se.hosts.is_empty() {
                return err(
                    format!("{path}.spec.hosts"),
                    "service entry must have at least one host",
                );
            }
            if se.ports.is_empty() {
                return err(
                    format!("{path}.spec.ports"),
                    "service entry must have at least one port",
                );
            }
            if se.workload_selector.is_some() && !se.endpoints.is_empty() {
                return err(
                    format!("{path}.spec.workloadSelector"),
                    "only one of WorkloadSelector or Endpoints is allowed in Service Entry",
                );
            }
            validate_export_to(&se.export_to, &format!("{path}.spec.exportTo"), true)?;
            for (i, e) in se.endpoints.iter().enumerate() {
                if e.address.is_empty() && e.network.is_empty() {
                    return err(
                        format!("{path}.spec.endpoints[{i}].address"),
                        "address is required (it may be left out only with a network, whose gateway then carries the traffic)",
                    );
                }
            }
        }
        Resource::WorkloadEntry(we) => {
            // `validateWorkloadEntry` (istio/istio pkg/config/validation/validation.go): an
            // empty address is allowed, with a warning, when `network` is set.
            if we.spec.address.is_empty() && we.spec.network.is_empty() {
                return err(
                    format!("{path}.spec.address"),
                    "address is required (it may be left out only with a network, whose gateway then carries the traffic)",
                );
            }
        }
        Resource::Sidecar(sc) => validate_sidecar(sc, path)?,
    }
    Ok(())
}

/// Istio's `ValidateSidecar` and `validateNamespaceSlashWildcardHostname` (istio/istio
/// `pkg/config/validation/validation.go`), for the fields meshlb reads: every egress host is
/// `namespace/dnsName`, the namespace `*`, `.`, `~` or a DNS label, the name `*`, `*.suffix` or
/// a DNS name; workload selector labels have no empty key and no `*`.
fn validate_sidecar(sc: &super::model::Sidecar, path: &str) -> Result {
    if let Some(selector) = &sc.workload_selector {
        for (k, v) in selector {
            if k.is_empty() {
                return err(
                    format!("{path}.spec.workloadSelector.labels"),
                    format!("empty key is not supported in selector: \"={v}\""),
                );
            }
            if k.contains('*') || v.contains('*') {
                return err(
                    format!("{path}.spec.workloadSelector.labels.{k}"),
                    format!("wildcard is not supported in selector: \"{k}={v}\""),
                );
            }
        }
    }
    for (i, e) in sc.egress.iter().enumerate() {
        let epath = format!("{path}.spec.egress[{i}]");
        if e.hosts.is_empty() {
            return err(
                format!("{epath}.hosts"),
                "an egress listener needs at least one host (namespace/dnsName)",
            );
        }
        for (j, h) in e.hosts.iter().enumerate() {
            let hpath = format!("{epath}.hosts[{j}]");
            let Some((ns, name)) = h.split_once('/').filter(|(_, n)| !n.contains('/')) else {
                return err(
                    hpath,
                    format!(
                        "{h:?}: host must be of form namespace/dnsName (for example ./* or istio-system/*)"
                    ),
                );
            };
            if ns.is_empty() || name.is_empty() {
                return err(
                    hpath,
                    format!("{h:?}: config namespace and dnsName in host entry cannot be empty"),
                );
            }
            let label = |s: &str| {
                s.len() <= 63
                    && s.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !s.starts_with('-')
                    && !s.ends_with('-')
            };
            if !["*", ".", "~"].contains(&ns) && !label(ns) {
                return err(hpath, format!("invalid namespace value {ns:?} in sidecar"));
            }
            let rest = name.strip_prefix("*.").unwrap_or(name);
            let dns_ok = name == "*"
                || (!rest.is_empty()
                    && !rest.contains('*')
                    && rest.split('.').all(|part| {
                        !part.is_empty()
                            && part
                                .bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                    }));
            if !dns_ok {
                return err(
                    hpath,
                    format!("{name:?} is not a valid DNS name or wildcard (*, *.suffix)"),
                );
            }
        }
    }
    Ok(())
}

/// `HTTPMatchRequest` checks: a regular expression is not empty and compiles (Istio's
/// `validateStringMatchRegexp` and `validateStringRegexp`, `pkg/config/validation/validation.go`,
/// refuse an empty or invalid RE2 expression; meshlb also refuses what its RE2 subset does not
/// read), and header names are not empty.
fn validate_match(m: &super::model::HttpMatch, path: &str) -> Result {
    use super::model::StringMatch;
    let regex = |sm: Option<&StringMatch>, at: String| -> Result {
        if let Some(StringMatch::Regex(r)) = sm {
            if r.is_empty() {
                return err(at, "regex string match should not be empty");
            }
            if let Err(e) = super::regex::Regex::new(r) {
                return err(at, e);
            }
        }
        Ok(())
    };
    regex(m.uri.as_ref(), format!("{path}.uri.regex"))?;
    regex(m.method.as_ref(), format!("{path}.method.regex"))?;
    for (field, map) in [
        ("headers", &m.headers),
        ("withoutHeaders", &m.without_headers),
        ("queryParams", &m.query_params),
    ] {
        for (name, sm) in map {
            if name.is_empty() {
                return err(format!("{path}.{field}"), "header name cannot be empty");
            }
            regex(sm.as_ref(), format!("{path}.{field}.{name}.regex"))?;
        }
    }
    Ok(())
}

fn validate_policy(tp: &TrafficPolicy, path: &str) -> Result {
    if let Some(lb) = &tp.load_balancer
        && let Some(setting) = &lb.locality_lb_setting
    {
        validate_locality_setting(setting, &format!("{path}.loadBalancer.localityLbSetting"))?;
    }
    if let Some(od) = &tp.outlier_detection
        && let Some(p) = od.min_health_percent
        && !(0..=100).contains(&p)
    {
        return err(
            format!("{path}.outlierDetection.minHealthPercent"),
            "outlier detection minimum health percent must be in range [0, 100]",
        );
    }
    for (i, (port, policy)) in tp.port_level.iter().enumerate() {
        if *port == 0 {
            return err(
                format!("{path}.portLevelSettings[{i}].port.number"),
                "port number must be between 1 and 65535",
            );
        }
        validate_policy(policy, &format!("{path}.portLevelSettings[{i}]"))?;
    }
    Ok(())
}

/// Istio's `ValidateLocalityLbSetting` (`pkg/config/validation/agent/validation.go`).
fn validate_locality_setting(setting: &LocalityLbSetting, path: &str) -> Result {
    if !setting.distribute.is_empty() && !setting.failover.is_empty() {
        return err(
            path.to_string(),
            "can not simultaneously specify 'distribute' and 'failover'",
        );
    }
    if !setting.failover.is_empty()
        && let Some(label) = setting.failover_priority.iter().find(|l| {
            let key = l.split('=').next().unwrap_or("");
            [
                "topology.kubernetes.io/region",
                "topology.kubernetes.io/zone",
                "topology.istio.io/subzone",
            ]
            .contains(&key)
        })
    {
        return err(
            format!("{path}.failoverPriority"),
            format!(
                "can not simultaneously set 'failover' and topology label '{label}' in 'failover_priority' (Istio's validation)"
            ),
        );
    }
    let mut froms = BTreeSet::new();
    for (i, Distribute { from, to }) in setting.distribute.iter().enumerate() {
        let dpath = format!("{path}.distribute[{i}]");
        if !froms.insert(from.as_str()) {
            return err(
                format!("{dpath}.from"),
                format!("locality {from} overlap with previous specified ones"),
            );
        }
        validate_locality_pattern(from, &format!("{dpath}.from"))?;
        let mut sum = 0_u32;
        for (key, weight) in to {
            validate_locality_pattern(key, &format!("{dpath}.to"))?;
            if *weight == 0 || *weight > 100 {
                return err(
                    format!("{dpath}.to"),
                    format!("locality weight must be in range [1, 100] ({key}: {weight})"),
                );
            }
            sum += *weight;
        }
        if sum != 100 {
            return err(
                format!("{dpath}.to"),
                format!("total locality weight {sum} != 100"),
            );
        }
    }
    for (i, Failover { from, to }) in setting.failover.iter().enumerate() {
        let fpath = format!("{path}.failover[{i}]");
        if from == to {
            return err(
                fpath,
                "locality lb failover settings must specify different regions",
            );
        }
        for (value, side) in [(from, "from"), (to, "to")] {
            if value.contains('/') || value.is_empty() {
                return err(
                    format!("{fpath}.{side}"),
                    format!("locality lb failover only specify region (got {value:?})"),
                );
            }
            if value.contains('*') {
                return err(
                    format!("{fpath}.{side}"),
                    "locality lb failover region should not contain '*' wildcard",
                );
            }
        }
    }
    for (i, label) in setting.failover_priority.iter().enumerate() {
        if label.is_empty()
            || label.starts_with('=')
            || label.ends_with('=') && label.matches('=').count() > 1
        {
            return err(
                format!("{path}.failoverPriority[{i}]"),
                format!("invalid failoverPriority entry {label:?}"),
            );
        }
    }
    Ok(())
}

/// A locality pattern: `region[/zone[/subzone]]`, where `*` may only be a whole last part.
fn validate_locality_pattern(pattern: &str, path: &str) -> Result {
    let parts: Vec<&str> = pattern.split('/').collect();
    if pattern.is_empty() || parts.len() > 3 {
        return err(
            path.to_string(),
            format!("locality {pattern:?} must be region[/zone[/subzone]]"),
        );
    }
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            return err(
                path.to_string(),
                format!("locality {pattern} must not contain empty region/zone/subzone info"),
            );
        }
        if part.contains('*') && (*part != "*" || i + 1 != parts.len()) {
            return err(
                path.to_string(),
                format!(
                    "locality {pattern} wildcard '*' number can not exceed 1 and must be in the end"
                ),
            );
        }
    }
    Ok(())
}
