//! Envoy input: every artefact a user holds, detected from its content, JSON or YAML.
//!
//! - the admin `/config_dump` (with or without `?include_eds`, whole or as `?resource=` /
//!   `?mask=` fragments): `ClustersConfigDump` (`static_clusters`, `dynamic_active_clusters`,
//!   `dynamic_warming_clusters`), `EndpointsConfigDump` (`static_endpoint_configs`,
//!   `dynamic_endpoint_configs`), `BootstrapConfigDump`; other dumps (listeners, routes, ...) are
//!   counted in a note;
//! - `istioctl proxy-config cluster|endpoint|eds|all -o json`: lists of `Cluster`s or
//!   `ClusterLoadAssignment`s, and the admin `/clusters?format=json` shape
//!   (`cluster_statuses[].host_statuses[]`, [`admin`]);
//! - xDS `DiscoveryResponse`s (`resources[]` with `@type`, also delta responses' `Resource`
//!   wrappers), filesystem CDS/EDS files, Envoy bootstrap files (`static_resources.clusters`);
//! - a single `Cluster` or `ClusterLoadAssignment`, a list of them, several YAML documents;
//! - istiod's debug output written by Go's `encoding/json` ([`go`]).
//!
//! A file holds clusters and assignments separately: each cluster is joined with its
//! assignment by `eds_cluster_config.service_name`, else its name (Envoy's EDS resource name,
//! `EdsClusterImpl`), so the explanation uses the cluster's policy and the assignment's
//! endpoints together. An assignment in the file's `EndpointsConfigDump` wins over a cluster's
//! inline `load_assignment`: it is what the running Envoy holds, health included.

use meshlb::{Note, NoteCode};
mod admin;
mod go;
mod health_check;
mod resource;

use std::collections::BTreeMap;

use crate::error::InputError;
use crate::names::lower_camel;
use crate::path::Path;
use crate::tree::{Node, Value};
pub use health_check::{HealthCheck, Protocol as HealthCheckProtocol};
use meshlb::{ClusterRow, LbConfig, LoadAssignment, Plan, PlanError};
use resource::{AssignmentPlaces, AssignmentResource, ClusterResource, ConfigPlaces, Parser};

pub(crate) use resource::{CLA_TYPE, CLUSTER_TYPE};

/// Which Envoy resource an explained cluster came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    /// An `envoy.config.endpoint.v3.ClusterLoadAssignment` without its cluster.
    ClusterLoadAssignment,
    /// An `envoy.config.cluster.v3.Cluster` (with its assignment, inline or joined).
    Cluster,
    /// A cluster of the admin `/clusters?format=json` output.
    ClusterStatus,
}

impl Document {
    /// The resource's name, for titles.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ClusterLoadAssignment => "ClusterLoadAssignment",
            Self::Cluster => "Cluster",
            Self::ClusterStatus => "ClusterStatus",
        }
    }
}

/// One explainable cluster: its endpoints, its load-balancing configuration and notes.
#[derive(Debug, Clone)]
pub struct EnvoyInput {
    /// The resource the cluster came from.
    pub document: Document,
    /// The cluster's name (`cluster_name` for an assignment alone).
    pub name: String,
    /// The endpoints.
    pub assignment: LoadAssignment,
    /// The load-balancing configuration (Envoy's defaults for an assignment alone).
    pub config: LbConfig,
    /// What meshlb accepted but does not model, and other remarks.
    pub notes: Vec<Note>,
    /// The cluster's first active health check (`health_checks[0]`), when it has one.
    pub health_check: Option<HealthCheck>,
    /// The file the assignment came from, and the cluster's.
    files: (String, String),
    assignment_places: AssignmentPlaces,
    config_places: ConfigPlaces,
}

/// One cluster of a file: what a listing shows, and what can be explained.
#[derive(Debug, Clone)]
pub struct ClusterEntry {
    /// What a listing shows.
    pub row: ClusterRow,
    /// The cluster with its endpoints, when the file holds them and meshlb can explain it.
    pub input: Option<EnvoyInput>,
}

/// Everything Envoy-shaped one or several files hold.
#[derive(Debug, Clone, Default)]
pub struct EnvoyFile {
    /// What the files are (`admin /config_dump`, `xDS DiscoveryResponse`, ...).
    pub kinds: Vec<String>,
    /// Every cluster (and every assignment without a cluster), in the order found.
    pub clusters: Vec<ClusterEntry>,
    /// Remarks about the files as a whole (parts not read, warming clusters, ...).
    pub notes: Vec<Note>,
}

/// Members that make an object with a `name` a `Cluster` (besides its `@type`). Detection of
/// Envoy input as a whole ([`looks_like_envoy`]) leaves out `type` and `cluster_type`, which
/// other documents (a Kubernetes Secret) have too.
const CLUSTER_KEYS: &[&str] = &[
    "load_assignment",
    "type",
    "cluster_type",
    "eds_cluster_config",
    "lb_policy",
    "load_balancing_policy",
    "connect_timeout",
];

/// Whether a document looks like Envoy input (as opposed to a meshlb scenario).
#[must_use]
pub fn looks_like_envoy(value: &Node) -> bool {
    match &value.value {
        Value::Seq(items) => items.first().is_some_and(looks_like_envoy),
        Value::Map(_) => {
            let has = |k: &str| value.get(k).is_some() || value.get(&lower_camel(k)).is_some();
            [
                "@type",
                "configs",
                "cluster_statuses",
                "host_statuses",
                "resources",
                "static_resources",
                "dynamic_resources",
                "load_assignment",
                "cluster_name",
                "static_clusters",
                "dynamic_active_clusters",
                "dynamic_warming_clusters",
                "static_endpoint_configs",
                "dynamic_endpoint_configs",
                "endpoint_config",
                "eds_cluster_config",
                "lb_policy",
                "load_balancing_policy",
                "connect_timeout",
            ]
            .iter()
            .any(|k| has(k))
                || (has("cluster") && (has("last_updated") || has("version_info")))
                || go::is_go_map(value)
        }
        _ => false,
    }
}

/// Parses one Envoy JSON document holding one cluster (a `ClusterLoadAssignment`, or a
/// `Cluster` with its `load_assignment`).
///
/// # Errors
/// An [`InputError`] naming the path and line, or a message that the document holds no
/// cluster, or several.
pub fn parse_envoy_json(text: &str) -> Result<EnvoyInput, InputError> {
    let value = crate::json::parse(text)?;
    let file = read(&[("", &value)]).map_err(|(_, e)| e)?;
    let mut explainable = file.clusters.into_iter().filter_map(|c| c.input);
    match (explainable.next(), explainable.next()) {
        (Some(input), None) => Ok(input),
        _ => Err(InputError::at(
            &Path::root(),
            "not one Envoy ClusterLoadAssignment (needs `cluster_name` and `endpoints`) or Cluster with its load_assignment",
        )),
    }
}

/// Reads every Envoy artefact in `files` (name, document tree; a stream of several YAML
/// documents is given as one list). Clusters are joined with their assignments across files.
///
/// # Errors
/// The file's name and the error (path, line): malformed input, a field Envoy's API does not
/// have, a value out of range, a `DiscoveryResponse` of a type that holds no clusters or
/// endpoints, a document that is no Envoy artefact.
pub fn read(files: &[(&str, &Node)]) -> Result<EnvoyFile, (String, InputError)> {
    let mut walker = Walker::default();
    for (name, root) in files {
        walker.file = (*name).to_string();
        walker.kind = None;
        walker.had_clusters_dump = false;
        walker.bootstrap.clear();
        let result = if go::is_go_map(root) {
            walker.kind = Some("istiod debug output (Go JSON)".into());
            let normalized = go::normalize(root);
            walker.go_map(&normalized)
        } else {
            walker.visit(root, &Path::root(), "file", true)
        };
        result.map_err(|e| ((*name).to_string(), e.with_line_in(root)))?;
        // A bootstrap's static clusters are in the ClustersConfigDump too: read them from the
        // bootstrap only when the file has no ClustersConfigDump.
        if !walker.had_clusters_dump {
            let pending = std::mem::take(&mut walker.bootstrap);
            for (value, path) in pending {
                walker
                    .cluster(&value, &path, "static_resources.clusters")
                    .map_err(|e| ((*name).to_string(), e.with_line_in(root)))?;
            }
        } else if !walker.bootstrap.is_empty() {
            walker.notes.push(Note::new(NoteCode::Source, format!(
                "{name}: the bootstrap's {} static cluster(s) are read from the ClustersConfigDump, which holds them as running",
                walker.bootstrap.len()
            )));
            walker.bootstrap.clear();
        }
        if let Some(kind) = walker.kind.take()
            && !walker.kinds.contains(&kind)
        {
            walker.kinds.push(kind);
        }
    }
    Ok(walker.join())
}

/// A cluster found in a file.
#[derive(Debug)]
struct FoundCluster {
    file: String,
    source: String,
    resource: ClusterResource,
}

/// An assignment found in a file.
#[derive(Debug)]
struct FoundAssignment {
    file: String,
    source: String,
    resource: AssignmentResource,
    document: Document,
}

/// What a config dump's entries wrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entries {
    /// `ClustersConfigDump`: clusters.
    Clusters,
    /// `EndpointsConfigDump`: assignments.
    Endpoints,
}

/// Walks documents, collecting clusters and assignments.
#[derive(Debug, Default)]
struct Walker {
    file: String,
    kind: Option<String>,
    kinds: Vec<String>,
    clusters: Vec<FoundCluster>,
    assignments: Vec<FoundAssignment>,
    notes: Vec<Note>,
    skipped: BTreeMap<String, usize>,
    had_clusters_dump: bool,
    bootstrap: Vec<(Node, Path)>,
}

/// `@type`s of the admin config dump.
const ADMIN: &str = "type.googleapis.com/envoy.admin.v3.";

impl Walker {
    fn set_kind(&mut self, kind: &str) {
        if self.kind.is_none() {
            self.kind = Some(kind.to_string());
        }
    }

    /// One value of a file: recognised by its `@type`, else by its members.
    fn visit(
        &mut self,
        value: &Node,
        path: &Path,
        source: &str,
        top: bool,
    ) -> Result<(), InputError> {
        match &value.value {
            Value::Seq(items) => {
                if top {
                    self.set_kind("a list of Envoy resources");
                }
                for (i, item) in items.iter().enumerate() {
                    self.visit(item, &path.index(i), source, false)?;
                }
                Ok(())
            }
            Value::Map(_) => {
                if let Some(t) = member(value, "@type") {
                    let t = t.as_str().ok_or_else(|| {
                        InputError::at(&path.key("@type"), "`@type` must be a string")
                    })?;
                    return self.typed(value, path, t, source);
                }
                let has = |k: &str| member(value, k).is_some();
                if has("configs") {
                    self.set_kind("admin /config_dump");
                    self.config_dump(value, path)
                } else if has("cluster_statuses") {
                    self.set_kind("admin /clusters?format=json");
                    self.cluster_statuses(value, path)
                } else if has("host_statuses") {
                    self.set_kind("admin /clusters?format=json (istioctl proxy-config endpoint)");
                    self.cluster_status(value, path)
                } else if has("resources") {
                    self.discovery_response(value, path)
                } else if has("static_resources") || has("dynamic_resources") {
                    self.set_kind("Envoy bootstrap");
                    self.bootstrap(value, path)
                } else if has("static_clusters")
                    || has("dynamic_active_clusters")
                    || has("dynamic_warming_clusters")
                {
                    self.set_kind("admin ClustersConfigDump");
                    self.dump(value, path, Entries::Clusters)
                } else if has("static_endpoint_configs") || has("dynamic_endpoint_configs") {
                    self.set_kind("admin EndpointsConfigDump");
                    self.dump(value, path, Entries::Endpoints)
                } else if has("endpoint_config") {
                    self.set_kind("admin /config_dump fragment");
                    self.entry(value, path, source, Entries::Endpoints)
                } else if has("cluster") && !has("cluster_name") {
                    self.set_kind("admin /config_dump fragment");
                    self.entry(value, path, source, Entries::Clusters)
                } else if has("cluster_name") && !has("load_assignment") {
                    self.set_kind("Envoy ClusterLoadAssignment");
                    self.assignment(value, path, source, Document::ClusterLoadAssignment)
                } else if has("name") && CLUSTER_KEYS.iter().any(|k| has(k)) {
                    self.set_kind("Envoy Cluster");
                    self.cluster(value, path, source)
                } else if has("load_assignment") {
                    Err(InputError::at(path, "a Cluster needs its `name`"))
                } else {
                    Err(InputError::at(
                        path,
                        "not an Envoy artefact meshlb reads: expected a /config_dump, /clusters?format=json, a DiscoveryResponse, a bootstrap, a Cluster or a ClusterLoadAssignment (or a list of them)",
                    ))
                }
            }
            _ => Err(InputError::at(
                path,
                format!(
                    "expected an Envoy resource (an object) or a list of them, found {}",
                    resource::type_name(value)
                ),
            )),
        }
    }

    /// A value with `@type`.
    fn typed(
        &mut self,
        value: &Node,
        path: &Path,
        t: &str,
        source: &str,
    ) -> Result<(), InputError> {
        let t = &*resource::v3_type(t);
        let cla_shaped = member(value, "cluster_name").is_some() && member(value, "name").is_none();
        if (t == CLUSTER_TYPE && cla_shaped) || (t == CLA_TYPE && !cla_shaped) {
            return Err(InputError::at(
                &path.key("@type"),
                format!(
                    "`@type` is {t:?}, but the object is a {} (a Cluster has `name`, a ClusterLoadAssignment `cluster_name`)",
                    if cla_shaped {
                        "ClusterLoadAssignment"
                    } else {
                        "Cluster"
                    }
                ),
            ));
        }
        if t == CLUSTER_TYPE {
            self.set_kind("Envoy Cluster");
            return self.cluster(value, path, source);
        }
        if t == CLA_TYPE {
            self.set_kind("Envoy ClusterLoadAssignment");
            return self.assignment(value, path, source, Document::ClusterLoadAssignment);
        }
        if t == "type.googleapis.com/envoy.config.bootstrap.v3.Bootstrap" {
            self.set_kind("Envoy bootstrap");
            return self.bootstrap(value, path);
        }
        if t == "type.googleapis.com/envoy.service.discovery.v3.Resource" {
            return self.xds_resource(value, path, None);
        }
        if t == "type.googleapis.com/envoy.service.discovery.v3.DiscoveryResponse"
            || t == "type.googleapis.com/envoy.service.discovery.v3.DeltaDiscoveryResponse"
        {
            return self.discovery_response(value, path);
        }
        let Some(admin) = t.strip_prefix(ADMIN) else {
            return Err(InputError::at(
                &path.key("@type"),
                format!(
                    "`@type` {t:?} is not an Envoy resource meshlb reads (Cluster, ClusterLoadAssignment, Bootstrap, admin config dumps, DiscoveryResponse)"
                ),
            ));
        };
        self.set_kind("admin /config_dump");
        match admin {
            "ConfigDump" => self.config_dump(value, path),
            "ClustersConfigDump" => self.dump(value, path, Entries::Clusters),
            "EndpointsConfigDump" => self.dump(value, path, Entries::Endpoints),
            "BootstrapConfigDump" => self.bootstrap_dump(value, path),
            "ClustersConfigDump.StaticCluster" => {
                self.had_clusters_dump = true;
                self.entry(value, path, "static_clusters", Entries::Clusters)
            }
            "ClustersConfigDump.DynamicCluster" => {
                self.had_clusters_dump = true;
                self.entry(value, path, "dynamic_active_clusters", Entries::Clusters)
            }
            "EndpointsConfigDump.StaticEndpointConfig" => {
                self.entry(value, path, "static_endpoint_configs", Entries::Endpoints)
            }
            "EndpointsConfigDump.DynamicEndpointConfig" => {
                self.entry(value, path, "dynamic_endpoint_configs", Entries::Endpoints)
            }
            other => {
                *self.skipped.entry(other.to_string()).or_default() += 1;
                Ok(())
            }
        }
    }

    /// `admin.v3.ConfigDump`.
    fn config_dump(&mut self, value: &Node, path: &Path) -> Result<(), InputError> {
        let mut parser = Parser::default();
        let f = parser.object(value, path, "ConfigDump", &["configs", "@type"], &[])?;
        if let Some((configs, p)) = f.get("configs") {
            for (i, item) in resource::array(configs, &p)?.iter().enumerate() {
                let ip = p.index(i);
                let t = member(item, "@type")
                    .and_then(Node::as_str)
                    .ok_or_else(|| InputError::at(&ip, "a config dump entry needs its `@type`"))?;
                self.typed(item, &ip, t, "configs")?;
            }
        }
        Ok(())
    }

    /// `admin.v3.ClustersConfigDump` or `EndpointsConfigDump`: each section's entries.
    fn dump(&mut self, value: &Node, path: &Path, kind: Entries) -> Result<(), InputError> {
        if kind == Entries::Clusters {
            self.had_clusters_dump = true;
        }
        let (what, sections, ignored): (&str, &[&'static str], &[&'static str]) = match kind {
            Entries::Clusters => (
                "ClustersConfigDump",
                &[
                    "static_clusters",
                    "dynamic_active_clusters",
                    "dynamic_warming_clusters",
                ],
                &["version_info"],
            ),
            Entries::Endpoints => (
                "EndpointsConfigDump",
                &["static_endpoint_configs", "dynamic_endpoint_configs"],
                &[],
            ),
        };
        let mut known = vec!["@type"];
        known.extend_from_slice(sections);
        let f = Parser::default().object(value, path, what, &known, ignored)?;
        for section in sections {
            if let Some((list, p)) = f.get(section) {
                for (i, item) in resource::array(list, &p)?.iter().enumerate() {
                    self.entry(item, &p.index(i), section, kind)?;
                }
            }
        }
        Ok(())
    }

    /// One entry of a dump (`ClustersConfigDump.StaticCluster` / `DynamicCluster`,
    /// `EndpointsConfigDump.StaticEndpointConfig` / `DynamicEndpointConfig`): the resource it
    /// wraps, read with `source` naming the section.
    fn entry(
        &mut self,
        value: &Node,
        path: &Path,
        source: &str,
        kind: Entries,
    ) -> Result<(), InputError> {
        let (what, field) = match kind {
            Entries::Clusters => ("ClustersConfigDump entry", "cluster"),
            Entries::Endpoints => ("EndpointsConfigDump entry", "endpoint_config"),
        };
        let f = Parser::default().object(
            value,
            path,
            what,
            &["@type", field],
            &[
                "version_info",
                "last_updated",
                "error_state",
                "client_status",
            ],
        )?;
        match (f.get(field), kind) {
            (Some((c, p)), Entries::Clusters) => self.cluster(c, &p, source),
            (Some((c, p)), Entries::Endpoints) => {
                self.assignment(c, &p, source, Document::ClusterLoadAssignment)
            }
            (None, _) => Ok(()),
        }
    }

    /// `admin.v3.BootstrapConfigDump`.
    fn bootstrap_dump(&mut self, value: &Node, path: &Path) -> Result<(), InputError> {
        let mut parser = Parser::default();
        let f = parser.object(
            value,
            path,
            "BootstrapConfigDump",
            &["@type", "bootstrap"],
            &["last_updated"],
        )?;
        if let Some((b, p)) = f.get("bootstrap") {
            self.bootstrap(b, &p)?;
        }
        Ok(())
    }

    /// `config.bootstrap.v3.Bootstrap`: its static clusters (read later, unless the file has a
    /// ClustersConfigDump). Its other members (listeners, admin, tracing, ...) do not bear on
    /// load balancing and are not read.
    fn bootstrap(&mut self, value: &Node, path: &Path) -> Result<(), InputError> {
        if let Some(sr) = member(value, "static_resources") {
            let sp = path.key(&key_of(value, "static_resources"));
            let mut parser = Parser::default();
            let f = parser.object(
                sr,
                &sp,
                "StaticResources",
                &["clusters"],
                &["listeners", "secrets"],
            )?;
            if let Some((list, p)) = f.get("clusters") {
                for (i, item) in resource::array(list, &p)?.iter().enumerate() {
                    self.bootstrap.push((item.clone(), p.index(i)));
                }
            }
        }
        if member(value, "dynamic_resources").is_some() {
            self.notes.push(Note::new(NoteCode::NotRead, format!(
                "{}the bootstrap's dynamic_resources (CDS/ADS) are fetched at run time: the clusters they deliver are not in this file",
                if self.file.is_empty() { String::new() } else { format!("{}: ", self.file) }
            )));
        }
        Ok(())
    }

    /// A `DiscoveryResponse` (or delta response, or a filesystem xDS file: `resources` alone).
    fn discovery_response(&mut self, value: &Node, path: &Path) -> Result<(), InputError> {
        let mut parser = Parser::default();
        let f = parser.object(
            value,
            path,
            "DiscoveryResponse",
            &["@type", "resources", "type_url"],
            &[
                "version_info",
                "system_version_info",
                "canary",
                "nonce",
                "control_plane",
                "removed_resources",
                "removed_resource_names",
                "resource_errors",
            ],
        )?;
        let declared = match f.get("type_url") {
            Some((v, p)) => Some(resource::v3_type(&resource::string(v, &p)?).into_owned()),
            None => None,
        };
        if let Some(t) = &declared
            && t != CLUSTER_TYPE
            && t != CLA_TYPE
        {
            return Err(InputError::at(
                &path.key(&key_of(value, "type_url")),
                format!(
                    "a DiscoveryResponse of type {t}: meshlb reads Cluster (CDS) and ClusterLoadAssignment (EDS) responses"
                ),
            ));
        }
        self.set_kind(if declared.is_some() {
            "xDS DiscoveryResponse"
        } else {
            "xDS resource file"
        });
        if let Some((list, p)) = f.get("resources") {
            for (i, item) in resource::array(list, &p)?.iter().enumerate() {
                self.xds_resource(item, &p.index(i), declared.as_deref())?;
            }
        }
        Ok(())
    }

    /// One entry of `resources`: a Cluster or a ClusterLoadAssignment with its `@type` (or a
    /// delta response's `Resource` wrapper around one).
    fn xds_resource(
        &mut self,
        value: &Node,
        path: &Path,
        declared: Option<&str>,
    ) -> Result<(), InputError> {
        let t = member(value, "@type")
            .and_then(Node::as_str)
            .map(resource::v3_type);
        match t.as_deref() {
            Some("type.googleapis.com/envoy.service.discovery.v3.Resource") => {
                let mut parser = Parser::default();
                let f = parser.object(
                    value,
                    path,
                    "Resource",
                    &["@type", "resource"],
                    &[
                        "name",
                        "aliases",
                        "version",
                        "ttl",
                        "cache_control",
                        "metadata",
                    ],
                )?;
                if let Some((r, p)) = f.get("resource") {
                    self.xds_resource(r, &p, declared)?;
                }
                Ok(())
            }
            Some(t) if t == CLUSTER_TYPE => self.cluster(value, path, "resources"),
            Some(t) if t == CLA_TYPE => {
                self.assignment(value, path, "resources", Document::ClusterLoadAssignment)
            }
            Some(t) => Err(InputError::at(
                &path.key("@type"),
                format!(
                    "a resource of type {t}: meshlb reads Cluster (CDS) and ClusterLoadAssignment (EDS) resources"
                ),
            )),
            None => match declared {
                Some(d) if d == CLUSTER_TYPE => self.cluster(value, path, "resources"),
                Some(_) => {
                    self.assignment(value, path, "resources", Document::ClusterLoadAssignment)
                }
                None => Err(InputError::at(
                    path,
                    "a resource without `@type` (and the response has no `type_url`)",
                )),
            },
        }
    }

    /// `admin.v3.Clusters` (`/clusters?format=json`).
    fn cluster_statuses(&mut self, value: &Node, path: &Path) -> Result<(), InputError> {
        let mut parser = Parser::default();
        let f = parser.object(value, path, "Clusters", &["cluster_statuses"], &[])?;
        if let Some((list, p)) = f.get("cluster_statuses") {
            for (i, item) in resource::array(list, &p)?.iter().enumerate() {
                self.cluster_status(item, &p.index(i))?;
            }
        }
        Ok(())
    }

    /// One `ClusterStatus`: its hosts as an assignment.
    fn cluster_status(&mut self, value: &Node, path: &Path) -> Result<(), InputError> {
        let status = admin::cluster_status(value, path)?;
        self.assignments.push(FoundAssignment {
            file: self.file.clone(),
            source: "cluster_statuses".into(),
            resource: AssignmentResource {
                name: status.name,
                assignment: status.assignment,
                places: AssignmentPlaces {
                    groups: status.groups,
                    root: Some((path.clone(), value.line)),
                    ..AssignmentPlaces::default()
                },
                notes: status.notes,
            },
            document: Document::ClusterStatus,
        });
        Ok(())
    }

    /// istiod's Go-written map of resources keyed by cluster name.
    fn go_map(&mut self, value: &Node) -> Result<(), InputError> {
        if let Value::Map(entries) = &value.value {
            for (key, item) in entries {
                let p = Path::root().key(key);
                if member(item, "cluster_name").is_some() && member(item, "name").is_none() {
                    self.assignment(item, &p, "istiod debug", Document::ClusterLoadAssignment)?;
                } else {
                    self.cluster(item, &p, "istiod debug")?;
                }
            }
        }
        Ok(())
    }

    fn cluster(&mut self, value: &Node, path: &Path, source: &str) -> Result<(), InputError> {
        let resource = Parser::default().cluster(value, path)?;
        self.clusters.push(FoundCluster {
            file: self.file.clone(),
            source: source.to_string(),
            resource,
        });
        Ok(())
    }

    fn assignment(
        &mut self,
        value: &Node,
        path: &Path,
        source: &str,
        document: Document,
    ) -> Result<(), InputError> {
        let resource = Parser::default().load_assignment(value, path)?;
        self.assignments.push(FoundAssignment {
            file: self.file.clone(),
            source: source.to_string(),
            resource,
            document,
        });
        Ok(())
    }

    /// Joins clusters with their assignments.
    fn join(mut self) -> EnvoyFile {
        let mut file = EnvoyFile {
            kinds: std::mem::take(&mut self.kinds),
            clusters: Vec::new(),
            notes: std::mem::take(&mut self.notes),
        };
        if !self.skipped.is_empty() {
            let list: Vec<String> = self
                .skipped
                .iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect();
            file.notes.push(Note::new(
                NoteCode::NotRead,
                format!(
                    "not read (no load-balancing decisions in them): {}",
                    list.join(", ")
                ),
            ));
        }
        // Assignments by name; the first of a name is used.
        let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
        for (i, a) in self.assignments.iter().enumerate() {
            if a.document == Document::ClusterStatus {
                continue;
            }
            if by_name.insert(a.resource.name.clone(), i).is_some() {
                file.notes.push(Note::new(
                    NoteCode::Input,
                    format!(
                        "the assignment of {:?} appears more than once: the first is used",
                        a.resource.name
                    ),
                ));
                by_name.insert(a.resource.name.clone(), by_name[&a.resource.name].min(i));
            }
        }
        let mut used = vec![false; self.assignments.len()];
        // Active clusters first, so a warming version of the same name is listed after.
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for found in std::mem::take(&mut self.clusters) {
            let FoundCluster {
                file: cluster_file,
                source,
                resource,
            } = found;
            if let Some(previous) = seen.get(&resource.name) {
                file.notes.push(Note::new(NoteCode::Input, format!(
                    "cluster {:?} is in {previous} and {source}: {} is listed once, from {previous}{}",
                    resource.name,
                    resource.name,
                    if source == "dynamic_warming_clusters" {
                        " (a warming version waits for its endpoints before it replaces the active one)"
                    } else {
                        ""
                    }
                )));
                continue;
            }
            seen.insert(resource.name.clone(), source.clone());
            let joined = by_name.get(&resource.eds_name).copied();
            let (assignment, assignment_file, mut notes, from_dump) = match joined {
                Some(i) => {
                    used[i] = true;
                    let a = &self.assignments[i];
                    let mut notes = a.resource.notes.clone();
                    if resource.inline.is_some() {
                        notes.push(Note::new(NoteCode::Source, "the cluster's endpoints are read from the EndpointsConfigDump (what the running Envoy holds, health included), not from its load_assignment"));
                    }
                    (Some(a.resource.clone()), a.file.clone(), notes, true)
                }
                None => match &resource.inline {
                    Some(a) => (
                        Some(a.clone()),
                        cluster_file.clone(),
                        a.notes.clone(),
                        false,
                    ),
                    None => (None, String::new(), Vec::new(), false),
                },
            };
            let _ = from_dump;
            if resource.eds_name != resource.name && joined.is_some() {
                notes.insert(
                    0,
                    Note::new(
                        NoteCode::Source,
                        format!(
                            "endpoints from the assignment {:?} (eds_cluster_config.service_name)",
                            resource.eds_name
                        ),
                    ),
                );
            }
            notes.extend(resource.notes.iter().cloned());
            merge_not_modelled(&mut notes);
            let mut row = ClusterRow {
                name: resource.name.clone(),
                source: source.clone(),
                discovery_type: Some(resource.discovery.clone()),
                lb_policy: resource.policy.clone(),
                endpoints: None,
                healthy: None,
                localities: 0,
                priorities: 0,
                unexplained: None,
            };
            let input = match (&assignment, &resource.config) {
                (Some(a), Ok(config)) => {
                    describe(&mut row, &a.assignment);
                    Some(EnvoyInput {
                        document: Document::Cluster,
                        name: resource.name.clone(),
                        assignment: a.assignment.clone(),
                        config: config.clone(),
                        notes,
                        health_check: resource.health_check.clone().map(|mut check| {
                            check.at = format!("{cluster_file}: {}", check.at);
                            check
                        }),
                        files: (assignment_file, cluster_file.clone()),
                        assignment_places: a.places.clone(),
                        config_places: resource.places.clone(),
                    })
                }
                (Some(a), Err(why)) => {
                    describe(&mut row, &a.assignment);
                    row.unexplained = Some(why.clone());
                    None
                }
                (None, Err(why)) => {
                    row.unexplained = Some(why.clone());
                    None
                }
                (None, Ok(_)) => {
                    row.unexplained = Some(if resource.discovery == "EDS" {
                        "an EDS cluster: its endpoints are not in the file (take /config_dump?include_eds, or give the EDS response too)".into()
                    } else {
                        "the cluster has no load_assignment in the file".into()
                    });
                    None
                }
            };
            file.clusters.push(ClusterEntry { row, input });
        }
        for (i, a) in self.assignments.into_iter().enumerate() {
            if used[i] {
                continue;
            }
            let mut row = ClusterRow {
                name: a.resource.name.clone(),
                source: a.source.clone(),
                discovery_type: None,
                lb_policy: "ROUND_ROBIN".into(),
                endpoints: None,
                healthy: None,
                localities: 0,
                priorities: 0,
                unexplained: None,
            };
            describe(&mut row, &a.resource.assignment);
            let mut notes = a.resource.notes;
            if a.document == Document::ClusterLoadAssignment {
                notes.push(Note::new(NoteCode::Input, "an assignment without its cluster: Envoy's defaults apply (ROUND_ROBIN, panic threshold 50%, no locality weighting); give the cluster too (the same file, or a second file) for its policy"));
            }
            file.clusters.push(ClusterEntry {
                row,
                input: Some(EnvoyInput {
                    document: a.document,
                    name: a.resource.name,
                    assignment: a.resource.assignment,
                    config: LbConfig::default(),
                    notes,
                    health_check: None,
                    files: (a.file.clone(), a.file),
                    assignment_places: a.resource.places,
                    config_places: ConfigPlaces::default(),
                }),
            });
        }
        file
    }
}

/// One "accepted but not modelled" note instead of one per resource (a cluster and its
/// assignment each make one).
fn merge_not_modelled(notes: &mut Vec<Note>) {
    let mut fields = std::collections::BTreeSet::new();
    let mut first = None;
    let mut i = 0;
    while i < notes.len() {
        if notes[i].code == NoteCode::NotModelled {
            let note = notes.remove(i);
            fields.extend(crate::names::not_modelled_fields(&note).map(str::to_string));
            first.get_or_insert(i);
        } else {
            i += 1;
        }
    }
    if let (Some(at), Some(note)) = (first, crate::names::not_modelled_note(&fields)) {
        notes.insert(at.min(notes.len()), note);
    }
}

/// Fills a row's endpoint counts from an assignment.
fn describe(row: &mut ClusterRow, assignment: &LoadAssignment) {
    let endpoints: usize = assignment
        .localities
        .iter()
        .map(|l| l.endpoints.len())
        .sum();
    let healthy: usize = assignment
        .localities
        .iter()
        .flat_map(|l| &l.endpoints)
        .filter(|e| e.health.availability() == meshlb::Availability::Healthy)
        .count();
    let mut localities: Vec<&meshlb::Locality> =
        assignment.localities.iter().map(|l| &l.locality).collect();
    localities.sort();
    localities.dedup();
    let mut priorities: Vec<u32> = assignment.localities.iter().map(|l| l.priority).collect();
    priorities.sort_unstable();
    priorities.dedup();
    row.endpoints = Some(endpoints as u32);
    row.healthy = Some(healthy as u32);
    row.localities = localities.len() as u32;
    row.priorities = priorities.len() as u32;
}

/// The member `name` of an object, in either proto3 JSON spelling.
fn member<'n>(node: &'n Node, name: &str) -> Option<&'n Node> {
    node.get(name).or_else(|| node.get(&lower_camel(name)))
}

/// The key `name` is spelled with in `node` (snake_case or lowerCamelCase).
fn key_of(node: &Node, name: &str) -> String {
    if node.get(name).is_some() {
        name.to_string()
    } else {
        lower_camel(name)
    }
}

impl EnvoyFile {
    /// Every cluster's row, as `meshlb explain` lists them.
    #[must_use]
    pub fn rows(&self) -> Vec<ClusterRow> {
        self.clusters.iter().map(|c| c.row.clone()).collect()
    }

    /// The cluster to explain: `name` when given (an exact name; on a miss, the error lists the
    /// closest names), else the file's only cluster. `Ok(None)` when the file holds several
    /// clusters and no name was given (the caller lists them).
    ///
    /// # Errors
    /// No cluster of that name (with the closest names), a cluster that cannot be explained
    /// (why), a file without clusters.
    pub fn select(&self, name: Option<&str>) -> Result<Option<&EnvoyInput>, String> {
        let entry = match name {
            Some(name) => self
                .clusters
                .iter()
                .find(|c| c.row.name == name)
                .ok_or_else(|| self.missing(name))?,
            None => match self.clusters.as_slice() {
                [] => {
                    return Err(format!(
                        "no clusters or endpoints in it{}",
                        self.notes
                            .iter()
                            .find(|n| n.code == NoteCode::NotRead)
                            .map_or_else(String::new, |n| format!(" ({})", n.text))
                    ));
                }
                [one] => one,
                _ => return Ok(None),
            },
        };
        match (&entry.input, &entry.row.unexplained) {
            (Some(input), _) => Ok(Some(input)),
            (None, Some(why)) => Err(format!("cluster {:?}: {why}", entry.row.name)),
            (None, None) => Err(format!("cluster {:?} cannot be explained", entry.row.name)),
        }
    }

    /// The message for a cluster name not in the file: the closest names.
    fn missing(&self, name: &str) -> String {
        let lower = name.to_ascii_lowercase();
        let mut scored: Vec<(usize, &str)> = self
            .clusters
            .iter()
            .map(|c| {
                let candidate = c.row.name.as_str();
                let cl = candidate.to_ascii_lowercase();
                let d = if cl.contains(&lower) || lower.contains(&cl) {
                    0
                } else {
                    crate::names::distance(&lower, &cl, true)
                };
                (d, candidate)
            })
            .collect();
        scored.sort();
        let closest: Vec<String> = scored
            .iter()
            .take(5)
            .map(|(_, n)| format!("{n:?}"))
            .collect();
        if closest.is_empty() {
            format!("no cluster {name:?}: the input holds no clusters")
        } else {
            format!(
                "no cluster {name:?} in the input ({} clusters); the closest: {}",
                self.clusters.len(),
                closest.join(", ")
            )
        }
    }
}

impl EnvoyInput {
    /// Builds the plan, naming the input's place for anything the plan rejects.
    ///
    /// # Errors
    /// The file's name and the [`PlanError`] as an [`InputError`] at the path and line of the
    /// offending value.
    pub fn plan(&self) -> Result<Plan, (String, InputError)> {
        Plan::build(&self.assignment, &self.config).map_err(|e| self.locate(&e))
    }

    fn locate(&self, error: &PlanError) -> (String, InputError) {
        let a = &self.assignment_places;
        let c = &self.config_places;
        let endpoint =
            |g: usize, e: usize| a.groups.get(g).and_then(|(_, eps)| eps.get(e)).cloned();
        let group = |g: usize| a.groups.get(g).map(|(p, _)| p.clone());
        let key = |place: Option<(Path, usize)>, k: &str| place.map(|(p, l)| (p.key(k), l));
        let (place, in_config) = match error {
            PlanError::ZeroOverprovisioningFactor => (a.overprovisioning_factor.clone(), false),
            PlanError::DropOverload(_) => (a.drop_overloads.clone(), false),
            PlanError::PanicThreshold(_) => (c.panic_threshold.clone(), true),
            PlanError::ZeroEndpointWeight {
                locality,
                endpoint: e,
            }
            | PlanError::EndpointWeightOverflow {
                locality,
                endpoint: e,
            } => (key(endpoint(*locality, *e), "load_balancing_weight"), false),
            PlanError::ZeroLocalityWeight { locality } => (group(*locality), false),
            PlanError::PriorityTooLarge { locality, .. } => {
                (key(group(*locality), "priority"), false)
            }
            PlanError::DuplicateEndpoint {
                locality,
                endpoint: e,
                ..
            } => (endpoint(*locality, *e), false),
            PlanError::LocalityWeightOverflow { locality, .. } => {
                (key(group(*locality), "load_balancing_weight"), false)
            }
            PlanError::RingSizeOutOfRange { field, .. } => (
                if *field == "minimum_ring_size" {
                    c.ring_min.clone()
                } else {
                    c.ring_max.clone()
                },
                true,
            ),
            PlanError::RingSizeInverted { .. } => (c.ring_min.clone(), true),
            PlanError::MaglevTableSize(_) => (c.maglev_table.clone(), true),
            PlanError::ChoiceCount(_) => (c.choice_count.clone(), true),
            PlanError::ActiveRequestBias(_) => (c.bias.clone(), true),
            _ => (None, false),
        };
        let mut message = error.to_string();
        if let PlanError::DuplicateEndpoint {
            first_locality,
            first_endpoint,
            key,
            ..
        } = error
            && let Some((first, line)) = endpoint(*first_locality, *first_endpoint)
        {
            message = format!("duplicate endpoint {key} (first at {first}, line {line})");
        }
        let (path, line) = place
            .or_else(|| a.root.clone())
            .map_or((Path::root(), None), |(p, l)| (p, Some(l)));
        let file = if in_config {
            &self.files.1
        } else {
            &self.files.0
        };
        (
            file.clone(),
            InputError {
                path,
                line,
                message,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(policy: &str) -> String {
        format!(
            r#"{{"name": "c", "load_assignment": {{"cluster_name": "c", "endpoints": [{{"lb_endpoints": [{{"endpoint": {{"address": {{"socket_address": {{"address": "10.0.0.1", "port_value": 80}}}}}}}}]}}]}}, {policy}}}"#
        )
    }

    fn read_one(text: &str) -> Result<EnvoyInput, InputError> {
        let root = crate::json::parse(text)?;
        let file = read(&[("c.json", &root)]).map_err(|(_, e)| e)?;
        file.select(None)
            .map_err(|e| InputError::at(&Path::root(), e))?
            .cloned()
            .ok_or_else(|| InputError::at(&Path::root(), "no cluster"))
    }

    /// The typed RingHash numbers its `hash_function` from `DEFAULT_HASH` (0), `XX_HASH` (1),
    /// `MURMUR_HASH_2` (2); the legacy `RingHashLbConfig` from `XX_HASH` (0), `MURMUR_HASH_2`
    /// (1) (ring_hash.proto, cluster.proto).
    #[test]
    fn ring_hash_function_numbers_differ_between_typed_and_legacy() {
        let typed = |f: &str| {
            cluster(&format!(
                r#""load_balancing_policy": {{"policies": [{{"typed_extension_config": {{"name": "rh", "typed_config": {{"@type": "type.googleapis.com/envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash", "hash_function": {f}}}}}}}]}}"#
            ))
        };
        let legacy = |f: &str| {
            cluster(&format!(
                r#""lb_policy": "RING_HASH", "ring_hash_lb_config": {{"hash_function": {f}}}"#
            ))
        };
        for ok in [
            typed("0"),
            typed("1"),
            typed("\"XX_HASH\""),
            typed("\"DEFAULT_HASH\""),
            legacy("0"),
        ] {
            let input = read_one(&ok).expect("xxHash");
            assert_eq!(input.config.policy, meshlb::LbPolicy::RingHash);
        }
        for murmur in [typed("2"), typed("\"MURMUR_HASH_2\""), legacy("1")] {
            let e = read_one(&murmur).expect_err("murmur");
            assert!(e.message.contains("MURMUR_HASH_2"), "{e}");
        }
        assert!(
            read_one(&legacy("\"DEFAULT_HASH\"")).is_err(),
            "the legacy enum has no DEFAULT_HASH"
        );
    }
}
