//! README.md's "Using confpass from C and C++" shows ten lines from
//! `#include` to a connected database: they must compile, as C99 and as
//! C++, against the committed header and libpq's, warnings as errors. (They
//! are a fragment: this wraps them in `main`.) Skipped where no C compiler or
//! libpq headers are installed, unless CI=true.
#![cfg(unix)]

use std::path::Path;
use std::process::Command;

/// The README's C block under the section heading.
fn readme_c_block() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("README.md");
    let section = readme
        .split("## Using confpass from C and C++")
        .nth(1)
        .expect("README.md has a section \"Using confpass from C and C++\"");
    let block = section
        .split("```c\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section has a ```c block");
    block.to_owned()
}

/// libpq's include directory, or None (then the test is skipped, but not
/// in CI).
fn libpq_include() -> Option<String> {
    let out = Command::new("pg_config")
        .arg("--includedir")
        .output()
        .ok()?;
    let dir = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    Path::new(&dir).join("libpq-fe.h").exists().then_some(dir)
}

#[test]
fn the_readme_c_fragment_compiles_as_c99_and_as_cpp() {
    let Some(libpq) = libpq_include() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI=true but libpq's headers are missing (Debian's libpq-dev)"
        );
        eprintln!("skipped: no libpq headers (install libpq-dev)");
        return;
    };
    let block = readme_c_block();
    let (includes, body): (Vec<&str>, Vec<&str>) =
        block.lines().partition(|l| l.starts_with("#include"));
    assert!(includes.iter().any(|l| l.contains("confpass.h")));
    let program = format!(
        "{}\n#include <stdio.h>\nint main(void) {{\n{}\n    PQfinish(db);\n    return 0;\n}}\n",
        includes.join("\n"),
        body.join("\n")
    );
    let dir = tempfile::tempdir().unwrap();
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    for (compiler, file, std) in [
        ("cc", "readme.c", "-std=c99"),
        ("c++", "readme.cpp", "-std=c++11"),
    ] {
        let path = dir.path().join(file);
        std::fs::write(&path, &program).unwrap();
        let out = Command::new(compiler)
            .args([
                std,
                "-Wall",
                "-Wextra",
                "-pedantic",
                "-Werror",
                "-fsyntax-only",
            ])
            .arg(format!("-I{}", include.display()))
            .arg(format!("-I{libpq}"))
            .arg(&path)
            .output()
            .unwrap_or_else(|e| panic!("{compiler}: {e}"));
        assert!(
            out.status.success(),
            "README's C fragment does not compile with {compiler} {std}:\n{}\n{program}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
