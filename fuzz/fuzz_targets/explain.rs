//! `cargo xtask fuzz explain`: [`meshlb_fuzz::explain`] under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meshlb_fuzz::explain(data));
