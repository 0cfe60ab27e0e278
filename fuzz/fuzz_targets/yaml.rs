//! `cargo xtask fuzz yaml`: [`meshlb_fuzz::yaml`] under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meshlb_fuzz::yaml(data));
