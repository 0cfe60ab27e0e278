//! One Envoy resource: a `Cluster` (its load-balancing configuration and, for static and DNS
//! clusters, its `load_assignment`) or a `ClusterLoadAssignment`, in proto3 JSON.
//!
//! Both spellings proto3 JSON allows are accepted (`lb_endpoints` and `lbEndpoints`); integers
//! may be numbers or strings and enums names or numbers, as proto3 JSON parsers accept them.
//! Fields of Envoy's API that meshlb does not model are accepted and named in a note (in a note
//! of their own when they can change the result); a field Envoy's API does not have is an error.
//! Sources: envoy `api/envoy/config/endpoint/v3/endpoint.proto`, `endpoint_components.proto`,
//! `api/envoy/config/cluster/v3/cluster.proto`, `api/envoy/config/core/v3/{address,base,health_check}.proto`,
//! `api/envoy/type/v3/percent.proto`, `api/envoy/extensions/load_balancing_policies/*/v3/*.proto`.

use meshlb::{Note, NoteCode};
use std::collections::BTreeSet;

use crate::error::InputError;
use crate::names::{enum_hint, lower_camel};
use crate::object::{self, Misread, Shape};
use crate::path::Path;
use crate::tree::{Node, Value};
use meshlb::{
    Endpoint, HealthStatus, LbConfig, LbPolicy, LoadAssignment, Locality, LocalityEndpoints,
    MAX_PRIORITY, PPM,
};

/// `@type` of a `ClusterLoadAssignment`.
pub(crate) const CLA_TYPE: &str =
    "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
/// `@type` of a `Cluster`.
pub(crate) const CLUSTER_TYPE: &str = "type.googleapis.com/envoy.config.cluster.v3.Cluster";

/// A path and the line its value is written on.
pub(crate) type Place = (Path, usize);

/// Where each part of an assignment came from, to name the place of a later plan error.
#[derive(Debug, Clone, Default)]
pub(crate) struct AssignmentPlaces {
    /// Per locality group: its place and the places of its endpoints.
    pub(crate) groups: Vec<(Place, Vec<Place>)>,
    pub(crate) overprovisioning_factor: Option<Place>,
    pub(crate) drop_overloads: Option<Place>,
    pub(crate) root: Option<Place>,
}

/// Where each part of a cluster's load-balancing configuration came from.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConfigPlaces {
    pub(crate) panic_threshold: Option<Place>,
    pub(crate) ring_min: Option<Place>,
    pub(crate) ring_max: Option<Place>,
    pub(crate) maglev_table: Option<Place>,
    pub(crate) choice_count: Option<Place>,
    pub(crate) bias: Option<Place>,
}

/// A parsed `ClusterLoadAssignment`.
#[derive(Debug, Clone)]
pub(crate) struct AssignmentResource {
    /// `cluster_name`.
    pub(crate) name: String,
    pub(crate) assignment: LoadAssignment,
    pub(crate) places: AssignmentPlaces,
    pub(crate) notes: Vec<Note>,
}

/// A parsed `Cluster`.
#[derive(Debug, Clone)]
pub(crate) struct ClusterResource {
    /// `name`.
    pub(crate) name: String,
    /// `type` (`EDS`, `STATIC`, ...), or the custom `cluster_type`'s name.
    pub(crate) discovery: String,
    /// The name its EDS assignment carries: `eds_cluster_config.service_name`, else `name`.
    pub(crate) eds_name: String,
    /// The policy as configured, for listings (`ROUND_ROBIN`, `CLUSTER_PROVIDED`, a typed
    /// policy's short name).
    pub(crate) policy: String,
    /// The configuration meshlb explains with, or why it cannot.
    pub(crate) config: Result<LbConfig, String>,
    pub(crate) places: ConfigPlaces,
    /// `load_assignment`, when given inline.
    pub(crate) inline: Option<AssignmentResource>,
    /// `health_checks[0]`, its `at` the path alone.
    pub(crate) health_check: Option<super::HealthCheck>,
    pub(crate) notes: Vec<Note>,
}

/// Collects notes while walking one resource.
#[derive(Debug, Default)]
pub(crate) struct Parser {
    /// Fields accepted without effect on the result (path patterns).
    ignored: BTreeSet<String>,
    /// Fields not modelled that can change the result: (path pattern, what they do).
    differs: BTreeSet<(String, &'static str)>,
    notes: Vec<Note>,
}

/// An object's members, matched against the fields meshlb models and those it knows but
/// ignores ([`object::read`]), with the object's path.
pub(crate) struct Fields<'v> {
    path: Path,
    fields: object::Fields<'v>,
}

impl<'v> Fields<'v> {
    /// The member `name` (its canonical snake_case name), unless absent or `null`.
    pub(crate) fn get(&self, name: &str) -> Option<(&'v Node, Path)> {
        self.fields
            .get(name)
            .map(|(spelled, v)| (v, self.path.key(spelled)))
    }

    pub(crate) fn require(&self, name: &str, what: &str) -> Result<(&'v Node, Path), InputError> {
        self.get(name)
            .ok_or_else(|| InputError::at(&self.path, format!("missing field `{name}` ({what})")))
    }
}

/// JSON's names for the kinds of value.
pub(crate) fn type_name(v: &Node) -> &'static str {
    match v.value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Int(_) | Value::Float(_) => "a number",
        Value::Str(_) => "a string",
        Value::Seq(_) => "an array",
        Value::Map(_) => "an object",
    }
}

/// Fields that are not modelled and can change where traffic goes, with what they do.
const MAY_DIFFER: &[(&str, &str)] = &[
    (
        "slow_start_config",
        "slow start ramps new hosts' weights up over time",
    ),
    (
        "lb_subset_config",
        "subsets restrict each request to the hosts whose metadata matches the route",
    ),
    (
        "zone_aware_lb_config",
        "zone-aware routing needs the local cluster's membership, which the file does not have",
    ),
    (
        "consistent_hashing_lb_config",
        "hash_balance_factor (bounded loads) and use_hostname_for_hashing change which host a key maps to",
    ),
    (
        "hash_balance_factor",
        "bounded loads move keys off hosts above the balance factor",
    ),
    (
        "use_hostname_for_hashing",
        "hashing by host name instead of address moves the ring points",
    ),
    (
        "ignore_new_hosts_until_first_hc",
        "new hosts get no traffic until their first health check",
    ),
    (
        "override_host_status",
        "requests may be sent to a host named by the request (override host)",
    ),
    (
        "original_dst_lb_config",
        "the original destination decides the host",
    ),
    (
        "enable_full_scan",
        "least request compares every host instead of choice_count random ones",
    ),
    (
        "selection_method",
        "least request's FULL_SCAN compares every host instead of choice_count random ones",
    ),
    (
        "connection_aware_lb_config",
        "connection-aware balancing weighs hosts by their open connections at run time",
    ),
];

impl Parser {
    /// `value` as an object whose members are among `modelled` (returned) and `ignored`
    /// (noted); anything else is an error with a did-you-mean hint.
    pub(crate) fn object<'v>(
        &mut self,
        value: &'v Node,
        path: &Path,
        what: &str,
        modelled: &[&'static str],
        ignored: &[&'static str],
    ) -> Result<Fields<'v>, InputError> {
        let shape = Shape::proto(what, modelled, ignored);
        let (quiet, differs) = (&mut self.ignored, &mut self.differs);
        let fields = object::read(value, &shape, |name, key, v| {
            let pattern = path.key(key).pattern();
            match MAY_DIFFER.iter().find(|(n, _)| *n == name) {
                Some((_, why)) if v.value != Value::Null && !is_empty_object(v) => {
                    differs.insert((pattern, why));
                }
                _ => {
                    quiet.insert(pattern);
                }
            }
        })
        .map_err(|e| match e {
            Misread::NotAMapping => InputError::at(
                path,
                format!("expected an object ({what}), found {}", type_name(value)),
            ),
            Misread::Key(key, _, message) => InputError::at(&path.key(key), message),
        })?;
        Ok(Fields {
            path: path.clone(),
            fields,
        })
    }

    /// A remark for the explanation.
    pub(crate) fn note(&mut self, code: NoteCode, text: impl Into<String>) {
        self.notes.push(Note::new(code, text));
    }

    /// A field that can change the result and is not modelled.
    pub(crate) fn differs(&mut self, path: &Path, why: &'static str) {
        self.differs.insert((path.pattern(), why));
    }

    /// The notes gathered, the not-modelled fields last.
    pub(crate) fn finish(&mut self) -> Vec<Note> {
        let mut notes = std::mem::take(&mut self.notes);
        if !self.differs.is_empty() {
            let list: Vec<String> = std::mem::take(&mut self.differs)
                .into_iter()
                .map(|(p, why)| format!("{p} ({why})"))
                .collect();
            notes.push(Note::new(
                NoteCode::MayDiffer,
                format!(
                    "not modelled by meshlb, so Envoy's result may differ: {}",
                    list.join("; ")
                ),
            ));
        }
        notes.extend(crate::names::not_modelled_note(&std::mem::take(
            &mut self.ignored,
        )));
        notes
    }

    /// Checks an `@type` member against the resource's type.
    fn check_type(fields: &Fields<'_>, expected: &str, what: &str) -> Result<(), InputError> {
        if let Some((t, p)) = fields.get("@type") {
            let t = string(t, &p)?;
            if v3_type(&t) != expected {
                return Err(InputError::at(
                    &p,
                    format!("`@type` is {t:?}; a {what} is {expected:?}"),
                ));
            }
        }
        Ok(())
    }

    /// A `Cluster`.
    pub(crate) fn cluster(
        &mut self,
        value: &Node,
        path: &Path,
    ) -> Result<ClusterResource, InputError> {
        let fields = self.object(value, path, "Cluster", CLUSTER_MODELLED, CLUSTER_IGNORED)?;
        Self::check_type(&fields, CLUSTER_TYPE, "Cluster")?;
        let (name_v, name_p) = fields.require("name", "the cluster's name")?;
        let name = string(name_v, &name_p)?;
        let mut discovery = String::from("STATIC");
        if let Some((v, p)) = fields.get("type") {
            // cluster.proto `DiscoveryType`.
            let n = enumeration(
                v,
                &p,
                &[
                    ("STATIC", 0),
                    ("STRICT_DNS", 1),
                    ("LOGICAL_DNS", 2),
                    ("EDS", 3),
                    ("ORIGINAL_DST", 4),
                ],
            )?;
            discovery = ["STATIC", "STRICT_DNS", "LOGICAL_DNS", "EDS", "ORIGINAL_DST"][n as usize]
                .to_string();
        }
        if let Some((v, p)) = fields.get("cluster_type") {
            let f = self.object(v, &p, "CustomClusterType", &["name"], &["typed_config"])?;
            let (n, np) = f.require("name", "the cluster type's name")?;
            discovery = string(n, &np)?;
        }
        let mut eds_name = name.clone();
        if let Some((v, p)) = fields.get("eds_cluster_config") {
            let f = self.object(
                v,
                &p,
                "EdsClusterConfig",
                &["service_name"],
                &["eds_config"],
            )?;
            if let Some((s, sp)) = f.get("service_name") {
                let s = string(s, &sp)?;
                if !s.is_empty() {
                    eds_name = s;
                }
            }
        }
        let inline = match (fields.get("load_assignment"), fields.get("hosts")) {
            (Some((la, la_path)), _) => {
                let mut inner = Parser::default();
                Some(inner.load_assignment(la, &la_path)?)
            }
            (None, Some((hosts, hosts_path))) => Some(self.v2_hosts(&name, hosts, &hosts_path)?),
            (None, None) => None,
        };
        let mut health_check = None;
        if let Some((v, p)) = fields.get("health_checks") {
            // Every check is read (a bad one is an error), the first kept. They do not change
            // the explanation, which names them with the fields accepted quietly, as before;
            // their own unmodelled fields are not listed.
            for (i, item) in array(v, &p)?.iter().enumerate() {
                let at = p.index(i);
                let mut check = super::health_check::read(&mut Parser::default(), item, &at)?;
                if i == 0 {
                    check.at = at.to_string();
                    health_check = Some(check);
                }
            }
            self.ignored.insert(p.pattern());
        }
        let mut config = LbConfig::default();
        let mut places = ConfigPlaces::default();
        let mut policy_name = String::from("ROUND_ROBIN");
        let mut unsupported: Option<String> = None;
        if let Some((v, p)) = fields.get("lb_policy") {
            match lb_policy(v, &p)? {
                Ok(policy) => {
                    config.policy = policy;
                    policy_name = policy.as_str().to_string();
                }
                Err(name) => {
                    policy_name = name.to_string();
                    if name != "LOAD_BALANCING_POLICY_CONFIG" {
                        unsupported = Some(unsupported_policy(name));
                    }
                }
            }
        }
        if let Some((v, p)) = fields.get("common_lb_config") {
            self.common_lb_config(v, &p, &mut config, &mut places)?;
        }
        if let Some((v, p)) = fields.get("ring_hash_lb_config") {
            self.ring_hash(v, &p, "RingHashLbConfig", &mut config, &mut places)?;
        }
        if let Some((v, p)) = fields.get("maglev_lb_config") {
            self.maglev(v, &p, "MaglevLbConfig", &mut config, &mut places)?;
        }
        if let Some((v, p)) = fields.get("least_request_lb_config") {
            self.least_request(v, &p, "LeastRequestLbConfig", &[], &mut config, &mut places)?;
        }
        if let Some((v, p)) = fields.get("round_robin_lb_config") {
            self.object(v, &p, "RoundRobinLbConfig", &[], &["slow_start_config"])?;
        }
        // `load_balancing_policy` takes precedence over `lb_policy` (cluster.proto: "If this
        // field is set, lb_policy is ignored"; `ClusterInfoImpl` builds the typed policy first).
        if let Some((v, p)) = fields.get("load_balancing_policy") {
            // Envoy rejects a typed policy beside the legacy locality and hashing settings
            // (`configureLbPolicies`, upstream_impl.cc).
            for (legacy, what) in [
                ("lb_subset_config", None),
                ("common_lb_config", Some("locality_weighted_lb_config")),
                ("common_lb_config", Some("zone_aware_lb_config")),
                ("common_lb_config", Some("consistent_hashing_lb_config")),
            ] {
                let found = fields.get(legacy).and_then(|(n, lp)| match what {
                    None => Some(lp),
                    Some(inner) => field(n, inner).map(|_| lp.key(inner)),
                });
                if let Some(lp) = found {
                    return Err(InputError::at(
                        &lp,
                        format!(
                            "{} cannot be set with load_balancing_policy: Envoy rejects the cluster (set it in the typed policy instead)",
                            what.unwrap_or(legacy)
                        ),
                    ));
                }
            }
            config.locality_weighted = false;
            match self.load_balancing_policy(v, &p, &mut config, &mut places)? {
                Ok(name) => {
                    policy_name = name;
                    unsupported = None;
                }
                Err((name, why)) => {
                    policy_name = name;
                    unsupported = Some(why);
                }
            }
        }
        if discovery == "ORIGINAL_DST" {
            unsupported = Some(
                "an ORIGINAL_DST cluster sends each request to its original destination address: Envoy does not balance it over endpoints".into(),
            );
        } else if discovery == "LOGICAL_DNS" {
            self.note(NoteCode::Input, "LOGICAL_DNS: Envoy connects to the first address the single endpoint's host name resolves to; meshlb explains the endpoint as written");
        } else if discovery == "STRICT_DNS" {
            self.note(NoteCode::Input, "STRICT_DNS: Envoy resolves each endpoint's host name and makes one host per address it returns, each with the endpoint's weight; meshlb explains the endpoints as written");
        }
        Ok(ClusterResource {
            name,
            discovery,
            eds_name,
            policy: policy_name,
            config: unsupported.map_or(Ok(config), Err),
            places,
            inline,
            health_check,
            notes: self.finish(),
        })
    }

    /// `Cluster.RingHashLbConfig` (`what` "RingHashLbConfig") or the typed
    /// `ring_hash.v3.RingHash` ("RingHash"), whose `hash_function` enum numbers differ
    /// (`DEFAULT_HASH` 0, `XX_HASH` 1, `MURMUR_HASH_2` 2; the legacy one has no default).
    /// v2's `Cluster.hosts` (a list of addresses, deprecated for `load_assignment`): one
    /// locality group of weight-1 hosts, as Envoy turned them into a load assignment.
    fn v2_hosts(
        &mut self,
        name: &str,
        value: &Node,
        path: &Path,
    ) -> Result<AssignmentResource, InputError> {
        let mut group = LocalityEndpoints::default();
        let mut places = Vec::new();
        for (i, host) in array(value, path)?.iter().enumerate() {
            let hp = path.index(i);
            let (address, port) = self.address(host, &hp)?;
            group.endpoints.push(Endpoint::new(&address, port));
            places.push((hp, host.line));
        }
        self.note(
            NoteCode::Input,
            "hosts: v2's deprecated endpoint list, read as one locality of weight-1 hosts",
        );
        let mut assignment = LoadAssignment::default();
        assignment.localities.push(group);
        Ok(AssignmentResource {
            name: name.to_string(),
            assignment,
            places: AssignmentPlaces {
                groups: vec![((path.clone(), value.line), places)],
                root: Some((path.clone(), value.line)),
                ..AssignmentPlaces::default()
            },
            notes: Vec::new(),
        })
    }

    fn ring_hash(
        &mut self,
        value: &Node,
        path: &Path,
        what: &str,
        config: &mut LbConfig,
        places: &mut ConfigPlaces,
    ) -> Result<(), InputError> {
        let f = self.object(
            value,
            path,
            what,
            &[
                "minimum_ring_size",
                "maximum_ring_size",
                "hash_function",
                "locality_weighted_lb_config",
            ],
            &[
                "use_hostname_for_hashing",
                "hash_balance_factor",
                "consistent_hashing_lb_config",
            ],
        )?;
        if let Some((v, p)) = f.get("minimum_ring_size") {
            config.ring_hash.minimum_ring_size = v.uint(&p, u64::MAX)?;
            places.ring_min = Some((p, v.line));
        }
        if let Some((v, p)) = f.get("maximum_ring_size") {
            config.ring_hash.maximum_ring_size = v.uint(&p, u64::MAX)?;
            places.ring_max = Some((p, v.line));
        }
        if let Some((v, p)) = f.get("hash_function") {
            let murmur = if what == "RingHash" {
                enumeration(
                    v,
                    &p,
                    &[("DEFAULT_HASH", 0), ("XX_HASH", 1), ("MURMUR_HASH_2", 2)],
                )? == 2
            } else {
                enumeration(v, &p, &[("XX_HASH", 0), ("MURMUR_HASH_2", 1)])? == 1
            };
            if murmur {
                return Err(InputError::at(
                    &p,
                    "hash_function MURMUR_HASH_2 is not supported by meshlb (XX_HASH, Envoy's default, is)",
                ));
            }
        }
        if let Some((v, p)) = f.get("locality_weighted_lb_config") {
            self.object(v, &p, "LocalityWeightedLbConfig", &[], &[])?;
            config.locality_weighted = true;
        }
        if places.ring_min.is_none() {
            places.ring_min = Some((path.clone(), value.line));
        }
        if places.ring_max.is_none() {
            places.ring_max = Some((path.clone(), value.line));
        }
        Ok(())
    }

    fn maglev(
        &mut self,
        value: &Node,
        path: &Path,
        what: &str,
        config: &mut LbConfig,
        places: &mut ConfigPlaces,
    ) -> Result<(), InputError> {
        let f = self.object(
            value,
            path,
            what,
            &["table_size", "locality_weighted_lb_config"],
            &["consistent_hashing_lb_config"],
        )?;
        if let Some((v, p)) = f.get("table_size") {
            config.maglev.table_size = v.uint(&p, u64::MAX)?;
            places.maglev_table = Some((p, v.line));
        }
        if let Some((v, p)) = f.get("locality_weighted_lb_config") {
            self.object(v, &p, "LocalityWeightedLbConfig", &[], &[])?;
            config.locality_weighted = true;
        }
        Ok(())
    }

    fn least_request(
        &mut self,
        value: &Node,
        path: &Path,
        what: &str,
        extra: &[&'static str],
        config: &mut LbConfig,
        places: &mut ConfigPlaces,
    ) -> Result<(), InputError> {
        let mut modelled = vec!["choice_count", "active_request_bias"];
        modelled.extend_from_slice(extra);
        let f = self.object(
            value,
            path,
            what,
            &modelled,
            &[
                "slow_start_config",
                "enable_full_scan",
                "selection_method",
                "connection_aware_lb_config",
            ],
        )?;
        if let Some((v, p)) = f.get("choice_count") {
            config.least_request.choice_count = v.uint(&p, u64::from(u32::MAX))? as u32;
            places.choice_count = Some((p, v.line));
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
                places.bias = Some((p, v.line));
            }
            if let Some((v, p)) = rd.get("runtime_key") {
                string(v, &p)?;
                self.note(NoteCode::Input, "least_request active_request_bias.runtime_key: runtime overrides are not modelled; the default_value applies");
            }
        }
        Ok(())
    }

    /// `Cluster.load_balancing_policy`: the first policy of `policies` whose extension meshlb
    /// knows, as Envoy takes the first one it supports (`ClusterInfoImpl`, `configureLbPolicies`).
    /// `Ok(name)` when it is explainable, `Err((name, why))` when it is not.
    fn load_balancing_policy(
        &mut self,
        value: &Node,
        path: &Path,
        config: &mut LbConfig,
        places: &mut ConfigPlaces,
    ) -> Result<Result<String, (String, String)>, InputError> {
        let f = self.object(value, path, "LoadBalancingPolicy", &["policies"], &[])?;
        let Some((list, list_path)) = f.get("policies") else {
            return Err(InputError::at(
                path,
                "load_balancing_policy has no `policies`: Envoy rejects the cluster",
            ));
        };
        let items = array(list, &list_path)?;
        let mut first_unknown: Option<(String, String)> = None;
        for (i, item) in items.iter().enumerate() {
            let ip = list_path.index(i);
            let pf = self.object(item, &ip, "Policy", &["typed_extension_config"], &[])?;
            let (tec, tec_path) = pf.require("typed_extension_config", "the policy's extension")?;
            let tf = self.object(
                tec,
                &tec_path,
                "TypedExtensionConfig",
                &["name", "typed_config"],
                &[],
            )?;
            let (tc, tc_path) = tf.require("typed_config", "the policy's configuration")?;
            let (t, t_path) = tc.get("@type").map_or_else(
                || {
                    Err(InputError::at(
                        &tc_path,
                        "missing field `@type` (the policy's type)",
                    ))
                },
                |t| Ok((t, tc_path.key("@type"))),
            )?;
            let type_url = string(t, &t_path)?;
            // `...load_balancing_policies.wrr_locality.v3.WrrLocality` → `wrr_locality`.
            let short = type_url
                .strip_prefix("type.googleapis.com/envoy.extensions.load_balancing_policies.")
                .and_then(|rest| rest.split('.').next())
                .unwrap_or(type_url.as_str())
                .to_string();
            let mut candidate = config.clone();
            let mut candidate_places = places.clone();
            let known = self.typed_policy(
                &type_url,
                tc,
                &tc_path,
                &mut candidate,
                &mut candidate_places,
            )?;
            match known {
                Typed::Supported => {
                    *config = candidate;
                    *places = candidate_places;
                    if i > 0 {
                        self.note(NoteCode::Input, format!(
                            "load_balancing_policy: Envoy uses the first policy it supports; meshlb takes policies[{i}] ({short})"
                        ));
                    }
                    return Ok(Ok(config.policy.as_str().to_string()));
                }
                Typed::Unsupported(why) => return Ok(Err((short, why))),
                Typed::Unknown => {
                    if first_unknown.is_none() {
                        first_unknown = Some((
                            short.clone(),
                            format!(
                                "load_balancing_policy {type_url} is not a policy meshlb models"
                            ),
                        ));
                    }
                }
            }
        }
        Ok(Err(first_unknown.unwrap_or_else(|| {
            (
                "LOAD_BALANCING_POLICY_CONFIG".into(),
                "load_balancing_policy lists no policy".into(),
            )
        })))
    }

    /// One typed load-balancing policy (`envoy.extensions.load_balancing_policies.*.v3`).
    fn typed_policy(
        &mut self,
        type_url: &str,
        value: &Node,
        path: &Path,
        config: &mut LbConfig,
        places: &mut ConfigPlaces,
    ) -> Result<Typed, InputError> {
        const PREFIX: &str = "type.googleapis.com/envoy.extensions.load_balancing_policies.";
        let Some(rest) = type_url.strip_prefix(PREFIX) else {
            return Ok(Typed::Unknown);
        };
        match rest {
            "round_robin.v3.RoundRobin" => {
                config.policy = LbPolicy::RoundRobin;
                let f = self.object(
                    value,
                    path,
                    "RoundRobin",
                    &["@type", "locality_lb_config"],
                    &["slow_start_config", "connection_aware_lb_config"],
                )?;
                if let Some((v, p)) = f.get("locality_lb_config") {
                    self.locality_lb_config(v, &p, config)?;
                }
            }
            "least_request.v3.LeastRequest" => {
                config.policy = LbPolicy::LeastRequest;
                self.least_request(
                    value,
                    path,
                    "LeastRequest",
                    &["@type", "locality_lb_config"],
                    config,
                    places,
                )?;
                if let Some(v) = field(value, "locality_lb_config") {
                    self.locality_lb_config(v, &path.key("locality_lb_config"), config)?;
                }
            }
            "random.v3.Random" => {
                config.policy = LbPolicy::Random;
                let f =
                    self.object(value, path, "Random", &["@type", "locality_lb_config"], &[])?;
                if let Some((v, p)) = f.get("locality_lb_config") {
                    self.locality_lb_config(v, &p, config)?;
                }
            }
            "ring_hash.v3.RingHash" => {
                config.policy = LbPolicy::RingHash;
                let stripped = without(value, "@type");
                self.ring_hash(&stripped, path, "RingHash", config, places)?;
            }
            "maglev.v3.Maglev" => {
                config.policy = LbPolicy::Maglev;
                let stripped = without(value, "@type");
                self.maglev(&stripped, path, "Maglev", config, places)?;
            }
            "client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin" => {
                return Ok(Typed::Unsupported(
                    "client-side weighted round robin weighs hosts by the load reports (ORCA) they send at run time, which no file holds".into(),
                ));
            }
            "wrr_locality.v3.WrrLocality" => {
                return Ok(Typed::Unsupported(
                    "wrr_locality picks a locality by weight, then a host with its endpoint_picking_policy; meshlb does not model it".into(),
                ));
            }
            "cluster_provided.v3.ClusterProvided" => {
                return Ok(Typed::Unsupported(unsupported_policy("CLUSTER_PROVIDED")));
            }
            "subset.v3.Subset" => {
                return Ok(Typed::Unsupported(
                    "the subset load balancer restricts each request to the hosts whose metadata matches its route; meshlb does not model it".into(),
                ));
            }
            _ => return Ok(Typed::Unknown),
        }
        Ok(Typed::Supported)
    }

    /// `common.v3.LocalityLbConfig`: `locality_weighted_lb_config` or `zone_aware_lb_config`.
    fn locality_lb_config(
        &mut self,
        value: &Node,
        path: &Path,
        config: &mut LbConfig,
    ) -> Result<(), InputError> {
        let f = self.object(
            value,
            path,
            "LocalityLbConfig",
            &["locality_weighted_lb_config", "zone_aware_lb_config"],
            &[],
        )?;
        self.locality_choice(&f, config)
    }

    /// The `oneof` of locality-weighted and zone-aware load balancing.
    fn locality_choice(&mut self, f: &Fields<'_>, config: &mut LbConfig) -> Result<(), InputError> {
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
                    "force_locality_direct_routing",
                    "locality_basis",
                    "force_local_zone",
                ],
            )?;
            self.differs(
                &p,
                "zone-aware routing needs the local cluster's membership, which the file does not have; meshlb balances as if it does not apply",
            );
        }
        Ok(())
    }

    fn common_lb_config(
        &mut self,
        value: &Node,
        path: &Path,
        config: &mut LbConfig,
        places: &mut ConfigPlaces,
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
                    let t = meshlb::check_panic_threshold(number(v, &vp)?)
                        .map_err(|e| InputError::at(&vp, e.to_string()))?;
                    places.panic_threshold = Some((vp, v.line));
                    t
                }
                None => 0.0, // proto3 default of `value`
            };
            config.healthy_panic_threshold = threshold;
        }
        self.locality_choice(&f, config)
    }

    /// A `ClusterLoadAssignment`.
    pub(crate) fn load_assignment(
        &mut self,
        value: &Node,
        path: &Path,
    ) -> Result<AssignmentResource, InputError> {
        let fields = self.object(
            value,
            path,
            "ClusterLoadAssignment",
            CLA_MODELLED,
            &["named_endpoints"],
        )?;
        Self::check_type(&fields, CLA_TYPE, "ClusterLoadAssignment")?;
        let (name_value, name_path) = fields.require("cluster_name", "the cluster's name")?;
        let name = string(name_value, &name_path)?;
        if name.is_empty() {
            return Err(InputError::at(&name_path, "cluster_name must not be empty"));
        }
        let mut assignment = LoadAssignment::default();
        let mut places = AssignmentPlaces {
            root: Some((path.clone(), value.line)),
            ..AssignmentPlaces::default()
        };
        if let Some((v, p)) = fields.get("policy") {
            self.policy(v, &p, &mut assignment, &mut places)?;
        }
        // Envoy leaves empty lists out of its output: no `endpoints` is an empty assignment.
        let endpoints = match fields.get("endpoints") {
            Some((v, p)) => array(v, &p)?
                .iter()
                .enumerate()
                .map(|(i, e)| (e, p.index(i)))
                .collect(),
            None => Vec::new(),
        };
        let mut total = 0_usize;
        let mut zero_weights = 0;
        for (group_value, group_path) in endpoints {
            let (group, endpoint_places, zero) = self.locality_group(group_value, &group_path)?;
            zero_weights += usize::from(zero);
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
            places
                .groups
                .push(((group_path, group_value.line), endpoint_places));
        }
        if zero_weights > 0 {
            self.note(NoteCode::Input, format!(
                "{zero_weights} locality group(s) have load_balancing_weight 0: Envoy's admin output prints 0 for a locality without a weight (proto3 leaves a real 0 out, and EDS refuses it), so meshlb reads it as unset: such a locality gets no traffic under locality-weighted LB"
            ));
        }
        Ok(AssignmentResource {
            name,
            assignment,
            places,
            notes: self.finish(),
        })
    }

    /// `ClusterLoadAssignment.Policy`.
    fn policy(
        &mut self,
        value: &Node,
        path: &Path,
        assignment: &mut LoadAssignment,
        places: &mut AssignmentPlaces,
    ) -> Result<(), InputError> {
        let f = self.object(
            value,
            path,
            "ClusterLoadAssignment.Policy",
            &[
                "overprovisioning_factor",
                "weighted_priority_health",
                "drop_overloads",
            ],
            &["endpoint_stale_after"],
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
            places.overprovisioning_factor = Some((p, v.line));
        }
        if let Some((v, p)) = f.get("weighted_priority_health") {
            assignment.weighted_priority_health = boolean(v, &p)?;
        }
        if let Some((v, p)) = f.get("drop_overloads") {
            let items = array(v, &p)?;
            // Envoy accepts one category (`ClusterImplBase::parseDropOverloadConfig`: "Cluster
            // drop_overloads config has N categories. Envoy only support one.").
            if items.len() > 1 {
                return Err(InputError::at(
                    &p.index(1),
                    format!(
                        "drop_overloads has {} categories; Envoy supports only one",
                        items.len()
                    ),
                ));
            }
            if let Some(item) = items.first() {
                let ip = p.index(0);
                let df = self.object(
                    item,
                    &ip,
                    "DropOverload",
                    &["category", "drop_percentage"],
                    &[],
                )?;
                let (c, cp) = df.require("category", "the drop's name")?;
                if string(c, &cp)?.is_empty() {
                    return Err(InputError::at(&cp, "category must not be empty"));
                }
                let ppm = match df.get("drop_percentage") {
                    Some((d, dp)) => fractional_percent(self, d, &dp)?,
                    None => 0,
                };
                assignment.drop_overload_ppm = ppm;
                places.drop_overloads = Some((ip, item.line));
            }
        }
        Ok(())
    }

    fn locality_group(
        &mut self,
        value: &Node,
        path: &Path,
    ) -> Result<(LocalityEndpoints, Vec<Place>, bool), InputError> {
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
            group.locality = self.locality(v, &p)?;
        }
        let mut zero = false;
        if let Some((v, p)) = f.get("load_balancing_weight") {
            let w = v.uint(&p, u64::from(u32::MAX))?;
            if w == 0 {
                zero = true;
            } else {
                group.weight = Some(w as u32);
            }
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
        let mut places = Vec::new();
        if let Some((v, p)) = f.get("lb_endpoints") {
            for (i, e) in array(v, &p)?.iter().enumerate() {
                let ep = p.index(i);
                group.endpoints.push(self.lb_endpoint(e, &ep)?);
                places.push((ep, e.line));
            }
        }
        Ok((group, places, zero))
    }

    /// `config.core.v3.Locality`.
    pub(crate) fn locality(&mut self, value: &Node, path: &Path) -> Result<Locality, InputError> {
        let lf = self.object(
            value,
            path,
            "Locality",
            &["region", "zone", "sub_zone"],
            &[],
        )?;
        let part = |name: &str| -> Result<String, InputError> {
            lf.get(name)
                .map_or(Ok(String::new()), |(v, p)| string(v, &p))
        };
        Ok(Locality::new(
            &part("region")?,
            &part("zone")?,
            &part("sub_zone")?,
        ))
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
        let (address, port) = self.address(av, &ap)?;
        let mut endpoint = Endpoint::new(&address, port);
        endpoint.health = HealthStatus::Unknown;
        if let Some((v, p)) = f.get("health_status") {
            endpoint.health = health_status(v, &p)?;
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

    /// `config.core.v3.Address`: a socket address as (address, port); a `pipe` as
    /// (`unix:PATH`, 0) and an `envoy_internal_address` as (`internal:LISTENER`, 0), named as
    /// Envoy names them (`PipeInstance`, `EnvoyInternalInstance`).
    pub(crate) fn address(
        &mut self,
        value: &Node,
        path: &Path,
    ) -> Result<(String, u16), InputError> {
        let af = self.object(
            value,
            path,
            "Address",
            &["socket_address", "pipe", "envoy_internal_address"],
            &[],
        )?;
        let set: Vec<&str> = ["socket_address", "pipe", "envoy_internal_address"]
            .into_iter()
            .filter(|n| af.get(n).is_some())
            .collect();
        if set.len() > 1 {
            return Err(InputError::at(
                path,
                format!("{} are one `oneof`: set only one", set.join(" and ")),
            ));
        }
        if let Some((v, p)) = af.get("pipe") {
            let pf = self.object(v, &p, "Pipe", &["path"], &["mode"])?;
            let (pv, pp) = pf.require("path", "the socket's path")?;
            let socket = string(pv, &pp)?;
            if socket.is_empty() {
                return Err(InputError::at(&pp, "a pipe's path must not be empty"));
            }
            return Ok((format!("unix:{socket}"), 0));
        }
        if let Some((v, p)) = af.get("envoy_internal_address") {
            let inf = self.object(
                v,
                &p,
                "EnvoyInternalAddress",
                &["server_listener_name", "endpoint_id"],
                &[],
            )?;
            let (lv, lp) = inf.require("server_listener_name", "the internal listener's name")?;
            let listener = string(lv, &lp)?;
            let id = match inf.get("endpoint_id") {
                Some((v, p)) => string(v, &p)?,
                None => String::new(),
            };
            let name = if id.is_empty() {
                format!("internal:{listener}")
            } else {
                format!("internal:{listener}/{id}")
            };
            return Ok((name, 0));
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
        Ok((address, port as u16))
    }
}

/// The v3 name of a type URL: Envoy's v2 API (`envoy.api.v2.Cluster`,
/// `envoy.api.v2.ClusterLoadAssignment`, `envoy.admin.v2alpha.*`, `envoy.config.bootstrap.v2`)
/// has the same load-balancing fields; older dumps and control planes write it.
pub(crate) fn v3_type(type_url: &str) -> std::borrow::Cow<'_, str> {
    const RENAMES: &[(&str, &str)] = &[
        (
            "type.googleapis.com/envoy.api.v2.Cluster",
            "type.googleapis.com/envoy.config.cluster.v3.Cluster",
        ),
        (
            "type.googleapis.com/envoy.api.v2.ClusterLoadAssignment",
            "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
        ),
        (
            "type.googleapis.com/envoy.config.bootstrap.v2.Bootstrap",
            "type.googleapis.com/envoy.config.bootstrap.v3.Bootstrap",
        ),
        (
            "type.googleapis.com/envoy.api.v2.DiscoveryResponse",
            "type.googleapis.com/envoy.service.discovery.v3.DiscoveryResponse",
        ),
    ];
    if let Some((_, v3)) = RENAMES.iter().find(|(v2, _)| *v2 == type_url) {
        return std::borrow::Cow::Borrowed(v3);
    }
    match type_url.strip_prefix("type.googleapis.com/envoy.admin.v2alpha.") {
        Some(rest) => std::borrow::Cow::Owned(format!("type.googleapis.com/envoy.admin.v3.{rest}")),
        None => std::borrow::Cow::Borrowed(type_url),
    }
}

/// What [`Parser::typed_policy`] made of a typed policy.
enum Typed {
    /// Modelled: the configuration was filled in.
    Supported,
    /// Known, not modelled, with why.
    Unsupported(String),
    /// Not a policy meshlb knows: Envoy would try the next one.
    Unknown,
}

/// Whether `node` is `{}`.
fn is_empty_object(node: &Node) -> bool {
    matches!(&node.value, Value::Map(m) if m.is_empty())
}

/// The member `name` of an object, in either spelling.
fn field<'n>(node: &'n Node, name: &str) -> Option<&'n Node> {
    node.get(name)
        .or_else(|| node.get(&lower_camel(name)))
        .filter(|n| n.value != Value::Null)
}

/// A copy of an object without the member `name`.
fn without(node: &Node, name: &str) -> Node {
    let mut copy = node.clone();
    if let Value::Map(entries) = &mut copy.value {
        entries.retain(|(k, _)| k != name);
    }
    copy
}

/// Why a policy cannot be explained.
fn unsupported_policy(name: &str) -> String {
    match name {
        "CLUSTER_PROVIDED" => "lb_policy CLUSTER_PROVIDED: the cluster type brings its own load balancer (an original-destination or dynamic-forward-proxy cluster), which meshlb does not model".into(),
        "ORIGINAL_DST_LB" => "lb_policy ORIGINAL_DST_LB (v2's value 4): each request goes to its original destination; Envoy does not balance it over endpoints".into(),
        other => format!("lb_policy {other} is not modelled by meshlb"),
    }
}

/// `type.v3.FractionalPercent` as parts per million: `HUNDRED`, `TEN_THOUSAND` and `MILLION`
/// all convert exactly. A numerator above its denominator means every request, as Envoy caps
/// the fraction (`ProtobufPercentHelper::convertPercent`).
fn fractional_percent(parser: &mut Parser, value: &Node, path: &Path) -> Result<u32, InputError> {
    let f = parser.object(
        value,
        path,
        "FractionalPercent",
        &["numerator", "denominator"],
        &[],
    )?;
    let numerator = match f.get("numerator") {
        Some((v, p)) => v.uint(&p, u64::from(u32::MAX))?,
        None => 0,
    };
    let per = match f.get("denominator") {
        Some((v, p)) => enumeration(
            v,
            &p,
            &[("HUNDRED", 0), ("TEN_THOUSAND", 1), ("MILLION", 2)],
        )?,
        None => 0,
    };
    let scale = [10_000_u64, 100, 1][per as usize];
    Ok(numerator.saturating_mul(scale).min(u64::from(PPM)) as u32)
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

/// A `config.core.v3.HealthStatus`, by name or number.
pub(crate) fn health_status(value: &Node, path: &Path) -> Result<HealthStatus, InputError> {
    let names: Vec<(&str, i64)> = HealthStatus::ALL
        .iter()
        .map(|h| (h.as_str(), proto_number(*h)))
        .collect();
    let n = enumeration(value, path, &names)?;
    Ok(HealthStatus::ALL
        .into_iter()
        .find(|h| proto_number(*h) == n)
        .unwrap_or_default())
}

/// `Cluster.lb_policy`: a policy meshlb models, or the name of one it does not.
fn lb_policy(value: &Node, path: &Path) -> Result<Result<LbPolicy, &'static str>, InputError> {
    // cluster.proto `LbPolicy`; 4 was v2's ORIGINAL_DST_LB (reserved in v3, still printed by
    // istiod's debug output).
    let n = enumeration(
        value,
        path,
        &[
            ("ROUND_ROBIN", 0),
            ("LEAST_REQUEST", 1),
            ("RING_HASH", 2),
            ("RANDOM", 3),
            ("ORIGINAL_DST_LB", 4),
            ("MAGLEV", 5),
            ("CLUSTER_PROVIDED", 6),
            ("LOAD_BALANCING_POLICY_CONFIG", 7),
        ],
    )?;
    Ok(match n {
        0 => Ok(LbPolicy::RoundRobin),
        1 => Ok(LbPolicy::LeastRequest),
        2 => Ok(LbPolicy::RingHash),
        3 => Ok(LbPolicy::Random),
        5 => Ok(LbPolicy::Maglev),
        4 => Err("ORIGINAL_DST_LB"),
        6 => Err("CLUSTER_PROVIDED"),
        _ => Err("LOAD_BALANCING_POLICY_CONFIG"),
    })
}

pub(crate) fn string(value: &Node, path: &Path) -> Result<String, InputError> {
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

pub(crate) fn array<'v>(value: &'v Node, path: &Path) -> Result<&'v Vec<Node>, InputError> {
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
pub(crate) fn enumeration(
    value: &Node,
    path: &Path,
    names: &[(&str, i64)],
) -> Result<i64, InputError> {
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
    "type",
    "cluster_type",
    "eds_cluster_config",
    "lb_policy",
    "load_assignment",
    "common_lb_config",
    "ring_hash_lb_config",
    "maglev_lb_config",
    "least_request_lb_config",
    "round_robin_lb_config",
    "load_balancing_policy",
    "hosts",
    "health_checks",
];

/// `envoy.config.cluster.v3.Cluster` fields meshlb accepts without modelling them (v2's own
/// names among them: `tls_context`, `extension_protocol_options`,
/// `drain_connections_on_host_removal`).
const CLUSTER_IGNORED: &[&str] = &[
    "transport_socket_matches",
    "transport_socket_matcher",
    "alt_stat_name",
    "connect_timeout",
    "per_connection_buffer_limit_bytes",
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
    "transport_socket",
    "metadata",
    "protocol_selection",
    "upstream_connection_options",
    "close_connections_on_host_health_failure",
    "ignore_health_on_host_removal",
    "filters",
    "lrs_server",
    "lrs_report_endpoint_metrics",
    "track_timeout_budgets",
    "upstream_config",
    "track_cluster_stats",
    "preconnect_policy",
    "connection_pool_per_downstream_connection",
    "tls_context",
    "extension_protocol_options",
    "drain_connections_on_host_removal",
];
