//! The Envoy-shaped load assignment the plan is built from.
//!
//! These types mirror Envoy's EDS resource (`envoy.config.endpoint.v3.ClusterLoadAssignment`,
//! `api/envoy/config/endpoint/v3/endpoint.proto` and `endpoint_components.proto`) and the load
//! balancing part of `envoy.config.cluster.v3.Cluster` (`api/envoy/config/cluster/v3/cluster.proto`).
//! They are plain data: [`crate::Plan::build`] validates them once.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// An endpoint's EDS health status (`envoy.config.core.v3.HealthStatus`).
///
/// How Envoy treats each value is [`HealthStatus::availability`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "SCREAMING_SNAKE_CASE"))]
pub enum HealthStatus {
    /// No status reported: Envoy treats it as healthy (the proto's default, value 0).
    #[default]
    Unknown,
    /// Healthy.
    Healthy,
    /// Unhealthy: no traffic outside panic.
    Unhealthy,
    /// Draining: unhealthy, and excluded from the host counts health is computed from.
    Draining,
    /// Health-check timeout (HDS): treated as unhealthy.
    Timeout,
    /// Degraded: traffic only when healthy capacity is short.
    Degraded,
}

/// What a [`HealthStatus`] means to the load balancer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Availability {
    /// Counts as healthy and receives healthy load.
    Healthy,
    /// Receives only degraded load (spill-over when healthy capacity is short).
    Degraded,
    /// Receives traffic only when its priority is in panic.
    Unavailable,
}

impl HealthStatus {
    /// How Envoy's load balancer treats the status.
    ///
    /// `UNKNOWN` and `HEALTHY` are healthy, `DEGRADED` is degraded, `UNHEALTHY`, `DRAINING` and
    /// `TIMEOUT` are unavailable (envoy `api/envoy/config/core/v3/health_check.proto` comments,
    /// `source/common/upstream/upstream_impl.cc` `HostImplBase::setEdsHealthFlag`: `UNHEALTHY`
    /// and `TIMEOUT` set `FAILED_EDS_HEALTH`, `DRAINING` sets `EDS_STATUS_DRAINING`; either makes
    /// `coarseHealth()` unhealthy). A `DRAINING` host is also excluded from the counts: see
    /// [`HealthStatus::is_excluded`].
    #[must_use]
    pub const fn availability(self) -> Availability {
        match self {
            Self::Unknown | Self::Healthy => Availability::Healthy,
            Self::Degraded => Availability::Degraded,
            Self::Unhealthy | Self::Draining | Self::Timeout => Availability::Unavailable,
        }
    }

    /// Whether Envoy excludes a host of this status from the host counts that priority health,
    /// panic and locality weights are computed from (`excludeBasedOnHealthFlag`:
    /// `EDS_STATUS_DRAINING`). Only `DRAINING`: Envoy sets that flag behind the runtime guard
    /// `envoy.reloadable_features.exclude_host_in_eds_status_draining`, on by default
    /// (`RUNTIME_GUARD` in `runtime_features.cc`) and without a fallback since Envoy 1.36.
    #[must_use]
    pub const fn is_excluded(self) -> bool {
        matches!(self, Self::Draining)
    }

    /// Parses the proto enum name (`"HEALTHY"`); `str::parse` says which names are valid.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        name.parse().ok()
    }
}

/// An endpoint's name as Envoy prints it: `address:port`, IPv6 addresses in brackets
/// (`Address::Ipv6Instance::asString`), and an address that is not a socket address (a `pipe` or
/// an `envoy_internal_address`, given port 0 by meshlb) by its address alone (`unix:/path`,
/// `internal:listener`).
#[must_use]
pub fn endpoint_address(address: &str, port: u16) -> String {
    let mut out = String::with_capacity(address.len() + 8);
    push_endpoint_address(&mut out, address, port);
    out
}

/// [`endpoint_address`] appended to `out` (no allocation when `out` has room).
pub(crate) fn push_endpoint_address(out: &mut String, address: &str, port: u16) {
    if port == 0 {
        out.push_str(address);
        return;
    }
    let bracket = address.contains(':');
    if bracket {
        out.push('[');
    }
    out.push_str(address);
    if bracket {
        out.push(']');
    }
    out.push(':');
    push_decimal(out, u64::from(port));
}

/// `n` in decimal appended to `out`, as `{n}` formats it, without the formatting machinery
/// (ring hash formats one number per ring entry).
pub(crate) fn push_decimal(out: &mut String, mut n: u64) {
    let mut digits = [0_u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(char::from(d));
    }
}

/// Where endpoints run: `envoy.config.core.v3.Locality`, its region, zone and sub-zone.
///
/// The three parts are kept as one string (24 bytes and one allocation, where three `String`s
/// took 72 bytes and three): a plan keeps one per locality group, and at 1,000 endpoints in
/// 150 groups they were a third of the plan. Equal and ordered as the triple
/// `(region, zone, sub_zone)`; hashed consistently with that equality (not as the tuple).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Locality {
    /// `region`, `zone` and `sub_zone`, one after the other.
    parts: alloc::boxed::Box<str>,
    /// Where `zone` and `sub_zone` start in `parts`.
    starts: [u32; 2],
}

impl Locality {
    /// A locality from its three parts.
    ///
    /// Region and zone are cut to 4 GiB together (a part is a label value, at most 63 bytes
    /// in Kubernetes; no input meshlb reads comes near).
    #[must_use]
    pub fn new(region: &str, zone: &str, sub_zone: &str) -> Self {
        const ROOM: usize = u32::MAX as usize;
        let region = cut(region, ROOM);
        let zone = cut(zone, ROOM - region.len());
        let mut parts = String::with_capacity(region.len() + zone.len() + sub_zone.len());
        parts.push_str(region);
        parts.push_str(zone);
        parts.push_str(sub_zone);
        // Both fit: `region.len() + zone.len() <= u32::MAX`.
        let starts = [region.len() as u32, (region.len() + zone.len()) as u32];
        Self {
            parts: parts.into_boxed_str(),
            starts,
        }
    }

    /// Region (`topology.kubernetes.io/region`).
    #[must_use]
    pub fn region(&self) -> &str {
        self.part(0, self.starts[0])
    }

    /// Zone (`topology.kubernetes.io/zone`).
    #[must_use]
    pub fn zone(&self) -> &str {
        self.part(self.starts[0], self.starts[1])
    }

    /// Sub-zone (`topology.istio.io/subzone`).
    #[must_use]
    pub fn sub_zone(&self) -> &str {
        self.parts.get(self.starts[1] as usize..).unwrap_or("")
    }

    /// The three parts.
    #[must_use]
    pub fn parts(&self) -> [&str; 3] {
        [self.region(), self.zone(), self.sub_zone()]
    }

    fn part(&self, from: u32, to: u32) -> &str {
        self.parts.get(from as usize..to as usize).unwrap_or("")
    }
}

/// `s`'s longest prefix of at most `max` bytes that ends on a character.
fn cut(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

impl PartialOrd for Locality {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// By region, then zone, then sub-zone.
impl Ord for Locality {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.parts().cmp(&other.parts())
    }
}

impl fmt::Debug for Locality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Locality")
            .field("region", &self.region())
            .field("zone", &self.zone())
            .field("sub_zone", &self.sub_zone())
            .finish()
    }
}

/// `region/zone/sub_zone`, without trailing empty parts (Istio's locality string).
impl fmt::Display for Locality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts = self.parts();
        let used = parts
            .iter()
            .rposition(|p| !p.is_empty())
            .map_or(0, |i| i + 1);
        for (i, part) in parts[..used].iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            f.write_str(part)?;
        }
        Ok(())
    }
}

/// One upstream endpoint: `envoy.config.endpoint.v3.LbEndpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// IP address (or host name) of `socket_address.address`.
    pub address: String,
    /// `socket_address.port_value`; 0 for an address that is not a socket address (`pipe`,
    /// `envoy_internal_address`), whose `address` then names it (`unix:/path`).
    pub port: u16,
    /// `load_balancing_weight`, at least 1 (the proto's `gte: 1`; unset means 1).
    pub weight: u32,
    /// `health_status`.
    pub health: HealthStatus,
}

impl Endpoint {
    /// A healthy endpoint of weight 1.
    #[must_use]
    pub fn new(address: &str, port: u16) -> Self {
        Self {
            address: address.into(),
            port,
            weight: 1,
            health: HealthStatus::Healthy,
        }
    }

    /// The same endpoint with another weight.
    #[must_use]
    pub fn with_weight(mut self, weight: u32) -> Self {
        self.weight = weight;
        self
    }

    /// The same endpoint with another health status.
    #[must_use]
    pub fn with_health(mut self, health: HealthStatus) -> Self {
        self.health = health;
        self
    }
}

/// Endpoints of one locality at one priority: `envoy.config.endpoint.v3.LocalityLbEndpoints`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LocalityEndpoints {
    /// The locality.
    pub locality: Locality,
    /// `load_balancing_weight` of the locality, used only with locality-weighted load balancing;
    /// `None` (unset) gives the locality no load there (endpoint.proto).
    pub weight: Option<u32>,
    /// Priority, 0 the highest (`lte: 128` in the proto).
    pub priority: u32,
    /// The endpoints.
    pub endpoints: Vec<Endpoint>,
}

/// A cluster's endpoints: the Envoy `ClusterLoadAssignment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadAssignment {
    /// Endpoint groups, one per locality and priority.
    pub localities: Vec<LocalityEndpoints>,
    /// `policy.overprovisioning_factor`, integer percent: 140 means 1.4 (the default).
    pub overprovisioning_factor: u32,
    /// `policy.weighted_priority_health`: priority health from endpoint weights, not counts.
    pub weighted_priority_health: bool,
    /// Whether one `address:port` may appear in several locality groups. Envoy input rejects it
    /// (false); istiod sends the same east-west gateway once per locality group it serves.
    pub allow_duplicate_endpoints: bool,
    /// `policy.drop_overloads`: the share of requests Envoy drops before it picks a host, in
    /// parts per million (0: none). Envoy's router draws it per request and answers 503
    /// (`drop_overload`) without reaching the load balancer (see [`crate::Plan::drops`]).
    pub drop_overload_ppm: u32,
}

impl Default for LoadAssignment {
    fn default() -> Self {
        Self {
            localities: Vec::new(),
            overprovisioning_factor: DEFAULT_OVERPROVISIONING_FACTOR,
            weighted_priority_health: false,
            allow_duplicate_endpoints: false,
            drop_overload_ppm: 0,
        }
    }
}

/// Parts per million in a whole: a `drop_overload_ppm` of this drops every request.
pub const PPM: u32 = 1_000_000;

/// Envoy's default overprovisioning factor, 140 % (endpoint.proto, `Policy.overprovisioning_factor`).
pub const DEFAULT_OVERPROVISIONING_FACTOR: u32 = 140;
/// Envoy's default healthy panic threshold, 50 % (cluster.proto, `CommonLbConfig.healthy_panic_threshold`).
pub const DEFAULT_PANIC_THRESHOLD: f64 = 50.0;

/// Checks a healthy panic threshold, in percent: Envoy's `type.v3.Percent` takes `0..=100`
/// (`percent.proto`, `value` `gte: 0, lte: 100`). Every reader (CLI flag, wasm option, Envoy
/// input, filter configuration) checks with this, so the message is the same everywhere.
///
/// # Errors
/// [`crate::PlanError::PanicThreshold`] outside `0..=100` (or NaN).
pub fn check_panic_threshold(percent: f64) -> Result<f64, crate::PlanError> {
    if (0.0..=100.0).contains(&percent) {
        Ok(percent)
    } else {
        Err(crate::PlanError::PanicThreshold(percent))
    }
}
/// Highest priority value the EDS proto accepts (`LocalityLbEndpoints.priority`, `lte: 128`).
pub const MAX_PRIORITY: u32 = 128;

/// The cluster's load-balancing policy (`Cluster.lb_policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "SCREAMING_SNAKE_CASE"))]
pub enum LbPolicy {
    /// Round robin; weighted (EDF) when weights differ.
    #[default]
    RoundRobin,
    /// Power of N choices over active requests.
    LeastRequest,
    /// Uniform random; weights ignored.
    Random,
    /// Consistent hashing on a ring (ketama).
    RingHash,
    /// Consistent hashing with a Maglev lookup table.
    Maglev,
}

impl LbPolicy {
    /// Parses the enum name (`"ROUND_ROBIN"`); `str::parse` says which names are valid.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        name.parse().ok()
    }

    /// Whether the policy picks by request hash (ring hash, maglev).
    #[must_use]
    pub const fn is_hash_based(self) -> bool {
        matches!(self, Self::RingHash | Self::Maglev)
    }
}

/// `Cluster.RingHashLbConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingHashConfig {
    /// `minimum_ring_size`, default 1024.
    pub minimum_ring_size: u64,
    /// `maximum_ring_size`, default 8M (8,388,608), at most 8M.
    pub maximum_ring_size: u64,
}

/// Envoy's ring size bounds (`ring_hash_lb.h`: `DefaultMinRingSize`, `DefaultMaxRingSize`; the
/// proto caps both at 8M).
pub const DEFAULT_MIN_RING_SIZE: u64 = 1024;
/// See [`DEFAULT_MIN_RING_SIZE`].
pub const MAX_RING_SIZE: u64 = 8 * 1024 * 1024;

impl Default for RingHashConfig {
    fn default() -> Self {
        Self {
            minimum_ring_size: DEFAULT_MIN_RING_SIZE,
            maximum_ring_size: MAX_RING_SIZE,
        }
    }
}

/// `Cluster.MaglevLbConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaglevConfig {
    /// `table_size`: a prime, default 65537, at most 5,000,011 (maglev.proto).
    pub table_size: u64,
}

/// Envoy's default Maglev table size (`maglev_lb.h`, `DefaultTableSize`).
pub const DEFAULT_MAGLEV_TABLE_SIZE: u64 = 65_537;
/// Largest Maglev table the proto accepts (`table_size`, `lte: 5000011`).
pub const MAX_MAGLEV_TABLE_SIZE: u64 = 5_000_011;

impl Default for MaglevConfig {
    fn default() -> Self {
        Self {
            table_size: DEFAULT_MAGLEV_TABLE_SIZE,
        }
    }
}

/// `Cluster.LeastRequestLbConfig`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeastRequestConfig {
    /// `choice_count`: how many random hosts are compared, at least 2 (default 2).
    pub choice_count: u32,
    /// `active_request_bias`: the exponent in `weight / (active + 1)^bias`, default 1.0, `>= 0`.
    pub active_request_bias: f64,
}

impl Default for LeastRequestConfig {
    fn default() -> Self {
        Self {
            choice_count: 2,
            active_request_bias: 1.0,
        }
    }
}

/// The load-balancing part of an Envoy `Cluster`.
#[derive(Debug, Clone, PartialEq)]
pub struct LbConfig {
    /// `lb_policy`.
    pub policy: LbPolicy,
    /// `common_lb_config.healthy_panic_threshold.value`, percent in `[0, 100]` (default 50; 0
    /// disables panic).
    pub healthy_panic_threshold: f64,
    /// Whether `common_lb_config.locality_weighted_lb_config` is set.
    pub locality_weighted: bool,
    /// `ring_hash_lb_config`.
    pub ring_hash: RingHashConfig,
    /// `maglev_lb_config`.
    pub maglev: MaglevConfig,
    /// `least_request_lb_config`.
    pub least_request: LeastRequestConfig,
}

impl Default for LbConfig {
    fn default() -> Self {
        Self {
            policy: LbPolicy::RoundRobin,
            healthy_panic_threshold: DEFAULT_PANIC_THRESHOLD,
            locality_weighted: false,
            ring_hash: RingHashConfig::default(),
            maglev: MaglevConfig::default(),
            least_request: LeastRequestConfig::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn decimals_and_addresses_as_format_prints_them() {
        for n in [0_u64, 7, 10, 99, 100, 65_535, 1_000_000_007, u64::MAX] {
            let mut s = String::from("x_");
            push_decimal(&mut s, n);
            assert_eq!(s, alloc::format!("x_{n}"));
        }
        assert_eq!(endpoint_address("10.0.0.1", 8080), "10.0.0.1:8080");
        assert_eq!(endpoint_address("::1", 443), "[::1]:443");
        assert_eq!(endpoint_address("unix:/tmp/s", 0), "unix:/tmp/s");
    }

    /// The parts come back as given, and localities compare as their `(region, zone,
    /// sub_zone)` triples, not as the joined string: `("a", "z")` and `("ab", "")` join to
    /// `"az"` and `"ab"`, which order the other way.
    #[test]
    fn locality_parts_and_order_are_the_triple() {
        let l = Locality::new("us-east-1", "us-east-1a", "rack-7");
        assert_eq!(l.parts(), ["us-east-1", "us-east-1a", "rack-7"]);
        assert_eq!(
            (l.region(), l.zone(), l.sub_zone()),
            ("us-east-1", "us-east-1a", "rack-7")
        );
        let empty = Locality::default();
        assert_eq!(empty.parts(), ["", "", ""]);
        assert_eq!(Locality::new("", "", ""), empty);
        let (a, b) = (Locality::new("a", "z", ""), Locality::new("ab", "", ""));
        assert!(a < b, "\"a\" < \"ab\" decides");
        assert_ne!(Locality::new("a", "bc", ""), Locality::new("ab", "c", ""));
        assert!(Locality::new("a", "bc", "") < Locality::new("ab", "c", ""));
        assert!(Locality::new("r", "z", "") < Locality::new("r", "z", "s"));
        assert_eq!(
            alloc::format!("{l:?}"),
            r#"Locality { region: "us-east-1", zone: "us-east-1a", sub_zone: "rack-7" }"#
        );
    }

    /// A part is cut on a character boundary, never inside one.
    #[test]
    fn cut_keeps_whole_characters() {
        assert_eq!(cut("zone-é", 7), "zone-é");
        assert_eq!(cut("zone-é", 6), "zone-");
        assert_eq!(cut("zone-é", 100), "zone-é");
        assert_eq!(cut("ab", 0), "");
    }

    #[test]
    fn locality_string_drops_trailing_empty_parts() {
        assert_eq!(
            Locality::new("us-east", "us-east-1a", "rack-1").to_string(),
            "us-east/us-east-1a/rack-1"
        );
        assert_eq!(
            Locality::new("us-east", "us-east-1a", "").to_string(),
            "us-east/us-east-1a"
        );
        assert_eq!(Locality::new("us-east", "", "").to_string(), "us-east");
        assert_eq!(Locality::new("", "", "").to_string(), "");
        assert_eq!(Locality::new("", "z", "").to_string(), "/z");
    }

    #[test]
    fn health_availability_follows_envoy() {
        use Availability::*;
        let expected = [
            ("UNKNOWN", Healthy),
            ("HEALTHY", Healthy),
            ("UNHEALTHY", Unavailable),
            ("DRAINING", Unavailable),
            ("TIMEOUT", Unavailable),
            ("DEGRADED", Degraded),
        ];
        for (name, availability) in expected {
            assert_eq!(
                HealthStatus::from_name(name).map(HealthStatus::availability),
                Some(availability)
            );
        }
        assert_eq!(HealthStatus::from_name("healthy"), None);
    }
}
