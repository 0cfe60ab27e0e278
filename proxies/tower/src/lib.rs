//! A [`tower`] balancer that sends each request to the endpoint meshlb picks: Envoy's
//! priorities, locality failover, overprovisioning, panic, locality weights and every load
//! balancer policy, over a [`Discover`] stream of endpoint services.
//!
//! Like tower's `balance::p2c::Balance` (and linkerd2-proxy's balancer built on it),
//! [`Balance`] is a [`Service`] over a [`Discover`] stream; unlike it, each discovered service
//! comes with the facts Envoy balances by ([`Endpoint`]: locality, priority, weight, health),
//! and the pick is meshlb's ([`meshlb::Pickers`] against a [`meshlb::Route`]), so the
//! balancer spills over, fails over and panics as Envoy does.
//!
//! - **Discovery** changes are drained on each [`Service::poll_ready`] and applied as one batch:
//!   one incremental re-plan ([`meshlb::Route::apply`]) per batch, the pickers following by
//!   plan identity. An endpoint meshlb refuses (a priority past Envoy's 128) is left out and
//!   `poll_ready` reports it ([`Error::Plan`]) once the rest of the batch is applied; so is
//!   an error of the stream ([`Error::Discover`]), after the changes drained before it. The
//!   first plan, and one after a batch the core refuses as a whole, is built from every live
//!   endpoint.
//! - **Readiness**: [`Service::poll_ready`] polls every endpoint service; one whose readiness
//!   fails (`Err`) is marked UNHEALTHY, as a failed health check would, and healthy again (its
//!   discovered health) once its readiness succeeds. `Pending` is not a failure.
//! - **The pick** happens in [`Service::call`], where the request is known: a caller-given
//!   function maps the request to its hash (RING_HASH, MAGLEV; Envoy's `hash_policy`). The
//!   picked endpoint's service (the instance `poll_ready` made ready, a clone taking its
//!   place) is driven to readiness then called (tower's `Oneshot`), so the balancer never
//!   waits on one slow endpoint to serve the others, and capacity an endpoint reserves when
//!   ready (a `ConcurrencyLimit` permit) goes with the request that uses it.
//! - **In-flight requests** (LEAST_REQUEST's active counts) are tracked through the response
//!   futures: each holds its pick until it completes or is dropped, then hands it back.
//!
//! Why not tower's p2c: it picks two random *ready* services by load, without localities,
//! priorities or health, and picks in `poll_ready`, before the request (and its hash) is
//! known.
//!
//! # Examples
//! ```
//! use std::task::{Context, Poll};
//! use meshlb::{HealthStatus, LbConfig, Locality};
//! use meshlb_tower::{Balance, BoxError, Endpoint};
//! use tower::discover::ServiceList;
//! use tower_service::Service;
//!
//! /// An endpoint that answers its zone.
//! #[derive(Clone)]
//! struct Zone(&'static str);
//! impl Service<()> for Zone {
//!     type Response = &'static str;
//!     type Error = BoxError;
//!     type Future = std::future::Ready<Result<&'static str, BoxError>>;
//!     fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
//!         Poll::Ready(Ok(()))
//!     }
//!     fn call(&mut self, _: ()) -> Self::Future {
//!         std::future::ready(Ok(self.0))
//!     }
//! }
//!
//! let endpoint = |zone: &'static str, priority: u32| Endpoint {
//!     service: Zone(zone),
//!     locality: Locality::new("us-east", zone, ""),
//!     priority,
//!     weight: 1,
//!     health: HealthStatus::Healthy,
//! };
//! let endpoints = ServiceList::new(vec![endpoint("us-east-1a", 0), endpoint("us-east-1b", 1)]);
//! let mut balance = Balance::new(endpoints, LbConfig::default(), |_: &()| None, 7);
//! # let runtime = tokio::runtime::Builder::new_current_thread().build()?;
//! # runtime.block_on(async {
//! std::future::poll_fn(|cx| balance.poll_ready(cx)).await?;
//! // P0 is healthy: every request goes to its zone.
//! assert_eq!(balance.call(()).await?, "us-east-1a");
//! # Ok::<(), BoxError>(())
//! # })?;
//! # Ok::<(), BoxError>(())
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::task::{Context, Poll};

use meshlb::{
    Change as PlanChange, HealthStatus, LbConfig, LoadAssignment, Locality, LocalityEndpoints,
    Picked, Pickers, Plan, Request, Route, SeededRng,
};
use tower::discover::{Change, Discover};
use tower_service::Service;

/// An error of the balancer or of an endpoint service, boxed (as tower's `BoxError`).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A discovered endpoint: its service and what Envoy balances by.
#[derive(Debug, Clone)]
pub struct Endpoint<S> {
    /// The service requests to this endpoint go to.
    pub service: S,
    /// Its locality.
    pub locality: Locality,
    /// Its priority (0 is the highest).
    pub priority: u32,
    /// Its load-balancing weight (at least 1; 0 is taken as 1, as Envoy's default).
    pub weight: u32,
    /// Its EDS health status.
    pub health: HealthStatus,
}

/// An endpoint is its service (so that tower's `ServiceList` and other discovery helpers,
/// which want services, can carry endpoints).
impl<S, Req> Service<Req> for Endpoint<S>
where
    S: Service<Req>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.service.poll_ready(cx)
    }

    fn call(&mut self, request: Req) -> S::Future {
        self.service.call(request)
    }
}

/// The balancer's own errors.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// meshlb picked no endpoint: nothing healthy (and no panic), or dropped by
    /// `drop_overloads` (Envoy's 503 "no healthy upstream").
    NoHealthyUpstream,
    /// The discovered endpoints make a plan meshlb refuses.
    Plan(String),
    /// The discovery stream failed.
    Discover(String),
    /// The discovery stream ended with no endpoint.
    NoEndpoints,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoHealthyUpstream => write!(f, "no healthy upstream"),
            Self::Plan(e) => write!(f, "the discovered endpoints cannot be planned: {e}"),
            Self::Discover(e) => write!(f, "discovery failed: {e}"),
            Self::NoEndpoints => write!(f, "discovery ended without endpoints"),
        }
    }
}

impl std::error::Error for Error {}

/// One endpoint as the balancer holds it.
#[derive(Debug)]
struct Slot<K, S> {
    key: K,
    service: S,
    /// Where it was discovered, as the plan has it.
    locality: Locality,
    priority: u32,
    weight: u32,
    /// The discovered health.
    health: HealthStatus,
    /// Its readiness failed (and has not succeeded since).
    not_ready: bool,
}

impl<K, S> Slot<K, S> {
    /// The endpoint as the plan holds it, `slot-N` for slot `n`.
    fn planned(&self, n: usize) -> meshlb::Endpoint {
        let health = if self.not_ready {
            HealthStatus::Unhealthy
        } else {
            self.health
        };
        let mut endpoint = meshlb::Endpoint::new(&address(n), PORT).with_health(health);
        endpoint.weight = self.weight;
        endpoint
    }
}

/// A [`Service`] that sends each request to the endpoint meshlb picks among those `D`
/// discovers. See the crate documentation.
pub struct Balance<D, S, H>
where
    D: Discover<Service = Endpoint<S>>,
{
    discover: D,
    discovery_ended: bool,
    config: LbConfig,
    route: Option<Route>,
    pickers: Option<Pickers>,
    rng: SeededRng,
    /// By slot number; an endpoint's meshlb address is `slot-N`.
    slots: Vec<Option<Slot<D::Key, S>>>,
    hash: H,
    finished_tx: mpsc::Sender<Picked>,
    finished_rx: mpsc::Receiver<Picked>,
}

impl<D, S, H> fmt::Debug for Balance<D, S, H>
where
    D: Discover<Service = Endpoint<S>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Balance")
            .field("endpoints", &self.slots.iter().flatten().count())
            .field("config", &self.config)
            .field("replans", &self.route.as_ref().map_or(0, Route::replans))
            .finish_non_exhaustive()
    }
}

/// Every endpoint's port in the plan (meshlb names endpoints by address and port; the
/// balancer names them `slot-N`).
const PORT: u16 = 1;

fn address(slot: usize) -> String {
    format!("slot-{slot}")
}

impl<D, S, H> Balance<D, S, H>
where
    D: Discover<Service = Endpoint<S>> + Unpin,
    D::Key: Eq + Clone,
    D::Error: Into<BoxError>,
{
    /// A balancer over the endpoints `discover` yields, balanced by `config` (policy,
    /// overprovisioning, panic threshold, locality-weighted LB...), with `hash` giving each
    /// request's hash (or `None`: a random one), its pickers seeded by `seed`.
    pub fn new(discover: D, config: LbConfig, hash: H, seed: u64) -> Self {
        let (finished_tx, finished_rx) = mpsc::channel();
        Self {
            discover,
            discovery_ended: false,
            config,
            route: None,
            pickers: None,
            rng: SeededRng::new(seed),
            slots: Vec::new(),
            hash,
            finished_tx,
            finished_rx,
        }
    }

    /// Re-plans so far (one per batch of discovery or readiness changes that changed
    /// something; the first plan is not counted).
    #[must_use]
    pub fn replans(&self) -> u64 {
        self.route.as_ref().map_or(0, Route::replans)
    }

    /// The explanation of the current plan (shared/SCENARIO.md §3); its endpoints are named
    /// `slot-N`, see [`Balance::key_of`].
    #[must_use]
    pub fn explain(&self) -> Option<meshlb::Explanation> {
        self.route.as_ref().map(Route::explain)
    }

    /// The discovery key of an endpoint of the explanation (by its address `slot-N`).
    #[must_use]
    pub fn key_of(&self, address: &str) -> Option<&D::Key> {
        let slot: usize = address.strip_prefix("slot-")?.parse().ok()?;
        self.slots.get(slot)?.as_ref().map(|s| &s.key)
    }

    /// Each discovered endpoint's expected share of requests, by key.
    #[must_use]
    pub fn shares(&self) -> Vec<(D::Key, f64)> {
        let Some(route) = &self.route else {
            return Vec::new();
        };
        route
            .explain()
            .endpoints
            .iter()
            .filter_map(|e| Some((self.key_of(&e.address)?.clone(), e.share)))
            .collect()
    }

    fn slot_of(&self, key: &D::Key) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.as_ref().is_some_and(|s| s.key == *key))
    }

    fn finish_returned(&mut self) {
        if let Some(pickers) = &mut self.pickers {
            while let Ok(picked) = self.finished_rx.try_recv() {
                pickers.finish(picked);
            }
        }
    }

    /// Drains the discovery stream: the changes to apply as one batch, and the first error
    /// met (the stream's, or an endpoint meshlb refuses, which is left out), which the caller
    /// reports once the changes drained before it are applied.
    fn poll_discovery(&mut self, cx: &mut Context<'_>) -> (Vec<PlanChange>, Option<Error>) {
        let mut changes = Vec::new();
        let mut error = None;
        // Slots freed in this batch are not given again in it: a removal and an addition of
        // one address in one batch would be one endpoint to the plan, and the new one would
        // take over the old one's requests in flight (LEAST_REQUEST's counts).
        let mut freed: Vec<usize> = Vec::new();
        while !self.discovery_ended {
            match Pin::new(&mut self.discover).poll_discover(cx) {
                Poll::Pending => break,
                Poll::Ready(None) => self.discovery_ended = true,
                Poll::Ready(Some(Err(e))) => {
                    error = Some(Error::Discover(e.into().to_string()));
                    break;
                }
                Poll::Ready(Some(Ok(Change::Insert(key, endpoint)))) => {
                    if let Some(old) = self.slot_of(&key) {
                        self.slots[old] = None;
                        changes.push(PlanChange::remove(&address(old), PORT));
                        freed.push(old);
                    }
                    let free = (0..self.slots.len())
                        .find(|&n| self.slots[n].is_none() && !freed.contains(&n));
                    let slot = free.unwrap_or_else(|| {
                        self.slots.push(None);
                        self.slots.len() - 1
                    });
                    let new = Slot {
                        key,
                        service: endpoint.service,
                        locality: endpoint.locality,
                        priority: endpoint.priority,
                        weight: endpoint.weight.max(1),
                        health: endpoint.health,
                        not_ready: false,
                    };
                    // An endpoint meshlb refuses (a priority past Envoy's 128, say) stays out
                    // of the slots and the batch: the others still apply, and the error says
                    // which.
                    let planned = new.planned(slot);
                    if let Err(e) = Plan::check_endpoint(&new.locality, new.priority, &planned) {
                        error.get_or_insert(Error::Plan(e.to_string()));
                        continue;
                    }
                    changes.push(PlanChange::add_endpoint(
                        planned,
                        new.locality.clone(),
                        new.priority,
                    ));
                    self.slots[slot] = Some(new);
                }
                Poll::Ready(Some(Ok(Change::Remove(key)))) => {
                    if let Some(slot) = self.slot_of(&key) {
                        self.slots[slot] = None;
                        changes.push(PlanChange::remove(&address(slot), PORT));
                        freed.push(slot);
                    }
                }
            }
        }
        (changes, error)
    }

    /// The plan of every live slot, from scratch.
    fn plan_slots(&self) -> Result<Option<Route>, Error> {
        let mut groups: Vec<LocalityEndpoints> = Vec::new();
        for (n, slot) in self.slots.iter().enumerate() {
            let Some(slot) = slot else { continue };
            let endpoint = slot.planned(n);
            match groups
                .iter_mut()
                .find(|g| g.locality == slot.locality && g.priority == slot.priority)
            {
                Some(group) => group.endpoints.push(endpoint),
                None => groups.push(LocalityEndpoints {
                    locality: slot.locality.clone(),
                    weight: None,
                    priority: slot.priority,
                    endpoints: vec![endpoint],
                }),
            }
        }
        if groups.is_empty() {
            return Ok(None);
        }
        let assignment = LoadAssignment {
            localities: groups,
            ..LoadAssignment::default()
        };
        let plan =
            Plan::build(&assignment, &self.config).map_err(|e| Error::Plan(e.to_string()))?;
        Ok(Some(Route::from_plan(plan)))
    }

    /// Applies a batch: later batches update the plan incrementally (one re-plan); the first
    /// plan, and any after a batch the core refused as a whole, are built from every live
    /// slot, so that the plan never names an endpoint the slots do not hold (a refused batch
    /// had left the plan on slot numbers the table had given to other endpoints).
    fn apply(&mut self, changes: &[PlanChange]) -> Result<(), Error> {
        if let Some(route) = &mut self.route {
            if changes.is_empty() {
                return Ok(());
            }
            // A change the core skipped (`rejected`) would leave the plan short of the slots
            // as well: planned again from them.
            if route
                .apply(changes)
                .is_ok_and(|applied| applied.rejected.is_empty())
            {
                if let Some(pickers) = &mut self.pickers {
                    pickers.sync(route);
                }
                return Ok(());
            }
        }
        // Until it plans, no endpoint is served (and every poll reports why).
        (self.route, self.pickers) = (None, None);
        let Some(route) = self.plan_slots()? else {
            return Ok(());
        };
        // Requests in flight on the old pickers no longer finish on the new ones.
        (self.finished_tx, self.finished_rx) = mpsc::channel();
        self.pickers = Some(Pickers::new(&route, &mut self.rng));
        self.route = Some(route);
        Ok(())
    }

    /// Polls every endpoint's readiness: the health changes it calls for.
    fn poll_endpoints<Req>(&mut self, cx: &mut Context<'_>) -> Vec<PlanChange>
    where
        S: Service<Req>,
    {
        let mut changes = Vec::new();
        for (n, slot) in self.slots.iter_mut().enumerate() {
            let Some(slot) = slot else { continue };
            match slot.service.poll_ready(cx) {
                Poll::Ready(Ok(())) if slot.not_ready => {
                    slot.not_ready = false;
                    changes.push(PlanChange::health(&address(n), PORT, slot.health));
                }
                Poll::Ready(Err(_)) if !slot.not_ready => {
                    slot.not_ready = true;
                    changes.push(PlanChange::health(
                        &address(n),
                        PORT,
                        HealthStatus::Unhealthy,
                    ));
                }
                _ => {}
            }
        }
        changes
    }
}

impl<D, S, H, Req> Service<Req> for Balance<D, S, H>
where
    D: Discover<Service = Endpoint<S>> + Unpin,
    D::Key: Eq + Clone,
    D::Error: Into<BoxError>,
    S: Service<Req> + Clone,
    S::Error: Into<BoxError>,
    H: Fn(&Req) -> Option<u64>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S, Req>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.finish_returned();
        let (mut changes, error) = self.poll_discovery(cx);
        changes.extend(self.poll_endpoints::<Req>(cx));
        self.apply(&changes)?;
        if let Some(error) = error {
            return Poll::Ready(Err(error.into()));
        }
        if self.route.is_some() && self.slots.iter().any(Option::is_some) {
            Poll::Ready(Ok(()))
        } else if self.discovery_ended {
            Poll::Ready(Err(Error::NoEndpoints.into()))
        } else {
            Poll::Pending
        }
    }

    fn call(&mut self, request: Req) -> Self::Future {
        self.finish_returned();
        let hash = (self.hash)(&request);
        let picked = match (&mut self.pickers, &self.route) {
            (Some(pickers), Some(route)) => {
                let request = hash.map_or_else(Request::default, Request::with_hash);
                pickers.pick(route, &mut self.rng, request)
            }
            _ => None,
        };
        let service = picked.and_then(|picked| {
            let route = self.route.as_ref()?;
            let host = route.plan()?.get_host(picked.host())?;
            let slot: usize = host.address().strip_prefix("slot-")?.parse().ok()?;
            // The instance `poll_ready` polled goes to the request, a clone takes its place
            // (as tower's `ReadyCache` does): readiness may hold capacity (a
            // `ConcurrencyLimit` permit, a `Buffer` slot) that only a call on that instance
            // gives back. Calling a clone left the permit with the balancer's copy, and a
            // clone of an endpoint limited to one request never got ready.
            let slot = self.slots.get_mut(slot)?.as_mut()?;
            let fresh = slot.service.clone();
            let service = core::mem::replace(&mut slot.service, fresh);
            Some((service, picked))
        });
        match service {
            Some((service, picked)) => ResponseFuture {
                state: State::NotReady {
                    service,
                    request: Some(request),
                },
                ticket: Some(Ticket {
                    picked,
                    back: self.finished_tx.clone(),
                }),
            },
            None => {
                if let (Some(picked), Some(pickers)) = (picked, &mut self.pickers) {
                    pickers.finish(picked);
                }
                ResponseFuture {
                    state: State::Failed {
                        error: Some(Error::NoHealthyUpstream),
                    },
                    ticket: None,
                }
            }
        }
    }
}

/// A request in flight: hands its pick back to the balancer when dropped (LEAST_REQUEST's
/// active count).
#[derive(Debug)]
struct Ticket {
    picked: Picked,
    back: mpsc::Sender<Picked>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let _ = self.back.send(self.picked);
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`Balance`]: drives the picked endpoint's service to readiness,
    /// calls it, and keeps the request counted on its endpoint until it completes or is
    /// dropped.
    pub struct ResponseFuture<S, Req>
    where
        S: Service<Req>,
    {
        #[pin]
        state: State<S, Req>,
        ticket: Option<Ticket>,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProj]
    enum State<S, Req>
    where
        S: Service<Req>,
    {
        NotReady { service: S, request: Option<Req> },
        Called { #[pin] future: S::Future },
        Failed { error: Option<Error> },
    }
}

impl<S, Req> fmt::Debug for ResponseFuture<S, Req>
where
    S: Service<Req>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("ticket", &self.ticket)
            .finish_non_exhaustive()
    }
}

impl<S, Req> Future for ResponseFuture<S, Req>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
{
    type Output = Result<S::Response, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::NotReady { service, request } => {
                    match service.poll_ready(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Err(e)) => {
                            this.ticket.take();
                            return Poll::Ready(Err(e.into()));
                        }
                        Poll::Ready(Ok(())) => {}
                    }
                    let Some(request) = request.take() else {
                        this.ticket.take();
                        return Poll::Ready(Err(Error::NoHealthyUpstream.into()));
                    };
                    let future = service.call(request);
                    this.state.set(State::Called { future });
                }
                StateProj::Called { future } => {
                    let output = std::task::ready!(future.poll(cx));
                    this.ticket.take();
                    return Poll::Ready(output.map_err(Into::into));
                }
                StateProj::Failed { error } => {
                    let error = error.take().unwrap_or(Error::NoHealthyUpstream);
                    return Poll::Ready(Err(error.into()));
                }
            }
        }
    }
}
