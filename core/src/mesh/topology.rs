//! The topology of a scenario as the explanation carries it: meshes, control planes, clusters,
//! networks with their east-west gateways, and the workloads of the requested host, every
//! default of shared/SCENARIO.md §2 applied.
//!
//! The playground draws the explanation's shares on this topology, so that no Istio rule (which
//! cluster is a primary, which cluster holds a control plane's config, which network a workload
//! is on, which workloads serve a host) is repeated outside the core.

use alloc::collections::BTreeSet;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::discovery::{DOMAIN_SUFFIX, qualify};
use super::model::{Labels, Scenario};
use crate::model::HealthStatus;

/// A scenario's topology, defaults applied (an added field of the explanation).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Topology {
    /// Meshes (one `mesh1` with trust domain `cluster.local` when the scenario lists none).
    pub meshes: Vec<TopologyMesh>,
    /// Control planes: every primary cluster's, then the external ones.
    pub control_planes: Vec<TopologyControlPlane>,
    /// Clusters, in the scenario's order.
    pub clusters: Vec<TopologyCluster>,
    /// Networks: those the scenario lists, then those only its clusters name.
    pub networks: Vec<TopologyNetwork>,
    /// The workloads that serve the requested host (a Service's `name.namespace`, or a
    /// ServiceEntry host), whether or not the client reaches them.
    pub workloads: Vec<TopologyWorkload>,
    /// Every workload's and the client's locality, sorted.
    pub localities: Vec<String>,
    /// The namespaces of the services and the client's, sorted.
    pub namespaces: Vec<String>,
}

/// A mesh.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TopologyMesh {
    /// Mesh id.
    pub id: String,
    /// Trust domain (default `cluster.local`).
    pub trust_domain: String,
    /// Meshes whose trust bundle it imported.
    pub trust_bundles: Vec<String>,
    /// Federated imports, each `MESH: name.namespace`.
    pub imports: Vec<String>,
}

/// A control plane (istiod).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TopologyControlPlane {
    /// Its name: a primary cluster's, or an external control plane's.
    pub name: String,
    /// Whether it runs outside every cluster.
    pub external: bool,
    /// The cluster whose API server holds the Istio config it reads.
    pub config_cluster: String,
    /// Clusters it holds a remote secret for.
    pub remote_secrets: Vec<String>,
    /// Clusters it discovers: its config cluster and its remote secrets.
    pub watches: Vec<String>,
}

/// A cluster.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TopologyCluster {
    /// Name.
    pub name: String,
    /// Its mesh (default: the first mesh).
    pub mesh: String,
    /// Its network ("" for one flat network).
    pub network: String,
    /// The control plane configuring its proxies (itself for a primary).
    pub control_plane: String,
    /// Whether it runs its own control plane.
    pub primary: bool,
    /// Clusters its control plane holds a remote secret for (a primary).
    pub remote_secrets: Vec<String>,
    /// Istio DNS proxying.
    pub dns_proxy: bool,
}

/// A network and its east-west gateways.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TopologyNetwork {
    /// Name.
    pub name: String,
    /// Its mesh: that of its first cluster (default: the first mesh).
    pub mesh: String,
    /// Its gateways.
    pub gateways: Vec<TopologyGateway>,
}

/// An east-west gateway.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TopologyGateway {
    /// Address.
    pub address: String,
    /// Port (default 15443).
    pub port: u16,
    /// The cluster it runs in.
    pub cluster: String,
    /// Whether a what-if failure took it down (`gateway=`, `network=`, ...).
    pub failed: bool,
}

/// A workload of the requested host.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TopologyWorkload {
    /// Address.
    pub address: String,
    /// Port.
    pub port: u16,
    /// Cluster.
    pub cluster: String,
    /// Network (default: its cluster's).
    pub network: String,
    /// Locality string.
    pub locality: String,
    /// Health (default HEALTHY; a failed zone, cluster or endpoint makes it not ready).
    pub health: HealthStatus,
    /// Weight (default 1).
    pub weight: u32,
    /// Whether it is terminating.
    pub terminating: bool,
    /// Whether it runs a sidecar.
    pub sidecar: bool,
    /// The pod's labels.
    pub labels: Labels,
}

impl Topology {
    /// The topology of `scenario`, its workloads those serving `host` (fully qualified, as the
    /// explanation's `host`; none when `None`).
    #[must_use]
    pub fn of(scenario: &Scenario, host: Option<&str>) -> Self {
        let meshes: Vec<TopologyMesh> = if scenario.meshes.is_empty() {
            alloc::vec![TopologyMesh {
                id: "mesh1".into(),
                trust_domain: DOMAIN_SUFFIX.into(),
                ..TopologyMesh::default()
            }]
        } else {
            scenario
                .meshes
                .iter()
                .map(|m| TopologyMesh {
                    id: m.id.clone(),
                    trust_domain: if m.trust_domain.is_empty() {
                        DOMAIN_SUFFIX.into()
                    } else {
                        m.trust_domain.clone()
                    },
                    trust_bundles: m.trust_bundles.clone(),
                    imports: m
                        .imports
                        .iter()
                        .map(|i| alloc::format!("{}: {}", i.mesh, i.service))
                        .collect(),
                })
                .collect()
        };
        let clusters: Vec<TopologyCluster> = scenario
            .clusters
            .iter()
            .map(|c| TopologyCluster {
                name: c.name.clone(),
                mesh: scenario.mesh_of(c).to_string(),
                network: c.network.clone(),
                control_plane: if c.control_plane.is_empty() {
                    c.name.clone()
                } else {
                    c.control_plane.clone()
                },
                primary: scenario.is_primary(c),
                remote_secrets: c.remote_secrets.clone(),
                dns_proxy: c.dns_proxy,
            })
            .collect();
        let watches = |own: &str, secrets: &[String]| {
            let mut all = alloc::vec![own.to_string()];
            all.extend(secrets.iter().filter(|s| *s != own).cloned());
            all
        };
        let control_planes = clusters
            .iter()
            .filter(|c| c.primary)
            .map(|c| TopologyControlPlane {
                name: c.name.clone(),
                external: false,
                config_cluster: c.name.clone(),
                remote_secrets: c.remote_secrets.clone(),
                watches: watches(&c.name, &c.remote_secrets),
            })
            .chain(
                scenario
                    .external_control_planes
                    .iter()
                    .map(|e| TopologyControlPlane {
                        name: e.name.clone(),
                        external: true,
                        config_cluster: e.config_cluster.clone(),
                        remote_secrets: e.remote_secrets.clone(),
                        watches: watches(&e.config_cluster, &e.remote_secrets),
                    }),
            )
            .collect();
        let first_mesh = meshes.first().map(|m| m.id.clone()).unwrap_or_default();
        let mesh_of_network = |name: &str, gateway_cluster: Option<&str>| {
            clusters
                .iter()
                .find(|c| c.network == name)
                .or_else(|| {
                    clusters
                        .iter()
                        .find(|c| Some(c.name.as_str()) == gateway_cluster)
                })
                .map_or_else(|| first_mesh.clone(), |c| c.mesh.clone())
        };
        let mut networks: Vec<TopologyNetwork> = scenario
            .networks
            .iter()
            .map(|n| TopologyNetwork {
                name: n.name.clone(),
                mesh: mesh_of_network(&n.name, n.gateways.first().map(|g| g.cluster.as_str())),
                gateways: n
                    .gateways
                    .iter()
                    .map(|g| TopologyGateway {
                        address: g.address.clone(),
                        port: g.port,
                        cluster: g.cluster.clone(),
                        failed: g.failed,
                    })
                    .collect(),
            })
            .collect();
        for c in &clusters {
            if !networks
                .iter()
                .any(|n| n.name == c.network && n.mesh == c.mesh)
            {
                networks.push(TopologyNetwork {
                    name: c.network.clone(),
                    mesh: c.mesh.clone(),
                    gateways: Vec::new(),
                });
            }
        }
        let network_of = |cluster: &str| {
            clusters
                .iter()
                .find(|c| c.name == cluster)
                .map(|c| c.network.clone())
                .unwrap_or_default()
        };
        let client_namespace = scenario.client.namespace.as_str();
        let serves = |service: &str| {
            host.is_some_and(|h| service == h || qualify(service, client_namespace) == h)
        };
        let workloads = scenario
            .workloads
            .iter()
            .filter(|w| serves(&w.service))
            .map(|w| TopologyWorkload {
                address: w.address.clone(),
                port: w.port,
                cluster: w.cluster.clone(),
                network: w.network.clone().unwrap_or_else(|| network_of(&w.cluster)),
                locality: w.locality.to_string(),
                health: w.health,
                weight: w.weight.max(1),
                terminating: w.terminating,
                sidecar: w.sidecar,
                labels: w.labels.clone(),
            })
            .collect();
        let localities: BTreeSet<String> = scenario
            .workloads
            .iter()
            .map(|w| w.locality.to_string())
            .chain(core::iter::once(scenario.client.locality.to_string()))
            .filter(|l| !l.is_empty())
            .collect();
        let namespaces: BTreeSet<String> = scenario
            .services
            .iter()
            .map(|s| s.namespace.clone())
            .chain(core::iter::once(scenario.client.namespace.clone()))
            .filter(|n| !n.is_empty())
            .collect();
        Self {
            meshes,
            control_planes,
            clusters,
            networks,
            workloads,
            localities: localities.into_iter().collect(),
            namespaces: namespaces.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::model::{
        ClientSpec, ClusterSpec, ExternalControlPlane, GatewaySpec, NetworkSpec, WorkloadSpec,
    };
    use crate::model::Locality;

    fn workload(service: &str, cluster: &str, address: &str) -> WorkloadSpec {
        WorkloadSpec {
            service: service.into(),
            cluster: cluster.into(),
            address: address.into(),
            port: 80,
            locality: Locality::new("r1", "z1", ""),
            weight: 0,
            sidecar: true,
            ..WorkloadSpec::default()
        }
    }

    #[test]
    fn defaults_are_applied_and_workloads_are_the_hosts() {
        let scenario = Scenario {
            clusters: alloc::vec![
                ClusterSpec {
                    name: "a".into(),
                    network: "n1".into(),
                    remote_secrets: alloc::vec!["b".into()],
                    ..ClusterSpec::default()
                },
                ClusterSpec {
                    name: "b".into(),
                    network: "n2".into(),
                    control_plane: "a".into(),
                    ..ClusterSpec::default()
                },
                ClusterSpec {
                    name: "c".into(),
                    control_plane: "ext".into(),
                    ..ClusterSpec::default()
                },
            ],
            external_control_planes: alloc::vec![ExternalControlPlane {
                name: "ext".into(),
                config_cluster: "c".into(),
                remote_secrets: Vec::new(),
            }],
            networks: alloc::vec![NetworkSpec {
                name: "n2".into(),
                gateways: alloc::vec![GatewaySpec {
                    address: "192.0.2.1".into(),
                    port: 15443,
                    cluster: "b".into(),
                    failed: false,
                }],
            }],
            workloads: alloc::vec![
                workload("svc.ns", "a", "10.0.0.1"),
                workload("svc.ns", "b", "10.0.0.2"),
                workload("other.ns", "a", "10.0.0.3"),
            ],
            client: ClientSpec {
                cluster: "a".into(),
                namespace: "ns".into(),
                ..ClientSpec::default()
            },
            ..Scenario::default()
        };
        let t = Topology::of(&scenario, Some("svc.ns.svc.cluster.local"));
        assert_eq!(t.meshes.len(), 1);
        assert_eq!(
            (t.meshes[0].id.as_str(), t.meshes[0].trust_domain.as_str()),
            ("mesh1", "cluster.local")
        );
        let primary: Vec<(&str, bool, &str)> = t
            .clusters
            .iter()
            .map(|c| (c.name.as_str(), c.primary, c.control_plane.as_str()))
            .collect();
        assert_eq!(
            primary,
            [("a", true, "a"), ("b", false, "a"), ("c", false, "ext")]
        );
        let cps: Vec<(&str, bool, &str, Vec<String>)> = t
            .control_planes
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.external,
                    c.config_cluster.as_str(),
                    c.watches.clone(),
                )
            })
            .collect();
        assert_eq!(
            cps,
            [
                ("a", false, "a", alloc::vec!["a".into(), "b".into()]),
                ("ext", true, "c", alloc::vec!["c".into()])
            ]
        );
        // The listed network first, then those only clusters name.
        let networks: Vec<&str> = t.networks.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(networks, ["n2", "n1", ""]);
        // The host's workloads only, each on its cluster's network, weight at least 1.
        let workloads: Vec<(&str, &str, u32)> = t
            .workloads
            .iter()
            .map(|w| (w.address.as_str(), w.network.as_str(), w.weight))
            .collect();
        assert_eq!(workloads, [("10.0.0.1", "n1", 1), ("10.0.0.2", "n2", 1)]);
        assert_eq!(t.localities, ["r1/z1"]);
        assert_eq!(t.namespaces, ["ns"]);
        assert!(Topology::of(&scenario, None).workloads.is_empty());
    }
}
