//! The code's layout keeps its shape (issue 13, ARCHITECTURE.md "Code
//! map"): no import cycle among the library's modules, and no module over
//! about 300 lines of code but the two named exceptions. Reads the source
//! tree, as a reviewer would.
//!
//! A module is a file under `src/` (a folder's `mod.rs` stands for the
//! folder); its dependencies are the `crate::<module>` paths in its code,
//! comments and test modules left out. Lines of code leave out blank lines,
//! comment lines and the test module (everything from its `#[cfg(test)]`
//! on).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Modules allowed over the limit, and why.
const LARGE: [(&str, &str); 2] = [
    (
        "src/error.rs",
        "one enum whose variants carry their messages; splitting it changes the API",
    ),
    (
        "src/platform/windows/win32.rs",
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

/// The top-level library module a file belongs to (`keys` for
/// `src/keys/file.rs`), or `None` for the crate root and the binary.
fn module_of(path: &Path) -> Option<String> {
    let rel = path.strip_prefix(src()).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_owned();
    match first.as_str() {
        "lib.rs" | "bin" => None,
        _ => Some(first.trim_end_matches(".rs").to_owned()),
    }
}

/// The top-level modules a file's code names through `crate::`.
fn dependencies(lines: &[String]) -> BTreeSet<String> {
    let text = lines.join("\n");
    let mut deps = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(list) = rest.strip_prefix('{') {
            // `use crate::{a, b::c, …}`
            let list = &list[..list.find('}').unwrap_or(list.len())];
            for item in list.split(',') {
                let name = item.trim().split("::").next().unwrap_or("");
                if !name.is_empty() {
                    deps.insert(name.to_owned());
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() {
                deps.insert(name);
            }
        }
    }
    deps
}

#[test]
fn no_import_cycle_among_the_librarys_modules() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        if let Some(module) = module_of(file) {
            let deps = dependencies(&code(file));
            graph.entry(module).or_default().extend(deps);
        }
    }
    assert!(graph.len() > 20, "the modules were found: {graph:?}");
    for (module, deps) in &mut graph {
        deps.remove(module);
    }
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
