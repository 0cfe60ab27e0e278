//! The mesh: Istio's deployment models on top of Envoy's maths.
//!
//! A [`Scenario`] (meshes, control planes, clusters, networks, services, workloads, Istio
//! config, a client and a request) goes through the stages of the design, in one direction:
//!
//! 1. [`Scenario::validate`]: every reference resolves;
//! 2. [`discovery::discover`]: the [`View`] of one client asking for one host: which endpoints
//!    istiod sends, through which gateways, and which it leaves out, with reasons. Its stages
//!    are modules of [`discovery`] (DNS, visibility, candidates, health, subsets, networks);
//!    the control plane and the Istio config it reads are [`config`];
//! 3. [`locality::envoy_cluster`]: the locality setting in force turned into an Envoy-shaped
//!    assignment per route destination (priorities, weights, LB policy, panic threshold);
//! 4. [`Plan`] per destination, and the route's weights on top: [`MeshPlan`], which explains
//!    and simulates.

pub mod config;
pub mod discovery;
pub mod failure;
pub mod kube;
pub mod locality;
pub mod model;
pub mod regex;
pub mod report;
pub mod routing;
pub mod topology;
mod validate;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

pub use discovery::{EndpointSource, View, ViewEndpoint, discover};
pub use failure::{FAILURE_KINDS, Failure, fail_assignment};
pub use model::*;
pub use report::{
    FailureImpact, LocationTotals, MatrixRow, PairMove, PairShare, Report, ReportLocation,
};
pub use topology::{
    Topology, TopologyCluster, TopologyControlPlane, TopologyGateway, TopologyMesh,
    TopologyNetwork, TopologyWorkload,
};
pub use validate::ScenarioError;

use crate::balancer::{RouteRef, Routed};
use crate::explain::{
    EndpointKind, EndpointReport, Explanation, LocalityLbMode, PriorityReport, RouteReport, Status,
};
use crate::note::{Note, NoteCode};
use crate::pick::{Picker, Request};
use crate::plan::{HostId, Plan};
use crate::rng::{Rng, SeededRng};
use crate::sim::Simulation;

/// One route destination, planned.
#[derive(Debug, Clone)]
pub struct PlannedDestination {
    /// Subset name.
    pub subset: Option<String>,
    /// Route weight.
    pub weight: u32,
    /// The Envoy cluster istiod builds for it.
    pub cluster: locality::EnvoyCluster,
    /// Its plan (None when the subset does not exist: Envoy has no such cluster).
    pub plan: Option<Plan>,
}

/// A scenario's decisions for its client and request: the view and one plan per destination.
#[derive(Debug, Clone)]
pub struct MeshPlan {
    /// What the client sees.
    pub view: View,
    /// The route's destinations.
    pub destinations: Vec<PlannedDestination>,
    /// Where each destination's hosts start in the explanation's endpoint list.
    offsets: Vec<usize>,
}

impl MeshPlan {
    /// Validates the scenario and computes every decision for its client and request.
    ///
    /// # Errors
    /// A [`ScenarioError`] naming the path of what does not hold together.
    pub fn build(scenario: &Scenario) -> Result<Self, ScenarioError> {
        scenario.validate()?;
        Self::build_valid(scenario)
    }

    /// [`MeshPlan::build`] without validation, for a scenario already validated (or one that
    /// differs from a validated one only in its client, request, health and failed gateways,
    /// as the [`Report`] makes them).
    pub(crate) fn build_valid(scenario: &Scenario) -> Result<Self, ScenarioError> {
        Self::from_view(discover(scenario)?)
    }

    /// The plans of a discovered view: one Envoy cluster and [`Plan`] per route destination.
    pub(crate) fn from_view(view: View) -> Result<Self, ScenarioError> {
        let mut destinations = Vec::new();
        let mut tables = 0_u64;
        for d in &view.destinations {
            let cluster = locality::envoy_cluster(&view, d);
            let plan = if d.exists {
                tables = crate::limits::check_route_tables(
                    tables,
                    &cluster.assignment,
                    &cluster.config,
                )?;
                Some(Plan::build(&cluster.assignment, &cluster.config).map_err(|e| {
                    ScenarioError::new("workloads", format!("the endpoints istiod would send are not a valid Envoy assignment: {e}"))
                })?)
            } else {
                None
            };
            destinations.push(PlannedDestination {
                subset: d.subset.clone(),
                weight: d.weight,
                cluster,
                plan,
            });
        }
        let offsets = destinations
            .iter()
            .scan(0, |acc, d: &PlannedDestination| {
                let start = *acc;
                *acc += d.plan.as_ref().map_or(0, |p| p.hosts().len());
                Some(start)
            })
            .collect();
        Ok(Self {
            view,
            destinations,
            offsets,
        })
    }

    fn total_weight(&self) -> u64 {
        self.destinations.iter().map(|d| u64::from(d.weight)).sum()
    }

    /// For each destination, each plan host: the view endpoint it is.
    fn endpoint_of(&self, d: usize, plan: &Plan, host: HostId) -> &ViewEndpoint {
        let (group, endpoint) = plan.host(host).origin();
        let (gi, ei) = self.destinations[d].cluster.origins[group as usize][endpoint as usize];
        &self.view.destinations[d].groups[gi].endpoints[ei]
    }

    /// The explanation (shared/SCENARIO.md §3).
    #[must_use]
    pub fn explain(&self) -> Explanation {
        let view = &self.view;
        let several = self.destinations.len() > 1;
        let total = self.total_weight().max(1) as f64;
        let mut endpoints = Vec::new();
        let mut priorities = Vec::new();
        let mut notes = view.notes.clone();
        let mut dropped = view.dropped.clone();
        let mut localities: Vec<String> = Vec::new();
        for (d, dest) in self.destinations.iter().enumerate() {
            let fraction = f64::from(dest.weight) / total;
            let prefix = |note: &Note| match (&dest.subset, several) {
                (Some(s), true) => Note::new(note.code, format!("subset {s}: {}", note.text)),
                _ => note.clone(),
            };
            notes.extend(dest.cluster.notes.iter().map(prefix));
            dropped.extend(dest.cluster.dropped.iter().cloned());
            let Some(plan) = &dest.plan else { continue };
            let shares = plan.shares();
            if view.status == Status::Routed {
                let routable: f64 = shares.iter().sum();
                notes.extend(
                    plan.notes(routable)
                        .iter()
                        // Envoy-level notes that say nothing new here: istiod always sets group
                        // weights, and an empty assignment is explained by the view.
                        .filter(|n| {
                            !matches!(
                                n.code,
                                NoteCode::EmptyAssignment | NoteCode::LocalityWeightsIgnored
                            )
                        })
                        .map(prefix),
                );
            }
            for state in plan.priorities() {
                priorities.push(PriorityReport {
                    priority: state.priority,
                    health: state.health,
                    degraded: state.degraded,
                    healthy_load: state.healthy_load,
                    degraded_load: state.degraded_load,
                    panic: state.panic,
                    subset: if several { dest.subset.clone() } else { None },
                    hosts: state.counts.total,
                    healthy_hosts: state.counts.healthy,
                    degraded_hosts: state.counts.degraded,
                });
            }
            // One string per locality group, not per endpoint.
            let names: Vec<String> = plan
                .localities()
                .iter()
                .map(|l| l.locality.to_string())
                .collect();
            for (i, host) in plan.hosts().enumerate() {
                let e = self.endpoint_of(d, plan, HostId::new(i as u32));
                let locality = names
                    .get(host.locality() as usize)
                    .cloned()
                    .unwrap_or_default();
                if localities.last() != Some(&locality) {
                    localities.push(locality.clone());
                }
                let share = if view.status == Status::Routed {
                    fraction * shares[i]
                } else {
                    0.0
                };
                endpoints.push(EndpointReport {
                    address: e.address.clone(),
                    port: e.port,
                    kind: if e.gateway {
                        EndpointKind::Gateway
                    } else {
                        EndpointKind::Workload
                    },
                    cluster: Some(e.cluster.clone()),
                    network: Some(e.network.clone()),
                    locality,
                    priority: host.priority(),
                    weight: host.weight(),
                    health: host.health(),
                    subset: dest.subset.clone(),
                    behind: e.behind.clone(),
                    behind_endpoints: behind_shares(&e.behind_endpoints, share.clamp(0.0, 1.0)),
                    share: share.clamp(0.0, 1.0),
                });
            }
        }
        let routed: f64 = endpoints.iter().map(|e| e.share).sum();
        let status = if view.status == Status::Routed && routed <= 0.0 {
            Status::NoEndpoints
        } else {
            view.status
        };
        if status == Status::NoEndpoints && view.status == Status::Routed {
            // Nothing listed and nothing dropped: the service has no endpoint at all.
            let why = if endpoints.is_empty() && dropped.is_empty() {
                " no workload backs the service (none in the scenario; from kubectl dumps, no EndpointSlice or Endpoints of it lists one), so"
            } else {
                ""
            };
            notes.push(Note::new(
                NoteCode::NoEndpoint,
                format!(
                    "no endpoint can receive the request:{why} Envoy answers 503 \"no healthy upstream\""
                ),
            ));
        }
        let first = self.destinations.iter().find_map(|d| d.plan.as_ref());
        let mode = self
            .destinations
            .iter()
            .map(|d| d.cluster.mode)
            .find(|m| *m != LocalityLbMode::Off)
            .unwrap_or(LocalityLbMode::Off);
        localities.sort_unstable();
        localities.dedup();
        let message = format!(
            "{} endpoint{} in {} localit{}; {} dropped",
            endpoints.len(),
            if endpoints.len() == 1 { "" } else { "s" },
            localities.len(),
            if localities.len() == 1 { "y" } else { "ies" },
            dropped.len()
        );
        let mut seen = alloc::collections::BTreeSet::new();
        notes.retain(|n| seen.insert(n.text.clone()));
        let mut explanation = Explanation {
            status,
            message,
            client: Some(view.client.clone()),
            host: Some(view.host.clone()),
            lb_policy: self.lb_policy(),
            locality_lb: mode,
            priorities,
            endpoints,
            dropped,
            notes: Vec::new(),
            routes: view.routed_by_virtual_service.then(|| {
                self.destinations
                    .iter()
                    .map(|d| RouteReport {
                        subset: d.subset.clone(),
                        weight: d.weight,
                    })
                    .collect()
            }),
            overprovisioning_factor: first.map_or(
                crate::DEFAULT_OVERPROVISIONING_FACTOR,
                Plan::overprovisioning_factor,
            ),
            panic_threshold: first.map_or(0, Plan::panic_threshold),
            locality_weighted: first.is_some_and(|p| p.config().locality_weighted),
            normalized_total_availability: first.map_or(0, Plan::normalized_total_availability),
            total_panic: first.is_some_and(Plan::total_panic),
            drop_overload: 0.0,
            destination_rule: view.destination_rule_ref.clone(),
            virtual_service: view.virtual_service.clone(),
            locality_settings: self
                .destinations
                .iter()
                .map(|d| d.cluster.locality_setting.clone())
                .collect(),
            topology: None,
            note_codes: Vec::new(),
        };
        explanation.extend_notes(notes);
        explanation
    }

    /// The load-balancing policy of the first destination with a cluster (Istio's default,
    /// LEAST_REQUEST, when there is none).
    #[must_use]
    pub fn lb_policy(&self) -> crate::LbPolicy {
        self.destinations
            .iter()
            .find_map(|d| d.plan.as_ref())
            .map_or(crate::LbPolicy::LeastRequest, |p| p.config().policy)
    }

    /// One picker per destination (None where the destination has no cluster), for
    /// [`MeshPlan::pick`].
    #[must_use]
    pub fn pickers<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<Option<Picker>> {
        self.destinations
            .iter()
            .map(|d| d.plan.as_ref().map(|p| Picker::new(p, rng)))
            .collect()
    }

    /// Where each destination's hosts start in the explanation's endpoint list.
    #[must_use]
    pub fn endpoint_offsets(&self) -> &[usize] {
        &self.offsets
    }

    /// Picks for one request: the route's destination by weight (a uniform draw over the
    /// weights, as Envoy's weighted clusters), then that destination's picker. Returns the
    /// index of the endpoint in [`MeshPlan::explain`]'s list, or `None` when the request gets
    /// no host (an unrouted status, a missing subset, nothing healthy).
    ///
    /// The request ends at once (no request stays active for least request); the runtime
    /// with a request lifecycle is [`crate::Balancer`], which picks through the same path.
    pub fn pick<R: Rng + ?Sized>(
        &self,
        pickers: &mut [Option<Picker>],
        rng: &mut R,
        hash: Option<u64>,
    ) -> Option<usize> {
        let route = RouteRef::Mesh(self);
        let request = hash.map_or_else(Request::default, Request::with_hash);
        match route.pick(pickers, rng, request) {
            Routed::Host { destination, host } => Some(route.index(destination, host)),
            Routed::Dropped | Routed::Nothing => None,
        }
    }

    /// Sends `requests` seeded requests through [`MeshPlan::pick`]. Endpoints are reported in
    /// the explanation's order.
    #[must_use]
    pub fn simulate(&self, requests: u64, seed: u64) -> Simulation {
        let explanation = self.explain();
        let mut rng = SeededRng::new(seed);
        let mut pickers = self.pickers(&mut rng);
        let endpoints = explanation
            .endpoints
            .iter()
            .map(|e| (e.address.as_str(), e.port, e.share));
        crate::sim::simulate_route(
            RouteRef::Mesh(self),
            &mut pickers,
            &mut rng,
            requests,
            seed,
            endpoints,
        )
    }
}

/// The endpoints behind a gateway with their shares: the gateway's `share` split by their
/// parts of its weight ([`crate::BehindEndpoint`] says why).
fn behind_shares(behind: &[discovery::Behind], share: f64) -> Vec<crate::BehindEndpoint> {
    let total: u64 = behind.iter().map(|b| b.weight).sum();
    behind
        .iter()
        .map(|b| crate::BehindEndpoint {
            address: b.address.clone(),
            port: b.port,
            cluster: b.cluster.clone(),
            network: b.network.clone(),
            locality: b.locality.to_string(),
            weight: b.weight,
            share: if total == 0 {
                0.0
            } else {
                share * b.weight as f64 / total as f64
            },
        })
        .collect()
}

/// A locality from its string form `region/zone/subzone` (trailing parts optional).
///
/// # Errors
/// A message when the string has more than three parts.
pub fn parse_locality(s: &str) -> Result<crate::Locality, String> {
    let parts: Vec<&str> = if s.is_empty() {
        Vec::new()
    } else {
        s.split('/').collect()
    };
    if parts.len() > 3 {
        return Err(format!(
            "locality {s:?} has {} parts; it is region/zone/subzone",
            parts.len()
        ));
    }
    let part = |i: usize| parts.get(i).copied().unwrap_or("");
    Ok(crate::Locality::new(part(0), part(1), part(2)))
}
