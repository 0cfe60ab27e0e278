//! meshlb-tower's balancer over a discovery channel and in-memory endpoint services.
//! Expected shares are derived by hand from Envoy's rules (overprovisioning factor 140 %).

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use meshlb::{HealthStatus, LbConfig, LbPolicy, Locality};
use meshlb_tower::{Balance, BoxError, Endpoint};
use tokio::sync::mpsc;
use tower::discover::Change;
use tower_service::Service;

/// An endpoint service answering its name; its readiness fails while `broken` is set.
#[derive(Clone)]
struct Named {
    name: &'static str,
    broken: Arc<AtomicBool>,
}

impl Service<u64> for Named {
    type Response = &'static str;
    type Error = BoxError;
    type Future = std::future::Ready<Result<&'static str, BoxError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        if self.broken.load(Ordering::Relaxed) {
            Poll::Ready(Err("connection refused".into()))
        } else {
            Poll::Ready(Ok(()))
        }
    }

    fn call(&mut self, _: u64) -> Self::Future {
        std::future::ready(Ok(self.name))
    }
}

type Changes = Result<Change<&'static str, Endpoint<Named>>, std::convert::Infallible>;

/// A discovery stream fed by a channel (of changes, or of changes and errors).
struct Discovery<T>(mpsc::UnboundedReceiver<T>);

impl<T> futures_core::Stream for Discovery<T> {
    type Item = T;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.0.poll_recv(cx)
    }
}

fn endpoint(
    name: &'static str,
    zone: &str,
    priority: u32,
    health: HealthStatus,
) -> (Endpoint<Named>, Arc<AtomicBool>) {
    let broken = Arc::new(AtomicBool::new(false));
    (
        Endpoint {
            service: Named {
                name,
                broken: Arc::clone(&broken),
            },
            locality: Locality::new("r", zone, ""),
            priority,
            weight: 1,
            health,
        },
        broken,
    )
}

type Balancer = Balance<Discovery<Changes>, Named, fn(&u64) -> Option<u64>>;

fn balancer(policy: LbPolicy, hashed: bool) -> (Balancer, mpsc::UnboundedSender<Changes>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let config = LbConfig {
        policy,
        ..LbConfig::default()
    };
    // Envoy hashes the request's key (xxHash64 of a header value, say): `meshlb::hash_key`.
    let hash: fn(&u64) -> Option<u64> = if hashed {
        |r| Some(meshlb::hash_key(&r.to_le_bytes()))
    } else {
        |_| None
    };
    (Balance::new(Discovery(rx), config, hash, 7), tx)
}

async fn ready(balance: &mut Balancer) {
    std::future::poll_fn(|cx| Service::<u64>::poll_ready(balance, cx))
        .await
        .expect("ready");
}

async fn send(balance: &mut Balancer, n: u64) -> BTreeMap<&'static str, u64> {
    let mut counts = BTreeMap::new();
    for i in 0..n {
        ready(balance).await;
        let name = balance.call(i).await.expect("answered");
        *counts.entry(name).or_insert(0) += 1;
    }
    counts
}

/// Within 3σ of the binomial: |count − n·p| ≤ 3·sqrt(n·p·(1−p)); exactly 0 when p is 0.
fn assert_share(counts: &BTreeMap<&str, u64>, name: &str, n: u64, p: f64) {
    let got = counts.get(name).copied().unwrap_or(0) as f64;
    let sigma = (n as f64 * p * (1.0 - p)).sqrt();
    assert!(
        (got - n as f64 * p).abs() <= 3.0 * sigma,
        "{name}: {got} of {n}, expected {:.0} ± {:.0} ({counts:?})",
        n as f64 * p,
        3.0 * sigma
    );
}

#[tokio::test]
async fn spill_over_follows_envoy_priority_maths() {
    let (mut balance, tx) = balancer(LbPolicy::RoundRobin, false);
    for (name, zone, priority, health) in [
        ("a0", "a", 0, HealthStatus::Healthy),
        ("a1", "a", 0, HealthStatus::Unhealthy),
        ("b0", "b", 1, HealthStatus::Healthy),
        ("b1", "b", 1, HealthStatus::Healthy),
    ] {
        tx.send(Ok(Change::Insert(
            name,
            endpoint(name, zone, priority, health).0,
        )))
        .expect("send");
    }
    // P0: 1 of 2 healthy, health min(100, 140 × 1/2) = 70: 70 % to a0, 30 % to P1 (15 % each).
    let n = 10_000;
    ready(&mut balance).await;
    let counts = send(&mut balance, n).await;
    assert_share(&counts, "a0", n, 0.70);
    assert_share(&counts, "b0", n, 0.15);
    assert_share(&counts, "b1", n, 0.15);
    assert_eq!(counts.get("a1"), None);
    let shares: BTreeMap<_, _> = balance.shares().into_iter().collect();
    assert_eq!(shares["a0"], 0.70);
}

#[tokio::test]
async fn readiness_failures_fail_over_and_back() {
    let (mut balance, tx) = balancer(LbPolicy::RoundRobin, false);
    let (a0, a0_broken) = endpoint("a0", "a", 0, HealthStatus::Healthy);
    tx.send(Ok(Change::Insert("a0", a0))).expect("send");
    tx.send(Ok(Change::Insert(
        "b0",
        endpoint("b0", "b", 1, HealthStatus::Healthy).0,
    )))
    .expect("send");
    let counts = send(&mut balance, 100).await;
    assert_eq!(counts.get("a0"), Some(&100), "P0 healthy: all to a0");
    let replans = balance.replans();
    // a0's readiness fails: UNHEALTHY, P0 health 0, P1 takes everything (one re-plan).
    a0_broken.store(true, Ordering::Relaxed);
    let counts = send(&mut balance, 100).await;
    assert_eq!(counts.get("b0"), Some(&100));
    assert_eq!(balance.replans(), replans + 1);
    // Ready again: back to its discovered health.
    a0_broken.store(false, Ordering::Relaxed);
    let counts = send(&mut balance, 100).await;
    assert_eq!(counts.get("a0"), Some(&100));
    assert_eq!(balance.replans(), replans + 2);
}

#[tokio::test]
async fn a_discovery_batch_is_one_replan() {
    let (mut balance, tx) = balancer(LbPolicy::RoundRobin, false);
    tx.send(Ok(Change::Insert(
        "a0",
        endpoint("a0", "a", 0, HealthStatus::Healthy).0,
    )))
    .expect("send");
    tx.send(Ok(Change::Insert(
        "b0",
        endpoint("b0", "b", 1, HealthStatus::Healthy).0,
    )))
    .expect("send");
    ready(&mut balance).await;
    assert_eq!(
        balance.replans(),
        0,
        "the first plan is built, not re-planned"
    );
    // Zone a loses a0 and gains a1 and a2, in one batch.
    tx.send(Ok(Change::Remove("a0"))).expect("send");
    tx.send(Ok(Change::Insert(
        "a1",
        endpoint("a1", "a", 0, HealthStatus::Healthy).0,
    )))
    .expect("send");
    tx.send(Ok(Change::Insert(
        "a2",
        endpoint("a2", "a", 0, HealthStatus::Healthy).0,
    )))
    .expect("send");
    let counts = send(&mut balance, 100).await;
    assert_eq!(balance.replans(), 1);
    // Round robin over a1 and a2: 50 each, exactly.
    assert_eq!((counts.get("a1"), counts.get("a2")), (Some(&50), Some(&50)));
}

#[tokio::test]
async fn least_request_sees_requests_in_flight() {
    let (mut balance, tx) = balancer(LbPolicy::LeastRequest, false);
    tx.send(Ok(Change::Insert(
        "a0",
        endpoint("a0", "a", 0, HealthStatus::Healthy).0,
    )))
    .expect("send");
    tx.send(Ok(Change::Insert(
        "a1",
        endpoint("a1", "a", 0, HealthStatus::Healthy).0,
    )))
    .expect("send");
    ready(&mut balance).await;
    // Hold one request's response future: its endpoint has 1 active request, the other 0.
    let held = balance.call(0);
    let n = 1_000;
    let mut counts = BTreeMap::new();
    let mut busy = None;
    for i in 0..n {
        ready(&mut balance).await;
        let name = balance.call(i).await.expect("answered");
        *counts.entry(name).or_insert(0_u64) += 1;
        busy.get_or_insert(name);
    }
    let first = held.await.expect("answered");
    // P2C with 2 choices picks the busy endpoint only when both draws land on it: far below
    // half (3σ of the binomial at p = 1/2).
    let got = counts.get(first).copied().unwrap_or(0) as f64;
    assert!(
        got < 500.0 - 3.0 * (250.0_f64).sqrt(),
        "{first}: {got} of {n} ({counts:?})"
    );
}

#[tokio::test]
async fn ring_hash_keys_come_from_the_request() {
    let (mut balance, tx) = balancer(LbPolicy::RingHash, true);
    for name in ["a0", "a1", "a2"] {
        tx.send(Ok(Change::Insert(
            name,
            endpoint(name, "a", 0, HealthStatus::Healthy).0,
        )))
        .expect("send");
    }
    let mut first = BTreeMap::new();
    for key in 0..50_u64 {
        ready(&mut balance).await;
        first.insert(key, balance.call(key * 7919).await.expect("answered"));
    }
    for key in 0..50_u64 {
        ready(&mut balance).await;
        assert_eq!(
            balance.call(key * 7919).await.expect("answered"),
            first[&key]
        );
    }
    assert!(
        first
            .values()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            > 1
    );
}

/// An endpoint that serves one request at a time, as tower's `ConcurrencyLimit` of 1 does:
/// `poll_ready` takes the endpoint's one permit (shared by every clone) and keeps it until
/// that instance's `call`; a clone without it is not ready while another holds it.
struct OneAtATime {
    free: Arc<AtomicBool>,
    held: bool,
}

impl Clone for OneAtATime {
    fn clone(&self) -> Self {
        // A clone does not hold its original's permit.
        Self {
            free: Arc::clone(&self.free),
            held: false,
        }
    }
}

impl Service<u64> for OneAtATime {
    type Response = u64;
    type Error = BoxError;
    type Future = std::future::Ready<Result<u64, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        if self.held || self.free.swap(false, Ordering::AcqRel) {
            self.held = true;
            Poll::Ready(Ok(()))
        } else {
            // Woken again and again until the permit is back (a real limit would register
            // the waker with its semaphore).
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    fn call(&mut self, request: u64) -> Self::Future {
        assert!(self.held, "called before ready");
        self.held = false;
        self.free.store(true, Ordering::Release);
        std::future::ready(Ok(request))
    }
}

type OneChanges = Result<Change<&'static str, Endpoint<OneAtATime>>, std::convert::Infallible>;

#[tokio::test]
async fn the_instance_made_ready_serves_the_request() {
    let (tx, rx) = mpsc::unbounded_channel::<OneChanges>();
    let service = OneAtATime {
        free: Arc::new(AtomicBool::new(true)),
        held: false,
    };
    let endpoint = Endpoint {
        service,
        locality: Locality::new("r", "a", ""),
        priority: 0,
        weight: 1,
        health: HealthStatus::Healthy,
    };
    tx.send(Ok(Change::Insert("a", endpoint))).expect("send");
    let mut balance = Balance::new(Discovery(rx), LbConfig::default(), |_: &u64| None, 7);
    // Each round: the balancer's poll of the endpoint takes its permit; the request must be
    // served by the instance holding it (a clone would wait for it forever).
    for i in 0..3 {
        std::future::poll_fn(|cx| Service::<u64>::poll_ready(&mut balance, cx))
            .await
            .expect("ready");
        let call = balance.call(i);
        let answer = tokio::time::timeout(std::time::Duration::from_secs(5), call).await;
        assert_eq!(answer.expect("answered in time").expect("answered"), i);
    }
}

/// Polls the balancer ready once (whatever it answers).
async fn poll_once(balance: &mut Balancer) -> Result<(), String> {
    std::future::poll_fn(|cx| Service::<u64>::poll_ready(balance, cx))
        .await
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn an_endpoint_meshlb_refuses_is_left_out_and_the_batch_applies() {
    let (mut balance, tx) = balancer(LbPolicy::RoundRobin, false);
    for (name, zone) in [("a", "za"), ("b", "zb")] {
        let (e, _) = endpoint(name, zone, 0, HealthStatus::Healthy);
        tx.send(Ok(Change::Insert(name, e))).expect("send");
    }
    ready(&mut balance).await;
    // One batch: `a` goes, `bad` comes at priority 200 (Envoy's priorities stop at 128).
    tx.send(Ok(Change::Remove("a"))).expect("send");
    let (bad, _) = endpoint("bad", "zc", 200, HealthStatus::Healthy);
    tx.send(Ok(Change::Insert("bad", bad))).expect("send");
    let error = poll_once(&mut balance)
        .await
        .expect_err("the refusal is reported");
    assert!(error.contains("priority"), "{error}");
    // The rest of the batch applied: only `b` is left, and it takes every request.
    let counts = send(&mut balance, 20).await;
    assert_eq!(counts, BTreeMap::from([("b", 20)]));
    assert_eq!(balance.shares(), [("b", 1.0)]);
}

#[tokio::test]
async fn the_first_plan_holds_every_live_endpoint() {
    // Discovery updating an endpoint before the first poll: `k` inserted twice, in two zones.
    let (mut balance, tx) = balancer(LbPolicy::RoundRobin, false);
    let (old, _) = endpoint("k-old", "za", 0, HealthStatus::Healthy);
    tx.send(Ok(Change::Insert("k", old))).expect("send");
    let (new, _) = endpoint("k-new", "zb", 0, HealthStatus::Healthy);
    tx.send(Ok(Change::Insert("k", new))).expect("send");
    let (z, _) = endpoint("z", "zc", 0, HealthStatus::Healthy);
    tx.send(Ok(Change::Insert("z", z))).expect("send");
    ready(&mut balance).await;
    // Two endpoints of priority 0, equal weights, no locality weighting: half each.
    let counts = send(&mut balance, 20).await;
    assert_eq!(counts, BTreeMap::from([("k-new", 10), ("z", 10)]));
    // One refused endpoint in the first batch: reported, the others planned.
    let (mut balance, tx) = balancer(LbPolicy::RoundRobin, false);
    let (good, _) = endpoint("good", "za", 0, HealthStatus::Healthy);
    tx.send(Ok(Change::Insert("good", good))).expect("send");
    let (bad, _) = endpoint("bad", "zb", 200, HealthStatus::Healthy);
    tx.send(Ok(Change::Insert("bad", bad))).expect("send");
    assert!(poll_once(&mut balance).await.is_err());
    let counts = send(&mut balance, 5).await;
    assert_eq!(counts, BTreeMap::from([("good", 5)]));
}

type Fallible = Result<Change<&'static str, Endpoint<Named>>, String>;

#[tokio::test]
async fn a_discovery_error_keeps_the_changes_drained_before_it() {
    let (tx, rx) = mpsc::unbounded_channel::<Fallible>();
    let (a, _) = endpoint("a", "za", 0, HealthStatus::Healthy);
    tx.send(Ok(Change::Insert("a", a))).expect("send");
    tx.send(Err("watch restarted".to_owned())).expect("send");
    let mut balance = Balance::new(Discovery(rx), LbConfig::default(), |_: &u64| None, 7);
    let error = std::future::poll_fn(|cx| Service::<u64>::poll_ready(&mut balance, cx))
        .await
        .expect_err("the stream's error is reported");
    assert!(error.to_string().contains("watch restarted"), "{error}");
    // `a`, discovered before the error, is planned and serves (it was lost, and the balancer
    // pending for ever).
    let ready = std::future::poll_fn(|cx| Service::<u64>::poll_ready(&mut balance, cx));
    tokio::time::timeout(std::time::Duration::from_secs(5), ready)
        .await
        .expect("ready in time")
        .expect("ready");
    assert_eq!(balance.call(1).await.expect("answered"), "a");
}

#[tokio::test]
async fn an_endpoint_discovered_in_place_of_a_removed_one_starts_without_its_requests() {
    let (mut balance, tx) = balancer(LbPolicy::LeastRequest, false);
    tx.send(Ok(Change::Insert(
        "a",
        endpoint("a", "z", 0, HealthStatus::Healthy).0,
    )))
    .expect("send");
    ready(&mut balance).await;
    // Twenty requests held in flight on `a`, the only endpoint; then `c`, idle.
    let mut held = Vec::new();
    for i in 0..20 {
        ready(&mut balance).await;
        held.push(balance.call(i));
    }
    tx.send(Ok(Change::Insert(
        "c",
        endpoint("c", "z", 0, HealthStatus::Healthy).0,
    )))
    .expect("send");
    ready(&mut balance).await;
    // One batch: `a` goes, `b` comes (in the same locality and priority).
    tx.send(Ok(Change::Remove("a"))).expect("send");
    tx.send(Ok(Change::Insert(
        "b",
        endpoint("b", "z", 0, HealthStatus::Healthy).0,
    )))
    .expect("send");
    // `b` and `c` both idle: P2C of two sends each about half (3σ at p = 1/2), where `b`
    // taking over `a`'s requests in flight would get only the draws that land twice on it.
    let n = 400;
    let counts = send(&mut balance, n).await;
    assert_share(&counts, "b", n, 0.5);
    drop(held);
}
