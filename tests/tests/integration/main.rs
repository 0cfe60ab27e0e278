//! meshlb's integration, conformance and property tests, one module per subject, linked into
//! one test binary: eighteen binaries of their own each linked the whole CLI and formats
//! stack again, which cost CI minutes. `alloc_free` stays a binary of its own (its global
//! allocator counts every allocation of the process).
//!
//! Run one subject with a filter: `cargo test -p meshlb-tests --test integration properties::`.

mod bad_scenarios;
mod bench_inputs;
mod cli;
mod envoy_artefacts;
mod errors_catalogue;
mod examples;
mod explanation_facts;
mod failures;
mod invariants;
mod istio_matching;
mod kube_import;
mod limits;
mod mesh_rules;
mod note_codes;
mod properties;
mod report;
mod runtime;
mod vectors_cli;
mod vectors_core;
