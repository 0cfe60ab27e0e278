//! Comparing two explanations (issue 13 part 3, shared/DESIGN.md §7): where traffic went before
//! and after a change (a failure, another input), per endpoint and summed per cluster, zone,
//! region and network.
//!
//! Shares are the explanations' own: no rule is applied here, only arithmetic. An endpoint is
//! keyed by `address:port` and its shares are summed over its appearances (a gateway serving
//! several locality groups, an endpoint in several subsets), so the per-endpoint rows add up to
//! each explanation's routed total.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::explain::{Explanation, RouteReport, Status};
use crate::model::HealthStatus;

/// Whether a row exists before, after, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Presence {
    /// In both explanations.
    Kept,
    /// Only after.
    Gained,
    /// Only before.
    Lost,
}

/// One row of a [`Diff`]: a key's share before and after.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ShareChange {
    /// `address:port`, a cluster, `region/zone`, a region or a network.
    pub key: String,
    /// Share of requests before (0 when absent).
    pub before: f64,
    /// Share after (0 when absent).
    pub after: f64,
    /// `after - before`.
    pub delta: f64,
    /// Gained, lost or kept.
    pub presence: Presence,
    /// Endpoints only: health before (None when absent; the first appearance's).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub health_before: Option<HealthStatus>,
    /// Endpoints only: health after.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub health_after: Option<HealthStatus>,
}

/// What changed between two explanations.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Diff {
    /// Status before.
    pub status_before: Status,
    /// Status after.
    pub status_after: Status,
    /// Share of requests routed to some endpoint, before (the sum of endpoint shares).
    pub routed_before: f64,
    /// Share routed after.
    pub routed_after: f64,
    /// Per endpoint (`address:port`), in the order before's endpoints come, then gained ones.
    pub endpoints: Vec<ShareChange>,
    /// Per cluster (scenarios; empty for Envoy input), sorted by key.
    pub clusters: Vec<ShareChange>,
    /// Per zone, `region/zone`, sorted.
    pub zones: Vec<ShareChange>,
    /// Per region, sorted.
    pub regions: Vec<ShareChange>,
    /// Per network (scenarios), sorted.
    pub networks: Vec<ShareChange>,
    /// The route's destinations before (None: no VirtualService route).
    pub routes_before: Option<Vec<RouteReport>>,
    /// The route's destinations after.
    pub routes_after: Option<Vec<RouteReport>>,
    /// Notes of the explanation after that the one before does not have (a `--fail` note,
    /// what a failure caused).
    pub notes: Vec<String>,
}

impl Diff {
    /// Whether anything differs: status, a share (beyond 1e-12), an endpoint's health or
    /// presence, or the routes.
    #[must_use]
    pub fn changed(&self) -> bool {
        self.status_before != self.status_after
            || self.routes_before != self.routes_after
            || self.endpoints.iter().any(|r| {
                r.presence != Presence::Kept
                    || r.delta.abs() > 1e-12
                    || r.health_before != r.health_after
            })
    }
}

#[derive(Default)]
struct Sums {
    order: Vec<String>,
    share: BTreeMap<String, f64>,
    health: BTreeMap<String, HealthStatus>,
}

impl Sums {
    fn add(&mut self, key: String, share: f64, health: Option<HealthStatus>) {
        if !self.share.contains_key(&key) {
            self.order.push(key.clone());
        }
        *self.share.entry(key.clone()).or_insert(0.0) += share;
        if let Some(h) = health {
            self.health.entry(key).or_insert(h);
        }
    }
}

/// Sums per key of `e`'s endpoints: endpoint, cluster, zone, region, network.
fn sums(e: &Explanation) -> [Sums; 5] {
    let mut out: [Sums; 5] = Default::default();
    for ep in &e.endpoints {
        out[0].add(
            crate::model::endpoint_address(&ep.address, ep.port),
            ep.share,
            Some(ep.health),
        );
        if let Some(c) = ep.cluster.as_ref().filter(|c| !c.is_empty()) {
            out[1].add(c.clone(), ep.share, None);
        }
        let mut parts = ep.locality.split('/');
        let region = parts.next().unwrap_or("");
        let zone = parts.next().unwrap_or("");
        if !region.is_empty() {
            if !zone.is_empty() {
                out[2].add(format!("{region}/{zone}"), ep.share, None);
            }
            out[3].add(region.into(), ep.share, None);
        }
        if let Some(n) = ep.network.as_ref().filter(|n| !n.is_empty()) {
            out[4].add(n.clone(), ep.share, None);
        }
    }
    out
}

fn rows(before: &Sums, after: &Sums, sorted: bool) -> Vec<ShareChange> {
    let mut keys: Vec<&String> = before.order.iter().collect();
    keys.extend(
        after
            .order
            .iter()
            .filter(|k| !before.share.contains_key(*k)),
    );
    if sorted {
        let set: BTreeSet<&String> = keys.into_iter().collect();
        keys = set.into_iter().collect();
    }
    keys.into_iter()
        .map(|key| {
            let b = before.share.get(key);
            let a = after.share.get(key);
            let (bv, av) = (b.copied().unwrap_or(0.0), a.copied().unwrap_or(0.0));
            ShareChange {
                key: key.clone(),
                before: bv,
                after: av,
                delta: av - bv,
                presence: match (b, a) {
                    (Some(_), None) => Presence::Lost,
                    (None, Some(_)) => Presence::Gained,
                    _ => Presence::Kept,
                },
                health_before: before.health.get(key).copied(),
                health_after: after.health.get(key).copied(),
            }
        })
        .collect()
}

/// Compares `before` with `after`.
///
/// # Examples
/// ```
/// use meshlb::{diff, Endpoint, HealthStatus, LbConfig, LoadAssignment, LocalityEndpoints, Plan};
/// let mut assignment = LoadAssignment {
///     localities: vec![LocalityEndpoints {
///         endpoints: vec![Endpoint::new("10.0.0.1", 80), Endpoint::new("10.0.0.2", 80)],
///         ..LocalityEndpoints::default()
///     }],
///     ..LoadAssignment::default()
/// };
/// let before = Plan::build(&assignment, &LbConfig::default())?.explain();
/// assignment.localities[0].endpoints[0].health = HealthStatus::Unhealthy;
/// let after = Plan::build(&assignment, &LbConfig::default())?.explain();
/// let d = diff(&before, &after);
/// assert_eq!(d.endpoints[0].key, "10.0.0.1:80");
/// assert_eq!((d.endpoints[0].before, d.endpoints[0].after), (0.5, 0.0));
/// assert_eq!(d.endpoints[1].delta, 0.5);
/// # Ok::<(), meshlb::PlanError>(())
/// ```
#[must_use]
pub fn diff(before: &Explanation, after: &Explanation) -> Diff {
    let [be, bc, bz, br, bn] = sums(before);
    let [ae, ac, az, ar, an] = sums(after);
    let routed = |e: &Explanation| e.endpoints.iter().map(|ep| ep.share).sum::<f64>();
    Diff {
        status_before: before.status,
        status_after: after.status,
        routed_before: routed(before),
        routed_after: routed(after),
        endpoints: rows(&be, &ae, false),
        clusters: rows(&bc, &ac, true),
        zones: rows(&bz, &az, true),
        regions: rows(&br, &ar, true),
        networks: rows(&bn, &an, true),
        routes_before: before.routes.clone(),
        routes_after: after.routes.clone(),
        notes: after
            .notes
            .iter()
            .filter(|n| !before.notes.contains(n))
            .cloned()
            .collect(),
    }
}
