//! What-if failures (issue 13, shared/DESIGN.md §7): a zone, a region, a cluster, a network's
//! east-west gateways, one gateway, one endpoint or a control plane goes down, applied to the
//! model *before* discovery, so istiod's and Envoy's rules already in meshlb decide what follows.
//!
//! # What a failure becomes
//!
//! - **A workload that fails** (its node, zone, region or cluster is lost) is what Kubernetes
//!   makes of it: the node lifecycle controller marks the pods on an unreachable node not ready
//!   (Kubernetes "Nodes", <https://kubernetes.io/docs/concepts/architecture/nodes/#condition>), and
//!   the EndpointSlice controller publishes them with `ready: false`
//!   (<https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#conditions>).
//!   meshlb models a not-ready pod as `health: UNHEALTHY`, so istiod then sends it as
//!   UNHEALTHY or leaves it out by the scenario's Istio version (`filterIstioEndpoint` and
//!   `SendUnhealthyEndpoints` in istio/istio `pilot/pkg/xds/endpoints/endpoint_builder.go`; see
//!   [`super::IstioVersion`]), and Envoy's priority and panic maths take it from there.
//! - **A failed cluster**: every workload in it fails, and its API server stops answering. The
//!   control planes watching it keep the endpoints their informers last read (client-go's
//!   shared informer cache is not cleared on a lost watch), so until Envoy's outlier detection
//!   ejects them the stale endpoints may still receive requests; meshlb shows the steady state,
//!   the endpoints not ready. A failed primary also takes its control plane down.
//! - **A failed gateway** stops carrying traffic. It is *not* removed from its network: istiod
//!   sends the endpoints of a network without any east-west gateway directly (the
//!   "no gateway" branch of `EndpointsByNetworkFilter`, `pilot/pkg/xds/endpoints/ep_filters.go`),
//!   which would wrongly make them reachable. Instead its endpoint is sent UNHEALTHY, so Envoy
//!   gives it no traffic outside panic (Envoy "Health checking" and "Panic threshold",
//!   <https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/panic_threshold>).
//!   istiod learns gateway addresses from the gateway Service and does not see its pods'
//!   readiness, so in a real mesh this is what Envoy's outlier detection reaches after the first
//!   failures; without it, requests keep going to the dead gateway and fail.
//! - **A failed network**: all of its east-west gateways fail, as above.
//! - **A failed control plane**: its proxies keep the configuration they last received and
//!   nothing new reaches them (Istio "Deployment Models", control plane models; an Envoy keeps its
//!   xDS resources while its management server is unreachable). For a client it configures, the
//!   other failures of the same list are therefore *not* seen by its configuration: the
//!   explanation is the pre-failure one, and only Envoy's own outlier detection or active health
//!   checks, where configured, eject dead endpoints at run time. Clients of other control planes
//!   are not affected: each control plane reads the clusters' API servers itself.

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;

use super::model::{Scenario, WorkloadSpec};
use super::validate::ScenarioError;
use crate::model::{HealthStatus, LoadAssignment, Locality};
use crate::note::{Note, NoteCode};

/// The kinds `--fail` accepts, as written.
pub const FAILURE_KINDS: &str = "zone=REGION/ZONE, region=REGION, cluster=NAME, network=NAME, gateway=ADDRESS, endpoint=ADDRESS:PORT, control-plane=NAME";

/// One failure to apply to a scenario (or, for zones, regions and endpoints, to an Envoy
/// assignment).
///
/// # Examples
/// ```
/// use meshlb::mesh::Failure;
/// let f: Failure = "zone=us-east/us-east-1a".parse()?;
/// assert_eq!(f, Failure::Zone { region: "us-east".into(), zone: "us-east-1a".into() });
/// assert_eq!(f.to_string(), "zone=us-east/us-east-1a");
/// let e: Failure = "endpoint=[fd00::1]:8080".parse()?;
/// assert_eq!(e, Failure::Endpoint { address: "fd00::1".into(), port: 8080 });
/// # Ok::<(), meshlb::mesh::ScenarioError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Failure {
    /// Every workload in one zone of one region.
    Zone {
        /// Region.
        region: String,
        /// Zone.
        zone: String,
    },
    /// Every workload in a region.
    Region(String),
    /// A cluster: its workloads, its API server, and its control plane if it is a primary.
    Cluster(String),
    /// A network's east-west gateways.
    Network(String),
    /// One east-west gateway, by address.
    Gateway(String),
    /// One workload endpoint.
    Endpoint {
        /// Address.
        address: String,
        /// Port.
        port: u16,
    },
    /// A control plane: a primary cluster's name or an external control plane's.
    ControlPlane(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Zone { region, zone } => write!(f, "zone={region}/{zone}"),
            Self::Region(r) => write!(f, "region={r}"),
            Self::Cluster(c) => write!(f, "cluster={c}"),
            Self::Network(n) => write!(f, "network={n}"),
            Self::Gateway(g) => write!(f, "gateway={g}"),
            Self::Endpoint { address, port } if address.contains(':') => {
                write!(f, "endpoint=[{address}]:{port}")
            }
            Self::Endpoint { address, port } => write!(f, "endpoint={address}:{port}"),
            Self::ControlPlane(c) => write!(f, "control-plane={c}"),
        }
    }
}

impl FromStr for Failure {
    type Err = ScenarioError;

    /// Parses `KIND=VALUE` (see [`FAILURE_KINDS`]).
    ///
    /// # Errors
    /// A [`ScenarioError`] at path `fail` naming the valid kinds, or the expected value form.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |m: String| ScenarioError::new("fail", m);
        let (kind, value) = s
            .split_once('=')
            .ok_or_else(|| bad(format!("{s:?} is not KIND=VALUE; kinds: {FAILURE_KINDS}")))?;
        if value.is_empty() {
            return Err(bad(format!("{s:?} has no value after {kind}=")));
        }
        let name = || value.to_string();
        Ok(match kind {
            "zone" => {
                let (region, zone) = value
                    .split_once('/')
                    .filter(|(r, z)| !r.is_empty() && !z.is_empty() && !z.contains('/'))
                    .ok_or_else(|| {
                        bad(format!(
                            "zone={value}: expected zone=REGION/ZONE (region and zone)"
                        ))
                    })?;
                Self::Zone {
                    region: region.into(),
                    zone: zone.into(),
                }
            }
            "region" if !value.contains('/') => Self::Region(name()),
            "region" => {
                return Err(bad(format!(
                    "region={value}: a region has no `/` (for a zone, write zone=REGION/ZONE)"
                )));
            }
            "cluster" => Self::Cluster(name()),
            "network" => Self::Network(name()),
            "gateway" => Self::Gateway(name()),
            "control-plane" => Self::ControlPlane(name()),
            "endpoint" => {
                let (address, port) = split_host_port(value).ok_or_else(|| {
                    bad(format!(
                        "endpoint={value}: expected endpoint=ADDRESS:PORT (IPv6 in brackets: [fd00::1]:8080)"
                    ))
                })?;
                Self::Endpoint { address, port }
            }
            _ => {
                return Err(bad(format!(
                    "unknown kind {kind:?}; kinds: {FAILURE_KINDS}"
                )));
            }
        })
    }
}

fn split_host_port(value: &str) -> Option<(String, u16)> {
    let (address, port) = if let Some(rest) = value.strip_prefix('[') {
        let (address, port) = rest.split_once("]:")?;
        (address, port)
    } else {
        let (address, port) = value.rsplit_once(':')?;
        if address.contains(':') {
            return None;
        }
        (address, port)
    };
    let port = port.parse::<u16>().ok()?;
    (!address.is_empty() && port != 0).then(|| (address.to_string(), port))
}

impl Failure {
    /// Whether a workload (or an Envoy host) at `locality`, `address:port` fails with this
    /// failure, for the kinds that name workloads by place or address (`None` for the others).
    fn hits_place(&self, locality: &Locality, address: &str, port: u16) -> Option<bool> {
        match self {
            Self::Zone { region, zone } => {
                Some(locality.region() == *region && locality.zone() == *zone)
            }
            Self::Region(region) => Some(locality.region() == *region),
            Self::Endpoint {
                address: a,
                port: p,
            } => Some(a == address && *p == port),
            _ => None,
        }
    }

    /// Whether this failure takes workload `w` down: its zone, region, cluster or address is
    /// lost (Kubernetes then marks it not ready; see the module docs).
    #[must_use]
    pub fn downs_workload(&self, w: &WorkloadSpec) -> bool {
        match self {
            Self::Cluster(name) => w.cluster == *name,
            _ => self.hits_place(&w.locality, &w.address, w.port) == Some(true),
        }
    }

    /// Whether this failure takes down the pods of `cluster` at `locality` (a client location):
    /// their cluster, zone or region is lost.
    #[must_use]
    pub fn downs_place(&self, cluster: &str, locality: &Locality) -> bool {
        match self {
            Self::Cluster(name) => cluster == name,
            Self::Zone { .. } | Self::Region(_) => self.hits_place(locality, "", 0) == Some(true),
            _ => false,
        }
    }

    /// Whether this failure stops the east-west gateway at `address` of network `network`.
    #[must_use]
    pub fn downs_gateway(&self, network: &str, address: &str) -> bool {
        match self {
            Self::Network(name) => name == network,
            Self::Gateway(a) => a == address,
            _ => false,
        }
    }
}

fn join<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let set: BTreeSet<&str> = names.into_iter().filter(|n| !n.is_empty()).collect();
    if set.is_empty() {
        return "none".into();
    }
    let all: Vec<&str> = set.into_iter().collect();
    let shown = all.iter().take(12).copied().collect::<Vec<_>>().join(", ");
    if all.len() > 12 {
        format!("{shown}, ...")
    } else {
        shown
    }
}

/// Marks a workload not ready (UNHEALTHY) unless it already is, or is DRAINING (already not
/// ready, and sent only for persistent sessions).
fn fail_health(health: &mut HealthStatus) -> bool {
    if matches!(health, HealthStatus::Unhealthy | HealthStatus::Draining) {
        return false;
    }
    *health = HealthStatus::Unhealthy;
    true
}

impl Scenario {
    /// The name of the control plane configuring the client's proxy: its own cluster when that
    /// is a primary, else the cluster or external control plane its `controlPlane` names.
    #[must_use]
    pub fn client_control_plane(&self) -> String {
        match self.cluster(&self.client.cluster) {
            Some(c) if self.is_primary(c) => c.name.clone(),
            Some(c) => c.control_plane.clone(),
            None => self.client.cluster.clone(),
        }
    }

    /// Moves the client to `namespace` in `cluster` (the CLI's `--from`), placed as the report
    /// places a client there: in the locality of that namespace's workloads in that cluster
    /// (the first one's, in scenario order, when they are in several), without labels (the
    /// scenario's client's were its own pod's). When no workload of that namespace runs
    /// there, the client keeps its locality, and the note says so. `locality`, when given (the
    /// CLI's `--locality`), places it instead. Returns what changed, for a note (`None`: the
    /// client is there already, nothing changes).
    pub fn move_client(
        &mut self,
        cluster: &str,
        namespace: &str,
        locality: Option<&Locality>,
    ) -> Option<String> {
        if self.client.cluster == cluster && self.client.namespace == namespace {
            return None;
        }
        let mut localities: Vec<&Locality> = Vec::new();
        let there =
            |w: &&super::model::WorkloadSpec| w.cluster == cluster && w.namespace() == namespace;
        for w in self.workloads.iter().filter(there) {
            if !localities.contains(&&w.locality) {
                localities.push(&w.locality);
            }
        }
        let old = &self.client;
        let mut note = if old.cluster.is_empty() {
            format!("the client is in {cluster}/{namespace}")
        } else {
            format!(
                "the client moves from {}/{} to {cluster}/{namespace}",
                old.cluster, old.namespace
            )
        };
        let locality = match localities.as_slice() {
            _ if locality.is_some() => {
                let given = locality.cloned().unwrap_or_default();
                note.push_str(&format!(", at the locality given, {given}"));
                given
            }
            [] if old.locality == Locality::default() => {
                note.push_str(&format!(
                    "; no workload of {namespace} runs in {cluster}, so its locality is unknown (set one with --locality)"
                ));
                Locality::default()
            }
            [] => {
                if old.locality != Locality::default() {
                    note.push_str(&format!(
                        "; no workload of {namespace} runs in {cluster}, so it keeps the locality \
                         {} (set one with --locality)",
                        old.locality
                    ));
                }
                old.locality.clone()
            }
            [only] => {
                note.push_str(&format!(", in its workloads' locality {only}"));
                (*only).clone()
            }
            [first, rest @ ..] => {
                let others: Vec<String> = rest.iter().map(ToString::to_string).collect();
                note.push_str(&format!(
                    ", in its first workload's locality {first} (others: {}; choose with \
                     --locality)",
                    others.join(", ")
                ));
                (*first).clone()
            }
        };
        if !old.labels.is_empty() {
            let labels: Vec<String> = old.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            note.push_str(&format!(
                "; the scenario client's labels ({}) stay behind",
                labels.join(", ")
            ));
        }
        self.client = super::model::ClientSpec {
            cluster: cluster.to_string(),
            namespace: namespace.to_string(),
            locality,
            labels: super::model::Labels::new(),
        };
        Some(note)
    }

    /// Applies `failures` (module docs: [`crate::mesh::failure`]) and returns one note per
    /// failure saying what it did.
    ///
    /// # Errors
    /// A failure naming something the scenario does not have (a zone no workload is in, an
    /// unknown cluster, ...), with the valid names; nothing is changed then.
    pub fn apply_failures(&mut self, failures: &[Failure]) -> Result<Vec<Note>, ScenarioError> {
        let err = |f: &Failure, m: String| ScenarioError::new("fail", format!("{f}: {m}"));
        let primaries: Vec<String> = self
            .clusters
            .iter()
            .filter(|c| self.is_primary(c))
            .map(|c| c.name.clone())
            .chain(self.external_control_planes.iter().map(|e| e.name.clone()))
            .collect();
        // Check every name first, so that an error leaves the scenario as it was.
        for f in failures {
            match f {
                Failure::Zone { .. } | Failure::Region(_) | Failure::Endpoint { .. } => {
                    let hit = self
                        .workloads
                        .iter()
                        .any(|w| f.hits_place(&w.locality, &w.address, w.port) == Some(true));
                    if !hit {
                        let valid = match f {
                            Failure::Zone { .. } => {
                                let zones: BTreeSet<String> = self
                                    .workloads
                                    .iter()
                                    .filter(|w| !w.locality.zone().is_empty())
                                    .map(|w| {
                                        format!("{}/{}", w.locality.region(), w.locality.zone())
                                    })
                                    .collect();
                                format!(
                                    "zones with workloads: {}",
                                    join(zones.iter().map(String::as_str))
                                )
                            }
                            Failure::Region(_) => format!(
                                "regions with workloads: {}",
                                join(self.workloads.iter().map(|w| w.locality.region()))
                            ),
                            _ => {
                                let eps: Vec<String> = self
                                    .workloads
                                    .iter()
                                    .map(|w| {
                                        Failure::Endpoint {
                                            address: w.address.clone(),
                                            port: w.port,
                                        }
                                        .to_string()
                                    })
                                    .collect();
                                format!(
                                    "workloads: {}",
                                    join(eps.iter().map(|e| e.trim_start_matches("endpoint=")))
                                )
                            }
                        };
                        return Err(err(f, format!("no workload matches; {valid}")));
                    }
                }
                Failure::Cluster(name) => {
                    if self.cluster(name).is_none() {
                        return Err(err(
                            f,
                            format!(
                                "no such cluster; clusters: {}",
                                join(self.clusters.iter().map(|c| c.name.as_str()))
                            ),
                        ));
                    }
                }
                Failure::Network(name) => {
                    let known = self.networks.iter().any(|n| &n.name == name)
                        || self.clusters.iter().any(|c| &c.network == name);
                    if !known {
                        return Err(err(
                            f,
                            format!(
                                "no such network; networks: {}",
                                join(
                                    self.networks
                                        .iter()
                                        .map(|n| n.name.as_str())
                                        .chain(self.clusters.iter().map(|c| c.network.as_str()))
                                )
                            ),
                        ));
                    }
                }
                Failure::Gateway(address) => {
                    let known = self
                        .networks
                        .iter()
                        .any(|n| n.gateways.iter().any(|g| &g.address == address));
                    if !known {
                        return Err(err(
                            f,
                            format!(
                                "no east-west gateway has this address; gateways: {}",
                                join(
                                    self.networks.iter().flat_map(|n| n
                                        .gateways
                                        .iter()
                                        .map(|g| g.address.as_str()))
                                )
                            ),
                        ));
                    }
                }
                Failure::ControlPlane(name) => {
                    if !primaries.contains(name) {
                        return Err(err(
                            f,
                            format!(
                                "no such control plane (a primary cluster or an external control plane); control planes: {}",
                                join(primaries.iter().map(String::as_str))
                            ),
                        ));
                    }
                }
            }
        }

        let mut notes = Vec::new();
        let own_cp = self.client_control_plane();
        // The client's control plane is down when named, or when its primary cluster fails.
        let cp_down = failures.iter().find(|f| match f {
            Failure::ControlPlane(name) => *name == own_cp,
            Failure::Cluster(name) => *name == own_cp,
            _ => false,
        });
        if let Some(down) = cp_down {
            let others: Vec<String> = failures
                .iter()
                .filter(|f| !matches!(f, Failure::ControlPlane(_)) && *f != down)
                .map(ToString::to_string)
                .collect();
            notes.push(Note::new(NoteCode::Failure, format!(
                "{down}: the client's control plane {own_cp} is down; its proxy keeps the configuration it last received and nothing new reaches it (Istio \"Deployment Models\": proxies keep serving with their last configuration)"
            )));
            if let Failure::Cluster(name) = down
                && *name == self.client.cluster
            {
                notes.push(Note::new(NoteCode::Failure, format!(
                    "{down}: the client's own cluster fails: its API server no longer answers, and a client pod on a failed node is itself down; meshlb shows what its proxy was configured with"
                )));
            }
            if others.is_empty() {
                notes.push(Note::new(NoteCode::Failure,
                    "the client keeps working on stale config: endpoints that appear or go from now on are not seen until its control plane is back",
                ));
            } else {
                notes.push(Note::new(NoteCode::Failure, format!(
                    "not seen by the client's configuration (its control plane is down): {}; the endpoints are explained as before the failure, and only Envoy's own outlier detection or active health checks, if configured, eject dead endpoints at run time",
                    others.join(", ")
                )));
            }
            return Ok(notes);
        }

        for f in failures {
            match f {
                Failure::Zone { .. } | Failure::Region(_) | Failure::Endpoint { .. } => {
                    let mut n = 0;
                    for w in &mut self.workloads {
                        if f.downs_workload(w) && fail_health(&mut w.health) {
                            n += 1;
                        }
                    }
                    notes.push(Note::new(NoteCode::Failure, format!(
                        "{f}: {n} workload{} marked not ready (UNHEALTHY): Kubernetes marks the pods of lost nodes not ready, and istiod sends or drops them per Istio {}'s rules",
                        if n == 1 { "" } else { "s" },
                        match self.istio_version {
                            super::IstioVersion::V1_30 => "1.30",
                            super::IstioVersion::V1_31 => "1.31",
                        }
                    )));
                }
                Failure::Cluster(name) => {
                    let mut n = 0;
                    for w in self.workloads.iter_mut().filter(|w| f.downs_workload(w)) {
                        if fail_health(&mut w.health) {
                            n += 1;
                        }
                    }
                    notes.push(Note::new(NoteCode::Failure, format!(
                        "{f}: {n} workload{} marked not ready (UNHEALTHY) and its API server stops answering; control planes watching it keep the endpoints they last read until Envoy's outlier detection ejects them, meshlb shows them not ready",
                        if n == 1 { "" } else { "s" }
                    )));
                    if *name == self.client.cluster {
                        notes.push(Note::new(NoteCode::Failure, format!(
                            "{f}: the client's own cluster fails: its API server no longer answers (nothing in it can change), and a client pod on a failed node is itself down; meshlb shows what its proxy is configured with"
                        )));
                    }
                    if primaries.contains(name) {
                        notes.push(Note::new(NoteCode::Failure, format!(
                            "{f}: its control plane goes down with it; the client is configured by {own_cp}, which reads the API servers itself, so its view changes only as described"
                        )));
                    }
                }
                Failure::Network(_) => {
                    let mut n = 0;
                    for net in &mut self.networks {
                        for g in net.gateways.iter_mut() {
                            if f.downs_gateway(&net.name, &g.address) {
                                n += usize::from(!g.failed);
                                g.failed = true;
                            }
                        }
                    }
                    notes.push(Note::new(NoteCode::Failure, if n == 0 {
                        format!("{f}: the network has no east-west gateway; its endpoints are sent directly, nothing changes")
                    } else {
                        format!(
                            "{f}: its {n} east-west gateway{} stop carrying traffic and are sent UNHEALTHY (not removed: istiod would then send the network's endpoints directly)",
                            if n == 1 { "" } else { "s" }
                        )
                    }));
                }
                Failure::Gateway(_) => {
                    for net in &mut self.networks {
                        for g in net.gateways.iter_mut() {
                            if f.downs_gateway(&net.name, &g.address) {
                                g.failed = true;
                            }
                        }
                    }
                    notes.push(Note::new(NoteCode::Failure, format!(
                        "{f}: the east-west gateway stops carrying traffic and is sent UNHEALTHY (not removed: istiod would then send its network's endpoints directly)"
                    )));
                }
                Failure::ControlPlane(name) => notes.push(Note::new(NoteCode::Failure, format!(
                    "{f}: the client is configured by {own_cp}, not {name}; each control plane reads the API servers itself, so the client's view does not change (proxies configured by {name} keep their last configuration)"
                ))),
            }
        }
        Ok(notes)
    }
}

/// Applies zone, region and endpoint failures to an Envoy assignment: the matching hosts
/// become UNHEALTHY, as an EDS update for not-ready pods would send them. Returns one note per
/// failure.
///
/// # Errors
/// A failure of another kind (cluster, network, gateway, control plane: they need a scenario's
/// topology), or one that matches no host.
pub fn fail_assignment(
    assignment: &mut LoadAssignment,
    failures: &[Failure],
) -> Result<Vec<Note>, ScenarioError> {
    let mut notes = Vec::new();
    for f in failures {
        if !matches!(
            f,
            Failure::Zone { .. } | Failure::Region(_) | Failure::Endpoint { .. }
        ) {
            return Err(ScenarioError::new(
                "fail",
                format!(
                    "{f}: applies to scenarios; Envoy input has no clusters, networks, gateways or control planes (zone, region and endpoint failures apply)"
                ),
            ));
        }
        let mut n = 0;
        for g in &mut assignment.localities {
            for e in &mut g.endpoints {
                if f.hits_place(&g.locality, &e.address, e.port) == Some(true) {
                    n += 1;
                    e.health = HealthStatus::Unhealthy;
                }
            }
        }
        if n == 0 {
            // What the failure could have named: the endpoints for an endpoint, else the
            // localities.
            let names: Vec<String> = match f {
                Failure::Endpoint { .. } => assignment
                    .localities
                    .iter()
                    .flat_map(|g| g.endpoints.iter())
                    .map(|e| format!("{}:{}", e.address, e.port))
                    .collect(),
                _ => assignment
                    .localities
                    .iter()
                    .map(|g| g.locality.to_string())
                    .collect(),
            };
            let what = if matches!(f, Failure::Endpoint { .. }) {
                "endpoints"
            } else {
                "localities"
            };
            return Err(ScenarioError::new(
                "fail",
                format!(
                    "{f}: no host matches; {what}: {}",
                    join(names.iter().map(String::as_str))
                ),
            ));
        }
        notes.push(Note::new(
            NoteCode::Failure,
            format!(
                "{f}: {n} host{} marked UNHEALTHY, as the control plane sends not-ready endpoints",
                if n == 1 { "" } else { "s" }
            ),
        ));
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind() {
        let ok = [
            ("region=r1", Failure::Region("r1".into())),
            ("cluster=c", Failure::Cluster("c".into())),
            ("network=n", Failure::Network("n".into())),
            ("gateway=192.0.2.1", Failure::Gateway("192.0.2.1".into())),
            ("control-plane=p", Failure::ControlPlane("p".into())),
            (
                "endpoint=10.0.0.1:80",
                Failure::Endpoint {
                    address: "10.0.0.1".into(),
                    port: 80,
                },
            ),
        ];
        for (s, f) in ok {
            assert_eq!(s.parse::<Failure>(), Ok(f.clone()), "{s}");
            assert_eq!(f.to_string(), s);
        }
        for bad in [
            "zone=r1",
            "zone=/z",
            "region=a/b",
            "endpoint=fd00::1:80",
            "endpoint=a:0",
            "node=x",
            "zone",
            "cluster=",
        ] {
            assert!(bad.parse::<Failure>().is_err(), "{bad}");
        }
        let e = "node=x".parse::<Failure>().unwrap_err();
        assert!(e.message.contains("control-plane=NAME"), "{e}");
    }
}
