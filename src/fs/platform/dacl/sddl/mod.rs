//! The reader of SDDL text for `dacl`: SIDs and their two-letter aliases,
//! access masks (letters, hexadecimal, decimal), ACEs, and the components of
//! a security descriptor (`O:`, `G:`, `D:`, `S:`). Strict: anything it cannot
//! read completely is an error, and it never panics, on any input.

mod acl;
mod names;
mod sid;

use std::fmt;

use acl::{Outside, acl_flags, acl_parts, parse_dacl};
pub(in crate::fs::platform::dacl) use names::{
    ADMINISTRATORS, EVERYONE, FILE_ALL_ACCESS, FILE_GENERIC_EXECUTE, FILE_GENERIC_READ,
    FILE_GENERIC_WRITE, GENERIC_ALL, GENERIC_BITS, GENERIC_EXECUTE, GENERIC_READ, GENERIC_WRITE,
    OWNER_RIGHTS, READ_CONTROL, SYSTEM,
};
use names::{ALIASES, DOMAIN_ALIASES};
pub(crate) use sid::Sid;

/// Why an SDDL string could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SddlError(String);

impl fmt::Display for SddlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unreadable security descriptor: {}", self.0)
    }
}

impl std::error::Error for SddlError {}

fn bad(what: impl Into<String>) -> SddlError {
    SddlError(what.into())
}
/// Who an ACE or the `O:` field names: a SID, or an SDDL alias confpass
/// cannot resolve (an unknown one, or a domain alias without a domain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Trustee {
    Sid(Sid),
    Alias(String),
}

impl fmt::Display for Trustee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trustee::Sid(sid) => sid.fmt(f),
            Trustee::Alias(alias) => f.write_str(alias),
        }
    }
}

impl Trustee {
    pub(super) fn is(&self, text: &str) -> bool {
        matches!(self, Trustee::Sid(sid) if sid.is(text))
    }
}

/// An SDDL `sid-string`: a SID, or a two-letter alias resolved with `domain`.
pub(super) fn trustee(token: &str, domain: Option<&Sid>) -> Result<Trustee, SddlError> {
    if token.len() == 2 && token.bytes().all(|b| b.is_ascii_alphabetic()) {
        let alias = token.to_ascii_uppercase();
        if let Some((_, sid)) = ALIASES.iter().find(|(a, _)| *a == alias) {
            return Sid::parse(sid).map(Trustee::Sid);
        }
        if let (Some((_, rid)), Some(domain)) =
            (DOMAIN_ALIASES.iter().find(|(a, _)| *a == alias), domain)
        {
            let mut sid = domain.clone();
            sid.subs.push(*rid);
            return Ok(Trustee::Sid(sid));
        }
        return Ok(Trustee::Alias(alias));
    }
    Sid::parse(token).map(Trustee::Sid)
}

/// What an ACE does to the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `A`, and `OA`, `XA`, `ZA` taken as unconditional.
    Allow,
    /// `D`: credited against later allows for the same SID.
    Deny,
    /// `OD`, `XD`: not credited.
    UncreditedDeny,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Ace {
    pub(super) kind: Kind,
    /// `IO`: applies to children only, not to the file.
    pub(super) inherit_only: bool,
    /// `ID`: inherited from the folder (removed by `icacls /inheritance:r`).
    pub(super) inherited: bool,
    pub(super) mask: u32,
    pub(super) trustee: String,
}

#[derive(Debug, Clone)]
pub(super) enum Dacl {
    /// No `D:` component, or `D:NO_ACCESS_CONTROL`: everyone has full access.
    Null,
    Present {
        protected: bool,
        aces: Vec<Ace>,
    },
}

/// A security descriptor read from SDDL: its owner and its DACL (the group
/// and the SACL are checked for form and otherwise ignored).
#[derive(Debug, Clone)]
pub(crate) struct Descriptor {
    pub(super) owner: Option<String>,
    pub(super) dacl: Dacl,
}

impl Descriptor {
    /// Parses SDDL text (ASCII; surrounding whitespace ignored). Components
    /// `O:`, `G:`, `D:`, `S:` may come in any order, each at most once.
    pub(crate) fn parse(sddl: &str) -> Result<Descriptor, SddlError> {
        let text = sddl.trim();
        if !text.is_ascii() {
            return Err(bad("it holds a character outside ASCII"));
        }
        let bytes = text.as_bytes();
        // The colons outside parentheses end the component tags.
        let mut scan = Outside::new(text);
        let colons: Vec<usize> = scan
            .by_ref()
            .filter(|&(_, b, depth)| b == b':' && depth == 0)
            .map(|(i, ..)| i)
            .collect();
        if scan.unmatched {
            return Err(bad("an unmatched ')'"));
        }
        if scan.depth != 0 || scan.quoted {
            return Err(bad("an unclosed '(' or '\"'"));
        }
        let mut descriptor = Descriptor {
            owner: None,
            dacl: Dacl::Null,
        };
        if text.is_empty() {
            return Ok(descriptor);
        }
        if colons.first() != Some(&1) {
            return Err(bad("it does not start with O:, G:, D: or S:"));
        }
        let (mut group, mut dacl, mut sacl) = (false, false, false);
        for (k, &colon) in colons.iter().enumerate() {
            let end = colons.get(k + 1).map_or(bytes.len(), |&next| next - 1);
            if end < colon + 1 {
                return Err(bad("an empty component"));
            }
            let value = &text[colon + 1..end];
            let seen = match bytes[colon - 1] {
                b'O' => {
                    trustee(value, None)?;
                    let seen = descriptor.owner.is_some();
                    descriptor.owner = Some(value.to_owned());
                    seen
                }
                b'G' => {
                    trustee(value, None)?;
                    std::mem::replace(&mut group, true)
                }
                b'D' => {
                    descriptor.dacl = parse_dacl(value)?;
                    std::mem::replace(&mut dacl, true)
                }
                b'S' => {
                    // The SACL (audit, integrity label) says nothing of
                    // access: its form is checked, its ACEs are not read.
                    acl_flags(acl_parts(value)?.0)?;
                    std::mem::replace(&mut sacl, true)
                }
                other => {
                    return Err(bad(format!(
                        "{:?} is not a component (O:, G:, D:, S:)",
                        char::from(other)
                    )));
                }
            };
            if seen {
                return Err(bad("a component appears twice"));
            }
        }
        Ok(descriptor)
    }
}
