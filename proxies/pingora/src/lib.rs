//! meshlb as a [`pingora_load_balancing`] backend selection: a pingora proxy gets Envoy's
//! priorities, locality failover, overprovisioning spill-over, panic and load balancers.
//!
//! pingora's `LoadBalancer<S>` builds an `S: BackendSelection` from its backend set each time
//! the set changes, and asks it, per request, for an iterator: the first backend, then
//! fallbacks, until one passes pingora's own health check (`select_with`). [`Meshlb`] is such
//! a selection:
//!
//! - **Placement in the extensions.** Each [`Backend`] carries its [`Placement`] (locality,
//!   priority, EDS health) in `ext` ([`backend`] builds one); a backend without one is in
//!   the default locality at priority 0, healthy. Its `weight` is its load-balancing weight.
//! - **The first backend is meshlb's pick** against the plan built from the set
//!   ([`meshlb::Route`]), with this thread's [`meshlb::Pickers`] for that selection (one
//!   set per pingora worker thread and selection, kept in a thread local until the selection
//!   is dropped: no lock on the request path), drawing from a generator of the selection's
//!   seed and the thread's ordinal ([`Meshlb::with_seed`]). The request key is the hash key
//!   (RING_HASH, MAGLEV; [`meshlb::hash_key`]); other policies ignore it.
//! - **Fallbacks in failover order** ([`meshlb::Route::fallbacks`]): the rest of the picked
//!   priority, then the next priorities, available hosts first, so a backend pingora finds
//!   down is replaced as Envoy's priority failover would move its traffic.
//!
//! Requests are finished at once (pingora's selection has no request end), so LEAST_REQUEST
//! sees no requests in flight here: use it through `meshlb-proxy` or `meshlb-tower`, which
//! count them.
//!
//! Two limits of pingora's `LoadBalancer` to know:
//! - **A change of placement alone is no change to pingora.** `Backend`'s equality and hash
//!   read its address and weight, not `ext`, so `Backends::update` with a set that differs
//!   only in placements (a health, a locality, a priority) keeps the old set and the old
//!   selection. Report a backend down through pingora's health check (or take it out of
//!   the set); change a placement by changing the set's addresses or weights with it.
//! - **`LoadBalancer` does not hand its selection out.** A backend meshlb refuses (a
//!   priority past Envoy's 128) or an address listed twice (pingora's set holds one a weight)
//!   is left out and the rest planned; each is logged (`log::error!`) and
//!   [`Meshlb::error`] names them, but only on a selection you hold: check a set with
//!   [`Meshlb::build_with_config`] before it goes to pingora.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use meshlb::{
    Endpoint, HealthStatus, LbConfig, LoadAssignment, Locality, LocalityEndpoints, Pickers, Plan,
    Request, Route, SeededRng,
};
pub use pingora_load_balancing::Backend;
use pingora_load_balancing::selection::{BackendIter, BackendSelection};

/// Where a backend sits, for Envoy's maths: carried in [`Backend::ext`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Placement {
    /// Its locality.
    pub locality: Locality,
    /// Its priority (0 is the highest).
    pub priority: u32,
    /// Its EDS health status.
    pub health: HealthStatus,
}

/// A backend at `address` (`ip:port`) with `weight` and `placement`.
///
/// # Errors
/// pingora's message for an address that is not `ip:port`.
pub fn backend(address: &str, weight: usize, placement: Placement) -> Result<Backend, String> {
    let mut backend = Backend::new_with_weight(address, weight).map_err(|e| e.to_string())?;
    backend.ext.insert(placement);
    Ok(backend)
}

/// The selection: the plan of a backend set, and the backends by plan host.
#[derive(Debug)]
pub struct Meshlb {
    route: Option<Route>,
    /// Per plan host: its backend.
    backends: Vec<Backend>,
    /// Distinguishes selections, so that each thread's pickers follow the current one.
    id: u64,
    /// The seed of the selection's random draws ([`Meshlb::with_seed`]; by default its id).
    seed: u64,
    /// How many threads have picked for this selection: the next one's ordinal, which
    /// (with the seed) seeds its generator.
    threads: AtomicU64,
    /// Why the set could not be planned, if it could not.
    error: Option<String>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// One selection's pickers on one thread.
struct ThreadPickers {
    /// The selection's id, and the selection itself to tell when it is gone (ids are never
    /// reused; addresses may be).
    id: u64,
    selection: Weak<Meshlb>,
    pickers: Pickers,
    rng: SeededRng,
}

thread_local! {
    /// This thread's pickers, one entry for each live selection it has picked for: a proxy
    /// with several upstreams has a `LoadBalancer` (so a selection) each, used in turn on the
    /// same worker thread. With one entry for the last selection only, two used in turn
    /// rebuilt each other's pickers at every request, from the same seed: every request of
    /// each went to the same backend.
    static PICKERS: RefCell<Vec<ThreadPickers>> = const { RefCell::new(Vec::new()) };
}

impl Meshlb {
    /// The explanation of the plan (shared/SCENARIO.md §3), `None` when the set could not be
    /// planned.
    #[must_use]
    pub fn explain(&self) -> Option<meshlb::Explanation> {
        self.route.as_ref().map(Route::explain)
    }

    /// The backends left out (meshlb refused them, or pingora listed an address twice), or
    /// why the set could not be planned at all (every request then gets no backend); also
    /// logged (`log::error!`) when the selection is built.
    #[must_use]
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The backend of explanation endpoint `index`.
    #[must_use]
    pub fn backend(&self, index: usize) -> Option<&Backend> {
        self.backends.get(index)
    }

    /// The selection of `backends` under `config` whose random draws are fixed by `seed`:
    /// the n-th thread to pick for it draws from the generator of `seed` and n, so a
    /// single-threaded run repeats exactly. [`BackendSelection::build_with_config`] seeds
    /// each selection by its own id, so that two upstreams do not draw alike.
    #[must_use]
    pub fn with_seed(backends: &BTreeSet<Backend>, config: &LbConfig, seed: u64) -> Self {
        Self {
            seed,
            ..Self::build_with_config(backends, config)
        }
    }

    /// The generator of the next thread to pick for this selection.
    fn thread_rng(&self) -> SeededRng {
        SeededRng::stream(self.seed, self.threads.fetch_add(1, Ordering::Relaxed))
    }
}

impl BackendSelection for Meshlb {
    type Iter = MeshlbIter;
    /// The load-balancing settings (policy, overprovisioning factor, panic threshold,
    /// locality-weighted LB); `build` uses the defaults (ROUND_ROBIN, Envoy's).
    type Config = LbConfig;

    fn build(backends: &BTreeSet<Backend>) -> Self {
        Self::build_with_config(backends, &LbConfig::default())
    }

    fn build_with_config(backends: &BTreeSet<Backend>, config: &LbConfig) -> Self {
        let mut groups: Vec<LocalityEndpoints> = Vec::new();
        let mut order: Vec<Vec<Backend>> = Vec::new();
        // Backends meshlb refuses are left out, each named here, logged and kept for
        // `error()`: the rest of the set is planned (a set holding one of them got no
        // backend at all, and said so nowhere).
        let mut refused: Vec<String> = Vec::new();
        let mut seen: BTreeSet<(String, u16)> = BTreeSet::new();
        for b in backends {
            let placement = b.ext.get::<Placement>().cloned().unwrap_or_default();
            let (address, port) = match b.addr.as_inet() {
                Some(inet) => (inet.ip().to_string(), inet.port()),
                None => (b.addr.to_string(), 0),
            };
            let mut endpoint = Endpoint::new(&address, port).with_health(placement.health);
            endpoint.weight = u32::try_from(b.weight.max(1)).unwrap_or(u32::MAX);
            // pingora's set holds an address once a weight: the first is kept.
            if seen.contains(&(address.clone(), port)) {
                refused.push(format!(
                    "backend {}: listed again with weight {}; the first is kept",
                    b.addr, b.weight
                ));
                continue;
            }
            if let Err(e) = Plan::check_endpoint(&placement.locality, placement.priority, &endpoint)
            {
                refused.push(format!("backend {}: {e}; left out", b.addr));
                continue;
            }
            seen.insert((address, port));
            match groups
                .iter()
                .position(|g| g.locality == placement.locality && g.priority == placement.priority)
            {
                Some(g) => {
                    groups[g].endpoints.push(endpoint);
                    order[g].push(b.clone());
                }
                None => {
                    groups.push(LocalityEndpoints {
                        locality: placement.locality,
                        weight: None,
                        priority: placement.priority,
                        endpoints: vec![endpoint],
                    });
                    order.push(vec![b.clone()]);
                }
            }
        }
        let assignment = LoadAssignment {
            localities: groups,
            ..LoadAssignment::default()
        };
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        match Plan::build(&assignment, config) {
            Ok(plan) => {
                // Plan hosts keep the assignment's (group, endpoint) origin.
                let backends = plan
                    .hosts()
                    .filter_map(|h| {
                        let (group, endpoint) = h.origin();
                        order.get(group as usize)?.get(endpoint as usize).cloned()
                    })
                    .collect();
                for message in &refused {
                    log::error!("meshlb: {message}");
                }
                Self {
                    route: Some(Route::from_plan(plan)),
                    backends,
                    id,
                    seed: id,
                    threads: AtomicU64::new(0),
                    error: (!refused.is_empty()).then(|| refused.join("; ")),
                }
            }
            Err(e) => {
                refused.push(e.to_string());
                let error = refused.join("; ");
                log::error!("meshlb: the backend set cannot be planned: {error}");
                Self {
                    route: None,
                    backends: Vec::new(),
                    id,
                    seed: id,
                    threads: AtomicU64::new(0),
                    error: Some(error),
                }
            }
        }
    }

    fn iter(self: &Arc<Self>, key: &[u8]) -> MeshlbIter {
        let picked = self.route.as_ref().and_then(|route| {
            PICKERS.with(|cell| {
                let mut cell = cell.borrow_mut();
                let at = match cell.iter().position(|t| t.id == self.id) {
                    Some(at) => at,
                    None => {
                        // A selection replaced by an update (or dropped) leaves its pickers.
                        cell.retain(|t| t.selection.strong_count() > 0);
                        // Each thread's generator is seeded by the selection and the thread.
                        let mut rng = self.thread_rng();
                        let pickers = Pickers::new(route, &mut rng);
                        cell.push(ThreadPickers {
                            id: self.id,
                            selection: Arc::downgrade(self),
                            pickers,
                            rng,
                        });
                        cell.len() - 1
                    }
                };
                let ThreadPickers { pickers, rng, .. } = cell.get_mut(at)?;
                let request = if key.is_empty() {
                    Request::default()
                } else {
                    Request::with_hash(meshlb::hash_key(key))
                };
                let picked = pickers.pick(route, rng, request)?;
                pickers.finish(picked);
                Some(picked)
            })
        });
        MeshlbIter {
            selection: Arc::clone(self),
            picked,
            state: State::First,
        }
    }
}

#[derive(Debug)]
enum State {
    First,
    /// How many fallbacks were yielded.
    Fallback(usize),
}

/// The backends of one request: meshlb's pick, then the fallbacks in failover order.
#[derive(Debug)]
pub struct MeshlbIter {
    selection: Arc<Meshlb>,
    picked: Option<meshlb::Picked>,
    state: State,
}

impl BackendIter for MeshlbIter {
    fn next(&mut self) -> Option<&Backend> {
        let picked = self.picked?;
        let route = self.selection.route.as_ref()?;
        let index = match self.state {
            State::First => {
                self.state = State::Fallback(0);
                picked.index()
            }
            State::Fallback(n) => {
                self.state = State::Fallback(n + 1);
                route.fallbacks(picked).nth(n)?
            }
        };
        self.selection.backends.get(index)
    }
}
