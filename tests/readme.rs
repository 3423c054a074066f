//! The README's quick start works as written on this checkout, and its test
//! command is the one CI runs.

use std::path::Path;
use std::process::Command;

const README: &str = include_str!("../README.md");
const SAMPLE: &[u8] = include_bytes!("../testdata/sample/confserv.conf");

/// The first fenced code block after `marker`, without its fences.
fn block_after(marker: &str) -> &'static str {
    let rest = &README[README
        .find(marker)
        .unwrap_or_else(|| panic!("README lacks {marker}"))..];
    let start = rest
        .find("```sh\n")
        .expect("a ```sh block after the marker")
        + "```sh\n".len();
    let len = rest[start..]
        .find("```")
        .expect("the block's closing fence");
    rest[start..start + len].trim()
}

#[test]
// Unix-only: the quick start is a `bash` script, and it shows the modes with `ls -l`.
#[cfg_attr(not(unix), ignore = "shells out to bash; checks Unix modes in ls -l")]
fn readme_quick_start_encrypts_the_shipped_sample_and_leaves_the_checkout_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // mktemp makes its directory here, so the test leaves nothing in /tmp.
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(block_after("<!-- quickstart:run -->"))
        .current_dir(root)
        .env("TMPDIR", tmp.path())
        .output()
        .expect("bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "quick start failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("encrypted the password in [dbserver] with key "),
        "{stdout}"
    );
    assert!(stdout.contains("encryption = true"), "{stdout}");
    assert!(
        stdout.contains("password = ENC[RSA-OAEP-SHA256,kid:"),
        "{stdout}"
    );
    assert!(!stdout.contains("S3cret!pass") && !stderr.contains("S3cret!pass"));
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("-rw-------") && l.ends_with("dec.pem")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("-rw-r--r--") && l.ends_with("enc.pem")),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read(root.join("testdata/sample/confserv.conf")).unwrap(),
        SAMPLE
    );
    assert!(!root.join("testdata/sample/dec.pem").exists());
}

#[test]
fn readme_test_command_is_the_one_ci_runs() {
    let command = block_after("<!-- quickstart:test -->");
    assert_eq!(command, "cargo test --locked");
    let ci =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l.trim() == command),
        ".ci/run does not run `{command}`"
    );
}
