//! The peers, built on the same inputs as meshlb: what a Rust proxy author would use instead.
//!
//! - `pingora-load-balancing` 0.9: `LoadBalancer<RoundRobin | Random | Consistent>` over the
//!   same `address:port` backends (weights too), picked with `select(key, 256)`;
//! - `pingora-ketama` 0.9: `Continuum::node_idx` (crc32 of the key, then its ring search);
//! - `tower` 0.5 `balance::p2c::Balance` over constant-load services (the same active counts
//!   meshlb's least-request picker sees), driven by `poll_ready` + `call` + one poll of the
//!   response with a no-op waker: no runtime in the loop;
//! - `maglev` 0.2: its table of the same size (65,537), looked up through a pass-through hasher
//!   (`lookup[hash % len]`, the bare table lookup);
//! - `hashring` 0.3: in `pick.rs`, over meshlb's own ring points.
//!
//! Every helper builds outside the timed loop; nothing here is timed by itself.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use meshlb::LoadAssignment;
use pingora_load_balancing::selection::{BackendIter, BackendSelection};
use pingora_load_balancing::{Backend, Backends, LoadBalancer, discovery};

/// `address:port` and weight of every endpoint of `assignment`, in input order.
pub(crate) fn endpoints(assignment: &LoadAssignment) -> Vec<(String, u32)> {
    assignment
        .localities
        .iter()
        .flat_map(|l| l.endpoints.iter())
        .map(|e| (format!("{}:{}", e.address, e.port), e.weight))
        .collect()
}

/// Polls `future` once with a no-op waker; the peers' futures here are ready at once.
pub(crate) fn ready<F: Future>(future: F) -> Option<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut cx) {
        Poll::Ready(value) => Some(value),
        Poll::Pending => None,
    }
}

/// A pingora `LoadBalancer<S>` over the endpoints (with their weights).
pub(crate) fn pingora<S>(endpoints: &[(String, u32)]) -> LoadBalancer<S>
where
    S: BackendSelection + 'static,
    S::Iter: BackendIter,
{
    let backends: BTreeSet<Backend> = endpoints
        .iter()
        .filter_map(|(addr, weight)| Backend::new_with_weight(addr, *weight as usize).ok())
        .collect();
    let lb = LoadBalancer::<S>::from_backends(Backends::new(discovery::Static::new(backends)));
    // Static discovery is ready at once; a failure leaves an empty balancer, which the
    // groups' answer checks would show.
    let _ = ready(lb.update());
    lb
}

/// pingora-ketama's continuum over the endpoints (with their weights).
pub(crate) fn ketama(endpoints: &[(String, u32)]) -> pingora_ketama::Continuum {
    let buckets: Vec<pingora_ketama::Bucket> = endpoints
        .iter()
        .filter_map(|(addr, weight)| {
            addr.parse()
                .ok()
                .map(|a| pingora_ketama::Bucket::new(a, *weight))
        })
        .collect();
    pingora_ketama::Continuum::new(&buckets)
}

/// A host behind tower's p2c: answers its own index at once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Host(pub(crate) u32);

impl tower::Service<()> for Host {
    type Response = u32;
    type Error = Infallible;
    type Future = std::future::Ready<Result<u32, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, (): ()) -> Self::Future {
        std::future::ready(Ok(self.0))
    }
}

/// tower's p2c balancer over `n` hosts, each with a constant load (`loads[i]`).
pub(crate) type P2c = tower::balance::p2c::Balance<
    tower::discover::ServiceList<Vec<tower::load::Constant<Host, u32>>>,
    (),
>;

/// tower's p2c balancer over hosts with `loads` as their constant loads, discovery drained.
pub(crate) fn p2c(loads: &[u32]) -> P2c {
    let services: Vec<_> = loads
        .iter()
        .enumerate()
        .map(|(i, &load)| tower::load::Constant::new(Host(i as u32), load))
        .collect();
    let mut balance = P2c::new(tower::discover::ServiceList::new(services));
    let _ = p2c_pick(&mut balance);
    balance
}

/// One p2c pick: `poll_ready` (discovery, then the two samples), `call`, and the response.
#[inline]
pub(crate) fn p2c_pick(balance: &mut P2c) -> Option<u32> {
    use tower::Service;
    let mut cx = Context::from_waker(Waker::noop());
    match balance.poll_ready(&mut cx) {
        Poll::Ready(Ok(())) => {}
        _ => return None,
    }
    match pin!(balance.call(())).poll(&mut cx) {
        Poll::Ready(Ok(host)) => Some(host),
        _ => None,
    }
}

/// The `maglev` crate's table over `n` hosts (their indices), `size` slots (a prime), with a
/// pass-through hasher so `get(&h)` is `lookup[h % size]`.
pub(crate) fn maglev(n: usize, size: usize) -> maglev::Maglev<u32, PassThrough> {
    maglev::Maglev::with_capacity_and_hasher(0..n as u32, size, PassThrough)
}

/// A hasher that returns the last `u64` written to it (`hashring`'s `get(&h)` and `maglev`'s
/// `get(&h)` then search for `h` itself).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PassThrough;

/// [`PassThrough`]'s state.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PassThroughHasher(u64);

impl BuildHasher for PassThrough {
    type Hasher = PassThroughHasher;
    fn build_hasher(&self) -> PassThroughHasher {
        PassThroughHasher(0)
    }
}

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}
