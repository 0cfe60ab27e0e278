//! Bytes per endpoint, counted by a counting allocator (`stats_alloc`): meshlb's plans and
//! pickers beside pingora's balancers on the same endpoints.
//!
//! Each structure is built inside a measured region after its inputs exist, so only what it
//! keeps is counted: net bytes (allocated minus freed) while it is alive, divided by the
//! endpoint count. Sizes: 1k, 10k and 100k endpoints; topologies `flat` and `zoned` (see
//! `meshlb_benches`). Prints one line per measurement, tab-separated:
//! `memory <structure> <topology> <endpoints> <bytes> <bytes per endpoint>` (what
//! `cargo xtask bench-report` reads).
//!
//! Run: `cargo run --release -p meshlb-benches --example memory`.

use std::alloc::System;
use std::collections::BTreeSet;
use std::hint::black_box;

use meshlb::{LbPolicy, LoadAssignment, Picker, Plan, SeededRng};
use meshlb_benches::{SEED, Weights, build_plan, config, flat, zoned};
use pingora_load_balancing::selection::{BackendIter, BackendSelection};
use pingora_load_balancing::selection::{Consistent, RoundRobin};
use pingora_load_balancing::{Backend, Backends, LoadBalancer, discovery};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Net bytes `build` leaves allocated in what it returns (held until measured).
///
/// `stats_alloc` adds a `realloc`'s growth to `bytes_allocated` (and a shrink to
/// `bytes_deallocated`) as well as to `bytes_reallocated`, so allocated minus deallocated is
/// already the net; adding `bytes_reallocated` again counted every growth twice, including
/// that of buffers the build had freed.
fn kept<T>(build: impl FnOnce() -> T) -> (T, isize) {
    let region = Region::new(GLOBAL);
    let value = black_box(build());
    let stats = region.change();
    let net = stats.bytes_allocated as isize - stats.bytes_deallocated as isize;
    (value, net)
}

fn report(what: &str, topology: &str, n: usize, bytes: isize) {
    println!(
        "memory\t{what}\t{topology}\t{n}\t{bytes}\t{:.1}",
        bytes as f64 / n as f64
    );
}

fn endpoints(assignment: &LoadAssignment) -> Vec<(String, u32)> {
    assignment
        .localities
        .iter()
        .flat_map(|l| l.endpoints.iter())
        .map(|e| (format!("{}:{}", e.address, e.port), e.weight))
        .collect()
}

/// A pingora balancer over `endpoints`, built and updated (static discovery: ready at once).
fn pingora<S>(endpoints: &[(String, u32)]) -> LoadBalancer<S>
where
    S: BackendSelection + 'static,
    S::Iter: BackendIter,
{
    let backends: BTreeSet<Backend> = endpoints
        .iter()
        .filter_map(|(addr, weight)| Backend::new_with_weight(addr, *weight as usize).ok())
        .collect();
    let lb = LoadBalancer::<S>::from_backends(Backends::new(discovery::Static::new(backends)));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let _ = std::pin::pin!(lb.update()).as_mut().poll(&mut cx);
    lb
}

use std::future::Future;

fn main() {
    for n in [1_000, 10_000, 100_000] {
        for (topology, assignment) in [
            ("flat", flat(n, Weights::Equal)),
            ("zoned", zoned(n, Weights::Equal)),
        ] {
            let locality_weighted = topology == "zoned";
            for (name, policy) in [
                ("plan_round_robin", LbPolicy::RoundRobin),
                ("plan_ring_hash", LbPolicy::RingHash),
                ("plan_maglev", LbPolicy::Maglev),
            ] {
                let lb = config(policy, locality_weighted);
                let (plan, bytes) = kept(|| build_plan(&assignment, &lb));
                report(name, topology, n, bytes);
                if policy == LbPolicy::RoundRobin {
                    let (picker, bytes) = kept(|| Picker::new(&plan, &mut SeededRng::new(SEED)));
                    report("picker_round_robin", topology, n, bytes);
                    drop(picker);
                }
                drop(plan);
            }
            if topology == "flat" {
                let eps = endpoints(&assignment);
                // pingora's weighted selections hold at most 2^16 backends.
                if n <= 1 << 16 {
                    let (lb, bytes) = kept(|| pingora::<RoundRobin>(&eps));
                    report("pingora_round_robin", topology, n, bytes);
                    drop(lb);
                }
                let (lb, bytes) = kept(|| pingora::<Consistent>(&eps));
                report("pingora_consistent", topology, n, bytes);
                drop(lb);
                let plan = build_plan(&assignment, &config(LbPolicy::RoundRobin, false));
                let (_, bytes) = kept(|| Plan::build(&assignment, plan.config()));
                report("plan_round_robin_rebuilt", topology, n, bytes);
            }
            // One worker's picker under LEAST_REQUEST (Istio's default policy), and both
            // policies over weights 1–8, where the picker keeps EDFs over hosts.
            let locality_weighted = topology == "zoned";
            let weighted = if locality_weighted {
                zoned(n, Weights::Varied)
            } else {
                flat(n, Weights::Varied)
            };
            for (name, policy, assignment) in [
                ("picker_least_request", LbPolicy::LeastRequest, &assignment),
                (
                    "picker_round_robin_weighted",
                    LbPolicy::RoundRobin,
                    &weighted,
                ),
                (
                    "picker_least_request_weighted",
                    LbPolicy::LeastRequest,
                    &weighted,
                ),
            ] {
                let plan = build_plan(assignment, &config(policy, locality_weighted));
                let (picker, bytes) = kept(|| Picker::new(&plan, &mut SeededRng::new(SEED)));
                report(name, topology, n, bytes);
                drop(picker);
            }
        }
    }
}
