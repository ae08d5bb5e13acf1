//! The itty-session core's plain-Rust modules, compiled from `../src/` by path (the core is a
//! `cdylib` only, and its `lib.rs` is the wasm-bindgen face), plus the targets' checks.
#![allow(dead_code)]

#[path = "../../src/diff.rs"]
mod diff;
#[path = "../../src/error.rs"]
mod error;
#[path = "../../src/id.rs"]
mod id;
#[path = "../../src/json.rs"]
mod json;
#[path = "../../src/parse.rs"]
mod parse;
#[path = "../../src/percent.rs"]
mod percent;
#[path = "../../src/serialize.rs"]
mod serialize;
#[path = "../../src/sha256.rs"]
mod sha256;
#[path = "../../src/sign.rs"]
mod sign;

/// The checks each fuzz target runs on its input, shared with `src/fuzz_replay.rs`.
#[path = "../targets.rs"]
pub mod targets;
