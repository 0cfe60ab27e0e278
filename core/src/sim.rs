//! Seeded simulation: many picks through the real pickers, counted per endpoint.
//!
//! The CLI's `meshlb simulate`, the wasm package and the tests all run this one function, so a
//! simulation anywhere can be replayed anywhere: the same plan and seed give the same counts.

use alloc::string::String;
use alloc::vec::Vec;

use crate::pick::{Picker, Request};
use crate::plan::Plan;
use crate::rng::{Rng, SeededRng};

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
}

/// Sends `requests` seeded picks through a fresh [`Picker`] over `plan`.
///
/// The picker's starting state and every per-request random value come from
/// `SeededRng::new(seed)`; hash policies get a seeded random hash per request (uniformly
/// spread keys), and least-request requests finish before the next one starts (equal load).
#[must_use]
pub fn simulate(plan: &Plan, requests: u64, seed: u64) -> Simulation {
    let mut rng = SeededRng::new(seed);
    let mut picker = Picker::new(plan, &mut rng);
    let mut counts = alloc::vec![0_u64; plan.hosts().len()];
    let mut unrouted = 0;
    let mut dropped = 0;
    let hashed = plan.config().policy.is_hash_based();
    for _ in 0..requests {
        if plan.drops(&mut rng) {
            dropped += 1;
            continue;
        }
        let request = if hashed {
            Request::with_hash(rng.next_u64())
        } else {
            Request::default()
        };
        match picker.pick(plan, &mut rng, request) {
            Some(host) => {
                picker.request_started(host);
                counts[host.index()] += 1;
                picker.request_finished(host);
            }
            None => unrouted += 1,
        }
    }
    let kept = 1.0 - plan.drop_overload();
    let shares = plan.shares();
    let endpoints = plan
        .hosts()
        .iter()
        .zip(shares)
        .map(|(h, share)| (h.endpoint.address.as_str(), h.endpoint.port, share * kept));
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
        }
    }
}
