//! The single-failure sweep without re-explaining from scratch.
//!
//! A failure changes only which workloads are ready and which east-west gateways are up (or
//! freezes a control plane's proxies): [`super::super::failure`]. So, per failure, what it
//! changes is computed once ([`Change`], by applying it with
//! [`Scenario::apply_failures`], the one place its rules live); per pair, discovery's
//! health-independent stages (client, DNS, visibility, candidates, DestinationRule, route:
//! [`discovery`]) run once, and each failure that changes the health of the pair's candidates
//! or gateways reuses them:
//!
//! - **re-planned** ([`Baseline::replan`]): when every destination of the pair sends not-ready
//!   endpoints (as UNHEALTHY: Istio 1.31 without `outlierDetection.minHealthPercent`, or a
//!   traffic distribution that forces failover; shared/SEMANTICS.md B2), a failure changes
//!   nothing in istiod's answer but the health of the endpoints sent directly and of the failed
//!   gateways: the endpoints, their localities, priorities and weights stay (a gateway's weight
//!   counts the endpoints behind it whatever their health; [`discovery::networks`]). The
//!   baseline plans are updated in place with [`crate::Plan::set_health`], which gives the plan
//!   a rebuild would, their shares read, and the updates undone;
//! - **re-derived** ([`Baseline::after`]): otherwise (not-ready endpoints held back change
//!   which endpoints are sent, a gateway's weight, the priorities; or a hash policy, whose ring
//!   or table an update rebuilds anyway), discovery's health-dependent stages run again on the
//!   kept candidates with the failure's health ([`Overlay`]), then the plans and the
//!   explanation;
//! - **reused**: a failure that changes no candidate of the pair and none of its gateways
//!   leaves its explanation as it was.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::super::discovery::{self, EndpointSource, Index, Overlay, Pending, View};
use super::super::failure::Failure;
use super::super::model::Scenario;
use super::super::validate::ScenarioError;
use super::super::{MeshPlan, PlannedDestination};
use super::rows::{self, EndpointIndex};
use super::{MatrixRow, Place, aim, control_plane_down};
use crate::explain::{Explanation, Status};
use crate::model::HealthStatus;
use crate::plan::HostId;

/// What one failure changes in the scenario, for clients whose control plane stays up.
#[derive(Debug, Default)]
pub(super) struct Change {
    /// Workloads it makes not ready (indices into `scenario.workloads`, sorted).
    unready: Vec<usize>,
    /// Gateways it fails, as (network, gateway) indices into `scenario.networks`, sorted.
    failed_gateways: Vec<(usize, usize)>,
}

impl Change {
    /// What `failure` changes: applied to `work` (the scenario, its client aimed at a location
    /// whose control plane the failure leaves up), compared with `scenario`, and undone. None
    /// when it takes down the control plane of every location (every pair is then stale).
    ///
    /// # Errors
    /// As [`Scenario::apply_failures`].
    pub(super) fn of(
        failure: &Failure,
        scenario: &Scenario,
        work: &mut Scenario,
        places: &[Place],
    ) -> Result<Option<Self>, ScenarioError> {
        let Some(place) = places.iter().find(|p| {
            aim(work, p, "");
            !control_plane_down(work, failure)
        }) else {
            return Ok(None);
        };
        aim(work, place, "");
        work.apply_failures(core::slice::from_ref(failure))?;
        let mut change = Self::default();
        for (i, (now, was)) in work
            .workloads
            .iter_mut()
            .zip(&scenario.workloads)
            .enumerate()
        {
            if now.health != was.health {
                change.unready.push(i);
                now.health = was.health;
            }
        }
        for (n, (now, was)) in work.networks.iter_mut().zip(&scenario.networks).enumerate() {
            for (g, (now, was)) in now.gateways.iter_mut().zip(&was.gateways).enumerate() {
                if now.failed != was.failed {
                    change.failed_gateways.push((n, g));
                    now.failed = was.failed;
                }
            }
        }
        Ok(Some(change))
    }

    fn overlay(&self) -> Overlay<'_> {
        Overlay {
            unready: &self.unready,
            failed_gateways: &self.failed_gateways,
        }
    }
}

/// A pair's explanation before any failure, and what the sweep needs to redo it.
pub(super) struct Baseline<'s> {
    /// The view as discovery's health-independent stages left it.
    resolved: View,
    /// What its health-dependent stages need; None when an earlier stage ended the request
    /// (then no failure changes the pair).
    pending: Option<Pending<'s>>,
    /// The plans.
    plan: MeshPlan,
    /// The explanation.
    explanation: Explanation,
    /// Its endpoints, keyed.
    index: EndpointIndex,
    /// Its routed share per address.
    by_address: Vec<Option<f64>>,
    /// The plan hosts workloads are (sent directly): (workload, destination, host), sorted.
    direct: Vec<(usize, usize, HostId)>,
    /// The plan hosts each gateway is (one per locality group and destination).
    gateways: BTreeMap<(usize, usize), Vec<(usize, HostId)>>,
    /// Whether a failure can be re-planned (see the module docs).
    replannable: bool,
}

impl<'s> Baseline<'s> {
    /// Discovers, plans and explains the pair `scenario`'s client and request are aimed at;
    /// `index` is [`Index::of`] the scenario.
    ///
    /// # Errors
    /// As [`MeshPlan::build`], for a scenario already validated.
    pub(super) fn of(
        scenario: &'s Scenario,
        index: &Index,
        place: &Place,
    ) -> Result<Self, ScenarioError> {
        let (resolved, pending) = discovery::resolve(scenario, index)?;
        let view = match &pending {
            Some(p) => p.finish(resolved.clone(), scenario, &Overlay::default()),
            None => resolved.clone(),
        };
        let plan = MeshPlan::from_view(view)?;
        let explanation = plan.explain();
        let index = EndpointIndex::of(place, &explanation);
        let by_address = index.by_address(explanation.status, &rows::shares(&explanation));
        let mut direct = Vec::new();
        let mut gateways: BTreeMap<(usize, usize), Vec<(usize, HostId)>> = BTreeMap::new();
        let view = &plan.view;
        let forced = view.traffic_distribution.is_some();
        let mut replannable = true;
        for (d, dest) in plan.destinations.iter().enumerate() {
            replannable &= discovery::health::sends_unready(
                &view.destinations[d].policy,
                forced,
                view.istio_version,
            )
            .is_ok();
            let Some(p) = &dest.plan else { continue };
            replannable &= !p.config().policy.is_hash_based();
            for i in 0..p.hosts().len() {
                let host = HostId::new(i as u32);
                match plan.endpoint_of(d, p, host).source {
                    EndpointSource::Workload(w) => direct.push((w, d, host)),
                    EndpointSource::Gateway { network, gateway } => gateways
                        .entry((network, gateway))
                        .or_default()
                        .push((d, host)),
                    EndpointSource::Entry => {}
                }
            }
        }
        direct.sort_unstable();
        Ok(Self {
            resolved,
            pending,
            plan,
            explanation,
            index,
            by_address,
            direct,
            gateways,
            replannable,
        })
    }

    /// The pair's explanation before any failure.
    pub(super) fn explanation(&self) -> &Explanation {
        &self.explanation
    }

    /// The pair's matrix row before any failure.
    pub(super) fn row(&self, place: &Place, host: &str) -> MatrixRow {
        let e = &self.explanation;
        let control_plane = e.client.as_ref().map_or("", |c| c.control_plane.as_str());
        rows::row(
            place,
            host,
            e.status,
            control_plane,
            &rows::shares(e),
            &self.index,
        )
    }

    /// Marks the pair's candidate workloads in `marks` with `stamp`.
    pub(super) fn mark(&self, marks: &mut [u32], stamp: u32) {
        if let Some(p) = &self.pending {
            for w in p.candidate_workloads() {
                marks[w] = stamp;
            }
        }
    }

    /// The pair under `change`, when it changes: its row and moved share. `marks` has the
    /// pair's candidates marked with `stamp` ([`Baseline::mark`]); `scenario` is the one the
    /// baseline was discovered in.
    ///
    /// # Errors
    /// As [`MeshPlan::build`].
    pub(super) fn after(
        &mut self,
        change: &Change,
        marks: &[u32],
        stamp: u32,
        scenario: &Scenario,
        place: &Place,
        host: &str,
    ) -> Result<Option<(MatrixRow, f64)>, ScenarioError> {
        let Some(pending) = &self.pending else {
            return Ok(None);
        };
        if !self.replannable {
            let touched = change.unready.iter().any(|&w| marks[w] == stamp)
                || change
                    .failed_gateways
                    .iter()
                    .any(|g| self.gateways.contains_key(g));
            if !touched {
                return Ok(None);
            }
            let view = pending.finish(self.resolved.clone(), scenario, &change.overlay());
            let e = MeshPlan::from_view(view)?.explain();
            let row = rows::row_of(place, host, &e);
            let moved = rows::moved(&self.by_address, &self.index.by_address_of(&e));
            return Ok(Some((row, moved)));
        }
        // The hosts of the changed workloads (both lists sorted by workload) and gateways. Any
        // other candidate that changes is behind a gateway, dropped or in no subset: istiod
        // sends the same for it.
        let mut hosts = Vec::new();
        let mut direct = self.direct.iter().peekable();
        for &w in &change.unready {
            while let Some(&&(_, d, id)) = direct.peek().filter(|x| x.0 <= w) {
                if direct.next().is_some_and(|x| x.0 == w) {
                    hosts.push((d, id));
                }
            }
        }
        for g in &change.failed_gateways {
            hosts.extend(self.gateways.get(g).into_iter().flatten().copied());
        }
        if hosts.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.replan(&hosts, place, host)))
    }

    /// Re-plans with `hosts` UNHEALTHY (module docs), then undoes it.
    fn replan(&mut self, hosts: &[(usize, HostId)], place: &Place, host: &str) -> (MatrixRow, f64) {
        fn plan(d: &mut PlannedDestination) -> Option<&mut crate::Plan> {
            d.plan.as_mut()
        }
        let mut undo = Vec::with_capacity(hosts.len());
        for &(d, id) in hosts {
            if let Some(p) = plan(&mut self.plan.destinations[d]) {
                undo.push((d, id, p.host(id).health()));
                p.set_health(id, HealthStatus::Unhealthy);
            }
        }
        let (status, shares) = explained_shares(&self.plan);
        for &(d, id, health) in undo.iter().rev() {
            if let Some(p) = plan(&mut self.plan.destinations[d]) {
                p.set_health(id, health);
            }
        }
        let control_plane = self
            .explanation
            .client
            .as_ref()
            .map_or("", |c| c.control_plane.as_str());
        let row = rows::row(place, host, status, control_plane, &shares, &self.index);
        let moved = rows::moved(&self.by_address, &self.index.by_address(status, &shares));
        (row, moved)
    }
}

/// The status and the endpoint shares [`MeshPlan::explain`] gives, without the rest of the
/// explanation: each destination's plan shares times its route weight fraction, in the
/// explanation's endpoint order; no endpoint with a share makes a routed view `no-endpoints`.
fn explained_shares(plan: &MeshPlan) -> (Status, Vec<f64>) {
    let routed_view = plan.view.status == Status::Routed;
    let total = plan.total_weight().max(1) as f64;
    let mut shares = Vec::new();
    for dest in &plan.destinations {
        let fraction = f64::from(dest.weight) / total;
        let Some(p) = &dest.plan else { continue };
        shares.extend(p.shares().into_iter().map(|s| {
            let share = if routed_view { fraction * s } else { 0.0 };
            share.clamp(0.0, 1.0)
        }));
    }
    let routed: f64 = shares.iter().copied().sum();
    let status = if routed_view && routed <= 0.0 {
        Status::NoEndpoints
    } else {
        plan.view.status
    };
    (status, shares)
}
