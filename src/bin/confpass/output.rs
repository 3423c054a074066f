//! What the command prints: one summary line, or one JSON object, a masked
//! diff for `--dry-run` (made by `crate::diff`), and errors as one line plus
//! an optional hint.
//! Nothing here ever receives a plain password, but `--reveal`'s.

use confpass::{Category, Error, Outcome};
use serde::Serialize;

use crate::diff::diff;

/// Exit codes, one per [`Category`] (README.md lists them).
pub fn exit_code(category: Category) -> u8 {
    match category {
        Category::Usage => 2,
        Category::Config => 3,
        Category::Key => 4,
        Category::Decrypt => 5,
        Category::Io => 6,
        Category::Committed => 7,
        _ => 1,
    }
}

fn paths(list: &[std::path::PathBuf]) -> Vec<String> {
    list.iter().map(|p| p.display().to_string()).collect()
}

#[derive(Serialize)]
struct OutcomeJson<'a> {
    file: String,
    server_section: &'a str,
    db_section: &'a str,
    key_id: String,
    changed: bool,
    action: &'a str,
    created: Vec<String>,
    dry_run: bool,
    warnings: &'a [String],
    /// Whether the file keeps a `previous-password` (a rotation in progress).
    keeps_previous: bool,
    /// Other server sections that read the same database section and were
    /// marked `encryption = true`; left out when there are none.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    marked: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<String>,
}

/// The result of `-p` or `--rotate-keys`, as text or JSON.
pub fn outcome(o: &Outcome, json: bool) -> String {
    let diff = o
        .preview
        .as_ref()
        .map(|p| diff(&o.file, &p.before, &p.after));
    if json {
        return to_json(&OutcomeJson {
            file: o.file.display().to_string(),
            server_section: &o.server_section,
            db_section: &o.db_section,
            key_id: o.key_id.to_string(),
            changed: o.changed,
            action: o.action.as_str(),
            created: paths(&o.created),
            dry_run: o.dry_run,
            warnings: &o.warnings,
            keeps_previous: o.keeps_previous,
            marked: &o.marked,
            diff,
        });
    }
    let file = o.file.display();
    let (db, kid) = (&o.db_section, o.key_id);
    let mut line = match o.action {
        confpass::Action::Unchanged => {
            format!(
                "{file}: the password in [{db}] is already encrypted with key {kid}; nothing changed"
            )
        }
        confpass::Action::Rotated => {
            format!("{file}: rotated keys; the password in [{db}] is now encrypted with key {kid}")
        }
        confpass::Action::RotationCompleted => {
            format!(
                "{file}: finished an interrupted key rotation; the password in [{db}] is encrypted with key {kid}"
            )
        }
        confpass::Action::Marked => {
            format!("{file}: the password in [{db}] is already encrypted with key {kid}")
        }
        confpass::Action::PreviousForgotten => {
            format!(
                "{file}: removed previous-password from [{db}]; the password is encrypted with key {kid}"
            )
        }
        _ => format!("{file}: encrypted the password in [{db}] with key {kid}"),
    };
    if !o.marked.is_empty() {
        let sections: Vec<String> = o.marked.iter().map(|s| format!("[{s}]")).collect();
        let verb = if o.dry_run { "would set" } else { "set" };
        line.push_str(&format!(
            "; {verb} `encryption = true` in {}, which read{} it too",
            sections.join(", "),
            if sections.len() == 1 { "s" } else { "" }
        ));
    }
    if o.keeps_previous {
        line.push_str("; previous-password is kept");
    }
    if !o.created.is_empty() {
        let verb = if o.preview.is_some() {
            "would create"
        } else {
            "created"
        };
        line.push_str(&format!(" ({verb} {})", paths(&o.created).join(", ")));
    }
    match (diff, o.dry_run) {
        (Some(diff), _) => format!("{diff}dry run, nothing written: {line}"),
        (None, true) => format!("dry run, nothing written: {line}"),
        (None, false) => line,
    }
}

/// The result of `--forget-previous`: as [`outcome`], but a file without a
/// previous password says so.
pub fn forgot(o: &Outcome, json: bool) -> String {
    if json || o.action != confpass::Action::Unchanged {
        return outcome(o, json);
    }
    let line = format!(
        "{}: there is no previous-password in [{}]; nothing changed",
        o.file.display(),
        o.db_section
    );
    if o.dry_run {
        format!("dry run, nothing written: {line}")
    } else {
        line
    }
}

#[derive(Serialize)]
struct PrunedJson {
    removed: Vec<String>,
    kept: Vec<String>,
    foreign: Vec<String>,
    changed: bool,
    dry_run: bool,
}

/// The result of `--prune-keys`, as text or JSON.
pub fn pruned(p: &confpass::Pruned, json: bool) -> String {
    if json {
        return to_json(&PrunedJson {
            removed: paths(&p.removed),
            kept: paths(&p.kept),
            foreign: paths(&p.foreign),
            changed: !p.dry_run && !p.removed.is_empty(),
            dry_run: p.dry_run,
        });
    }
    let list = |l: &[std::path::PathBuf]| paths(l).join(", ");
    let mut lines = Vec::new();
    let verb = if p.dry_run { "would remove" } else { "removed" };
    lines.push(if p.removed.is_empty() {
        "no staged or retired key file to remove".to_owned()
    } else {
        format!("{verb} {}", list(&p.removed))
    });
    if !p.kept.is_empty() {
        lines.push(format!(
            "kept {} (a given configuration file names the key)",
            list(&p.kept)
        ));
    }
    if !p.foreign.is_empty() {
        lines.push(format!(
            "left alone {} (not the key its name says)",
            list(&p.foreign)
        ));
    }
    let text = lines.join("\n");
    if p.dry_run {
        format!("dry run, nothing removed: {text}")
    } else {
        text
    }
}

#[derive(Serialize)]
struct ErrorJson<'a> {
    error: String,
    category: &'a str,
    exit_code: u8,
    /// Whether the configuration file was replaced before the failure, or,
    /// for `--prune-keys`, files were removed before it.
    committed: bool,
    /// `--prune-keys`: the files removed before the failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    removed: Option<Vec<String>>,
}

/// An error as JSON for stdout (the message also goes to stderr).
pub fn error_json(e: &Error) -> String {
    let category = match e.category() {
        Category::Usage => "usage",
        Category::Config => "config",
        Category::Key => "key",
        Category::Decrypt => "decrypt",
        Category::Io => "io",
        Category::Committed => "committed",
        _ => "internal",
    };
    to_json(&ErrorJson {
        error: e.to_string(),
        category,
        exit_code: exit_code(e.category()),
        committed: e.category() == Category::Committed,
        removed: match e {
            Error::PruneIncomplete { removed, .. } => Some(paths(removed)),
            _ => None,
        },
    })
}

/// A usage error as JSON, for `--json` callers.
pub fn usage_json(message: &str) -> String {
    to_json(&ErrorJson {
        error: message.to_owned(),
        category: "usage",
        exit_code: exit_code(Category::Usage),
        committed: false,
        removed: None,
    })
}

pub fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|e| format!("{{\"error\":\"cannot format JSON: {e}\"}}"))
}
