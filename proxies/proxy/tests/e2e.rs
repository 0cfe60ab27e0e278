//! End to end on loopback: upstream HTTP servers in three zones on 127.0.0.1 (ports chosen by
//! the OS), the `meshlb-proxy` binary in front of them, and live requests through it.
//!
//! Shares are compared with the proxy's own `/meshlb/explain` (the plan it publishes) within a
//! 3σ binomial bound: for an endpoint explained to get a share `p` of `n` requests, its count
//! must be within `n·p ± 3·sqrt(n·p·(1−p))` (a false alarm about 0.3 % of the time per
//! endpoint for independent picks; round robin within a priority spreads more evenly than
//! that, so the bound is loose for it), and an endpoint explained to get nothing must get
//! nothing. The expected shares themselves are checked against the hand-derived values of
//! `examples/proxy.yaml` (P0 `min(100, 140 × 2/3)` = 93 %, split over 2 pods).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

type HttpClient = Client<HttpConnector, Empty<Bytes>>;

/// A running proxy, killed when dropped.
struct Proxy {
    child: Child,
    address: String,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `meshlb-proxy` on `input` with fast health checks; waits for its listening line.
fn start_proxy(input: &std::path::Path, extra: &[&str]) -> Proxy {
    let mut child = Command::new(env!("CARGO_BIN_EXE_meshlb-proxy"))
        .arg("--input")
        .arg(input)
        .args(["--listen", "127.0.0.1:0", "--workers", "2"])
        .args(["--hc-interval", "100ms", "--hc-timeout", "200ms"])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .expect("meshlb-proxy starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let line = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|line| line.contains("listening on"))
        .expect("the proxy says where it listens");
    // Keep draining stderr so that the proxy never blocks on it.
    std::thread::spawn(move || for _ in lines {});
    let address = line
        .split("listening on http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no listening address in {line:?}"))
        .to_owned();
    Proxy { child, address }
}

fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// A zone's upstream servers: their ports, and the tasks serving them.
struct Zone {
    ports: Vec<u16>,
    servers: Vec<JoinHandle<()>>,
}

impl Zone {
    async fn start(count: usize) -> Self {
        let mut zone = Self {
            ports: Vec::new(),
            servers: Vec::new(),
        };
        for _ in 0..count {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            zone.ports
                .push(listener.local_addr().expect("address").port());
            zone.servers
                .push(tokio::spawn(meshlb_proxy::upstream::serve(
                    listener,
                    Duration::ZERO,
                )));
        }
        zone
    }

    fn stop(&mut self) {
        for server in self.servers.drain(..) {
            server.abort();
        }
    }

    async fn restart(&mut self) {
        self.stop();
        for &port in &self.ports {
            let listener = TcpListener::bind(("127.0.0.1", port))
                .await
                .expect("bind the same port again");
            self.servers
                .push(tokio::spawn(meshlb_proxy::upstream::serve(
                    listener,
                    Duration::ZERO,
                )));
        }
    }
}

/// `examples/proxy.yaml` with the given ports: zone-a (three pods, the third not ready),
/// zone-b (two), region2/zone-c (two).
fn scenario(a: &[u16], b: &[u16], c: &[u16]) -> String {
    let workload = |port: u16, locality: &str, health: &str| {
        format!(
            "  - {{ service: web.demo, cluster: cluster1, address: 127.0.0.1, port: {port}, locality: {locality}, labels: {{ app: web }}, health: {health} }}\n"
        )
    };
    let mut workloads = String::new();
    for (i, &port) in a.iter().enumerate() {
        let health = if i == 2 { "UNHEALTHY" } else { "HEALTHY" };
        workloads.push_str(&workload(port, "region1/zone-a", health));
    }
    for &port in b {
        workloads.push_str(&workload(port, "region1/zone-b", "HEALTHY"));
    }
    for &port in c {
        workloads.push_str(&workload(port, "region2/zone-c", "HEALTHY"));
    }
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/proxy.yaml"
    ))
    .expect("examples/proxy.yaml");
    let start = example.find("workloads:\n").expect("workloads");
    let end = example.find("config:\n").expect("config");
    format!(
        "{}workloads:\n{workloads}{}",
        &example[..start],
        &example[end..]
    )
}

fn write_input(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("meshlb-proxy-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write input");
    path
}

async fn get(client: &HttpClient, url: &str) -> (u16, Option<String>, Bytes) {
    let response = client
        .get(url.parse().expect("url"))
        .await
        .expect("the proxy answers");
    let status = response.status().as_u16();
    let upstream = response
        .headers()
        .get("x-meshlb-upstream")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, upstream, body)
}

/// The explained share of each `address:port`, and each one's health.
async fn explained(client: &HttpClient, proxy: &Proxy) -> BTreeMap<String, (f64, String)> {
    let (status, _, body) = get(client, &format!("http://{}/meshlb/explain", proxy.address)).await;
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_slice(&body).expect("explanation JSON");
    json["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .map(|e| {
            (
                format!("127.0.0.1:{}", e["port"]),
                (
                    e["share"].as_f64().expect("share"),
                    e["health"].as_str().expect("health").to_owned(),
                ),
            )
        })
        .collect()
}

/// `n` requests through the proxy, `concurrency` at a time: the count per upstream, and the
/// requests that got no upstream answer.
async fn send(
    client: &HttpClient,
    proxy: &Proxy,
    n: usize,
    concurrency: usize,
) -> (BTreeMap<String, usize>, usize) {
    let url = format!("http://{}/", proxy.address);
    let mut tasks = tokio::task::JoinSet::new();
    for t in 0..concurrency {
        let client = client.clone();
        let url = url.clone();
        let mine = n / concurrency + usize::from(t < n % concurrency);
        tasks.spawn(async move {
            let mut counts = BTreeMap::new();
            let mut failed = 0;
            for _ in 0..mine {
                match get(&client, &url).await {
                    (200, Some(upstream), _) => *counts.entry(upstream).or_insert(0) += 1,
                    _ => failed += 1,
                }
            }
            (counts, failed)
        });
    }
    let mut counts = BTreeMap::new();
    let mut failed = 0;
    while let Some(done) = tasks.join_next().await {
        let (mine, f) = done.expect("client task");
        for (k, v) in mine {
            *counts.entry(k).or_insert(0) += v;
        }
        failed += f;
    }
    (counts, failed)
}

/// Every endpoint's count within 3σ of its explained share; none where the share is 0.
fn assert_shares(counts: &BTreeMap<String, usize>, shares: &BTreeMap<String, (f64, String)>) {
    let n: usize = counts.values().sum();
    eprintln!("observed of {n}: {counts:?}; explained: {shares:?}");
    for (endpoint, &(p, _)) in shares {
        let got = counts.get(endpoint).copied().unwrap_or(0) as f64;
        let expected = n as f64 * p;
        let sigma = (n as f64 * p * (1.0 - p)).sqrt();
        assert!(
            (got - expected).abs() <= 3.0 * sigma,
            "{endpoint}: {got} of {n}, explained share {p} (expected {expected:.1} ± {:.1})",
            3.0 * sigma
        );
    }
    for endpoint in counts.keys() {
        assert!(
            shares.contains_key(endpoint),
            "{endpoint} is not in the explanation"
        );
    }
}

/// Polls the explanation until `done` holds (bounded).
async fn wait_for(
    client: &HttpClient,
    proxy: &Proxy,
    what: &str,
    done: impl Fn(&BTreeMap<String, (f64, String)>) -> bool,
) -> BTreeMap<String, (f64, String)> {
    let start = Instant::now();
    loop {
        let shares = explained(client, proxy).await;
        if done(&shares) {
            return shares;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{what}: not seen within 10 s: {shares:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn zone_share(shares: &BTreeMap<String, (f64, String)>, ports: &[u16]) -> f64 {
    ports
        .iter()
        .map(|p| shares[&format!("127.0.0.1:{p}")].0)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shares_failover_and_recovery_follow_the_explanation() {
    let mut a = Zone::start(3).await;
    let b = Zone::start(2).await;
    let c = Zone::start(2).await;
    let input = write_input("three-zones.yaml", &scenario(&a.ports, &b.ports, &c.ports));
    let proxy = start_proxy(&input, &[]);
    let client = client();

    // 1. All servers up. By hand (examples/proxy.yaml): P0 zone-a 93 % over its 2 ready pods,
    //    P1 zone-b 7 %, zone-c 0.
    let shares = explained(&client, &proxy).await;
    // The proxy's explanation is `meshlb explain`'s for the same input.
    let text = std::fs::read_to_string(&input).expect("input");
    let cli = meshlb_formats::load("input", &text, &meshlb_formats::Options::default())
        .expect("meshlb reads the input")
        .explain();
    for e in &cli.endpoints {
        let (share, health) = &shares[&format!("127.0.0.1:{}", e.port)];
        assert_eq!(
            (*share, health.as_str()),
            (e.share, e.health.as_str()),
            "{e:?}"
        );
    }
    assert!(
        (zone_share(&shares, &a.ports) - 0.93).abs() < 1e-9,
        "{shares:?}"
    );
    assert!(
        (zone_share(&shares, &b.ports) - 0.07).abs() < 1e-9,
        "{shares:?}"
    );
    assert_eq!(zone_share(&shares, &c.ports), 0.0);
    let (counts, failed) = send(&client, &proxy, 10_000, 16).await;
    assert_eq!(failed, 0);
    assert_shares(&counts, &shares);

    // 2. zone-a stops: its pods fail their health checks, P0's health is 0 and P1 (zone-b,
    //    the same region) takes everything.
    a.stop();
    // Before the health checks notice (2 failures 100 ms apart), requests to zone-a's pods fail
    // to connect and are retried on the next endpoints in failover order (zone-a's other pod,
    // then zone-b): none is lost.
    let (_, failed) = send(&client, &proxy, 200, 8).await;
    eprintln!("requests lost while zone-a's failure was undetected: {failed} of 200");
    assert_eq!(
        failed, 0,
        "connection failures are retried in failover order"
    );
    let shares = wait_for(&client, &proxy, "zone-a failed", |s| {
        a.ports[..2]
            .iter()
            .all(|p| s[&format!("127.0.0.1:{p}")].1 == "UNHEALTHY")
    })
    .await;
    assert!(
        (zone_share(&shares, &b.ports) - 1.0).abs() < 1e-9,
        "{shares:?}"
    );
    let (counts, failed) = send(&client, &proxy, 2_000, 8).await;
    assert_eq!(failed, 0, "after failover every request is served");
    assert_shares(&counts, &shares);
    assert!(
        b.ports
            .iter()
            .all(|p| counts[&format!("127.0.0.1:{p}")] > 0)
    );

    // 3. zone-a comes back (healthy_threshold 2 successes): shares return to the start.
    a.restart().await;
    let shares = wait_for(&client, &proxy, "zone-a back", |s| {
        (zone_share(s, &a.ports) - 0.93).abs() < 1e-9
    })
    .await;
    let (counts, failed) = send(&client, &proxy, 4_000, 8).await;
    assert_eq!(failed, 0);
    assert_shares(&counts, &shares);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_apply_at_run_time() {
    let a = Zone::start(3).await;
    let b = Zone::start(2).await;
    let c = Zone::start(2).await;
    let input = write_input("updates.yaml", &scenario(&a.ports, &b.ports, &c.ports));
    let proxy = start_proxy(&input, &["--no-health-checks"]);
    let client = client();
    // Mark zone-b UNHEALTHY and weight zone-a's first pod 3: P0 keeps 93 %, split 3 : 1, and
    // the 7 % spill goes past zone-b to P2 (zone-c).
    let doc = serde_json::json!({ "updates": [
        { "locality": "region1/zone-b", "health": "UNHEALTHY" },
        { "endpoint": format!("127.0.0.1:{}", a.ports[0]), "weight": 3 },
    ]});
    let response = client
        .request(
            hyper::Request::post(format!("http://{}/meshlb/update", proxy.address))
                .header("x-meshlb-update", doc.to_string())
                .body(Empty::new())
                .expect("request"),
        )
        .await
        .expect("update answered");
    assert_eq!(response.status(), 200);
    let shares = explained(&client, &proxy).await;
    let share = |port: u16| shares[&format!("127.0.0.1:{port}")].0;
    // ROUND_ROBIN with weights 3 and 1: EDF, 3/4 and 1/4 of P0's 93 %.
    assert!((share(a.ports[0]) - 0.93 * 0.75).abs() < 1e-9, "{shares:?}");
    assert!((share(a.ports[1]) - 0.93 * 0.25).abs() < 1e-9, "{shares:?}");
    assert_eq!(zone_share(&shares, &b.ports), 0.0);
    assert!(
        (zone_share(&shares, &c.ports) - 0.07).abs() < 1e-9,
        "{shares:?}"
    );
    let (counts, failed) = send(&client, &proxy, 4_000, 8).await;
    assert_eq!(failed, 0);
    assert_shares(&counts, &shares);
    // A bad document is refused whole.
    let (status, _, _) = {
        let response = client
            .request(
                hyper::Request::post(format!("http://{}/meshlb/update", proxy.address))
                    .header(
                        "x-meshlb-update",
                        r#"{"updates":[{"locality":"region1","weight":0}]}"#,
                    )
                    .body(Empty::new())
                    .expect("request"),
            )
            .await
            .expect("answered");
        (response.status().as_u16(), (), ())
    };
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn least_request_sends_a_slow_upstream_fewer_requests() {
    // Three endpoints in one locality, equal weights, LEAST_REQUEST (P2C); one answers after
    // 40 ms, the others at once. Explained: 1/3 each (the plan knows no latency); observed: the
    // slow one holds its requests longer, so the power of two choices avoids it.
    let mut ports = Vec::new();
    let mut servers = Vec::new();
    for i in 0..3 {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        ports.push(listener.local_addr().expect("address").port());
        let delay = if i == 0 { 40 } else { 0 };
        servers.push(tokio::spawn(meshlb_proxy::upstream::serve(
            listener,
            Duration::from_millis(delay),
        )));
    }
    let endpoint = |port: u16| {
        serde_json::json!({ "endpoint": { "address": { "socket_address": {
            "address": "127.0.0.1", "port_value": port } } } })
    };
    let cluster = serde_json::json!({
        "name": "slow",
        "type": "STATIC",
        "lb_policy": "LEAST_REQUEST",
        "load_assignment": {
            "cluster_name": "slow",
            "endpoints": [{
                "locality": { "region": "r", "zone": "z" },
                "lb_endpoints": ports.iter().map(|&p| endpoint(p)).collect::<Vec<_>>()
            }]
        }
    });
    let input = write_input("least-request.json", &cluster.to_string());
    let proxy = start_proxy(&input, &[]);
    let client = client();
    let shares = explained(&client, &proxy).await;
    let n = 2_000usize;
    let (counts, failed) = send(&client, &proxy, n, 16).await;
    assert_eq!(failed, 0);
    let slow = counts
        .get(&format!("127.0.0.1:{}", ports[0]))
        .copied()
        .unwrap_or(0) as f64;
    let p = shares[&format!("127.0.0.1:{}", ports[0])].0;
    eprintln!(
        "least request, 40 ms upstream 127.0.0.1:{}: {counts:?}",
        ports[0]
    );
    assert!((p - 1.0 / 3.0).abs() < 1e-9, "explained 1/3: {shares:?}");
    // Below its explained share by more than 3σ: not chance.
    let sigma = (n as f64 * p * (1.0 - p)).sqrt();
    assert!(
        slow < n as f64 * p - 3.0 * sigma,
        "the slow upstream got {slow} of {n} (explained {:.0} ± {:.0}): {counts:?}",
        n as f64 * p,
        3.0 * sigma
    );
    for server in servers {
        server.abort();
    }
}
