//! Notes as values: what applied and why, each with a [`NoteCode`] for programs and a text for
//! people.
//!
//! Programs decide on the code, never on the wording: the playground marks failure notes by
//! [`NoteCode::Failure`], the mesh explanation leaves out the Envoy-level notes a scenario makes
//! moot by their codes, the Kubernetes import drops its "no client" note by code once a flag sets
//! the client. The explanation carries the codes beside the texts (`note_codes`, an added field
//! of shared/SCENARIO.md §3), so JSON readers can do the same.

use alloc::string::String;

/// One note: its code and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// What the note is about.
    pub code: NoteCode,
    /// The note for a person.
    pub text: String,
}

impl Note {
    /// A note of `code` saying `text`.
    #[must_use]
    pub fn new(code: NoteCode, text: impl Into<String>) -> Self {
        Self {
            code,
            text: text.into(),
        }
    }
}

impl core::fmt::Display for Note {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.text)
    }
}

/// What a note is about. The names (kebab-case, as in JSON) are part of the contract: new codes
/// may be added, none is renamed or reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum NoteCode {
    // --- Envoy's maths over one assignment (`Plan::explain`) ---
    /// The assignment has no endpoints at all.
    EmptyAssignment,
    /// `drop_overloads`: the router drops a share of requests before load balancing.
    DropOverload,
    /// Nothing can be picked: Envoy answers 503 "no healthy upstream".
    NoHealthyUpstream,
    /// Each priority's load, from its health and the overprovisioning factor.
    PriorityLoad,
    /// Priority 0 is not healthy enough: part of the load spills to lower priorities.
    SpillOver,
    /// DRAINING hosts are left out of the host counts.
    DrainingExcluded,
    /// Part of the load goes to degraded hosts.
    DegradedLoad,
    /// Every priority is in panic: load follows host counts.
    TotalPanic,
    /// No priority got load (availability rounds to 0, yet a priority is out of panic): Envoy's
    /// `choosePriority` sends every request to P0's healthy hosts.
    PriorityFallback,
    /// One priority is in panic: it balances over all its hosts.
    Panic,
    /// Locality-weighted load balancing is on.
    LocalityWeighted,
    /// Locality groups without a weight get nothing under locality-weighted load balancing.
    UnweightedLocality,
    /// Locality weights are sent but locality-weighted load balancing is off.
    LocalityWeightsIgnored,
    /// How the load-balancing policy spreads requests (EDF, P2C, random, hash tables).
    Policy,
    /// Requests whose hash lands on a priority with an empty table find no host.
    HashNoHost,
    /// Unhealthy endpoints get no traffic.
    UnhealthyEndpoints,

    // --- Istio's decisions (the mesh explanation) ---
    /// Which control plane configures the client, and whose Istio config it reads.
    ControlPlane,
    /// Whether and how the host resolves (Kubernetes DNS, Istio DNS proxying).
    Dns,
    /// exportTo and `Sidecar` imports: whether the client sees the host.
    Visibility,
    /// A DestinationRule applies.
    DestinationRule,
    /// A VirtualService's routes: which applies, its split, missing subsets.
    Route,
    /// Networks: a network without an east-west gateway is reached directly.
    Network,
    /// Endpoints of another mesh are included.
    MeshBoundary,
    /// The locality load-balancing setting in force (off, failover, failoverPriority,
    /// distribute).
    LocalitySetting,
    /// Istio's panic threshold in force.
    PanicThreshold,
    /// What a failure (`--fail`) changes.
    Failure,
    /// No endpoint can receive the request.
    NoEndpoint,

    // --- Reading the input ---
    /// A flag (`--from`, `--locality`, `--to`, `--path`, ...) set part of the scenario.
    Flag,
    /// The Kubernetes dump names no client: one was chosen, or a flag must set it.
    NoClient,
    /// The Kubernetes dump implies no request: one was chosen, or a flag must set it.
    NoRequest,
    /// What the Kubernetes import read, inferred or left out.
    Import,
    /// Part of the input was not read (an unknown kind of document, a resource type meshlb does
    /// not explain).
    NotRead,
    /// Where the endpoints were read from (a config dump's EDS, the cluster's load assignment).
    Source,
    /// Fields accepted but not modelled: read and checked, what they do not simulated.
    NotModelled,
    /// Fields meshlb does not model that can change Envoy's result.
    MayDiffer,
    /// Anything else the reader noticed about the input.
    Input,

    // --- A running proxy ---
    /// What active health checks found (`meshlb-proxy`).
    HealthCheck,
}
