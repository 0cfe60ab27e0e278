//! The workers: one OS thread each, with a single-threaded tokio runtime, accepting on the
//! shared listener, serving HTTP/1.1 and HTTP/2 (prior knowledge, h2c), and forwarding each
//! request to the endpoint its own [`meshlb::Pickers`] pick against the published route.
//!
//! A request's future never leaves its worker's thread, so the pickers sit in a `RefCell` and
//! the request's ticket (what LEAST_REQUEST counts as active) is handed back when its response
//! body ends or is dropped, on the same thread, without a lock.

use std::cell::RefCell;
use std::convert::Infallible;
use std::future::Future;
use std::net::TcpListener as StdListener;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full, Limited};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Version};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use meshlb::{Picked, Pickers, SeededRng};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

use crate::control::{Command, Shared};

/// How requests are balanced.
#[derive(Debug, Clone)]
pub enum Balancing {
    /// meshlb's pick (the input's policy, priorities, localities).
    Meshlb,
    /// pingora's `RoundRobin` selection over every endpoint, health ignored: the baseline the
    /// README's numbers compare with (the same proxy, another pick).
    RoundRobin(Arc<PingoraRoundRobin>),
}

/// pingora-load-balancing's `RoundRobin` over the endpoints, and each backend's endpoint.
pub struct PingoraRoundRobin {
    selection: Arc<pingora_load_balancing::selection::RoundRobin>,
    endpoints: std::collections::BTreeMap<std::net::SocketAddr, usize>,
}

impl std::fmt::Debug for PingoraRoundRobin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PingoraRoundRobin")
            .field("endpoints", &self.endpoints.len())
            .finish_non_exhaustive()
    }
}

impl PingoraRoundRobin {
    /// pingora's `RoundRobin` built over `endpoints` (IP addresses only; others are left out).
    #[must_use]
    pub fn new(endpoints: &[crate::control::Endpoint]) -> Self {
        use pingora_load_balancing::selection::BackendSelection;
        let mut set = std::collections::BTreeSet::new();
        let mut map = std::collections::BTreeMap::new();
        for (i, e) in endpoints.iter().enumerate() {
            if let Ok(ip) = e.address.parse::<std::net::IpAddr>() {
                let address = std::net::SocketAddr::new(ip, e.port);
                if let Ok(backend) = pingora_load_balancing::Backend::new(&address.to_string()) {
                    set.insert(backend);
                    map.insert(address, i);
                }
            }
        }
        Self {
            selection: Arc::new(pingora_load_balancing::selection::RoundRobin::build(&set)),
            endpoints: map,
        }
    }

    fn pick(&self) -> Option<usize> {
        use pingora_load_balancing::selection::{BackendIter, BackendSelection};
        let mut iter = self.selection.iter(b"");
        let backend = iter.next()?;
        self.endpoints.get(backend.addr.as_inet()?).copied()
    }
}

/// A worker's settings.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The request header whose value is the hash key (RING_HASH, MAGLEV), if any.
    pub hash_header: Option<HeaderName>,
    /// Upstreams speak HTTP/2 (prior knowledge) rather than HTTP/1.1.
    pub upstream_http2: bool,
    /// How requests are balanced.
    pub balancing: Balancing,
    /// Retries of a request without a body after a connection failure or a reset before the
    /// response headers, on the next endpoint in failover order (Istio's default: 2).
    pub retries: u32,
}

/// One worker's state.
struct Worker {
    shared: Arc<Shared>,
    pickers: RefCell<Pickers>,
    rng: RefCell<SeededRng>,
    client: Client<HttpConnector, Either<Incoming, http_body_util::Empty<Bytes>>>,
    commands: mpsc::UnboundedSender<Command>,
    config: WorkerConfig,
}

/// A request active on its endpoint: finished (handed back to the worker's pickers) when
/// dropped.
struct Ticket {
    worker: Rc<Worker>,
    picked: Option<Picked>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Some(picked) = self.picked.take()
            && let Ok(mut pickers) = self.worker.pickers.try_borrow_mut()
        {
            pickers.finish(picked);
        }
    }
}

/// The upstream's response body, holding the request's ticket until it ends.
struct Tracked {
    inner: Incoming,
    ticket: Option<Ticket>,
}

impl Body for Tracked {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) {
            self.ticket = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

type ProxyBody = Either<Tracked, Full<Bytes>>;

fn answer(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<ProxyBody> {
    let mut response = Response::new(Either::Right(Full::new(body.into())));
    *response.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}

/// Hop-by-hop headers (RFC 9110 §7.6.1), not forwarded.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Runs `workers` worker threads on `listener`; returns their handles.
///
/// # Errors
/// When the listener cannot be cloned or a thread or runtime cannot start.
pub fn start(
    listener: &StdListener,
    workers: usize,
    shared: &Arc<Shared>,
    commands: &mpsc::UnboundedSender<Command>,
    config: &WorkerConfig,
    seed: u64,
) -> std::io::Result<Vec<std::thread::JoinHandle<()>>> {
    listener.set_nonblocking(true)?;
    let mut handles = Vec::with_capacity(workers);
    for n in 0..workers {
        let listener = listener.try_clone()?;
        let shared = Arc::clone(shared);
        let commands = commands.clone();
        let config = config.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = std::thread::Builder::new()
            .name(format!("meshlb-worker-{n}"))
            .spawn(move || {
                let local = tokio::task::LocalSet::new();
                local.block_on(&runtime, async move {
                    if let Err(e) = serve(listener, shared, commands, config, seed, n).await {
                        eprintln!("meshlb-proxy: worker {n}: {e}");
                    }
                });
            })?;
        handles.push(handle);
    }
    Ok(handles)
}

async fn serve(
    listener: StdListener,
    shared: Arc<Shared>,
    commands: mpsc::UnboundedSender<Command>,
    config: WorkerConfig,
    seed: u64,
    n: usize,
) -> std::io::Result<()> {
    let listener = TcpListener::from_std(listener)?;
    // Each worker's pickers start at positions drawn from its own seeded generator.
    let mut rng = SeededRng::stream(seed, n as u64);
    let pickers = Pickers::new(&shared.snapshot.load().route, &mut rng);
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client = Client::builder(TokioExecutor::new())
        .http2_only(config.upstream_http2)
        .build(connector);
    let worker = Rc::new(Worker {
        shared,
        pickers: RefCell::new(pickers),
        rng: RefCell::new(rng),
        client,
        commands,
        config,
    });
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("meshlb-proxy: accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let worker = Rc::clone(&worker);
        tokio::task::spawn_local(async move {
            let service = hyper::service::service_fn(move |request| {
                let worker = Rc::clone(&worker);
                async move { Ok::<_, Infallible>(handle(worker, request).await) }
            });
            let _ = hyper_util::server::conn::auto::Builder::new(LocalExec)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Spawns HTTP/2 streams on the worker's own thread.
#[derive(Debug, Clone, Copy)]
struct LocalExec;

impl<F> hyper::rt::Executor<F> for LocalExec
where
    F: Future + 'static,
{
    fn execute(&self, future: F) {
        tokio::task::spawn_local(future);
    }
}

async fn handle(worker: Rc<Worker>, request: Request<Incoming>) -> Response<ProxyBody> {
    let path = request.uri().path();
    if path.starts_with("/meshlb/") {
        return admin(&worker, request).await;
    }
    forward(worker, request).await
}

/// `GET /meshlb/explain`, `GET /meshlb/stats`, `POST /meshlb/update`.
async fn admin(worker: &Worker, request: Request<Incoming>) -> Response<ProxyBody> {
    let json = "application/json";
    match (request.method(), request.uri().path()) {
        (&Method::GET, "/meshlb/explain") => {
            let snapshot = worker.shared.snapshot.load();
            answer(StatusCode::OK, json, snapshot.explanation.clone())
        }
        (&Method::GET, "/meshlb/stats") => {
            let snapshot = worker.shared.snapshot.load();
            let endpoints: Vec<serde_json::Value> = worker
                .shared
                .endpoints
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "endpoint": e.authority,
                        "requests": e.requests.load(Ordering::Relaxed),
                    })
                })
                .collect();
            let body = serde_json::json!({
                "version": snapshot.version,
                "failures": worker.shared.failures.load(Ordering::Relaxed),
                "endpoints": endpoints,
            });
            answer(StatusCode::OK, json, body.to_string())
        }
        (&Method::POST, "/meshlb/update") => {
            let header = request
                .headers()
                .get("x-meshlb-update")
                .map(|v| v.as_bytes().to_vec());
            let document = match header {
                Some(document) => document,
                None => match Limited::new(request.into_body(), 1 << 20).collect().await {
                    Ok(body) => body.to_bytes().to_vec(),
                    Err(e) => {
                        let body =
                            serde_json::json!({ "error": format!("the update document: {e}") });
                        return answer(StatusCode::BAD_REQUEST, json, body.to_string());
                    }
                },
            };
            let updates = match meshlb_formats::update::parse(&document) {
                Ok(updates) => updates,
                Err(e) => {
                    let body = serde_json::json!({ "error": e });
                    return answer(StatusCode::BAD_REQUEST, json, body.to_string());
                }
            };
            let (reply, answered) = oneshot::channel();
            if worker
                .commands
                .send(Command::Update(updates, reply))
                .is_err()
            {
                return answer(
                    StatusCode::SERVICE_UNAVAILABLE,
                    json,
                    "{\"error\":\"control task gone\"}",
                );
            }
            match answered.await {
                Ok((status, body)) => answer(
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                    json,
                    body,
                ),
                Err(_) => answer(
                    StatusCode::SERVICE_UNAVAILABLE,
                    json,
                    "{\"error\":\"control task gone\"}",
                ),
            }
        }
        _ => answer(
            StatusCode::NOT_FOUND,
            "text/plain",
            "meshlb-proxy: GET /meshlb/explain, GET /meshlb/stats, POST /meshlb/update\n",
        ),
    }
}

/// The endpoints to retry on after a connection failure, in failover order
/// ([`meshlb::Route::fallbacks`] of the pick, on the snapshot it was made on).
type Fallbacks = Option<(Arc<crate::control::Snapshot>, Picked)>;

/// Picks the endpoint of one request: `(endpoint index, ticket, what its fallbacks come from)`.
fn pick(worker: &Rc<Worker>, request: &Request<Incoming>) -> Option<(usize, Ticket, Fallbacks)> {
    if let Balancing::RoundRobin(round_robin) = &worker.config.balancing {
        let endpoint = round_robin.pick()?;
        let ticket = Ticket {
            worker: Rc::clone(worker),
            picked: None,
        };
        return Some((endpoint, ticket, None));
    }
    let snapshot = worker.shared.snapshot.load_full();
    let hash = worker
        .config
        .hash_header
        .as_ref()
        .and_then(|name| request.headers().get(name))
        .map(|value| meshlb::hash_key(value.as_bytes()));
    let meshlb_request = hash.map_or_else(meshlb::Request::default, meshlb::Request::with_hash);
    let picked = {
        let mut pickers = worker.pickers.borrow_mut();
        let mut rng = worker.rng.borrow_mut();
        pickers.pick(&snapshot.route, &mut *rng, meshlb_request)?
    };
    let ticket = Ticket {
        worker: Rc::clone(worker),
        picked: Some(picked),
    };
    let endpoint = snapshot.upstreams.get(picked.index()).copied()?;
    Some((endpoint, ticket, Some((snapshot, picked))))
}

async fn forward(worker: Rc<Worker>, mut request: Request<Incoming>) -> Response<ProxyBody> {
    let text = "text/plain";
    worker.shared.saw_traffic();
    let Some((mut endpoint, ticket, fallbacks)) = pick(&worker, &request) else {
        worker.shared.failures.fetch_add(1, Ordering::Relaxed);
        // Envoy's answer when the load balancer returns no host.
        return answer(StatusCode::SERVICE_UNAVAILABLE, text, "no healthy upstream");
    };
    // HTTP/2 requests carry their authority in the URI; HTTP/1.1 upstreams need a Host.
    if !request.headers().contains_key(hyper::header::HOST)
        && let Some(authority) = request.uri().authority()
        && let Ok(value) = HeaderValue::from_str(authority.as_str())
    {
        request.headers_mut().insert(hyper::header::HOST, value);
    }
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    for name in HOP_BY_HOP {
        request.headers_mut().remove(*name);
    }
    // A request without a body can be sent again: retried when its upstream refuses the
    // connection or resets it before the response headers (Envoy's `retry_on:
    // connect-failure,reset`; Istio's default policy is 2 attempts, on `connect-failure` among
    // others), on the next endpoint in failover order that was not tried.
    let retriable = worker.config.retries > 0 && request.body().is_end_stream();
    let (parts, body) = request.into_parts();
    let mut body = Some(if retriable {
        Either::Right(http_body_util::Empty::new())
    } else {
        Either::Left(body)
    });
    let mut ticket = Some(ticket);
    let mut tried = vec![endpoint];
    let mut retries = 0;
    loop {
        let Some(upstream) = worker.shared.endpoints.get(endpoint) else {
            return answer(StatusCode::SERVICE_UNAVAILABLE, text, "no healthy upstream");
        };
        let Ok(uri) = format!("http://{}{path}", upstream.authority).parse::<hyper::Uri>() else {
            return answer(StatusCode::BAD_REQUEST, text, "bad request path");
        };
        let mut attempt = Request::new(
            body.take()
                .unwrap_or_else(|| Either::Right(http_body_util::Empty::new())),
        );
        *attempt.method_mut() = parts.method.clone();
        *attempt.uri_mut() = uri;
        *attempt.headers_mut() = parts.headers.clone();
        *attempt.version_mut() = if worker.config.upstream_http2 {
            Version::HTTP_2
        } else {
            Version::HTTP_11
        };
        upstream.requests.fetch_add(1, Ordering::Relaxed);
        match worker.client.request(attempt).await {
            Ok(response) => {
                let (mut parts, body) = response.into_parts();
                for name in HOP_BY_HOP {
                    parts.headers.remove(*name);
                }
                if let Ok(value) = HeaderValue::from_str(&upstream.authority) {
                    parts.headers.insert("x-meshlb-upstream", value);
                }
                let body = Tracked {
                    inner: body,
                    ticket: ticket.take(),
                };
                return Response::from_parts(parts, Either::Left(body));
            }
            Err(_) => {
                // The first pick's request ends here; a retry is not counted as active.
                ticket = None;
                let next = (retriable && retries < worker.config.retries)
                    .then(|| {
                        let (snapshot, picked) = fallbacks.as_ref()?;
                        snapshot
                            .route
                            .fallbacks(*picked)
                            .filter_map(|i| snapshot.upstreams.get(i).copied())
                            .find(|e| !tried.contains(e))
                    })
                    .flatten();
                if let Some(next) = next {
                    retries += 1;
                    tried.push(next);
                    endpoint = next;
                    continue;
                }
                worker.shared.failures.fetch_add(1, Ordering::Relaxed);
                // Envoy's words for a failed upstream connection.
                let mut response = answer(
                    StatusCode::SERVICE_UNAVAILABLE,
                    text,
                    "upstream connect error or disconnect/reset before headers",
                );
                if let Ok(value) = HeaderValue::from_str(&upstream.authority) {
                    response.headers_mut().insert("x-meshlb-upstream", value);
                }
                return response;
            }
        }
    }
}
