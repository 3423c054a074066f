//! cargo-fuzz target `ini`: the INI reader and editor. The body is
//! `fuzz/harness/ini.rs`, which `tests/fuzz_replay.rs` also runs on stable
//! over the committed corpus `fuzz/corpus/ini/`.
#![no_main]

#[path = "../harness/ini.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
