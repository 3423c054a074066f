//! The fuzz targets' bodies (`fuzz/harness/*.rs`, shared with the
//! cargo-fuzz targets under `fuzz/fuzz_targets/`) replayed on stable in every
//! `cargo test`: over every file of the committed corpus `fuzz/corpus/<target>/`
//! (seeds and every crash reproducer a fuzzing run found), and over the test
//! data they were seeded from, so a crash found once stays found.

mod common;

#[path = "../fuzz/harness/ini.rs"]
mod ini;
#[path = "../fuzz/harness/pem.rs"]
mod pem;
#[path = "../fuzz/harness/servers.rs"]
mod servers;
#[path = "../fuzz/harness/value.rs"]
mod value;

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// The files of a directory, sorted by name.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

fn corpus(target: &str) -> Vec<PathBuf> {
    files(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/corpus")
            .join(target),
    )
}

/// Runs `harness` on every input; fails naming every input that panicked.
fn replay(target: &str, harness: fn(&[u8]), inputs: &[(String, Vec<u8>)]) {
    let failed: Vec<String> = inputs
        .iter()
        .filter_map(|(name, bytes)| {
            catch_unwind(AssertUnwindSafe(|| harness(bytes)))
                .err()
                .map(|panic| {
                    let why = panic
                        .downcast_ref::<String>()
                        .map(String::as_str)
                        .or_else(|| panic.downcast_ref::<&str>().copied())
                        .unwrap_or("(no message)");
                    format!("{name}: {why}")
                })
        })
        .collect();
    assert!(
        failed.is_empty(),
        "the {target} harness panicked on {} of {} inputs:\n{}",
        failed.len(),
        inputs.len(),
        failed.join("\n")
    );
}

fn read_all(paths: &[PathBuf]) -> Vec<(String, Vec<u8>)> {
    paths
        .iter()
        .map(|p| (p.display().to_string(), fs::read(p).expect("read input")))
        .collect()
}

/// The committed corpus of `target`, with at least `min` files.
fn replay_corpus(target: &str, harness: fn(&[u8]), min: usize) {
    let inputs = read_all(&corpus(target));
    assert!(
        inputs.len() >= min,
        "fuzz/corpus/{target}/ holds {} files, expected at least {min}",
        inputs.len()
    );
    replay(target, harness, &inputs);
}

#[test]
fn the_ini_corpus_replays() {
    replay_corpus("ini", ini::run, 40);
}

#[test]
fn the_value_corpus_replays() {
    replay_corpus("value", value::run, 40);
}

#[test]
fn the_pem_corpus_replays() {
    replay_corpus("pem", pem::run, 15);
}

#[test]
fn the_servers_corpus_replays() {
    replay_corpus("servers", servers::run, 6);
}

/// The test data the corpus was seeded from, as it is now.
#[test]
fn the_harnesses_pass_the_test_data_they_were_seeded_from() {
    let mut configs = files(&common::testdata("configs"));
    configs.retain(|p| p.extension().is_some_and(|e| e == "conf"));
    configs.push(common::testdata("sample/confserv.conf"));
    configs.push(common::testdata("vectors/confserv.conf"));
    replay("ini", ini::run, &read_all(&configs));

    let mut keys = files(&common::testdata("keys"));
    keys.extend(files(&common::testdata("vectors/keys")));
    replay("pem", pem::run, &read_all(&keys));

    let text = fs::read_to_string(common::testdata("vectors/vectors.json")).expect("vectors");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    let values: Vec<(String, Vec<u8>)> = ["valid", "invalid"]
        .iter()
        .flat_map(|kind| doc[kind].as_array().cloned().unwrap_or_default())
        .map(|v| {
            (
                format!("vector {}", v["id"]),
                v["value"].as_str().unwrap_or_default().as_bytes().to_vec(),
            )
        })
        .collect();
    assert!(values.len() >= 40, "{} vectors", values.len());
    replay("value", value::run, &values);
}

/// Finding 8 of issue 9: the `ini` harness added a second `encryption`
/// option where `-p` sets the existing one, and panicked at once on this file.
#[test]
fn the_ini_harness_sets_an_existing_encryption_option() {
    let file = fs::read(common::testdata("configs/spacing-none.conf")).expect("fixture");
    ini::run(&file);
    ini::run(b"[confserv]\nserver=db\nencryption=false\n[db]\npassword=x\n");
    ini::run(b"[confserv]\nserver=db\n[db]\npassword=x");
}

/// A replay that finds a panic fails, and names the input.
#[test]
fn fail_a_panicking_input_fails_the_replay_by_name() {
    let inputs = vec![
        ("fine".to_owned(), b"ok".to_vec()),
        ("crash-example".to_owned(), b"boom".to_vec()),
    ];
    let harness: fn(&[u8]) = |data| assert!(data != b"boom", "found it");
    let result = catch_unwind(|| replay("example", harness, &inputs));
    let panic = result.expect_err("the replay must fail");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("1 of 2 inputs"), "{message}");
    assert!(message.contains("crash-example: found it"), "{message}");
    assert!(!message.contains("fine"), "{message}");
}
