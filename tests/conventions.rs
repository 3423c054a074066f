//! The command-line conventions users expect, on the real binary: shell
//! completions and the man page generated from the clap definition
//! (`--completions SHELL`, `--man`, as README.md documents them), `--help`
//! with examples and exit codes, and NO_COLOR.

mod common;

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use common::all_output;

const BIN: &str = env!("CARGO_BIN_EXE_confpass");

/// Runs the binary with `args`, no standard input, and a clean colour
/// environment.
fn confpass(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .output()
        .expect("run confpass")
}

/// stdout of a run that must succeed, as text.
fn success(args: &[&str]) -> String {
    let out = confpass(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "confpass {args:?}: {:?}\n{}",
        out.status,
        all_output(&out)
    );
    assert!(out.stderr.is_empty(), "stderr: {}", all_output(&out));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
// Unix-only: runs the script in `bash`.
#[cfg_attr(not(unix), ignore = "shells out to bash")]
fn bash_completion_names_the_command_and_its_options_and_is_valid_bash() {
    let script = success(&["--completions", "bash"]);
    for word in [
        "confpass",
        "--rotate-keys",
        "--password-stdin",
        "-p",
        "--keys",
        "--check",
        "--reveal",
        "--dry-run",
        "--json",
        "--bits",
    ] {
        assert!(script.contains(word), "{word} missing from:\n{script}");
    }
    assert!(
        script.contains("complete ") && script.ends_with('\n'),
        "not a completion script:\n{script}"
    );

    // `bash -n`: the script parses.
    let mut bash = Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash");
    bash.stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = bash.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "bash -n rejects the script: {}",
        all_output(&out)
    );
}

#[test]
// Unix-only: runs the script in `bash`.
#[cfg_attr(not(unix), ignore = "shells out to bash")]
fn bash_completion_loads_and_completes_long_options() {
    // Source the script in a non-interactive bash and ask it, as the shell
    // would on `confpass --ro<TAB>`.
    let script = success(&["--completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("confpass.bash");
    std::fs::write(&file, script).unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(
            "source \"$1\" && COMP_WORDS=(confpass --ro) COMP_CWORD=1 && \
             _confpass confpass --ro confpass && printf '%s\\n' \"${COMPREPLY[@]}\"",
        )
        .arg("bash")
        .arg(&file)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "--rotate-keys");
}

#[test]
fn zsh_fish_elvish_and_powershell_completions_are_non_empty_scripts() {
    for (shell, marker) in [
        ("zsh", "#compdef confpass"),
        ("fish", "complete -c confpass"),
        ("elvish", "confpass"),
        ("powershell", "confpass"),
    ] {
        let script = success(&["--completions", shell]);
        assert!(
            script.contains(marker) && script.contains("rotate-keys"),
            "{shell}:\n{script}"
        );
    }
}

#[test]
fn man_page_is_roff_and_names_every_option() {
    let page = success(&["--man"]);
    let first = page
        .lines()
        .find(|l| !l.starts_with(".ie") && !l.starts_with(".el"))
        .unwrap();
    assert!(first.starts_with(".TH confpass 1"), "first line: {first:?}");
    // roff escapes '-' as '\-'.
    let plain = page.replace("\\-", "-");
    for option in [
        "-p",
        "-c",
        "-s",
        "--check",
        "--rotate-keys",
        "--reveal",
        "--keys",
        "--password-stdin",
        "--bits",
        "--dry-run",
        "--json",
        "--version",
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH OPTIONS",
        "Examples:",
        "Exit codes:",
    ] {
        assert!(plain.contains(option), "{option} missing from:\n{page}");
    }
}

/// The man page's roff as plain text: escapes and font changes removed.
fn deroff(page: &str) -> String {
    ["\\fB", "\\fI", "\\fR", "\\fP"]
        .iter()
        .fold(page.replace("\\-", "-"), |text, font| {
            text.replace(font, "")
        })
}

#[test]
fn man_page_gives_every_option_its_value_names() {
    let page = deroff(&success(&["--man"]));
    let synopsis = page
        .split(".SH SYNOPSIS")
        .nth(1)
        .and_then(|rest| rest.split(".SH").next())
        .expect("a SYNOPSIS section");
    for form in [
        "confpass -p [DBSECTION [PASSWORD]] [--password-stdin] [--keep-previous] [-c FILE] [-s SECTION] [-keys [ENC DEC]] [--bits N]",
        "confpass --forget-previous [-c FILE] [-s SECTION] [-keys [ENC DEC]] [--dry-run] [--json]",
        "confpass --check [-c FILE] [-s SECTION] [--json]",
        "confpass --rotate-keys [-c FILE]",
        "confpass --reveal [-c FILE] [-s SECTION]",
        "confpass --prune-keys [-c FILE]...",
        "--completions SHELL",
    ] {
        assert!(
            synopsis.contains(form),
            "{form:?} missing from:\n{synopsis}"
        );
    }
    // What clap_mangen's own synopsis printed: an option without its value.
    assert!(!synopsis.contains(" ]"), "an empty value:\n{synopsis}");
    let options = page
        .split(".SH OPTIONS")
        .nth(1)
        .expect("an OPTIONS section");
    for option in [
        "-p [<DBSECTION> <PASSWORD>]",
        "-c <FILE>",
        "-s <SECTION>",
        "--keys [<ENC> <DEC>]",
        "--bits <N>",
    ] {
        let plain = option.replace(' ', "");
        assert!(
            options.replace(' ', "").contains(&plain),
            "{option:?} missing from:\n{options}"
        );
    }
}

#[test]
fn man_page_renders_with_man_where_it_is_installed() {
    // Not required (man may be absent); where it is, the page must format.
    let page = success(&["--man"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("confpass.1");
    std::fs::write(&file, page).unwrap();
    let Ok(out) = Command::new("man")
        .arg("-l")
        .arg(&file)
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("MANWIDTH", "100")
        .stdin(Stdio::null())
        .output()
    else {
        eprintln!("skipped: man is not installed");
        return;
    };
    if !out.status.success() {
        eprintln!("skipped: man -l failed: {}", all_output(&out));
        return;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("rotate-keys"), "{text}");
}

#[test]
fn completions_and_man_need_no_configuration_and_take_no_other_option() {
    // No confserv.conf in a fresh directory, no -p: still works.
    let dir = tempfile::tempdir().unwrap();
    for args in [&["--completions", "bash"][..], &["--man"]] {
        let out = Command::new(BIN)
            .args(args)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    }
    for args in [
        &["--man", "-p"][..],
        &["--man", "--json"],
        &["--completions", "bash", "-c", "x.conf"],
        &["--completions", "bash", "--man"],
        &["--completions", "tcsh"],
    ] {
        let out = confpass(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", all_output(&out));
        assert!(out.stdout.is_empty() || args.contains(&"--json"));
    }
}

#[test]
fn help_shows_examples_exit_codes_and_the_documentation_commands() {
    let help = success(&["--help"]);
    for text in [
        "Usage: confpass",
        "Examples:",
        "confpass -p ",
        "--password-stdin",
        "confpass --check",
        "Exit codes: 0 done",
        "5 decryption failed",
        "10 plain",
        "--completions bash",
        "--man",
    ] {
        assert!(help.contains(text), "{text:?} missing from:\n{help}");
    }
    assert!(!help.contains('\x1b'), "escapes on a pipe:\n{help}");
}

/// `--help` on a pseudo-terminal (util-linux `script`), with `no_color`
/// deciding whether NO_COLOR is set; returns what the terminal received.
fn help_on_a_terminal(no_color: bool) -> Option<String> {
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &format!("'{BIN}' --help"), "/dev/null"])
        .env("TERM", "xterm-256color")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null());
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: util-linux `script` cannot run: {e}");
            return None;
        }
        Err(e) => panic!("util-linux `script` must run in CI: {e}"),
    };
    assert!(out.status.success(), "script: {}", all_output(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("Examples:"),
        "no help on the terminal:\n{text}"
    );
    Some(text)
}

#[test]
// Unix-only: a pseudo-terminal through util-linux `script`.
#[cfg_attr(not(unix), ignore = "a pseudo-terminal through util-linux script")]
fn help_is_coloured_on_a_terminal_unless_no_color_is_set() {
    let Some(coloured) = help_on_a_terminal(false) else {
        return;
    };
    assert!(
        coloured.contains("\x1b["),
        "no escapes on a terminal, so the NO_COLOR check below would prove nothing:\n{coloured}"
    );
    let plain = help_on_a_terminal(true).unwrap();
    assert!(
        !plain.contains("\x1b["),
        "escapes despite NO_COLOR:\n{plain:?}"
    );
}
