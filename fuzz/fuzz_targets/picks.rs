//! `cargo xtask fuzz picks`: [`meshlb_fuzz::picks`] under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meshlb_fuzz::picks(data));
