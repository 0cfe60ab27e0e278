//! meshlb's own sections: meshes, clusters, networks, services, workloads, `config`, the
//! client and the request (shared/SCENARIO.md §2).

use meshlb::HealthStatus;
use meshlb::mesh::{
    ClientSpec, ClusterConfig, ClusterSpec, ExternalControlPlane, FederatedImport, GatewaySpec,
    IstioVersion, Labels, MeshSpec, NetworkSpec, RequestSpec, Scenario, ServiceSpec, WorkloadSpec,
};

use super::shapes::*;
use super::{MAX_WORKLOADS, Parser, fail};
use crate::error::InputError;
use crate::path::At;
use crate::tree::{Node, Value};

impl Parser<'_> {
    pub(super) fn scenario(&mut self, root: &Node) -> Result<Scenario, InputError> {
        let at = At::Root;
        if !matches!(root.value, Value::Map(_)) {
            return Err(fail(
                &at,
                root.line,
                format!(
                    "a meshlb scenario is a mapping (clusters, services, workloads, config, client, request), found {}",
                    root.kind()
                ),
            ));
        }
        let f = self.object(root, &at, &SCENARIO)?;
        let mut s = Scenario::default();
        if let Some((key, node)) = f.get("istioVersion") {
            let at = at.key(key);
            let version = match &node.value {
                Value::Str(v) => v.clone(),
                // `istioVersion: 1.30` unquoted is the number 1.3: read it as written.
                Value::Float(_) | Value::Int(_) => self.raw(node),
                _ => {
                    return Err(fail(
                        &at,
                        node.line,
                        format!("expected a string, found {}", node.kind()),
                    ));
                }
            };
            s.istio_version = match version.as_str() {
                "1.31" => IstioVersion::V1_31,
                "1.30" => IstioVersion::V1_30,
                other => {
                    return Err(fail(
                        &at,
                        node.line,
                        format!(
                            "istioVersion {other:?} is not supported: meshlb models Istio \"1.31\" (the default) and \"1.30\""
                        ),
                    ));
                }
            };
        }
        s.meshes = self.each(&f, "meshes", &at, Self::mesh)?;
        s.external_control_planes =
            self.each(&f, "externalControlPlanes", &at, |this, node, at| {
                let f = this.object(node, at, &EXTERNAL_CP)?;
                Ok(ExternalControlPlane {
                    name: this.str_field(&f, "name", at)?,
                    config_cluster: this.str_field(&f, "configCluster", at)?,
                    remote_secrets: this.strings(&f, "remoteSecrets", at)?,
                })
            })?;
        s.clusters = self.each(&f, "clusters", &at, Self::cluster)?;
        s.networks = self.each(&f, "networks", &at, Self::network)?;
        s.services = self.each(&f, "services", &at, Self::service)?;
        let (key, items) = self.items(&f, "workloads", &at)?;
        let list_at = at.key(key);
        if items.len() > MAX_WORKLOADS {
            let line = f.get("workloads").map_or(root.line, |(_, n)| n.line);
            return Err(fail(
                &list_at,
                line,
                format!(
                    "{} workloads: meshlb reads at most {MAX_WORKLOADS} in one scenario",
                    items.len()
                ),
            ));
        }
        s.workloads.reserve(items.len());
        for (i, node) in items.iter().enumerate() {
            s.workloads.push(self.workload(node, &list_at.index(i))?);
        }
        s.config = self.each(&f, "config", &at, Self::cluster_config)?;
        if let Some((key, node)) = f.get("client") {
            let at = at.key(key);
            let f = self.object(node, &at, &CLIENT)?;
            s.client = ClientSpec {
                cluster: self.str_field(&f, "cluster", &at)?,
                namespace: self.str_field(&f, "namespace", &at)?,
                locality: self.locality_field(&f, "locality", &at)?,
                labels: self.labels_field(&f, "labels", &at)?,
            };
        }
        if let Some((key, node)) = f.get("request") {
            let at = at.key(key);
            let f = self.object(node, &at, &REQUEST)?;
            let headers = match f.get("headers") {
                // HTTP header names are case-insensitive: kept in lower case, as Envoy does.
                Some((key, node)) => self
                    .labels(node, &at.key(key))?
                    .into_iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v))
                    .collect(),
                None => Labels::new(),
            };
            s.request = RequestSpec {
                host: self.str_field(&f, "host", &at)?,
                port: self.opt_port(&f, "port", &at, false)?,
                headers,
                path: self.opt_str_field(&f, "path", &at)?,
                method: self.opt_str_field(&f, "method", &at)?,
            };
        }
        Ok(s)
    }

    pub(super) fn mesh(&mut self, node: &Node, at: &At<'_>) -> Result<MeshSpec, InputError> {
        let f = self.object(node, at, &MESH)?;
        let imports = self.each(&f, "imports", at, |this, node, at| {
            let f = this.object(node, at, &IMPORT)?;
            Ok(FederatedImport {
                mesh: this.str_field(&f, "mesh", at)?,
                service: this.str_field(&f, "service", at)?,
            })
        })?;
        Ok(MeshSpec {
            id: self.str_field(&f, "id", at)?,
            trust_domain: self
                .opt_str_field(&f, "trustDomain", at)?
                .unwrap_or_else(|| meshlb::mesh::DEFAULT_TRUST_DOMAIN.into()),
            trust_bundles: self.strings(&f, "trustBundles", at)?,
            imports,
        })
    }

    pub(super) fn cluster(&mut self, node: &Node, at: &At<'_>) -> Result<ClusterSpec, InputError> {
        let f = self.object(node, at, &CLUSTER)?;
        let name = self.str_field(&f, "name", at)?;
        let control_plane = self
            .opt_str_field(&f, "controlPlane", at)?
            .unwrap_or_else(|| name.clone());
        let mesh_config = self.opt(&f, "meshConfig", at, Self::mesh_config)?;
        Ok(ClusterSpec {
            mesh: self.str_field(&f, "mesh", at)?,
            network: self.str_field(&f, "network", at)?,
            control_plane,
            remote_secrets: self.strings(&f, "remoteSecrets", at)?,
            dns_proxy: self.bool_field(&f, "dnsProxy", at)?.unwrap_or(false),
            mesh_config,
            name,
        })
    }

    pub(super) fn network(&mut self, node: &Node, at: &At<'_>) -> Result<NetworkSpec, InputError> {
        let f = self.object(node, at, &NETWORK)?;
        let gateways = self.each(&f, "gateways", at, |this, node, at| {
            let g = this.object(node, at, &GATEWAY)?;
            Ok(GatewaySpec {
                address: this.str_field(&g, "address", at)?,
                port: match g.get("port") {
                    Some((key, node)) => this.port(node, &at.key(key), false)?,
                    None => meshlb::mesh::DEFAULT_GATEWAY_PORT,
                },
                cluster: this.str_field(&g, "cluster", at)?,
                failed: false,
            })
        })?;
        Ok(NetworkSpec {
            name: self.str_field(&f, "name", at)?,
            gateways,
        })
    }

    pub(super) fn service(&mut self, node: &Node, at: &At<'_>) -> Result<ServiceSpec, InputError> {
        let f = self.object(node, at, &SERVICE)?;
        let (key, items) = self.items(&f, "ports", at)?;
        let ports_at = at.key(key);
        let ports = items
            .iter()
            .enumerate()
            .map(|(i, n)| self.port(n, &ports_at.index(i), false))
            .collect::<Result<_, _>>()?;
        Ok(ServiceSpec {
            name: self.str_field(&f, "name", at)?,
            namespace: self.str_field(&f, "namespace", at)?,
            clusters: self.strings(&f, "clusters", at)?,
            ports,
            export_to: self.strings(&f, "exportTo", at)?,
            traffic_distribution: self.opt_str_field(&f, "trafficDistribution", at)?,
        })
    }

    pub(super) fn workload(
        &mut self,
        node: &Node,
        at: &At<'_>,
    ) -> Result<WorkloadSpec, InputError> {
        let f = self.object(node, at, &WORKLOAD)?;
        let (key, service) = Self::require(&f, "service", at, "<name>.<namespace> of a Service")?;
        let service = self.string(service, &at.key(key))?;
        let (key, cluster) = Self::require(&f, "cluster", at, "the cluster it runs in")?;
        let cluster = self.string(cluster, &at.key(key))?;
        let (key, address) = Self::require(&f, "address", at, "its IP address")?;
        let address = self.string(address, &at.key(key))?;
        let (key, port) = Self::require(&f, "port", at, "1..65535")?;
        let port = self.port(port, &at.key(key), false)?;
        let health = match f.get("health") {
            Some((key, node)) => {
                let at = at.key(key);
                let names: Vec<(&str, i64)> =
                    HEALTH.iter().zip(0..).map(|((n, _), i)| (*n, i)).collect();
                let i = self.enumeration(node, &at, &names, false)?;
                HEALTH
                    .iter()
                    .zip(0..)
                    .find(|(_, j)| *j == i)
                    .map_or(HealthStatus::Healthy, |((_, h), _)| *h)
            }
            None => WorkloadSpec::default().health,
        };
        let weight = match f.get("weight") {
            Some((key, node)) => {
                let at = at.key(key);
                if node.value == Value::Int(0) {
                    return Err(fail(
                        &at,
                        node.line,
                        "weight must be at least 1 (0 is not a weight Envoy accepts)",
                    ));
                }
                let w = self.integer(node, &at, false, 1, i128::from(u32::MAX))?;
                u32::try_from(w).unwrap_or(u32::MAX)
            }
            None => WorkloadSpec::default().weight,
        };
        Ok(WorkloadSpec {
            service,
            cluster,
            address,
            port,
            locality: self.locality_field(&f, "locality", at)?,
            network: self.opt_str_field(&f, "network", at)?,
            labels: self.labels_field(&f, "labels", at)?,
            health,
            terminating: self.bool_field(&f, "terminating", at)?.unwrap_or(false),
            weight,
            sidecar: self
                .bool_field(&f, "sidecar", at)?
                .unwrap_or(WorkloadSpec::default().sidecar),
        })
    }

    pub(super) fn cluster_config(
        &mut self,
        node: &Node,
        at: &At<'_>,
    ) -> Result<ClusterConfig, InputError> {
        let f = self.object(node, at, &CONFIG)?;
        let resources = self.each(&f, "resources", at, Self::resource)?;
        Ok(ClusterConfig {
            cluster: self.str_field(&f, "cluster", at)?,
            resources,
        })
    }

    // ---- Istio resources ----
}
