//! `cargo xtask fuzz filter`: [`meshlb_fuzz::filter`] under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meshlb_fuzz::filter(data));
