//! The code's layout keeps its shape (issue 13, ARCHITECTURE.md "Code
//! map"): the library's modules sit in layers whose dependencies point down
//! only, no import cycle among its modules, no module over about 300 lines
//! of code but the two named exceptions, and the platform differences in one
//! file. Reads the source tree, as a reviewer would.
//!
//! A module is a file or folder directly under `src/` or under one of the
//! layer folders that hold several modules (`crypto/`, `fs/`, `ops/`); a
//! folder's files are the parts of one module. Its dependencies are the
//! `crate::…` paths in its code (`use` trees expanded), comments and test
//! modules left out. Lines of code leave out blank lines, comment lines and
//! the test module (everything from its `#[cfg(test)]` on).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, bottom first, with their rung: a module names modules of its
/// own layer and of lower rungs only, so two layers on one rung never name
/// each other. `true`: the layer is a folder of several modules.
const LAYERS: [(&str, u8, bool); 5] = [
    ("base", 0, false),
    ("ini", 1, false),
    ("crypto", 1, true),
    ("fs", 2, true),
    ("ops", 3, true),
];
/// The shared vocabulary at the bottom: what every failure is, the key id
/// errors name, and the test hooks.
const BASE: [&str; 3] = ["error", "keyid", "fault"];

/// Modules allowed over the limit, and why.
const LARGE: [(&str, &str); 2] = [
    (
        "src/error/mod.rs",
        "one enum whose variants carry their messages; splitting it changes the API",
    ),
    (
        "src/fs/platform/windows/win32.rs",
        "the one module allowed `unsafe` (SECURITY.md): it stays one",
    ),
];
/// "About 300 lines of code".
const LIMIT: usize = 300;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, but unit-test files.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(path);
        }
    }
}

/// The library's files: all but the binary's.
fn library_sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    files.retain(|f| !f.starts_with(src().join("bin")));
    files
}

/// The code of a file: up to its first `#[cfg(test)]`, without blank and
/// comment lines.
fn code(path: &Path) -> Vec<String> {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines().map(str::trim).peekable();
    let mut out = Vec::new();
    while let Some(line) = lines.next() {
        if line == "#[cfg(test)]" {
            // `mod tests;`: the tests live in a file of their own.
            if lines.peek() == Some(&"mod tests;") {
                lines.next();
                continue;
            }
            break;
        }
        if !line.is_empty() && !line.starts_with("//") {
            out.push(line.to_owned());
        }
    }
    out
}

/// The layer a top-level name belongs to, with its rung and whether it
/// holds several modules.
fn layer(top: &str) -> Option<(&'static str, u8, bool)> {
    let name = if BASE.contains(&top) { "base" } else { top };
    LAYERS.iter().copied().find(|(l, _, _)| *l == name)
}

/// A module's name from the path of one of its items (`crate::` left off):
/// `ops::encrypt` for `ops::encrypt::encrypt_file`, `ini` for
/// `ini::ConfigFile`, `error` for `error::Error`.
fn module_named(segments: &[&str]) -> Option<String> {
    let top = *segments.first()?;
    let (_, _, several) = layer(top)?;
    match segments.get(1) {
        Some(module) if several => Some(format!("{top}::{module}")),
        _ => Some(top.to_owned()),
    }
}

/// The module a file is part of, or `None` for the crate root.
fn module_of(path: &Path) -> Option<String> {
    let rel = path.strip_prefix(src()).unwrap().with_extension("");
    let segments: Vec<&str> = rel
        .components()
        .filter_map(|c| c.as_os_str().to_str())
        .filter(|s| *s != "mod")
        .collect();
    if segments == ["lib"] {
        return None;
    }
    let module = module_named(&segments);
    assert!(module.is_some(), "{} is in no layer", rel.display());
    module
}

/// The paths a `use` tree (or a plain path) at the start of `text` names,
/// `{…}` groups expanded (`a::{b, c::{d as e}}` gives `a::b` and `a::c::d`),
/// and how many bytes it took.
fn use_tree(text: &str) -> (Vec<String>, usize) {
    let ident_len = |s: &str| {
        s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(s.len())
    };
    let mut prefix = String::new();
    let mut at = 0;
    loop {
        let rest = &text[at..];
        if rest.starts_with('{') {
            at += 1;
            let mut paths = Vec::new();
            loop {
                let rest = &text[at..];
                let item = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
                at += rest.len() - item.len();
                if item.is_empty() || item.starts_with('}') {
                    at += item.len().min(1);
                    return (paths, at);
                }
                let (sub, used) = use_tree(item);
                paths.extend(sub.into_iter().map(|p| format!("{prefix}{p}")));
                // Past the item, its `as` alias, or a character that is
                // not a path (`*`).
                at += used.max(1);
                if let Some(alias) = text[at..].trim_start().strip_prefix("as ") {
                    let alias = alias.trim_start();
                    at = text.len() - alias.len() + ident_len(alias);
                }
            }
        }
        let len = ident_len(rest);
        prefix.push_str(&rest[..len]);
        at += len;
        if len > 0 && text[at..].starts_with("::") {
            at += 2;
            prefix.push_str("::");
        } else {
            return (vec![prefix], at);
        }
    }
}

/// The modules a file's code names through `crate::` paths, and through
/// `super::` from a module file straight under a layer folder.
fn dependencies(file: &Path, lines: &[String]) -> BTreeSet<String> {
    let text = lines.join("\n");
    let mut deps = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let (paths, _) = use_tree(&text[at + "crate::".len()..]);
        for path in paths {
            let segments: Vec<&str> = path.split("::").collect();
            // A path through the crate root's re-exports would hide
            // which layer it reaches.
            let module = module_named(&segments);
            assert!(
                module.is_some(),
                "{}: crate::{path} names no layer",
                file.display()
            );
            deps.extend(module);
        }
    }
    let rel = file.strip_prefix(src()).unwrap().with_extension("");
    let parts: Vec<&str> = rel
        .components()
        .filter_map(|c| c.as_os_str().to_str())
        .collect();
    let under_layer = match parts.as_slice() {
        [layer, _] | [layer, _, "mod"] => Some(*layer),
        _ => None,
    };
    if let Some(layer) = under_layer {
        for (at, _) in text.match_indices("super::") {
            let (paths, _) = use_tree(&text[at + "super::".len()..]);
            for path in paths {
                let segments: Vec<&str> = std::iter::once(layer).chain(path.split("::")).collect();
                if let Some(module) = module_named(&segments) {
                    deps.insert(module);
                }
            }
        }
    }
    deps
}

/// Each module and the other modules it names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in library_sources() {
        if let Some(module) = module_of(&file) {
            let deps = dependencies(&file, &code(&file));
            graph.entry(module).or_default().extend(deps);
        }
    }
    for (module, deps) in &mut graph {
        deps.remove(module);
    }
    graph
}

#[test]
fn the_reader_of_paths_expands_use_trees() {
    let (paths, used) = use_tree("ops::{check, confserv::{self, Layout as L}}, x");
    assert_eq!(
        paths,
        ["ops::check", "ops::confserv::self", "ops::confserv::Layout"]
    );
    assert_eq!(used, 43);
    let (paths, used) = use_tree("fs::files::parent_dir;\nuse y");
    assert_eq!(
        (paths, used),
        (vec!["fs::files::parent_dir".to_owned()], 21)
    );
}

#[test]
fn every_module_sits_in_a_layer_and_names_only_its_own_and_lower_ones() {
    let graph = graph();
    // The reader sees what is there: modules of every layer, and an edge
    // known to exist.
    assert!(graph.len() > 25, "the modules were found: {graph:?}");
    assert!(
        graph["fs::keyfile"].contains("crypto::keys"),
        "{:?}",
        graph["fs::keyfile"]
    );
    let mut wrong = Vec::new();
    for (module, deps) in &graph {
        let top = |m: &str| m.split("::").next().unwrap().to_owned();
        let (from, rung, _) = layer(&top(module)).unwrap();
        for dep in deps {
            let (to, dep_rung, _) = layer(&top(dep)).unwrap();
            if from != to && dep_rung >= rung {
                wrong.push(format!("{module} ({from}) -> {dep} ({to})"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "dependencies that point up or across: {wrong:#?}"
    );
}

#[test]
fn no_import_cycle_among_the_librarys_modules() {
    let mut graph = graph();
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for deps in graph.values_mut() {
        deps.retain(|d| modules.contains(d));
    }
    // A module that reaches itself through its dependencies is in a cycle.
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(&String, Vec<&String>)> = vec![(start, vec![start])];
        while let Some((module, path)) = stack.pop() {
            for next in &graph[module] {
                assert!(next != start, "import cycle: {path:?} -> {next}");
                if seen.insert(next) {
                    let mut longer = path.clone();
                    longer.push(next);
                    stack.push((next, longer));
                }
            }
        }
    }
}

#[test]
fn no_module_over_about_300_lines_of_code_but_the_named_exceptions() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let mut over = Vec::new();
    for file in &files {
        let rel = file
            .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let lines = code(file).len();
        let allowed = LARGE.iter().any(|(name, _)| *name == rel);
        if lines > LIMIT && !allowed {
            over.push(format!("{rel}: {lines}"));
        }
        if allowed {
            assert!(
                lines > LIMIT,
                "{rel} is {lines} lines now: take it off LARGE"
            );
        }
    }
    assert!(over.is_empty(), "over {LIMIT} lines of code: {over:?}");
}

#[test]
fn the_platform_differences_are_in_one_file() {
    let one = src().join("fs/platform/mod.rs");
    let mut found = Vec::new();
    for file in library_sources() {
        let text = code(&file).join("\n");
        if [
            "cfg(unix)",
            "cfg(windows)",
            "cfg(not(unix))",
            "cfg(not(windows))",
        ]
        .iter()
        .any(|c| text.contains(c))
        {
            found.push(file);
        }
    }
    assert_eq!(found, [one]);
}

#[test]
fn every_source_file_opens_with_a_paragraph_saying_its_job() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let silent: Vec<_> = files
        .iter()
        .filter(|f| {
            let text = fs::read_to_string(f).unwrap();
            !text.starts_with("//! ") || text.lines().next().is_some_and(|l| l.len() < 20)
        })
        .collect();
    assert!(files.len() > 40, "{files:?}");
    assert!(silent.is_empty(), "no opening //! paragraph: {silent:?}");
}

#[test]
fn the_rsa_implementations_are_named_only_behind_the_backend_seam() {
    // RustCrypto's `rsa` and aws-lc-rs are reached through one trait
    // (src/crypto/backend/); its `oaep.rs` is the `rsa` backend's OAEP decoding.
    let allowed = [
        src().join("crypto/backend/rustcrypto.rs"),
        src().join("crypto/backend/awslc.rs"),
        src().join("crypto/backend/oaep.rs"),
    ];
    let names = |line: &str| {
        let line = line.replace("mechanism::rsa::", "");
        line.contains("aws_lc_rs")
            || line.match_indices("rsa::").any(|(i, _)| {
                i == 0
                    || !line[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
            })
    };
    let mut found = Vec::new();
    for file in library_sources() {
        if code(&file).iter().any(|l| names(l)) {
            found.push(file);
        }
    }
    found.retain(|f| !allowed.contains(f));
    assert!(
        found.is_empty(),
        "names rsa or aws_lc_rs outside the backend: {found:?}"
    );
    // The check sees what it looks for.
    assert!(code(&allowed[0]).iter().any(|l| names(l)));
    assert!(code(&allowed[1]).iter().any(|l| names(l)));
}
