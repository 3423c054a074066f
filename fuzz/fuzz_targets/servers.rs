//! cargo-fuzz target `servers`: the whole-file model of issue 19, every
//! server section still starting after arbitrary operations on arbitrary
//! files. The body is `fuzz/harness/servers.rs`, which `tests/fuzz_replay.rs`
//! also runs on stable over the committed corpus `fuzz/corpus/servers/`.
#![no_main]

#[path = "../harness/servers.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
