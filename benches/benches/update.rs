//! Update: one incremental health flip, [`Plan::set_health`], per iteration.
//!
//! Each iteration flips the same host (the first endpoint of priority 0's first locality) from
//! HEALTHY to UNHEALTHY or back, so consecutive iterations alternate and the plan returns to its
//! starting state every two.
//!
//! Dimensions swept:
//! - endpoint count: 1k, 10k (the target: a ROUND_ROBIN flip under 2 µs) and 100k;
//! - topology and health mix: `zoned` only (3 priorities × 50 localities, locality weights set,
//!   priority 0 at 60 % healthy; see `meshlb_benches::zoned`);
//! - policy: ROUND_ROBIN (counts, loads, panic and priority 0's locality weights), and MAGLEV and
//!   RING_HASH, which also rebuild priority 0's table;
//! - what follows the flip: `round_robin` is the flip alone; `round_robin_then_pick` is the flip
//!   plus the next pick of a worker's [`Picker`], which resynchronises its host lists and locality
//!   schedulers with the changed plan (the cost a worker pays on its first request after an
//!   update).
//!
//! Group `update/flip_then_pick/flat` (1 priority × 1 locality, all healthy): the flip and the
//! next pick, meshlb beside pingora's round robin (`set_enable`, then `select`).
//!
//! Groups: `update/set_health/zoned` (the ROUND_ROBIN flip alone, nanoseconds) and
//! `update/set_health_rebuild/zoned` (flips that rebuild something: the picker's lists after a
//! ROUND_ROBIN flip, the hash policies' tables; microseconds to milliseconds, flat sampling).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, measurement::WallTime};
use meshlb::{HealthStatus, LbPolicy, Picker, Plan, Request, SeededRng};
use meshlb_benches::{SEED, Weights, build_plan, config, flat, flip_target, zoned};

use crate::peers;

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];

/// Registers the `update/*` groups.
pub(crate) fn register(c: &mut Criterion) {
    let mut group = c.benchmark_group("update/set_health/zoned");
    for n in SIZES {
        flip(&mut group, "round_robin", LbPolicy::RoundRobin, n, false);
    }
    group.finish();

    let mut group = c.benchmark_group("update/set_health_rebuild/zoned");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500));
    for n in SIZES {
        flip(
            &mut group,
            "round_robin_then_pick",
            LbPolicy::RoundRobin,
            n,
            true,
        );
        flip(&mut group, "maglev", LbPolicy::Maglev, n, false);
        flip(&mut group, "ring_hash", LbPolicy::RingHash, n, false);
    }
    group.finish();

    peer_flips(c);
}

/// `update/flip_then_pick/flat`: one health flip then one pick, meshlb (ROUND_ROBIN:
/// `set_health`, then the picker resynchronises on its pick) beside pingora's round robin
/// (`Backends::set_enable`, then `select`, which skips the disabled backend).
fn peer_flips(c: &mut Criterion) {
    use pingora_load_balancing::selection::RoundRobin;
    let mut group = c.benchmark_group("update/flip_then_pick/flat");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500));
    for n in SIZES {
        let assignment = flat(n, Weights::Equal);
        let mut plan = build_plan(&assignment, &config(LbPolicy::RoundRobin, false));
        let host = flip_target(&assignment, &plan);
        let mut rng = SeededRng::new(SEED);
        let mut picker = Picker::new(&plan, &mut rng);
        let mut down = false;
        group.bench_with_input(BenchmarkId::new("meshlb", n), &n, |b, _| {
            b.iter(|| {
                down = !down;
                let health = if down {
                    HealthStatus::Unhealthy
                } else {
                    HealthStatus::Healthy
                };
                plan.set_health(black_box(host), health);
                black_box(picker.pick(&plan, &mut rng, Request::default()))
            });
        });
        if n > crate::pick::PINGORA_MAX_WEIGHTED {
            continue;
        }
        let endpoints = peers::endpoints(&assignment);
        let lb = peers::pingora::<RoundRobin>(&endpoints);
        let backend = lb.backends().get_backend().iter().next().cloned();
        if let Some(backend) = backend {
            let mut down = false;
            group.bench_with_input(BenchmarkId::new("pingora", n), &n, |b, _| {
                b.iter(|| {
                    down = !down;
                    lb.backends().set_enable(&backend, !down);
                    black_box(lb.select(b"", 256))
                });
            });
        }
    }
    group.finish();
}

fn flip(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    policy: LbPolicy,
    n: usize,
    then_pick: bool,
) {
    let assignment = zoned(n, Weights::Equal);
    let mut plan: Plan = build_plan(&assignment, &config(policy, true));
    let host = flip_target(&assignment, &plan);
    let mut rng = SeededRng::new(SEED);
    let mut picker = Picker::new(&plan, &mut rng);
    let mut down = false;
    group.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
        b.iter(|| {
            down = !down;
            let health = if down {
                HealthStatus::Unhealthy
            } else {
                HealthStatus::Healthy
            };
            plan.set_health(black_box(host), health);
            if then_pick {
                black_box(picker.pick(&plan, &mut rng, Request::default()));
            }
        });
    });
}
