//! Real-world descriptors (the ACLs a file inherits under `C:\Program
//! Files`, `C:\ProgramData` and a folder at the drive root, as Windows Server
//! 2016–2022 ship them), every rule of the module, the `icacls` fix, the DACL
//! of new keys, and a parser that never panics.

use proptest::prelude::*;

use super::*;

/// The account the key belongs to.
const USER: &str = "S-1-5-21-1004336348-1177238915-682003330-1001";
/// Another account of the same machine.
const OTHER: &str = "S-1-5-21-1004336348-1177238915-682003330-1002";
const USERS: &str = "S-1-5-32-545";
const AUTHENTICATED_USERS: &str = "S-1-5-11";
const ALL_APP_PACKAGES: &str = "S-1-15-2-1";
const ALL_RESTRICTED_APP_PACKAGES: &str = "S-1-15-2-2";
const TRUSTED_INSTALLER: &str = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464";

fn sid(text: &str) -> Sid {
    Sid::parse(text).expect("a SID")
}

fn user() -> Sid {
    sid(USER)
}

fn verdict(sddl: &str) -> Verdict {
    evaluate(sddl, &user()).unwrap_or_else(|e| panic!("{sddl}: {e}"))
}

fn exposed(who: &[&str]) -> Verdict {
    Verdict::Exposed {
        who: who.iter().map(|s| s.to_string()).collect(),
    }
}

fn unprotected(who: &[&str]) -> Verdict {
    Verdict::Unprotected {
        who: who.iter().map(|s| s.to_string()).collect(),
    }
}

/// A protected DACL for the user, SYSTEM and Administrators, then `extra`.
fn protected_plus(extra: &str) -> String {
    format!("O:{USER}G:{USER}D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;{USER}){extra}")
}

// ---------------------------------------------------------------------------
// Real-world descriptors
// ---------------------------------------------------------------------------

/// `C:\Program Files` itself (Get-Acl's Sddl on Windows Server 2019/2022).
fn program_files() -> String {
    format!(
        "O:{TRUSTED_INSTALLER}G:{TRUSTED_INSTALLER}D:PAI(A;;FA;;;{TRUSTED_INSTALLER})\
         (A;CIIO;GA;;;{TRUSTED_INSTALLER})(A;;0x1301bf;;;SY)(A;OICIIO;GA;;;SY)\
         (A;;0x1301bf;;;BA)(A;OICIIO;GA;;;BA)(A;;0x1200a9;;;BU)(A;OICIIO;GXGR;;;BU)\
         (A;OICIIO;GA;;;CO)(A;;0x1200a9;;;AC)(A;OICIIO;GXGR;;;AC)\
         (A;;0x1200a9;;;{ALL_RESTRICTED_APP_PACKAGES})\
         (A;OICIIO;GXGR;;;{ALL_RESTRICTED_APP_PACKAGES})"
    )
}

#[test]
fn fail_key_under_program_files_inherits_users_read() {
    // `C:\Program Files\GCTI\ConfigServer\dec.pem` written by the user: the
    // object-inheritable ACEs of Program Files, generic rights mapped, CREATOR
    // OWNER become the creator; TrustedInstaller's ACE is for folders only.
    let sddl = format!(
        "O:{USER}G:{USER}D:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;0x1200a9;;;BU)\
         (A;ID;FA;;;{USER})(A;ID;0x1200a9;;;AC)(A;ID;0x1200a9;;;{ALL_RESTRICTED_APP_PACKAGES})"
    );
    assert_eq!(
        verdict(&sddl),
        unprotected(&[USERS, ALL_APP_PACKAGES, ALL_RESTRICTED_APP_PACKAGES])
    );
}

#[test]
fn fail_program_files_own_descriptor_names_trusted_installer_first() {
    // Its owner is TrustedInstaller (it could rewrite the DACL), and
    // TrustedInstaller, Users and the app-package groups have access.
    assert_eq!(
        verdict(&program_files()),
        exposed(&[
            TRUSTED_INSTALLER,
            USERS,
            ALL_APP_PACKAGES,
            ALL_RESTRICTED_APP_PACKAGES
        ])
    );
}

#[test]
fn fail_programdata_itself_lets_users_read_and_write() {
    let sddl = "O:SYG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICIIO;GA;;;CO)\
                (A;OICI;0x1200a9;;;BU)(A;CI;DCLCRPCR;;;BU)";
    assert_eq!(verdict(sddl), exposed(&[USERS]));
    // The folder-only write ACE alone (add file, add folder, write
    // attributes and EA: 0x116) is an exposure too.
    let write_only = "O:SYD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;CI;DCLCRPCR;;;BU)";
    assert_eq!(verdict(write_only), exposed(&[USERS]));
}

#[test]
fn fail_key_under_programdata_inherits_users_read() {
    // `C:\ProgramData\GCTI\dec.pem`, GCTI created by the user: CREATOR OWNER
    // became the user; Users' write ACE is for folders only.
    let sddl = format!(
        "O:{USER}G:{USER}D:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;FA;;;{USER})(A;ID;0x1200a9;;;BU)"
    );
    assert_eq!(verdict(&sddl), unprotected(&[USERS]));
}

#[test]
fn fail_key_under_a_drive_root_folder_inherits_authenticated_users_modify() {
    // `C:\GCTI\dec.pem`: the drive root (`D:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)
    // (A;OICI;0x1200a9;;;BU)(A;OICIIO;SDGXGWGR;;;AU)(A;;LC;;;AU)`) grants
    // Authenticated Users Modify (SDGXGWGR mapped: 0x1301bf) below it; the
    // owner has no ACE of its own. (This, not ProgramData, is where
    // Authenticated Users get Modify.)
    let sddl = format!(
        "O:{USER}G:{USER}D:AI(A;ID;FA;;;BA)(A;ID;FA;;;SY)(A;ID;0x1200a9;;;BU)\
         (A;ID;0x1301bf;;;AU)"
    );
    assert_eq!(verdict(&sddl), unprotected(&[USERS, AUTHENTICATED_USERS]));
}

#[test]
fn key_with_owner_system_and_administrators_only_is_protected() {
    assert_eq!(verdict(&protected_plus("")), Verdict::Protected);
    // The auto-inherited flag and the order change nothing.
    let sddl = format!("O:{USER}G:{USER}D:PAI(A;;FA;;;{USER})(A;;FA;;;BA)(A;;FA;;;SY)");
    assert_eq!(verdict(&sddl), Verdict::Protected);
    // icacls' usual result: read for the owner, nobody else.
    assert_eq!(
        verdict(&format!("O:{USER}D:P(A;;FR;;;{USER})")),
        Verdict::Protected
    );
    // Administrators or SYSTEM may own it.
    let sddl = format!("O:BAG:SYD:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;{USER})");
    assert_eq!(verdict(&sddl), Verdict::Protected);
}

#[test]
fn fail_same_aces_without_protection_are_unprotected() {
    let sddl = format!("O:{USER}G:{USER}D:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;FA;;;{USER})");
    assert_eq!(verdict(&sddl), unprotected(&[]));
    let sddl = format!("D:(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;{USER})");
    assert_eq!(verdict(&sddl), unprotected(&[]));
}

#[test]
fn fail_everyone_users_authenticated_users_and_interactive_can_read() {
    for (ace, who) in [
        ("(A;;FR;;;WD)", EVERYONE),
        ("(A;;0x1200a9;;;BU)", USERS),
        ("(A;;GR;;;AU)", AUTHENTICATED_USERS),
        ("(A;;FA;;;IU)", "S-1-5-4"),
        ("(A;;GA;;;S-1-5-32-545)", USERS),
        (&format!("(A;;FR;;;{OTHER})"), OTHER),
    ] {
        assert_eq!(verdict(&protected_plus(ace)), exposed(&[who]), "{ace}");
    }
}

#[test]
fn fail_every_reader_is_named_once_in_order() {
    let sddl = protected_plus("(A;;FR;;;WD)(A;;FR;;;BU)(A;;FW;;;WD)(A;;FR;;;AU)");
    assert_eq!(
        verdict(&sddl),
        exposed(&[EVERYONE, USERS, AUTHENTICATED_USERS])
    );
}

#[test]
fn fail_null_or_missing_dacl_lets_everyone_in() {
    for sddl in [
        "D:NO_ACCESS_CONTROL",
        "O:SYG:SYD:NO_ACCESS_CONTROL",
        "O:SYG:SYD:PNO_ACCESS_CONTROL",
        "O:SYG:SY",
        "",
        "  ",
    ] {
        assert_eq!(verdict(sddl), unprotected(&[EVERYONE]), "{sddl:?}");
    }
}

#[test]
fn empty_protected_dacl_is_protected_though_nobody_can_read() {
    // Nobody but the owner (who may rewrite the DACL) can do anything: no
    // one else can read the key, so the verdict is Protected; loading it
    // then fails with "access denied".
    assert_eq!(verdict("D:P"), Verdict::Protected);
    assert_eq!(
        verdict(&format!("O:{USER}G:{USER}D:PAI")),
        Verdict::Protected
    );
}

#[test]
fn inherit_only_and_creator_aces_grant_nothing_on_the_file() {
    let sddl = protected_plus("(A;OICIIO;GA;;;WD)(A;OICIIO;GA;;;CO)(A;CIIO;FA;;;BU)");
    assert_eq!(verdict(&sddl), Verdict::Protected);
    // CREATOR OWNER / GROUP in an effective ACE match nobody.
    let sddl = protected_plus("(A;;FA;;;CO)(A;;FA;;;CG)(A;;FA;;;S-1-3-2)(A;;FA;;;S-1-3-3)");
    assert_eq!(verdict(&sddl), Verdict::Protected);
}

#[test]
fn owner_rights_are_the_files_owner() {
    let sddl = format!("O:{USER}D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;OW)");
    assert_eq!(verdict(&sddl), Verdict::Protected);
}

#[test]
fn fail_owner_rights_of_another_owner_and_unknown_owner() {
    let sddl = format!("O:{OTHER}D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;OW)");
    assert_eq!(verdict(&sddl), exposed(&[OTHER]));
    // Without O:, who OW is cannot be known: it is named as such.
    let sddl = "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;OW)";
    assert_eq!(verdict(sddl), exposed(&[OWNER_RIGHTS]));
}

#[test]
fn fail_file_owned_by_someone_else_is_exposed_to_them() {
    // An owner can always rewrite the DACL, whatever it says.
    let sddl = format!("O:{OTHER}G:{OTHER}D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;{USER})");
    assert_eq!(verdict(&sddl), exposed(&[OTHER]));
}

#[test]
fn deny_before_the_allow_for_the_same_trustee_protects() {
    let sddl = protected_plus("").replace("D:P", "D:P(D;;FA;;;BU)") + "(A;;FR;;;BU)";
    assert_eq!(verdict(&sddl), Verdict::Protected);
    // A deny of exactly what the allow grants, beyond the harmless rights.
    let sddl = protected_plus("(D;;0x1;;;WD)(A;;0x100081;;;WD)");
    assert_eq!(verdict(&sddl), Verdict::Protected);
}

#[test]
fn fail_deny_after_the_allow_or_for_another_trustee_does_not_protect() {
    // After: Windows has already granted read when it reaches the deny.
    let sddl = protected_plus("(A;;FR;;;BU)(D;;FA;;;BU)");
    assert_eq!(verdict(&sddl), exposed(&[USERS]));
    // Another trustee: denying Everyone is not credited to Users.
    let sddl = protected_plus("(D;;FA;;;WD)(A;;FR;;;BU)");
    assert_eq!(verdict(&sddl), exposed(&[USERS]));
    // Partial: read data denied, write still allowed.
    let sddl = protected_plus("(D;;0x1;;;BU)(A;;FA;;;BU)");
    assert_eq!(verdict(&sddl), exposed(&[USERS]));
    // Generic bits of a deny and object or callback denies are not credited.
    let sddl = protected_plus("(D;;GA;;;BU)(A;;FR;;;BU)");
    assert_eq!(verdict(&sddl), exposed(&[USERS]));
    let sddl = protected_plus("(OD;;FA;;;BU)(XD;;FA;;;BU;(Member_of {SID(BA)}))(A;;FR;;;BU)");
    assert_eq!(verdict(&sddl), exposed(&[USERS]));
    // An inherit-only deny denies nothing on the file.
    let sddl = protected_plus("(D;OICIIO;FA;;;BU)(A;;FR;;;BU)");
    assert_eq!(verdict(&sddl), exposed(&[USERS]));
}

#[test]
fn fail_hex_decimal_and_letter_masks_that_read_write_or_take_control() {
    for mask in [
        "0x1",        // FILE_READ_DATA
        "0x00000001", // the same, padded
        "0X1200A9",   // read and execute, upper case
        "1179817",    // 0x1200a9 in decimal
        "0x80000000", // GENERIC_READ
        "0x10000000", // GENERIC_ALL
        "0x2",        // FILE_WRITE_DATA
        "0x40000",    // WRITE_DAC: can grant itself read
        "0x80000",    // WRITE_OWNER
        "CC",         // 0x1 spelled as a directory-service right
        "RPWP",       // write EA, execute
        "SD",         // DELETE
    ] {
        assert_eq!(
            verdict(&protected_plus(&format!("(A;;{mask};;;BU)"))),
            exposed(&[USERS]),
            "{mask}"
        );
    }
}

#[test]
fn harmless_masks_give_nothing_away() {
    for mask in ["0x100000", "0x20000", "0x80", "0x120080", "RCLO", "0", ""] {
        assert_eq!(
            verdict(&protected_plus(&format!("(A;;{mask};;;WD)"))),
            Verdict::Protected,
            "{mask:?}"
        );
    }
}

#[test]
fn fail_object_and_callback_allows_count_whatever_their_condition() {
    for ace in [
        "(OA;;FR;;;BU)",
        "(OA;;FR;bf967aba-0de6-11d0-a285-00aa003049e2;;BU)",
        "(XA;;FR;;;BU;(Member_of {SID(BA)}))",
        "(ZA;;FR;;;BU;(@User.Title == \"a;b)c\"))",
    ] {
        assert_eq!(verdict(&protected_plus(ace)), exposed(&[USERS]), "{ace}");
    }
}

#[test]
fn domain_aliases_resolve_in_the_owners_domain() {
    let domain = "S-1-5-21-1004336348-1177238915-682003330";
    // The built-in Administrator owning its key, written LA by Windows.
    let admin = sid(&format!("{domain}-500"));
    let sddl = "O:LAG:LAD:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;LA)";
    assert_eq!(evaluate(sddl, &admin), Ok(Verdict::Protected));
    assert_eq!(
        verdict(&protected_plus("(A;;FR;;;DU)")),
        exposed(&[&format!("{domain}-513")])
    );
}

#[test]
fn fail_unresolvable_aliases_are_foreign() {
    // No domain to resolve DU in (the owner is SYSTEM), and an unknown alias.
    let system = sid(SYSTEM);
    assert_eq!(
        evaluate("D:P(A;;FA;;;SY)(A;;FR;;;DU)(A;;FR;;;ZZ)", &system),
        Ok(exposed(&["DU", "ZZ"]))
    );
}

#[test]
fn sacl_and_group_are_read_and_ignored() {
    let sddl = format!("{}S:AI(ML;;NW;;;HI)(AU;SAFA;FA;;;WD)", protected_plus(""));
    assert_eq!(verdict(&sddl), Verdict::Protected);
    // Components in another order.
    let sddl = format!("D:P(A;;FA;;;{USER})G:BAO:{USER}");
    assert_eq!(verdict(&sddl), Verdict::Protected);
}

#[test]
fn fail_malformed_descriptors_are_errors_not_verdicts() {
    for sddl in [
        "D:P(A;;FA;;;SY",
        "D:P(A;;FA;;;SY))",
        "D:P A;;FA;;;SY",
        "D:P(Q;;FA;;;SY)",
        "D:P(AU;SA;FA;;;WD)",
        "D:P(ML;;NW;;;HI)",
        "D:P(A;XX;FA;;;SY)",
        "D:P(A;C;FA;;;SY)",
        "D:P(A;;ZZ;;;SY)",
        "D:P(A;;F;;;SY)",
        "D:P(A;;0x;;;SY)",
        "D:P(A;;0x100000000;;;SY)",
        "D:P(A;;4294967296;;;SY)",
        "D:P(A;;017;;;SY)",
        "D:P(A;;-1;;;SY)",
        "D:P(A;;FA;;;S-1-x)",
        "D:P(A;;FA;;;)",
        "D:P(A;;FA;;;SYS)",
        "D:P(A;;FA;;SY)",
        "D:P(A;;FA;;;SY;extra)",
        "D:Q(A;;FA;;;SY)",
        "D:NO_ACCESS_CONTROL(A;;FA;;;SY)",
        "O:SYO:SY",
        "D:PD:P",
        "O:",
        "O::D:P",
        "X:SY",
        "o:SY",
        ":SY",
        "SY",
        "O:SYG:",
        "O:S-1-5-18 D:P",
        "D:P(A;;FA;;;SY)\u{e9}",
        "D:PS:X",
    ] {
        assert!(evaluate(sddl, &user()).is_err(), "{sddl:?} was read");
    }
}

#[test]
fn sids_are_read_as_windows_reads_them_and_written_canonically() {
    for (text, canonical) in [
        ("S-1-5-18", "S-1-5-18"),
        ("s-1-5-18", "S-1-5-18"),
        ("S-1-5-032-0544", "S-1-5-32-544"),
        ("S-1-0x000000000005-18", "S-1-5-18"),
        ("S-1-0x123456789ABC-1", "S-1-0x123456789ABC-1"),
        ("S-1-5", "S-1-5"),
        (USER, USER),
    ] {
        assert_eq!(sid(text).to_string(), canonical, "{text}");
    }
}

#[test]
fn fail_sids_out_of_form() {
    for text in [
        "",
        "S",
        "S-1",
        "S-2-5-18",
        "X-1-5-18",
        "S-1-5-",
        "S-1-5--18",
        "S-1-5-4294967296",
        "S-1-281474976710656",
        "S-1-0x1234567890ABC",
        "S-1-0x",
        "S-1-5-+18",
        "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16",
        "SY",
    ] {
        assert!(Sid::parse(text).is_err(), "{text:?} was read");
    }
}

// ---------------------------------------------------------------------------
// The fix and the DACL of new keys
// ---------------------------------------------------------------------------

#[test]
fn icacls_fix_protects_and_grants_the_three() {
    assert_eq!(
        icacls_fix(r"C:\Program Files\GCTI\dec.pem", &user(), &[]),
        format!(
            r#"icacls "C:\Program Files\GCTI\dec.pem" /inheritance:r /grant:r "*S-1-5-18:F" "*S-1-5-32-544:F" "*{USER}:F""#
        )
    );
    // An owner that is SYSTEM or Administrators is not granted twice.
    assert_eq!(
        icacls_fix(r"C:\k\dec.pem", &sid(ADMINISTRATORS), &[]),
        r#"icacls "C:\k\dec.pem" /inheritance:r /grant:r "*S-1-5-18:F" "*S-1-5-32-544:F""#
    );
}

#[test]
fn icacls_fix_removes_explicit_others_and_sets_a_foreign_owner() {
    // Inherited ACEs go with /inheritance:r; explicit ones are removed.
    let sddl = format!(
        "O:{OTHER}D:AI(A;;FR;;;WD)(A;;FA;;;{USER})(A;ID;FA;;;SY)(A;ID;0x1200a9;;;BU)\
         (A;;FR;;;{OTHER})(A;;FR;;;WD)(A;;FR;;;ZZ)"
    );
    let descriptor = Descriptor::parse(&sddl).unwrap();
    assert_eq!(
        descriptor.verdict(&user()),
        unprotected(&[OTHER, EVERYONE, USERS, "ZZ"])
    );
    let commands = descriptor.icacls_fix(r"D:\gen esys\dec.pem", &user());
    assert_eq!(
        commands,
        [
            format!(
                r#"icacls "D:\gen esys\dec.pem" /inheritance:r /grant:r "*S-1-5-18:F" "*S-1-5-32-544:F" "*{USER}:F" /remove "*S-1-1-0" "*{OTHER}""#
            ),
            format!(r#"icacls "D:\gen esys\dec.pem" /setowner "*{USER}""#),
        ]
    );
    // A protected key needs nothing removed.
    let fine = Descriptor::parse(&protected_plus("")).unwrap();
    assert_eq!(fine.icacls_fix("k.pem", &user()).len(), 1);
    assert!(!fine.icacls_fix("k.pem", &user())[0].contains("/remove"));
}

#[test]
fn protected_key_sddl_is_protected_by_the_evaluator() {
    assert_eq!(
        protected_key_sddl(&user()),
        format!("D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;{USER})")
    );
    assert_eq!(
        protected_key_sddl(&sid(SYSTEM)),
        "D:P(A;;FA;;;SY)(A;;FA;;;BA)"
    );
    for owner in [user(), sid(SYSTEM), sid(ADMINISTRATORS), sid(OTHER)] {
        let sddl = protected_key_sddl(&owner);
        assert_eq!(evaluate(&sddl, &owner), Ok(Verdict::Protected), "{sddl}");
        // As Windows reads it back, with the owner and the inherited flag.
        let read_back = format!("O:{owner}G:{owner}{}", sddl.replace("D:P", "D:PAI"));
        assert_eq!(evaluate(&read_back, &owner), Ok(Verdict::Protected));
        // Not protected for anyone else.
        if !owner.is_builtin_trusted() && owner != sid(OTHER) {
            assert_eq!(
                evaluate(&sddl, &sid(OTHER)),
                Ok(exposed(&[&owner.to_string()]))
            );
        }
    }
}

#[test]
fn describe_names_well_known_trustees() {
    assert_eq!(describe(USERS), r"BUILTIN\Users (S-1-5-32-545)");
    assert_eq!(describe(EVERYONE), "Everyone (S-1-1-0)");
    assert_eq!(describe(OTHER), OTHER);
    assert_eq!(describe("ZZ"), "ZZ");
}

// ---------------------------------------------------------------------------
// Arbitrary input
// ---------------------------------------------------------------------------

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(cases)
    }
}

/// Strings made of SDDL's pieces, to reach deep into the parser.
fn sddl_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("O:".to_owned()),
        Just("G:".to_owned()),
        Just("D:".to_owned()),
        Just("S:".to_owned()),
        Just("P".to_owned()),
        Just("AI".to_owned()),
        Just("NO_ACCESS_CONTROL".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just(";".to_owned()),
        Just("\"".to_owned()),
        Just(":".to_owned()),
        Just("A".to_owned()),
        Just("D".to_owned()),
        Just("XA".to_owned()),
        Just("IO".to_owned()),
        Just("ID".to_owned()),
        Just("FA".to_owned()),
        Just("GR".to_owned()),
        Just("0x".to_owned()),
        Just("SY".to_owned()),
        Just("BU".to_owned()),
        Just("OW".to_owned()),
        Just("LA".to_owned()),
        Just("S-1-5-".to_owned()),
        Just(USER.to_owned()),
        "[0-9a-fA-F]{1,12}",
        "[A-Z]{1,2}",
        "-?[0-9]{1,21}",
        ".",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

/// A well-formed ACE from parts, some of them odd.
fn ace() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["A", "D", "OA", "OD", "XA", "XD"]),
        prop::sample::select(vec!["", "ID", "IO", "OICI", "OICIIO", "CIID"]),
        prop_oneof![
            any::<u32>().prop_map(|m| format!("0x{m:x}")),
            any::<u32>().prop_map(|m| m.to_string()),
            prop::sample::select(vec!["FA", "FR", "GA", "GR", "RC", "CCDC", ""])
                .prop_map(str::to_owned),
        ],
        prop_oneof![
            prop::sample::select(vec!["SY", "BA", "BU", "WD", "CO", "OW", "DU", "ZZ"])
                .prop_map(str::to_owned),
            Just(USER.to_owned()),
            Just(OTHER.to_owned()),
        ],
    )
        .prop_map(|(kind, flags, rights, who)| {
            let condition = if kind.starts_with('X') { ";(x)" } else { "" };
            format!("({kind};{flags};{rights};;;{who}{condition})")
        })
}

/// A well-formed descriptor with a few characters inserted, deleted or
/// replaced: errors at every depth of the parser.
fn mutated() -> impl Strategy<Value = String> {
    let edit = (
        any::<prop::sample::Index>(),
        0..3u8,
        prop::sample::select(
            "();:\"-0123456789xADIOPSWYGFRCU"
                .chars()
                .collect::<Vec<_>>(),
        ),
    );
    (
        any::<bool>(),
        prop::collection::vec(ace(), 0..6),
        prop::collection::vec(edit, 1..4),
    )
        .prop_map(|(protected, aces, edits)| {
            let mut text: Vec<char> = format!(
                "O:{USER}G:BAD:{}{}S:AI",
                if protected { "P" } else { "" },
                aces.concat()
            )
            .chars()
            .collect();
            for (at, op, c) in edits {
                let i = at.index(text.len() + 1);
                match op {
                    0 => text.insert(i, c),
                    1 if i < text.len() => {
                        text.remove(i);
                    }
                    _ if i < text.len() => text[i] = c,
                    _ => text.push(c),
                }
            }
            text.into_iter().collect()
        })
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn evaluation_never_panics_on_mutated_descriptors(text in mutated()) {
        let _ = evaluate(&text, &user());
        if let Ok(descriptor) = Descriptor::parse(&text) {
            let _ = descriptor.icacls_fix("C:\\k.pem", &user());
        }
    }

    #[test]
    fn evaluation_never_panics_on_any_string(text in ".{0,200}") {
        let _ = evaluate(&text, &user());
        if let Ok(descriptor) = Descriptor::parse(&text) {
            let _ = descriptor.icacls_fix("C:\\k.pem", &user());
        }
    }

    #[test]
    fn evaluation_never_panics_on_sddl_pieces(text in sddl_like()) {
        let _ = evaluate(&text, &user());
        if let Ok(descriptor) = Descriptor::parse(&text) {
            let _ = descriptor.icacls_fix("C:\\k.pem", &user());
        }
    }

    #[test]
    fn sid_parsing_never_panics(text in "[sS0-9xXa-fA-F-]{0,60}") {
        if let Ok(sid) = Sid::parse(&text) {
            // What it writes, it reads back as the same SID.
            prop_assert_eq!(Sid::parse(&sid.to_string()), Ok(sid));
        }
    }

    #[test]
    fn well_formed_dacls_always_get_a_verdict(
        protected in any::<bool>(),
        aces in prop::collection::vec(ace(), 0..8),
    ) {
        let sddl = format!("O:{USER}D:{}{}", if protected { "P" } else { "" }, aces.concat());
        let verdict = evaluate(&sddl, &user());
        prop_assert!(verdict.is_ok(), "{}: {:?}", sddl, verdict);
        // Whatever the ACEs, adding inheritance never makes a key Protected.
        if !protected {
            let unprotected = matches!(verdict, Ok(Verdict::Unprotected { .. }));
            prop_assert!(unprotected, "{}: {:?}", sddl, verdict);
        }
    }

    #[test]
    fn new_key_dacl_is_protected_for_any_owner(
        subs in prop::collection::vec(any::<u32>(), 0..=15),
        authority in 0u64..(1 << 48),
    ) {
        let owner = Sid { authority, subs };
        let sddl = protected_key_sddl(&owner);
        prop_assert_eq!(evaluate(&sddl, &owner), Ok(Verdict::Protected));
    }
}
