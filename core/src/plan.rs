//! The plan: Envoy's per-priority load, panic and locality arithmetic, built once.
//!
//! A [`Plan`] holds everything a load balancer derives from a cluster's endpoints before the first
//! request: each priority's health and degraded availability after the overprovisioning factor,
//! the healthy and degraded load per priority (spill-over), panic, the effective locality weights
//! and, for hash policies, the ring or table of each priority. From these it answers each
//! endpoint's expected share of traffic in O(1).
//!
//! The arithmetic is Envoy's, integer where Envoy's is integer:
//! - priority health and load: envoy
//!   `source/extensions/load_balancing_policies/common/load_balancer_impl.cc`,
//!   `LoadBalancerBase::recalculatePerPriorityState` and `distributeLoad`; docs
//!   `intro/arch_overview/upstream/load_balancing/priority`, `.../overprovisioning`,
//!   `.../degraded`;
//! - panic: the same file, `recalculatePerPriorityPanic`, `isHostSetInPanic`,
//!   `recalculateLoadInTotalPanic`; docs `.../load_balancing/panic_threshold`;
//! - locality weights: `source/extensions/load_balancing_policies/common/locality_wrr.cc`,
//!   `LocalityWrr::effectiveLocalityWeight`; docs `.../load_balancing/locality_weight`.
//!
//! A plan is immutable while it is shared; [`Plan::update`] changes the health and weight of a
//! batch of endpoints in place with one recomputation (O(priorities + localities of the
//! priorities touched), no allocation for the non-hash policies) and gives the same plan a
//! rebuild would; [`Plan::set_health`] and [`Plan::set_weight`] are batches of one.
//!
//! Each plan carries an identity ([`Plan::identity`]): a digest of what it was built from,
//! chained through every update. Pickers compare it with the identity they were built for and
//! resynchronise when it differs, so a picker handed another plan (or a plan rebuilt after an
//! endpoint was added) never picks from stale host lists.

use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

use crate::error::PlanError;
use crate::hash::{HashTable, Lookup, MaglevKeys, RingKeys};
use crate::model::{
    Availability, Endpoint, HealthStatus, LbConfig, LbPolicy, LoadAssignment, Locality,
    LocalityEndpoints, MAX_MAGLEV_TABLE_SIZE, MAX_PRIORITY, MAX_RING_SIZE,
};

/// Largest least-request `choice_count` meshlb plans with. Envoy's proto only requires `>= 2`,
/// but each pick draws that many samples: past the host count more choices add nothing, and a
/// value near `u32::MAX` would stall every pick.
pub const MAX_CHOICE_COUNT: u32 = 1000;

/// Most endpoints one plan takes. Host indices are `u32`; the limit keeps hash tables, which
/// grow with the endpoint count, within a few hundred MiB.
pub const MAX_ENDPOINTS: usize = 1 << 22;

/// Most bytes the endpoint addresses of one plan may hold together: a plan keeps them in one
/// buffer, each host's end in a `u32`. Far above what [`MAX_ENDPOINTS`] real addresses need
/// (a host name is at most 253 bytes: 1 GiB).
pub const MAX_ADDRESS_BYTES: usize = u32::MAX as usize;

/// An endpoint's index in a [`Plan`]: endpoints are numbered by priority, then by locality group
/// and endpoint in input order.
///
/// Held as the index plus one in a `NonZeroU32`, so that `Option<HostId>`, what a pick
/// returns, is four bytes in one register (a tag and an index would be two halves of eight,
/// which a caller storing and reloading the answer pays for).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostId(core::num::NonZeroU32);

impl HostId {
    /// The id of host index `index` (below [`MAX_ENDPOINTS`], so `index + 1` fits).
    #[inline(always)]
    pub(crate) const fn new(index: u32) -> Self {
        match Self::checked(index) {
            Some(id) => id,
            None => Self(core::num::NonZeroU32::MAX),
        }
    }

    /// The id of host index `index`, `None` for `u32::MAX` (never a host index, as `index + 1`
    /// does not fit): the pick's answer with no branch, `Option<HostId>` being `index + 1`
    /// (0 for `None`), where [`HostId::new`]'s saturation made the answer a compare and two
    /// selects more.
    #[inline(always)]
    pub(crate) const fn checked(index: u32) -> Option<Self> {
        match core::num::NonZeroU32::new(index.wrapping_add(1)) {
            Some(n) => Some(Self(n)),
            None => None,
        }
    }

    /// The index as a `u32`.
    #[inline(always)]
    pub(crate) const fn get(self) -> u32 {
        self.0.get() - 1
    }

    /// The index, `0 .. plan.hosts().len()`.
    #[must_use]
    #[inline(always)]
    pub const fn index(self) -> usize {
        self.get() as usize
    }
}

impl core::fmt::Debug for HostId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("HostId").field(&self.get()).finish()
    }
}

/// One endpoint as the plan stores it: 16 bytes. Its address is a range of the plan's
/// address buffer, ending at `address_end` and starting where the previous host's ends; its
/// priority and its place in the input follow from its locality group.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Record {
    /// End of its address in [`Plan`]'s `addresses`.
    address_end: u32,
    /// `load_balancing_weight`.
    pub(crate) weight: u32,
    /// Index of its locality group in [`Plan::localities`].
    pub(crate) locality: u32,
    /// `socket_address.port_value`.
    pub(crate) port: u16,
    /// `health_status`.
    pub(crate) health: HealthStatus,
}

impl Record {
    /// How the load balancer treats the host's health.
    #[inline]
    pub(crate) fn availability(&self) -> Availability {
        self.health.availability()
    }
}

/// One endpoint of a [`Plan`]: a view of the plan's compact storage (16 bytes an endpoint
/// and its address), got from [`Plan::host`] or [`Plan::hosts`].
#[derive(Clone, Copy)]
pub struct Host<'a> {
    plan: &'a Plan,
    index: u32,
}

impl<'a> Host<'a> {
    #[inline]
    fn record(self) -> &'a Record {
        &self.plan.hosts[self.index as usize]
    }

    #[inline]
    fn group(self) -> &'a LocalityGroup {
        &self.plan.localities[self.record().locality as usize]
    }

    /// Its id.
    #[must_use]
    pub fn id(self) -> HostId {
        HostId::new(self.index)
    }

    /// IP address (or host name) of `socket_address.address`.
    #[must_use]
    pub fn address(self) -> &'a str {
        self.plan.address(self.index as usize)
    }

    /// `socket_address.port_value` (0 for an address that is not a socket address).
    #[must_use]
    pub fn port(self) -> u16 {
        self.record().port
    }

    /// `load_balancing_weight`, as last updated.
    #[must_use]
    pub fn weight(self) -> u32 {
        self.record().weight
    }

    /// `health_status`, as last updated.
    #[must_use]
    pub fn health(self) -> HealthStatus {
        self.record().health
    }

    /// How the load balancer treats the host's health.
    #[must_use]
    pub fn availability(self) -> Availability {
        self.record().availability()
    }

    /// Its priority.
    #[must_use]
    pub fn priority(self) -> u32 {
        self.group().priority
    }

    /// Index of its locality group in [`Plan::localities`].
    #[must_use]
    pub fn locality(self) -> u32 {
        self.record().locality
    }

    /// Where it came from: (locality group, endpoint) indices of the input assignment.
    #[must_use]
    pub fn origin(self) -> (u32, u32) {
        self.plan.origin(self.index as usize)
    }

    /// The endpoint, as the input gave it with the updates since applied.
    #[must_use]
    pub fn endpoint(self) -> Endpoint {
        let record = self.record();
        Endpoint {
            address: self.address().into(),
            port: record.port,
            weight: record.weight,
            health: record.health,
        }
    }
}

impl core::fmt::Debug for Host<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Host")
            .field("id", &self.index)
            .field("address", &self.address())
            .field("port", &self.port())
            .field("weight", &self.weight())
            .field("health", &self.health())
            .field("priority", &self.priority())
            .field("locality", &self.locality())
            .finish()
    }
}

/// Two hosts are equal when they hold the same id, endpoint (address, port, weight, health),
/// priority, locality group and origin, in whichever plans.
impl PartialEq for Host<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index
            && self.address() == other.address()
            && (self.port(), self.weight(), self.health(), self.locality())
                == (
                    other.port(),
                    other.weight(),
                    other.health(),
                    other.locality(),
                )
            && self.priority() == other.priority()
            && self.origin() == other.origin()
    }
}

impl Eq for Host<'_> {}

/// Every host of a [`Plan`] in [`HostId`] order ([`Plan::hosts`]).
#[derive(Debug, Clone)]
pub struct Hosts<'a> {
    plan: &'a Plan,
    range: Range<u32>,
}

impl<'a> Iterator for Hosts<'a> {
    type Item = Host<'a>;

    #[inline]
    fn next(&mut self) -> Option<Host<'a>> {
        let index = self.range.next()?;
        Some(Host {
            plan: self.plan,
            index,
        })
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.range.size_hint()
    }

    #[inline]
    fn count(self) -> usize {
        self.range.len()
    }

    #[inline]
    fn last(mut self) -> Option<Host<'a>> {
        self.next_back()
    }

    #[inline]
    fn nth(&mut self, n: usize) -> Option<Host<'a>> {
        let index = self.range.nth(n)?;
        Some(Host {
            plan: self.plan,
            index,
        })
    }
}

impl DoubleEndedIterator for Hosts<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        let index = self.range.next_back()?;
        Some(Host {
            plan: self.plan,
            index,
        })
    }
}

impl ExactSizeIterator for Hosts<'_> {}

impl core::iter::FusedIterator for Hosts<'_> {}

/// Host counts and weight sums of a set of hosts, by availability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// All hosts.
    pub total: u32,
    /// Healthy hosts (`HEALTHY`, `UNKNOWN`).
    pub healthy: u32,
    /// Degraded hosts.
    pub degraded: u32,
    /// Sum of all weights.
    pub total_weight: u64,
    /// Sum of healthy hosts' weights.
    pub healthy_weight: u64,
    /// Sum of degraded hosts' weights.
    pub degraded_weight: u64,
    /// Hosts Envoy excludes from the counts health is computed from (`DRAINING`; see
    /// [`HealthStatus::is_excluded`]).
    pub excluded: u32,
    /// Sum of excluded hosts' weights.
    pub excluded_weight: u64,
}

impl Counts {
    /// Hosts that count for health, panic and locality weights: all but the excluded ones
    /// (`host_set.hosts().size() - host_set.excludedHosts().size()` in Envoy).
    #[must_use]
    pub const fn considered(&self) -> u32 {
        self.total - self.excluded
    }

    fn add_host(&mut self, health: HealthStatus, weight: u32, sign: i8) {
        self.add(health.availability(), weight, sign);
        if health.is_excluded() {
            let w = u64::from(weight);
            if sign > 0 {
                self.excluded += 1;
                self.excluded_weight += w;
            } else {
                self.excluded -= 1;
                self.excluded_weight -= w;
            }
        }
    }

    fn add(&mut self, availability: Availability, weight: u32, sign: i8) {
        let w = u64::from(weight);
        let apply = |n: &mut u32, w_sum: &mut u64| {
            if sign > 0 {
                *n += 1;
                *w_sum += w;
            } else {
                *n -= 1;
                *w_sum -= w;
            }
        };
        apply(&mut self.total, &mut self.total_weight);
        match availability {
            Availability::Healthy => apply(&mut self.healthy, &mut self.healthy_weight),
            Availability::Degraded => apply(&mut self.degraded, &mut self.degraded_weight),
            Availability::Unavailable => {}
        }
    }

    /// Count (or weight sum, for `weighted`) of hosts with `availability`.
    #[must_use]
    pub const fn eligible(&self, availability: Availability, weighted: bool) -> u64 {
        match (availability, weighted) {
            (Availability::Healthy, false) => self.healthy as u64,
            (Availability::Healthy, true) => self.healthy_weight,
            (Availability::Degraded, false) => self.degraded as u64,
            (Availability::Degraded, true) => self.degraded_weight,
            (Availability::Unavailable, false) => {
                (self.total - self.healthy - self.degraded) as u64
            }
            (Availability::Unavailable, true) => {
                self.total_weight - self.healthy_weight - self.degraded_weight
            }
        }
    }
}

/// One locality group (a `LocalityLbEndpoints`) in the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalityGroup {
    /// The locality.
    pub locality: Locality,
    /// Its `load_balancing_weight` (0 when unset: no load under locality-weighted LB).
    pub weight: u32,
    /// Its priority.
    pub priority: u32,
    /// Its hosts, as a range of [`HostId`] indices.
    pub hosts: Range<u32>,
    /// Host counts.
    pub counts: Counts,
    /// Effective weight for healthy traffic (locality-weighted LB; 0 otherwise).
    pub effective_healthy: f64,
    /// Effective weight for degraded traffic (locality-weighted LB; 0 otherwise).
    pub effective_degraded: f64,
    /// Input index of the group.
    pub origin: u32,
}

/// Per-priority state: hosts, counts, availability and load.
#[derive(Debug, Clone, PartialEq)]
pub struct PriorityState {
    /// The priority.
    pub priority: u32,
    /// Its hosts.
    pub hosts: Range<u32>,
    /// Its locality groups, as a range of indices into [`Plan::localities`].
    pub localities: Range<u32>,
    /// Host counts.
    pub counts: Counts,
    /// Health after the overprovisioning factor, percent (`min(100, OF * healthy / total)`).
    pub health: u32,
    /// Degraded availability after the overprovisioning factor, percent.
    pub degraded: u32,
    /// Percent of requests sent to this priority's healthy hosts.
    pub healthy_load: u32,
    /// Percent of requests sent to this priority's degraded hosts.
    pub degraded_load: u32,
    /// Whether the priority is in panic (balances over all its hosts).
    pub panic: bool,
    /// Where this priority's healthy load starts on the `0..100` line `choosePriority` walks:
    /// requests with `hash % 100` in `healthy_from .. healthy_from + healthy_load` go here.
    pub healthy_from: u32,
    /// The same for degraded load (all healthy load comes first on the line).
    pub degraded_from: u32,
    /// Sum of the localities' healthy effective weights.
    pub effective_healthy_sum: f64,
    /// Sum of the localities' degraded effective weights.
    pub effective_degraded_sum: f64,
}

impl PriorityState {
    /// The total load of the priority, percent.
    #[must_use]
    pub const fn load(&self) -> u32 {
        self.healthy_load + self.degraded_load
    }
}

/// Envoy's load-balancing decisions for one cluster, built once and shared by every picker.
///
/// # Examples
/// ```
/// use meshlb::{Endpoint, HealthStatus, LbConfig, LoadAssignment, Locality, LocalityEndpoints, Plan};
///
/// let group = |priority, healthy: usize| LocalityEndpoints {
///     locality: Locality::new("us-east", "us-east-1a", ""),
///     weight: None,
///     priority,
///     endpoints: (0..4)
///         .map(|i| {
///             let health = if i < healthy { HealthStatus::Healthy } else { HealthStatus::Unhealthy };
///             Endpoint::new(&format!("10.0.{priority}.{i}"), 8080).with_health(health)
///         })
///         .collect(),
/// };
/// // Half of priority 0 is healthy: health 140 * 2 / 4 = 70, so 70 % stays and 30 % spills.
/// let assignment = LoadAssignment { localities: vec![group(0, 2), group(1, 4)], ..Default::default() };
/// let plan = Plan::build(&assignment, &LbConfig::default())?;
/// let loads: Vec<u32> = plan.priorities().iter().map(|p| p.healthy_load).collect();
/// assert_eq!(loads, [70, 30]);
/// # Ok::<(), meshlb::PlanError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Plan {
    config: LbConfig,
    /// The panic threshold as Envoy holds it: the configured percent rounded to an integer
    /// (`PROTOBUF_PERCENT_TO_ROUNDED_INTEGER_OR_DEFAULT`), capped at 100.
    panic_threshold: u32,
    overprovisioning_factor: u32,
    weighted_priority_health: bool,
    drop_overload_ppm: u32,
    /// Every host, in [`HostId`] order.
    hosts: Vec<Record>,
    /// The hosts' addresses, one after another in [`HostId`] order (see [`Record`]).
    addresses: String,
    localities: Vec<LocalityGroup>,
    priorities: Vec<PriorityState>,
    /// [`Plan::choose_priority`]'s answer for each `hash % 100`, read off the loads whenever
    /// they change: the priority, with [`DEGRADED_POINT`] set when degraded hosts serve.
    points: [u16; 100],
    /// `min(100, Σ health + degraded)`.
    normalized_total_availability: u32,
    total_panic: bool,
    /// No priority got load although one is out of panic: all of it falls back to P0 healthy.
    priority_fallback: bool,
    /// Hosts sorted by `address:port` for lookups: (host index).
    by_key: KeyOrder,
    /// One table per priority for hash policies (empty otherwise).
    tables: Vec<HashTable>,
    /// The fast lookup beside each table (a ring's radix index, a Maglev table's modulus).
    lookups: Vec<Lookup>,
    /// Fraction of its priority's table each host owns (hash policies only: empty otherwise,
    /// 8 bytes an endpoint saved).
    table_share: Vec<f64>,
    /// MAGLEV only (empty otherwise): each host's place in the table build's order and its
    /// permutation, which depend on its address alone, so every table rebuild reuses them.
    maglev_keys: MaglevKeys,
    /// Ring-hash plans, once updated: each host's first ring points' hashes.
    ring_keys: RingKeys,
    /// Scratch space for updates (panic flags before the update), kept to avoid allocating.
    panic_scratch: Vec<bool>,
    /// Scratch space for updates (the priorities a batch touched).
    touched_scratch: Vec<bool>,
    allow_duplicate_endpoints: bool,
    generation: u64,
    identity: u64,
    /// What the last [`Plan::update`] batch that changed something did, for pickers one batch
    /// behind (see [`LastBatch`]).
    last: LastBatch,
}

/// The last batch that changed a plan: the identity before it, whether it changed a weight,
/// and the locality groups whose hosts changed (health or weight). A picker whose lists match
/// the identity before the batch refreshes only those groups (the identity chains every
/// batch, so matching it means matching the whole history).
#[derive(Debug, Clone, Default)]
pub(crate) struct LastBatch {
    /// The plan's identity before the batch (`None`: no batch yet).
    pub(crate) before: Option<u64>,
    /// Whether the batch changed a weight (pickers then resynchronise fully).
    pub(crate) weights: bool,
    /// The locality groups whose hosts changed: bit `l % 64` of word `l / 64` for group `l`
    /// (sized at build, so a batch allocates nothing; a bit a group where a list and its
    /// marks took five bytes).
    localities: Vec<u64>,
    /// The hosts whose health the batch changed (a host changed twice may appear twice), when
    /// at most [`LastBatch::HOSTS`] did; `many_hosts` when more did.
    pub(crate) hosts: Vec<u32>,
    pub(crate) many_hosts: bool,
}

impl LastBatch {
    /// The locality groups whose hosts changed, in index order.
    pub(crate) fn localities(&self) -> impl Iterator<Item = u32> + '_ {
        self.localities.iter().enumerate().flat_map(|(w, &word)| {
            let mut bits = word;
            core::iter::from_fn(move || {
                let bit = bits.trailing_zeros();
                bits &= bits.wrapping_sub(1);
                (bit < 64).then(|| w as u32 * 64 + bit)
            })
        })
    }

    /// Most changed hosts a batch records one by one: a picker moves each in or out of its
    /// lists; past this it refreshes the touched localities' lists whole.
    pub(crate) const HOSTS: usize = 8;
}

/// Host indices in `address:port` order, for [`Plan::find`]: two bytes an index when the plan
/// has at most 65,536 hosts (most plans; four bytes were an eighth of a round-robin plan's
/// memory), four otherwise.
#[derive(Debug, Clone)]
enum KeyOrder {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

impl Default for KeyOrder {
    fn default() -> Self {
        Self::Narrow(Vec::new())
    }
}

impl KeyOrder {
    /// The order `sorted` (host indices), kept narrow when every index fits two bytes.
    fn new(sorted: Vec<u32>) -> Self {
        if sorted.len() <= 1 << 16 {
            Self::Narrow(sorted.iter().map(|&i| i as u16).collect())
        } else {
            Self::Wide(sorted)
        }
    }

    /// The host whose key `probe` finds equal, by binary search (`probe` orders a host's key
    /// against the one sought).
    fn find(&self, probe: impl Fn(u32) -> core::cmp::Ordering) -> Option<u32> {
        match self {
            Self::Narrow(order) => order
                .binary_search_by(|&i| probe(u32::from(i)))
                .ok()
                .and_then(|k| order.get(k).map(|&i| u32::from(i))),
            Self::Wide(order) => order
                .binary_search_by(|&i| probe(i))
                .ok()
                .and_then(|k| order.get(k).copied()),
        }
    }

    #[cfg(test)]
    fn to_vec(&self) -> Vec<u32> {
        match self {
            Self::Narrow(order) => order.iter().map(|&i| u32::from(i)).collect(),
            Self::Wide(order) => order.clone(),
        }
    }
}

/// One endpoint's new health and weight, for [`Plan::update`]; `None` leaves it as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostUpdate {
    /// The host.
    pub host: HostId,
    /// Its new health status.
    pub health: Option<HealthStatus>,
    /// Its new weight (at least 1).
    pub weight: Option<u32>,
}

/// SplitMix64's finaliser over `a` and `b`: the identity chain's step.
const fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b.wrapping_add(0x9e37_79b9_7f4a_7c15).wrapping_add(a << 6);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// An identity as a plan keeps it: never 0, which a [`crate::Picker`] holds until its first
/// sync (one compare a pick where an `Option` took three).
const fn nonzero(identity: u64) -> u64 {
    if identity == 0 { 1 } else { identity }
}

/// A digest of everything a plan is built from: hosts (key, weight, health, priority,
/// locality group), locality groups, the assignment's policy fields and the configuration.
fn digest(plan: &Plan) -> u64 {
    let hash = |bytes: &[u8], seed: u64| xxhash_rust::xxh64::xxh64(bytes, seed);
    let c = &plan.config;
    let mut h = 0x6d65_7368_6c62;
    for v in [
        c.policy as u64,
        c.healthy_panic_threshold.to_bits(),
        u64::from(c.locality_weighted),
        c.ring_hash.minimum_ring_size,
        c.ring_hash.maximum_ring_size,
        c.maglev.table_size,
        u64::from(c.least_request.choice_count),
        c.least_request.active_request_bias.to_bits(),
        u64::from(plan.overprovisioning_factor),
        u64::from(plan.weighted_priority_health),
        u64::from(plan.drop_overload_ppm),
        plan.hosts.len() as u64,
        plan.localities.len() as u64,
    ] {
        h = mix(h, v);
    }
    for group in &plan.localities {
        for part in [
            group.locality.region(),
            group.locality.zone(),
            group.locality.sub_zone(),
        ] {
            h = hash(part.as_bytes(), h);
        }
        h = mix(h, u64::from(group.weight));
        h = mix(
            h,
            (u64::from(group.priority) << 32) | u64::from(group.hosts.end),
        );
    }
    for (i, e) in plan.hosts.iter().enumerate() {
        h = hash(plan.address(i).as_bytes(), h);
        h = mix(
            h,
            (u64::from(e.port) << 48) | ((e.health as u64) << 40) | u64::from(e.weight),
        );
    }
    h
}

impl Plan {
    /// Validates `assignment` and `config` and computes every load-balancing decision.
    ///
    /// # Errors
    /// A [`PlanError`] for anything Envoy's validation rejects: zero weights, weights whose sum
    /// overflows `u32`, priorities above 128, a duplicate `address:port`, ring sizes out of range
    /// or inverted, a Maglev table size that is not prime, `choice_count < 2`, a panic threshold
    /// outside `[0, 100]`, or more than [`MAX_ENDPOINTS`] endpoints.
    pub fn build(assignment: &LoadAssignment, config: &LbConfig) -> Result<Self, PlanError> {
        Self::build_with(assignment, config, None)
    }

    /// Whether `endpoint`, alone in `locality` at `priority`, is one [`Plan::build`] accepts:
    /// for a discovery stream that hands endpoints over one at a time, so that a bad one is
    /// refused alone (and named) rather than failing the plan of all the others. What is
    /// checked is whatever `build` checks of one endpoint (a weight of 0, a priority past
    /// 128, ...), by building its plan: the rules stay in one place. What depends on the
    /// others (a duplicate `address:port`, weights whose sum overflows, counts past the
    /// limits) is the whole plan's to find.
    ///
    /// # Errors
    /// The [`PlanError`] `build` gives for that endpoint alone (its locality and endpoint
    /// indices 0).
    pub fn check_endpoint(
        locality: &Locality,
        priority: u32,
        endpoint: &Endpoint,
    ) -> Result<(), PlanError> {
        let assignment = LoadAssignment {
            localities: alloc::vec![LocalityEndpoints {
                locality: locality.clone(),
                weight: None,
                priority,
                endpoints: alloc::vec![endpoint.clone()],
            }],
            ..LoadAssignment::default()
        };
        Self::build(&assignment, &LbConfig::default()).map(drop)
    }

    /// [`Plan::build`], taking from `previous` the hash tables of the priorities whose table
    /// would come out the same: same policy and table settings, same panic state, and the
    /// same hosts in the same order (address, port, weight, whether the table places them) in
    /// locality groups of the same weights. Only the other priorities' tables are built; a
    /// change of membership in one priority (an endpoint added or removed) then costs that
    /// priority's table, not every table of the cluster. The plan is the one [`Plan::build`]
    /// gives; `previous` loses the tables taken.
    ///
    /// # Errors
    /// As [`Plan::build`]; `previous` is then unchanged (tables are taken last).
    pub fn build_reusing(
        assignment: &LoadAssignment,
        config: &LbConfig,
        previous: &mut Plan,
    ) -> Result<Self, PlanError> {
        Self::build_with(assignment, config, Some(previous))
    }

    fn build_with(
        assignment: &LoadAssignment,
        config: &LbConfig,
        previous: Option<&mut Plan>,
    ) -> Result<Self, PlanError> {
        validate_config(assignment, config)?;
        let count: usize = assignment
            .localities
            .iter()
            .map(|l| l.endpoints.len())
            .sum();
        if count > MAX_ENDPOINTS {
            return Err(PlanError::TooManyEndpoints {
                count,
                max: MAX_ENDPOINTS,
            });
        }
        let address_bytes: usize = assignment
            .localities
            .iter()
            .flat_map(|l| &l.endpoints)
            .map(|e| e.address.len())
            .sum();
        #[cfg_attr(
            target_pointer_width = "32",
            expect(
                clippy::absurd_extreme_comparisons,
                reason = "a 32-bit memory holds fewer address bytes than the limit"
            )
        )]
        if address_bytes > MAX_ADDRESS_BYTES {
            return Err(PlanError::AddressesTooLong {
                bytes: address_bytes,
                max: MAX_ADDRESS_BYTES,
            });
        }

        // Groups ordered by priority, stable in input order within a priority.
        let mut order: Vec<usize> = (0..assignment.localities.len()).collect();
        for (i, group) in assignment.localities.iter().enumerate() {
            if group.priority > MAX_PRIORITY {
                return Err(PlanError::PriorityTooLarge {
                    locality: i,
                    priority: group.priority,
                });
            }
            if group.weight == Some(0) {
                return Err(PlanError::ZeroLocalityWeight { locality: i });
            }
        }
        crate::limits::check_plan(assignment, config)?;
        order.sort_by_key(|&i| assignment.localities[i].priority);
        let priority_count = assignment
            .localities
            .iter()
            .map(|l| l.priority + 1)
            .max()
            .unwrap_or(0) as usize;

        let mut hosts = Vec::with_capacity(count);
        let mut addresses = String::with_capacity(address_bytes);
        let mut localities = Vec::with_capacity(order.len());
        let mut priorities: Vec<PriorityState> = (0..priority_count as u32)
            .map(|priority| PriorityState {
                priority,
                hosts: 0..0,
                localities: 0..0,
                counts: Counts::default(),
                health: 0,
                degraded: 0,
                healthy_load: 0,
                degraded_load: 0,
                panic: false,
                healthy_from: 0,
                degraded_from: 0,
                effective_healthy_sum: 0.0,
                effective_degraded_sum: 0.0,
            })
            .collect();
        let mut locality_weight_sums = alloc::vec![0_u64; priority_count];
        for &gi in &order {
            let group = &assignment.localities[gi];
            let li = localities.len() as u32;
            let start = hosts.len() as u32;
            let mut counts = Counts::default();
            for (ei, endpoint) in group.endpoints.iter().enumerate() {
                if endpoint.weight == 0 {
                    return Err(PlanError::ZeroEndpointWeight {
                        locality: gi,
                        endpoint: ei,
                    });
                }
                counts.add_host(endpoint.health, endpoint.weight, 1);
                if counts.total_weight > u64::from(u32::MAX) {
                    return Err(PlanError::EndpointWeightOverflow {
                        locality: gi,
                        endpoint: ei,
                    });
                }
                addresses.push_str(&endpoint.address);
                hosts.push(Record {
                    // At most `MAX_ADDRESS_BYTES`, checked above.
                    address_end: addresses.len() as u32,
                    weight: endpoint.weight,
                    locality: li,
                    port: endpoint.port,
                    health: endpoint.health,
                });
            }
            let p = group.priority as usize;
            locality_weight_sums[p] += u64::from(group.weight.unwrap_or(0));
            if locality_weight_sums[p] > u64::from(u32::MAX) {
                return Err(PlanError::LocalityWeightOverflow {
                    priority: group.priority,
                    locality: gi,
                });
            }
            localities.push(LocalityGroup {
                locality: group.locality.clone(),
                weight: group.weight.unwrap_or(0),
                priority: group.priority,
                hosts: start..hosts.len() as u32,
                counts,
                effective_healthy: 0.0,
                effective_degraded: 0.0,
                origin: gi as u32,
            });
        }
        // Ranges of hosts and localities per priority (groups are sorted by priority).
        for (p, state) in priorities.iter_mut().enumerate() {
            let first = localities.partition_point(|l| (l.priority as usize) < p) as u32;
            let last = localities.partition_point(|l| (l.priority as usize) <= p) as u32;
            state.localities = first..last;
            let host_start = localities
                .get(first as usize)
                .map_or(hosts.len() as u32, |l| l.hosts.start);
            let host_end = if last > first {
                localities[last as usize - 1].hosts.end
            } else {
                host_start
            };
            state.hosts = host_start..host_end;
            for l in &localities[first as usize..last as usize] {
                merge_counts(&mut state.counts, &l.counts);
            }
        }

        let mut plan = Self {
            config: config.clone(),
            panic_threshold: libm::round(config.healthy_panic_threshold).min(100.0) as u32,
            overprovisioning_factor: assignment.overprovisioning_factor,
            weighted_priority_health: assignment.weighted_priority_health,
            drop_overload_ppm: assignment.drop_overload_ppm,
            table_share: if config.policy.is_hash_based() {
                alloc::vec![0.0; hosts.len()]
            } else {
                Vec::new()
            },
            hosts,
            localities,
            priorities,
            points: [0; 100],
            normalized_total_availability: 0,
            total_panic: false,
            priority_fallback: false,
            addresses,
            maglev_keys: MaglevKeys::default(),
            ring_keys: RingKeys::default(),
            by_key: KeyOrder::default(),
            tables: Vec::new(),
            lookups: Vec::new(),
            panic_scratch: Vec::with_capacity(priority_count),
            touched_scratch: Vec::with_capacity(priority_count),
            allow_duplicate_endpoints: assignment.allow_duplicate_endpoints,
            generation: 0,
            identity: 0,
            last: LastBatch::default(),
        };
        plan.index_keys()?;
        if config.policy == LbPolicy::Maglev {
            plan.maglev_keys = MaglevKeys::new(&plan, config.maglev.table_size);
        }
        plan.identity = nonzero(digest(&plan));
        plan.last.localities = alloc::vec![0; plan.localities.len().div_ceil(64)];
        plan.last.hosts = Vec::with_capacity(LastBatch::HOSTS);
        plan.recompute_loads();
        for p in 0..plan.priorities.len() {
            plan.recompute_locality_weights(p);
        }
        if plan.config.policy.is_hash_based() {
            plan.tables = (0..plan.priorities.len())
                .map(|_| HashTable::default())
                .collect();
            plan.lookups = (0..plan.priorities.len())
                .map(|_| Lookup::default())
                .collect();
            let mut previous = previous;
            for p in 0..plan.priorities.len() {
                let reused = previous
                    .as_deref_mut()
                    .is_some_and(|old| plan.take_table(old, p));
                if !reused {
                    plan.rebuild_table(p);
                }
            }
        }
        Ok(plan)
    }

    /// Sorts the hosts by `address:port` into `by_key`, for [`Plan::find`], and refuses a
    /// duplicate `address:port` unless the assignment allows them (istiod's gateway endpoints).
    fn index_keys(&mut self) -> Result<(), PlanError> {
        // Sort one integer per host first: the address's first 12 bytes, zero-padded and
        // big-endian, above the host index. Prefixes order like the strings they start (a
        // string that ends first is padded with zeros, the least byte), so the sort leaves
        // hosts in key order except within runs of one prefix, which are then sorted by their
        // whole keys: IPv4 addresses rarely share 12 bytes, and the integers sort without a
        // comparison callback. The index ends every key, so the order is total.
        let mut keyed: Vec<u128> = (0..self.hosts.len())
            .map(|i| {
                let bytes = self.address(i).as_bytes();
                let mut packed = [0_u8; 16];
                let n = bytes.len().min(12);
                packed[..n].copy_from_slice(&bytes[..n]);
                u128::from_be_bytes(packed) | i as u128
            })
            .collect();
        keyed.sort_unstable();
        let mut by_key: Vec<u32> = keyed.iter().map(|&k| k as u32).collect();
        // Hosts of different prefixes have different keys, so duplicates are within runs.
        let mut duplicate = None;
        let mut start = 0;
        for run in keyed.chunk_by(|a, b| a >> 32 == b >> 32) {
            let end = start + run.len();
            if run.len() > 1 {
                let run = &mut by_key[start..end];
                run.sort_unstable_by(|&a, &b| {
                    (self.key(a as usize), a).cmp(&(self.key(b as usize), b))
                });
                if !self.allow_duplicate_endpoints && duplicate.is_none() {
                    duplicate = run
                        .windows(2)
                        .find(|pair| self.key(pair[0] as usize) == self.key(pair[1] as usize))
                        .map(|pair| (pair[0] as usize, pair[1] as usize));
                }
            }
            start = end;
        }
        self.by_key = KeyOrder::new(by_key);
        match duplicate {
            Some((a, b)) => {
                // Report the later one in input order as the duplicate.
                let (address, port) = self.key(a);
                let (a, b) = (self.origin(a), self.origin(b));
                let (first, second) = if a <= b { (a, b) } else { (b, a) };
                Err(PlanError::DuplicateEndpoint {
                    locality: second.0 as usize,
                    endpoint: second.1 as usize,
                    first_locality: first.0 as usize,
                    first_endpoint: first.1 as usize,
                    key: crate::model::endpoint_address(address, port),
                })
            }
            None => Ok(()),
        }
    }

    /// Host index `index`'s `(address, port)`.
    #[inline]
    fn key(&self, index: usize) -> (&str, u16) {
        (
            self.address(index),
            self.hosts.get(index).map_or(0, |r| r.port),
        )
    }

    /// Host index `index`'s (locality group, endpoint) indices in the input assignment.
    pub(crate) fn origin(&self, index: usize) -> (u32, u32) {
        let record = &self.hosts[index];
        let group = &self.localities[record.locality as usize];
        (group.origin, index as u32 - group.hosts.start)
    }

    /// Moves `old`'s table of priority `p` into this plan when it is the table this plan's
    /// priority `p` would build (see [`Plan::build_reusing`]), renumbering its hosts.
    fn take_table(&mut self, old: &mut Plan, p: usize) -> bool {
        let (Some(new_state), Some(old_state)) = (self.priorities.get(p), old.priorities.get(p))
        else {
            return false;
        };
        let (a, b) = (&self.config, &old.config);
        if a.policy != b.policy
            || a.locality_weighted != b.locality_weighted
            || a.ring_hash != b.ring_hash
            || a.maglev != b.maglev
            || new_state.panic != old_state.panic
            || new_state.hosts.len() != old_state.hosts.len()
            || new_state.localities.len() != old_state.localities.len()
            || old.tables.get(p).is_none()
        {
            return false;
        }
        let panic = new_state.panic;
        let new_groups = &self.localities
            [new_state.localities.start as usize..new_state.localities.end as usize];
        let old_groups =
            &old.localities[old_state.localities.start as usize..old_state.localities.end as usize];
        for (g, h) in new_groups.iter().zip(old_groups) {
            if g.weight != h.weight || g.hosts.len() != h.hosts.len() {
                return false;
            }
        }
        let placed = |host: &Record| panic || host.availability() == Availability::Healthy;
        let (new_hosts, old_hosts) = (new_state.hosts.clone(), old_state.hosts.clone());
        for (x, y) in new_hosts.zip(old_hosts) {
            let (e, f) = (&self.hosts[x as usize], &old.hosts[y as usize]);
            if self.key(x as usize) != old.key(y as usize)
                || e.weight != f.weight
                || placed(e) != placed(f)
            {
                return false;
            }
        }
        let mut table = core::mem::take(&mut old.tables[p]);
        let lookup = old.lookups.get_mut(p).map(core::mem::take);
        let (from, to) = (old_state.hosts.start, new_state.hosts.start);
        if from != to {
            table.renumber(|id| id - from + to);
        }
        table.add_shares(&mut self.table_share);
        if let (Some(slot), Some(lookup)) = (self.lookups.get_mut(p), lookup) {
            *slot = lookup;
        }
        self.tables[p] = table;
        true
    }

    /// The load-balancing configuration the plan was built with.
    #[must_use]
    pub const fn config(&self) -> &LbConfig {
        &self.config
    }

    /// The healthy panic threshold in force, integer percent (0: panic disabled).
    #[must_use]
    pub const fn panic_threshold(&self) -> u32 {
        self.panic_threshold
    }

    /// The overprovisioning factor, percent.
    #[must_use]
    pub const fn overprovisioning_factor(&self) -> u32 {
        self.overprovisioning_factor
    }

    /// `policy.drop_overloads` in parts per million.
    #[must_use]
    pub const fn drop_overload_ppm(&self) -> u32 {
        self.drop_overload_ppm
    }

    /// The fraction of requests dropped before a host is picked (`policy.drop_overloads`).
    #[must_use]
    pub fn drop_overload(&self) -> f64 {
        f64::from(self.drop_overload_ppm) / f64::from(crate::model::PPM)
    }

    /// Whether Envoy drops this request before load balancing (`policy.drop_overloads`): one
    /// uniform draw per request, taken from `rng` only when the assignment drops anything, so a
    /// plan without drops sees the same random sequence as before. Envoy's router makes the
    /// same Bernoulli draw before it asks the load balancer (`router.cc`, drop overload check).
    pub fn drops<R: crate::rng::Rng + ?Sized>(&self, rng: &mut R) -> bool {
        self.drop_overload_ppm > 0
            && (rng.next_u64() % u64::from(crate::model::PPM)) < u64::from(self.drop_overload_ppm)
    }

    /// Every host, in [`HostId`] order.
    #[must_use]
    pub fn hosts(&self) -> Hosts<'_> {
        Hosts {
            plan: self,
            range: 0..self.hosts.len() as u32,
        }
    }

    /// How many hosts the plan holds.
    #[must_use]
    pub fn host_count(&self) -> usize {
        self.hosts.len()
    }

    /// The host with id `id`.
    ///
    /// # Panics
    /// If `id` does not come from this plan.
    #[must_use]
    pub fn host(&self, id: HostId) -> Host<'_> {
        assert!(
            id.index() < self.hosts.len(),
            "{id:?} is not a host of this plan"
        );
        Host {
            plan: self,
            index: id.get(),
        }
    }

    /// The host with id `id`, or `None` when the plan has no such host.
    #[must_use]
    pub fn get_host(&self, id: HostId) -> Option<Host<'_>> {
        (id.index() < self.hosts.len()).then_some(Host {
            plan: self,
            index: id.get(),
        })
    }

    /// The hosts as stored, in [`HostId`] order.
    #[inline]
    pub(crate) fn records(&self) -> &[Record] {
        &self.hosts
    }

    /// The address of host index `index` (empty past the last host).
    #[inline]
    pub(crate) fn address(&self, index: usize) -> &str {
        let end = self.hosts.get(index).map_or(0, |r| r.address_end as usize);
        let start = match index.checked_sub(1) {
            Some(previous) => self
                .hosts
                .get(previous)
                .map_or(end, |r| r.address_end as usize),
            None => 0,
        };
        self.addresses.get(start..end).unwrap_or_default()
    }

    /// Every locality group, ordered by priority.
    #[must_use]
    pub fn localities(&self) -> &[LocalityGroup] {
        &self.localities
    }

    /// Per-priority state, indexed by priority (empty priorities included).
    #[must_use]
    pub fn priorities(&self) -> &[PriorityState] {
        &self.priorities
    }

    /// `min(100, Σ_P health[P] + degraded[P])`.
    #[must_use]
    pub const fn normalized_total_availability(&self) -> u32 {
        self.normalized_total_availability
    }

    /// Whether every priority is in panic (load then follows host counts).
    #[must_use]
    pub const fn total_panic(&self) -> bool {
        self.total_panic
    }

    /// Whether priority health is computed from host weights (`weighted_priority_health`).
    #[must_use]
    pub const fn weighted_priority_health(&self) -> bool {
        self.weighted_priority_health
    }

    /// Whether Envoy's priority loads came out all 0, so that `choosePriority` sends every
    /// request to P0's healthy hosts (the plan then shows P0 with a healthy load of 100).
    ///
    /// It happens when the normalised total availability is 0 (each priority's health and
    /// degraded availability round down to 0 after the overprovisioning factor, or by weight
    /// with weighted priority health) while some priority's host counts keep it out of panic:
    /// `recalculatePerPriorityState` distributes no load then, and only total panic or a panic
    /// threshold of 0 would assign it (`load_balancer_impl.cc`). Envoy also keeps the loads it
    /// had before on an update into this state; meshlb gives the freshly built balancer's.
    #[must_use]
    pub const fn priority_fallback(&self) -> bool {
        self.priority_fallback
    }

    /// How many updates changed the plan since it was built: one per [`Plan::update`] batch that
    /// changed something (one recomputation each).
    #[must_use]
    pub const fn generation(&self) -> u64 {
        self.generation
    }

    /// The plan's identity (never 0): a digest of the assignment and configuration it was
    /// built from, chained through every update since. Pickers resynchronise when it changes;
    /// two plans with the same identity hold the same hosts in the same state (up to a 64-bit
    /// collision).
    #[must_use]
    pub const fn identity(&self) -> u64 {
        self.identity
    }

    /// The assignment the plan now stands for: its groups in input order, each endpoint with its
    /// current health and weight. [`Plan::build`] on it (and the plan's configuration) gives this
    /// plan again; adding or removing endpoints is done on it.
    #[must_use]
    pub fn assignment(&self) -> LoadAssignment {
        let mut groups: Vec<&LocalityGroup> = self.localities.iter().collect();
        groups.sort_by_key(|g| g.origin);
        LoadAssignment {
            localities: groups
                .into_iter()
                .map(|g| crate::model::LocalityEndpoints {
                    locality: g.locality.clone(),
                    weight: (g.weight != 0).then_some(g.weight),
                    priority: g.priority,
                    endpoints: g
                        .hosts
                        .clone()
                        .map(|i| self.host(HostId::new(i)).endpoint())
                        .collect(),
                })
                .collect(),
            overprovisioning_factor: self.overprovisioning_factor,
            weighted_priority_health: self.weighted_priority_health,
            allow_duplicate_endpoints: self.allow_duplicate_endpoints,
            drop_overload_ppm: self.drop_overload_ppm,
        }
    }

    /// The hash table (ring or Maglev) of `priority`, for hash policies.
    #[must_use]
    pub fn table(&self, priority: usize) -> Option<&HashTable> {
        self.tables.get(priority)
    }

    /// The last batch that changed the plan (see [`LastBatch`]).
    pub(crate) const fn last_batch(&self) -> &LastBatch {
        &self.last
    }

    /// The slots of priority 0's table when it is a Maglev table: the picker's MAGLEV fast
    /// path reduces the hash by their count and reads the slot itself.
    #[inline(always)]
    pub(crate) fn first_maglev_slots(&self) -> Option<&[u32]> {
        match self.tables.first() {
            Some(HashTable::Maglev(slots)) => Some(slots),
            _ => None,
        }
    }

    /// The host the table of `priority` maps `hash` to: [`HashTable::lookup`] through the
    /// table's accelerator.
    #[inline(always)]
    pub(crate) fn table_lookup(&self, priority: usize, hash: u64) -> Option<HostId> {
        let table = self.tables.get(priority)?;
        match self.lookups.get(priority) {
            Some(lookup) => lookup.lookup(table, hash),
            None => table.lookup(hash),
        }
    }

    /// Finds the host serving `address:port`, by binary search.
    #[must_use]
    pub fn find(&self, address: &str, port: u16) -> Option<HostId> {
        self.by_key
            .find(|i| self.key(i as usize).cmp(&(address, port)))
            .map(HostId::new)
    }

    /// Changes the health and weight of a batch of hosts in place, as an EDS update would, then
    /// recomputes what depends on them once: the loads, panic, the locality weights of the
    /// priorities touched and, for hash policies, the tables of those priorities (and of any
    /// whose panic flipped). Gives the same plan as [`Plan::build`] on the changed assignment.
    ///
    /// Updates apply in order. One that cannot apply (weight 0, or a locality's weights summing
    /// past `u32::MAX`) is skipped and passed to `rejected` with its index; the others apply.
    /// Returns how many hosts changed (an update to the state a host is already in changes
    /// nothing). A batch that changes something counts as one [`Plan::generation`].
    ///
    /// Costs O(updates + priorities + localities of the priorities touched) and allocates
    /// nothing, except for hash policies, whose rings or tables are rebuilt (as Envoy rebuilds
    /// them on every host-set change), reusing their buffers.
    ///
    /// # Panics
    /// If a host id does not come from this plan.
    pub fn update(
        &mut self,
        updates: &[HostUpdate],
        mut rejected: impl FnMut(usize, PlanError),
    ) -> usize {
        let mut touched = core::mem::take(&mut self.touched_scratch);
        touched.clear();
        touched.resize(self.priorities.len(), false);
        let mut changed = 0;
        let identity_before = self.identity;
        let mut last = core::mem::take(&mut self.last);
        let mut weights = false;
        for (i, update) in updates.iter().enumerate() {
            let id = update.host;
            let host = self.hosts[id.index()];
            // Where the host was in the input, for a rejection (read only then).
            let input = |plan: &Self| {
                let (group, endpoint) = plan.origin(id.index());
                (group as usize, endpoint as usize)
            };
            let (old_health, old_weight) = (host.health, host.weight);
            let health = update.health.unwrap_or(old_health);
            let weight = update.weight.unwrap_or(old_weight);
            if weight == 0 {
                let (locality, endpoint) = input(self);
                rejected(i, PlanError::ZeroEndpointWeight { locality, endpoint });
                continue;
            }
            if health == old_health && weight == old_weight {
                continue;
            }
            let l = host.locality as usize;
            let p = self.localities[l].priority as usize;
            let locality_total =
                self.localities[l].counts.total_weight - u64::from(old_weight) + u64::from(weight);
            if locality_total > u64::from(u32::MAX) {
                let (locality, endpoint) = input(self);
                rejected(i, PlanError::EndpointWeightOverflow { locality, endpoint });
                continue;
            }
            let record = &mut self.hosts[id.index()];
            record.health = health;
            record.weight = weight;
            for counts in [
                &mut self.localities[l].counts,
                &mut self.priorities[p].counts,
            ] {
                counts.add_host(old_health, old_weight, -1);
                counts.add_host(health, weight, 1);
            }
            touched[p] = true;
            changed += 1;
            weights |= weight != old_weight;
            if changed == 1 {
                // The first change of this batch: the previous batch's record goes.
                last.localities.fill(0);
                last.hosts.clear();
                last.many_hosts = false;
            }
            if health != old_health {
                if last.hosts.len() < LastBatch::HOSTS {
                    last.hosts.push(id.index() as u32);
                } else {
                    last.many_hosts = true;
                }
            }
            if let Some(word) = last.localities.get_mut(l / 64) {
                *word |= 1 << (l % 64);
            }
            self.identity = nonzero(mix(
                self.identity,
                (u64::from(id.get()) << 32) ^ ((health as u64) << 56) ^ u64::from(weight),
            ));
        }
        if changed > 0 {
            last.before = Some(identity_before);
            last.weights = weights;
            self.after_update(&touched);
        }
        self.last = last;
        self.touched_scratch = touched;
        changed
    }

    /// Changes one host's health status in place: [`Plan::update`] of one.
    ///
    /// # Panics
    /// If `id` does not come from this plan.
    pub fn set_health(&mut self, id: HostId, health: HealthStatus) {
        let update = HostUpdate {
            host: id,
            health: Some(health),
            weight: None,
        };
        self.update(&[update], |_, _| {});
    }

    /// Changes one host's weight in place: [`Plan::update`] of one.
    ///
    /// # Errors
    /// [`PlanError::ZeroEndpointWeight`] for 0, [`PlanError::EndpointWeightOverflow`] when the
    /// locality's weights would sum past `u32::MAX`; the plan is unchanged then.
    ///
    /// # Panics
    /// If `id` does not come from this plan.
    pub fn set_weight(&mut self, id: HostId, weight: u32) -> Result<(), PlanError> {
        let update = HostUpdate {
            host: id,
            health: None,
            weight: Some(weight),
        };
        let mut error = None;
        self.update(&[update], |_, e| error = Some(e));
        error.map_or(Ok(()), Err)
    }

    /// One recomputation after a batch: `touched[p]` for each priority whose hosts changed.
    fn after_update(&mut self, touched: &[bool]) {
        let mut panic_before = core::mem::take(&mut self.panic_scratch);
        panic_before.clear();
        panic_before.extend(self.priorities.iter().map(|s| s.panic));
        self.recompute_loads();
        for (p, &t) in touched.iter().enumerate() {
            if t {
                self.recompute_locality_weights(p);
            }
        }
        if self.config.policy == LbPolicy::RingHash && self.ring_keys.is_empty() {
            // The first update: from now on, rebuilds read the points' hashes from here.
            self.ring_keys = RingKeys::new(self);
        }
        if self.config.policy.is_hash_based() {
            // A priority's table depends on its hosts and on whether it is in panic.
            for (p, &was_in_panic) in panic_before.iter().enumerate() {
                if touched[p] || was_in_panic != self.priorities[p].panic {
                    self.rebuild_table(p);
                }
            }
        }
        self.panic_scratch = panic_before;
        self.generation = self.generation.wrapping_add(1);
    }

    /// Envoy's `recalculatePerPriorityState` + `recalculatePerPriorityPanic`.
    fn recompute_loads(&mut self) {
        let of = u64::from(self.overprovisioning_factor);
        let weighted = self.weighted_priority_health;
        let mut sum = 0_u64;
        for state in &mut self.priorities {
            let c = &state.counts;
            // Excluded hosts do not count (`recalculatePerPriorityState`: hosts minus
            // excluded hosts).
            let total = if weighted {
                c.total_weight - c.excluded_weight
            } else {
                u64::from(c.considered())
            };
            // `min(100, OF * healthy / total)` in integer arithmetic (load_balancer_impl.cc);
            // an empty priority has none.
            let healthy = c.eligible(Availability::Healthy, weighted);
            let degraded = c.eligible(Availability::Degraded, weighted);
            let percent = |n: u64| {
                of.saturating_mul(n)
                    .checked_div(total)
                    .unwrap_or(0)
                    .min(100) as u32
            };
            state.health = percent(healthy);
            state.degraded = percent(degraded);
            state.healthy_load = 0;
            state.degraded_load = 0;
            state.panic = false;
            sum += u64::from(state.health + state.degraded);
        }
        let nta = sum.min(100) as u32;
        self.normalized_total_availability = nta;
        self.total_panic = false;
        self.priority_fallback = false;
        if nta > 0 {
            let (first_healthy, rest) = distribute_load(&mut self.priorities, nta, 100, true);
            let (first_degraded, rest) = distribute_load(&mut self.priorities, nta, rest, false);
            if rest != 0 {
                // Rounding leftovers go to the first priority with health, else the first with
                // degraded availability: the loads always add up to 100.
                if let Some(p) = first_healthy {
                    self.priorities[p].healthy_load += rest;
                } else if let Some(p) = first_degraded {
                    self.priorities[p].degraded_load += rest;
                }
            }
        }
        self.recompute_panic();
        self.recompute_points();
        let mut from = 0;
        for state in &mut self.priorities {
            state.healthy_from = from;
            from += state.healthy_load;
        }
        for state in &mut self.priorities {
            state.degraded_from = from;
            from += state.degraded_load;
        }
    }

    /// The effective weight of locality `locality` (index within `priority`) for healthy or
    /// degraded traffic, as the locality schedulers weigh it (0 when there is no such locality).
    pub(crate) fn locality_weight(
        &self,
        priority: usize,
        locality: u32,
        availability: Availability,
    ) -> f64 {
        let group = self.priorities.get(priority).and_then(|state| {
            self.localities
                .get(state.localities.start as usize + locality as usize)
        });
        group.map_or(0.0, |g| match availability {
            Availability::Degraded => g.effective_degraded,
            _ => g.effective_healthy,
        })
    }

    /// Envoy's `LoadBalancerBase::choosePriority`: `hash % 100 + 1` against the cumulative
    /// healthy loads of all priorities, then the cumulative degraded loads. `None` only when the
    /// assignment has no priority at all.
    #[must_use]
    #[inline]
    pub fn choose_priority(&self, hash: u64) -> Option<(usize, Availability)> {
        if self.priorities.is_empty() {
            return None;
        }
        // One read of the table the loads were folded into (`recompute_points`), where a
        // walk over the cumulative loads would branch on the random value at each priority.
        let point = self.points[(hash % 100) as usize];
        let availability = if point & DEGRADED_POINT == 0 {
            Availability::Healthy
        } else {
            Availability::Degraded
        };
        Some((usize::from(point & !DEGRADED_POINT), availability))
    }

    /// Folds the loads into `points`: for each `point` in `1..=100`, the first priority whose
    /// cumulative healthy load reaches it, else the first whose cumulative healthy then
    /// degraded load does, else P0 healthy (loads that do not add up to 100, where Envoy's
    /// `choosePriority` falls back to P0 healthy).
    fn recompute_points(&mut self) {
        let healthy = self.priorities.iter().map(|s| s.healthy_load).zip(0_u16..);
        let degraded = self.priorities.iter().map(|s| s.degraded_load).zip(0_u16..);
        let degraded = degraded.map(|(load, p)| (load, p | DEGRADED_POINT));
        let (mut acc, mut next) = (0_u32, 0_usize);
        for (load, point) in healthy.chain(degraded) {
            acc = acc.saturating_add(load);
            while next < self.points.len() && next < acc as usize {
                self.points[next] = point;
                next += 1;
            }
        }
        if let Some(rest) = self.points.get_mut(next..) {
            rest.fill(0);
        }
    }

    /// Envoy's `recalculatePerPriorityPanic` and `recalculateLoadInTotalPanic`.
    fn recompute_panic(&mut self) {
        let threshold = f64::from(self.panic_threshold);
        let nta = self.normalized_total_availability;
        if self.priorities.is_empty() {
            return;
        }
        if threshold == 0.0 && nta == 0 {
            // Panic disabled and nothing available: all load to P0, which has no host to give.
            self.priorities[0].healthy_load = 100;
            return;
        }
        let mut all_in_panic = true;
        for state in &mut self.priorities {
            // Panic is ignored while the normalised total availability is 100 %.
            state.panic = nta != 100 && is_in_panic(&state.counts, threshold);
            all_in_panic &= state.panic;
        }
        if !all_in_panic {
            if nta == 0 {
                // No priority has availability, yet one is not in panic (its health rounded to
                // 0 through the overprovisioning factor or weighted priority health while its
                // host counts stay above the threshold): `recalculatePerPriorityState` returned
                // before distributing load, so every load is 0 and `choosePriority` falls back
                // to P0 healthy ("unexpected load error"). That is where every request goes.
                self.priority_fallback = true;
                self.priorities[0].healthy_load = 100;
            }
            return;
        }
        // Total panic: every priority gets load in proportion to its host count.
        self.total_panic = true;
        let total_hosts: u64 = self
            .priorities
            .iter()
            .map(|s| u64::from(s.counts.total))
            .sum();
        if total_hosts == 0 {
            self.priorities[0].healthy_load = 100;
            self.priorities[0].degraded_load = 0;
            return;
        }
        let mut assigned = 0;
        let mut first_non_empty = None;
        for (p, state) in self.priorities.iter_mut().enumerate() {
            state.healthy_load = (100 * u64::from(state.counts.total) / total_hosts) as u32;
            state.degraded_load = 0;
            assigned += state.healthy_load;
            if first_non_empty.is_none() && state.counts.total > 0 {
                first_non_empty = Some(p);
            }
        }
        if let Some(p) = first_non_empty {
            self.priorities[p].healthy_load += 100 - assigned;
        }
    }

    /// Envoy's `LocalityWrr::effectiveLocalityWeight` for every locality of `priority`:
    /// `weight * min(1, OF/100 * eligible / hosts)`, in double arithmetic.
    fn recompute_locality_weights(&mut self, priority: usize) {
        let state = &mut self.priorities[priority];
        state.effective_healthy_sum = 0.0;
        state.effective_degraded_sum = 0.0;
        let range = state.localities.start as usize..state.localities.end as usize;
        let of = f64::from(self.overprovisioning_factor) / 100.0;
        let enabled = self.config.locality_weighted;
        for group in &mut self.localities[range] {
            let effective = |eligible: u32| {
                if !enabled || group.counts.considered() == 0 {
                    return 0.0;
                }
                let ratio = f64::from(eligible) / f64::from(group.counts.considered());
                f64::from(group.weight) * (of * ratio).min(1.0)
            };
            group.effective_healthy = effective(group.counts.healthy);
            group.effective_degraded = effective(group.counts.degraded);
            state.effective_healthy_sum += group.effective_healthy;
            state.effective_degraded_sum += group.effective_degraded;
        }
    }

    /// Each host's Maglev build order and permutation (empty unless the policy is MAGLEV).
    pub(crate) fn maglev_keys(&self) -> &MaglevKeys {
        &self.maglev_keys
    }

    /// The ring points' hashes a ring-hash plan keeps once updated (empty before).
    pub(crate) fn ring_keys(&self) -> &RingKeys {
        &self.ring_keys
    }

    fn rebuild_table(&mut self, priority: usize) {
        let mut table = core::mem::take(&mut self.tables[priority]);
        let mut shares = core::mem::take(&mut self.table_share);
        let range = self.priorities[priority].hosts.clone();
        for share in &mut shares[range.start as usize..range.end as usize] {
            *share = 0.0;
        }
        table.rebuild(self, priority, &mut shares);
        self.table_share = shares;
        if let Some(lookup) = self.lookups.get_mut(priority) {
            lookup.rebuild(&table);
        }
        self.tables[priority] = table;
    }

    /// Whether locality-weighted selection applies to `availability` traffic of `priority`:
    /// it is on and at least one locality has effective weight (else Envoy falls back to the
    /// priority's hosts as one set).
    #[must_use]
    pub fn uses_locality_scheduler(&self, priority: usize, availability: Availability) -> bool {
        let state = &self.priorities[priority];
        self.config.locality_weighted
            && match availability {
                Availability::Healthy => state.effective_healthy_sum > 0.0,
                Availability::Degraded => state.effective_degraded_sum > 0.0,
                Availability::Unavailable => false,
            }
    }

    /// The expected fraction of requests that reach `id`, in `[0, 1]`.
    ///
    /// The request first picks a priority by its healthy and degraded load (`choosePriority`);
    /// a priority in panic balances over all its hosts; with locality-weighted LB a locality is
    /// picked by effective weight; then the host by the policy: round robin and least request
    /// (at equal load) follow weights; random ignores them, and since Envoy's random LB uses one
    /// random value for both the priority (`r % 100`) and the host (`r % n`), the share counts
    /// exactly which residues reach the host; ring hash and Maglev give each host the fraction
    /// of the ring or table it owns.
    ///
    /// O(1), except for RANDOM, which finds the host's position in its host list (O(n));
    /// [`Plan::shares`] computes every share in one pass.
    ///
    /// # Panics
    /// If `id` does not come from this plan.
    #[must_use]
    pub fn share(&self, id: HostId) -> f64 {
        let rank = if self.config.policy == LbPolicy::Random {
            self.rank_in_source(id)
        } else {
            0
        };
        self.share_at(id, rank)
    }

    /// Every host's share, in [`HostId`] order; see [`Plan::share`].
    #[must_use]
    pub fn shares(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.hosts.len());
        let random = self.config.policy == LbPolicy::Random;
        for (p, state) in self.priorities.iter().enumerate() {
            let mut priority_rank = [0_u32; 2];
            for group in
                &self.localities[state.localities.start as usize..state.localities.end as usize]
            {
                let mut locality_rank = [0_u32; 2];
                for id in group.hosts.clone() {
                    let host = &self.hosts[id as usize];
                    let slot = match host.availability() {
                        Availability::Healthy => Some(0),
                        Availability::Degraded => Some(1),
                        Availability::Unavailable => None,
                    };
                    let rank = match slot {
                        _ if !random => 0,
                        _ if state.panic => id - state.hosts.start,
                        Some(k) if self.uses_locality_scheduler(p, host.availability()) => {
                            locality_rank[k]
                        }
                        Some(k) => priority_rank[k],
                        None => 0,
                    };
                    if let Some(k) = slot {
                        locality_rank[k] += 1;
                        priority_rank[k] += 1;
                    }
                    out.push(self.share_at(HostId::new(id), rank));
                }
            }
        }
        out
    }

    /// The host's position in the host list that serves it (RANDOM's `r % n` index).
    fn rank_in_source(&self, id: HostId) -> u32 {
        let host = &self.hosts[id.index()];
        let p = self.localities[host.locality as usize].priority as usize;
        let state = &self.priorities[p];
        if state.panic {
            return id.get() - state.hosts.start;
        }
        let availability = host.availability();
        let range = if self.uses_locality_scheduler(p, availability) {
            self.localities[host.locality as usize].hosts.clone()
        } else {
            state.hosts.clone()
        };
        range
            .take_while(|&i| i != id.get())
            .filter(|&i| self.hosts[i as usize].availability() == availability)
            .count() as u32
    }

    fn share_at(&self, id: HostId, rank: u32) -> f64 {
        let host = &self.hosts[id.index()];
        let p = self.localities[host.locality as usize].priority as usize;
        let state = &self.priorities[p];
        let healthy_load = f64::from(state.healthy_load) / 100.0;
        let degraded_load = f64::from(state.degraded_load) / 100.0;
        let random = self.config.policy == LbPolicy::Random;
        if self.config.policy.is_hash_based() {
            // The request hash picks the priority; that priority's table picks the host.
            let share = self.table_share.get(id.index()).copied().unwrap_or(0.0);
            return (healthy_load + degraded_load) * share;
        }
        if state.panic {
            if random {
                let intervals = [
                    (state.healthy_from, state.healthy_load),
                    (state.degraded_from, state.degraded_load),
                ];
                return random_fraction(&intervals, rank, state.counts.total);
            }
            return (healthy_load + degraded_load) * weight_fraction(host, state.counts, None);
        }
        let availability = host.availability();
        let (load, interval) = match availability {
            Availability::Healthy => (healthy_load, (state.healthy_from, state.healthy_load)),
            Availability::Degraded => (degraded_load, (state.degraded_from, state.degraded_load)),
            Availability::Unavailable => return 0.0,
        };
        if load == 0.0 {
            return 0.0;
        }
        let (locality_factor, counts) = if self.uses_locality_scheduler(p, availability) {
            let group = &self.localities[host.locality as usize];
            let (effective, sum) = match availability {
                Availability::Healthy => (group.effective_healthy, state.effective_healthy_sum),
                _ => (group.effective_degraded, state.effective_degraded_sum),
            };
            (effective / sum, group.counts)
        } else {
            (1.0, state.counts)
        };
        if locality_factor == 0.0 {
            return 0.0;
        }
        if random {
            let n = counts.eligible(availability, false) as u32;
            locality_factor * random_fraction(&[interval], rank, n)
        } else {
            load * locality_factor * weight_fraction(host, counts, Some(availability))
        }
    }

    /// The fraction of requests that reach some host (1 when anything is routable, 0 when no
    /// host can be picked, e.g. every host unhealthy with panic disabled).
    #[must_use]
    pub fn routable_fraction(&self) -> f64 {
        self.shares().iter().sum()
    }
}

/// The host's fraction of picks among the hosts of `counts` with `availability` (all hosts when
/// `None`): its weight over their weight sum.
fn weight_fraction(host: &Record, counts: Counts, availability: Option<Availability>) -> f64 {
    let total = match availability {
        None => counts.total_weight,
        Some(a) => counts.eligible(a, true),
    };
    if total == 0 {
        0.0
    } else {
        f64::from(host.weight) / total as f64
    }
}

/// RANDOM's share for the host at index `rank` of an `n`-host list, when the requests that reach
/// the list are those whose random value `r` has `r % 100` in one of `intervals` (start, length)
/// and the host is `r % n == rank`. Over `lcm(100, n)` consecutive values each pair of residues
/// `(r % 100, r % n)` that agree modulo `g = gcd(100, n)` occurs once, so the host receives
/// `#{u in intervals : u ≡ rank (mod g)} · g / (100 · n)` of all requests.
fn random_fraction(intervals: &[(u32, u32)], rank: u32, n: u32) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let g = gcd(100, n);
    let residue = rank % g;
    // Values u in 0..x with u ≡ residue (mod g).
    let below = |x: u32| {
        if x <= residue {
            0
        } else {
            (x - residue - 1) / g + 1
        }
    };
    let hits: u32 = intervals
        .iter()
        .map(|&(from, len)| below(from + len) - below(from))
        .sum();
    f64::from(hits) * f64::from(g) / (100.0 * f64::from(n))
}

const fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

fn merge_counts(into: &mut Counts, from: &Counts) {
    into.total += from.total;
    into.healthy += from.healthy;
    into.degraded += from.degraded;
    into.total_weight += from.total_weight;
    into.healthy_weight += from.healthy_weight;
    into.degraded_weight += from.degraded_weight;
    into.excluded += from.excluded;
    into.excluded_weight += from.excluded_weight;
}

/// Envoy's `distributeLoad`: each priority takes `min(left, availability * 100 / nta)`.
/// Returns the first priority with availability and the load left over.
fn distribute_load(
    priorities: &mut [PriorityState],
    nta: u32,
    mut left: u32,
    healthy: bool,
) -> (Option<usize>, u32) {
    let mut first = None;
    for (p, state) in priorities.iter_mut().enumerate() {
        let availability = if healthy {
            state.health
        } else {
            state.degraded
        };
        if first.is_none() && availability > 0 {
            first = Some(p);
        }
        let load = (availability * 100 / nta).min(left);
        if healthy {
            state.healthy_load = load;
        } else {
            state.degraded_load = load;
        }
        left -= load;
    }
    (first, left)
}

/// The flag in [`Plan`]'s point table that marks degraded traffic (priorities are fewer than
/// 2^15: at most 129).
const DEGRADED_POINT: u16 = 1 << 15;

/// Envoy's `isHostSetInPanic`: raw (not overprovisioned) healthy + degraded percentage below
/// the threshold, in double arithmetic.
fn is_in_panic(counts: &Counts, threshold: f64) -> bool {
    let total = f64::from(counts.considered());
    let (healthy, degraded) = if counts.considered() == 0 {
        (0.0, 0.0)
    } else {
        (
            100.0 * f64::from(counts.healthy) / total,
            100.0 * f64::from(counts.degraded) / total,
        )
    };
    healthy + degraded < threshold
}

fn validate_config(assignment: &LoadAssignment, config: &LbConfig) -> Result<(), PlanError> {
    if assignment.overprovisioning_factor == 0 {
        return Err(PlanError::ZeroOverprovisioningFactor);
    }
    if assignment.drop_overload_ppm > crate::model::PPM {
        return Err(PlanError::DropOverload(assignment.drop_overload_ppm));
    }
    crate::model::check_panic_threshold(config.healthy_panic_threshold)?;
    let ring = config.ring_hash;
    for (field, value) in [
        ("minimum_ring_size", ring.minimum_ring_size),
        ("maximum_ring_size", ring.maximum_ring_size),
    ] {
        if value == 0 || value > MAX_RING_SIZE {
            return Err(PlanError::RingSizeOutOfRange { field, value });
        }
    }
    if ring.minimum_ring_size > ring.maximum_ring_size {
        return Err(PlanError::RingSizeInverted {
            min: ring.minimum_ring_size,
            max: ring.maximum_ring_size,
        });
    }
    let table = config.maglev.table_size;
    if table > MAX_MAGLEV_TABLE_SIZE || !is_prime(table) {
        return Err(PlanError::MaglevTableSize(table));
    }
    if !(2..=MAX_CHOICE_COUNT).contains(&config.least_request.choice_count) {
        return Err(PlanError::ChoiceCount(config.least_request.choice_count));
    }
    let bias = config.least_request.active_request_bias;
    if !bias.is_finite() || bias < 0.0 {
        return Err(PlanError::ActiveRequestBias(bias));
    }
    Ok(())
}

/// Trial division; table sizes are at most 5,000,011, so at most ~1,100 divisions.
#[must_use]
pub(crate) fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    if n.is_multiple_of(2) {
        return n == 2;
    }
    let mut d = 3;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 2;
    }
    true
}

/// Envoy's host hash key: `address:port`, with IPv6 addresses in brackets
/// (`Address::Ipv6Instance::asString`, used by `thread_aware_lb_impl.h` `hashKey`).
#[must_use]
pub fn host_key(endpoint: &Endpoint) -> String {
    crate::model::endpoint_address(&endpoint.address, endpoint.port)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LocalityEndpoints;
    use alloc::format;

    fn group(priority: u32, from: u32, n: u32) -> LocalityEndpoints {
        LocalityEndpoints {
            locality: Locality::new("r", &format!("z{priority}"), ""),
            weight: Some(1 + priority),
            priority,
            endpoints: (from..from + n)
                .map(|i| Endpoint::new(&format!("10.0.0.{i}"), 80).with_weight(1 + i % 3))
                .collect(),
        }
    }

    /// One endpoint is checked by the rules `build` applies to it: weight 0 and a priority
    /// past 128 (Envoy's `ClusterLoadAssignment` validation) are refused alone, naming
    /// themselves; a plain endpoint, and one at priority 128, pass.
    #[test]
    fn an_endpoint_alone_is_checked_as_build_checks_it() {
        let zone = Locality::new("r", "z", "");
        let plain = Endpoint::new("10.0.0.1", 80);
        assert_eq!(Plan::check_endpoint(&zone, 0, &plain), Ok(()));
        assert_eq!(Plan::check_endpoint(&zone, MAX_PRIORITY, &plain), Ok(()));
        assert_eq!(
            Plan::check_endpoint(&zone, 129, &plain),
            Err(PlanError::PriorityTooLarge {
                locality: 0,
                priority: 129
            })
        );
        assert_eq!(
            Plan::check_endpoint(&zone, 0, &plain.with_weight(0)),
            Err(PlanError::ZeroEndpointWeight {
                locality: 0,
                endpoint: 0
            })
        );
    }

    /// Every table, share and lookup of `a` and `b` agree.
    fn same_tables(a: &Plan, b: &Plan) {
        assert_eq!(a.tables.len(), b.tables.len());
        for p in 0..a.tables.len() {
            assert_eq!(
                format!("{:?}", a.tables[p]),
                format!("{:?}", b.tables[p]),
                "P{p}"
            );
            for h in [
                0_u64,
                1 << 20,
                u64::MAX / 3,
                u64::MAX / 2,
                u64::MAX - 5,
                u64::MAX,
            ] {
                assert_eq!(a.table_lookup(p, h), b.table_lookup(p, h), "P{p} hash {h}");
            }
        }
        assert_eq!(a.table_share, b.table_share);
    }

    /// The last batch's touched groups come back once each, in index order, across the
    /// bitset's words (groups 63 and 64 straddle the first boundary); the next batch that
    /// changes something replaces them, one that changes nothing leaves them.
    #[test]
    fn the_last_batch_lists_each_touched_group_once_across_words() {
        // 130 groups of two hosts: group g holds hosts 2g and 2g + 1.
        let assignment = LoadAssignment {
            localities: (0..130).map(|g| group(0, 2 * g, 2)).collect(),
            ..LoadAssignment::default()
        };
        let mut plan = Plan::build(&assignment, &LbConfig::default()).expect("valid");
        let down = |host: u32| HostUpdate {
            host: HostId::new(host),
            health: Some(HealthStatus::Unhealthy),
            weight: None,
        };
        let batch = [down(259), down(129), down(7), down(128), down(126), down(6)];
        assert_eq!(plan.update(&batch, |_, _| {}), 6);
        let touched: Vec<u32> = plan.last_batch().localities().collect();
        assert_eq!(touched, [3, 63, 64, 129]);
        // Already down: nothing changes, the record stays.
        assert_eq!(plan.update(&[down(6)], |_, _| {}), 0);
        let touched: Vec<u32> = plan.last_batch().localities().collect();
        assert_eq!(touched, [3, 63, 64, 129]);
        assert_eq!(plan.update(&[down(0), down(200)], |_, _| {}), 2);
        let touched: Vec<u32> = plan.last_batch().localities().collect();
        assert_eq!(touched, [0, 100]);
    }

    /// Past 65,536 hosts the `find` index keeps four-byte indices, and finds every host.
    #[test]
    fn find_index_past_two_byte_indices() {
        let n = (1_u32 << 16) + 3;
        let address = |i: u32| alloc::format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
        let assignment = LoadAssignment {
            localities: alloc::vec![LocalityEndpoints {
                endpoints: (0..n).map(|i| Endpoint::new(&address(i), 80)).collect(),
                ..group(0, 0, 0)
            }],
            ..LoadAssignment::default()
        };
        let plan = Plan::build(&assignment, &LbConfig::default()).expect("distinct addresses");
        assert!(matches!(plan.by_key, KeyOrder::Wide(_)));
        for i in [0, 1, 255, 256, 65_535, 65_536, n - 1] {
            assert_eq!(plan.find(&address(i), 80), Some(HostId::new(i)), "host {i}");
        }
        assert_eq!(plan.find(&address(7), 81), None);
        assert_eq!(plan.find("10.1.0.3", 80), None);
    }

    /// The `find` index orders hosts by (address, port, index) however long a prefix their
    /// addresses share (the first sort looks at 12 bytes), and finds a duplicate in a run.
    #[test]
    fn find_index_orders_whole_keys() {
        let keys = [
            ("192.168.100.10", 80),
            ("192.168.100.1", 81),
            ("192.168.100.1", 80),
            ("192.168.100.", 80),
            ("192.168.100.1\0", 80),
            ("2001:db8::1", 80),
            ("2001:db8::", 80),
            ("", 0),
            ("a", 80),
            ("192.168.100.100", 80),
        ];
        let assignment = LoadAssignment {
            localities: alloc::vec![LocalityEndpoints {
                endpoints: keys.iter().map(|&(a, p)| Endpoint::new(a, p)).collect(),
                ..group(0, 0, 0)
            }],
            ..LoadAssignment::default()
        };
        let plan = Plan::build(&assignment, &LbConfig::default()).expect("no duplicates");
        let mut expected: Vec<u32> = (0..keys.len() as u32).collect();
        expected.sort_by_key(|&i| keys[i as usize]);
        assert!(matches!(plan.by_key, KeyOrder::Narrow(_)));
        assert_eq!(plan.by_key.to_vec(), expected);
        for (i, &(address, port)) in keys.iter().enumerate() {
            assert_eq!(plan.find(address, port), Some(HostId::new(i as u32)));
        }
        assert_eq!(plan.find("192.168.100.1", 82), None);
        // A duplicate that shares its 12-byte prefix with other addresses.
        let mut twice = assignment;
        twice.localities[0]
            .endpoints
            .push(Endpoint::new("192.168.100.1", 81));
        assert_eq!(
            Plan::build(&twice, &LbConfig::default()).err(),
            Some(PlanError::DuplicateEndpoint {
                locality: 0,
                endpoint: keys.len(),
                first_locality: 0,
                first_endpoint: 1,
                key: "192.168.100.1:81".into(),
            })
        );
    }

    /// A plan numbers hosts by priority, then group and endpoint in input order; each host's
    /// view gives back what the input held, where it came from and the updates since.
    #[test]
    fn host_views_read_the_compact_storage() {
        // Input order: a P1 group of two, then a P0 group of one with a longer IPv6 address.
        let assignment = LoadAssignment {
            localities: alloc::vec![
                group(1, 1, 2),
                LocalityEndpoints {
                    endpoints: alloc::vec![Endpoint::new("2001:db8::1", 443).with_weight(7)],
                    ..group(0, 0, 0)
                },
            ],
            ..LoadAssignment::default()
        };
        let mut plan = Plan::build(&assignment, &LbConfig::default()).expect("valid");
        assert_eq!(core::mem::size_of::<Record>(), 16);
        let seen: Vec<_> = plan
            .hosts()
            .map(|h| (h.address(), h.port(), h.weight(), h.priority(), h.origin()))
            .collect();
        assert_eq!(
            seen,
            [
                ("2001:db8::1", 443, 7, 0, (1, 0)),
                ("10.0.0.1", 80, 2, 1, (0, 0)),
                ("10.0.0.2", 80, 3, 1, (0, 1)),
            ]
        );
        assert_eq!(plan.hosts().len(), 3);
        assert_eq!(
            plan.hosts().next_back().map(Host::address),
            Some("10.0.0.2")
        );
        let id = plan.find("10.0.0.2", 80).expect("known");
        assert_eq!(id.index(), 2);
        plan.set_health(id, HealthStatus::Degraded);
        let host = plan.host(id);
        assert_eq!(host.locality(), 1);
        assert_eq!(
            host.endpoint(),
            Endpoint::new("10.0.0.2", 80)
                .with_weight(3)
                .with_health(HealthStatus::Degraded)
        );
        assert_eq!(plan.get_host(HostId::new(3)), None);
        // The assignment read back from the plan is the input with the update applied.
        let mut expected = assignment;
        expected.localities[0].endpoints[1].health = HealthStatus::Degraded;
        assert_eq!(plan.assignment(), expected);
    }

    /// A ring-hash plan keeps its points' hashes from its first update on: flips that move
    /// shares a little read them, a weight that multiplies a host's points past what was kept
    /// computes the rest; every table is the one a build from the changed input gives.
    #[test]
    fn ring_rebuilds_from_kept_hashes_give_the_tables_a_build_gives() {
        for locality_weighted in [false, true] {
            let config = LbConfig {
                policy: LbPolicy::RingHash,
                locality_weighted,
                ..LbConfig::default()
            };
            let mut input = LoadAssignment {
                localities: alloc::vec![group(0, 0, 6), group(1, 10, 5), group(2, 20, 4)],
                ..Default::default()
            };
            let mut plan = Plan::build(&input, &config).expect("plan");
            assert!(plan.ring_keys().is_empty(), "a build keeps no hashes");
            let flips = [
                (0, 0, HealthStatus::Unhealthy),
                (1, 2, HealthStatus::Unhealthy),
                (0, 0, HealthStatus::Healthy),
            ];
            for (g, e, health) in flips {
                let endpoint = &mut input.localities[g].endpoints[e];
                endpoint.health = health;
                let id = plan.find(&endpoint.address, endpoint.port).expect("host");
                plan.set_health(id, health);
                assert!(!plan.ring_keys().is_empty());
                same_tables(&plan, &Plan::build(&input, &config).expect("plan"));
            }
            // Weight 1 to 50: that host's points grow far past the twice-and-one kept.
            let endpoint = &mut input.localities[1].endpoints[0];
            endpoint.weight = 50;
            let id = plan.find(&endpoint.address, endpoint.port).expect("host");
            plan.set_weight(id, 50).expect("weight");
            same_tables(&plan, &Plan::build(&input, &config).expect("plan"));
        }
    }

    #[test]
    fn reusing_tables_gives_the_plan_a_build_gives() {
        for policy in [LbPolicy::RingHash, LbPolicy::Maglev] {
            for locality_weighted in [false, true] {
                let config = LbConfig {
                    policy,
                    locality_weighted,
                    ..LbConfig::default()
                };
                let before = LoadAssignment {
                    localities: alloc::vec![group(0, 0, 6), group(1, 10, 5), group(2, 20, 4)],
                    ..Default::default()
                };
                // P0 grows by one endpoint: every later priority's hosts are renumbered; P1
                // and P2 are otherwise the same, so their tables are reused.
                let mut grown = before.clone();
                grown.localities[0]
                    .endpoints
                    .push(Endpoint::new("10.0.0.99", 80));
                // P1 loses one endpoint: its table is rebuilt, P0's and P2's reused.
                let mut shrunk = before.clone();
                shrunk.localities[1].endpoints.pop();
                // A health change in P2: its table is rebuilt.
                let mut health = before.clone();
                health.localities[2].endpoints[0].health = crate::model::HealthStatus::Unhealthy;
                // Which priorities' tables each change leaves to reuse.
                for (after, taken) in [
                    (&grown, [false, true, true]),
                    (&shrunk, [true, false, true]),
                    (&health, [true, true, false]),
                    (&before, [true, true, true]),
                ] {
                    let mut previous = Plan::build(&before, &config).expect("plan");
                    let reused = Plan::build_reusing(after, &config, &mut previous).expect("plan");
                    let fresh = Plan::build(after, &config).expect("plan");
                    same_tables(&reused, &fresh);
                    assert_eq!(reused.identity(), fresh.identity());
                    let was_taken: Vec<bool> =
                        previous.tables.iter().map(HashTable::is_empty).collect();
                    assert_eq!(
                        was_taken, taken,
                        "{policy:?}, locality weighted {locality_weighted}"
                    );
                }
            }
        }
    }
}
