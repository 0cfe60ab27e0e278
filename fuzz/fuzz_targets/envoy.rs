//! `cargo xtask fuzz envoy`: [`meshlb_fuzz::envoy`] under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meshlb_fuzz::envoy(data));
