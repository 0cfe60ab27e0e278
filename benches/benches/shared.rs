//! Shared: picks from two threads against one [`Route`], each thread with its own [`Pickers`]
//! (the proxy's model: one plan published to the workers, a picker set per worker).
//!
//! Dimensions swept:
//! - threads: 1 and 2, over the same shared route (a `&Route` borrowed by scoped threads; the
//!   proxy adds one atomic `ArcSwap` load per request);
//! - policy: ROUND_ROBIN and LEAST_REQUEST (a pick and its finish);
//! - topology: `zoned` with 1k endpoints (3 priorities × 50 localities, locality-weighted, 16 %
//!   spill-over; see `meshlb_benches::zoned`), and the proxy's worked example
//!   (`examples/proxy.yaml`: a scenario's route, 7 endpoints in 3 priorities, 7 % spill-over),
//!   whose pick the README compares with a request's cost through `meshlb-proxy`.
//!
//! Each iteration is one pick; the time reported is wall time over all threads' picks, so with
//! two threads on two free cores it is about half a single thread's (the route is read-only:
//! nothing is shared but cache lines of the plan).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use meshlb::{LbPolicy, Pickers, Request, Route, SeededRng};
use meshlb_benches::{SEED, Weights, build_plan, config, zoned};

pub(crate) fn register(c: &mut Criterion) {
    for (name, policy) in [
        ("round_robin", LbPolicy::RoundRobin),
        ("least_request", LbPolicy::LeastRequest),
    ] {
        let plan = build_plan(&zoned(1_000, Weights::Equal), &config(policy, true));
        let route = Route::from_plan(plan);
        let mut group = c.benchmark_group(format!("shared/{name}/zoned-1k"));
        group.throughput(Throughput::Elements(1));
        for threads in [1_u64, 2] {
            group.bench_with_input(
                BenchmarkId::new("threads", threads),
                &threads,
                |b, &threads| b.iter_custom(|iters| picks(&route, threads, iters)),
            );
        }
        group.finish();
    }
    let example = include_str!("../../examples/proxy.yaml");
    let loaded = meshlb_formats::load("proxy.yaml", example, &meshlb_formats::Options::default());
    let Ok(meshlb_formats::Loaded {
        planned: meshlb_formats::Planned::Mesh(plan),
        scenario: Some(scenario),
        ..
    }) = loaded
    else {
        panic!("examples/proxy.yaml is a scenario meshlb plans: {loaded:?}");
    };
    {
        let route = Route::from_mesh_plan(*scenario, *plan);
        let mut group = c.benchmark_group("shared/round_robin/example-proxy");
        group.throughput(Throughput::Elements(1));
        for threads in [1_u64, 2] {
            group.bench_with_input(
                BenchmarkId::new("threads", threads),
                &threads,
                |b, &threads| b.iter_custom(|iters| picks(&route, threads, iters)),
            );
        }
        group.finish();
    }
}

/// `iters` picks (each finished) split over `threads` scoped threads: the wall time (a bench
/// measures time: the sans-IO rule is the core's).
#[allow(clippy::disallowed_methods)]
fn picks(route: &Route, threads: u64, iters: u64) -> Duration {
    let start = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let share = iters / threads + u64::from(t < iters % threads);
            scope.spawn(move || {
                let mut rng = SeededRng::new(SEED ^ t);
                let mut pickers = Pickers::new(route, &mut rng);
                for _ in 0..share {
                    if let Some(picked) = pickers.pick(route, &mut rng, Request::default()) {
                        pickers.finish(black_box(picked));
                    }
                }
            });
        }
    });
    start.elapsed()
}
