//! `cargo xtask fuzz json`: [`meshlb_fuzz::json`] under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meshlb_fuzz::json(data));
