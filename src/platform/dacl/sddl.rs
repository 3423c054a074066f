//! The reader of SDDL text for `dacl`: SIDs and their two-letter aliases,
//! access masks (letters, hexadecimal, decimal), ACEs, and the components of
//! a security descriptor (`O:`, `G:`, `D:`, `S:`). Strict: anything it cannot
//! read completely is an error, and it never panics, on any input.

use std::fmt;

/// `NT AUTHORITY\SYSTEM`.
pub(super) const SYSTEM: &str = "S-1-5-18";
/// `BUILTIN\Administrators`.
pub(super) const ADMINISTRATORS: &str = "S-1-5-32-544";
/// `Everyone`, what a missing or NULL DACL lets in.
pub(super) const EVERYONE: &str = "S-1-1-0";
/// `OWNER RIGHTS`: the file's current owner.
pub(super) const OWNER_RIGHTS: &str = "S-1-3-4";

pub(super) const READ_CONTROL: u32 = 0x2_0000;

pub(super) const GENERIC_ALL: u32 = 0x1000_0000;
pub(super) const GENERIC_EXECUTE: u32 = 0x2000_0000;
pub(super) const GENERIC_WRITE: u32 = 0x4000_0000;
pub(super) const GENERIC_READ: u32 = 0x8000_0000;
pub(super) const GENERIC_BITS: u32 = GENERIC_ALL | GENERIC_EXECUTE | GENERIC_WRITE | GENERIC_READ;
pub(super) const FILE_ALL_ACCESS: u32 = 0x1F_01FF;
pub(super) const FILE_GENERIC_READ: u32 = 0x12_0089;
pub(super) const FILE_GENERIC_WRITE: u32 = 0x12_0116;
pub(super) const FILE_GENERIC_EXECUTE: u32 = 0x12_00A0;

/// SDDL's two-letter access rights: generic, standard, directory-service
/// (the same bits as file rights: `CC` is `FILE_READ_DATA`), file, registry
/// and mandatory-label codes.
const RIGHTS: [(&str, u32); 27] = [
    ("GA", GENERIC_ALL),
    ("GR", GENERIC_READ),
    ("GW", GENERIC_WRITE),
    ("GX", GENERIC_EXECUTE),
    ("RC", READ_CONTROL),
    ("SD", 0x1_0000),
    ("WD", 0x4_0000),
    ("WO", 0x8_0000),
    ("CC", 0x1),
    ("DC", 0x2),
    ("LC", 0x4),
    ("SW", 0x8),
    ("RP", 0x10),
    ("WP", 0x20),
    ("DT", 0x40),
    ("LO", 0x80),
    ("CR", 0x100),
    ("FA", FILE_ALL_ACCESS),
    ("FR", FILE_GENERIC_READ),
    ("FW", FILE_GENERIC_WRITE),
    ("FX", FILE_GENERIC_EXECUTE),
    ("KA", 0xF_003F),
    ("KR", 0x2_0019),
    ("KW", 0x2_0006),
    ("KX", 0x2_0019),
    ("NW", 0x1),
    ("NR", 0x2),
];

/// SDDL aliases of well-known SIDs (Sddl.h).
const ALIASES: [(&str, &str); 49] = [
    ("AA", "S-1-5-32-579"),
    ("AC", "S-1-15-2-1"),
    ("AN", "S-1-5-7"),
    ("AO", "S-1-5-32-548"),
    ("AS", "S-1-18-1"),
    ("AU", "S-1-5-11"),
    ("BA", ADMINISTRATORS),
    ("BG", "S-1-5-32-546"),
    ("BO", "S-1-5-32-551"),
    ("BU", "S-1-5-32-545"),
    ("CD", "S-1-5-32-574"),
    ("CG", "S-1-3-1"),
    ("CO", "S-1-3-0"),
    ("CY", "S-1-5-32-569"),
    ("ED", "S-1-5-9"),
    ("ER", "S-1-5-32-573"),
    ("ES", "S-1-5-32-576"),
    ("HA", "S-1-5-32-578"),
    ("HI", "S-1-16-12288"),
    ("IS", "S-1-5-32-568"),
    ("IU", "S-1-5-4"),
    ("LS", "S-1-5-19"),
    ("LU", "S-1-5-32-559"),
    ("LW", "S-1-16-4096"),
    ("ME", "S-1-16-8192"),
    ("MP", "S-1-16-8448"),
    ("MS", "S-1-5-32-577"),
    ("MU", "S-1-5-32-558"),
    ("NO", "S-1-5-32-556"),
    ("NS", "S-1-5-20"),
    ("NU", "S-1-5-2"),
    ("OW", OWNER_RIGHTS),
    ("PO", "S-1-5-32-550"),
    ("PS", "S-1-5-10"),
    ("PU", "S-1-5-32-547"),
    ("RA", "S-1-5-32-575"),
    ("RC", "S-1-5-12"),
    ("RD", "S-1-5-32-555"),
    ("RE", "S-1-5-32-552"),
    ("RM", "S-1-5-32-580"),
    ("RU", "S-1-5-32-554"),
    ("SI", "S-1-16-16384"),
    ("SO", "S-1-5-32-549"),
    ("SS", "S-1-18-2"),
    ("SU", "S-1-5-6"),
    ("SY", SYSTEM),
    ("UD", "S-1-5-84-0-0-0-0-0"),
    ("WD", EVERYONE),
    ("WR", "S-1-5-33"),
];

/// SDDL aliases of accounts and groups of a domain (or of the machine's own
/// accounts domain): their relative ids. confpass resolves them in the owner's
/// domain (`S-1-5-21-a-b-c`), the only domain it knows; an owner outside a
/// domain leaves them unresolved, hence foreign.
const DOMAIN_ALIASES: [(&str, u32); 17] = [
    ("LA", 500),
    ("LG", 501),
    ("RO", 498),
    ("DA", 512),
    ("DU", 513),
    ("DG", 514),
    ("DC", 515),
    ("DD", 516),
    ("CA", 517),
    ("SA", 518),
    ("EA", 519),
    ("PA", 520),
    ("CN", 522),
    ("AP", 525),
    ("KA", 526),
    ("EK", 527),
    ("RS", 553),
];

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

/// A security identifier, `S-1-<authority>-<subauthority>…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sid {
    pub(super) authority: u64,
    pub(super) subs: Vec<u32>,
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
    pub(super) fn is(&self, text: &str) -> bool {
        Sid::parse(text).is_ok_and(|s| s == *self)
    }

    /// `S-1-5-21-a-b-c` for an account `S-1-5-21-a-b-c-rid` of a domain (or of
    /// the machine's own accounts domain).
    pub(super) fn domain(&self) -> Option<Sid> {
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
fn decimal(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
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

/// The bytes of SDDL text outside quoted strings, each with its index and
/// depth: how many parentheses enclose it (a `(` or `)` not counting
/// itself). A `"` opens a string only inside parentheses, where conditions
/// and attribute values hold them; a `)` with none open sets `unmatched`.
struct Outside<'a> {
    bytes: std::iter::Enumerate<std::slice::Iter<'a, u8>>,
    depth: usize,
    quoted: bool,
    unmatched: bool,
}

impl<'a> Outside<'a> {
    fn new(text: &'a str) -> Self {
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
fn acl_parts(value: &str) -> Result<(&str, Vec<&str>), SddlError> {
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
fn acl_flags(mut flags: &str) -> Result<(bool, bool), SddlError> {
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
fn parse_dacl(value: &str) -> Result<Dacl, SddlError> {
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
fn parse_ace(text: &str) -> Result<Ace, SddlError> {
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
fn parse_rights(text: &str) -> Result<u32, SddlError> {
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
