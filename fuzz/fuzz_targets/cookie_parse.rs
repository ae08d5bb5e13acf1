#![no_main]
//! `cargo fuzz run cookie_parse`: see `fuzz/targets.rs` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| itty_session_core_fuzz::targets::cookie_parse(data));
