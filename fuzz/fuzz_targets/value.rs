//! cargo-fuzz target `value`: the encrypted-value parser. The body is
//! `fuzz/harness/value.rs`, which `tests/fuzz_replay.rs` also runs on stable
//! over the committed corpus `fuzz/corpus/value/`.
#![no_main]

#[path = "../harness/value.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
