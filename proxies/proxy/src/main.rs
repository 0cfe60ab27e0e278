//! `meshlb-proxy`: see the crate documentation and the README's "Linked into a proxy".

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use meshlb::HealthCheckConfig;
use meshlb_formats::{HealthCheckProtocol, Input, Options};
use meshlb_proxy::control::{Command, Control, endpoints_of};
use meshlb_proxy::health::{self, HttpCheck};
use meshlb_proxy::server::{self, Balancing, WorkerConfig};

/// An HTTP/1.1 and HTTP/2 reverse proxy that picks each request's upstream with meshlb.
#[derive(Debug, Parser)]
#[command(name = "meshlb-proxy", version)]
struct Args {
    /// The input: a meshlb scenario (YAML or JSON) or Envoy artefacts (several files are joined,
    /// as `meshlb explain` joins them).
    #[arg(long, value_name = "FILE", required = true)]
    input: Vec<PathBuf>,
    /// Where to listen (HTTP/1.1 and HTTP/2 with prior knowledge, no TLS); the admin paths
    /// (`/meshlb/...`) are on the same listener.
    #[arg(long, value_name = "ADDRESS:PORT", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Envoy input holding several clusters: the one to balance over.
    #[arg(long, value_name = "NAME")]
    cluster: Option<String>,
    /// A scenario: the client's cluster and namespace.
    #[arg(long, value_name = "CLUSTER/NAMESPACE")]
    from: Option<String>,
    /// The client's locality (a scenario's client, or Envoy's node).
    #[arg(long, value_name = "REGION/ZONE/SUBZONE")]
    locality: Option<String>,
    /// A scenario: the destination host.
    #[arg(long, value_name = "HOST")]
    to: Option<String>,
    /// Worker threads (each with its own pickers).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
    workers: u16,
    /// Seeds the workers' random generators.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The request header whose value is the hash key for RING_HASH and MAGLEV (Envoy's
    /// `hash_policy.header`); without it, each request gets a random hash.
    #[arg(long, value_name = "NAME")]
    hash_header: Option<String>,
    /// Upstreams speak HTTP/2 with prior knowledge (default: HTTP/1.1).
    #[arg(long)]
    upstream_http2: bool,
    /// How requests are balanced: `meshlb`, or `round-robin`: pingora-load-balancing's
    /// `RoundRobin` over every endpoint, health ignored (the baseline of the README's numbers).
    #[arg(long, default_value = "meshlb", value_parser = ["meshlb", "round-robin"])]
    balancer: String,
    /// Retries of a request without a body after a connection failure or a reset before the
    /// response headers, each on the next endpoint in failover order (Istio's default retry
    /// policy: 2 attempts); 0 turns retries off.
    #[arg(long, default_value_t = 2)]
    retries: u32,
    /// No active health checks: the input's health (and updates) only.
    #[arg(long)]
    no_health_checks: bool,
    /// Health check request path.
    #[arg(long, default_value = "/")]
    hc_path: String,
    /// Health check `Host` header (default: the endpoint's address:port).
    #[arg(long)]
    hc_host: Option<String>,
    /// Health check interval (`500ms`, `1s`).
    #[arg(long, default_value = "1s", value_parser = parse_ms)]
    hc_interval: u64,
    /// Health check timeout.
    #[arg(long, default_value = "1s", value_parser = parse_ms)]
    hc_timeout: u64,
    /// Consecutive network failures that fail a healthy endpoint.
    #[arg(long, default_value_t = 2)]
    hc_unhealthy_threshold: u32,
    /// Consecutive successes that bring a failed endpoint back.
    #[arg(long, default_value_t = 2)]
    hc_healthy_threshold: u32,
    /// Interval before the first request (Envoy's default: 60 s).
    #[arg(long, default_value = "60s", value_parser = parse_ms)]
    hc_no_traffic_interval: u64,
    /// Healthy HTTP statuses (repeatable; Envoy's default: 200 only).
    #[arg(long = "hc-expected-status", value_name = "CODE")]
    hc_expected_status: Vec<u16>,
}

/// `250ms`, `1s`, `1.5s`.
fn parse_ms(text: &str) -> Result<u64, String> {
    let bad = || format!("{text:?}: expected a duration such as 500ms or 2s");
    let ms = if let Some(ms) = text.strip_suffix("ms") {
        ms.parse::<u64>().map_err(|_| bad())?
    } else if let Some(s) = text.strip_suffix('s') {
        let s: f64 = s.parse().map_err(|_| bad())?;
        if !(s.is_finite() && (0.0..1e9).contains(&s)) {
            return Err(bad());
        }
        (s * 1000.0).round() as u64
    } else {
        return Err(bad());
    };
    if ms == 0 {
        return Err(format!("{text:?}: must be greater than 0"));
    }
    Ok(ms)
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("meshlb-proxy: error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let files = args
        .input
        .iter()
        .map(|path| meshlb_formats::read_file(path))
        .collect::<Result<Vec<_>, _>>()?;
    let options = Options {
        from: args.from.clone(),
        locality: args.locality.clone(),
        to: args.to.clone(),
        cluster: args.cluster.clone(),
        ..Options::default()
    };
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let loaded = match meshlb_formats::read(&borrowed, &options)? {
        Input::Loaded(loaded) => *loaded,
        Input::Listing(listing) => {
            let names: Vec<String> = listing
                .rows
                .iter()
                .map(|r| format!("{:?}", r.name))
                .collect();
            return Err(format!(
                "{}: choose a cluster with --cluster: {}",
                listing.title,
                names.join(", ")
            ));
        }
    };
    let explanation = loaded.explain();
    let title = loaded.title.clone();
    // The Envoy cluster's own active health check, where the input has one.
    let envoy_check = loaded.health_check.clone();
    let notes = loaded.notes.clone();
    let route = loaded.into_route();
    let (endpoints, eds) = endpoints_of(&explanation);
    if endpoints.is_empty() {
        return Err(format!(
            "{title}: no endpoint to send requests to ({:?})",
            explanation.status
        ));
    }
    let check = if args.no_health_checks {
        None
    } else {
        // The Envoy cluster's own health check, where the input has one; the flags fill in.
        let found = envoy_check;
        let (check_path, check_host, check_expected) = match found.as_ref() {
            None => (None, None, None),
            Some(f) => match &f.protocol {
                HealthCheckProtocol::Http {
                    path,
                    host,
                    expected_statuses,
                } => (path.clone(), host.clone(), expected_statuses.clone()),
                HealthCheckProtocol::Other(kind) => {
                    return Err(format!(
                        "{}: {kind}: meshlb-proxy runs HTTP health checks only (give --no-health-checks, or the --hc-* flags with an HTTP check)",
                        f.at
                    ));
                }
                HealthCheckProtocol::Missing => {
                    return Err(format!(
                        "{}: a health check without http_health_check (Envoy refuses it)",
                        f.at
                    ));
                }
            },
        };
        let f = found.clone().unwrap_or_default();
        let config = HealthCheckConfig::new(
            f.interval_ms.unwrap_or(args.hc_interval),
            f.timeout_ms.unwrap_or(args.hc_timeout),
            f.unhealthy_threshold.unwrap_or(args.hc_unhealthy_threshold),
            f.healthy_threshold.unwrap_or(args.hc_healthy_threshold),
        )
        .and_then(|c| {
            c.with_no_traffic_interval_ms(
                f.no_traffic_interval_ms
                    .unwrap_or(args.hc_no_traffic_interval),
            )
        })
        .and_then(|c| {
            c.with_intervals_ms(
                f.unhealthy_interval_ms,
                f.unhealthy_edge_interval_ms,
                f.healthy_edge_interval_ms,
            )
        })
        .map_err(|e| match &found {
            Some(found) => format!("{}: {e}", found.at),
            None => format!("--hc-*: {e}"),
        })?;
        let expected = match check_expected {
            Some(ranges) => ranges,
            None if args.hc_expected_status.is_empty() => vec![(200, 201)],
            None => args
                .hc_expected_status
                .iter()
                .map(|&s| (s, s.saturating_add(1)))
                .collect(),
        };
        if let Some(found) = &found {
            eprintln!("meshlb-proxy: health checks from {}", found.at);
        }
        Some(Arc::new(HttpCheck {
            config,
            path: check_path.unwrap_or_else(|| args.hc_path.clone()),
            host: check_host.or_else(|| args.hc_host.clone()),
            expected,
        }))
    };
    let hash_header = match &args.hash_header {
        Some(name) => Some(
            hyper::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| format!("--hash-header {name:?}: {e}"))?,
        ),
        None => None,
    };
    let listener =
        TcpListener::bind(&args.listen).map_err(|e| format!("--listen {}: {e}", args.listen))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    // Warming: the first health check of every endpoint before the first request.
    let first = check.as_ref().map(|check| {
        let authorities: Vec<String> = endpoints.iter().map(|e| e.authority.clone()).collect();
        runtime.block_on(health::first_round(&authorities, check))
    });
    let results = first
        .as_ref()
        .map(|states| states.iter().map(meshlb::HostCheck::is_healthy).collect());
    let control = Control::initial(route, notes, eds, endpoints, results)?;
    let shared = Arc::clone(control.shared());
    let (commands, receiver) = tokio::sync::mpsc::unbounded_channel::<Command>();
    let config = WorkerConfig {
        hash_header,
        upstream_http2: args.upstream_http2,
        retries: args.retries,
        balancing: if args.balancer == "round-robin" {
            Balancing::RoundRobin(Arc::new(server::PingoraRoundRobin::new(&shared.endpoints)))
        } else {
            Balancing::Meshlb
        },
    };
    let workers = server::start(
        &listener,
        usize::from(args.workers),
        &shared,
        &commands,
        &config,
        args.seed,
    )
    .map_err(|e| format!("workers: {e}"))?;
    let passing = first
        .as_ref()
        .map(|s| s.iter().filter(|c| c.is_healthy()).count());
    eprintln!(
        "meshlb-proxy: {title}: {} endpoints{}; listening on http://{local} ({} workers); explanation at http://{local}/meshlb/explain",
        shared.endpoints.len(),
        passing.map_or_else(
            || ", no active health checks".to_string(),
            |n| format!(", {n} pass their first health check")
        ),
        args.workers,
    );
    let control_thread = std::thread::Builder::new()
        .name("meshlb-control".into())
        .spawn(move || {
            runtime.block_on(async move {
                if let (Some(check), Some(states)) = (check, first) {
                    for (endpoint, state) in states.into_iter().enumerate() {
                        tokio::spawn(health::run(
                            endpoint,
                            state,
                            Arc::clone(control.shared()),
                            Arc::clone(&check),
                            commands.clone(),
                        ));
                    }
                }
                drop(commands);
                control.run(receiver).await;
            });
        })
        .map_err(|e| format!("control thread: {e}"))?;
    for worker in workers {
        let _ = worker.join();
    }
    let _ = control_thread.join();
    Ok(())
}
