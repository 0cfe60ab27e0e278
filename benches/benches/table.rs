//! Table: building the consistent-hash structures, through [`meshlb::Plan::build`].
//!
//! Dimensions swept:
//! - policy: RING_HASH (Envoy's default ring bounds, 1024 to 8M entries) and MAGLEV (the default
//!   65,537-slot table), with ROUND_ROBIN (no table) as the reference for the rest of the build;
//! - endpoint count: 100, 1k and 10k;
//! - topology and health mix: `flat` only (1 priority × 1 locality, all healthy, equal weights).
//!
//! Peers: `pingora_ketama` (its continuum) and `maglev_crate` (the `maglev` crate's table of
//! 65,537 slots, 100 endpoints only; see `peers.rs`), each building its table alone.
//!
//! Group `table/build/flat`: the table's own cost is a hash policy's time minus `round_robin`'s
//! at the same endpoint count.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode};
use meshlb::{LbPolicy, Plan};
use meshlb_benches::{Weights, config, flat};

/// Registers the `table/build/flat` group.
pub(crate) fn register(c: &mut Criterion) {
    let mut group = c.benchmark_group("table/build/flat");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500));
    for n in [100, 1_000, 10_000] {
        let assignment = flat(n, Weights::Equal);
        for (name, policy) in [
            ("ring_hash", LbPolicy::RingHash),
            ("maglev", LbPolicy::Maglev),
            ("round_robin", LbPolicy::RoundRobin),
        ] {
            let lb = config(policy, false);
            group.bench_with_input(BenchmarkId::new(name, n), &assignment, |b, assignment| {
                b.iter(|| black_box(Plan::build(black_box(assignment), &lb)));
            });
        }
        // Peers: pingora-ketama's continuum (160 points per weight unit) and the `maglev`
        // crate's table of the same 65,537 slots (it holds a whole permutation per host while
        // it builds, 512 KiB each: 100 hosts at most).
        let endpoints = crate::peers::endpoints(&assignment);
        group.bench_with_input(BenchmarkId::new("pingora_ketama", n), &n, |b, _| {
            b.iter(|| black_box(crate::peers::ketama(black_box(&endpoints))));
        });
        if n <= 100 {
            group.bench_with_input(BenchmarkId::new("maglev_crate", n), &n, |b, &n| {
                b.iter(|| {
                    black_box(maglev::Maglev::with_capacity(
                        black_box(0..n as u32),
                        65_537,
                    ))
                });
            });
        }
    }
    group.finish();
}
