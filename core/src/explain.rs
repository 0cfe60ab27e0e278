//! The explanation: one serialisable value saying where traffic goes and why.
//!
//! Its JSON form is the public contract of `meshlb explain --format json`, the wasm package and
//! the playground (shared/SCENARIO.md §3, `schema/explain.schema.json`). Fields may be added;
//! none is renamed or changes meaning.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::model::{Availability, HealthStatus, LbPolicy};
use crate::note::{Note, NoteCode};
use crate::plan::{HostId, Plan};

/// Overall outcome for the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Status {
    /// Requests reach endpoints.
    Routed,
    /// The client's cluster has no Service for the host and DNS proxying is off.
    DnsFailure,
    /// exportTo or a mesh boundary hides the host from the client's namespace.
    NotVisible,
    /// The host is in another mesh whose trust bundle the client's mesh has not imported.
    Untrusted,
    /// Nothing reachable: no endpoint, or no endpoint that can be picked.
    NoEndpoints,
    /// A VirtualService applies to the host but none of its HTTP routes matches the request:
    /// Envoy's route table answers 404 (`NR`).
    NoRoute,
    /// The client's `Sidecar` does not import the host: istiod builds no cluster for it; the
    /// outbound traffic policy decides where the request goes (a note says which).
    NotImported,
}

/// Which Istio locality load-balancing mode applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum LocalityLbMode {
    /// No locality preference (Envoy input, or Istio without a setting in force).
    Off,
    /// Priorities by region/zone/subzone match (`failover`).
    Failover,
    /// Priorities by label match (`failoverPriority`).
    FailoverPriority,
    /// Locality weights (`distribute`).
    Distribute,
}

/// Whether an endpoint is a workload or an east-west gateway standing for remote workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum EndpointKind {
    /// A workload endpoint.
    Workload,
    /// An east-west gateway.
    Gateway,
}

/// The client of a mesh scenario (absent for Envoy input).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ClientReport {
    /// Cluster.
    pub cluster: String,
    /// Namespace.
    pub namespace: String,
    /// Network.
    pub network: String,
    /// Locality string.
    pub locality: String,
    /// The control plane configuring the client's proxy.
    pub control_plane: String,
    /// The cluster whose API server holds the Istio config that control plane reads (added
    /// field): the primary's own cluster, or an external control plane's config cluster.
    #[cfg_attr(feature = "serde", serde(default))]
    pub config_cluster: String,
}

/// One priority's availability and load.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PriorityReport {
    /// The priority, 0 the highest.
    pub priority: u32,
    /// Health after the overprovisioning factor, percent.
    pub health: u32,
    /// Degraded availability after the overprovisioning factor, percent.
    pub degraded: u32,
    /// Percent of traffic to its healthy hosts.
    pub healthy_load: u32,
    /// Percent of traffic to its degraded hosts.
    pub degraded_load: u32,
    /// Whether it is in panic.
    pub panic: bool,
    /// The subset (Envoy cluster) this priority belongs to, when a route splits traffic.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub subset: Option<String>,
    /// Hosts in the priority (added field).
    pub hosts: u32,
    /// Healthy hosts (added field).
    pub healthy_hosts: u32,
    /// Degraded hosts (added field).
    pub degraded_hosts: u32,
}

/// One endpoint the client can send to, with its expected share.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EndpointReport {
    /// Address.
    pub address: String,
    /// Port.
    pub port: u16,
    /// Workload or gateway.
    pub kind: EndpointKind,
    /// Cluster it runs in (mesh scenarios).
    pub cluster: Option<String>,
    /// Network it is on (mesh scenarios).
    pub network: Option<String>,
    /// Locality string.
    pub locality: String,
    /// Priority.
    pub priority: u32,
    /// Load-balancing weight.
    pub weight: u32,
    /// Health status.
    pub health: HealthStatus,
    /// Subset (mesh scenarios with routes).
    pub subset: Option<String>,
    /// For gateways: the `address:port` of the endpoints it stands for.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub behind: Vec<String>,
    /// For gateways: each endpoint it stands for, with its part of the gateway's weight and of
    /// its share (added field; [`BehindEndpoint`]).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub behind_endpoints: Vec<BehindEndpoint>,
    /// Expected fraction of the client's requests.
    pub share: f64,
}

/// One endpoint an east-west gateway stands for.
///
/// istiod gives a gateway endpoint the weight of what stands behind it: each remote endpoint's
/// weight (scaled by the mesh's gateway scale factor) divided over the gateways of its network
/// that may carry it (`EndpointsByNetworkFilter`, istio/istio
/// `pilot/pkg/xds/endpoints/ep_filters.go`). `weight` is this endpoint's part of the gateway's
/// weight. The gateway's own proxy then balances the requests it receives over these
/// endpoints; meshlb takes that split to be by the same weights (it does not model the
/// gateway's own locality preferences), so `share` is the gateway's share × `weight` / the
/// gateway's weight.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BehindEndpoint {
    /// Address (empty for a WorkloadEntry without one).
    pub address: String,
    /// Port.
    pub port: u16,
    /// Cluster it runs in.
    pub cluster: String,
    /// Network it is on.
    pub network: String,
    /// Locality string.
    pub locality: String,
    /// Its part of the gateway's weight.
    pub weight: u64,
    /// Expected fraction of the client's requests that reach it through this gateway.
    pub share: f64,
}

/// Why an endpoint is not sent to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum DropReason {
    /// The control plane does not watch the endpoint's cluster.
    NoRemoteSecret,
    /// The host is cluster-local and the endpoint is in another cluster.
    ClusterLocal,
    /// A proxyless workload on another network.
    ProxylessCrossNetwork,
    /// The endpoint belongs to another mesh.
    OtherMesh,
    /// The endpoint's mesh is not trusted.
    UntrustedMesh,
    /// Not in the destination subset.
    NotInSubset,
    /// Not exported to the client's namespace.
    NotExported,
    /// Left out by a `distribute` rule.
    NotDistributed,
    /// A not-ready pod istiod does not send.
    NotReady,
    /// A terminating pod.
    Terminating,
    /// A WorkloadEntry or ServiceEntry endpoint without an address that no east-west gateway
    /// can carry (it is reachable only through its network's gateway).
    NoAddress,
}

/// An endpoint the client cannot use, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DroppedEndpoint {
    /// Address.
    pub address: String,
    /// Port.
    pub port: u16,
    /// Cluster.
    pub cluster: Option<String>,
    /// Reason code.
    pub reason: DropReason,
    /// A sentence for a person.
    pub message: String,
}

/// One weighted destination of a route.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RouteReport {
    /// Subset name.
    pub subset: Option<String>,
    /// Route weight.
    pub weight: u32,
}

/// An Istio resource that applied to the request (added output): which one, and the cluster
/// whose API server held it (the client's config cluster).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ConfigRef {
    /// `metadata.namespace`.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// The cluster holding it (the config cluster of the client's control plane).
    pub cluster: String,
    /// Where the scenario holds it: `config[I].resources[J]`.
    pub path: String,
}

/// Where the locality load-balancing setting in force came from (Istio's
/// `GetEffectiveLbSetting`, `pilot/pkg/networking/core/loadbalancer/loadbalancer.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum LocalitySettingSource {
    /// The DestinationRule's `trafficPolicy.loadBalancer.localityLbSetting` (its port or
    /// subset policy included).
    DestinationRule,
    /// The Service's `trafficDistribution`, which Istio turns into a `failoverPriority`.
    TrafficDistribution,
    /// The MeshConfig `localityLbSetting` of the client's control plane.
    MeshConfig,
    /// Istio's default MeshConfig, `localityLbSetting: {enabled: true}`.
    Default,
}

/// One `failover` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FailoverReport {
    /// Client region.
    pub from: String,
    /// Region to fail over to.
    pub to: String,
}

/// One `distribute` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DistributeReport {
    /// Client locality pattern.
    pub from: String,
    /// Target locality patterns and their weight percent, in the order written.
    pub to: Vec<DistributeTarget>,
}

/// One target of a `distribute` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DistributeTarget {
    /// Locality pattern.
    pub locality: String,
    /// Weight, percent.
    pub weight: u32,
}

/// The locality load-balancing setting in force for one route destination, and where it came
/// from (added output).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LocalitySettingReport {
    /// The destination's subset, when the route names one.
    pub subset: Option<String>,
    /// Where the setting came from.
    pub source: LocalitySettingSource,
    /// The same for a person: `DestinationRule NS/NAME`, `MeshConfig localityLbSetting`, ...
    pub from: String,
    /// `enabled` (unset is true).
    pub enabled: bool,
    /// `failover` rules.
    pub failover: Vec<FailoverReport>,
    /// `failoverPriority` entries.
    pub failover_priority: Vec<String>,
    /// `distribute` rules.
    pub distribute: Vec<DistributeReport>,
    /// Whether the destination's traffic policy has `outlierDetection` (Istio sets failover
    /// priorities only with it, unless `trafficDistribution` forces them).
    pub outlier_detection: bool,
}

/// Where the client's traffic goes and why (shared/SCENARIO.md §3).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Explanation {
    /// Overall outcome.
    pub status: Status,
    /// One line for a person.
    pub message: String,
    /// The client (mesh scenarios).
    pub client: Option<ClientReport>,
    /// The requested host (mesh scenarios).
    pub host: Option<String>,
    /// The load-balancing policy.
    pub lb_policy: LbPolicy,
    /// The Istio locality load-balancing mode.
    pub locality_lb: LocalityLbMode,
    /// Per priority.
    pub priorities: Vec<PriorityReport>,
    /// Endpoints the client can send to, by priority, then locality, in input order.
    pub endpoints: Vec<EndpointReport>,
    /// Endpoints the client cannot use.
    pub dropped: Vec<DroppedEndpoint>,
    /// What applied and why.
    pub notes: Vec<String>,
    /// A route's split over subsets.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub routes: Option<Vec<RouteReport>>,
    /// Envoy's overprovisioning factor in force, percent (added field).
    pub overprovisioning_factor: u32,
    /// The healthy panic threshold in force, percent (added field).
    pub panic_threshold: u32,
    /// Whether Envoy's locality-weighted LB is on (added field).
    pub locality_weighted: bool,
    /// `min(100, Σ health + degraded)` (added field).
    pub normalized_total_availability: u32,
    /// Whether every priority is in panic (added field).
    pub total_panic: bool,
    /// The fraction of requests Envoy drops before picking a host (`policy.drop_overloads`;
    /// added field): endpoint shares then sum to `1 - drop_overload`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub drop_overload: f64,
    /// The DestinationRule that applied (mesh scenarios; added field).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub destination_rule: Option<ConfigRef>,
    /// The VirtualService that applied (mesh scenarios; added field).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub virtual_service: Option<ConfigRef>,
    /// The locality setting in force, one per route destination (mesh scenarios whose request
    /// reached a cluster; added field).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub locality_settings: Vec<LocalitySettingReport>,
    /// The scenario's topology with its defaults applied (mesh scenarios; added field): what
    /// the playground draws the shares on.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub topology: Option<crate::mesh::Topology>,
    /// The code of each note, in the order of `notes` (added field): programs decide on these,
    /// never on the notes' wording. Use [`Explanation::push_note`] to keep the two in step.
    #[cfg_attr(feature = "serde", serde(default))]
    pub note_codes: Vec<NoteCode>,
}

/// One Envoy cluster of a file holding several, as `meshlb explain` lists them (added output,
/// `schema/clusters.schema.json`): what `istioctl proxy-config cluster` shows, plus what meshlb
/// can say of its endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ClusterRow {
    /// The cluster's name (`--cluster` takes it).
    pub name: String,
    /// Where the file holds it (`dynamic_active_clusters`, `static_resources.clusters`, ...).
    pub source: String,
    /// Discovery type (`EDS`, `STATIC`, `STRICT_DNS`, `LOGICAL_DNS`, `ORIGINAL_DST`), absent for
    /// an assignment without its cluster.
    pub discovery_type: Option<String>,
    /// The load-balancing policy as configured (`ROUND_ROBIN`, `CLUSTER_PROVIDED`, ...).
    pub lb_policy: String,
    /// Endpoints in the file (absent when the file holds none for the cluster).
    pub endpoints: Option<u32>,
    /// Healthy endpoints (absent with `endpoints`).
    pub healthy: Option<u32>,
    /// Distinct localities.
    pub localities: u32,
    /// Priorities.
    pub priorities: u32,
    /// Why the cluster cannot be explained, when it cannot.
    pub unexplained: Option<String>,
}

impl Explanation {
    /// Adds a note: its text to `notes`, its code to `note_codes`.
    pub fn push_note(&mut self, note: Note) {
        self.note_codes.push(note.code);
        self.notes.push(note.text);
    }

    /// Adds notes in order, as [`Explanation::push_note`].
    pub fn extend_notes<I: IntoIterator<Item = Note>>(&mut self, notes: I) {
        for note in notes {
            self.push_note(note);
        }
    }

    /// Each note with its code; `None` for a note without one (JSON written before codes).
    pub fn coded_notes(&self) -> impl Iterator<Item = (Option<NoteCode>, &str)> {
        self.notes
            .iter()
            .enumerate()
            .map(|(i, text)| (self.note_codes.get(i).copied(), text.as_str()))
    }

    /// The texts of the notes of one code.
    pub fn notes_of(&self, code: NoteCode) -> impl Iterator<Item = &str> {
        self.coded_notes()
            .filter(move |(c, _)| *c == Some(code))
            .map(|(_, text)| text)
    }

    /// Sum of all endpoint shares.
    #[must_use]
    pub fn total_share(&self) -> f64 {
        self.endpoints.iter().map(|e| e.share).sum()
    }
}

fn percent(x: f64) -> String {
    let p = x * 100.0;
    let rounded = libm::round(p * 10.0) / 10.0;
    if rounded == libm::round(rounded) {
        format!("{}%", rounded as i64)
    } else {
        format!("{rounded}%")
    }
}

/// Parts per million as a percentage, exactly (`350` is `0.035`; `1_000_000` is `100`): the
/// integer's decimal digits, where `ppm as f64 / 10_000.0` printed `0.034999999999999996`.
fn percent_of_ppm(ppm: u32) -> String {
    let (whole, part) = (ppm / 10_000, ppm % 10_000);
    if part == 0 {
        return format!("{whole}");
    }
    let digits = format!("{part:04}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

impl Plan {
    /// Explains the plan: priorities with their load, every endpoint with its share, notes on
    /// spill-over, panic, locality weighting and the policy. For Envoy input `client`, `host`,
    /// `cluster`, `network` and `subset` are absent.
    #[must_use]
    pub fn explain(&self) -> Explanation {
        let drop = self.drop_overload();
        let mut shares = self.shares();
        let routable: f64 = shares.iter().sum();
        if drop > 0.0 {
            for share in &mut shares {
                *share *= 1.0 - drop;
            }
        }
        let config = self.config();
        let priorities: Vec<PriorityReport> = self
            .priorities()
            .iter()
            .map(|s| PriorityReport {
                priority: s.priority,
                health: s.health,
                degraded: s.degraded,
                healthy_load: s.healthy_load,
                degraded_load: s.degraded_load,
                panic: s.panic,
                subset: None,
                hosts: s.counts.total,
                healthy_hosts: s.counts.healthy,
                degraded_hosts: s.counts.degraded,
            })
            .collect();
        let endpoints: Vec<EndpointReport> = self
            .hosts()
            .zip(&shares)
            .map(|(host, &share)| EndpointReport {
                address: host.address().into(),
                port: host.port(),
                kind: EndpointKind::Workload,
                cluster: None,
                network: None,
                locality: self.localities()[host.locality() as usize]
                    .locality
                    .to_string(),
                priority: host.priority(),
                weight: host.weight(),
                health: host.health(),
                subset: None,
                behind: Vec::new(),
                behind_endpoints: Vec::new(),
                share,
            })
            .collect();
        let receiving = shares.iter().filter(|&&s| s > 0.0).count();
        let status = if routable > 0.0 {
            Status::Routed
        } else {
            Status::NoEndpoints
        };
        // Localities holding endpoints, each once (a group without endpoints, or one
        // locality at two priorities, counted once or not at all).
        let mut names: Vec<String> = self
            .localities()
            .iter()
            .filter(|l| !l.hosts.is_empty())
            .map(|l| l.locality.to_string())
            .collect();
        names.sort_unstable();
        names.dedup();
        let localities = names.len();
        let message = format!(
            "{} endpoint{} in {} localit{} at {} priorit{}; {} receive traffic",
            endpoints.len(),
            if endpoints.len() == 1 { "" } else { "s" },
            localities,
            if localities == 1 { "y" } else { "ies" },
            priorities.len(),
            if priorities.len() == 1 { "y" } else { "ies" },
            receiving
        );
        let mut explanation = Explanation {
            status,
            message,
            client: None,
            host: None,
            lb_policy: config.policy,
            locality_lb: LocalityLbMode::Off,
            priorities,
            endpoints,
            dropped: Vec::new(),
            notes: Vec::new(),
            routes: None,
            overprovisioning_factor: self.overprovisioning_factor(),
            panic_threshold: self.panic_threshold(),
            locality_weighted: config.locality_weighted,
            normalized_total_availability: self.normalized_total_availability(),
            total_panic: self.total_panic(),
            drop_overload: drop,
            destination_rule: None,
            virtual_service: None,
            locality_settings: Vec::new(),
            topology: None,
            note_codes: Vec::new(),
        };
        explanation.extend_notes(self.notes(routable));
        explanation
    }

    /// Notes: what applied and why, in the order a person reads them.
    pub(crate) fn notes(&self, routable: f64) -> Vec<Note> {
        let mut notes = Vec::new();
        let config = self.config();
        let priorities = self.priorities();
        if self.host_count() == 0 {
            notes.push(Note::new(
                NoteCode::EmptyAssignment,
                "the assignment has no endpoints: Envoy answers 503 \"no healthy upstream\"",
            ));
            return notes;
        }
        if self.drop_overload() > 0.0 {
            notes.push(Note::new(NoteCode::DropOverload, format!(
                "drop_overloads: Envoy's router drops {}% of requests ({} per million; 503 \"drop overload\") before it asks the load balancer; the shares are of all requests",
                percent_of_ppm(self.drop_overload_ppm()),
                self.drop_overload_ppm()
            )));
        }
        if routable == 0.0 {
            notes.push(Note::new(NoteCode::NoHealthyUpstream, format!(
                "no endpoint can be picked: nothing is healthy or degraded{}, so Envoy answers 503 \"no healthy upstream\"",
                if self.panic_threshold() == 0 { " and panic is disabled (threshold 0)" } else { "" }
            )));
        }
        let nta = self.normalized_total_availability();
        if priorities.len() > 1 || nta < 100 {
            let loads: Vec<String> = priorities
                .iter()
                .map(|s| {
                    if s.degraded_load > 0 {
                        format!(
                            "P{} {}% (+{}% degraded)",
                            s.priority, s.healthy_load, s.degraded_load
                        )
                    } else {
                        format!("P{} {}%", s.priority, s.healthy_load)
                    }
                })
                .collect();
            notes.push(Note::new(NoteCode::PriorityLoad, format!(
                "priority load {} from health {} with overprovisioning factor {}% (normalized total availability {}%)",
                loads.join(", "),
                priorities.iter().map(|s| format!("{}%", s.health)).collect::<Vec<_>>().join("/"),
                self.overprovisioning_factor(),
                nta
            )));
        }
        if let Some(first) = priorities.first() {
            let spilled: u32 = priorities.iter().skip(1).map(|s| s.load()).sum();
            if spilled > 0 && !self.total_panic() {
                notes.push(Note::new(NoteCode::SpillOver, format!(
                    "spill-over: P0 has {} of {} hosts healthy{} (health {}% after the {}% overprovisioning factor), so {}% of requests go to lower priorities",
                    first.counts.healthy,
                    first.counts.considered(),
                    if first.counts.degraded > 0 { format!(" and {} degraded", first.counts.degraded) } else { String::new() },
                    first.health,
                    self.overprovisioning_factor(),
                    spilled
                )));
            }
        }
        let excluded: u32 = priorities.iter().map(|s| s.counts.excluded).sum();
        if excluded > 0 {
            notes.push(Note::new(NoteCode::DrainingExcluded, format!(
                "{excluded} DRAINING host(s) are excluded: Envoy leaves them out of the host counts priority health, panic and locality weights are computed from, and picks them only in panic"
            )));
        }
        let degraded: u32 = priorities.iter().map(|s| s.degraded_load).sum();
        if degraded > 0 {
            notes.push(Note::new(
                NoteCode::DegradedLoad,
                format!(
                    "{degraded}% of requests go to degraded hosts: healthy capacity alone is short"
                ),
            ));
        }
        if self.priority_fallback() {
            notes.push(Note::new(NoteCode::PriorityFallback, format!(
                "no priority gets load: every priority's health rounds to 0% after the {}% overprovisioning factor{}, yet not every priority is below the {}% panic threshold by host count, so Envoy distributes no load and its priority choice falls back to P0's healthy hosts for every request (\"unexpected load error\")",
                self.overprovisioning_factor(),
                if self.weighted_priority_health() { " (weighted by host weight)" } else { "" },
                self.panic_threshold()
            )));
        }
        if self.total_panic() {
            notes.push(Note::new(NoteCode::TotalPanic, format!(
                "total panic: every priority is below the {}% panic threshold, so load follows host counts and each priority balances over all its hosts, healthy or not",
                self.panic_threshold()
            )));
        } else {
            // A priority without hosts is in panic by Envoy's count (0 % available) but gets
            // no load and has no host to serve: nothing to say of it.
            for s in priorities
                .iter()
                .filter(|s| s.panic && s.counts.considered() > 0)
            {
                notes.push(Note::new(NoteCode::Panic, format!(
                    "P{} is in panic: {} of {} hosts available, below the {}% panic threshold, so its {}% of traffic goes to all its hosts, healthy or not",
                    s.priority,
                    s.counts.healthy + s.counts.degraded,
                    s.counts.considered(),
                    self.panic_threshold(),
                    s.load()
                )));
            }
        }
        if config.locality_weighted {
            let unweighted = self.localities().iter().filter(|l| l.weight == 0).count();
            notes.push(Note::new(NoteCode::LocalityWeighted, format!(
                "locality-weighted LB is on: each priority picks a locality by load_balancing_weight × min(1, {}% × available/hosts), then a host in it",
                self.overprovisioning_factor()
            )));
            if unweighted > 0 {
                notes.push(Note::new(NoteCode::UnweightedLocality, format!(
                    "{unweighted} locality group(s) have no load_balancing_weight and get no traffic under locality-weighted LB"
                )));
            }
        } else if self.localities().iter().any(|l| l.weight > 0) && self.localities().len() > 1 {
            notes.push(Note::new(NoteCode::LocalityWeightsIgnored,
                "locality weights are ignored: the cluster has no locality_weighted_lb_config, so each priority's hosts are balanced as one set",
            ));
        }
        match config.policy {
            LbPolicy::RoundRobin => {
                // Envoy schedules each host list (a priority, or a locality with locality-weighted
                // LB) on its own: EDF only where that list's weights differ.
                let unequal = |range: &core::ops::Range<u32>| {
                    let hosts = &self.records()[range.start as usize..range.end as usize];
                    hosts.iter().any(|h| h.weight != hosts[0].weight)
                };
                let weighted = if config.locality_weighted {
                    self.localities().iter().any(|l| unequal(&l.hosts))
                } else {
                    priorities.iter().any(|p| unequal(&p.hosts))
                };
                if weighted {
                    notes.push(Note::new(NoteCode::Policy, "ROUND_ROBIN with unequal weights: weighted round robin (EDF), shares follow weights"));
                }
            }
            LbPolicy::LeastRequest => notes.push(Note::new(NoteCode::Policy, format!(
                "LEAST_REQUEST: power of {} choices; shares are those at equal load (they follow weights)",
                config.least_request.choice_count
            ))),
            LbPolicy::Random => {
                notes.push(Note::new(NoteCode::Policy, "RANDOM ignores endpoint weights, as Envoy's random load balancer does"));
            }
            LbPolicy::RingHash | LbPolicy::Maglev => {
                let sizes: Vec<String> = (0..priorities.len())
                    .filter_map(|p| self.table(p).map(|t| format!("P{p} {}", t.len())))
                    .collect();
                notes.push(Note::new(NoteCode::Policy, format!(
                    "{}: shares are the fraction of the {} each endpoint owns, for uniformly spread request keys ({} entries)",
                    config.policy,
                    if config.policy == LbPolicy::RingHash { "hash ring" } else { "Maglev table" },
                    sizes.join(", ")
                )));
                if routable > 0.0 && routable < 1.0 - 1e-9 {
                    notes.push(Note::new(NoteCode::HashNoHost, format!(
                        "{} of requests find no host (503): hash tables hold only healthy hosts, and that load falls on a priority whose table is empty",
                        percent(1.0 - routable)
                    )));
                }
            }
        }
        let unavailable = self
            .records()
            .iter()
            .filter(|h| h.availability() == Availability::Unavailable)
            .count();
        if unavailable > 0 && !priorities.iter().any(|s| s.panic) {
            notes.push(Note::new(
                NoteCode::UnhealthyEndpoints,
                format!("{unavailable} unhealthy endpoint(s) get no traffic"),
            ));
        }
        notes
    }

    /// The share of one host, by address; see [`Plan::share`].
    #[must_use]
    pub fn share_of(&self, address: &str, port: u16) -> Option<f64> {
        self.find(address, port).map(|id: HostId| self.share(id))
    }
}

#[cfg(test)]
mod tests {
    use super::percent_of_ppm;

    /// A million parts are 100 %, so a part per million is 0.0001 % and the percentage is the
    /// count with its decimal point four places in.
    #[test]
    fn parts_per_million_print_as_exact_percentages() {
        assert_eq!(percent_of_ppm(350), "0.035");
        assert_eq!(percent_of_ppm(1), "0.0001");
        assert_eq!(percent_of_ppm(123_456), "12.3456");
        assert_eq!(percent_of_ppm(500_000), "50");
        assert_eq!(percent_of_ppm(1_000_000), "100");
    }
}
