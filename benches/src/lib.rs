//! Deterministic inputs for meshlb's criterion benchmarks (see `benches/main.rs`).
