//! meshlb as a proxy-wasm HTTP filter (ABI 0.2.1, Rust SDK `proxy-wasm` 0.2.5).
//!
//! A thin adapter: every rule lives in the `meshlb` core, reached through
//! [`meshlb_formats::load`] and [`meshlb_formats::Balancer`], as in the CLI.
//!
//! - **Configure** (`on_configure`): the plugin configuration (JSON, see the `config` module and
//!   the crate README) is parsed once; its input (a meshlb scenario with its client, or an Envoy
//!   `ClusterLoadAssignment` / `Cluster`) is loaded and planned. A bad configuration makes
//!   `on_configure` return `false` and logs, at error level, the message the CLI prints
//!   (`meshlb: error: ...`).
//! - **Per worker**: Envoy runs one VM per worker thread; each VM's root context owns one
//!   [`meshlb_formats::Balancer`] (plan plus pickers), seeded by the configuration's `seed` or,
//!   without one, by the host's clock (`proxy_get_current_time_nanoseconds`). The worker's HTTP
//!   contexts share it. The seed is logged, so a run can be replayed with `meshlb pick`.
//! - **Request headers**: the balancer picks (hashing the `hash_header` value with
//!   [`meshlb::hash_key`] for ring hash and Maglev); the filter writes `address:port` to the
//!   configured header (default `x-envoy-original-dst-host`, for an `ORIGINAL_DST` cluster with
//!   `use_http_header: true`) and `x-meshlb-locality`, replacing any value the client sent.
//!   When nothing is routable it answers 503 with the explanation's status and message.
//! - **Stream end** (`on_log`, which the host calls once the stream is complete, its response
//!   sent or the stream reset; `on_done` as a fallback): the request is reported finished
//!   ([`meshlb_formats::Balancer::finish`]). Until then it counts as active on its endpoint, so
//!   LEAST_REQUEST avoids endpoints that hold many requests (slow ones), as Envoy's own
//!   least-request load balancer does with each host's active requests.
//! - **Updates** at run time, without a restart: a JSON document in shared data, polled on the
//!   tick, and an optional admin path that writes it (see the `update` module).
//!
//! Nothing a configuration, a request or an update holds makes the filter trap: header values
//! are read as bytes (the SDK's `String` getters unwrap UTF-8), and every failure is a log line
//! or a local response.

mod config;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::UNIX_EPOCH;

use meshlb_formats::{Balancer, update};
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::MapType::HttpRequestHeaders;
use proxy_wasm::types::{Action, BufferType, ContextType, LogLevel, Status};

use crate::config::Settings;

/// The header naming the picked endpoint's locality.
const LOCALITY_HEADER: &str = "x-meshlb-locality";
/// The request header carrying an update document to the admin path.
const UPDATE_HEADER: &str = "x-meshlb-update";
/// Attempts to merge into the shared document when another worker writes at the same time.
const CAS_ATTEMPTS: usize = 4;
/// The compare-and-swap token the first write of the shared document goes under, when a read
/// found none. Envoy's host (proxy-wasm-cpp-host `SharedData::set`) creates an absent key
/// whatever the token, and writes a present one only under its current token, or under none
/// (0): a write without a token would overwrite a document another worker created since the
/// read. Tokens are handed out from 1 up (`nextCas`), so this one is a current token only
/// after 2^32 - 2 writes.
const FIRST_WRITE: u32 = u32::MAX;

/// The VM's entry point, `_initialize` (the SDK's `main!`): registers the root context. (The
/// SDK's `set_log_level` is not called: the filter logs through `proxy_log` directly, and the
/// `log` crate's logger and panic hook would only add size.)
#[allow(missing_docs, unreachable_pub)]
mod entry {
    use super::{Root, RootContext};

    proxy_wasm::main! {{
        proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root::default()) });
    }}
}

/// One worker's state: the configuration and the balancer, shared by its HTTP contexts.
#[derive(Debug)]
struct Worker {
    config: Settings,
    balancer: Balancer,
    /// The xxh64 of the last update document read from shared data.
    seen: Option<u64>,
    /// Which configuration made `balancer` (a request started under an earlier one is not
    /// finished on this one).
    configuration: u64,
}

type Shared = Rc<RefCell<Option<Worker>>>;

/// What the filter asks of its proxy beyond the pick: the request's headers, the shared data
/// every worker reads, and the log. [`ProxyWasm`] makes the host's calls; natively,
/// `native::Memory` keeps them in memory, so the admin path and the tick's polling
/// ([`Worker::decide`], [`Worker::poll`]) are one code, run by the tests and the `filter` fuzz
/// target as by Envoy.
trait Host {
    /// Logs `message` at `level`.
    fn log(&self, level: LogLevel, message: &str);
    /// Whether debug lines are logged (the explanation is written only then).
    fn debug_enabled(&self) -> bool;
    /// The request header `name`'s value (`None`: absent, or an error the host gave back,
    /// which is logged).
    fn request_header(&self, name: &str) -> Option<Vec<u8>>;
    /// The shared data under `key` and its compare-and-swap token (`None`: no token).
    fn shared_data(&self, key: &str) -> Result<(Option<Vec<u8>>, Option<u32>), Status>;
    /// Writes `value` under `key`: an absent key whatever `cas`; a present one when `cas` is
    /// its current token, or `None` (Envoy's rules, see [`FIRST_WRITE`]).
    fn set_shared_data(&self, key: &str, value: &[u8], cas: Option<u32>) -> Result<(), Status>;
}

/// The proxy-wasm host, through the SDK's `hostcalls` rather than its trait methods, which
/// unwrap what `hostcalls` returns. `hostcalls` (0.2.5) hands back as values the statuses it
/// expects of each call (`NotFound` as `None`, `CasMismatch` as an error) and panics on any
/// other (`unexpected status`), which traps the VM: reaching the ABI without the SDK would take
/// `unsafe` code, which the workspace forbids. The errors handled here are those it returns.
struct ProxyWasm;

impl Host for ProxyWasm {
    fn log(&self, level: LogLevel, message: &str) {
        let _ = hostcalls::log(level, message);
    }

    fn debug_enabled(&self) -> bool {
        hostcalls::get_log_level().is_ok_and(|level| level as u32 <= LogLevel::Debug as u32)
    }

    fn request_header(&self, name: &str) -> Option<Vec<u8>> {
        hostcalls::get_map_value_bytes(HttpRequestHeaders, name).unwrap_or_else(|status| {
            self.log(
                LogLevel::Warn,
                &format!("meshlb: reading the {name} header failed ({status:?}); taken as absent"),
            );
            None
        })
    }

    fn shared_data(&self, key: &str) -> Result<(Option<Vec<u8>>, Option<u32>), Status> {
        hostcalls::get_shared_data(key)
    }

    fn set_shared_data(&self, key: &str, value: &[u8], cas: Option<u32>) -> Result<(), Status> {
        hostcalls::set_shared_data(key, Some(value), cas)
    }
}

/// What a worker's poll of the shared update document found (logged already: the host's tick
/// reads nothing more from it; the native filter returns it).
#[derive(Debug)]
#[cfg_attr(target_arch = "wasm32", expect(dead_code))]
enum Polled {
    /// No document, or the one applied last.
    Unchanged,
    /// A new document, applied.
    Applied(update::Applied),
    /// A new document that does not parse (logged): why.
    Rejected(String),
}

/// Whether `value` can be an HTTP header value: no control character but the tab (RFC 9110
/// §5.5; CR and LF would end the header, and Envoy refuses the value).
fn header_value(value: &str) -> Result<(), String> {
    match value.chars().find(|&c| c.is_ascii_control() && c != '\t') {
        Some(c) => Err(format!(
            "{value:?} holds the control character {c:?}: not an HTTP header value"
        )),
        None => Ok(()),
    }
}

/// Every endpoint's address and locality as the filter would write them: valid header values
/// (see [`header_value`]), or the error naming the first that is not.
fn header_values(balancer: &Balancer) -> Result<(), String> {
    for endpoint in &balancer.explain().endpoints {
        let host = meshlb::endpoint_address(&endpoint.address, endpoint.port);
        header_value(&host)
            .and(header_value(&endpoint.locality))
            .map_err(|e| format!("endpoint {host}: {e}"))?;
    }
    Ok(())
}

impl Worker {
    /// A request's answer: the admin path's, or the pick's (see [`Worker::route`]), its
    /// headers read from `host`.
    fn decide(&mut self, host: &impl Host) -> Outcome {
        if let Some(admin) = &self.config.admin_path {
            let path = host.request_header(":path").unwrap_or_default();
            if is_admin(admin, &path) {
                return self.admin(host, host.request_header(UPDATE_HEADER).as_deref());
            }
        }
        let hash_value = self
            .config
            .hash_header
            .as_deref()
            .and_then(|name| host.request_header(name));
        self.route(hash_value.as_deref())
    }

    /// The admin path: merges the `x-meshlb-update` document (`document`) into shared data
    /// and applies it on this worker ([`Worker::publish`]): 200, or 409 when the shared data
    /// kept changing (applied here alone), 400 for a missing or bad document.
    fn admin(&mut self, host: &impl Host, document: Option<&[u8]>) -> Outcome {
        let bad = |body: String| Outcome::Respond { status: 400, body };
        let Some(document) = document else {
            return bad(format!(
                "meshlb: send the update document in the {UPDATE_HEADER} header, e.g. {{\"updates\": [{{\"locality\": \"region1/zone1\", \"health\": \"UNHEALTHY\"}}]}}\n"
            ));
        };
        let updates = match update::parse(document) {
            Ok(updates) => updates,
            Err(e) => return bad(format!("meshlb: {UPDATE_HEADER}: {e}\n")),
        };
        let (stored, applied) = self.publish(host, &updates);
        let mut body = format!(
            "meshlb: {} updates applied on this worker, {} endpoints changed; now {}: {}\n",
            updates.len(),
            applied.changed,
            self.balancer.explain().status.as_str(),
            self.balancer.explain().message
        );
        for e in &applied.errors {
            body.push_str(&format!("meshlb: {e}\n"));
        }
        if stored {
            Outcome::Respond { status: 200, body }
        } else {
            body.push_str(&format!(
                "meshlb: shared data {:?} kept changing: other workers will not see this update; retry\n",
                self.config.shared_data_key
            ));
            Outcome::Respond { status: 409, body }
        }
    }

    /// Merges `updates` into the shared document ([`update::merge`]; a compare-and-swap,
    /// tried [`CAS_ATTEMPTS`] times while other workers write, the first document written
    /// under [`FIRST_WRITE`]) and applies them on this worker, reporting to the log. Returns
    /// whether the shared document took them, and what applying them did.
    fn publish(&mut self, host: &impl Host, updates: &[update::Update]) -> (bool, update::Applied) {
        let key = &self.config.shared_data_key;
        let stored = (0..CAS_ATTEMPTS).any(|_| {
            host.shared_data(key).is_ok_and(|(current, cas)| {
                let merged = update::merge(current.as_deref(), updates);
                let cas = cas.unwrap_or(FIRST_WRITE);
                host.set_shared_data(key, &merged, Some(cas)).is_ok()
            })
        });
        let applied = update::apply(&mut self.balancer, updates);
        report(host, UPDATE_HEADER, &applied, &self.balancer);
        (stored, applied)
    }

    /// Reads the shared update document (the tick's) and applies it when it changed since
    /// the last read, logging what it did.
    fn poll(&mut self, host: &impl Host) -> Polled {
        let key = &self.config.shared_data_key;
        let data = match host.shared_data(key) {
            Ok((Some(data), _cas)) => data,
            Ok((None, _)) => return Polled::Unchanged,
            Err(status) => {
                host.log(
                    LogLevel::Warn,
                    &format!("meshlb: reading shared data failed ({status:?}); next tick"),
                );
                return Polled::Unchanged;
            }
        };
        let digest = meshlb::hash_key(&data);
        if self.seen == Some(digest) {
            return Polled::Unchanged;
        }
        self.seen = Some(digest);
        match update::parse(&data) {
            Err(e) => {
                host.log(
                    LogLevel::Error,
                    &format!("meshlb: shared data {key:?}: update rejected: {e}"),
                );
                Polled::Rejected(e)
            }
            Ok(updates) => {
                let applied = update::apply(&mut self.balancer, &updates);
                report(host, key, &applied, &self.balancer);
                Polled::Applied(applied)
            }
        }
    }

    /// Picks for a request whose `hash_header` holds `hash_value` (its bytes, any of them):
    /// the endpoint to steer it to, or the local answer when nothing can serve it.
    fn route(&mut self, hash_value: Option<&[u8]>) -> Outcome {
        let hash = hash_value.map(meshlb::hash_key);
        let dropped = self.balancer.dropped();
        match self.balancer.start(hash) {
            None if self.balancer.dropped() > dropped => Outcome::Respond {
                status: 503,
                body:
                    "meshlb: drop overload: the assignment's drop_overloads dropped this request\n"
                        .into(),
            },
            Some(picked) => {
                let host = meshlb::endpoint_address(&picked.address, picked.port);
                // Checked at configuration (`header_values`); kept here so that no update can
                // make the filter write a header value Envoy refuses.
                if let Err(e) = header_value(&host).and(header_value(&picked.locality)) {
                    self.balancer.finish(&picked);
                    return Outcome::Respond {
                        status: 500,
                        body: format!("meshlb: the picked endpoint {host}: {e}\n"),
                    };
                }
                Outcome::Route {
                    header: self.config.header.clone(),
                    host,
                    locality: picked.locality.clone(),
                    started: (self.configuration, picked),
                }
            }
            None => Outcome::Respond {
                status: 503,
                body: format!(
                    "meshlb: no endpoint can serve this request: {}: {}\n",
                    self.balancer.explain().status.as_str(),
                    self.balancer.explain().message
                ),
            },
        }
    }
}

/// Whether a request's `:path` (its bytes, query and all) is the admin path.
fn is_admin(admin: &str, path: &[u8]) -> bool {
    path.split(|b| *b == b'?').next().unwrap_or_default() == admin.as_bytes()
}

/// The root context: configuration, tick, and the factory of HTTP contexts.
#[derive(Debug, Default)]
struct Root {
    worker: Shared,
}

fn log(level: LogLevel, message: &str) {
    ProxyWasm.log(level, message);
}

/// Logs the explanation at debug level, in the CLI's terms: status, priorities, each endpoint's
/// share, drops and notes.
fn log_explanation(host: &impl Host, balancer: &Balancer) {
    use std::fmt::Write as _;
    if !host.debug_enabled() {
        return;
    }
    let e = balancer.explain();
    let mut text = format!(
        "meshlb: explanation: {}: {}; policy {}",
        e.status.as_str(),
        e.message,
        e.lb_policy
    );
    for p in &e.priorities {
        let _ = write!(
            text,
            "\n  P{} load {}% healthy + {}% degraded, health {}%{}",
            p.priority,
            p.healthy_load,
            p.degraded_load,
            p.health,
            if p.panic { ", PANIC" } else { "" }
        );
    }
    for ep in &e.endpoints {
        let _ = write!(
            text,
            "\n  {} {} P{} {} w{} {:.2}%",
            meshlb::endpoint_address(&ep.address, ep.port),
            ep.locality,
            ep.priority,
            ep.health,
            ep.weight,
            ep.share * 100.0
        );
    }
    for d in &e.dropped {
        let _ = write!(
            text,
            "\n  dropped {}: {}",
            meshlb::endpoint_address(&d.address, d.port),
            d.message
        );
    }
    for note in &e.notes {
        let _ = write!(text, "\n  note: {note}");
    }
    host.log(LogLevel::Debug, &text);
}

impl Root {
    /// Reads the shared update document and applies it when it changed ([`Worker::poll`]).
    fn poll_updates(&self) {
        let Ok(mut guard) = self.worker.try_borrow_mut() else {
            return;
        };
        if let Some(worker) = guard.as_mut() {
            worker.poll(&ProxyWasm);
        }
    }
}

/// Logs what an update did.
fn report(host: &impl Host, source: &str, applied: &update::Applied, balancer: &Balancer) {
    for e in &applied.errors {
        host.log(LogLevel::Warn, &format!("meshlb: {source:?}: {e}"));
    }
    if applied.changed > 0 {
        let explanation = balancer.explain();
        host.log(
            LogLevel::Info,
            &format!(
                "meshlb: {source:?}: {} endpoints changed; now {}: {}",
                applied.changed,
                balancer.explain().status.as_str(),
                explanation.message
            ),
        );
        log_explanation(host, balancer);
    }
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        // Hostcalls rather than the SDK's trait methods throughout: those unwrap the host's
        // status, and a host error would trap the VM (wasm never traps on the host's answer).
        let bytes = match hostcalls::get_buffer(BufferType::PluginConfiguration, 0, usize::MAX) {
            Ok(bytes) => bytes.unwrap_or_default(),
            Err(status) => {
                log(
                    LogLevel::Error,
                    &format!("meshlb: error: reading the plugin configuration failed ({status:?})"),
                );
                return false;
            }
        };
        let (loaded, config) = match config::parse(&bytes) {
            Ok(config::Config { loaded, settings }) => (loaded, settings),
            Err(message) => {
                log(LogLevel::Error, &format!("meshlb: error: {message}"));
                return false;
            }
        };
        let (seed, origin) = match config.seed {
            Some(seed) => (seed, "configuration"),
            None => {
                let nanos = hostcalls::get_current_time()
                    .ok()
                    .and_then(|now| now.duration_since(UNIX_EPOCH).ok())
                    .map_or(0, |d| {
                        // Nanoseconds since the epoch, modulo 2^64 (as the hostcall gives them).
                        d.as_secs()
                            .wrapping_mul(1_000_000_000)
                            .wrapping_add(u64::from(d.subsec_nanos()))
                    });
                (nanos, "the host's clock")
            }
        };
        let balancer = Balancer::new(loaded, seed);
        if let Err(message) = header_values(&balancer) {
            log(LogLevel::Error, &format!("meshlb: error: {message}"));
            return false;
        }
        let policy = balancer.explain().lb_policy;
        log(
            LogLevel::Info,
            &format!(
                "meshlb: {}: {}: {}; policy {policy}, seed {seed} (from {origin}); writes {}",
                balancer.title(),
                balancer.explain().status.as_str(),
                balancer.explain().message,
                config.header
            ),
        );
        if policy.is_hash_based() && config.hash_header.is_none() {
            log(
                LogLevel::Warn,
                &format!(
                    "meshlb: policy {policy} without hash_header: each request hashes a random key"
                ),
            );
        }
        log_explanation(&ProxyWasm, &balancer);
        if config.tick_ms > 0 {
            let period = std::time::Duration::from_millis(u64::from(config.tick_ms));
            if let Err(status) = hostcalls::set_tick_period(period) {
                log(
                    LogLevel::Error,
                    &format!(
                        "meshlb: error: the host refused the tick period ({status:?}): shared updates would never be read"
                    ),
                );
                return false;
            }
        }
        match self.worker.try_borrow_mut() {
            Ok(mut worker) => {
                let configuration = worker.as_ref().map_or(0, |w| w.configuration + 1);
                *worker = Some(Worker {
                    config,
                    balancer,
                    seen: None,
                    configuration,
                });
            }
            Err(_) => {
                log(
                    LogLevel::Error,
                    "meshlb: error: the worker is busy; configuration not applied",
                );
                return false;
            }
        }
        // A worker configured after an update starts from the current document.
        self.poll_updates();
        true
    }

    fn on_tick(&mut self) {
        self.poll_updates();
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Request {
            worker: Rc::clone(&self.worker),
            started: None,
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

/// One HTTP request.
#[derive(Debug)]
struct Request {
    worker: Shared,
    /// The request's pick, active on its endpoint until the stream ends: the configuration it
    /// was made under and the balancer's ticket.
    started: Option<(u64, meshlb_formats::Picked)>,
}

/// What to do with a request.
enum Outcome {
    /// Steer it to `host` (`address:port`) in `locality`.
    Route {
        header: String,
        host: String,
        locality: String,
        started: (u64, meshlb_formats::Picked),
    },
    /// Answer it locally.
    Respond { status: u32, body: String },
}

impl Request {
    fn decide(&self) -> Outcome {
        let Ok(mut guard) = self.worker.try_borrow_mut() else {
            return Outcome::Respond {
                status: 503,
                body: "meshlb: the worker is busy\n".into(),
            };
        };
        let Some(worker) = guard.as_mut() else {
            return Outcome::Respond {
                status: 503,
                body:
                    "meshlb: not configured (the plugin configuration was rejected: see the log)\n"
                        .into(),
            };
        };
        worker.decide(&ProxyWasm)
    }
}

impl Request {
    /// Reports the request's end to the balancer (once; nothing when it was never routed).
    fn finish(&mut self) {
        let Some((configuration, picked)) = self.started.take() else {
            return;
        };
        let Ok(mut guard) = self.worker.try_borrow_mut() else {
            // Busy (a re-entrant call): try again at the next callback.
            self.started = Some((configuration, picked));
            return;
        };
        if let Some(worker) = guard.as_mut().filter(|w| w.configuration == configuration) {
            worker.balancer.finish(&picked);
        }
    }
}

impl Context for Request {
    fn on_done(&mut self) -> bool {
        self.finish();
        true
    }
}

impl Drop for Request {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Answers the request here: `Pause` once the answer is sent; `Continue` (logged) when the
/// host refuses to send it, rather than a stream paused for ever.
fn respond(status: u32, body: &str) -> Action {
    let headers = vec![("content-type", "text/plain; charset=utf-8")];
    match hostcalls::send_http_response(status, headers, Some(body.as_bytes())) {
        Ok(()) => Action::Pause,
        Err(e) => {
            log(
                LogLevel::Error,
                &format!("meshlb: error: the host refused a local {status} answer ({e:?}): {body}"),
            );
            Action::Continue
        }
    }
}

impl HttpContext for Request {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        // The borrow of the worker ends in `decide`, before any call that could re-enter.
        match self.decide() {
            Outcome::Route {
                header,
                host,
                locality,
                started,
            } => {
                self.started = Some(started);
                let headers = HttpRequestHeaders;
                let set = hostcalls::set_map_value(headers, &header, Some(&host)).and_then(|()| {
                    hostcalls::set_map_value(headers, LOCALITY_HEADER, Some(&locality))
                });
                match set {
                    Ok(()) => Action::Continue,
                    Err(status) => {
                        // Not steered: answered here rather than sent on without a destination.
                        self.finish();
                        respond(
                            500,
                            &format!("meshlb: the host refused the {header} header ({status:?})\n"),
                        )
                    }
                }
            }
            Outcome::Respond { status, body } => respond(status, &body),
        }
    }

    fn on_log(&mut self) {
        self.finish();
    }
}
