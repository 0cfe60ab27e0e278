//! The control task: the one owner of the route. It applies health check transitions and
//! update documents to its copy of the [`meshlb::Route`] (one re-plan per batch) and publishes
//! each new version to the workers with one atomic pointer swap.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use arc_swap::ArcSwap;
use meshlb::{Change, Explanation, HealthStatus, Note, NoteCode, Route};
use tokio::sync::{Notify, mpsc, oneshot};

use meshlb_formats::update::Update;

/// One upstream endpoint (a distinct `address:port` of the explanation).
#[derive(Debug)]
pub struct Endpoint {
    /// Address.
    pub address: String,
    /// Port.
    pub port: u16,
    /// `address:port` (`[v6]:port`): the URI authority requests are sent to.
    pub authority: String,
    /// Its locality (`region/zone/subzone`) in the explanation at start: what update
    /// documents select it by, whether or not a later explanation still lists it.
    pub locality: String,
    /// Requests forwarded to it so far (all workers).
    pub requests: AtomicU64,
}

/// What the workers read on each request: one version of the route and what goes with it.
#[derive(Debug)]
pub struct Snapshot {
    /// The route (plans) every worker picks against.
    pub route: Route,
    /// For each endpoint of the explanation, in its order: its index in [`Shared::endpoints`].
    pub upstreams: Vec<usize>,
    /// The explanation, as JSON (`GET /meshlb/explain`).
    pub explanation: String,
    /// Versions published so far.
    pub version: u64,
}

/// State shared by the workers and the control task.
#[derive(Debug)]
pub struct Shared {
    /// The current snapshot: loaded (an atomic load, no lock) by each request.
    pub snapshot: ArcSwap<Snapshot>,
    /// The distinct endpoints, fixed at start.
    pub endpoints: Vec<Endpoint>,
    /// Whether the cluster has had traffic (Envoy's `upstream_cx_total` used): health checks
    /// run at `no_traffic_interval` until then.
    pub traffic: AtomicBool,
    /// Wakes the health checkers at the first request.
    pub traffic_started: Notify,
    /// Requests the proxy could not route (no healthy upstream, connection failures).
    pub failures: AtomicU64,
}

impl Shared {
    /// Marks that traffic started (once).
    pub fn saw_traffic(&self) {
        if !self.traffic.load(Ordering::Relaxed) && !self.traffic.swap(true, Ordering::Relaxed) {
            self.traffic_started.notify_waiters();
        }
    }
}

/// A message to the control task.
#[derive(Debug)]
pub enum Command {
    /// A health check transition of endpoint `endpoint` (index in [`Shared::endpoints`]).
    Checked {
        /// The endpoint.
        endpoint: usize,
        /// Whether it now passes its active health check.
        healthy: bool,
    },
    /// An update document, parsed; the reply is the HTTP status and a JSON body.
    Update(Vec<Update>, oneshot::Sender<(u16, String)>),
}

/// The control task's state.
#[derive(Debug)]
pub struct Control {
    route: Route,
    notes: Vec<Note>,
    shared: Arc<Shared>,
    /// Per endpoint: the EDS health (the input's, then updates').
    eds: Vec<HealthStatus>,
    /// Per endpoint: whether it fails its active health check.
    failed: Vec<bool>,
    version: u64,
    health_checks: bool,
}

/// The distinct endpoints of an explanation, and their EDS health.
#[must_use]
pub fn endpoints_of(explanation: &Explanation) -> (Vec<Endpoint>, Vec<HealthStatus>) {
    let mut endpoints: Vec<Endpoint> = Vec::new();
    let mut health = Vec::new();
    for e in &explanation.endpoints {
        if endpoints
            .iter()
            .any(|x| x.address == e.address && x.port == e.port)
        {
            continue;
        }
        endpoints.push(Endpoint {
            address: e.address.clone(),
            port: e.port,
            authority: meshlb::endpoint_address(&e.address, e.port),
            locality: e.locality.clone(),
            requests: AtomicU64::new(0),
        });
        health.push(e.health);
    }
    (endpoints, health)
}

impl Control {
    /// The control state over `route`, whose explanation gave `shared.endpoints` and `eds`.
    /// With `health_checks`, every endpoint starts failed (Envoy's `FAILED_ACTIVE_HC` until
    /// the first check) until [`Control::checked`] says otherwise.
    #[must_use]
    pub fn new(
        route: Route,
        notes: Vec<Note>,
        shared: Arc<Shared>,
        eds: Vec<HealthStatus>,
        health_checks: bool,
    ) -> Self {
        let failed = vec![health_checks; eds.len()];
        Self {
            route,
            notes,
            shared,
            eds,
            failed,
            version: 0,
            health_checks,
        }
    }

    /// The first snapshot, before any worker starts: the route with the first round of health
    /// check results (`results`, by endpoint) applied.
    ///
    /// # Errors
    /// When the route refuses the results (a scenario made invalid).
    pub fn initial(
        route: Route,
        notes: Vec<Note>,
        eds: Vec<HealthStatus>,
        endpoints: Vec<Endpoint>,
        results: Option<Vec<bool>>,
    ) -> Result<Self, String> {
        let placeholder = Snapshot {
            route: route.clone(),
            upstreams: Vec::new(),
            explanation: String::new(),
            version: 0,
        };
        let shared = Arc::new(Shared {
            snapshot: ArcSwap::from_pointee(placeholder),
            endpoints,
            traffic: AtomicBool::new(false),
            traffic_started: Notify::new(),
            failures: AtomicU64::new(0),
        });
        let health_checks = results.is_some();
        let mut control = Self::new(route, notes, shared, eds, health_checks);
        if let Some(results) = results {
            for (i, ok) in results.into_iter().enumerate() {
                control.failed[i] = !ok;
            }
        }
        let changes = control.all_health();
        control.apply(&changes)?;
        control.publish();
        Ok(control)
    }

    /// The shared state.
    #[must_use]
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The health an endpoint gets in the plan: its EDS health, unless it fails its active
    /// health check (Envoy: a host is healthy only when no failure flag is set, EDS's
    /// `FAILED_EDS_HEALTH` and the active checker's `FAILED_ACTIVE_HC` alike; envoy
    /// `source/common/upstream/host_utility.cc`, `coarseHealth`).
    fn effective(&self, i: usize) -> HealthStatus {
        match (self.failed[i], self.eds[i]) {
            (true, HealthStatus::Healthy | HealthStatus::Unknown | HealthStatus::Degraded) => {
                HealthStatus::Unhealthy
            }
            (_, eds) => eds,
        }
    }

    fn all_health(&self) -> Vec<Change> {
        (0..self.eds.len()).map(|i| self.health_change(i)).collect()
    }

    fn health_change(&self, i: usize) -> Change {
        let e = &self.shared.endpoints[i];
        Change::health(&e.address, e.port, self.effective(i))
    }

    /// Applies `changes` (one re-plan). Changes to endpoints the route cannot change (a
    /// scenario's gateways carry no health of their own) are skipped.
    fn apply(&mut self, changes: &[Change]) -> Result<meshlb::Applied, String> {
        self.route.apply(changes).map_err(|e| e.to_string())
    }

    /// Publishes the route as the next snapshot.
    pub fn publish(&mut self) {
        self.version += 1;
        let mut explanation = self.route.explain();
        explanation.extend_notes(self.notes.iter().cloned());
        if self.health_checks {
            let failed: Vec<&str> = (0..self.failed.len())
                .filter(|&i| self.failed[i])
                .map(|i| self.shared.endpoints[i].authority.as_str())
                .collect();
            let text = if failed.is_empty() {
                "active health checks: every endpoint passes".to_string()
            } else {
                format!(
                    "active health checks: {} fail (FAILED_ACTIVE_HC), UNHEALTHY here: {}",
                    failed.len(),
                    failed.join(", ")
                )
            };
            explanation.push_note(Note::new(NoteCode::HealthCheck, text));
        }
        if let Some(scenario) = self.route.scenario() {
            explanation.topology = Some(meshlb::mesh::Topology::of(
                scenario,
                explanation.host.as_deref(),
            ));
        }
        let upstreams = explanation
            .endpoints
            .iter()
            .map(|e| {
                self.shared
                    .endpoints
                    .iter()
                    .position(|x| x.address == e.address && x.port == e.port)
                    .unwrap_or(0)
            })
            .collect();
        let json = serde_json::to_string_pretty(&explanation)
            .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()));
        self.shared.snapshot.store(Arc::new(Snapshot {
            route: self.route.clone(),
            upstreams,
            explanation: json,
            version: self.version,
        }));
    }

    /// A health check transition.
    pub fn checked(&mut self, endpoint: usize, healthy: bool) {
        if endpoint >= self.failed.len() || self.failed[endpoint] != healthy {
            return;
        }
        self.failed[endpoint] = !healthy;
        let change = self.health_change(endpoint);
        // Published even when the plan is unchanged (an endpoint UNHEALTHY in EDS too): the
        // explanation's health check note changed.
        let _ = self.apply(&[change]);
        self.publish();
    }

    /// An update document: the HTTP status and the JSON answer.
    pub fn update(&mut self, updates: &[Update]) -> (u16, String) {
        let mut changes = Vec::new();
        let mut unmatched = Vec::new();
        let saved = self.eds.clone();
        for (n, update) in updates.iter().enumerate() {
            // Selected among the endpoints of the start, by their localities then: an endpoint
            // a later explanation drops (UNHEALTHY under Istio 1.30's rules) can be brought
            // back (selected through the current explanation, it could not).
            let selected: Vec<usize> = (0..self.shared.endpoints.len())
                .filter(|&i| {
                    let e = &self.shared.endpoints[i];
                    update.selector.selects(&e.address, e.port, &e.locality)
                })
                .collect();
            if selected.is_empty() {
                unmatched.push(format!(
                    "updates[{n}]: selects no endpoint ({})",
                    update.selector
                ));
                continue;
            }
            for i in selected {
                let e = &self.shared.endpoints[i];
                if let Some(health) = update.health {
                    self.eds[i] = health;
                    changes.push(Change::health(&e.address, e.port, self.effective(i)));
                }
                if let Some(weight) = update.weight {
                    changes.push(Change::weight(&e.address, e.port, weight));
                }
            }
        }
        match self.apply(&changes) {
            Ok(applied) => {
                if applied.changed > 0 {
                    self.publish();
                }
                let rejected: Vec<String> = applied
                    .rejected
                    .iter()
                    .map(|(_, e)| e.to_string())
                    .chain(unmatched)
                    .collect();
                let body = serde_json::json!({
                    "changed": applied.changed,
                    "rejected": rejected,
                    "version": self.version,
                });
                (200, body.to_string())
            }
            Err(e) => {
                self.eds = saved;
                (400, serde_json::json!({ "error": e }).to_string())
            }
        }
    }

    /// Runs the control task until every sender is gone.
    pub async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        while let Some(command) = commands.recv().await {
            match command {
                Command::Checked { endpoint, healthy } => self.checked(endpoint, healthy),
                Command::Update(updates, reply) => {
                    let answer = self.update(&updates);
                    let _ = reply.send(answer);
                }
            }
        }
    }
}
