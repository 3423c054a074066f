//! The rules of the C API that hold without a C compiler: every function the
//! library exports starts with `confpass_` and is declared in the committed
//! header (all but the test-only wiping hook), every one that can fail
//! returns a `confpass_result`, and every `unsafe` block says why it is
//! sound. CI also regenerates the header with cbindgen and fails on any
//! difference (`scripts/build-capi.sh --check-header`).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Every capi source file, with its text.
fn sources() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root().join("src")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path, text));
        }
    }
    assert!(out.len() >= 5, "capi/src has {} files", out.len());
    out
}

/// The exported functions: (name, the line that declares it, its file).
fn exported() -> Vec<(String, String, PathBuf)> {
    let mut out = Vec::new();
    for (path, text) in sources() {
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.trim() != "#[unsafe(no_mangle)]" {
                continue;
            }
            let decl = lines[i + 1].trim();
            let name = decl
                .split("fn ")
                .nth(1)
                .and_then(|rest| rest.split('(').next())
                .unwrap_or_else(|| panic!("{}: no fn after no_mangle: {decl}", path.display()));
            out.push((name.to_owned(), decl.to_owned(), path.clone()));
        }
    }
    out
}

#[test]
fn every_exported_function_is_prefixed_and_in_the_committed_header() {
    let header = std::fs::read_to_string(root().join("include/confpass.h")).unwrap();
    let functions = exported();
    assert!(
        functions.len() >= 25,
        "only {} exported functions found",
        functions.len()
    );
    for (name, decl, path) in &functions {
        assert!(
            name.starts_with("confpass_"),
            "{}: {name} is exported without the confpass_ prefix",
            path.display()
        );
        assert!(
            decl.contains("extern \"C\""),
            "{}: {name} is not extern \"C\"",
            path.display()
        );
        let declared =
            header.contains(&format!(" {name}(")) || header.contains(&format!("*{name}("));
        if name == "confpass_test_set_wipe_hook" {
            assert!(!declared, "the test-only hook is in the public header");
        } else {
            assert!(
                declared,
                "{name} is exported but not in capi/include/confpass.h: run scripts/build-capi.sh --header"
            );
        }
    }
    // And nothing in the header that the library no longer exports.
    for line in header.lines() {
        if let Some(name) = line
            .split('(')
            .next()
            .and_then(|s| s.split_whitespace().last())
        {
            let name = name.trim_start_matches('*');
            if name.starts_with("confpass_") && line.contains('(') && !line.starts_with(' ') {
                assert!(
                    functions.iter().any(|(n, _, _)| n == name),
                    "the header declares {name}, which the library does not export"
                );
            }
        }
    }
}

#[test]
fn every_fallible_call_returns_a_result_code_and_takes_an_error_out_parameter() {
    for (name, decl, path) in exported() {
        let text = std::fs::read_to_string(&path).unwrap();
        let at = text.find(&decl).unwrap();
        let signature = &text[at..at + text[at..].find('{').unwrap()];
        if signature.contains("error_out") {
            assert!(
                signature.contains("-> confpass_result"),
                "{name} takes error_out but does not return a confpass_result"
            );
        }
        // The one accessor that gives a result code: an error's category.
        if signature.contains("-> confpass_result") && name != "confpass_error_category" {
            assert!(
                signature.contains("error_out: *mut *mut confpass_error"),
                "{name} returns a result code but gives no error object"
            );
        }
    }
}

#[test]
fn every_unsafe_block_says_why_it_is_sound_and_every_file_says_its_job() {
    for (path, text) in sources() {
        assert!(
            text.starts_with("//!"),
            "{} does not open with a //! paragraph saying its job",
            path.display()
        );
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.contains("unsafe {") {
                let above = lines[..i]
                    .iter()
                    .rev()
                    .take(4)
                    .any(|l| l.contains("// SAFETY:"));
                assert!(
                    above || line.contains("// SAFETY:"),
                    "{}:{}: an unsafe block without a // SAFETY: comment",
                    path.display(),
                    i + 1
                );
            }
        }
    }
}
