//! The mesh-wide report (`meshlb report`, issue 13): every client location × host, and every
//! single zone, region, cluster, network and control-plane failure, on the generated mesh of
//! [`meshlb_benches::mesh_yaml`].
//!
//! - `report/reuse/50-clusters-20k-workloads-200-locations`: the target (under 10 s on
//!   a 2-core machine): 50 clusters, 20,000 workloads, 200 client locations, 81 failures,
//!   `Report::build` (discovery once per pair, failures re-planned from it);
//! - `report/{reuse,naive}/10-clusters-2k-workloads-40-locations`: the same generator scaled
//!   down, with `Report::build_naive` (every pair re-explained from scratch for every failure)
//!   beside it.
//!
//! The naive report of the full mesh takes minutes, too long for criterion's ten samples; one
//! timed run of both, checked equal, is
//! `cargo run --release -p meshlb-benches --bin report-timing -- --naive`. Samples are few and
//! the measurement time short: one full report is seconds.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use meshlb::mesh::Report;

/// Registers the `report` group.
pub(crate) fn register(c: &mut Criterion) {
    let mut group = c.benchmark_group("report");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(20));
    let small = meshlb_benches::mesh(10, 2_000, true);
    let name = "10-clusters-2k-workloads-40-locations";
    group.bench_with_input(BenchmarkId::new("reuse", name), &small, |b, s| {
        b.iter(|| black_box(Report::build(s).map(|r| r.explained)));
    });
    group.bench_with_input(BenchmarkId::new("naive", name), &small, |b, s| {
        b.iter(|| black_box(Report::build_naive(s).map(|r| r.explained)));
    });
    let full = meshlb_benches::mesh(50, 20_000, true);
    let name = "50-clusters-20k-workloads-200-locations";
    group.bench_with_input(BenchmarkId::new("reuse", name), &full, |b, s| {
        b.iter(|| black_box(Report::build(s).map(|r| r.explained)));
    });
    group.finish();
}
