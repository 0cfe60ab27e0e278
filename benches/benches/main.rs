//! meshlb's criterion benchmarks: one harness, each module registers its groups.
//!
//! - `pick`: one pick per policy and topology, next to the seeded-RNG slice-index baseline
//!   (and, for ring hash, the `hashring` crate's lookup over the same ring);
//! - `plan`: `Plan::build` and `Picker::new` on the 3 × 50 topology;
//! - `update`: one health flip with `Plan::set_health`;
//! - `table`: ring-hash and Maglev table builds;
//! - `mesh`: a whole scenario explained (the default, and 50 clusters × 20,000 workloads);
//! - `report`: the mesh-wide report with its single-failure sweep (50 clusters, 20,000
//!   workloads, 200 client locations; and scaled down, beside the naive report);
//! - `kube`: 50 clusters' `kubectl` dumps (20,000 pods) imported and explained;
//! - `wasm_native`: the wasm package's pick, explain and simulate, natively (the Node side is
//!   `benches/wasm/ratio.mjs`).
//!
//! Pick, update and table groups carry the peers (`peers.rs`): pingora-load-balancing,
//! pingora-ketama, tower's p2c, the `maglev` crate and `hashring`.
//!
//! Inputs come from the `meshlb_benches` library and are deterministic; none is generated inside
//! a timed loop. Run with
//! `cargo bench -p meshlb-benches -- --warm-up-time 1 --measurement-time 2` (about 8 minutes on
//! two cores), or filter one group, e.g. `cargo bench -p meshlb-benches -- pick/maglev`.

use criterion::{criterion_group, criterion_main};

mod kube;
mod mesh;
mod peers;
mod pick;
mod plan;
mod report;
mod shared;
mod table;
mod update;
mod wasm_native;

criterion_group!(
    benches,
    pick::register,
    plan::register,
    update::register,
    table::register,
    mesh::register,
    report::register,
    kube::register,
    shared::register,
    wasm_native::register
);
criterion_main!(benches);
