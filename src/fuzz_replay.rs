//! Native tests replaying the fuzz corpus (`fuzz/corpus/<target>/`) through the fuzz targets.
//!
//! The checks are the fuzz binaries' own (`fuzz/targets.rs`), so `cargo test` (and `npm test`)
//! re-runs every seed and every input the fuzzer kept, without a nightly toolchain.

#[path = "../fuzz/targets.rs"]
mod targets;

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Run `check` on every file of `fuzz/corpus/<target>/`, then fail listing the files whose
/// run panicked. Returns how many files ran.
fn replay(target: &str, check: fn(&[u8])) -> usize {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/").to_string() + target;
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir}: {e}"));
    let mut paths: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "{dir}: empty corpus");
    let failed: Vec<String> = paths
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            catch_unwind(AssertUnwindSafe(|| check(&data))).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(failed.is_empty(), "{target}: failing inputs: {failed:#?}");
    paths.len()
}

#[test]
fn cookie_parse_corpus() {
    replay("cookie_parse", targets::cookie_parse);
}

#[test]
fn verify_corpus() {
    replay("verify", targets::verify);
}

#[test]
fn diff_corpus() {
    replay("diff", targets::diff);
}

/// The corpus holds values signed with each key, so the accepting path is replayed too.
#[test]
fn verify_corpus_has_signed_values() {
    let keys = crate::sign::Keys::new(&targets::SECRETS);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/verify");
    let mut seen = [false; 2];
    for entry in std::fs::read_dir(dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        if let Some((_, at)) = std::str::from_utf8(&data).ok().and_then(|s| keys.verify(s)) {
            seen[at] = true;
        }
    }
    assert_eq!(seen, [true, true]);
}
