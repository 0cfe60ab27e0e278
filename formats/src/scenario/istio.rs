//! Istio's resources as its API has them (`config[].resources[]`: DestinationRule,
//! VirtualService, ServiceEntry, WorkloadEntry, Sidecar) and MeshConfig, in both of proto3
//! JSON's spellings.

use meshlb::{Note, NoteCode};
use std::collections::BTreeMap;

use meshlb::mesh::{
    DestinationRule, Distribute, Failover, HttpMatch, HttpRoute, IstioLbPolicy,
    LoadBalancerSettings, LocalityLbSetting, MeshConfig, Metadata, OutboundTrafficMode,
    OutlierDetection, Resource, RouteDestination, ServiceEntry, ServiceEntryPort, ServiceSettings,
    Sidecar, SidecarEgress, StringMatch, Subset, TlsMode, TrafficPolicy, VirtualService,
    WorkloadEntry, WorkloadEntrySpec,
};

use super::shapes::*;
use super::{Parser, fail};
use crate::error::InputError;
use crate::object::{Fields, Shape};
use crate::path::At;
use crate::tree::{Node, Value};

impl Parser<'_> {
    pub(super) fn mesh_config(
        &mut self,
        node: &Node,
        at: &At<'_>,
    ) -> Result<MeshConfig, InputError> {
        let f = self.object(node, at, &MESH_CONFIG)?;
        let locality_lb_setting = self.opt(&f, "localityLbSetting", at, Self::locality_lb)?;
        let service_settings = self.each(&f, "serviceSettings", at, |this, node, at| {
            let f = this.object(node, at, &SERVICE_SETTINGS)?;
            let cluster_local = match f.get("settings") {
                Some((key, node)) => {
                    let at = at.key(key);
                    let s = this.object(node, &at, &SETTINGS)?;
                    this.bool_field(&s, "clusterLocal", &at)?.unwrap_or(false)
                }
                None => false,
            };
            Ok(ServiceSettings {
                cluster_local,
                hosts: this.strings(&f, "hosts", at)?,
            })
        })?;
        // An unset `mode` is the default MeshConfig's ALLOW_ANY (`pkg/config/mesh/mesh.go`).
        let outbound_traffic_policy =
            self.outbound_policy(&f, at, &MESH_OUTBOUND_POLICY, OutboundTrafficMode::AllowAny)?;
        Ok(MeshConfig {
            locality_lb_setting,
            service_settings,
            outbound_traffic_policy,
            root_namespace: self.opt_str_field(&f, "rootNamespace", at)?,
        })
    }

    pub(super) fn resource(&mut self, node: &Node, at: &At<'_>) -> Result<Resource, InputError> {
        let f = self.object(node, at, &RESOURCE)?;
        let (key, kind_node) = Self::require(&f, "kind", at, KINDS)?;
        let kind_at = at.key(key);
        let kind = self.string(kind_node, &kind_at)?;
        if ![
            "DestinationRule",
            "VirtualService",
            "ServiceEntry",
            "WorkloadEntry",
            "Sidecar",
        ]
        .contains(&kind.as_str())
        {
            return Err(fail(
                &kind_at,
                kind_node.line,
                format!("kind {kind:?} is not supported (meshlb reads {KINDS})"),
            ));
        }
        let (key, api_node) = Self::require(&f, "apiVersion", at, "networking.istio.io/v1")?;
        let api_at = at.key(key);
        let api = self.string(api_node, &api_at)?;
        if !API_VERSIONS.contains(&api.as_str()) {
            return Err(fail(
                &api_at,
                api_node.line,
                format!(
                    "apiVersion {api:?} is not an Istio networking API version (expected {})",
                    API_VERSIONS.join(", ")
                ),
            ));
        }
        let (key, meta_node) = Self::require(&f, "metadata", at, "name and namespace")?;
        let meta_at = at.key(key);
        let m = self.object(meta_node, &meta_at, &METADATA)?;
        let (key, name) = Self::require(&m, "name", &meta_at, "metadata.name")?;
        let metadata = Metadata {
            name: self.string(name, &meta_at.key(key))?,
            namespace: self
                .opt_str_field(&m, "namespace", &meta_at)?
                .unwrap_or_else(|| "default".into()),
        };
        let empty = Node {
            line: node.line,
            span: node.span,
            value: Value::Map(Vec::new()),
        };
        let (spec_key, spec) = f.get("spec").unwrap_or(("spec", &empty));
        let at = at.key(spec_key);
        Ok(match kind.as_str() {
            "DestinationRule" => {
                Resource::DestinationRule(self.destination_rule(spec, &at, metadata)?)
            }
            "VirtualService" => {
                Resource::VirtualService(self.virtual_service(spec, &at, metadata)?)
            }
            "ServiceEntry" => Resource::ServiceEntry(self.service_entry(spec, &at, metadata)?),
            "Sidecar" => Resource::Sidecar(self.sidecar(spec, &at, metadata)?),
            _ => Resource::WorkloadEntry(WorkloadEntry {
                metadata,
                spec: self.workload_entry(spec, &at)?,
            }),
        })
    }

    pub(super) fn destination_rule(
        &mut self,
        node: &Node,
        at: &At<'_>,
        metadata: Metadata,
    ) -> Result<DestinationRule, InputError> {
        let f = self.object(node, at, &DESTINATION_RULE)?;
        let traffic_policy = self.opt(&f, "trafficPolicy", at, Self::traffic_policy)?;
        let subsets = self.each(&f, "subsets", at, |this, node, at| {
            let s = this.object(node, at, &SUBSET)?;
            Ok(Subset {
                name: this.str_field(&s, "name", at)?,
                labels: this.labels_field(&s, "labels", at)?,
                traffic_policy: this.opt(&s, "trafficPolicy", at, Self::traffic_policy)?,
            })
        })?;
        Ok(DestinationRule {
            metadata,
            host: self.str_field(&f, "host", at)?,
            traffic_policy,
            subsets,
            export_to: self.strings(&f, "exportTo", at)?,
        })
    }

    pub(super) fn traffic_policy(
        &mut self,
        node: &Node,
        at: &At<'_>,
    ) -> Result<TrafficPolicy, InputError> {
        let f = self.object(node, at, &TRAFFIC_POLICY)?;
        let mut policy = self.policy_fields(&f, at)?;
        policy.port_level = self.each(&f, "portLevelSettings", at, |this, node, at| {
            let p = this.object(node, at, &PORT_POLICY)?;
            let port = match p.get("port") {
                Some((key, node)) => {
                    let at = at.key(key);
                    let selector = this.object(node, &at, &PORT_SELECTOR)?;
                    match selector.get("number") {
                        Some((key, node)) => this.port(node, &at.key(key), true)?,
                        None => 0,
                    }
                }
                // Core validation names the missing port.
                None => 0,
            };
            let port_policy = this.policy_fields(&p, at)?;
            Ok((port, port_policy))
        })?;
        Ok(policy)
    }

    /// The fields a `TrafficPolicy` and a `PortTrafficPolicy` share.
    pub(super) fn policy_fields(
        &mut self,
        f: &Fields<'_>,
        at: &At<'_>,
    ) -> Result<TrafficPolicy, InputError> {
        let mut policy = TrafficPolicy::default();
        if let Some((key, node)) = f.get("loadBalancer") {
            policy.load_balancer = Some(self.load_balancer(node, &at.key(key))?);
        }
        if let Some((key, node)) = f.get("outlierDetection") {
            let at = at.key(key);
            let o = self.object(node, &at, &OUTLIER)?;
            policy.outlier_detection = Some(OutlierDetection {
                min_health_percent: self.opt_i32(&o, "minHealthPercent", &at)?,
            });
        }
        if let Some((key, node)) = f.get("tls") {
            let at = at.key(key);
            let t = self.object(node, &at, &TLS)?;
            policy.tls = match t.get("mode") {
                Some((key, node)) => {
                    let modes = [
                        ("DISABLE", 0),
                        ("SIMPLE", 1),
                        ("MUTUAL", 2),
                        ("ISTIO_MUTUAL", 3),
                    ];
                    Some(match self.enumeration(node, &at.key(key), &modes, true)? {
                        0 => TlsMode::Disable,
                        1 => TlsMode::Simple,
                        2 => TlsMode::Mutual,
                        _ => TlsMode::IstioMutual,
                    })
                }
                // An unset mode is DISABLE (the enum's zero value).
                None => Some(TlsMode::Disable),
            };
        }
        Ok(policy)
    }

    pub(super) fn load_balancer(
        &mut self,
        node: &Node,
        at: &At<'_>,
    ) -> Result<LoadBalancerSettings, InputError> {
        let f = self.object(node, at, &LOAD_BALANCER)?;
        let simple = f.get("simple");
        let hash = f.get("consistentHash");
        let policy =
            match (simple, hash) {
                (Some(_), Some((key, node))) => {
                    return Err(fail(
                        &at.key(key),
                        node.line,
                        "`simple` and `consistentHash` are alternatives (one of them): set one",
                    ));
                }
                (Some((key, node)), None) => {
                    let at = at.key(key);
                    let names = [
                        ("UNSPECIFIED", 0),
                        ("LEAST_CONN", 1),
                        ("RANDOM", 2),
                        ("PASSTHROUGH", 3),
                        ("ROUND_ROBIN", 4),
                        ("LEAST_REQUEST", 5),
                    ];
                    match self.enumeration(node, &at, &names, true)? {
                        0 => IstioLbPolicy::Unspecified,
                        1 => {
                            self.notes.push(Note::new(NoteCode::Input, format!(
                            "{}: LEAST_CONN is deprecated; Istio treats it as LEAST_REQUEST",
                            at.path()
                        )));
                            IstioLbPolicy::LeastRequest
                        }
                        2 => IstioLbPolicy::Random,
                        3 => IstioLbPolicy::Passthrough,
                        4 => IstioLbPolicy::RoundRobin,
                        _ => IstioLbPolicy::LeastRequest,
                    }
                }
                (None, Some((key, node))) => self.consistent_hash(node, &at.key(key))?,
                (None, None) => IstioLbPolicy::Unspecified,
            };
        let locality_lb_setting = self.opt(&f, "localityLbSetting", at, Self::locality_lb)?;
        Ok(LoadBalancerSettings {
            policy,
            locality_lb_setting,
        })
    }

    pub(super) fn consistent_hash(
        &mut self,
        node: &Node,
        at: &At<'_>,
    ) -> Result<IstioLbPolicy, InputError> {
        let f = self.object(node, at, &CONSISTENT_HASH)?;
        let size = |p: &Self, f: &Fields<'_>, name: &str, at: &At<'_>| {
            f.get(name)
                .map(|(key, node)| p.uint(node, &at.key(key), true, u64::MAX))
                .transpose()
        };
        match (f.get("ringHash"), f.get("maglev")) {
            (Some(_), Some((key, node))) => Err(fail(
                &at.key(key),
                node.line,
                "`ringHash` and `maglev` are alternatives (one of them): set one",
            )),
            (None, Some((key, node))) => {
                let at = at.key(key);
                let m = self.object(node, &at, &MAGLEV)?;
                Ok(IstioLbPolicy::Maglev {
                    table_size: size(self, &m, "tableSize", &at)?,
                })
            }
            (ring, None) => {
                let deprecated = size(self, &f, "minimumRingSize", at)?;
                let mut minimum_ring_size = None;
                if let Some((key, node)) = ring {
                    let at = at.key(key);
                    let r = self.object(node, &at, &RING_HASH)?;
                    minimum_ring_size = size(self, &r, "minimumRingSize", &at)?;
                }
                if deprecated.is_some() {
                    self.notes.push(Note::new(NoteCode::Input, format!(
                        "{}.minimumRingSize is deprecated; meshlb reads it as ringHash.minimumRingSize",
                        at.path()
                    )));
                }
                Ok(IstioLbPolicy::RingHash {
                    minimum_ring_size: minimum_ring_size.or(deprecated),
                })
            }
        }
    }

    pub(super) fn locality_lb(
        &mut self,
        node: &Node,
        at: &At<'_>,
    ) -> Result<LocalityLbSetting, InputError> {
        let f = self.object(node, at, &LOCALITY_LB)?;
        let mut setting = LocalityLbSetting {
            enabled: self.bool_field(&f, "enabled", at)?,
            failover_priority: self.strings(&f, "failoverPriority", at)?,
            ..LocalityLbSetting::default()
        };
        setting.distribute = self.each(&f, "distribute", at, |this, node, at| {
            let d = this.object(node, at, &DISTRIBUTE)?;
            let mut to = Vec::new();
            if let Some((key, node)) = d.get("to") {
                let at = at.key(key);
                let Value::Map(entries) = &node.value else {
                    return Err(fail(
                        &at,
                        node.line,
                        format!(
                            "expected a mapping of locality to weight, found {}",
                            node.kind()
                        ),
                    ));
                };
                for (locality, weight) in entries {
                    let w = this.uint(weight, &at.key(locality), true, u64::from(u32::MAX))?;
                    to.push((locality.clone(), u32::try_from(w).unwrap_or(u32::MAX)));
                }
            }
            Ok(Distribute {
                from: this.str_field(&d, "from", at)?,
                to,
            })
        })?;
        setting.failover = self.each(&f, "failover", at, |this, node, at| {
            let fo = this.object(node, at, &FAILOVER)?;
            Ok(Failover {
                from: this.str_field(&fo, "from", at)?,
                to: this.str_field(&fo, "to", at)?,
            })
        })?;
        Ok(setting)
    }

    pub(super) fn virtual_service(
        &mut self,
        node: &Node,
        at: &At<'_>,
        metadata: Metadata,
    ) -> Result<VirtualService, InputError> {
        let f = self.object(node, at, &VIRTUAL_SERVICE)?;
        let http = self.each(&f, "http", at, |this, node, at| {
            let r = this.object(node, at, &HTTP_ROUTE)?;
            let matches = this.each(&r, "match", at, Self::http_match)?;
            let mut route = Vec::new();
            let (key, dests) = this.items(&r, "route", at)?;
            let dests_at = at.key(key);
            for (j, node) in dests.iter().enumerate() {
                route.push(this.route_destination(node, &dests_at.index(j))?);
            }
            Ok(HttpRoute {
                name: this.opt_str_field(&r, "name", at)?,
                has_match: !matches.is_empty(),
                matches,
                route,
            })
        })?;
        Ok(VirtualService {
            metadata,
            hosts: self.strings(&f, "hosts", at)?,
            export_to: self.strings(&f, "exportTo", at)?,
            gateways: self.strings(&f, "gateways", at)?,
            http,
        })
    }

    /// An `HTTPMatchRequest`.
    pub(super) fn http_match(&mut self, node: &Node, at: &At<'_>) -> Result<HttpMatch, InputError> {
        let f = self.object(node, at, &HTTP_MATCH)?;
        let mut m = HttpMatch {
            name: self.opt_str_field(&f, "name", at)?,
            uri: self.opt(&f, "uri", at, Self::string_match)?.flatten(),
            method: self.opt(&f, "method", at, Self::string_match)?.flatten(),
            port: self.opt_port(&f, "port", at, true)?,
            source_labels: self.labels_field(&f, "sourceLabels", at)?,
            source_namespace: self.opt_str_field(&f, "sourceNamespace", at)?,
            gateways: self.strings(&f, "gateways", at)?,
            ignore_uri_case: self.bool_field(&f, "ignoreUriCase", at)?.unwrap_or(false),
            ..HttpMatch::default()
        };
        for (field, lower) in [
            ("headers", true),
            ("withoutHeaders", true),
            ("queryParams", false),
        ] {
            let Some((key, node)) = f.get(field) else {
                continue;
            };
            let at = at.key(key);
            let Value::Map(entries) = &node.value else {
                return Err(fail(
                    &at,
                    node.line,
                    format!(
                        "expected a mapping of name to StringMatch, found {}",
                        node.kind()
                    ),
                ));
            };
            let mut map = BTreeMap::new();
            for (name, value) in entries {
                let cond = self.string_match(value, &at.key(name))?;
                let name = if lower {
                    name.to_ascii_lowercase()
                } else {
                    name.clone()
                };
                map.insert(name, cond);
            }
            match field {
                "headers" => m.headers = map,
                "withoutHeaders" => m.without_headers = map,
                _ => m.query_params = map,
            }
        }
        Ok(m)
    }

    /// A `StringMatch`: one of `exact`, `prefix`, `regex` (None for `{}`).
    pub(super) fn string_match(
        &mut self,
        node: &Node,
        at: &At<'_>,
    ) -> Result<Option<StringMatch>, InputError> {
        let f = self.object(node, at, &STRING_MATCH)?;
        let mut found = Vec::new();
        for name in ["exact", "prefix", "regex"] {
            if let Some((key, value)) = f.get(name) {
                found.push((name, self.string(value, &at.key(key))?));
            }
        }
        if found.len() > 1 {
            return Err(fail(
                at,
                node.line,
                format!(
                    "a StringMatch holds one of exact, prefix, regex (found {})",
                    found.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        Ok(found.pop().map(|(name, v)| match name {
            "exact" => StringMatch::Exact(v),
            "prefix" => StringMatch::Prefix(v),
            _ => StringMatch::Regex(v),
        }))
    }

    /// `outboundTrafficPolicy` of a Sidecar or a MeshConfig (`shape`), `None` when absent; an
    /// unset `mode` is `unset_mode`, which differs between the two.
    pub(super) fn outbound_policy(
        &mut self,
        f: &Fields<'_>,
        at: &At<'_>,
        shape: &Shape<'_>,
        unset_mode: OutboundTrafficMode,
    ) -> Result<Option<OutboundTrafficMode>, InputError> {
        let Some((key, node)) = f.get("outboundTrafficPolicy") else {
            return Ok(None);
        };
        let at = at.key(key);
        let o = self.object(node, &at, shape)?;
        match o.get("mode") {
            Some((key, node)) => self.outbound_mode(node, &at.key(key)).map(Some),
            None => Ok(Some(unset_mode)),
        }
    }

    /// `OutboundTrafficPolicy.Mode` (`REGISTRY_ONLY` = 0, `ALLOW_ANY` = 1).
    pub(super) fn outbound_mode(
        &self,
        node: &Node,
        at: &At<'_>,
    ) -> Result<OutboundTrafficMode, InputError> {
        let names = [("REGISTRY_ONLY", 0), ("ALLOW_ANY", 1)];
        Ok(match self.enumeration(node, at, &names, true)? {
            0 => OutboundTrafficMode::RegistryOnly,
            _ => OutboundTrafficMode::AllowAny,
        })
    }

    /// A `Sidecar`.
    pub(super) fn sidecar(
        &mut self,
        node: &Node,
        at: &At<'_>,
        metadata: Metadata,
    ) -> Result<Sidecar, InputError> {
        let f = self.object(node, at, &SIDECAR)?;
        let workload_selector = match f.get("workloadSelector") {
            Some((key, node)) => {
                let at = at.key(key);
                let w = self.object(node, &at, &WORKLOAD_SELECTOR)?;
                Some(self.labels_field(&w, "labels", &at)?)
            }
            None => None,
        };
        let egress = self.each(&f, "egress", at, |this, node, at| {
            let e = this.object(node, at, &EGRESS_LISTENER)?;
            let port = match e.get("port") {
                Some((key, node)) => {
                    let at = at.key(key);
                    let p = this.object(node, &at, &SIDECAR_PORT)?;
                    let protocol = this.opt_str_field(&p, "protocol", &at)?;
                    let number = this.opt_port(&p, "number", &at, true)?;
                    // `needsPortMatch` (sidecar.go): an HTTP_PROXY listener imports every port.
                    number.filter(|_| protocol.as_deref() != Some("HTTP_PROXY"))
                }
                None => None,
            };
            Ok(SidecarEgress {
                port,
                hosts: this.strings(&e, "hosts", at)?,
            })
        })?;
        // An unset `mode` is the proto's zero value, REGISTRY_ONLY.
        let outbound_traffic_policy =
            self.outbound_policy(&f, at, &OUTBOUND_POLICY, OutboundTrafficMode::RegistryOnly)?;
        Ok(Sidecar {
            metadata,
            workload_selector,
            egress,
            outbound_traffic_policy,
        })
    }

    pub(super) fn route_destination(
        &mut self,
        node: &Node,
        at: &At<'_>,
    ) -> Result<RouteDestination, InputError> {
        let f = self.object(node, at, &ROUTE_DESTINATION)?;
        let (key, dest) = Self::require(&f, "destination", at, "host, subset, port")?;
        let dest_at = at.key(key);
        let d = self.object(dest, &dest_at, &DESTINATION)?;
        let port = match d.get("port") {
            Some((key, node)) => {
                let at = dest_at.key(key);
                let p = self.object(node, &at, &PORT_SELECTOR)?;
                self.opt_port(&p, "number", &at, true)?
            }
            None => None,
        };
        Ok(RouteDestination {
            host: self.str_field(&d, "host", &dest_at)?,
            subset: self.opt_str_field(&d, "subset", &dest_at)?,
            port,
            weight: self.opt_i32(&f, "weight", at)?.map(i64::from),
        })
    }

    pub(super) fn service_entry(
        &mut self,
        node: &Node,
        at: &At<'_>,
        metadata: Metadata,
    ) -> Result<ServiceEntry, InputError> {
        let f = self.object(node, at, &SERVICE_ENTRY)?;
        let ports = self.each(&f, "ports", at, |this, node, at| {
            let p = this.object(node, at, &SERVICE_PORT)?;
            let (key, number) = Self::require(&p, "number", at, "the port number")?;
            Ok(ServiceEntryPort {
                number: this.port(number, &at.key(key), true)?,
                name: this.str_field(&p, "name", at)?,
                target_port: this.opt_port(&p, "targetPort", at, true)?,
            })
        })?;
        let mesh_internal = match f.get("location") {
            Some((key, node)) => {
                let names = [("MESH_EXTERNAL", 0), ("MESH_INTERNAL", 1)];
                self.enumeration(node, &at.key(key), &names, true)? == 1
            }
            None => false,
        };
        let resolution = match f.get("resolution") {
            Some((key, node)) => {
                let names = [
                    ("NONE", 0),
                    ("STATIC", 1),
                    ("DNS", 2),
                    ("DNS_ROUND_ROBIN", 3),
                    ("DYNAMIC_DNS", 4),
                ];
                let n = self.enumeration(node, &at.key(key), &names, true)?;
                names
                    .iter()
                    .find(|(_, v)| *v == n)
                    .map_or("NONE", |(name, _)| name)
                    .to_string()
            }
            None => "NONE".into(),
        };
        let endpoints = self.each(&f, "endpoints", at, Self::workload_entry)?;
        let workload_selector = match f.get("workloadSelector") {
            Some((key, node)) => {
                let at = at.key(key);
                let w = self.object(node, &at, &WORKLOAD_SELECTOR)?;
                Some(self.labels_field(&w, "labels", &at)?)
            }
            None => None,
        };
        Ok(ServiceEntry {
            metadata,
            hosts: self.strings(&f, "hosts", at)?,
            ports,
            mesh_internal,
            resolution,
            endpoints,
            workload_selector,
            export_to: self.strings(&f, "exportTo", at)?,
        })
    }

    /// A `WorkloadEntry` spec, or a `ServiceEntry` endpoint.
    pub(super) fn workload_entry(
        &mut self,
        node: &Node,
        at: &At<'_>,
    ) -> Result<WorkloadEntrySpec, InputError> {
        let f = self.object(node, at, &WORKLOAD_ENTRY)?;
        let mut ports = BTreeMap::new();
        if let Some((key, node)) = f.get("ports") {
            let at = at.key(key);
            let Value::Map(entries) = &node.value else {
                return Err(fail(
                    &at,
                    node.line,
                    format!(
                        "expected a mapping of port name to number, found {}",
                        node.kind()
                    ),
                ));
            };
            for (name, number) in entries {
                ports.insert(name.clone(), self.port(number, &at.key(name), true)?);
            }
        }
        let weight = match f.get("weight") {
            // Istio reads an unset or 0 weight as 1.
            Some((key, node)) => match self.uint(node, &at.key(key), true, u64::from(u32::MAX))? {
                0 => 1,
                w => u32::try_from(w).unwrap_or(u32::MAX),
            },
            None => 1,
        };
        Ok(WorkloadEntrySpec {
            address: self.str_field(&f, "address", at)?,
            ports,
            labels: self.labels_field(&f, "labels", at)?,
            network: self.str_field(&f, "network", at)?,
            locality: self.locality_field(&f, "locality", at)?,
            weight,
        })
    }
}
