//! What `--check` prints: a line for the password and one for
//! `previous-password` when the file keeps one, or one JSON object, and the
//! exit code of what it found (10 plain, 11 another key, 12 corrupt). The
//! report never holds a password.

use confpass::{Report, State};
use serde::Serialize;

use crate::output::to_json;

/// `--check`'s exit code for a state: 0 decryptable, 10 plain, 11 another key, 12 corrupt.
pub fn check_code(state: &State) -> u8 {
    match state {
        State::Decryptable { .. } => 0,
        State::Plain => 10,
        State::OtherKey { .. } => 11,
        _ => 12,
    }
}

/// `--check`'s exit code for a report: the worse of the password's and, in
/// a rotation, the previous password's (a server falls back on it).
pub fn report_code(r: &Report) -> u8 {
    let previous = r.previous.as_ref().map_or(0, check_code);
    check_code(&r.state).max(previous)
}

/// A state's fields in JSON.
#[derive(Serialize)]
struct StateJson<'a> {
    state: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

impl<'a> StateJson<'a> {
    fn of(state: &'a State) -> Self {
        let (name, key_id, value_key_id, key_file, reason) = match state {
            State::Plain => ("plain", None, None, None, None),
            State::Decryptable { key_id, key } => {
                ("decryptable", Some(key_id), Some(key_id), Some(key), None)
            }
            State::OtherKey {
                value_id,
                key_id,
                key,
            } => ("other-key", Some(key_id), Some(value_id), Some(key), None),
            State::Corrupt { reason } => ("corrupt", None, None, None, Some(reason.as_str())),
            _ => ("unknown", None, None, None, None),
        };
        StateJson {
            state: name,
            key_id: key_id.map(|k| k.to_string()),
            value_key_id: value_key_id.map(|k| k.to_string()),
            key_file: key_file.map(|p| p.display().to_string()),
            reason,
        }
    }
}

#[derive(Serialize)]
struct ReportJson<'a> {
    file: String,
    server_section: &'a str,
    db_section: &'a str,
    #[serde(flatten)]
    state: StateJson<'a>,
    /// `previous-password`'s state, when the file keeps one.
    #[serde(skip_serializing_if = "Option::is_none")]
    previous: Option<StateJson<'a>>,
}

/// The result of `--check`, as text or JSON: a line for the password, and
/// one for `previous-password` when the file keeps one.
pub fn report(r: &Report, json: bool) -> String {
    if json {
        return to_json(&ReportJson {
            file: r.file.display().to_string(),
            server_section: &r.server_section,
            db_section: &r.db_section,
            state: StateJson::of(&r.state),
            previous: r.previous.as_ref().map(StateJson::of),
        });
    }
    let (file, db) = (r.file.display(), &r.db_section);
    let line = |what: &str, state: &State| match state {
        State::Plain => {
            format!("{file}: the {what} in [{db}] is plain text; encrypt it with `confpass -p`")
        }
        State::Decryptable { key_id, key } => {
            format!(
                "{file}: the {what} in [{db}] is encrypted and decrypts with key {key_id} ({})",
                key.display()
            )
        }
        State::OtherKey {
            value_id,
            key_id,
            key,
        } => format!(
            "{file}: the {what} in [{db}] is encrypted for key {value_id}, but the server's key {} is key {key_id}",
            key.display()
        ),
        State::Corrupt { reason } => format!("{file}: the {what} in [{db}] is corrupt: {reason}"),
        _ => format!("{file}: unknown state"),
    };
    let mut text = line("password", &r.state);
    if let Some(previous) = &r.previous {
        text.push('\n');
        text.push_str(&line("previous-password", previous));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_states_have_distinct_exit_codes() {
        let kid = confpass::KeyId([0; 8]);
        let codes = [
            check_code(&State::Plain),
            check_code(&State::Decryptable {
                key_id: kid,
                key: "k".into(),
            }),
            check_code(&State::OtherKey {
                value_id: kid,
                key_id: kid,
                key: "k".into(),
            }),
            check_code(&State::Corrupt {
                reason: String::new(),
            }),
        ];
        assert_eq!(codes, [10, 0, 11, 12]);
    }
}
