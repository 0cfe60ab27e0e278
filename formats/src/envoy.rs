//! Envoy input: a `ClusterLoadAssignment` or a `Cluster` with `load_assignment`, as proto3 JSON.
//!
//! Both spellings proto3 JSON allows are accepted (`lb_endpoints` and `lbEndpoints`); integers
//! may be numbers or strings and enums names or numbers, as proto3 JSON parsers accept them.
//! Fields of Envoy's API that meshlb does not model are accepted and named in a note; a field
//! Envoy's API does not have is an error. Sources: envoy `api/envoy/config/endpoint/v3/endpoint.proto`,
//! `endpoint_components.proto`, `api/envoy/config/cluster/v3/cluster.proto`,
//! `api/envoy/config/core/v3/{address,base,health_check}.proto`.

use std::collections::BTreeSet;

use crate::error::InputError;
use crate::names::{distance, enum_hint, lower_camel};
use crate::path::Path;
use crate::tree::{Node, Value};
use meshlb::{
    Endpoint, HealthStatus, LbConfig, LbPolicy, LoadAssignment, Locality, LocalityEndpoints,
    MAX_PRIORITY, Plan, PlanError,
};

/// Which Envoy resource the input was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    /// `envoy.config.endpoint.v3.ClusterLoadAssignment`.
    ClusterLoadAssignment,
    /// `envoy.config.cluster.v3.Cluster` with `load_assignment`.
    Cluster,
}

/// Where each part of the assignment came from, to name the place of a later error.
#[derive(Debug, Clone, Default)]
struct Locations {
    /// Per locality group: its path and the paths of its endpoints.
    groups: Vec<(Path, Vec<Path>)>,
    overprovisioning_factor: Option<Path>,
    panic_threshold: Option<Path>,
    ring_min: Option<Path>,
    ring_max: Option<Path>,
    maglev_table: Option<Path>,
    choice_count: Option<Path>,
    bias: Option<Path>,
    root: Path,
}

/// A parsed Envoy document: the assignment, the cluster's LB configuration and notes.
#[derive(Debug, Clone)]
pub struct EnvoyInput {
    /// The resource type.
    pub document: Document,
    /// `cluster_name` (CLA) or `name` (Cluster).
    pub name: String,
    /// The endpoints.
    pub assignment: LoadAssignment,
    /// The load-balancing configuration (Envoy's defaults for a bare CLA).
    pub config: LbConfig,
    /// What meshlb accepted but does not model, and other remarks.
    pub notes: Vec<String>,
    locations: Locations,
}

const CLA_TYPE: &str = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
const CLUSTER_TYPE: &str = "type.googleapis.com/envoy.config.cluster.v3.Cluster";

/// Whether a JSON document looks like Envoy input (as opposed to a meshlb scenario).
#[must_use]
pub fn looks_like_envoy(value: &Node) -> Option<Document> {
    let has = |k: &str| value.get(k).is_some() || value.get(&lower_camel(k)).is_some();
    if has("load_assignment") {
        Some(Document::Cluster)
    } else if has("endpoints") && has("cluster_name") {
        Some(Document::ClusterLoadAssignment)
    } else {
        None
    }
}

/// Parses Envoy JSON text.
///
/// # Errors
/// An [`InputError`] naming the path and line: malformed JSON, a duplicate key, an unknown
/// field, a value of the wrong type or out of Envoy's range (weight 0, port above 65535,
/// priority above 128, ...), an unknown enum value.
pub fn parse_envoy_json(text: &str) -> Result<EnvoyInput, InputError> {
    let value = crate::json::parse(text)?;
    parse_envoy_value(&value).map_err(|e| e.with_line_in(&value))
}

/// Parses an Envoy document read as a tree.
fn parse_envoy_value(value: &Node) -> Result<EnvoyInput, InputError> {
    let mut parser = Parser::default();
    let root = Path::root();
    match looks_like_envoy(value) {
        Some(Document::Cluster) => parser.cluster(value, &root),
        Some(Document::ClusterLoadAssignment) => {
            let mut input = parser.load_assignment(value, &root, true)?;
            input.notes = parser.finish_notes();
            Ok(input)
        }
        None => Err(InputError::at(
            &root,
            "not an Envoy ClusterLoadAssignment (needs `cluster_name` and `endpoints`) or Cluster (needs `load_assignment`)",
        )),
    }
}

impl EnvoyInput {
    /// Builds the plan, naming the input's place for anything the plan rejects.
    ///
    /// # Errors
    /// A [`PlanError`] turned into an [`InputError`] at the path (and, given `text`, the line)
    /// of the offending value.
    pub fn plan(&self, text: Option<&str>) -> Result<Plan, InputError> {
        Plan::build(&self.assignment, &self.config).map_err(|e| {
            let error = self.locate(&e);
            match text {
                Some(t) => error.with_line_from(t),
                None => error,
            }
        })
    }

    fn locate(&self, error: &PlanError) -> InputError {
        let l = &self.locations;
        let endpoint =
            |g: usize, e: usize| l.groups.get(g).and_then(|(_, eps)| eps.get(e)).cloned();
        let group = |g: usize| l.groups.get(g).map(|(p, _)| p.clone());
        let path = match error {
            PlanError::ZeroOverprovisioningFactor => l.overprovisioning_factor.clone(),
            PlanError::PanicThreshold(_) => l.panic_threshold.clone(),
            PlanError::ZeroEndpointWeight {
                locality,
                endpoint: e,
            } => endpoint(*locality, *e).map(|p| p.key("load_balancing_weight")),
            PlanError::ZeroLocalityWeight { locality } => group(*locality),
            PlanError::EndpointWeightOverflow {
                locality,
                endpoint: e,
            } => endpoint(*locality, *e).map(|p| p.key("load_balancing_weight")),
            PlanError::PriorityTooLarge { locality, .. } => {
                group(*locality).map(|p| p.key("priority"))
            }
            PlanError::DuplicateEndpoint {
                locality,
                endpoint: e,
                ..
            } => endpoint(*locality, *e),
            PlanError::LocalityWeightOverflow { locality, .. } => {
                group(*locality).map(|p| p.key("load_balancing_weight"))
            }
            PlanError::RingSizeOutOfRange { field, .. } => {
                if *field == "minimum_ring_size" {
                    l.ring_min.clone()
                } else {
                    l.ring_max.clone()
                }
            }
            PlanError::RingSizeInverted { .. } => l.ring_min.clone(),
            PlanError::MaglevTableSize(_) => l.maglev_table.clone(),
            PlanError::ChoiceCount(_) => l.choice_count.clone(),
            PlanError::ActiveRequestBias(_) => l.bias.clone(),
            _ => None,
        };
        let mut message = error.to_string();
        if let PlanError::DuplicateEndpoint {
            first_locality,
            first_endpoint,
            key,
            ..
        } = error
            && let Some(first) = endpoint(*first_locality, *first_endpoint)
        {
            message = format!("duplicate endpoint {key} (first at {first})");
        }
        InputError::at(&path.unwrap_or_else(|| l.root.clone()), message)
    }
}

/// Collects notes while walking the document.
#[derive(Debug, Default)]
struct Parser {
    ignored: BTreeSet<String>,
    notes: Vec<String>,
    locations: Locations,
}

/// An object's members, matched against the fields meshlb models and those it knows but
/// ignores.
struct Fields<'v> {
    path: Path,
    found: Vec<(&'static str, &'v str, &'v Node)>,
}

impl<'v> Fields<'v> {
    fn get(&self, name: &str) -> Option<(&'v Node, Path)> {
        self.found
            .iter()
            .find(|(canonical, _, _)| *canonical == name)
            .map(|(_, spelled, v)| (*v, self.path.key(spelled)))
    }

    fn require(&self, name: &str, what: &str) -> Result<(&'v Node, Path), InputError> {
        self.get(name)
            .ok_or_else(|| InputError::at(&self.path, format!("missing field `{name}` ({what})")))
    }
}

/// JSON's names for the kinds of value.
fn type_name(v: &Node) -> &'static str {
    match v.value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Int(_) | Value::Float(_) => "a number",
        Value::Str(_) => "a string",
        Value::Seq(_) => "an array",
        Value::Map(_) => "an object",
    }
}

impl Parser {
    fn object<'v>(
        &mut self,
        value: &'v Node,
        path: &Path,
        what: &str,
        modelled: &[&'static str],
        ignored: &[&'static str],
    ) -> Result<Fields<'v>, InputError> {
        let Value::Map(map) = &value.value else {
            return Err(InputError::at(
                path,
                format!("expected an object ({what}), found {}", type_name(value)),
            ));
        };
        let mut fields = Fields {
            path: path.clone(),
            found: Vec::new(),
        };
        for (key, v) in map {
            let matches = |name: &&&'static str| **name == key || lower_camel(name) == *key;
            if let Some(&canonical) = modelled.iter().find(matches) {
                if let Some((_, other, _)) = fields.found.iter().find(|(c, _, _)| *c == canonical) {
                    return Err(InputError::at(
                        &path.key(key),
                        format!("`{key}` and `{other}` are the same field spelled twice"),
                    ));
                }
                fields.found.push((canonical, key.as_str(), v));
            } else if ignored.iter().any(|n| matches(&n)) {
                self.ignored.insert(path.key(key).pattern());
            } else {
                let all = modelled
                    .iter()
                    .chain(ignored)
                    .filter(|n| !n.starts_with('@'));
                let hint = all
                    .clone()
                    .map(|n| {
                        (
                            distance(&key.to_ascii_lowercase(), &n.replace('_', ""), false)
                                .min(distance(key, n, false)),
                            n,
                        )
                    })
                    .min()
                    .filter(|(d, _)| *d <= 3)
                    .map_or_else(String::new, |(_, n)| format!("; did you mean `{n}`?"));
                return Err(InputError::at(
                    &path.key(key),
                    format!("unknown field `{key}` in {what}{hint}"),
                ));
            }
        }
        Ok(fields)
    }

    fn finish_notes(&mut self) -> Vec<String> {
        let mut notes = std::mem::take(&mut self.notes);
        notes.extend(crate::names::not_modelled_note(&self.ignored));
        notes
    }

    fn cluster(&mut self, value: &Node, path: &Path) -> Result<EnvoyInput, InputError> {
        let fields = self.object(value, path, "Cluster", CLUSTER_MODELLED, CLUSTER_IGNORED)?;
        if let Some((t, p)) = fields.get("@type") {
            let t = string(t, &p)?;
            if t != CLUSTER_TYPE {
                return Err(InputError::at(
                    &p,
                    format!("`@type` is {t:?}; a Cluster is {CLUSTER_TYPE:?}"),
                ));
            }
        }
        let name = match fields.get("name") {
            Some((v, p)) => string(v, &p)?,
            None => String::new(),
        };
        let (la, la_path) = fields.require("load_assignment", "the cluster's endpoints")?;
        let mut input = self.load_assignment(la, &la_path, false)?;
        input.document = Document::Cluster;
        if !name.is_empty() {
            input.name = name;
        }
        let mut config = LbConfig::default();
        if let Some((v, p)) = fields.get("lb_policy") {
            config.policy = lb_policy(v, &p)?;
        }
        if let Some((v, p)) = fields.get("common_lb_config") {
            self.common_lb_config(v, &p, &mut config)?;
        }
        if let Some((v, p)) = fields.get("ring_hash_lb_config") {
            let f = self.object(
                v,
                &p,
                "RingHashLbConfig",
                &["minimum_ring_size", "maximum_ring_size", "hash_function"],
                &[],
            )?;
            if let Some((v, p)) = f.get("minimum_ring_size") {
                config.ring_hash.minimum_ring_size = v.uint(&p, u64::MAX)?;
                self.locations.ring_min = Some(p);
            }
            if let Some((v, p)) = f.get("maximum_ring_size") {
                config.ring_hash.maximum_ring_size = v.uint(&p, u64::MAX)?;
                self.locations.ring_max = Some(p);
            }
            if let Some((v, p)) = f.get("hash_function") {
                let h = enumeration(v, &p, &[("XX_HASH", 0), ("MURMUR_HASH_2", 1)])?;
                if h != 0 {
                    return Err(InputError::at(
                        &p,
                        "hash_function MURMUR_HASH_2 is not supported by meshlb (XX_HASH, Envoy's default, is)",
                    ));
                }
            }
            if self.locations.ring_min.is_none() {
                self.locations.ring_min = Some(p.clone());
            }
            if self.locations.ring_max.is_none() {
                self.locations.ring_max = Some(p);
            }
        }
        if let Some((v, p)) = fields.get("maglev_lb_config") {
            let f = self.object(v, &p, "MaglevLbConfig", &["table_size"], &[])?;
            if let Some((v, p)) = f.get("table_size") {
                config.maglev.table_size = v.uint(&p, u64::MAX)?;
                self.locations.maglev_table = Some(p);
            }
        }
        if let Some((v, p)) = fields.get("least_request_lb_config") {
            let f = self.object(
                v,
                &p,
                "LeastRequestLbConfig",
                &["choice_count", "active_request_bias"],
                &["slow_start_config"],
            )?;
            if let Some((v, p)) = f.get("choice_count") {
                config.least_request.choice_count = v.uint(&p, u64::from(u32::MAX))? as u32;
                self.locations.choice_count = Some(p);
            }
            if let Some((v, p)) = f.get("active_request_bias") {
                let rd = self.object(
                    v,
                    &p,
                    "RuntimeDouble",
                    &["default_value", "runtime_key"],
                    &[],
                )?;
                if let Some((v, p)) = rd.get("default_value") {
                    config.least_request.active_request_bias = number(v, &p)?;
                    self.locations.bias = Some(p);
                }
                if let Some((v, p)) = rd.get("runtime_key") {
                    string(v, &p)?;
                    self.notes.push("least_request_lb_config.active_request_bias.runtime_key: runtime overrides are not modelled; the default_value applies".into());
                }
            }
        }
        input.config = config;
        input.locations.panic_threshold = self.locations.panic_threshold.take();
        input.locations.ring_min = self.locations.ring_min.take();
        input.locations.ring_max = self.locations.ring_max.take();
        input.locations.maglev_table = self.locations.maglev_table.take();
        input.locations.choice_count = self.locations.choice_count.take();
        input.locations.bias = self.locations.bias.take();
        let mut notes = std::mem::take(&mut input.notes);
        notes.extend(self.finish_notes());
        input.notes = notes;
        Ok(input)
    }

    fn common_lb_config(
        &mut self,
        value: &Node,
        path: &Path,
        config: &mut LbConfig,
    ) -> Result<(), InputError> {
        let f = self.object(
            value,
            path,
            "CommonLbConfig",
            &[
                "healthy_panic_threshold",
                "locality_weighted_lb_config",
                "zone_aware_lb_config",
            ],
            &[
                "update_merge_window",
                "ignore_new_hosts_until_first_hc",
                "close_connections_on_host_set_change",
                "consistent_hashing_lb_config",
                "override_host_status",
            ],
        )?;
        if let Some((v, p)) = f.get("healthy_panic_threshold") {
            let pf = self.object(v, &p, "Percent", &["value"], &[])?;
            let threshold = match pf.get("value") {
                Some((v, vp)) => {
                    let t = number(v, &vp)?;
                    if !(0.0..=100.0).contains(&t) {
                        return Err(InputError::at(
                            &vp,
                            format!("percent {t} must be between 0 and 100"),
                        ));
                    }
                    self.locations.panic_threshold = Some(vp);
                    t
                }
                None => 0.0, // proto3 default of `value`
            };
            config.healthy_panic_threshold = threshold;
        }
        if let (Some(_), Some((_, p))) = (
            f.get("locality_weighted_lb_config"),
            f.get("zone_aware_lb_config"),
        ) {
            return Err(InputError::at(
                &p,
                "locality_weighted_lb_config and zone_aware_lb_config are one `oneof`: set only one",
            ));
        }
        if let Some((v, p)) = f.get("locality_weighted_lb_config") {
            self.object(v, &p, "LocalityWeightedLbConfig", &[], &[])?;
            config.locality_weighted = true;
        }
        if let Some((v, p)) = f.get("zone_aware_lb_config") {
            self.object(
                v,
                &p,
                "ZoneAwareLbConfig",
                &[],
                &[
                    "routing_enabled",
                    "min_cluster_size",
                    "fail_traffic_on_panic",
                ],
            )?;
            self.notes.push(
                "zone_aware_lb_config: zone-aware routing needs the local cluster's membership, which a single assignment does not have; meshlb balances as if it does not apply".into(),
            );
        }
        Ok(())
    }

    fn load_assignment(
        &mut self,
        value: &Node,
        path: &Path,
        top_level: bool,
    ) -> Result<EnvoyInput, InputError> {
        let fields = self.object(
            value,
            path,
            "ClusterLoadAssignment",
            CLA_MODELLED,
            &["named_endpoints"],
        )?;
        if let Some((t, p)) = fields.get("@type") {
            let t = string(t, &p)?;
            if t != CLA_TYPE {
                return Err(InputError::at(
                    &p,
                    format!("`@type` is {t:?}; a ClusterLoadAssignment is {CLA_TYPE:?}"),
                ));
            }
        }
        let (name_value, name_path) = fields.require("cluster_name", "the cluster's name")?;
        let name = string(name_value, &name_path)?;
        if name.is_empty() {
            return Err(InputError::at(&name_path, "cluster_name must not be empty"));
        }
        let mut assignment = LoadAssignment::default();
        let mut locations = Locations {
            root: path.clone(),
            ..Locations::default()
        };
        if let Some((v, p)) = fields.get("policy") {
            let f = self.object(
                v,
                &p,
                "ClusterLoadAssignment.Policy",
                &["overprovisioning_factor", "weighted_priority_health"],
                &["drop_overloads", "endpoint_stale_after"],
            )?;
            if let Some((v, p)) = f.get("overprovisioning_factor") {
                let of = v.uint(&p, u64::from(u32::MAX))?;
                if of == 0 {
                    return Err(InputError::at(
                        &p,
                        "overprovisioning_factor must be greater than 0 (percent; 140 means 1.4)",
                    ));
                }
                assignment.overprovisioning_factor = of as u32;
                locations.overprovisioning_factor = Some(p);
            }
            if let Some((v, p)) = f.get("weighted_priority_health") {
                assignment.weighted_priority_health = boolean(v, &p)?;
            }
        }
        let endpoints = match fields.get("endpoints") {
            Some((v, p)) => array(v, &p)?
                .iter()
                .enumerate()
                .map(|(i, e)| (e, p.index(i)))
                .collect(),
            None => Vec::new(),
        };
        let mut total = 0_usize;
        for (group_value, group_path) in endpoints {
            let (group, endpoint_paths) = self.locality_group(group_value, &group_path)?;
            total += group.endpoints.len();
            if total > meshlb::MAX_ENDPOINTS {
                return Err(InputError::at(
                    &group_path,
                    format!(
                        "more than {} endpoints: meshlb plans at most that many in one assignment",
                        meshlb::MAX_ENDPOINTS
                    ),
                ));
            }
            assignment.localities.push(group);
            locations.groups.push((group_path, endpoint_paths));
        }
        let _ = top_level;
        Ok(EnvoyInput {
            document: Document::ClusterLoadAssignment,
            name,
            assignment,
            config: LbConfig::default(),
            notes: Vec::new(),
            locations,
        })
    }

    fn locality_group(
        &mut self,
        value: &Node,
        path: &Path,
    ) -> Result<(LocalityEndpoints, Vec<Path>), InputError> {
        let f = self.object(
            value,
            path,
            "LocalityLbEndpoints",
            &[
                "locality",
                "lb_endpoints",
                "load_balancing_weight",
                "priority",
                "load_balancer_endpoints",
                "leds_cluster_locality_config",
            ],
            &["metadata", "proximity"],
        )?;
        for unsupported in ["load_balancer_endpoints", "leds_cluster_locality_config"] {
            if let Some((_, p)) = f.get(unsupported) {
                return Err(InputError::at(
                    &p,
                    format!(
                        "{unsupported}: endpoints delivered by LEDS are not supported; list them in lb_endpoints"
                    ),
                ));
            }
        }
        let mut group = LocalityEndpoints::default();
        if let Some((v, p)) = f.get("locality") {
            let lf = self.object(v, &p, "Locality", &["region", "zone", "sub_zone"], &[])?;
            let part = |name: &str| -> Result<String, InputError> {
                lf.get(name)
                    .map_or(Ok(String::new()), |(v, p)| string(v, &p))
            };
            group.locality = Locality {
                region: part("region")?,
                zone: part("zone")?,
                sub_zone: part("sub_zone")?,
            };
        }
        if let Some((v, p)) = f.get("load_balancing_weight") {
            let w = v.uint(&p, u64::from(u32::MAX))?;
            if w == 0 {
                return Err(InputError::at(
                    &p,
                    "locality load_balancing_weight must be at least 1 (leave it unset to give the locality no load)",
                ));
            }
            group.weight = Some(w as u32);
        }
        if let Some((v, p)) = f.get("priority") {
            let priority = v.uint(&p, u64::from(u32::MAX))?;
            if priority > u64::from(MAX_PRIORITY) {
                return Err(InputError::at(
                    &p,
                    format!("priority {priority} is above Envoy's maximum of 128"),
                ));
            }
            group.priority = priority as u32;
        }
        let mut paths = Vec::new();
        if let Some((v, p)) = f.get("lb_endpoints") {
            for (i, e) in array(v, &p)?.iter().enumerate() {
                let ep = p.index(i);
                group.endpoints.push(self.lb_endpoint(e, &ep)?);
                paths.push(ep);
            }
        }
        Ok((group, paths))
    }

    fn lb_endpoint(&mut self, value: &Node, path: &Path) -> Result<Endpoint, InputError> {
        let f = self.object(
            value,
            path,
            "LbEndpoint",
            &[
                "endpoint",
                "health_status",
                "load_balancing_weight",
                "endpoint_name",
            ],
            &["metadata"],
        )?;
        if let Some((_, p)) = f.get("endpoint_name") {
            return Err(InputError::at(
                &p,
                "endpoint_name refers to named_endpoints, which meshlb does not resolve; give the endpoint inline",
            ));
        }
        let (ev, ep) = f.require("endpoint", "the endpoint's address")?;
        let ef = self.object(
            ev,
            &ep,
            "Endpoint",
            &["address"],
            &["health_check_config", "hostname", "additional_addresses"],
        )?;
        let (av, ap) = ef.require("address", "socket_address with address and port_value")?;
        let af = self.object(
            av,
            &ap,
            "Address",
            &["socket_address", "pipe", "envoy_internal_address"],
            &[],
        )?;
        for unsupported in ["pipe", "envoy_internal_address"] {
            if let Some((_, p)) = af.get(unsupported) {
                return Err(InputError::at(
                    &p,
                    format!("{unsupported} addresses are not supported; use socket_address"),
                ));
            }
        }
        let (sv, sp) = af.require("socket_address", "address and port_value")?;
        let sf = self.object(
            sv,
            &sp,
            "SocketAddress",
            &["address", "port_value", "named_port", "protocol"],
            &["resolver_name", "ipv4_compat", "network_namespace_filepath"],
        )?;
        if let Some((_, p)) = sf.get("named_port") {
            return Err(InputError::at(
                &p,
                "named_port is not supported; give port_value",
            ));
        }
        if let Some((v, p)) = sf.get("protocol") {
            enumeration(v, &p, &[("TCP", 0), ("UDP", 1)])?;
        }
        let (addr_v, addr_p) = sf.require("address", "an IP address or host name")?;
        let address = string(addr_v, &addr_p)?;
        if address.is_empty() || address.chars().any(char::is_whitespace) {
            return Err(InputError::at(
                &addr_p,
                format!("address {address:?} is not an IP address or host name"),
            ));
        }
        let (port_v, port_p) = sf.require("port_value", "1..65535")?;
        let port = port_v.uint(&port_p, u64::MAX)?;
        if !(1..=65_535).contains(&port) {
            return Err(InputError::at(
                &port_p,
                format!("port_value {port} is out of range (1..65535)"),
            ));
        }
        let mut endpoint = Endpoint::new(&address, port as u16);
        endpoint.health = HealthStatus::Unknown;
        if let Some((v, p)) = f.get("health_status") {
            let names: Vec<(&str, i64)> = HealthStatus::ALL
                .iter()
                .map(|h| (h.as_str(), proto_number(*h)))
                .collect();
            let n = enumeration(v, &p, &names)?;
            endpoint.health = HealthStatus::ALL
                .into_iter()
                .find(|h| proto_number(*h) == n)
                .unwrap_or_default();
        }
        if let Some((v, p)) = f.get("load_balancing_weight") {
            let w = v.uint(&p, u64::from(u32::MAX))?;
            if w == 0 {
                return Err(InputError::at(
                    &p,
                    "endpoint load_balancing_weight must be at least 1 (got 0)",
                ));
            }
            endpoint.weight = w as u32;
        }
        Ok(endpoint)
    }
}

/// `HealthStatus` enum numbers (health_check.proto).
fn proto_number(h: HealthStatus) -> i64 {
    match h {
        HealthStatus::Unknown => 0,
        HealthStatus::Healthy => 1,
        HealthStatus::Unhealthy => 2,
        HealthStatus::Draining => 3,
        HealthStatus::Timeout => 4,
        HealthStatus::Degraded => 5,
    }
}

fn lb_policy(value: &Node, path: &Path) -> Result<LbPolicy, InputError> {
    // cluster.proto `LbPolicy`: 4 (ORIGINAL_DST_LB) is deprecated and reserved.
    let n = enumeration(
        value,
        path,
        &[
            ("ROUND_ROBIN", 0),
            ("LEAST_REQUEST", 1),
            ("RING_HASH", 2),
            ("RANDOM", 3),
            ("MAGLEV", 5),
            ("CLUSTER_PROVIDED", 6),
            ("LOAD_BALANCING_POLICY_CONFIG", 7),
        ],
    )?;
    match n {
        0 => Ok(LbPolicy::RoundRobin),
        1 => Ok(LbPolicy::LeastRequest),
        2 => Ok(LbPolicy::RingHash),
        3 => Ok(LbPolicy::Random),
        5 => Ok(LbPolicy::Maglev),
        _ => Err(InputError::at(
            path,
            "lb_policy is not supported by meshlb (supported: ROUND_ROBIN, LEAST_REQUEST, RANDOM, RING_HASH, MAGLEV)",
        )),
    }
}

fn string(value: &Node, path: &Path) -> Result<String, InputError> {
    value.as_str().map(str::to_owned).ok_or_else(|| {
        InputError::at(
            path,
            format!("expected a string, found {}", type_name(value)),
        )
    })
}

fn boolean(value: &Node, path: &Path) -> Result<bool, InputError> {
    match value.value {
        Value::Bool(b) => Ok(b),
        _ => Err(InputError::at(
            path,
            format!("expected true or false, found {}", type_name(value)),
        )),
    }
}

fn array<'v>(value: &'v Node, path: &Path) -> Result<&'v Vec<Node>, InputError> {
    match &value.value {
        Value::Seq(items) => Ok(items),
        _ => Err(InputError::at(
            path,
            format!("expected an array, found {}", type_name(value)),
        )),
    }
}

/// A number: a JSON number, or a string holding one (proto3 JSON accepts both for doubles).
fn number(value: &Node, path: &Path) -> Result<f64, InputError> {
    let n = match &value.value {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Str(s) => s.parse::<f64>().ok(),
        _ => None,
    };
    n.filter(|x| x.is_finite()).ok_or_else(|| {
        InputError::at(
            path,
            format!("expected a number, found {}", type_name(value)),
        )
    })
}

/// An enum given by name or number.
fn enumeration(value: &Node, path: &Path, names: &[(&str, i64)]) -> Result<i64, InputError> {
    let expected = || names.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    match &value.value {
        Value::Str(s) => names
            .iter()
            .find(|(n, _)| n == s)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                let hint = enum_hint(names, s, false);
                InputError::at(
                    path,
                    format!("unknown value {s:?} (expected one of {}){hint}", expected()),
                )
            }),
        Value::Int(n) => names
            .iter()
            .any(|(_, x)| x == n)
            .then_some(*n)
            .ok_or_else(|| {
                InputError::at(
                    path,
                    format!("unknown enum number {n} (expected one of {})", expected()),
                )
            }),
        _ => Err(InputError::at(
            path,
            format!("expected an enum name, found {}", type_name(value)),
        )),
    }
}

const CLA_MODELLED: &[&str] = &["@type", "cluster_name", "endpoints", "policy"];

const CLUSTER_MODELLED: &[&str] = &[
    "@type",
    "name",
    "lb_policy",
    "load_assignment",
    "common_lb_config",
    "ring_hash_lb_config",
    "maglev_lb_config",
    "least_request_lb_config",
];

/// `envoy.config.cluster.v3.Cluster` fields meshlb accepts without modelling them.
const CLUSTER_IGNORED: &[&str] = &[
    "transport_socket_matches",
    "transport_socket_matcher",
    "alt_stat_name",
    "type",
    "cluster_type",
    "eds_cluster_config",
    "connect_timeout",
    "per_connection_buffer_limit_bytes",
    "health_checks",
    "max_requests_per_connection",
    "circuit_breakers",
    "upstream_http_protocol_options",
    "common_http_protocol_options",
    "http_protocol_options",
    "http2_protocol_options",
    "typed_extension_protocol_options",
    "dns_refresh_rate",
    "dns_jitter",
    "dns_failure_refresh_rate",
    "respect_dns_ttl",
    "dns_lookup_family",
    "dns_resolvers",
    "use_tcp_for_dns_lookups",
    "dns_resolution_config",
    "typed_dns_resolver_config",
    "wait_for_warm_on_init",
    "outlier_detection",
    "cleanup_interval",
    "upstream_bind_config",
    "lb_subset_config",
    "original_dst_lb_config",
    "round_robin_lb_config",
    "transport_socket",
    "metadata",
    "protocol_selection",
    "upstream_connection_options",
    "close_connections_on_host_health_failure",
    "ignore_health_on_host_removal",
    "filters",
    "load_balancing_policy",
    "lrs_server",
    "lrs_report_endpoint_metrics",
    "track_timeout_budgets",
    "upstream_config",
    "track_cluster_stats",
    "preconnect_policy",
    "connection_pool_per_downstream_connection",
];
