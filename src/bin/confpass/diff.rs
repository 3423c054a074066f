//! The diff `--dry-run` prints, in text and in JSON: a minimal line diff
//! (similar's Myers) of contents the library has already masked (every
//! password-holding option of every section, `Preview`), in unified hunks
//! with one line of context. Lines are compared without their line ends, so
//! CRLF and a missing final newline never make a kept line look changed.

use std::path::Path;

use similar::TextDiff;

/// Lines of context around each change.
const CONTEXT: usize = 1;

/// `--- FILE` and `+++ FILE (after)`, then one `@@ -a,b +c,d @@` hunk per
/// group of changes: the changed lines (`-` before, `+` after) and their
/// context (` `), nothing else.
pub fn diff(file: &Path, before: &[u8], after: &[u8]) -> String {
    let (old, new) = (lines(before), lines(after));
    let old: Vec<&str> = old.iter().map(String::as_str).collect();
    let new: Vec<&str> = new.iter().map(String::as_str).collect();
    let mut out = format!("--- {f}\n+++ {f} (after)\n", f = file.display());
    let diff = TextDiff::from_slices(&old, &new);
    for hunk in diff.unified_diff().context_radius(CONTEXT).iter_hunks() {
        // Each line is printed with `\n`: the slices hold no line end.
        out.push_str(&hunk.to_string());
    }
    out
}

/// The lines of `bytes` without their line ends (`\n`, `\r\n`, none on a
/// last line without one), as text.
fn lines(bytes: &[u8]) -> Vec<String> {
    bytes
        .split_inclusive(|&c| c == b'\n')
        .map(|l| {
            let l = l.strip_suffix(b"\n").unwrap_or(l);
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            String::from_utf8_lossy(l).into_owned()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "--- c.conf\n+++ c.conf (after)\n";

    fn d(before: &str, after: &str) -> String {
        diff(Path::new("c.conf"), before.as_bytes(), after.as_bytes())
    }

    #[test]
    fn a_replaced_line_shows_with_one_line_of_context() {
        let before = "[db]\nhost = h\nport = 1\npassword = ********\nuser = u\nname = n\n";
        let after = "[db]\nhost = h\nport = 1\npassword = ENC[x]\nuser = u\nname = n\n";
        assert_eq!(
            d(before, after),
            format!(
                "{HEADER}@@ -3,3 +3,3 @@\n port = 1\n-password = ********\n+password = ENC[x]\n user = u\n"
            )
        );
    }

    #[test]
    fn two_lines_added_next_to_each_other_are_one_insertion() {
        let before = "[cs]\nport = 1\nserver = db\n[db]\nhost = h\nport = 2\nuser = u\npassword = ********\n";
        let after = "[cs]\nport = 1\nserver = db\nencryption = true\ndecryption-key = k.pem\n\
                     [db]\nhost = h\nport = 2\nuser = u\npassword = ENC[x]\n";
        assert_eq!(
            d(before, after),
            format!(
                "{HEADER}@@ -3,2 +3,4 @@\n server = db\n+encryption = true\n+decryption-key = k.pem\n [db]\n\
                 @@ -7,2 +9,2 @@\n user = u\n-password = ********\n+password = ENC[x]\n"
            )
        );
    }

    #[test]
    fn changes_two_lines_apart_share_one_hunk_and_far_ones_do_not() {
        let before = "a\nb\nc\nd\ne\nf\ng\n";
        assert_eq!(
            d(before, "A\nb\nC\nd\ne\nf\nG\n"),
            format!(
                "{HEADER}@@ -1,4 +1,4 @@\n-a\n+A\n b\n-c\n+C\n d\n@@ -6,2 +6,2 @@\n f\n-g\n+G\n"
            )
        );
    }

    #[test]
    fn a_removed_line_and_a_line_added_at_the_end() {
        assert_eq!(
            d("a\nb\nc\n", "a\nc\n"),
            format!("{HEADER}@@ -1,3 +1,2 @@\n a\n-b\n c\n")
        );
        // A one-line range is written without its length, as GNU diff does.
        assert_eq!(
            d("a\nb\n", "a\nb\nc\n"),
            format!("{HEADER}@@ -2 +2,2 @@\n b\n+c\n")
        );
    }

    #[test]
    fn crlf_and_a_missing_final_newline_change_no_line() {
        let before = "[db]\r\nhost = h\r\npassword = ********";
        let after = "[db]\r\nhost = h\r\npassword = ENC[x]\r\nencryption = true\r\n";
        assert_eq!(
            d(before, after),
            format!(
                "{HEADER}@@ -2,2 +2,3 @@\n host = h\n-password = ********\n+password = ENC[x]\n+encryption = true\n"
            )
        );
        // Only the line end differs: no hunk at all.
        assert_eq!(d("a\r\nb", "a\nb\n"), HEADER);
    }

    #[test]
    fn no_line_carries_a_carriage_return() {
        let out = d("a\r\nb\r\n", "a\r\nc\r\n");
        assert!(!out.contains('\r'), "{out:?}");
    }
}
