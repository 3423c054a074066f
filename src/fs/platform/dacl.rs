//! Whether a Windows private key is protected, decided from its security
//! descriptor in SDDL text: a pure function, compiled and tested on every OS.
//!
//! [`evaluate`] takes the descriptor (`O:…G:…D:P(A;;FA;;;SY)…`, as
//! `ConvertSecurityDescriptorToStringSecurityDescriptorW` writes it) and the
//! SID of the account the key belongs to, and gives a [`Verdict`]:
//!
//! - [`Verdict::Unprotected`] when the file has no DACL (absent, or the NULL
//!   DACL `D:NO_ACCESS_CONTROL`: everyone has full access) or its DACL is not
//!   protected (no `P` in `D:P…`): it inherits from its folder, so whoever can
//!   change the folder's ACL, or a change made to it later, decides who reads
//!   the key. `who` names those who can use the file now.
//! - [`Verdict::Exposed`] when the DACL is protected but grants some other
//!   trustee access, naming each one.
//! - [`Verdict::Protected`] when only the owner, SYSTEM (`S-1-5-18`, `SY`) and
//!   the Administrators group (`S-1-5-32-544`, `BA`) can use the file. An
//!   empty protected DACL (`D:P`) is Protected: nobody else can read the key,
//!   nor can anyone at all, so loading it fails with "access denied" (its
//!   owner may still rewrite the DACL).
//!
//! The rule mirrors Win32-OpenSSH's check of a private key
//! (`check_secure_file_permission` in `contrib/win32/win32compat/
//! w32-sshfileperm.c` of PowerShell/openssh-portable): the file's owner must
//! be the user, SYSTEM or Administrators, and every ACCESS_ALLOWED ACE must
//! name the user, SYSTEM or Administrators; any other trustee makes it refuse
//! the key ("Bad permissions. Try removing permissions for user …"). confpass
//! keeps that rule and states what it leaves to Windows; SECURITY.md names
//! the two points where it is stricter:
//!
//! - It also requires the DACL to be protected (`P`), as a key confpass makes
//!   is; OpenSSH does not look at inheritance.
//! - It does not trust `NT SERVICE\TrustedInstaller` (OpenSSH does, for files
//!   Windows ships); no Windows component needs to read a confpass key.
//! - An ACE that grants only `SYNCHRONIZE`, `READ_CONTROL` and
//!   `FILE_READ_ATTRIBUTES` gives nothing away and is allowed. Anything else
//!   counts: reading the key (`FILE_READ_DATA` 0x1, `FR`, `GR`, `FA`, `GA`,
//!   hex or decimal masks), and, as Unix's 0600 check refuses a group-writable
//!   key, writing it or changing its DACL or owner (`WRITE_DAC`, `WRITE_OWNER`
//!   let a trustee grant itself read).
//! - Inherit-only ACEs (`IO`) grant nothing on the file itself and are
//!   skipped; so are `CREATOR OWNER`, `CREATOR GROUP` and their server forms
//!   (`CO`, `CG`, `S-1-3-2`, `S-1-3-3`): outside an inheritable ACE they apply
//!   to nobody. `OWNER RIGHTS` (`OW`) is the file's owner from `O:`.
//! - A file owner other than the owner, SYSTEM or Administrators is named as
//!   exposed: an owner can always rewrite the DACL.
//! - Deny ACEs are credited conservatively: a plain deny (`D`) removes the
//!   specific rights it names only from allow ACEs *for the same SID* that come
//!   *after* it in the DACL (Windows stops at the first ACE that decides a
//!   right, in the DACL's order). A deny for another trustee (a group the
//!   allowed trustee may or may not belong to), a deny after the allow, the
//!   generic bits of a deny mask, and object or callback denies (`OD`, `XD`)
//!   are not credited. Object and callback allows (`OA`, `XA`, `ZA`) count as
//!   allows, whatever their condition.
//! - SDDL aliases of a domain's accounts and groups (`LA`, `DU`, …, which
//!   Windows also writes for the machine's own accounts) are resolved in the
//!   owner's domain; an alias that cannot be resolved is someone else.
//!
//! Any SDDL it cannot read completely is an error, never a verdict: the caller
//! refuses the key. The parser never panics, on any input.
//!
//! [`icacls_fix`] renders the command that repairs a key, and
//! [`protected_key_sddl`] the descriptor confpass gives new private keys,
//! which [`evaluate`] checks itself.
//!
//! `platform::windows` reads a key's descriptor (`GetSecurityInfo`) and
//! sets one on a new key through `windows/win32.rs`; this module decides.
//! It is compiled on every OS so that its tests run on Linux too.

#![cfg_attr(
    not(windows),
    allow(
        dead_code,
        reason = "called by platform::windows only; compiled on every OS for its tests"
    )
)]

mod sddl;

use sddl::{
    ADMINISTRATORS, Dacl, EVERYONE, FILE_ALL_ACCESS, FILE_GENERIC_EXECUTE, FILE_GENERIC_READ,
    FILE_GENERIC_WRITE, GENERIC_ALL, GENERIC_BITS, GENERIC_EXECUTE, GENERIC_READ, GENERIC_WRITE,
    Kind, OWNER_RIGHTS, READ_CONTROL, SYSTEM, Trustee, trustee,
};
pub(crate) use sddl::{Descriptor, SddlError, Sid};

/// `CREATOR OWNER`, `CREATOR GROUP`, `CREATOR OWNER SERVER`, `CREATOR GROUP
/// SERVER`: placeholders replaced on inheritance, matching nobody otherwise.
const PLACEHOLDERS: [&str; 4] = ["S-1-3-0", "S-1-3-1", "S-1-3-2", "S-1-3-3"];

const FILE_READ_ATTRIBUTES: u32 = 0x80;
const SYNCHRONIZE: u32 = 0x10_0000;
/// Rights that reveal nothing of the key and give no way to get at it.
const HARMLESS: u32 = SYNCHRONIZE | READ_CONTROL | FILE_READ_ATTRIBUTES;

/// The rights an ACE's mask gives on a file, generic bits mapped as the file
/// system maps them.
fn file_rights(mask: u32) -> u32 {
    let mut rights = mask & !GENERIC_BITS;
    for (generic, specific) in [
        (GENERIC_READ, FILE_GENERIC_READ),
        (GENERIC_WRITE, FILE_GENERIC_WRITE),
        (GENERIC_EXECUTE, FILE_GENERIC_EXECUTE),
        (GENERIC_ALL, FILE_ALL_ACCESS),
    ] {
        if mask & generic != 0 {
            rights |= specific;
        }
    }
    rights
}

/// Display names of the trustees that show up in real DACLs, for messages.
const NAMES: [(&str, &str); 17] = [
    (EVERYONE, "Everyone"),
    ("S-1-5-11", "NT AUTHORITY\\Authenticated Users"),
    ("S-1-5-32-545", "BUILTIN\\Users"),
    ("S-1-5-32-546", "BUILTIN\\Guests"),
    ("S-1-5-32-547", "BUILTIN\\Power Users"),
    ("S-1-5-32-551", "BUILTIN\\Backup Operators"),
    ("S-1-5-4", "NT AUTHORITY\\INTERACTIVE"),
    ("S-1-5-2", "NT AUTHORITY\\NETWORK"),
    ("S-1-5-6", "NT AUTHORITY\\SERVICE"),
    ("S-1-5-7", "NT AUTHORITY\\ANONYMOUS LOGON"),
    ("S-1-5-19", "NT AUTHORITY\\LOCAL SERVICE"),
    ("S-1-5-20", "NT AUTHORITY\\NETWORK SERVICE"),
    (
        "S-1-15-2-1",
        "APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES",
    ),
    (
        "S-1-15-2-2",
        "APPLICATION PACKAGE AUTHORITY\\ALL RESTRICTED APPLICATION PACKAGES",
    ),
    (
        "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464",
        "NT SERVICE\\TrustedInstaller",
    ),
    (OWNER_RIGHTS, "OWNER RIGHTS"),
    ("S-1-3-0", "CREATOR OWNER"),
];

impl Descriptor {
    /// The file's owner (`O:`) as a SID, when the descriptor names one that
    /// resolves without a domain (a SID, or an alias such as `BA` or `SY`).
    pub(crate) fn owner_sid(&self) -> Option<Sid> {
        match trustee(self.owner.as_deref()?, None) {
            Ok(Trustee::Sid(sid)) => Some(sid),
            _ => None,
        }
    }

    /// Whether `other` gives the same access as this descriptor, as far as a
    /// file can be given it: the same owner, the same protection, the same
    /// explicit ACEs in the same order. Inherited ACEs are left out: Windows
    /// recomputes them from the folder when a DACL is set, and a file's
    /// inherited ACEs may be stale.
    pub(crate) fn same_explicit_access(&self, other: &Descriptor) -> bool {
        let explicit = |d: &Descriptor| match &d.dacl {
            Dacl::Null => None,
            Dacl::Present { protected, aces } => Some((
                *protected,
                aces.iter()
                    .filter(|a| !a.inherited)
                    .cloned()
                    .collect::<Vec<_>>(),
            )),
        };
        self.owner_sid() == other.owner_sid() && explicit(self) == explicit(other)
    }
}

/// Whether a private key's DACL protects it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Only the owner, SYSTEM and Administrators can use the file.
    Protected,
    /// The DACL is protected but lets these others (SIDs, or SDDL aliases
    /// confpass cannot resolve) use the file.
    Exposed { who: Vec<String> },
    /// No DACL, or one that inherits from the folder; `who` names the others
    /// who can use the file now (Everyone for no DACL; possibly nobody).
    Unprotected { who: Vec<String> },
}

/// What [`Descriptor::assess`] finds.
struct Assessment {
    verdict: Verdict,
    /// SIDs of the explicit ACEs that let others in (what `/remove` takes).
    remove: Vec<Sid>,
    /// Whether the file's owner is someone else (what `/setowner` fixes).
    foreign_owner: bool,
}

/// Reads `sddl` and says whether it protects a private key belonging to
/// `owner`; see the module documentation for the rule. `owner` is the account
/// trusted besides SYSTEM and Administrators: the file's owner as
/// `GetSecurityInfo` reports it when a key is loaded, the account confpass
/// runs as when it makes one.
pub(crate) fn evaluate(sddl: &str, owner: &Sid) -> Result<Verdict, SddlError> {
    Descriptor::parse(sddl).map(|d| d.verdict(owner))
}

impl Descriptor {
    /// The verdict for a private key belonging to `owner`.
    pub(crate) fn verdict(&self, owner: &Sid) -> Verdict {
        self.assess(owner).verdict
    }

    /// The commands that give the file a protected DACL for `owner`, SYSTEM
    /// and Administrators only: [`icacls_fix`] with every other trustee of an
    /// explicit ACE removed (those with a SID; an alias confpass cannot
    /// resolve cannot be named), then `/setowner` when the file belongs to
    /// someone else.
    pub(crate) fn icacls_fix(&self, path: &str, owner: &Sid) -> Vec<String> {
        let found = self.assess(owner);
        let mut commands = vec![icacls_fix(path, owner, &found.remove)];
        if found.foreign_owner {
            commands.push(format!("icacls \"{path}\" /setowner \"*{owner}\""));
        }
        commands
    }

    fn assess(&self, owner: &Sid) -> Assessment {
        let domain = owner.domain();
        let resolve = |token: &str| {
            trustee(token, domain.as_ref()).unwrap_or_else(|_| Trustee::Alias(token.to_owned()))
        };
        let trusted = |t: &Trustee| match t {
            Trustee::Sid(sid) => sid == owner || sid.is_builtin_trusted(),
            Trustee::Alias(_) => false,
        };
        let file_owner = self.owner.as_deref().map(resolve);
        let mut who: Vec<Trustee> = Vec::new();
        let foreign_owner = file_owner.as_ref().filter(|o| !trusted(o));
        who.extend(foreign_owner.cloned());
        let mut remove: Vec<Sid> = Vec::new();
        let (protected, aces) = match &self.dacl {
            Dacl::Null => {
                who.push(resolve(EVERYONE));
                return Assessment {
                    verdict: Verdict::Unprotected {
                        who: who.iter().map(Trustee::to_string).collect(),
                    },
                    remove,
                    foreign_owner: foreign_owner.is_some(),
                };
            }
            Dacl::Present { protected, aces } => (*protected, aces),
        };
        // Rights denied so far, by SID, from plain deny ACEs.
        let mut denied: Vec<(Trustee, u32)> = Vec::new();
        for ace in aces.iter().filter(|a| !a.inherit_only) {
            let named = resolve(&ace.trustee);
            if PLACEHOLDERS.iter().any(|p| named.is(p)) {
                continue;
            }
            let effective = if named.is(OWNER_RIGHTS) {
                file_owner.clone().unwrap_or(named.clone())
            } else {
                named.clone()
            };
            match ace.kind {
                Kind::Deny => match denied.iter_mut().find(|(t, _)| *t == effective) {
                    Some((_, bits)) => *bits |= ace.mask & !GENERIC_BITS,
                    None => denied.push((effective, ace.mask & !GENERIC_BITS)),
                },
                Kind::UncreditedDeny => {}
                Kind::Allow => {
                    if trusted(&effective) {
                        continue;
                    }
                    let refused = denied
                        .iter()
                        .find(|(t, _)| *t == effective)
                        .map_or(0, |(_, bits)| *bits);
                    if file_rights(ace.mask) & !refused & !HARMLESS == 0 {
                        continue;
                    }
                    if !who.contains(&effective) {
                        who.push(effective);
                    }
                    if let (false, Trustee::Sid(sid)) = (ace.inherited, named)
                        && !remove.contains(&sid)
                    {
                        remove.push(sid);
                    }
                }
            }
        }
        let who: Vec<String> = who.iter().map(Trustee::to_string).collect();
        let verdict = if !protected {
            Verdict::Unprotected { who }
        } else if who.is_empty() {
            Verdict::Protected
        } else {
            Verdict::Exposed { who }
        };
        Assessment {
            verdict,
            remove,
            foreign_owner: foreign_owner.is_some(),
        }
    }
}

/// The `icacls` command (for `cmd.exe` or PowerShell) that gives the file at
/// `path` a protected DACL granting full control to SYSTEM, Administrators
/// and `owner` only, dropping every inherited ACE and the explicit ones of
/// the trustees in `remove`. Accounts are given by SID (`*S-1-…`), which
/// every language of Windows reads alike; the path is quoted, not escaped (a
/// Windows path holds no `"`).
pub(crate) fn icacls_fix(path: &str, owner: &Sid, remove: &[Sid]) -> String {
    let mut command = format!(
        "icacls \"{path}\" /inheritance:r /grant:r \"*{SYSTEM}:F\" \"*{ADMINISTRATORS}:F\""
    );
    if !owner.is_builtin_trusted() {
        command.push_str(&format!(" \"*{owner}:F\""));
    }
    if !remove.is_empty() {
        command.push_str(" /remove");
        for sid in remove {
            command.push_str(&format!(" \"*{sid}\""));
        }
    }
    command
}

/// The DACL confpass gives a new private key before writing a byte of it:
/// protected, full control for SYSTEM, Administrators and `owner`.
pub(crate) fn protected_key_sddl(owner: &Sid) -> String {
    let mut sddl = String::from("D:P(A;;FA;;;SY)(A;;FA;;;BA)");
    if !owner.is_builtin_trusted() {
        sddl.push_str(&format!("(A;;FA;;;{owner})"));
    }
    debug_assert_eq!(evaluate(&sddl, owner), Ok(Verdict::Protected));
    sddl
}

/// A trustee of a verdict for a message: `BUILTIN\Users (S-1-5-32-545)` for
/// the well-known ones, the SID or alias itself otherwise.
pub(crate) fn describe(trustee: &str) -> String {
    match NAMES.iter().find(|(sid, _)| *sid == trustee) {
        Some((sid, name)) => format!("{name} ({sid})"),
        None => trustee.to_owned(),
    }
}

#[cfg(test)]
mod tests;
