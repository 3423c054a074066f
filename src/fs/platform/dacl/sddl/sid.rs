//! [`Sid`]: a security identifier read from SDDL (`S-1-5-…` or a two-letter
//! alias), compared and shown the way Windows writes it.

use std::fmt;

use super::names::{ADMINISTRATORS, SYSTEM};
use super::{SddlError, bad};

/// A security identifier, `S-1-<authority>-<subauthority>…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sid {
    pub(in crate::fs::platform::dacl) authority: u64,
    pub(in crate::fs::platform::dacl) subs: Vec<u32>,
}

impl Sid {
    /// Parses the standard string form (`S-1-5-21-…-1001`); an SDDL alias
    /// such as `SY` is not a SID here.
    pub(crate) fn parse(text: &str) -> Result<Sid, SddlError> {
        let not_sid = || bad(format!("{text:?} is not a SID (S-1-…)"));
        let mut parts = text.split('-');
        if !parts.next().is_some_and(|s| s.eq_ignore_ascii_case("S")) || parts.next() != Some("1") {
            return Err(not_sid());
        }
        let authority = parts.next().ok_or_else(not_sid)?;
        let authority = match authority
            .strip_prefix("0x")
            .or_else(|| authority.strip_prefix("0X"))
        {
            Some(hex)
                if (1..=12).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                u64::from_str_radix(hex, 16).map_err(|_| not_sid())?
            }
            Some(_) => return Err(not_sid()),
            None => decimal(authority)
                .filter(|&a| a < 1 << 48)
                .ok_or_else(not_sid)?,
        };
        let mut subs = Vec::new();
        for part in parts {
            let sub = decimal(part)
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(not_sid)?;
            subs.push(sub);
        }
        if subs.len() > 15 {
            return Err(bad(format!("{text:?} has more than 15 subauthorities")));
        }
        Ok(Sid { authority, subs })
    }

    /// Whether this is the SID written `text` (a canonical constant).
    pub(in crate::fs::platform::dacl) fn is(&self, text: &str) -> bool {
        Sid::parse(text).is_ok_and(|s| s == *self)
    }

    /// `S-1-5-21-a-b-c` for an account `S-1-5-21-a-b-c-rid` of a domain (or of
    /// the machine's own accounts domain).
    pub(in crate::fs::platform::dacl) fn domain(&self) -> Option<Sid> {
        match self.subs.as_slice() {
            [21, a, b, c, _rid] if self.authority == 5 => Some(Sid {
                authority: 5,
                subs: vec![21, *a, *b, *c],
            }),
            _ => None,
        }
    }

    /// SYSTEM or Administrators, which a protected key always grants.
    pub(crate) fn is_builtin_trusted(&self) -> bool {
        self.is(SYSTEM) || self.is(ADMINISTRATORS)
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.authority < 1 << 32 {
            write!(f, "S-1-{}", self.authority)?;
        } else {
            write!(f, "S-1-0x{:012X}", self.authority)?;
        }
        for sub in &self.subs {
            write!(f, "-{sub}")?;
        }
        Ok(())
    }
}

/// Unsigned decimal digits (leading zeros allowed, as Windows reads them).
pub(super) fn decimal(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}
