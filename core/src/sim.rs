//! Seeded simulation: many picks through the real pickers, counted per endpoint.
//!
//! The CLI's `meshlb simulate`, the wasm package and the tests all run this one function, so a
//! simulation anywhere can be replayed anywhere: the same plan and seed give the same counts.

use alloc::string::String;
use alloc::vec::Vec;

use crate::balancer::{RouteRef, Routed};
use crate::pick::{Picker, Request};
use crate::plan::Plan;
use crate::rng::SeededRng;

/// Counts of a seeded simulation.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Simulation {
    /// Requests sent.
    pub requests: u64,
    /// The seed.
    pub seed: u64,
    /// Per endpoint, in the order of the plan's hosts.
    pub endpoints: Vec<SimulatedEndpoint>,
    /// Largest `|observed - share|` over the endpoints.
    pub max_abs_deviation: f64,
    /// Requests for which no host could be picked (Envoy's 503 "no healthy upstream"; added
    /// field).
    pub unrouted: u64,
    /// Requests Envoy dropped before picking a host (`policy.drop_overloads`; added field).
    #[cfg_attr(feature = "serde", serde(default))]
    pub dropped: u64,
    /// Timed simulations ([`crate::simulate_traffic`]): the arrival rate, the simulated time
    /// and the mean requests in flight (added field, absent otherwise).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub traffic: Option<crate::traffic::TrafficReport>,
}

/// One endpoint's outcome in a [`Simulation`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SimulatedEndpoint {
    /// Address.
    pub address: String,
    /// Port.
    pub port: u16,
    /// Picks that chose it.
    pub count: u64,
    /// `count / requests`.
    pub observed: f64,
    /// The explained share.
    pub share: f64,
    /// Timed simulations: the endpoint's mean latency, milliseconds (added field).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub latency_ms: Option<f64>,
    /// Timed simulations: requests in flight on the endpoint, averaged over time (added field).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub mean_active: Option<f64>,
}

/// Sends `requests` seeded picks through a fresh [`Picker`] over `plan`.
///
/// The picker's starting state and every per-request random value come from
/// `SeededRng::new(seed)`; hash policies get a seeded random hash per request (uniformly
/// spread keys), and least-request requests finish before the next one starts (equal load;
/// [`crate::simulate_traffic`] gives requests durations).
#[must_use]
pub fn simulate(plan: &Plan, requests: u64, seed: u64) -> Simulation {
    let mut rng = SeededRng::new(seed);
    let mut pickers = [Some(Picker::new(plan, &mut rng))];
    let kept = 1.0 - plan.drop_overload();
    let shares = plan.shares();
    let endpoints = plan
        .hosts()
        .zip(shares)
        .map(|(h, share)| (h.address(), h.port(), share * kept));
    simulate_route(
        RouteRef::Plan(plan),
        &mut pickers,
        &mut rng,
        requests,
        seed,
        endpoints,
    )
}

/// `requests` picks of no duration through the one pick path ([`RouteRef::pick`]), counted
/// per endpoint of the explanation (`endpoints`: address, port, explained share).
pub(crate) fn simulate_route<'a>(
    route: RouteRef<'_>,
    pickers: &mut [Option<Picker>],
    rng: &mut SeededRng,
    requests: u64,
    seed: u64,
    endpoints: impl ExactSizeIterator<Item = (&'a str, u16, f64)>,
) -> Simulation {
    let mut counts = alloc::vec![0_u64; endpoints.len()];
    let (mut unrouted, mut dropped) = (0, 0);
    for _ in 0..requests {
        match route.pick(pickers, rng, Request::default()) {
            Routed::Host { destination, host } => {
                match counts.get_mut(route.index(destination, host)) {
                    Some(count) => *count += 1,
                    None => unrouted += 1,
                }
            }
            Routed::Dropped => dropped += 1,
            Routed::Nothing => unrouted += 1,
        }
    }
    let mut simulation = Simulation::from_counts(requests, seed, endpoints, counts, unrouted);
    simulation.dropped = dropped;
    simulation
}

impl Simulation {
    /// Assembles a simulation's report: per endpoint (address, port, explained share) its
    /// count, observed fraction, and the largest deviation.
    pub(crate) fn from_counts<'a>(
        requests: u64,
        seed: u64,
        endpoints: impl Iterator<Item = (&'a str, u16, f64)>,
        counts: Vec<u64>,
        unrouted: u64,
    ) -> Self {
        let mut max_abs_deviation = 0.0_f64;
        let endpoints = endpoints
            .zip(counts)
            .map(|((address, port, share), count)| {
                let observed = if requests == 0 {
                    0.0
                } else {
                    count as f64 / requests as f64
                };
                max_abs_deviation = max_abs_deviation.max((observed - share).abs());
                SimulatedEndpoint {
                    address: address.into(),
                    port,
                    count,
                    observed,
                    share,
                    latency_ms: None,
                    mean_active: None,
                }
            })
            .collect();
        Self {
            requests,
            seed,
            endpoints,
            max_abs_deviation,
            unrouted,
            dropped: 0,
            traffic: None,
        }
    }
}
