#![no_main]
//! `cargo fuzz run verify`: see `fuzz/targets.rs` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| itty_session_core_fuzz::targets::verify(data));
