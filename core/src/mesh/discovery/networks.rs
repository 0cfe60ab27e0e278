//! Networks: istiod's partitioned view of a multi-network mesh. An endpoint on the client's
//! network, or on a network without an east-west gateway, is sent directly; any other is
//! replaced by its network's gateways (those in its cluster, else all of the network's), which
//! carry the scaled weight of what stands behind them, inside each locality group. Endpoints
//! without mTLS on another network are dropped (a gateway passes only Istio mTLS). Multi-network
//! is on only when some network has a gateway.
//!
//! Sources: istio/istio `pilot/pkg/xds/endpoints/ep_filters.go` (`EndpointsByNetworkFilter`),
//! `pilot/pkg/model/network.go` (`GetLBWeightScaleFactor`, `IsMultiNetworkEnabled`),
//! `pilot/pkg/xds/endpoints/mtls_checker.go`; Istio "Deployment Models", network models
//! (<https://istio.io/latest/docs/ops/deployment/deployment-models/#network-models>);
//! shared/SEMANTICS.md B5; shared/research/istio.md §5.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::super::model::{GatewaySpec, Labels, Scenario, TlsMode, TrafficPolicy};
use super::candidates::Candidate;
use super::{Behind, EndpointSource, Group, Overlay, ViewEndpoint};

/// A gateway's carried weight, the `address:port` of the endpoints behind it, and the same
/// with their parts of the weight.
type Carried = (u64, Vec<String>, Vec<Behind>);
use crate::explain::{DropReason, DroppedEndpoint};
use crate::model::HealthStatus;
use crate::note::{Note, NoteCode};

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// `GetLBWeightScaleFactor`: the lcm of the gateway counts per network and per (network,
/// cluster), over the whole mesh.
pub(crate) fn scale_factor(scenario: &Scenario) -> u32 {
    let mut counts: BTreeMap<(String, Option<String>), u64> = BTreeMap::new();
    for n in &scenario.networks {
        for g in &n.gateways {
            *counts.entry((n.name.clone(), None)).or_default() += 1;
            *counts
                .entry((n.name.clone(), Some(g.cluster.clone())))
                .or_default() += 1;
        }
    }
    let lcm = counts.values().fold(1_u64, |acc, &c| acc / gcd(acc, c) * c);
    lcm.min(u64::from(u32::MAX)) as u32
}

/// istiod's `EndpointsByNetworkFilter`: same-network endpoints (and those of networks without a
/// gateway) are sent directly; others are replaced by their network's gateways (those in the
/// endpoint's cluster, else all of the network's), carrying the scaled weight of what stands
/// behind them, inside each locality group. Endpoints without mTLS on another network are
/// dropped. `members` are the destination's candidates with their health as sent; a gateway
/// the scenario or `overlay` fails is sent UNHEALTHY.
#[allow(clippy::too_many_arguments)]
pub(crate) fn network_filter(
    scenario: &Scenario,
    client_network: &str,
    members: &[(&Candidate<'_>, HealthStatus)],
    policy: &TrafficPolicy,
    multi_network: bool,
    scale: u32,
    overlay: &Overlay<'_>,
    dropped: &mut Vec<DroppedEndpoint>,
    notes: &mut Vec<Note>,
) -> Vec<Group> {
    let mut index: BTreeMap<u32, usize> = BTreeMap::new();
    let mut groups: Vec<Group> = Vec::new();
    // (group, network index, gateway index) → (weight, endpoints behind).
    // (group, network index, gateway index) → (weight, `address:port` of the endpoints behind,
    // the same with their parts of the weight).
    let mut gateway_weights: BTreeMap<(usize, usize, usize), Carried> = BTreeMap::new();
    let mut without_gateway: BTreeSet<&str> = BTreeSet::new();
    for &(c, health) in members {
        let gi = *index.entry(c.locality_id).or_insert_with(|| {
            groups.push(Group {
                locality: c.locality.clone(),
                endpoints: Vec::new(),
            });
            groups.len() - 1
        });
        let scaled = c.weight.saturating_mul(scale);
        let network = c.network_index;
        let all: &[GatewaySpec] = network
            .map(|n| scenario.networks[n].gateways.as_slice())
            .unwrap_or_default();
        let in_cluster = all.iter().any(|g| g.cluster == c.cluster);
        // The gateways that carry it: those in its cluster, else all of its network's.
        let carries = |g: &GatewaySpec| !in_cluster || g.cluster == c.cluster;
        let gateways = all.iter().filter(|g| carries(g)).count();
        let force_gateway = client_network.is_empty() && !c.network.is_empty() && gateways > 0;
        let same = c.network.is_empty() || c.network == client_network;
        if !multi_network || (!force_gateway && (same || gateways == 0)) {
            // A network without a gateway is sent to directly, also when no network of the
            // mesh has one (multi-network is then off: `EndpointsByNetworkFilter` returns every
            // endpoint unchanged). Either way, say so.
            if !same && gateways == 0 {
                without_gateway.insert(c.network);
            }
            // `EndpointsByNetworkFilter` keeps a directly reachable endpoint only with an
            // address (`util.GetEndpointHost(lbEp) != ""`): an entry without one is reachable
            // only through its network's gateway.
            if c.address.is_empty() {
                let what = c.name.clone().unwrap_or_else(|| "an endpoint".into());
                dropped.push(c.drop(
                    DropReason::NoAddress,
                    if same {
                        format!(
                            "{what} has no address and is on the client's network {}: it is reachable only through a gateway from another network",
                            c.network
                        )
                    } else {
                        format!(
                            "{what} has no address and its network {} has no east-west gateway to carry it",
                            c.network
                        )
                    },
                ));
                continue;
            }
            groups[gi]
                .endpoints
                .push(c.to_endpoint(health, scaled.max(1)));
            continue;
        }
        let mtls = match policy.tls {
            Some(mode) => mode == TlsMode::IstioMutual,
            None => c.sidecar,
        };
        if !mtls {
            dropped.push(c.drop(
                DropReason::ProxylessCrossNetwork,
                format!(
                    "on network {} without mTLS ({}): east-west gateways pass only Istio mTLS traffic",
                    c.network,
                    if c.sidecar { "the DestinationRule's TLS mode is not ISTIO_MUTUAL" } else { "a proxyless workload" }
                ),
            ));
            continue;
        }
        let share = u64::from(scaled) / gateways as u64;
        let behind = if c.address.is_empty() {
            format!("{}:{}", c.name.as_deref().unwrap_or("(no address)"), c.port)
        } else {
            crate::model::endpoint_address(c.address, c.port)
        };
        let mut behind = Some(behind);
        let mut left = gateways;
        for (g, _) in all.iter().enumerate().filter(|(_, g)| carries(g)) {
            let entry = gateway_weights
                .entry((gi, network.unwrap_or(0), g))
                .or_default();
            entry.0 += share;
            left -= 1;
            // The last gateway takes the string itself.
            let key = if left == 0 {
                behind.take().unwrap_or_default()
            } else {
                behind.clone().unwrap_or_default()
            };
            entry.1.push(key);
            entry.2.push(Behind {
                address: c.address.into(),
                port: c.port,
                cluster: c.cluster.into(),
                network: c.network.into(),
                locality: c.locality.clone(),
                weight: share,
            });
        }
    }
    for network in without_gateway {
        notes.push(Note::new(NoteCode::Network, format!(
            "network {network} has no east-west gateway{}: istiod sends its endpoints directly, as if it were routable from network {client_network:?}",
            if multi_network {
                ""
            } else {
                " (no network of the mesh has one, so multi-network is off)"
            }
        )));
    }
    for ((gi, n, g), (weight, behind, behind_endpoints)) in gateway_weights {
        let net = &scenario.networks[n];
        let gw = &net.gateways[g];
        let group = &mut groups[gi];
        group.endpoints.push(ViewEndpoint {
            address: gw.address.clone(),
            port: gw.port,
            cluster: gw.cluster.clone(),
            network: net.name.clone(),
            locality: group.locality.clone(),
            labels: Labels::new(),
            // A failed gateway (a what-if) is sent UNHEALTHY, so it gets no traffic outside
            // panic; removing it would make istiod send its network's endpoints directly
            // (see `crate::mesh::failure`).
            health: if gw.failed || overlay.gateway_failed(n, g) {
                HealthStatus::Unhealthy
            } else {
                HealthStatus::Healthy
            },
            weight: weight.clamp(1, u64::from(u32::MAX)) as u32,
            behind,
            behind_endpoints,
            gateway: true,
            source: EndpointSource::Gateway {
                network: n,
                gateway: g,
            },
        });
    }
    // istiod sorts locality groups by their locality string, and gateway endpoints, appended
    // after the group's direct endpoints, by address then port.
    for group in &mut groups {
        let first_gateway = group
            .endpoints
            .iter()
            .position(|e| e.gateway)
            .unwrap_or(group.endpoints.len());
        group.endpoints[first_gateway..]
            .sort_by(|a, b| (a.address.as_str(), a.port).cmp(&(b.address.as_str(), b.port)));
    }
    let mut keyed: Vec<(String, Group)> = groups
        .into_iter()
        .filter(|g| !g.endpoints.is_empty())
        .map(|g| (g.locality.to_string(), g))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.into_iter().map(|(_, g)| g).collect()
}
