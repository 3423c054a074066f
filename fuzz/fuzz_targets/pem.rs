//! cargo-fuzz target `pem`: the PEM key loader. The body is
//! `fuzz/harness/pem.rs`, which `tests/fuzz_replay.rs` also runs on stable
//! over the committed corpus `fuzz/corpus/pem/`.
#![no_main]

#[path = "../harness/pem.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
