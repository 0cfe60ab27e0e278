//! The runtime: a route's plans and one worker's pickers, picking requests and learning when
//! they end, updated by batches of changes. See [`Balancer`].

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::error::PlanError;
use crate::explain::{Explanation, Status};
use crate::mesh::{MeshPlan, Scenario, ScenarioError, WorkloadSpec};
use crate::model::{Endpoint, HealthStatus, Locality, LocalityEndpoints};
use crate::pick::{Picker, Request};
use crate::plan::{HostId, HostUpdate, Plan};
use crate::rng::Rng;

/// A change to the endpoints a [`Balancer`] balances over, for [`Balancer::apply`].
///
/// Endpoints are named by address and port. For Envoy input that is one endpoint; for a
/// scenario it is every workload at that address and port (one pod can back several services).
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Sets the health status.
    Health {
        /// Address.
        address: String,
        /// Port.
        port: u16,
        /// The new status.
        health: HealthStatus,
    },
    /// Sets the weight (at least 1).
    Weight {
        /// Address.
        address: String,
        /// Port.
        port: u16,
        /// The new weight.
        weight: u32,
    },
    /// Adds an endpoint (Envoy input) or a workload (a scenario).
    Add(Box<Addition>),
    /// Removes the endpoint (or every workload) at an address and port.
    Remove {
        /// Address.
        address: String,
        /// Port.
        port: u16,
    },
}

impl Change {
    /// [`Change::Health`].
    #[must_use]
    pub fn health(address: &str, port: u16, health: HealthStatus) -> Self {
        Self::Health {
            address: address.into(),
            port,
            health,
        }
    }

    /// [`Change::Weight`].
    #[must_use]
    pub fn weight(address: &str, port: u16, weight: u32) -> Self {
        Self::Weight {
            address: address.into(),
            port,
            weight,
        }
    }

    /// [`Change::Remove`].
    #[must_use]
    pub fn remove(address: &str, port: u16) -> Self {
        Self::Remove {
            address: address.into(),
            port,
        }
    }

    /// [`Change::Add`] of an Envoy endpoint to the locality group of `locality` and
    /// `priority` (a new group, without locality weight, when there is none).
    #[must_use]
    pub fn add_endpoint(endpoint: Endpoint, locality: Locality, priority: u32) -> Self {
        Self::Add(Box::new(Addition::Endpoint {
            endpoint,
            locality,
            priority,
            locality_weight: None,
        }))
    }

    /// [`Change::Add`] of a scenario workload.
    #[must_use]
    pub fn add_workload(workload: WorkloadSpec) -> Self {
        Self::Add(Box::new(Addition::Workload(workload)))
    }

    /// The `address:port` the change names.
    fn endpoint(&self) -> (&str, u16) {
        match self {
            Self::Health { address, port, .. }
            | Self::Weight { address, port, .. }
            | Self::Remove { address, port } => (address, *port),
            Self::Add(addition) => match &**addition {
                Addition::Endpoint { endpoint, .. } => (&endpoint.address, endpoint.port),
                Addition::Workload(w) => (&w.address, w.port),
            },
        }
    }
}

/// What [`Change::Add`] adds.
#[derive(Debug, Clone, PartialEq)]
pub enum Addition {
    /// Envoy input: an endpoint in the locality group of `locality` and `priority`.
    Endpoint {
        /// The endpoint.
        endpoint: Endpoint,
        /// Its locality.
        locality: Locality,
        /// Its priority.
        priority: u32,
        /// The locality weight of the group, when the change creates it.
        locality_weight: Option<u32>,
    },
    /// A scenario: a workload.
    Workload(WorkloadSpec),
}

/// Why a [`Change`] (or a whole batch) did not apply.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ChangeError {
    /// Envoy input has no endpoint at that address and port.
    UnknownEndpoint {
        /// Address.
        address: String,
        /// Port.
        port: u16,
    },
    /// The scenario has no workload at that address and port.
    UnknownWorkload {
        /// Address.
        address: String,
        /// Port.
        port: u16,
    },
    /// A weight of 0.
    ZeroWeight {
        /// Address.
        address: String,
        /// Port.
        port: u16,
    },
    /// The endpoint is there already (Envoy input; [`Change::Add`]).
    Duplicate {
        /// Address.
        address: String,
        /// Port.
        port: u16,
    },
    /// An endpoint added to a scenario, or a workload to Envoy input.
    WrongInput {
        /// Address.
        address: String,
        /// Port.
        port: u16,
        /// What the input takes.
        expected: &'static str,
    },
    /// The plan refused the change (a locality's weights past `u32::MAX`, say).
    Plan {
        /// Address.
        address: String,
        /// Port.
        port: u16,
        /// Why.
        error: PlanError,
    },
    /// The batch as a whole leaves an assignment Envoy would reject: nothing applied.
    Assignment(PlanError),
    /// The batch as a whole leaves an invalid scenario: nothing applied.
    Scenario(ScenarioError),
}

impl fmt::Display for ChangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |address: &str, port: u16| crate::model::endpoint_address(address, port);
        match self {
            Self::UnknownEndpoint { address, port } => {
                write!(f, "no endpoint {}", at(address, *port))
            }
            Self::UnknownWorkload { address, port } => write!(
                f,
                "no workload {} in the scenario (gateways and ServiceEntry endpoints carry no health of their own)",
                at(address, *port)
            ),
            Self::ZeroWeight { address, port } => {
                write!(f, "{}: weight must be at least 1", at(address, *port))
            }
            Self::Duplicate { address, port } => {
                write!(f, "{}: the endpoint is there already", at(address, *port))
            }
            Self::WrongInput {
                address,
                port,
                expected,
            } => write!(f, "{}: this input takes {expected}", at(address, *port)),
            Self::Plan {
                address,
                port,
                error,
            } => write!(f, "{}: {error}", at(address, *port)),
            Self::Assignment(error) => write!(f, "{error}"),
            Self::Scenario(error) => write!(f, "{error}"),
        }
    }
}

impl core::error::Error for ChangeError {}

/// What [`Balancer::apply`] did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Applied {
    /// Changes that changed something (a change to the state an endpoint is already in does
    /// not count, and alone re-plans nothing).
    pub changed: usize,
    /// Changes that could not apply, by their index in the batch; the others applied.
    pub rejected: Vec<(usize, ChangeError)>,
}

/// A picked endpoint, and the request counted active on it until it is handed back to
/// [`Balancer::finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Picked {
    index: usize,
    destination: u32,
    host: HostId,
    /// The balancer's epoch (re-plans that may renumber hosts) at the pick.
    epoch: u64,
    /// The host's key (address, port, locality, priority) in its destination.
    key: u64,
}

/// The epoch of a spent ticket, what [`Balancer::pick_and_finish`] returns: after every real
/// epoch (one a re-plan; 2^64 of them do not happen), so [`Balancer::finish`] ignores it.
const SPENT: u64 = u64::MAX;

impl Picked {
    /// The endpoint's index in the explanation's `endpoints` ([`Balancer::explain`]).
    #[must_use]
    pub const fn index(&self) -> usize {
        self.index
    }

    /// The route destination it belongs to (0 for Envoy input).
    #[must_use]
    pub const fn destination(&self) -> usize {
        self.destination as usize
    }

    /// The host in that destination's plan, as the plan was at the pick.
    #[must_use]
    pub const fn host(&self) -> HostId {
        self.host
    }
}

/// What a balancer balances over.
#[derive(Debug, Clone)]
enum Planned {
    /// Envoy input: one plan.
    Envoy(Box<Plan>),
    /// A scenario and its decisions for its client and request.
    Scenario {
        scenario: Box<Scenario>,
        plan: Box<MeshPlan>,
    },
}

impl Planned {
    const fn route(&self) -> RouteRef<'_> {
        match self {
            Self::Envoy(plan) => RouteRef::Plan(plan),
            Self::Scenario { plan, .. } => RouteRef::Mesh(plan),
        }
    }
}

/// The [`Picked`] of `host` in `destination` of `route`, at `epoch`, with the host's `key`.
#[inline]
fn ticket(route: &Route, destination: usize, host: HostId, epoch: u64, key: u64) -> Picked {
    Picked {
        index: route.planned.route().index(destination, host),
        destination: destination as u32,
        host,
        epoch,
        key,
    }
}

/// Requests still in flight to an endpoint that a re-plan removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Retired {
    destination: u32,
    key: u64,
    /// The first epoch without the endpoint: tickets from earlier epochs are its.
    epoch: u64,
    outstanding: u32,
}

/// A route's plans and one worker's pickers: the runtime every adapter uses, picking requests
/// and learning when they end, updated by batches of changes.
///
/// A request reaches one Envoy cluster per route destination: Envoy input is a route of one
/// destination (one [`Plan`]); a scenario's route splits traffic by weight over destination
/// subsets, each with its own plan (SEMANTICS B3, [`MeshPlan`]). A [`Balancer`] holds them and
/// one [`Picker`] per destination, and is the one pick path of meshlb: the CLI's `pick` and
/// `simulate`, the wasm package's `Balancer`, the proxy-wasm filter and the simulations all go
/// through it (or through its borrowed form, for [`crate::simulate`] and [`MeshPlan::pick`]).
///
/// - **A request's lifecycle is explicit.** [`Balancer::pick`] returns a [`Picked`]: the
///   endpoint, and the request counted active on it until the caller hands the [`Picked`] back
///   to [`Balancer::finish`]. LEAST_REQUEST reads those counts, as Envoy's least-request load
///   balancer reads each host's active requests (`rq_active`, incremented when the router's
///   upstream request starts and decremented when it completes or is reset; envoy
///   `source/extensions/load_balancing_policies/least_request/least_request_lb.cc`, docs
///   `intro/arch_overview/upstream/load_balancing/load_balancers#weighted-least-request`).
///   A caller that never finishes its requests makes every endpoint look ever busier; one that
///   finishes each at once (as `meshlb pick` does) gives LEAST_REQUEST equal loads.
/// - **Updates come in batches.** [`Balancer::apply`] takes a list of [`Change`]s (health,
///   weight, add or remove an endpoint) and re-plans once: health and weight changes of Envoy
///   input in place on the plan ([`Plan::update`]); additions and removals by rebuilding the
///   plan from its assignment; any change to a scenario by planning the scenario again (a
///   workload's health can change what istiod sends, not only how Envoy balances).
/// - **Pickers follow their plan.** Each plan carries an identity ([`Plan::identity`]) its
///   picker checks; the balancer resynchronises its pickers as part of [`Balancer::apply`], so
///   the next pick allocates nothing. Active request counts follow each endpoint (its address,
///   port and locality) across re-plans, and a [`Picked`] from before an update still finishes
///   the right request, as in Envoy, where a request holds its host, not an index: an endpoint
///   removed while requests to it are in flight takes them along, and one added back with the
///   same address starts with none.
///
/// A balancer is one worker's: Envoy keeps one load balancer per worker thread, and so does
/// meshlb (the proxy-wasm filter runs one balancer in each worker's VM). Time and randomness are
/// arguments: the same seed gives the same picks natively and in WebAssembly.
///
/// A balancer is two parts, usable apart ([`Balancer::into_parts`]): the [`Route`], its plans
/// (`Send + Sync`, shared by every worker of a proxy and updated by one owner), and the
/// [`Pickers`], one worker's positions and active request counts, which pick against a
/// `&Route` and follow its updates.
///
/// # Examples
/// ```
/// use meshlb::{Balancer, Change, Endpoint, HealthStatus, LbConfig, LbPolicy, LoadAssignment};
/// use meshlb::{LocalityEndpoints, Plan, Request, SeededRng};
///
/// let assignment = LoadAssignment {
///     localities: vec![LocalityEndpoints {
///         endpoints: vec![Endpoint::new("10.0.0.1", 80), Endpoint::new("10.0.0.2", 80)],
///         ..Default::default()
///     }],
///     ..Default::default()
/// };
/// let config = LbConfig { policy: LbPolicy::LeastRequest, ..LbConfig::default() };
/// let mut rng = SeededRng::new(7);
/// let mut balancer = Balancer::from_plan(Plan::build(&assignment, &config)?, &mut rng);
///
/// // A request stays active on its endpoint until it is finished.
/// let first = balancer.pick(&mut rng, Request::default()).ok_or("no endpoint")?;
/// assert_eq!(balancer.active_requests(first.index()), 1);
/// // With one request in flight on it, least request sends the next one elsewhere.
/// let second = balancer.pick(&mut rng, Request::default()).ok_or("no endpoint")?;
/// assert_ne!(second.index(), first.index());
/// balancer.finish(first);
/// balancer.finish(second);
///
/// // One batch, one re-plan.
/// let applied = balancer.apply(&[
///     Change::health("10.0.0.1", 80, HealthStatus::Unhealthy),
///     Change::weight("10.0.0.2", 80, 3),
/// ])?;
/// assert_eq!((applied.changed, balancer.replans()), (2, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Balancer {
    route: Route,
    pickers: Pickers,
}

impl Balancer {
    /// A balancer over Envoy input: a route of one destination, its picker's starting
    /// positions drawn from `rng`.
    #[must_use]
    pub fn from_plan<R: Rng + ?Sized>(plan: Plan, rng: &mut R) -> Self {
        Self::assemble(Route::from_plan(plan), rng)
    }

    /// A balancer over a scenario, planned and validated here.
    ///
    /// # Errors
    /// The scenario's [`ScenarioError`].
    pub fn from_scenario<R: Rng + ?Sized>(
        scenario: Scenario,
        rng: &mut R,
    ) -> Result<Self, ScenarioError> {
        Ok(Self::assemble(Route::from_scenario(scenario)?, rng))
    }

    /// A balancer over a scenario and the [`MeshPlan`] already built from it (one picker per
    /// destination with a cluster, drawn from `rng` in order, as [`MeshPlan::pickers`]).
    #[must_use]
    pub fn from_mesh_plan<R: Rng + ?Sized>(
        scenario: Scenario,
        plan: MeshPlan,
        rng: &mut R,
    ) -> Self {
        Self::assemble(Route::from_mesh_plan(scenario, plan), rng)
    }

    /// A balancer over `route`, its pickers' starting positions drawn from `rng` (what the
    /// constructors above do).
    #[must_use]
    pub fn from_route<R: Rng + ?Sized>(route: Route, rng: &mut R) -> Self {
        Self::assemble(route, rng)
    }

    fn assemble<R: Rng + ?Sized>(route: Route, rng: &mut R) -> Self {
        let pickers = Pickers::new(&route, rng);
        Self { route, pickers }
    }

    /// Picks the endpoint of one request, which stays active on it until [`Balancer::finish`].
    /// `None` when the request gets no endpoint: an unrouted status, a missing subset, nothing
    /// healthy (Envoy's 503 "no healthy upstream"), or the assignment's `drop_overloads`
    /// dropped it ([`Balancer::dropped`] counts those).
    ///
    /// The request's hash chooses the host for RING_HASH and MAGLEV; without one a random hash
    /// is drawn, as Envoy does without a hash policy. Allocates nothing.
    pub fn pick<R: Rng + ?Sized>(&mut self, rng: &mut R, request: Request) -> Option<Picked> {
        self.pickers.pick(&self.route, rng, request)
    }

    /// A request of no duration: [`Balancer::pick`] and [`Balancer::finish`] at once (what
    /// `meshlb pick` prints, and the wasm `Balancer.pick`). The [`Picked`] is spent: handed to
    /// [`Balancer::finish`], it finishes nothing.
    #[inline]
    pub fn pick_and_finish<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        request: Request,
    ) -> Option<Picked> {
        self.pickers.pick_and_finish(&self.route, rng, request)
    }

    /// Reports that the request `picked` ended (its response completed or its stream was
    /// reset): the endpoint has one active request less. A [`Picked`] from before an update
    /// finishes the request on the endpoint it went to; one from
    /// [`Balancer::pick_and_finish`] finishes nothing; one finished twice, or from another
    /// balancer, can make counts wrong (they never go below zero).
    pub fn finish(&mut self, picked: Picked) {
        self.pickers.finish(picked);
    }

    /// Active requests on the endpoint at `index` of the explanation's `endpoints`.
    #[must_use]
    pub fn active_requests(&self, index: usize) -> u32 {
        self.pickers.active_requests(&self.route, index)
    }

    /// Applies a batch of changes with one re-plan; see [`Balancer`].
    ///
    /// Changes apply in order. One that names no endpoint, or has a value the plan refuses, is
    /// skipped and listed in [`Applied::rejected`]; the others apply. A batch that changes
    /// nothing re-plans nothing. After it, the pickers are in step with the plans: the next
    /// pick allocates nothing.
    ///
    /// # Errors
    /// [`ChangeError::Assignment`] or [`ChangeError::Scenario`] when the batch as a whole leaves
    /// an input that cannot be planned (an added endpoint whose weight overflows its locality,
    /// a scenario made invalid); the balancer is unchanged then.
    pub fn apply(&mut self, changes: &[Change]) -> Result<Applied, ChangeError> {
        let applied = self.route.apply(changes)?;
        if applied.changed > 0 {
            self.pickers.sync(&self.route);
        }
        Ok(applied)
    }

    /// How many times the balancer re-planned: one per [`Balancer::apply`] batch that changed
    /// something.
    #[must_use]
    pub const fn replans(&self) -> u64 {
        self.route.replans()
    }

    /// Requests dropped so far by the assignment's `drop_overloads` (each such pick returned
    /// `None` without asking the load balancer).
    #[must_use]
    pub const fn dropped(&self) -> u64 {
        self.pickers.dropped()
    }

    /// The explanation of the current plans (shared/SCENARIO.md §3).
    #[must_use]
    pub fn explain(&self) -> Explanation {
        self.route.explain()
    }

    /// Envoy input: the plan.
    #[must_use]
    pub fn plan(&self) -> Option<&Plan> {
        self.route.plan()
    }

    /// A scenario: its decisions for its client and request.
    #[must_use]
    pub fn mesh_plan(&self) -> Option<&MeshPlan> {
        self.route.mesh_plan()
    }

    /// A scenario, with every change applied so far.
    #[must_use]
    pub fn scenario(&self) -> Option<&Scenario> {
        self.route.scenario()
    }

    /// Each endpoint's expected share of requests, in the explanation's order, with what
    /// `drop_overloads` drops taken out (the shares a simulation compares with).
    #[must_use]
    pub fn expected_shares(&self) -> Vec<f64> {
        self.route.expected_shares()
    }

    /// The route (the plans), shared part of the balancer.
    #[must_use]
    pub const fn route(&self) -> &Route {
        &self.route
    }

    /// The route and this worker's pickers, apart.
    #[must_use]
    pub fn into_parts(self) -> (Route, Pickers) {
        (self.route, self.pickers)
    }
}

/// A route's plans, shared by every worker: what [`Balancer`] holds besides its pickers.
///
/// A `Route` is `Send + Sync` and has no interior mutability: a proxy plans it once, shares it
/// between its worker threads (behind an `Arc`, published with an atomic swap: the core has no
/// atomics, since `thumbv6m-none-eabi` has none), and gives each worker its own [`Pickers`].
/// Updates go to one owner (a control task) that applies them to its copy with
/// [`Route::apply`] and publishes the result; each worker's [`Pickers`] follow the route they
/// are handed, by its epoch (a re-plan that may renumber hosts) and each plan's identity (an
/// update in place).
///
/// # Examples
/// ```
/// use meshlb::{Change, Endpoint, HealthStatus, LbConfig, LoadAssignment, LocalityEndpoints};
/// use meshlb::{Pickers, Plan, Request, Route, SeededRng};
///
/// let assignment = LoadAssignment {
///     localities: vec![LocalityEndpoints {
///         endpoints: vec![Endpoint::new("10.0.0.1", 80), Endpoint::new("10.0.0.2", 80)],
///         ..Default::default()
///     }],
///     ..Default::default()
/// };
/// let route = Route::from_plan(Plan::build(&assignment, &LbConfig::default())?);
/// // Per worker: its own pickers and random generator, picking against the shared route.
/// let mut rng = SeededRng::new(1);
/// let mut pickers = Pickers::new(&route, &mut rng);
/// let picked = pickers.pick(&route, &mut rng, Request::default()).ok_or("no endpoint")?;
/// pickers.finish(picked);
///
/// // The control task updates its own copy and publishes it; the worker follows.
/// let mut next = route.clone();
/// next.apply(&[Change::health("10.0.0.1", 80, HealthStatus::Unhealthy)])?;
/// for _ in 0..4 {
///     let picked = pickers.pick(&next, &mut rng, Request::default()).ok_or("no endpoint")?;
///     assert_eq!(picked.index(), 1);
///     pickers.finish(picked);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Route {
    planned: Planned,
    /// Per destination, per host: its key, to follow it across re-plans.
    keys: Vec<Vec<u64>>,
    /// Re-plans that may renumber hosts (a rebuild), so far.
    epoch: u64,
    replans: u64,
    /// The destinations' subset names, hashed: pickers keep their destination's positions
    /// across a rebuild only when these are the same.
    subsets: u64,
}

impl Route {
    /// The route of Envoy input: one destination.
    #[must_use]
    pub fn from_plan(plan: Plan) -> Self {
        Self::assemble(Planned::Envoy(Box::new(plan)))
    }

    /// A scenario's route, planned and validated here.
    ///
    /// # Errors
    /// The scenario's [`ScenarioError`].
    pub fn from_scenario(scenario: Scenario) -> Result<Self, ScenarioError> {
        let plan = MeshPlan::build(&scenario)?;
        Ok(Self::from_mesh_plan(scenario, plan))
    }

    /// A scenario's route from the [`MeshPlan`] already built from it.
    #[must_use]
    pub fn from_mesh_plan(scenario: Scenario, plan: MeshPlan) -> Self {
        Self::assemble(Planned::Scenario {
            scenario: Box::new(scenario),
            plan: Box::new(plan),
        })
    }

    fn assemble(planned: Planned) -> Self {
        let keys = keys_of(planned.route());
        let subsets = subsets_of(planned.route());
        Self {
            planned,
            keys,
            epoch: 0,
            replans: 0,
            subsets,
        }
    }

    /// Applies a batch of changes with one re-plan: health and weight changes of Envoy input
    /// in place on the plan ([`Plan::update`]; hosts keep their numbers), additions and
    /// removals by rebuilding the plan from its assignment, any change to a scenario by
    /// planning the scenario again (both start a new epoch). See [`Balancer::apply`]: it is
    /// this, then its pickers' [`Pickers::sync`].
    ///
    /// # Errors
    /// As [`Balancer::apply`]; the route is unchanged then.
    pub fn apply(&mut self, changes: &[Change]) -> Result<Applied, ChangeError> {
        let structural = changes
            .iter()
            .any(|c| matches!(c, Change::Add(_) | Change::Remove { .. }));
        match &mut self.planned {
            Planned::Envoy(plan) if !structural => {
                let mut applied = Applied::default();
                let mut updates = Vec::with_capacity(changes.len());
                let mut origin = Vec::with_capacity(changes.len());
                for (i, change) in changes.iter().enumerate() {
                    let (address, port) = change.endpoint();
                    let (health, weight) = match change {
                        Change::Health { health, .. } => (Some(*health), None),
                        Change::Weight { weight: 0, .. } => {
                            applied.rejected.push((i, zero_weight(address, port)));
                            continue;
                        }
                        Change::Weight { weight, .. } => (None, Some(*weight)),
                        Change::Add(_) | Change::Remove { .. } => continue,
                    };
                    match plan.find(address, port) {
                        Some(host) => {
                            updates.push(HostUpdate {
                                host,
                                health,
                                weight,
                            });
                            origin.push(i);
                        }
                        None => applied.rejected.push((i, unknown_endpoint(address, port))),
                    }
                }
                applied.changed = plan.update(&updates, |u, error| {
                    let i = origin[u];
                    let (address, port) = changes[i].endpoint();
                    applied.rejected.push((
                        i,
                        ChangeError::Plan {
                            address: address.into(),
                            port,
                            error,
                        },
                    ));
                });
                applied.rejected.sort_by_key(|(i, _)| *i);
                if applied.changed > 0 {
                    self.replans += 1;
                }
                Ok(applied)
            }
            Planned::Envoy(plan) => {
                let mut assignment = plan.assignment();
                let applied = edit_assignment(&mut assignment, changes);
                if applied.changed == 0 {
                    return Ok(applied);
                }
                let config = plan.config().clone();
                let rebuilt = Plan::build_reusing(&assignment, &config, plan)
                    .map_err(ChangeError::Assignment)?;
                **plan = rebuilt;
                self.rebuilt();
                Ok(applied)
            }
            Planned::Scenario { scenario, plan } => {
                // Only workloads change: they are what a failed batch restores.
                let saved = scenario.workloads.clone();
                let applied = edit_scenario(scenario, changes);
                if applied.changed == 0 {
                    return Ok(applied);
                }
                let rebuilt = match MeshPlan::build(scenario) {
                    Ok(rebuilt) => rebuilt,
                    Err(e) => {
                        scenario.workloads = saved;
                        return Err(ChangeError::Scenario(e));
                    }
                };
                **plan = rebuilt;
                self.rebuilt();
                Ok(applied)
            }
        }
    }

    /// After the plans were rebuilt: new keys, a new epoch.
    fn rebuilt(&mut self) {
        self.keys = keys_of(self.planned.route());
        self.subsets = subsets_of(self.planned.route());
        self.epoch += 1;
        self.replans += 1;
    }

    /// Re-plans so far: one per [`Route::apply`] batch that changed something.
    #[must_use]
    pub const fn replans(&self) -> u64 {
        self.replans
    }

    /// Re-plans so far that rebuilt the plans (hosts may be renumbered): [`Pickers`] move
    /// their active request counts by endpoint when it changes.
    #[must_use]
    pub const fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The explanation of the current plans (shared/SCENARIO.md §3).
    #[must_use]
    pub fn explain(&self) -> Explanation {
        match &self.planned {
            Planned::Envoy(plan) => plan.explain(),
            Planned::Scenario { plan, .. } => plan.explain(),
        }
    }

    /// Envoy input: the plan.
    #[must_use]
    pub fn plan(&self) -> Option<&Plan> {
        match &self.planned {
            Planned::Envoy(plan) => Some(plan),
            Planned::Scenario { .. } => None,
        }
    }

    /// A scenario: its decisions for its client and request.
    #[must_use]
    pub fn mesh_plan(&self) -> Option<&MeshPlan> {
        match &self.planned {
            Planned::Envoy(_) => None,
            Planned::Scenario { plan, .. } => Some(plan),
        }
    }

    /// A scenario, with every change applied so far.
    #[must_use]
    pub fn scenario(&self) -> Option<&Scenario> {
        match &self.planned {
            Planned::Envoy(_) => None,
            Planned::Scenario { scenario, .. } => Some(scenario),
        }
    }

    /// The plan of destination `destination` (0 for Envoy input), when it has a cluster.
    #[must_use]
    pub fn destination_plan(&self, destination: usize) -> Option<&Plan> {
        self.planned.route().plan(destination)
    }

    /// The endpoints to try after `picked` when the caller cannot use it (its own health check
    /// says it is down, a connection failed), by explanation index, each once, `picked`'s
    /// excluded: failover order. First the hosts the plan counts available (healthy, then
    /// degraded), then the others; within each, the rest of `picked`'s priority, then the next
    /// priorities in order (P1, P2, ..., wrapping to those above), each in plan order starting
    /// after `picked`. This is the order Envoy's priority failover moves traffic in when a
    /// priority loses its hosts (load_balancing/priority); Envoy itself re-picks on a retry
    /// (`retry_host_predicate: previous_hosts`), which a caller gets from
    /// [`Pickers::pick`] again. Scenario routes of several destinations: the picked
    /// destination's hosts only. Allocates nothing.
    ///
    /// # Examples
    /// ```
    /// use meshlb::{Endpoint, LbConfig, LoadAssignment, Locality, LocalityEndpoints};
    /// use meshlb::{Pickers, Plan, Request, Route, SeededRng};
    ///
    /// let group = |zone: &str, priority: u32, hosts: &[&str]| LocalityEndpoints {
    ///     locality: Locality::new("r", zone, ""),
    ///     priority,
    ///     endpoints: hosts.iter().map(|a| Endpoint::new(a, 80)).collect(),
    ///     ..Default::default()
    /// };
    /// let assignment = LoadAssignment {
    ///     localities: vec![group("a", 0, &["10.0.0.1", "10.0.0.2"]), group("b", 1, &["10.0.1.1"])],
    ///     ..Default::default()
    /// };
    /// let route = Route::from_plan(Plan::build(&assignment, &LbConfig::default())?);
    /// let mut rng = SeededRng::new(3);
    /// let mut pickers = Pickers::new(&route, &mut rng);
    /// let picked = pickers.pick(&route, &mut rng, Request::default()).ok_or("no host")?;
    /// let order: Vec<usize> = route.fallbacks(picked).collect();
    /// // The other P0 host, then P1's.
    /// assert_eq!(order, vec![1 - picked.index(), 2]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fallbacks(&self, picked: Picked) -> impl Iterator<Item = usize> + '_ {
        let route = self.planned.route();
        let destination = picked.destination();
        let plan = route.plan(destination);
        let n = plan.map_or(0, Plan::host_count);
        let host = move |i: usize| plan.and_then(|p| p.get_host(HostId::new(i as u32)));
        let first = picked.host().index();
        let first_priority = host(first).map_or(0, |h| h.priority());
        let priorities = plan.map_or(0, |p| p.priorities().len() as u32);
        let available = |h: crate::plan::Host<'_>| {
            !matches!(h.availability(), crate::model::Availability::Unavailable)
        };
        [true, false].into_iter().flat_map(move |pass| {
            (0..priorities).flat_map(move |k| {
                let priority = (first_priority + k) % priorities.max(1);
                (1..=n).filter_map(move |j| {
                    let i = (first + j) % n;
                    let host = host(i)?;
                    (i != first && host.priority() == priority && available(host) == pass)
                        .then(|| route.index(destination, HostId::new(i as u32)))
                })
            })
        })
    }

    /// Each endpoint's expected share of requests, in the explanation's order, with what
    /// `drop_overloads` drops taken out (the shares a simulation compares with).
    #[must_use]
    pub fn expected_shares(&self) -> Vec<f64> {
        match &self.planned {
            Planned::Envoy(plan) => {
                let kept = 1.0 - plan.drop_overload();
                plan.shares().into_iter().map(|s| s * kept).collect()
            }
            Planned::Scenario { plan, .. } => {
                plan.explain().endpoints.iter().map(|e| e.share).collect()
            }
        }
    }
}

/// One worker's pickers over a shared [`Route`]: its round-robin positions, schedulers and
/// active request counts (what [`Balancer`] holds besides its route).
///
/// Every method that takes a route expects the one the worker last picked against or a newer
/// copy of it (from the same [`Route::apply`] history). [`Pickers::pick`] follows the route it
/// is given: when the route's epoch moved (a rebuild), the active request counts move to the
/// endpoints' new numbers, and those of removed endpoints retire, as in [`Balancer`]; that
/// step allocates. After an update in place (health, weight of Envoy input) each picker
/// resynchronises by plan identity and allocates nothing.
///
/// Active request counts are this worker's own, as each of Envoy's worker threads has its own
/// load balancer; a proxy with several workers gives LEAST_REQUEST each worker's view of the
/// requests in flight (Envoy's `rq_active` is a per-host gauge that all workers share: a
/// divergence, kept because the core has no atomics).
#[derive(Debug, Clone)]
pub struct Pickers {
    /// One per destination; `None` where the destination has no cluster.
    pickers: Vec<Option<Picker>>,
    /// The keys of the route epoch the pickers follow.
    keys: Vec<Vec<u64>>,
    subsets: u64,
    retired: Vec<Retired>,
    epoch: u64,
    dropped: u64,
    /// Seeds the pickers of destinations a re-plan adds (no randomness is drawn in `apply`).
    seed: u64,
}

impl Pickers {
    /// One worker's pickers for `route`: one per destination with a cluster, starting positions
    /// drawn from `rng` in order.
    #[must_use]
    pub fn new<R: Rng + ?Sized>(route: &Route, rng: &mut R) -> Self {
        let pickers = match &route.planned {
            Planned::Envoy(plan) => alloc::vec![Some(Picker::new(plan, rng))],
            Planned::Scenario { plan, .. } => plan.pickers(rng),
        };
        let seed = match route.planned.route() {
            RouteRef::Plan(plan) => plan.identity(),
            RouteRef::Mesh(mesh) => mesh
                .destinations
                .iter()
                .filter_map(|d| d.plan.as_ref())
                .fold(0x6d65_7368, |acc, p| acc ^ p.identity()),
        };
        Self {
            pickers,
            keys: route.keys.clone(),
            subsets: route.subsets,
            retired: Vec::new(),
            epoch: route.epoch,
            dropped: 0,
            seed,
        }
    }

    /// Brings the pickers in step with `route` now (a pick does the same on its own): after a
    /// rebuild, moves the active request counts; after an update in place, resynchronises.
    pub fn sync(&mut self, route: &Route) {
        if self.epoch != route.epoch {
            self.follow(route);
        }
        for (d, picker) in self.pickers.iter_mut().enumerate() {
            if let (Some(picker), Some(plan)) = (picker, route.planned.route().plan(d)) {
                picker.resync(plan);
            }
        }
    }

    /// After a rebuild: each destination's picker keeps its positions and gets the active
    /// counts of the endpoints that remain; those of removed endpoints retire.
    fn follow(&mut self, route: &Route) {
        let old_keys = core::mem::take(&mut self.keys);
        let mut old_pickers = core::mem::take(&mut self.pickers);
        let same_destinations = self.subsets == route.subsets;
        let epoch = route.epoch;
        let keys = &route.keys;
        let planned = route.planned.route();
        let mut pickers = Vec::with_capacity(planned.len());
        for d in 0..planned.len() {
            let old = if same_destinations {
                old_pickers.get_mut(d).and_then(Option::take)
            } else {
                None
            };
            let Some(plan) = planned.plan(d) else {
                pickers.push(None);
                if let (Some(old), Some(old_keys)) = (old, old_keys.get(d)) {
                    retire(&mut self.retired, d, old_keys, old.active(), epoch);
                }
                continue;
            };
            let picker = match old {
                Some(mut picker) => {
                    // Counts by key: the old hosts with requests in flight, sorted.
                    let mut busy: Vec<(u64, u32)> = old_keys
                        .get(d)
                        .map(Vec::as_slice)
                        .unwrap_or_default()
                        .iter()
                        .zip(picker.active())
                        .filter(|(_, a)| **a > 0)
                        .map(|(k, a)| (*k, *a))
                        .collect();
                    busy.sort_unstable();
                    let counts: Vec<u32> = keys
                        .get(d)
                        .map(Vec::as_slice)
                        .unwrap_or_default()
                        .iter()
                        .map(|k| match busy.binary_search_by_key(k, |(key, _)| *key) {
                            Ok(i) => core::mem::take(&mut busy[i].1),
                            Err(_) => 0,
                        })
                        .collect();
                    for (key, outstanding) in busy.into_iter().filter(|(_, n)| *n > 0) {
                        self.retired.push(Retired {
                            destination: d as u32,
                            key,
                            epoch,
                            outstanding,
                        });
                    }
                    picker.set_active(&counts);
                    picker.resync(plan);
                    picker
                }
                None => Picker::with_seed(plan, self.seed ^ (epoch << 32) ^ d as u64),
            };
            pickers.push(Some(picker));
        }
        // Destinations that went away take their requests with them.
        for (d, old) in old_pickers.into_iter().enumerate() {
            if let (Some(old), Some(keys)) = (old, old_keys.get(d)) {
                retire(&mut self.retired, d, keys, old.active(), epoch);
            }
        }
        self.pickers = pickers;
        self.keys.clone_from(keys);
        self.subsets = route.subsets;
        self.epoch = epoch;
    }

    /// Picks the endpoint of one request against `route`, which stays active on it until
    /// [`Pickers::finish`]; see [`Balancer::pick`]. Allocates nothing unless the route was
    /// rebuilt since the last pick.
    pub fn pick<R: Rng + ?Sized>(
        &mut self,
        route: &Route,
        rng: &mut R,
        request: Request,
    ) -> Option<Picked> {
        let (destination, host) = self.choose(route, rng, request)?;
        if let Some(Some(picker)) = self.pickers.get_mut(destination) {
            picker.request_started(host);
        }
        let key = self
            .keys
            .get(destination)
            .and_then(|k| k.get(host.index()))
            .copied()
            .unwrap_or(0);
        Some(ticket(route, destination, host, self.epoch, key))
    }

    /// A request of no duration against `route`: [`Pickers::pick`] then [`Pickers::finish`],
    /// without counting the request on its endpoint and uncounting it again (the pick comes
    /// before the count, so nothing sees it), and returning a spent ticket, which needs no key.
    /// With the sum and division a single destination skips (see `RouteRef::pick`), a
    /// pick-and-finish at the built-in default scenario took 302 → 222 instructions
    /// (callgrind). Inlined into its caller with [`Balancer::pick_and_finish`]: in the wasm
    /// build, where the caller is another crate's, the returned [`Picked`] otherwise went
    /// through the module's stack in memory and back (under Node, the package's `pickIndex`
    /// took 254 → 238 instructions; natively the same 225).
    #[inline]
    pub fn pick_and_finish<R: Rng + ?Sized>(
        &mut self,
        route: &Route,
        rng: &mut R,
        request: Request,
    ) -> Option<Picked> {
        let (destination, host) = self.choose(route, rng, request)?;
        // A spent ticket: `finish` ignores it, so it needs no key (two lookups saved).
        Some(ticket(route, destination, host, SPENT, 0))
    }

    /// The destination and host of one request (the pickers synchronised with `route` first),
    /// counting the requests `drop_overloads` drops.
    #[inline(always)]
    fn choose<R: Rng + ?Sized>(
        &mut self,
        route: &Route,
        rng: &mut R,
        request: Request,
    ) -> Option<(usize, HostId)> {
        if self.epoch != route.epoch {
            self.follow(route);
        }
        match route.planned.route().pick(&mut self.pickers, rng, request) {
            Routed::Host { destination, host } => Some((destination, host)),
            Routed::Dropped => {
                self.dropped += 1;
                None
            }
            Routed::Nothing => None,
        }
    }

    /// Reports that the request `picked` ended; see [`Balancer::finish`].
    pub fn finish(&mut self, picked: Picked) {
        let d = picked.destination;
        if picked.epoch == self.epoch {
            if let Some(Some(picker)) = self.pickers.get_mut(d as usize) {
                picker.request_finished(picked.host);
            }
            return;
        }
        if picked.epoch > self.epoch {
            // From another balancer, or spent (`pick_and_finish`).
            return;
        }
        // The endpoint was removed after the pick: the earliest retirement after it.
        let retired = self
            .retired
            .iter()
            .enumerate()
            .filter(|(_, r)| r.destination == d && r.key == picked.key && r.epoch > picked.epoch)
            .min_by_key(|(_, r)| r.epoch)
            .map(|(i, _)| i);
        if let Some(i) = retired {
            self.retired[i].outstanding -= 1;
            if self.retired[i].outstanding == 0 {
                self.retired.swap_remove(i);
            }
            return;
        }
        // Still there, possibly under another index.
        let host = self
            .keys
            .get(d as usize)
            .and_then(|keys| keys.iter().position(|&k| k == picked.key));
        if let (Some(host), Some(Some(picker))) = (host, self.pickers.get_mut(d as usize)) {
            picker.request_finished(HostId::new(host as u32));
        }
    }

    /// Active requests on the endpoint at `index` of `route`'s explanation, as this worker
    /// counts them (`route` in step with the pickers: [`Pickers::sync`]).
    #[must_use]
    pub fn active_requests(&self, route: &Route, index: usize) -> u32 {
        let Some((d, host)) = route.planned.route().locate(index) else {
            return 0;
        };
        match self.pickers.get(d) {
            Some(Some(picker)) => picker.active_requests(host),
            _ => 0,
        }
    }

    /// Requests this worker dropped so far by the assignment's `drop_overloads`.
    #[must_use]
    pub const fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// The destinations' subset names, in order, hashed (Envoy input: 0).
fn subsets_of(route: RouteRef<'_>) -> u64 {
    match route {
        RouteRef::Plan(_) => 0,
        RouteRef::Mesh(mesh) => {
            let mut h = mesh.destinations.len() as u64;
            for d in &mesh.destinations {
                let name = d.subset.as_deref().unwrap_or("\u{0}");
                h = xxhash_rust::xxh64::xxh64(name.as_bytes(), h ^ 0x005a_b5e7);
            }
            h
        }
    }
}

/// Records the requests in flight to endpoints (`keys`, `active`) of `destination` that a
/// re-plan removed.
fn retire(
    retired: &mut Vec<Retired>,
    destination: usize,
    keys: &[u64],
    active: &[u32],
    epoch: u64,
) {
    for (&key, &outstanding) in keys.iter().zip(active) {
        if outstanding > 0 {
            retired.push(Retired {
                destination: destination as u32,
                key,
                epoch,
                outstanding,
            });
        }
    }
}

fn zero_weight(address: &str, port: u16) -> ChangeError {
    ChangeError::ZeroWeight {
        address: address.into(),
        port,
    }
}

fn unknown_endpoint(address: &str, port: u16) -> ChangeError {
    ChangeError::UnknownEndpoint {
        address: address.into(),
        port,
    }
}

/// Applies `changes` to an Envoy assignment, in order.
fn edit_assignment(assignment: &mut crate::LoadAssignment, changes: &[Change]) -> Applied {
    let mut applied = Applied::default();
    let find = |a: &crate::LoadAssignment, address: &str, port: u16| {
        a.localities.iter().enumerate().find_map(|(g, group)| {
            group
                .endpoints
                .iter()
                .position(|e| e.address == address && e.port == port)
                .map(|e| (g, e))
        })
    };
    for (i, change) in changes.iter().enumerate() {
        let (address, port) = change.endpoint();
        let found = find(assignment, address, port);
        let mut reject = |e: ChangeError| applied.rejected.push((i, e));
        match (change, found) {
            (Change::Weight { weight: 0, .. }, _) => reject(zero_weight(address, port)),
            (Change::Health { health, .. }, Some((g, e))) => {
                let endpoint = &mut assignment.localities[g].endpoints[e];
                if endpoint.health != *health {
                    endpoint.health = *health;
                    applied.changed += 1;
                }
            }
            (Change::Weight { weight, .. }, Some((g, e))) => {
                let endpoint = &mut assignment.localities[g].endpoints[e];
                if endpoint.weight != *weight {
                    endpoint.weight = *weight;
                    applied.changed += 1;
                }
            }
            (Change::Remove { .. }, Some((g, e))) => {
                assignment.localities[g].endpoints.remove(e);
                applied.changed += 1;
            }
            (Change::Add(addition), found) => match &**addition {
                Addition::Workload(_) => reject(ChangeError::WrongInput {
                    address: address.into(),
                    port,
                    expected: "endpoints (Addition::Endpoint), not workloads",
                }),
                Addition::Endpoint { .. } if found.is_some() => {
                    reject(ChangeError::Duplicate {
                        address: address.into(),
                        port,
                    });
                }
                Addition::Endpoint {
                    endpoint,
                    locality,
                    priority,
                    locality_weight,
                } => {
                    if endpoint.weight == 0 {
                        reject(zero_weight(address, port));
                        continue;
                    }
                    let group = assignment
                        .localities
                        .iter_mut()
                        .find(|g| g.locality == *locality && g.priority == *priority);
                    match group {
                        Some(group) => group.endpoints.push(endpoint.clone()),
                        None => assignment.localities.push(LocalityEndpoints {
                            locality: locality.clone(),
                            weight: *locality_weight,
                            priority: *priority,
                            endpoints: alloc::vec![endpoint.clone()],
                        }),
                    }
                    applied.changed += 1;
                }
            },
            (_, None) => reject(unknown_endpoint(address, port)),
        }
    }
    applied
}

/// Applies `changes` to a scenario's workloads, in order.
fn edit_scenario(scenario: &mut Scenario, changes: &[Change]) -> Applied {
    let mut applied = Applied::default();
    for (i, change) in changes.iter().enumerate() {
        let (address, port) = change.endpoint();
        let unknown = || ChangeError::UnknownWorkload {
            address: address.into(),
            port,
        };
        let at = |w: &WorkloadSpec| w.address == address && w.port == port;
        let result = match change {
            Change::Weight { weight: 0, .. } => Err(zero_weight(address, port)),
            Change::Health { health, .. } => {
                let mut found = false;
                let mut changed = false;
                for w in scenario.workloads.iter_mut().filter(|w| at(w)) {
                    found = true;
                    changed |= w.health != *health;
                    w.health = *health;
                }
                if found { Ok(changed) } else { Err(unknown()) }
            }
            Change::Weight { weight, .. } => {
                let mut found = false;
                let mut changed = false;
                for w in scenario.workloads.iter_mut().filter(|w| at(w)) {
                    found = true;
                    changed |= w.weight != *weight;
                    w.weight = *weight;
                }
                if found { Ok(changed) } else { Err(unknown()) }
            }
            Change::Remove { .. } => {
                let before = scenario.workloads.len();
                scenario.workloads.retain(|w| !at(w));
                if scenario.workloads.len() < before {
                    Ok(true)
                } else {
                    Err(unknown())
                }
            }
            Change::Add(addition) => match &**addition {
                Addition::Workload(w) => {
                    scenario.workloads.push(w.clone());
                    Ok(true)
                }
                Addition::Endpoint { .. } => Err(ChangeError::WrongInput {
                    address: address.into(),
                    port,
                    expected: "workloads (Addition::Workload), not Envoy endpoints",
                }),
            },
        };
        match result {
            Ok(changed) => applied.changed += usize::from(changed),
            Err(e) => applied.rejected.push((i, e)),
        }
    }
    applied
}

/// Each destination's host keys: address, port, locality and priority, hashed.
fn keys_of(route: RouteRef<'_>) -> Vec<Vec<u64>> {
    (0..route.len())
        .map(|d| {
            route.plan(d).map_or_else(Vec::new, |plan| {
                let hash = |bytes: &[u8], seed: u64| xxhash_rust::xxh64::xxh64(bytes, seed);
                plan.hosts()
                    .map(|h| {
                        let locality = &plan.localities()[h.locality() as usize].locality;
                        let mut key = hash(h.address().as_bytes(), u64::from(h.priority()));
                        key = hash(&h.port().to_le_bytes(), key);
                        for part in locality.parts() {
                            key = hash(part.as_bytes(), key ^ 0xff);
                        }
                        key
                    })
                    .collect()
            })
        })
        .collect()
}

/// A route, borrowed: the one pick path reads Envoy input and scenarios through it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RouteRef<'a> {
    /// Envoy input: one destination.
    Plan(&'a Plan),
    /// A scenario's route.
    Mesh(&'a MeshPlan),
}

/// Where one request went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Routed {
    /// To `host` of `destination`.
    Host { destination: usize, host: HostId },
    /// Dropped by `drop_overloads` before load balancing.
    Dropped,
    /// Nowhere: no route, no cluster, no healthy host.
    Nothing,
}

impl<'a> RouteRef<'a> {
    /// Destinations.
    pub(crate) fn len(self) -> usize {
        match self {
            Self::Plan(_) => 1,
            Self::Mesh(mesh) => mesh.destinations.len(),
        }
    }

    /// The plan of destination `d`.
    pub(crate) fn plan(self, d: usize) -> Option<&'a Plan> {
        match self {
            Self::Plan(plan) => (d == 0).then_some(plan),
            Self::Mesh(mesh) => mesh.destinations.get(d)?.plan.as_ref(),
        }
    }

    /// The explanation index of `host` in destination `d`.
    pub(crate) fn index(self, d: usize, host: HostId) -> usize {
        match self {
            Self::Plan(_) => host.index(),
            Self::Mesh(mesh) => mesh.endpoint_offsets().get(d).copied().unwrap_or(0) + host.index(),
        }
    }

    /// The destination and host of explanation index `index`.
    fn locate(self, index: usize) -> Option<(usize, HostId)> {
        (0..self.len()).find_map(|d| {
            let plan = self.plan(d)?;
            let start = self.index(d, HostId::new(0));
            (index >= start && index - start < plan.hosts().len())
                .then(|| (d, HostId::new((index - start) as u32)))
        })
    }

    /// Picks for one request: the destination by route weight (a uniform draw over the
    /// weights, as Envoy's weighted clusters; a scenario's route draws it even with one
    /// destination), the drop-overload draw of its plan, then its picker.
    ///
    /// Always inlined in WebAssembly, where LLVM left it a call of its own (V8 inlines no
    /// wasm calls): with the rotation step inlined too, `pickMany` under Node at the built-in
    /// default scenario, 48.7 → 43.6 ns a pick (best of 6 runs, interleaved). Natively it is inlined anyway, and forcing it took
    /// 7 instructions more a pick.
    #[cfg_attr(target_arch = "wasm32", inline(always))]
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn pick<R: Rng + ?Sized>(
        self,
        pickers: &mut [Option<Picker>],
        rng: &mut R,
        request: Request,
    ) -> Routed {
        let (destination, plan) = match self {
            Self::Plan(plan) => (0, plan),
            Self::Mesh(mesh) => {
                if mesh.view.status != Status::Routed {
                    return Routed::Nothing;
                }
                let d = if let [only] = mesh.destinations.as_slice() {
                    // One destination takes every draw: no sum, no division (a 64-bit one,
                    // 20 to 40 cycles, the longest step of a pick at the built-in default
                    // scenario), no search.
                    if only.weight == 0 {
                        return Routed::Nothing;
                    }
                    // The route's draw, made all the same (see above).
                    let _ = rng.next_u64();
                    0
                } else {
                    let total: u64 = mesh.destinations.iter().map(|d| u64::from(d.weight)).sum();
                    if total == 0 {
                        return Routed::Nothing;
                    }
                    let mut point = rng.next_u64() % total;
                    let Some(d) = mesh.destinations.iter().position(|d| {
                        let w = u64::from(d.weight);
                        if point < w {
                            true
                        } else {
                            point -= w;
                            false
                        }
                    }) else {
                        return Routed::Nothing;
                    };
                    d
                };
                match &mesh.destinations[d].plan {
                    Some(plan) => (d, plan),
                    None => return Routed::Nothing,
                }
            }
        };
        if plan.drops(rng) {
            return Routed::Dropped;
        }
        let Some(Some(picker)) = pickers.get_mut(destination) else {
            return Routed::Nothing;
        };
        match picker.pick(plan, rng, request) {
            Some(host) => Routed::Host { destination, host },
            None => Routed::Nothing,
        }
    }
}
