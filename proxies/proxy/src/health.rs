//! Active HTTP health checks: the probes. The state machine (thresholds, first check,
//! intervals) is the core's [`meshlb::HostCheck`]; this module sends the requests and keeps the
//! time.
//!
//! As Envoy's HTTP health checker (`envoy.config.core.v3.HealthCheck.HttpHealthCheck`, envoy
//! `api/envoy/config/core/v3/health_check.proto`, `source/extensions/health_checkers/http/
//! health_checker_impl.cc`): a `GET` of `path` with the `Host` header `host` (Envoy's default
//! is the cluster's name; here the explanation's host, else the endpoint), healthy when the
//! status is in `expected_statuses` (default: 200 only), a connection failure or no answer
//! within `timeout` a network failure.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Empty;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use meshlb::{CheckOutcome, HealthCheckConfig, HostCheck, Transition};
use tokio::sync::mpsc;

use crate::control::{Command, Shared};

/// An HTTP health check.
#[derive(Debug, Clone)]
pub struct HttpCheck {
    /// Thresholds, intervals and timeout.
    pub config: HealthCheckConfig,
    /// The request path.
    pub path: String,
    /// The `Host` header, when set; else the endpoint's `address:port`.
    pub host: Option<String>,
    /// Healthy statuses, as half-open ranges `[start, end)` (Envoy's `expected_statuses`).
    pub expected: Vec<(u16, u16)>,
}

type ProbeClient = Client<HttpConnector, Empty<Bytes>>;

/// A client for probes (its own connection pool, as Envoy's checker has its own connections).
#[must_use]
pub fn client() -> ProbeClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(1)
        .build(connector)
}

/// One check of `authority`.
pub async fn probe(client: &ProbeClient, authority: &str, check: &HttpCheck) -> CheckOutcome {
    let Ok(request) = hyper::Request::get(format!("http://{authority}{}", check.path))
        .header(
            hyper::header::HOST,
            check.host.as_deref().unwrap_or(authority),
        )
        .header(hyper::header::USER_AGENT, "meshlb/HC")
        .body(Empty::new())
    else {
        return CheckOutcome::Failure;
    };
    let timeout = Duration::from_millis(check.config.timeout_ms());
    match tokio::time::timeout(timeout, client.request(request)).await {
        Ok(Ok(response)) => {
            let status = response.status().as_u16();
            if check
                .expected
                .iter()
                .any(|&(start, end)| (start..end).contains(&status))
            {
                CheckOutcome::Success
            } else {
                CheckOutcome::Failure
            }
        }
        Ok(Err(_)) | Err(_) => CheckOutcome::NetworkFailure,
    }
}

/// The first round: every endpoint checked once, at once (Envoy checks a new host at once and
/// holds a health-checked cluster warming until then). The state of each after it.
pub async fn first_round(shared_authorities: &[String], check: &HttpCheck) -> Vec<HostCheck> {
    let client = client();
    let probes = shared_authorities.iter().map(|authority| {
        let client = client.clone();
        let check = check.clone();
        let authority = authority.clone();
        tokio::spawn(async move { probe(&client, &authority, &check).await })
    });
    let probes: Vec<_> = probes.collect();
    let mut states = Vec::with_capacity(probes.len());
    for probe in probes {
        let outcome = probe.await.unwrap_or(CheckOutcome::NetworkFailure);
        let mut state = HostCheck::new();
        state.observe(outcome, &check.config);
        states.push(state);
    }
    states
}

/// Checks endpoint `endpoint` forever, reporting each transition to the control task.
pub async fn run(
    endpoint: usize,
    mut state: HostCheck,
    shared: Arc<Shared>,
    check: Arc<HttpCheck>,
    commands: mpsc::UnboundedSender<Command>,
) {
    let client = client();
    let Some(authority) = shared.endpoints.get(endpoint).map(|e| e.authority.clone()) else {
        return;
    };
    loop {
        let traffic_started = shared.traffic_started.notified();
        tokio::pin!(traffic_started);
        traffic_started.as_mut().enable();
        let traffic = shared.traffic.load(Ordering::Relaxed);
        let wait = Duration::from_millis(state.next_interval_ms(&check.config, traffic));
        if traffic {
            tokio::time::sleep(wait).await;
        } else {
            // Until the first request: `no_traffic_interval`, cut short by the first request
            // (Envoy keeps the timer it set; meshlb checks at once so that traffic does not wait
            // out a 60 s timer).
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = &mut traffic_started => {}
            }
        }
        let outcome = probe(&client, &authority, &check).await;
        if state.observe(outcome, &check.config) == Transition::Changed
            && commands
                .send(Command::Checked {
                    endpoint,
                    healthy: state.is_healthy(),
                })
                .is_err()
        {
            return;
        }
    }
}
