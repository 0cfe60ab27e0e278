//! # meshlb: locality-aware endpoint selection for service meshes
//!
//! meshlb implements the decisions Istio's deployment models make about which endpoints a proxy
//! may reach, and Envoy's load-balancing maths underneath them, as one deterministic `no_std`
//! core. This crate is that core; the `meshlb` CLI, the wasm package and the proxy-wasm filter
//! are thin adapters over it.
//!
//! ## The model, in layers
//!
//! 1. **Endpoints** ([`LoadAssignment`]): priorities → localities (region/zone/sub-zone, weight)
//!    → endpoints (address, port, weight, [`HealthStatus`]), the overprovisioning factor, and
//!    the cluster's [`LbConfig`] (policy, panic threshold, locality weighting).
//! 2. **Health**: `HEALTHY`/`UNKNOWN` serve, `DEGRADED` serves only spill-over, the rest serve
//!    only in panic ([`HealthStatus::availability`]).
//! 3. **Plan** ([`Plan`]): each priority's health after the overprovisioning factor, the healthy
//!    and degraded load (spill-over), panic and total panic, effective locality weights, and
//!    every endpoint's expected share, with Envoy's own integer arithmetic.
//! 4. **Pick** ([`Picker`]): per-worker state for ROUND_ROBIN (EDF when weighted),
//!    LEAST_REQUEST (power of two choices), RANDOM, RING_HASH and MAGLEV; priority, then
//!    locality, then host, as Envoy's `hostSourceToUse`. A pick allocates nothing.
//! 5. **Runtime** ([`Balancer`]): a route's plans and one worker's pickers, the one pick path
//!    every adapter uses; a pick returns a [`Picked`] the caller hands back to
//!    [`Balancer::finish`] when the request ends (least request counts requests in flight);
//!    [`Balancer::apply`] takes a batch of [`Change`]s and re-plans once.
//!    [`simulate_traffic`] runs it with requests that take time.
//! 6. **Explain** ([`Explanation`]): one value with each priority's load, each endpoint's share
//!    and notes on what applied, serialisable with the `serde` feature.
//!
//! Time and randomness are arguments ([`Rng`], [`SeededRng`]): the same seed gives the same
//! picks natively and in WebAssembly.
//!
//! ## Example
//! ```
//! use meshlb::{Endpoint, HealthStatus, LbConfig, LoadAssignment, Locality, LocalityEndpoints};
//! use meshlb::{Picker, Plan, Request, SeededRng};
//!
//! let zone = |zone: &str, priority, addresses: &[(&str, HealthStatus)]| LocalityEndpoints {
//!     locality: Locality::new("us-east", zone, ""),
//!     weight: None,
//!     priority,
//!     endpoints: addresses.iter().map(|(a, h)| Endpoint::new(a, 8080).with_health(*h)).collect(),
//! };
//! use HealthStatus::{Healthy, Unhealthy};
//! let assignment = LoadAssignment {
//!     localities: vec![
//!         zone("us-east-1a", 0, &[("10.0.0.1", Healthy), ("10.0.0.2", Unhealthy)]),
//!         zone("us-east-1b", 1, &[("10.0.1.1", Healthy), ("10.0.1.2", Healthy)]),
//!     ],
//!     ..Default::default()
//! };
//! let plan = Plan::build(&assignment, &LbConfig::default())?;
//! // P0 is 50 % healthy: 140 % × 1/2 = 70 % stays in P0, 30 % spills to P1.
//! assert_eq!(plan.share_of("10.0.0.1", 8080), Some(0.7));
//! assert_eq!(plan.share_of("10.0.1.1", 8080), Some(0.15));
//!
//! let mut rng = SeededRng::new(42);
//! let mut picker = Picker::new(&plan, &mut rng);
//! let host = picker.pick(&plan, &mut rng, Request::default());
//! // Something is healthy, and the pick is never the unhealthy host.
//! assert!(host.is_some_and(|h| plan.host(h).address() != "10.0.0.2"));
//! # Ok::<(), meshlb::PlanError>(())
//! ```
//!
//! ## Features
//! - `serde` (default): `Serialize`/`Deserialize` for [`Explanation`] and its parts.
//!
//! The crate builds without default features for targets without `std`
//! (CI builds it for `thumbv6m-none-eabi`). MSRV: Rust 1.88.

#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod balancer;
mod diff;
mod edf;
mod error;
mod explain;
mod hash;
mod health_check;
pub mod limits;
pub mod mesh;
mod model;
mod names;
mod note;
mod pick;
mod plan;
mod rng;
mod sim;
mod traffic;

pub use balancer::{Addition, Applied, Balancer, Change, ChangeError, Picked, Pickers, Route};
pub use diff::{Diff, Presence, ShareChange, diff};
pub use error::PlanError;
pub use explain::{
    BehindEndpoint, ClientReport, ClusterRow, ConfigRef, DistributeReport, DistributeTarget,
    DropReason, DroppedEndpoint, EndpointKind, EndpointReport, Explanation, FailoverReport,
    LocalityLbMode, LocalitySettingReport, LocalitySettingSource, PriorityReport, RouteReport,
    Status,
};
pub use hash::HashTable;
pub use health_check::{
    CheckOutcome, HealthCheckConfig, HealthCheckError, HostCheck, NO_TRAFFIC_INTERVAL_MS,
    Transition,
};
pub use model::{
    Availability, DEFAULT_MAGLEV_TABLE_SIZE, DEFAULT_MIN_RING_SIZE,
    DEFAULT_OVERPROVISIONING_FACTOR, DEFAULT_PANIC_THRESHOLD, Endpoint, HealthStatus, LbConfig,
    LbPolicy, LeastRequestConfig, LoadAssignment, Locality, LocalityEndpoints,
    MAX_MAGLEV_TABLE_SIZE, MAX_PRIORITY, MAX_RING_SIZE, MaglevConfig, PPM, RingHashConfig,
    check_panic_threshold, endpoint_address,
};
pub use names::UnknownName;
pub use note::{Note, NoteCode};
pub use pick::{Picker, Request, hash_key};
pub use plan::{
    Counts, Host, HostId, HostUpdate, Hosts, LocalityGroup, MAX_ADDRESS_BYTES, MAX_CHOICE_COUNT,
    MAX_ENDPOINTS, Plan, PriorityState, host_key,
};
pub use rng::{Rng, SeededRng};

/// The README's Rust example, compiled and run as a doctest.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
pub use sim::{SimulatedEndpoint, Simulation, simulate};
pub use traffic::{Traffic, TrafficError, TrafficReport, simulate_traffic};
