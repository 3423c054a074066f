//! The diff `--dry-run` prints: the lines an edit replaces and inserts, in
//! a unified style, from contents whose plain passwords are already masked.

use std::path::Path;

/// A unified-style diff of the lines that differ. The edits confpass makes
/// replace lines in place and insert lines, which a walk of both files with
/// one line of look-ahead finds exactly.
pub fn diff(file: &Path, before: &[u8], after: &[u8]) -> String {
    let lines = |b: &[u8]| -> Vec<String> {
        b.split_inclusive(|&c| c == b'\n')
            .map(|l| {
                String::from_utf8_lossy(l)
                    .trim_end_matches(['\n', '\r'])
                    .to_owned()
            })
            .collect()
    };
    let (old, new) = (lines(before), lines(after));
    let mut out = format!("--- {f}\n+++ {f} (after)\n", f = file.display());
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(_)) if new.get(j + 1) == Some(a) => {
                out.push_str(&format!("@@ after line {i} @@\n+{}\n", new[j]));
                j += 1;
            }
            (a, b) => {
                out.push_str(&format!("@@ line {} @@\n", i + 1));
                if let Some(a) = a {
                    out.push_str(&format!("-{a}\n"));
                    i += 1;
                }
                if let Some(b) = b {
                    out.push_str(&format!("+{b}\n"));
                    j += 1;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_shows_replaced_and_inserted_lines_only() {
        let before = b"[cs]\nserver = db\n[db]\npassword = ********\n";
        let after = b"[cs]\nserver = db\nencryption = true\n[db]\npassword = ENC[x]\n";
        assert_eq!(
            diff(Path::new("c.conf"), before, after),
            "--- c.conf\n+++ c.conf (after)\n@@ after line 2 @@\n+encryption = true\n@@ line 4 @@\n-password = ********\n+password = ENC[x]\n"
        );
    }
}
