//! Plan: building a [`Plan`] from a load assignment, and a worker's [`Picker`] over it.
//!
//! Dimensions swept:
//! - endpoint count: 1k, 10k (the target: under 1 ms) and 100k;
//! - topology and health mix: `zoned` only (3 priorities × 50 localities, locality weights set,
//!   priority 0 at 60 % healthy; see `meshlb_benches::zoned`), ROUND_ROBIN with equal weights
//!   (no hash table: `table.rs` measures those).
//!
//! Group `plan/build/zoned`: `build` is [`Plan::build`] (validation, host copies, the
//! `address:port` index, loads, panic, locality weights); `picker_new` is [`Picker::new`] on the
//! built plan (host lists and EDF locality schedulers per priority).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode};
use meshlb::{LbPolicy, Picker, Plan, SeededRng};
use meshlb_benches::{SEED, Weights, build_plan, config, zoned};

/// Registers the `plan/build/zoned` group.
pub(crate) fn register(c: &mut Criterion) {
    let mut group = c.benchmark_group("plan/build/zoned");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500));
    let lb = config(LbPolicy::RoundRobin, true);
    for n in [1_000, 10_000, 100_000] {
        let assignment = zoned(n, Weights::Equal);
        group.bench_with_input(
            BenchmarkId::new("build", n),
            &assignment,
            |b, assignment| {
                b.iter(|| black_box(Plan::build(black_box(assignment), &lb)));
            },
        );
        let plan = build_plan(&assignment, &lb);
        group.bench_with_input(BenchmarkId::new("picker_new", n), &plan, |b, plan| {
            let mut rng = SeededRng::new(SEED);
            b.iter(|| black_box(Picker::new(plan, &mut rng)));
        });
    }
    group.finish();
}
