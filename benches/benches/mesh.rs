//! The mesh stage: a whole scenario explained (validation, discovery, locality, one plan per
//! destination, the explanation).
//!
//! Dimensions: the built-in default scenario (3 clusters, 7 workloads, from its YAML text
//! through `meshlb_formats::load`, and from the parsed scenario), and a generated mesh of
//! 50 clusters on 5 networks with 20,000 workloads in 5 regions × 4 zones, locality failover
//! on (target: under 20 ms for the explanation). The mesh-wide report is `report.rs`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};
use meshlb::mesh::{MeshPlan, Scenario};

const DEFAULT: &str = include_str!("../../examples/default.yaml");

/// 50 clusters (one primary watching the other 49), 5 networks with one east-west gateway
/// each, 400 workloads per cluster (20,000 in all) spread over 5 regions × 4 zones, every
/// tenth not ready; a DestinationRule with outlier detection and a region failover rule
/// ([`meshlb_benches::mesh_yaml`]).
fn big_mesh() -> Scenario {
    meshlb_benches::mesh(50, 20_000, false)
}

/// Registers the `mesh` group.
pub(crate) fn register(c: &mut Criterion) {
    let mut group = c.benchmark_group("mesh/explain");
    let options = meshlb_formats::Options::default();
    group.bench_function("default/from-yaml", |b| {
        b.iter(|| {
            let loaded =
                meshlb_formats::load("default", black_box(DEFAULT), &options).map(|l| l.explain());
            black_box(loaded.map(|e| e.endpoints.len()))
        });
    });
    let default = meshlb_formats::parse_scenario(DEFAULT)
        .map(|s| s.scenario)
        .ok();
    let big = big_mesh();
    for (name, scenario) in [
        ("default", default),
        ("50-clusters-20k-workloads", Some(big)),
    ] {
        let Some(scenario) = scenario else { continue };
        group.bench_with_input(BenchmarkId::new("scenario", name), &scenario, |b, s| {
            b.iter(|| black_box(MeshPlan::build(s).map(|p| p.explain().endpoints.len())));
        });
    }
    group.finish();
}
