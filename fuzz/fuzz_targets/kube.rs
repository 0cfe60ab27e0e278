//! `cargo xtask fuzz kube`: [`meshlb_fuzz::kube`] under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meshlb_fuzz::kube(data));
