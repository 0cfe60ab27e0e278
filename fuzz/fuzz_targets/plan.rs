//! `cargo xtask fuzz plan`: [`meshlb_fuzz::plan`] under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meshlb_fuzz::plan(data));
