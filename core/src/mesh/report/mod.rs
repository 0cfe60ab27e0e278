//! The mesh-wide report (issue 13 part 3, shared/DESIGN.md §7): every client location × every
//! host, where its requests land, and what each single failure does to them.
//!
//! # What is computed
//!
//! - **Client locations**: the scenario's `client`, plus every (cluster, namespace, locality)
//!   that has workloads (a pod there may call out). Listed in that order: the scenario's client
//!   first, then the others sorted. Only the scenario's client keeps its labels.
//! - **Hosts**: every Service (`name.namespace.svc.cluster.local`) and every ServiceEntry host
//!   of any cluster's config, sorted; wildcard hosts (`*.example.com`) are left out, as no
//!   request names one. Each (location, host) pair is explained by [`MeshPlan`] with that
//!   client and a request for that host on its default port; a host the location cannot call
//!   keeps the status that says why (`not-visible`, `dns-failure`, ...).
//! - **Traffic matrix**: per pair, the routed share per cluster, zone (`region/zone`), region
//!   and network, as fractions of the routed traffic (they sum to 1 on a routed row), and the
//!   fractions crossing a zone, a region and a network relative to the client. An endpoint
//!   counts in its own locality and network; a gateway endpoint (an east-west gateway fronting
//!   another network, Istio "Multicluster Installation: multi-network") always crosses the
//!   network.
//! - **Single-failure sweep**: every zone, region, cluster, network (its east-west gateways) and
//!   control plane of the scenario failed in turn, as `--fail` does ([`Scenario::apply_failures`],
//!   whose module documents what each failure becomes). A pair is an **outage** when it was
//!   routed before and is not after (or routes share 0); it **leaves its region** when more of
//!   its traffic crosses the client's region than before; its **moved share** is the share of
//!   requests whose endpoint changed, `Σ max(0, before − after)` over endpoints.
//!
//! A failed zone, region or cluster that holds a client location is still swept: the other
//! locations' traffic moves, and the pods of the failed location itself are explained as what
//! their proxies are configured with (as `--fail` does for a client in a failed place). A
//! pair whose control plane is down keeps its pre-failure explanation (a proxy keeps its last
//! configuration; Istio "Deployment Models") and is counted as **stale**; when that
//! configuration still sends requests to workloads or east-west gateways the failure took down
//! (a primary cluster that fails takes its control plane and its pods together), the share of
//! them is the pair's share **sent to what failed**: those requests fail until Envoy's outlier
//! detection, where configured, ejects the dead endpoints, and for as long as the control
//! plane is down when every endpoint is dead. A location the failure itself takes down (its
//! cluster, zone or region) sends nothing, so its pairs count as stale only.
//!
//! Failure domains are ranked by blast radius: outages and stale pairs all of whose requests
//! go to what failed first (their count), then the largest share moved or sent to what failed,
//! then pairs leaving their region, then the narrower domain (zone, network, cluster, region,
//! control plane), then by name.
//!
//! # Reuse
//!
//! A failure only marks workloads not ready and east-west gateways failed (or freezes a
//! control plane's proxies). [`Report::build`] therefore computes what each failure changes
//! once, discovers each pair once, and for each failure redoes only what health changes: the
//! plans, from the pair's discovery (`report/sweep.rs`); a failure that touches none of a
//! pair's candidates or gateways reuses its baseline, and a pair whose control plane it takes
//! down keeps it. The scenario is validated once (a failure changes no reference).
//! [`Report::build_naive`] re-explains everything from a fresh copy, exactly as
//! `meshlb explain --from … --to … --fail …` would: the tests check both give the same
//! report, bit for bit. Rows and moved shares come from the same arithmetic in both
//! (`report/rows.rs`).

mod rows;
mod sweep;

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::MeshPlan;
use super::failure::Failure;
use super::model::{ClientSpec, Labels, RequestSpec, Resource, Scenario};
use super::validate::ScenarioError;
use crate::explain::{EndpointKind, Explanation, Status};
use crate::model::Locality;

/// Below this, a share is zero (shares are sums of floating-point products).
const EPSILON: f64 = 1e-9;

/// One client location: where a calling pod runs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ReportLocation {
    /// `cluster/namespace@locality`, the key rows use.
    pub name: String,
    /// The client's cluster.
    pub cluster: String,
    /// The client's namespace.
    pub namespace: String,
    /// The client's locality, `region/zone/subzone`.
    pub locality: String,
    /// The client cluster's network.
    pub network: String,
    /// Whether this is the scenario's own `client`.
    pub listed: bool,
}

/// One (location, host) pair of the traffic matrix.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MatrixRow {
    /// The location's name ([`ReportLocation::name`]).
    pub location: String,
    /// The host called.
    pub host: String,
    /// The explanation's status.
    pub status: Status,
    /// The control plane configuring the client (empty when discovery did not say).
    pub control_plane: String,
    /// Share of requests routed to some endpoint (1 on a routed row, 0 otherwise).
    pub routed: f64,
    /// Fraction of the routed traffic per cluster (sums to 1 on a routed row).
    pub clusters: BTreeMap<String, f64>,
    /// Per zone, `region/zone`.
    pub zones: BTreeMap<String, f64>,
    /// Per region.
    pub regions: BTreeMap<String, f64>,
    /// Per network.
    pub networks: BTreeMap<String, f64>,
    /// Fraction landing in the client's own zone.
    pub same_zone: f64,
    /// Fraction leaving the client's zone (other zone or other region).
    pub cross_zone: f64,
    /// Fraction leaving the client's region.
    pub cross_region: f64,
    /// Fraction leaving the client's network (gateway endpoints included).
    pub cross_network: f64,
}

/// Per location, the mean over its routed hosts (each host counts once).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LocationTotals {
    /// The location's name.
    pub location: String,
    /// Hosts in the matrix for it.
    pub hosts: usize,
    /// Hosts routed.
    pub routed: usize,
    /// Mean same-zone fraction over the routed hosts.
    pub same_zone: f64,
    /// Mean cross-zone fraction.
    pub cross_zone: f64,
    /// Mean cross-region fraction.
    pub cross_region: f64,
    /// Mean cross-network fraction.
    pub cross_network: f64,
}

/// A pair, and a share for it.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PairShare {
    /// The location's name.
    pub location: String,
    /// The host.
    pub host: String,
    /// The share in question (moved share, or cross-region fraction after the failure).
    pub share: f64,
}

/// A pair whose traffic moves under a failure.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PairMove {
    /// The location's name.
    pub location: String,
    /// The host.
    pub host: String,
    /// Share of the pair's requests whose endpoint changed: `Σ max(0, before − after)` over
    /// endpoints (1 for an outage).
    pub share: f64,
    /// Share of requests routed after the failure (less than 1 when a route's destination
    /// loses every endpoint and its requests fail instead of moving).
    pub routed_after: f64,
    /// Where the routed requests land after, per cluster (fractions of the routed traffic).
    pub clusters_after: BTreeMap<String, f64>,
}

/// What one failure does to every pair.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FailureImpact {
    /// 1 for the largest blast radius.
    pub rank: usize,
    /// The failure as `--fail` writes it: `zone=region1/zone1`.
    pub failure: String,
    /// `zone`, `region`, `cluster`, `network` or `control-plane`.
    pub kind: String,
    /// Pairs routed before that lose every endpoint, sorted.
    pub outages: Vec<PairShare>,
    /// Pairs more of whose traffic crosses the client's region than before (share: the
    /// cross-region fraction after), sorted.
    pub leaves_region: Vec<PairShare>,
    /// Pairs whose traffic moves at all (moved share above zero), largest first.
    pub moved: Vec<PairMove>,
    /// The largest moved share of a pair that is not an outage (0 when none moves).
    pub largest_moved: f64,
    /// Pairs whose control plane is down: they keep their last configuration.
    pub stale: usize,
    /// Stale pairs whose last configuration still sends requests to workloads or east-west
    /// gateways the failure took down (share: the fraction of the pair's requests that go to
    /// them and fail until outlier detection ejects those endpoints), largest first.
    pub stale_to_failed: Vec<PairShare>,
    /// Pairs that lose every request: the outages, and the stale pairs all of whose requests
    /// go to what failed (the ranking's first key).
    pub lost: usize,
    /// The larger of `largest_moved` and the largest `stale_to_failed` share (the ranking's
    /// second key, and the length of a bar that draws the failure).
    pub largest_share: f64,
    /// Pairs computed again for this failure: re-planned or re-explained from their
    /// discovery (the others, which it does not touch, reuse the baseline).
    pub reexplained: usize,
}

/// The mesh-wide report.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Report {
    /// Client locations: the scenario's client first, then the others sorted.
    pub locations: Vec<ReportLocation>,
    /// Hosts, sorted.
    pub hosts: Vec<String>,
    /// One row per (location, host), in location then host order.
    pub matrix: Vec<MatrixRow>,
    /// One per location.
    pub totals: Vec<LocationTotals>,
    /// Failure domains, ranked by blast radius.
    pub sweep: Vec<FailureImpact>,
    /// Pairs computed in all: the baseline's, and the sweep's re-plans and re-explanations.
    pub explained: usize,
}

/// A location and the labels its client pod carries.
struct Place {
    location: ReportLocation,
    locality: Locality,
    labels: Labels,
}

fn places(scenario: &Scenario) -> Vec<Place> {
    let network = |cluster: &str| {
        scenario
            .cluster(cluster)
            .map(|c| c.network.clone())
            .unwrap_or_default()
    };
    let place = |cluster: &str, namespace: &str, locality: &Locality, labels, listed| Place {
        location: ReportLocation {
            name: format!("{cluster}/{namespace}@{locality}"),
            cluster: cluster.to_string(),
            namespace: namespace.to_string(),
            locality: locality.to_string(),
            network: network(cluster),
            listed,
        },
        locality: locality.clone(),
        labels,
    };
    let c = &scenario.client;
    let first = place(
        &c.cluster,
        &c.namespace,
        &c.locality,
        c.labels.clone(),
        true,
    );
    let mut others: BTreeMap<(String, String, String), Place> = BTreeMap::new();
    for w in &scenario.workloads {
        let namespace = w.namespace();
        let key = (
            w.cluster.clone(),
            namespace.to_string(),
            w.locality.to_string(),
        );
        if key.0 == first.location.cluster
            && key.1 == first.location.namespace
            && key.2 == first.location.locality
        {
            continue;
        }
        others
            .entry(key)
            .or_insert_with(|| place(&w.cluster, namespace, &w.locality, Labels::new(), false));
    }
    let mut out = alloc::vec![first];
    out.extend(others.into_values());
    out
}

fn hosts(scenario: &Scenario) -> Vec<String> {
    let mut hosts = BTreeSet::new();
    for s in &scenario.services {
        hosts.insert(format!(
            "{}.{}.svc.{}",
            s.name,
            s.namespace,
            super::discovery::DOMAIN_SUFFIX
        ));
    }
    for config in &scenario.config {
        for r in &config.resources {
            if let Resource::ServiceEntry(se) = r {
                hosts.extend(se.hosts.iter().filter(|h| !h.contains('*')).cloned());
            }
        }
    }
    hosts.into_iter().collect()
}

/// Every single failure the sweep tries, in `Failure` order.
fn failures(scenario: &Scenario) -> Vec<Failure> {
    let mut out = BTreeSet::new();
    for w in &scenario.workloads {
        if !w.locality.region().is_empty() {
            out.insert(Failure::Region(w.locality.region().into()));
            if !w.locality.zone().is_empty() {
                out.insert(Failure::Zone {
                    region: w.locality.region().into(),
                    zone: w.locality.zone().into(),
                });
            }
        }
    }
    for c in &scenario.clusters {
        out.insert(Failure::Cluster(c.name.clone()));
        if scenario.is_primary(c) {
            out.insert(Failure::ControlPlane(c.name.clone()));
        }
    }
    for e in &scenario.external_control_planes {
        out.insert(Failure::ControlPlane(e.name.clone()));
    }
    for n in &scenario.networks {
        if !n.gateways.is_empty() {
            out.insert(Failure::Network(n.name.clone()));
        }
    }
    out.into_iter().collect()
}

fn kind(f: &Failure) -> &'static str {
    match f {
        Failure::Zone { .. } => "zone",
        Failure::Region(_) => "region",
        Failure::Cluster(_) => "cluster",
        Failure::Network(_) => "network",
        Failure::Gateway(_) => "gateway",
        Failure::Endpoint { .. } => "endpoint",
        Failure::ControlPlane(_) => "control-plane",
    }
}

/// On an equal blast radius, the narrower domain ranks first (a zone before the region that
/// holds it: it is the more precise cause).
fn breadth(kind: &str) -> u8 {
    match kind {
        "endpoint" => 0,
        "gateway" => 1,
        "zone" => 2,
        "network" => 3,
        "cluster" => 4,
        "region" => 5,
        _ => 6,
    }
}

/// Points `scenario`'s client and request at one pair.
fn aim(scenario: &mut Scenario, place: &Place, host: &str) {
    scenario.client = ClientSpec {
        cluster: place.location.cluster.clone(),
        namespace: place.location.namespace.clone(),
        locality: place.locality.clone(),
        labels: place.labels.clone(),
    };
    scenario.request = RequestSpec {
        host: host.to_string(),
        ..RequestSpec::default()
    };
}

/// The explanation of one pair, from `scenario` aimed at it and validated.
fn explain_pair(
    scenario: &mut Scenario,
    place: &Place,
    host: &str,
) -> Result<Explanation, ScenarioError> {
    aim(scenario, place, host);
    MeshPlan::build(scenario)
        .map(|p| p.explain())
        .map_err(|e| pair_error(place, host, &e))
}

/// Whether `f` takes down the control plane that configures the client in `scenario`.
fn control_plane_down(scenario: &Scenario, f: &Failure) -> bool {
    let own = scenario.client_control_plane();
    matches!(f, Failure::ControlPlane(n) | Failure::Cluster(n) if *n == own)
}

fn totals(place: &Place, rows: &[MatrixRow]) -> LocationTotals {
    let routed: Vec<&MatrixRow> = rows.iter().filter(|r| r.routed > 0.0).collect();
    let n = routed.len().max(1) as f64;
    let mean = |f: fn(&MatrixRow) -> f64| routed.iter().map(|r| f(r)).sum::<f64>() / n;
    LocationTotals {
        location: place.location.name.clone(),
        hosts: rows.len(),
        routed: routed.len(),
        same_zone: mean(|r| r.same_zone),
        cross_zone: mean(|r| r.cross_zone),
        cross_region: mean(|r| r.cross_region),
        cross_network: mean(|r| r.cross_network),
    }
}

/// A failure's impact as the sweep builds it, pair by pair.
fn impact(failure: &Failure) -> FailureImpact {
    FailureImpact {
        rank: 0,
        failure: failure.to_string(),
        kind: kind(failure).to_string(),
        outages: Vec::new(),
        leaves_region: Vec::new(),
        moved: Vec::new(),
        largest_moved: 0.0,
        stale: 0,
        stale_to_failed: Vec::new(),
        lost: 0,
        largest_share: 0.0,
        reexplained: 0,
    }
}

/// What a failure takes down in the mesh itself, whoever's configuration sees it: the
/// workloads it makes not ready and the east-west gateways it stops ([`Failure::downs_workload`],
/// [`Failure::downs_gateway`], the rules `--fail` applies). Kept as sorted keys (strings, whose
/// sort the report already has: a set of tuples grew the wasm package by tens of KB).
struct Downed {
    /// `cluster`, `address` and `port` of each workload, joined ([`Downed::workload`]).
    workloads: Vec<String>,
    /// `network` and `address` of each gateway, joined.
    gateways: Vec<String>,
}

impl Downed {
    fn workload(cluster: &str, address: &str, port: u16) -> String {
        format!("{cluster}\u{1f}{address}\u{1f}{port}")
    }

    fn gateway(network: &str, address: &str) -> String {
        format!("{network}\u{1f}{address}")
    }

    fn of(scenario: &Scenario, failure: &Failure) -> Self {
        let mut workloads: Vec<String> = scenario
            .workloads
            .iter()
            .filter(|w| failure.downs_workload(w))
            .map(|w| Self::workload(&w.cluster, &w.address, w.port))
            .collect();
        let mut gateways: Vec<String> = scenario
            .networks
            .iter()
            .flat_map(|n| n.gateways.iter().map(move |g| (n, g)))
            .filter(|(n, g)| failure.downs_gateway(&n.name, &g.address))
            .map(|(n, g)| Self::gateway(&n.name, &g.address))
            .collect();
        workloads.sort_unstable();
        gateways.sort_unstable();
        Self {
            workloads,
            gateways,
        }
    }

    /// The share of `explanation`'s requests that go to what is down: a workload endpoint
    /// that is, a gateway that is, or the endpoints behind a gateway that are.
    fn share_of(&self, explanation: &Explanation) -> f64 {
        if self.workloads.is_empty() && self.gateways.is_empty() {
            return 0.0;
        }
        let has = |keys: &[String], key: String| keys.binary_search(&key).is_ok();
        explanation
            .endpoints
            .iter()
            .map(|e| {
                let network = e.network.as_deref().unwrap_or_default();
                let cluster = e.cluster.as_deref().unwrap_or_default();
                match e.kind {
                    EndpointKind::Gateway
                        if has(&self.gateways, Self::gateway(network, &e.address)) =>
                    {
                        e.share
                    }
                    EndpointKind::Gateway => e
                        .behind_endpoints
                        .iter()
                        .filter(|b| {
                            has(
                                &self.workloads,
                                Self::workload(&b.cluster, &b.address, b.port),
                            )
                        })
                        .map(|b| b.share)
                        .sum(),
                    _ if has(&self.workloads, Self::workload(cluster, &e.address, e.port)) => {
                        e.share
                    }
                    _ => 0.0,
                }
            })
            .sum()
    }
}

/// Counts a stale pair (its control plane down) in a failure's impact, with the share of its
/// kept explanation that goes to what the failure took down; none when the failure takes
/// the client location's own pods down (nobody there sends requests).
fn record_stale(
    impact: &mut FailureImpact,
    (place, failure): (&Place, &Failure),
    host: &str,
    downed: &Downed,
    kept: &Explanation,
) {
    impact.stale += 1;
    if failure.downs_place(&place.location.cluster, &place.locality) {
        return;
    }
    let share = downed.share_of(kept).clamp(0.0, 1.0);
    if share > EPSILON {
        impact.stale_to_failed.push(PairShare {
            location: place.location.name.clone(),
            host: host.to_string(),
            share,
        });
    }
}

/// Adds one pair's change to a failure's impact: its row before (`was`) and after (`now`), and
/// its moved share.
fn record(
    impact: &mut FailureImpact,
    place: &Place,
    host: &str,
    was: &MatrixRow,
    now: &MatrixRow,
    moved: f64,
) {
    let pair = |share| PairShare {
        location: place.location.name.clone(),
        host: host.to_string(),
        share,
    };
    let mv = |share| PairMove {
        location: place.location.name.clone(),
        host: host.to_string(),
        share,
        routed_after: now.routed,
        clusters_after: now.clusters.clone(),
    };
    if was.routed > 0.0 && now.routed <= 0.0 {
        impact.outages.push(pair(1.0));
        impact.moved.push(mv(1.0));
        return;
    }
    if moved > EPSILON {
        impact.moved.push(mv(moved));
        impact.largest_moved = impact.largest_moved.max(moved);
    }
    if now.routed > 0.0 && now.cross_region > was.cross_region + EPSILON {
        impact.leaves_region.push(pair(now.cross_region));
    }
}

/// A pair's error, naming the pair.
fn pair_error(place: &Place, host: &str, e: &ScenarioError) -> ScenarioError {
    ScenarioError::new(
        e.path.clone(),
        format!("{} → {host}: {}", place.location.name, e.message),
    )
}

impl Report {
    /// Builds the report of `scenario`, redoing for each failure only what it changes (see the
    /// module docs).
    ///
    /// # Errors
    /// A [`ScenarioError`] when the scenario does not validate, or when a pair cannot be
    /// planned (the message names the location and host).
    pub fn build(scenario: &Scenario) -> Result<Self, ScenarioError> {
        scenario.validate()?;
        let places = places(scenario);
        let hosts = hosts(scenario);
        let failures = failures(scenario);
        let mut work = scenario.clone();
        let changes = failures
            .iter()
            .map(|f| sweep::Change::of(f, scenario, &mut work, &places))
            .collect::<Result<Vec<_>, _>>()?;
        let downed: Vec<Downed> = failures.iter().map(|f| Downed::of(scenario, f)).collect();
        let mut impacts: Vec<FailureImpact> = failures.iter().map(impact).collect();
        let mut matrix = Vec::with_capacity(places.len() * hosts.len());
        let mut totals_out = Vec::with_capacity(places.len());
        let mut explained = 0;
        // Which workloads are candidates of the pair in hand: marked with the pair's number.
        let mut marks = alloc::vec![0_u32; scenario.workloads.len()];
        let index = super::discovery::Index::of(scenario);
        let mut stamp = 0_u32;
        for place in &places {
            let start = matrix.len();
            for host in &hosts {
                aim(&mut work, place, host);
                let mut base = sweep::Baseline::of(&work, &index, place)
                    .map_err(|e| pair_error(place, host, &e))?;
                explained += 1;
                let was = base.row(place, host);
                stamp += 1;
                base.mark(&mut marks, stamp);
                let sweep = failures.iter().zip(&changes).zip(&downed).zip(&mut impacts);
                for (((failure, change), downed), impact) in sweep {
                    if control_plane_down(&work, failure) {
                        let kept = base.explanation();
                        record_stale(impact, (place, failure), host, downed, kept);
                        continue;
                    }
                    // No change means every location's control plane is down (stale above).
                    let Some(change) = change else { continue };
                    let after = base
                        .after(change, &marks, stamp, &work, place, host)
                        .map_err(|e| pair_error(place, host, &e))?;
                    if let Some((now, moved)) = after {
                        impact.reexplained += 1;
                        explained += 1;
                        record(impact, place, host, &was, &now, moved);
                    }
                }
                matrix.push(was);
            }
            totals_out.push(totals(place, &matrix[start..]));
        }
        Ok(Self::ranked(
            places, hosts, matrix, totals_out, impacts, explained,
        ))
    }

    /// The same report, every pair re-explained for every failure from a fresh copy of the
    /// scenario, as `meshlb explain --fail` does: the reference [`Report::build`] is checked
    /// against, and the time it saves is measured against.
    ///
    /// # Errors
    /// As [`Report::build`].
    pub fn build_naive(scenario: &Scenario) -> Result<Self, ScenarioError> {
        scenario.validate()?;
        let places = places(scenario);
        let hosts = hosts(scenario);
        let failures = failures(scenario);
        let mut work = scenario.clone();
        let downed: Vec<Downed> = failures.iter().map(|f| Downed::of(scenario, f)).collect();
        let mut impacts: Vec<FailureImpact> = failures.iter().map(impact).collect();
        let mut matrix = Vec::with_capacity(places.len() * hosts.len());
        let mut totals_out = Vec::with_capacity(places.len());
        let mut explained = 0;
        for place in &places {
            let start = matrix.len();
            for host in &hosts {
                let before = explain_pair(&mut work, place, host)?;
                explained += 1;
                let index = rows::EndpointIndex::of(place, &before);
                let by_address = index.by_address(before.status, &rows::shares(&before));
                let was = rows::row_of(place, host, &before);
                for ((failure, downed), impact) in failures.iter().zip(&downed).zip(&mut impacts) {
                    let mut copy = work.clone();
                    if control_plane_down(&copy, failure) {
                        record_stale(impact, (place, failure), host, downed, &before);
                    }
                    copy.apply_failures(core::slice::from_ref(failure))?;
                    impact.reexplained += 1;
                    explained += 1;
                    let after = explain_pair(&mut copy, place, host)?;
                    let now = rows::row_of(place, host, &after);
                    let moved = rows::moved(&by_address, &index.by_address_of(&after));
                    record(impact, place, host, &was, &now, moved);
                }
                matrix.push(was);
            }
            totals_out.push(totals(place, &matrix[start..]));
        }
        Ok(Self::ranked(
            places, hosts, matrix, totals_out, impacts, explained,
        ))
    }

    /// The report, failure domains ranked by blast radius.
    fn ranked(
        places: Vec<Place>,
        hosts: Vec<String>,
        matrix: Vec<MatrixRow>,
        totals: Vec<LocationTotals>,
        mut sweep: Vec<FailureImpact>,
        explained: usize,
    ) -> Self {
        let largest_first = |a: &PairShare, b: &PairShare| {
            b.share
                .total_cmp(&a.share)
                .then_with(|| (&a.location, &a.host).cmp(&(&b.location, &b.host)))
        };
        for impact in &mut sweep {
            impact.moved.sort_by(|a, b| {
                b.share
                    .total_cmp(&a.share)
                    .then_with(|| (&a.location, &a.host).cmp(&(&b.location, &b.host)))
            });
            impact.stale_to_failed.sort_by(largest_first);
            // Outages, and stale pairs every request of which goes to what failed.
            let all = impact
                .stale_to_failed
                .iter()
                .filter(|p| p.share >= 1.0 - EPSILON);
            impact.lost = impact.outages.len() + all.count();
            let stale = impact.stale_to_failed.first().map_or(0.0, |p| p.share);
            impact.largest_share = impact.largest_moved.max(stale);
        }
        sweep.sort_by(|a, b| {
            b.lost
                .cmp(&a.lost)
                .then_with(|| b.largest_share.total_cmp(&a.largest_share))
                .then_with(|| b.leaves_region.len().cmp(&a.leaves_region.len()))
                .then_with(|| breadth(&a.kind).cmp(&breadth(&b.kind)))
                .then_with(|| a.failure.cmp(&b.failure))
        });
        for (i, s) in sweep.iter_mut().enumerate() {
            s.rank = i + 1;
        }
        Self {
            locations: places.into_iter().map(|p| p.location).collect(),
            hosts,
            matrix,
            totals,
            sweep,
            explained,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::EndpointReport;
    use crate::model::{HealthStatus, LbPolicy};

    fn explanation(shares: &[(&str, f64)]) -> Explanation {
        let endpoints = shares
            .iter()
            .map(|(a, s)| EndpointReport {
                address: (*a).into(),
                port: 80,
                kind: EndpointKind::Workload,
                cluster: Some("c".into()),
                network: Some("n".into()),
                locality: "r/z".into(),
                priority: 0,
                weight: 1,
                health: HealthStatus::Healthy,
                subset: None,
                behind: Vec::new(),
                behind_endpoints: Vec::new(),
                share: *s,
            })
            .collect();
        Explanation {
            status: Status::Routed,
            message: String::new(),
            client: None,
            host: None,
            lb_policy: LbPolicy::RoundRobin,
            locality_lb: crate::LocalityLbMode::Off,
            priorities: Vec::new(),
            endpoints,
            dropped: Vec::new(),
            notes: Vec::new(),
            routes: None,
            overprovisioning_factor: 140,
            panic_threshold: 0,
            locality_weighted: false,
            normalized_total_availability: 100,
            total_panic: false,
            drop_overload: 0.0,
            destination_rule: None,
            virtual_service: None,
            locality_settings: Vec::new(),
            topology: None,
            note_codes: Vec::new(),
        }
    }

    #[test]
    fn moved_share_is_what_leaves_endpoints() {
        // a: 1/2 -> 0, b: 1/2 -> 1: half the requests change endpoint.
        let before = explanation(&[("a", 0.5), ("b", 0.5)]);
        let after = explanation(&[("a", 0.0), ("b", 1.0)]);
        let place = Place {
            location: ReportLocation {
                name: "c/ns@r/z".into(),
                cluster: "c".into(),
                namespace: "ns".into(),
                locality: "r/z".into(),
                network: "n".into(),
                listed: true,
            },
            locality: Locality::new("r", "z", ""),
            labels: Labels::new(),
        };
        let index = rows::EndpointIndex::of(&place, &before);
        let b = index.by_address(before.status, &rows::shares(&before));
        let moved = |e: &Explanation| rows::moved(&b, &index.by_address_of(e));
        assert!((moved(&after) - 0.5).abs() < 1e-12);
        assert!(moved(&before).abs() < 1e-12);
        // The same from the shares alone (the sweep's re-planned path).
        let a = index.by_address(after.status, &rows::shares(&after));
        assert_eq!(rows::moved(&b, &a).to_bits(), moved(&after).to_bits());
    }

    #[test]
    fn narrower_domains_rank_first_on_a_tie() {
        assert!(breadth("zone") < breadth("region"));
        assert!(breadth("cluster") < breadth("control-plane"));
    }
}
