//! `cargo xtask fuzz scenario`: [`meshlb_fuzz::scenario`] under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meshlb_fuzz::scenario(data));
