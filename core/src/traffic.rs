//! Requests that take time: a seeded discrete-event simulation of a [`Balancer`] under load.
//!
//! See [`simulate_traffic`].

use alloc::collections::BinaryHeap;
use alloc::vec::Vec;
use core::cmp::Reverse;
use core::fmt;

use crate::balancer::{Balancer, Picked};
use crate::pick::Request;
use crate::rng::{Rng, SeededRng};
use crate::sim::Simulation;

/// How requests arrive and how long they take; see [`simulate_traffic`] for the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Traffic {
    rate: f64,
    latencies_ms: Vec<f64>,
}

/// A [`Traffic`] that cannot be simulated.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum TrafficError {
    /// The arrival rate is not a positive, finite number of requests per second.
    Rate(f64),
    /// An endpoint's latency (by its index) is negative or not finite.
    Latency {
        /// The endpoint's index in the explanation.
        endpoint: usize,
        /// The latency, milliseconds.
        latency_ms: f64,
    },
}

impl fmt::Display for TrafficError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rate(rate) => write!(
                f,
                "rate {rate}: requests per second must be a positive, finite number"
            ),
            Self::Latency {
                endpoint,
                latency_ms,
            } => write!(
                f,
                "endpoint {endpoint}: latency {latency_ms} ms must be a finite number of milliseconds, 0 or more"
            ),
        }
    }
}

impl core::error::Error for TrafficError {}

impl Traffic {
    /// Poisson arrivals of `rate` requests per second; `latencies_ms[i]` the mean latency of
    /// the explanation's endpoint `i` (endpoints past the list take 0).
    ///
    /// # Errors
    /// A rate that is not positive and finite; a latency that is negative or not finite.
    pub fn new(rate: f64, latencies_ms: Vec<f64>) -> Result<Self, TrafficError> {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(TrafficError::Rate(rate));
        }
        if let Some((endpoint, &latency_ms)) = latencies_ms
            .iter()
            .enumerate()
            .find(|(_, l)| !(l.is_finite() && **l >= 0.0))
        {
            return Err(TrafficError::Latency {
                endpoint,
                latency_ms,
            });
        }
        Ok(Self { rate, latencies_ms })
    }

    /// Arrivals, requests per second.
    #[must_use]
    pub const fn rate(&self) -> f64 {
        self.rate
    }

    /// The mean latency of endpoint `index`, milliseconds.
    #[must_use]
    pub fn latency_ms(&self, index: usize) -> f64 {
        self.latencies_ms.get(index).copied().unwrap_or(0.0)
    }
}

/// What a timed simulation adds to a [`Simulation`] (added fields).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TrafficReport {
    /// Arrivals, requests per second.
    pub rate: f64,
    /// Simulated time from the start to the last arrival, milliseconds.
    pub duration_ms: f64,
    /// Requests in flight over all endpoints, averaged over that time.
    pub mean_active: f64,
}

/// The stream arrivals and durations draw from, apart from the picks'.
const TRAFFIC_STREAM: u64 = 0x7472_6166_6669_6321;

/// An exponentially distributed duration of mean `mean_ns`, whole nanoseconds.
fn exponential_ns(rng: &mut SeededRng, mean_ns: f64) -> u64 {
    if mean_ns <= 0.0 {
        return 0;
    }
    // Uniform in [0, 1) from the top 53 bits; -ln(1 - u) is exponential of mean 1.
    let u = (rng.next_u64() >> 11) as f64 * (1.0 / (1_u64 << 53) as f64);
    let t = -mean_ns * libm::log1p(-u);
    if t >= u64::MAX as f64 {
        u64::MAX
    } else {
        libm::round(t) as u64
    }
}

/// Sends `requests` requests of [`Traffic`] through `balancer`, picking with `rng`; arrivals
/// and durations come from `seed`. Leaves no request active on the balancer.
///
///
/// [`crate::simulate`] finishes every request before the next one starts, so least request sees
/// equal loads everywhere. Here requests overlap, and each endpoint's latency decides how many
/// it holds at a time, which is what LEAST_REQUEST balances on.
///
/// ## The model
/// - **Arrivals** form a Poisson process of [`Traffic::rate`] requests per second (exponential
///   times between arrivals).
/// - Each request is picked by the balancer when it arrives ([`Balancer::pick`]) and stays
///   active on its endpoint for an exponentially distributed time whose mean is the endpoint's
///   latency ([`Traffic::latency_ms`]); then it is finished ([`Balancer::finish`]).
/// - An endpoint serves any number of requests at once: its latency does not grow with its load
///   (an M/M/∞ station). What the balancer changes is how many requests each endpoint holds.
/// - Time is counted in integer nanoseconds. Two seeded streams: the picks draw from the
///   caller's generator (seeded as [`crate::simulate`] seeds it), arrivals and durations from
///   their own, fixed by the seed.
///
/// Reported per endpoint: the count and observed share (as [`crate::simulate`]), the mean
/// latency, and the time-averaged number of requests in flight over the span of the arrivals.
///
/// ## What to expect
/// - ROUND_ROBIN, RANDOM, RING_HASH and MAGLEV do not look at load: every endpoint gets its
///   explained share whatever its latency, and holds `share × rate × latency` requests on
///   average (Little's law).
/// - LEAST_REQUEST with equal weights is the power of two choices (Envoy's `choice_count`,
///   default 2; Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing", IEEE
///   TPDS 12(10), 2001): each request samples `c` endpoints uniformly, with replacement, and
///   takes the one with the fewest active requests (`least_request_lb.cc`). At light load the
///   samples tie at zero and the first one wins: shares are the explained ones. Under load a
///   slower endpoint holds more requests and loses comparisons, so it receives less than its
///   weight share: toward the share that equalises requests in flight,
///   `(1/Lᵢ) / Σⱼ (1/Lⱼ)`, but never below `(1/n)^c`, the chance that every sample is that
///   endpoint (an endpoint busier than all others is still taken then).
/// - LEAST_REQUEST with unequal weights is EDF over `weight / (active + 1)^active_request_bias`
///   (bias 1 by default): a slow endpoint's weight is divided by its requests in flight.
///
/// Envoy docs: `intro/arch_overview/upstream/load_balancing/load_balancers` (weighted least
/// request); `LeastRequestLbConfig` (`choice_count`, `active_request_bias`).
#[must_use]
pub fn simulate_traffic<R: Rng + ?Sized>(
    balancer: &mut Balancer,
    rng: &mut R,
    traffic: &Traffic,
    requests: u64,
    seed: u64,
) -> Simulation {
    let explanation = balancer.explain();
    let shares = balancer.expected_shares();
    let n = explanation.endpoints.len();
    let mut clock = SeededRng::new(seed ^ TRAFFIC_STREAM);
    let between_ns = 1e9 / traffic.rate;
    let latency_ns: Vec<f64> = (0..n).map(|i| traffic.latency_ms(i) * 1e6).collect();
    // Requests in flight: (end, order, slot in `open`), earliest end first.
    let mut ends: BinaryHeap<Reverse<(u64, u64, u32)>> = BinaryHeap::new();
    let mut open: Vec<Picked> = Vec::new();
    let mut free: Vec<u32> = Vec::new();
    let mut active = alloc::vec![0_u64; n];
    let mut area = alloc::vec![0.0_f64; n];
    let mut since = alloc::vec![0_u64; n];
    let mut counts = alloc::vec![0_u64; n];
    let (mut now, mut order, mut unrouted) = (0_u64, 0_u64, 0_u64);
    let dropped_before = balancer.dropped();
    // Adds endpoint i's requests in flight since its last change to its area, then moves its
    // count by `delta`.
    let mut account = |i: usize, at: u64, delta: i64, active: &mut [u64]| {
        area[i] += active[i] as f64 * at.saturating_sub(since[i]) as f64;
        since[i] = at;
        active[i] = active[i].saturating_add_signed(delta);
    };
    for _ in 0..requests {
        now = now.saturating_add(exponential_ns(&mut clock, between_ns));
        while let Some(&Reverse((end, _, slot))) = ends.peek() {
            if end > now {
                break;
            }
            ends.pop();
            let picked = open[slot as usize];
            free.push(slot);
            balancer.finish(picked);
            if picked.index() < n {
                account(picked.index(), end, -1, &mut active);
            }
        }
        let dropped = balancer.dropped();
        let Some(picked) = balancer.pick(rng, Request::default()) else {
            if balancer.dropped() == dropped {
                unrouted += 1;
            }
            continue;
        };
        let i = picked.index();
        if i >= n {
            balancer.finish(picked);
            unrouted += 1;
            continue;
        }
        counts[i] += 1;
        account(i, now, 1, &mut active);
        let end = now.saturating_add(exponential_ns(&mut clock, latency_ns[i]));
        let slot = match free.pop() {
            Some(slot) => {
                open[slot as usize] = picked;
                slot
            }
            None => {
                open.push(picked);
                (open.len() - 1) as u32
            }
        };
        ends.push(Reverse((end, order, slot)));
        order += 1;
    }
    for i in 0..n {
        account(i, now, 0, &mut active);
    }
    while let Some(Reverse((_, _, slot))) = ends.pop() {
        balancer.finish(open[slot as usize]);
    }
    let span = now as f64;
    let mean = |a: f64| if span > 0.0 { a / span } else { 0.0 };
    let endpoints = explanation
        .endpoints
        .iter()
        .zip(&shares)
        .map(|(e, share)| (e.address.as_str(), e.port, *share));
    let mut simulation = Simulation::from_counts(requests, seed, endpoints, counts, unrouted);
    simulation.dropped = balancer.dropped() - dropped_before;
    for (i, e) in simulation.endpoints.iter_mut().enumerate() {
        e.latency_ms = Some(traffic.latency_ms(i));
        e.mean_active = Some(mean(area[i]));
    }
    simulation.traffic = Some(TrafficReport {
        rate: traffic.rate,
        duration_ms: span / 1e6,
        mean_active: mean(area.iter().sum()),
    });
    simulation
}
