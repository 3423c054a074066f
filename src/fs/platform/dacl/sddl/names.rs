//! The names SDDL gives: the well-known SIDs the rule needs, the access-mask
//! bits, the two-letter access rights, and the two-letter SID aliases
//! (machine-wide, and the ones resolved in the owner's domain).

/// `NT AUTHORITY\SYSTEM`.
pub(in crate::fs::platform::dacl) const SYSTEM: &str = "S-1-5-18";
/// `BUILTIN\Administrators`.
pub(in crate::fs::platform::dacl) const ADMINISTRATORS: &str = "S-1-5-32-544";
/// `Everyone`, what a missing or NULL DACL lets in.
pub(in crate::fs::platform::dacl) const EVERYONE: &str = "S-1-1-0";
/// `OWNER RIGHTS`: the file's current owner.
pub(in crate::fs::platform::dacl) const OWNER_RIGHTS: &str = "S-1-3-4";

pub(in crate::fs::platform::dacl) const READ_CONTROL: u32 = 0x2_0000;

pub(in crate::fs::platform::dacl) const GENERIC_ALL: u32 = 0x1000_0000;
pub(in crate::fs::platform::dacl) const GENERIC_EXECUTE: u32 = 0x2000_0000;
pub(in crate::fs::platform::dacl) const GENERIC_WRITE: u32 = 0x4000_0000;
pub(in crate::fs::platform::dacl) const GENERIC_READ: u32 = 0x8000_0000;
pub(in crate::fs::platform::dacl) const GENERIC_BITS: u32 =
    GENERIC_ALL | GENERIC_EXECUTE | GENERIC_WRITE | GENERIC_READ;
pub(in crate::fs::platform::dacl) const FILE_ALL_ACCESS: u32 = 0x1F_01FF;
pub(in crate::fs::platform::dacl) const FILE_GENERIC_READ: u32 = 0x12_0089;
pub(in crate::fs::platform::dacl) const FILE_GENERIC_WRITE: u32 = 0x12_0116;
pub(in crate::fs::platform::dacl) const FILE_GENERIC_EXECUTE: u32 = 0x12_00A0;

/// SDDL's two-letter access rights: generic, standard, directory-service
/// (the same bits as file rights: `CC` is `FILE_READ_DATA`), file, registry
/// and mandatory-label codes.
pub(super) const RIGHTS: [(&str, u32); 27] = [
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
pub(super) const ALIASES: [(&str, &str); 49] = [
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
pub(super) const DOMAIN_ALIASES: [(&str, u32); 17] = [
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
