//! The wasm package's calls, natively: the other half of the wasm-vs-native ratio that
//! `benches/wasm/ratio.mjs` measures under Node (`cargo xtask bench-report` puts them side by
//! side).
//!
//! Group `wasm_native/default`, on the built-in default scenario (`examples/default.yaml`):
//! - `pick`: `meshlb_wasm::Balancer::pick_key(None)`, the pick with an owned description of
//!   its endpoint (the strings copied), as the package's `Balancer.pick()` returns a new
//!   object (a copy of the endpoint's, made at its first pick) (seed 1, as the Node script's);
//! - `pick_index`: `meshlb_wasm::Balancer::pick_index_key(None)`, the Rust side of
//!   `Balancer.pickIndex()` (the same pick, its index only);
//! - `pick_index_keyed`: the same with a hash key, `user-0` to `user-1023` in turn (the
//!   scenario's ROUND_ROBIN picks as without one; the key is hashed all the same), the Rust
//!   side of `Balancer.pickIndex(key)` with a string or its bytes;
//! - `explain`: `meshlb_wasm::explain_text`, the Rust side of `explain(input)`;
//! - `simulate`: `meshlb_wasm::simulate_text` with 10,000 requests (seed 1).

use std::hint::black_box;

use criterion::Criterion;
use meshlb_formats::Options;

const SCENARIO: &str = include_str!("../../examples/default.yaml");

/// The hash keys `pick_index_keyed` takes in turn (as `benches/wasm/ratio.mjs`).
const KEYS: usize = 1024;

/// Registers the `wasm_native/default` group.
pub(crate) fn register(c: &mut Criterion) {
    let options = Options::default();
    let mut group = c.benchmark_group("wasm_native/default");
    if let Ok(mut balancer) = meshlb_wasm::Balancer::from_text(SCENARIO, &options, 1) {
        group.bench_function("pick", |b| b.iter(|| black_box(balancer.pick_key(None))));
    }
    if let Ok(mut balancer) = meshlb_wasm::Balancer::from_text(SCENARIO, &options, 1) {
        group.bench_function("pick_index", |b| {
            b.iter(|| black_box(balancer.pick_index_key(None)));
        });
    }
    if let Ok(mut balancer) = meshlb_wasm::Balancer::from_text(SCENARIO, &options, 1) {
        let keys: Vec<String> = (0..KEYS).map(|i| format!("user-{i}")).collect();
        let mut next = 0;
        group.bench_function("pick_index_keyed", |b| {
            b.iter(|| {
                next = (next + 1) % KEYS;
                let key = keys.get(next).map(String::as_bytes);
                black_box(balancer.pick_index_key(black_box(key)))
            });
        });
    }
    group.bench_function("explain", |b| {
        b.iter(|| black_box(meshlb_wasm::explain_text(black_box(SCENARIO), &options)));
    });
    group.bench_function("simulate", |b| {
        b.iter(|| black_box(meshlb_wasm::simulate_text(SCENARIO, &options, 10_000, 1)));
    });
    group.finish();
}
