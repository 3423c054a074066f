//! The parts of an ACL component: its flags, its ACEs (type, flags, rights,
//! trustee, and a condition read only to be skipped), and the access mask in
//! its three spellings. Parentheses and quoted strings are walked once, by
//! [`Outside`].

use super::names::RIGHTS;
use super::sid::decimal;
use super::{Ace, Dacl, Kind, SddlError, bad, trustee};

/// The bytes of SDDL text outside quoted strings, each with its index and
/// depth: how many parentheses enclose it (a `(` or `)` not counting
/// itself). A `"` opens a string only inside parentheses, where conditions
/// and attribute values hold them; a `)` with none open sets `unmatched`.
pub(super) struct Outside<'a> {
    bytes: std::iter::Enumerate<std::slice::Iter<'a, u8>>,
    pub(super) depth: usize,
    pub(super) quoted: bool,
    pub(super) unmatched: bool,
}

impl<'a> Outside<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Outside {
            bytes: text.as_bytes().iter().enumerate(),
            depth: 0,
            quoted: false,
            unmatched: false,
        }
    }
}

impl Iterator for Outside<'_> {
    type Item = (usize, u8, usize);

    fn next(&mut self) -> Option<Self::Item> {
        for (i, &b) in self.bytes.by_ref() {
            if self.quoted {
                self.quoted = b != b'"';
                continue;
            }
            match b {
                b'"' if self.depth > 0 => self.quoted = true,
                b'(' => {
                    self.depth += 1;
                    return Some((i, b, self.depth - 1));
                }
                b')' => {
                    match self.depth.checked_sub(1) {
                        Some(depth) => self.depth = depth,
                        None => self.unmatched = true,
                    }
                    return Some((i, b, self.depth));
                }
                _ => return Some((i, b, self.depth)),
            }
        }
        None
    }
}

/// The flags and the ACE texts (inside their parentheses) of an ACL component.
pub(super) fn acl_parts(value: &str) -> Result<(&str, Vec<&str>), SddlError> {
    let start = value.find('(').unwrap_or(value.len());
    let (flags, mut rest) = value.split_at(start);
    let mut aces = Vec::new();
    while !rest.is_empty() {
        let bytes = rest.as_bytes();
        if bytes[0] != b'(' {
            return Err(bad(format!("{rest:?} is not an ACE in parentheses")));
        }
        let (close, ..) = Outside::new(rest)
            .find(|&(_, b, depth)| b == b')' && depth == 0)
            .ok_or_else(|| bad("an unclosed ACE"))?;
        aces.push(&rest[1..close]);
        rest = &rest[close + 1..];
    }
    Ok((flags, aces))
}

/// An ACL's flags (`P`, `AI`, `AR`, `NO_ACCESS_CONTROL`, in any order):
/// whether it is protected, and whether it is the NULL ACL.
pub(super) fn acl_flags(mut flags: &str) -> Result<(bool, bool), SddlError> {
    let (mut protected, mut null) = (false, false);
    while !flags.is_empty() {
        if let Some(rest) = flags.strip_prefix("NO_ACCESS_CONTROL") {
            null = true;
            flags = rest;
        } else if let Some(rest) = flags.strip_prefix('P') {
            protected = true;
            flags = rest;
        } else if let Some(rest) = flags
            .strip_prefix("AI")
            .or_else(|| flags.strip_prefix("AR"))
        {
            flags = rest;
        } else {
            return Err(bad(format!("{flags:?} is not an ACL flag (P, AI, AR)")));
        }
    }
    Ok((protected, null))
}

/// A `D:` component: flags and ACEs.
pub(super) fn parse_dacl(value: &str) -> Result<Dacl, SddlError> {
    let (flags, texts) = acl_parts(value)?;
    let (protected, null) = acl_flags(flags)?;
    if null {
        return if texts.is_empty() {
            Ok(Dacl::Null)
        } else {
            Err(bad("a NULL DACL with ACEs"))
        };
    }
    let aces = texts
        .into_iter()
        .map(parse_ace)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Dacl::Present { protected, aces })
}

/// `type;flags;rights;object guid;inherit object guid;sid[;condition]`.
pub(super) fn parse_ace(text: &str) -> Result<Ace, SddlError> {
    let mut fields = Vec::new();
    let mut start = 0;
    for (i, b, depth) in Outside::new(text) {
        if b == b';' && depth == 0 && fields.len() < 6 {
            fields.push(&text[start..i]);
            start = i + 1;
        }
    }
    fields.push(&text[start..]);
    let [
        kind,
        flags,
        rights,
        _object,
        _inherited_object,
        sid,
        condition @ ..,
    ] = fields.as_slice()
    else {
        return Err(bad(format!("ACE ({text}) has fewer than six fields")));
    };
    let (kind, conditional) = match *kind {
        "A" | "OA" => (Kind::Allow, false),
        "XA" | "ZA" => (Kind::Allow, true),
        "D" => (Kind::Deny, false),
        "OD" => (Kind::UncreditedDeny, false),
        "XD" => (Kind::UncreditedDeny, true),
        other => {
            return Err(bad(format!(
                "ACE ({text}) is of type {other:?}, which has no place in a DACL"
            )));
        }
    };
    if !condition.is_empty() && !conditional {
        return Err(bad(format!("ACE ({text}) has more than six fields")));
    }
    let (mut inherit_only, mut inherited) = (false, false);
    if !flags.len().is_multiple_of(2) {
        return Err(bad(format!("{flags:?} are not ACE flags")));
    }
    for i in (0..flags.len()).step_by(2) {
        match &flags[i..i + 2] {
            "IO" => inherit_only = true,
            "ID" => inherited = true,
            "CI" | "OI" | "NP" | "SA" | "FA" | "TP" | "CR" => {}
            other => return Err(bad(format!("{other:?} is not an ACE flag"))),
        }
    }
    trustee(sid, None)?;
    Ok(Ace {
        kind,
        inherit_only,
        inherited,
        mask: parse_rights(rights)?,
        trustee: (*sid).to_owned(),
    })
}

/// An access mask: hexadecimal (`0x1200a9`), decimal, or two-letter codes.
pub(super) fn parse_rights(text: &str) -> Result<u32, SddlError> {
    let wrong = || bad(format!("{text:?} is not an access mask"));
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        if hex.is_empty() || hex.len() > 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(wrong());
        }
        return u32::from_str_radix(hex, 16).map_err(|_| wrong());
    }
    if text.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        // A leading zero would be octal to some readers: refused, not guessed.
        if text.len() > 1 && text.starts_with('0') {
            return Err(wrong());
        }
        return decimal(text)
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(wrong);
    }
    if !text.len().is_multiple_of(2) {
        return Err(wrong());
    }
    let mut mask = 0;
    for i in (0..text.len()).step_by(2) {
        let code = &text[i..i + 2];
        let (_, bits) = RIGHTS.iter().find(|(c, _)| *c == code).ok_or_else(wrong)?;
        mask |= bits;
    }
    Ok(mask)
}
