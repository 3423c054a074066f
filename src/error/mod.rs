//! The one error type of confpass.
//!
//! Every failure the library can meet is a variant of [`Error`]. Each message
//! names the file, section, option or key file concerned and says what to do,
//! and none of them ever contains a password: variants hold paths, names, key
//! ids and lengths, never secret material. [`Error::category`] sorts the
//! variants into the classes the command line turns into exit codes.

use std::io;
use std::path::PathBuf;

use crate::keyid::KeyId;

mod category;
pub use category::{Category, PasswordOrigin};

/// A shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in confpass.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration file does not exist.
    #[error(
        "configuration file {path} does not exist: check its path (a relative path is taken from the current directory)"
    )]
    ConfigNotFound {
        /// The configuration file.
        path: PathBuf,
    },
    /// The configuration path names a directory or another non-file.
    #[error("configuration file {path} is not a regular file: give the path of the file itself")]
    ConfigNotAFile {
        /// The configuration path.
        path: PathBuf,
    },
    /// Reading the configuration file failed.
    #[error(
        "cannot read configuration file {path}: {source}; check that it is readable by this user"
    )]
    ConfigRead {
        /// The configuration file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The configuration file or its directory cannot be written.
    #[error(
        "cannot write configuration file {path}: {source}; confpass needs write access to the file and to its directory"
    )]
    ConfigNotWritable {
        /// The configuration file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// A line that is neither a section header, an option, a comment nor blank.
    #[error(
        "configuration file {path}, line {line}: {reason}; fix the line so that it reads `[section]`, `option = value` or a `;` comment"
    )]
    Syntax {
        /// The configuration file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A section the operation needs is not in the file.
    #[error("configuration file {path} has no section [{section}]: {fix}")]
    SectionMissing {
        /// The configuration file.
        path: PathBuf,
        /// The section looked for.
        section: String,
        /// What to do about it.
        fix: &'static str,
    },
    /// Two sections match one name (names match without regard to case).
    #[error(
        "configuration file {path} has section [{section}] twice (lines {first} and {second}; names match without regard to case): remove or rename one of them"
    )]
    DuplicateSection {
        /// The configuration file.
        path: PathBuf,
        /// The section name.
        section: String,
        /// Line of the first header.
        first: usize,
        /// Line of the second header.
        second: usize,
    },
    /// An option the operation needs is not in its section.
    #[error("configuration file {path}, section [{section}] has no option `{option}`: {fix}")]
    OptionMissing {
        /// The configuration file.
        path: PathBuf,
        /// The section.
        section: String,
        /// The option looked for.
        option: String,
        /// What to do about it.
        fix: &'static str,
    },
    /// Two options in one section match one name.
    #[error(
        "configuration file {path}, section [{section}] has option `{option}` twice (lines {first} and {second}; names match without regard to case): remove one of them"
    )]
    DuplicateOption {
        /// The configuration file.
        path: PathBuf,
        /// The section.
        section: String,
        /// The option name.
        option: String,
        /// Line of the first occurrence.
        first: usize,
        /// Line of the second occurrence.
        second: usize,
    },
    /// The configuration file is larger than confpass reads.
    #[error(
        "configuration file {path} {is} {size} bytes, over the limit of {limit} bytes ({mib} MiB) that confpass reads and writes; a Configuration Server file is a few kilobytes: check that the path names the right file",
        is = if *.edited { "would grow by the edit to" } else { "is" },
        mib = .limit >> 20
    )]
    ConfigTooLarge {
        /// The configuration file.
        path: PathBuf,
        /// Its size in bytes (at least this much if it grew while read).
        size: u64,
        /// The limit, [`crate::ini::MAX_CONFIG_SIZE`].
        limit: u64,
        /// Whether `size` is that of the edited file, which is not written.
        edited: bool,
    },
    /// The configuration file is saved in an encoding confpass does not read.
    #[error(
        "configuration file {path} is saved as {encoding}; save it as UTF-8 (Notepad: Save As, Encoding UTF-8)"
    )]
    ConfigEncoding {
        /// The configuration file.
        path: PathBuf,
        /// The encoding found: `UTF-16` or `UTF-32`.
        encoding: &'static str,
    },
    /// The password contains a NUL byte, which an INI value cannot hold.
    #[error(
        "{origin} contains a NUL byte: a configuration value cannot hold one; give the password without it"
    )]
    PasswordNul {
        /// Where the password came from.
        origin: PasswordOrigin,
    },
    /// An option holds a value confpass cannot use.
    #[error("configuration file {path}, section [{section}], option `{option}`: {reason}")]
    BadValue {
        /// The configuration file.
        path: PathBuf,
        /// The section.
        section: String,
        /// The option.
        option: String,
        /// What is wrong and what to do.
        reason: String,
    },
    /// `encryption` and the form of the password value disagree.
    #[error(
        "configuration file {path}: [{server_section}] says `encryption = {flag}` but the `password` in [{db_section}] is {found}; {fix}"
    )]
    EncryptionMismatch {
        /// The configuration file.
        path: PathBuf,
        /// The server section holding `encryption`.
        server_section: String,
        /// The database section holding `password`.
        db_section: String,
        /// The `encryption` flag as read.
        flag: bool,
        /// What the value looks like: "plain text" or "an encrypted value".
        found: &'static str,
        /// What to do.
        fix: &'static str,
    },
    /// The stored value starts like an encrypted value but is not a valid one.
    #[error(
        "configuration file {path}, section [{section}], option `password`: malformed encrypted value: {reason}; restore the value written by confpass, or put the plain password back with `encryption = false` and run `confpass -p` again"
    )]
    MalformedValue {
        /// The configuration file.
        path: PathBuf,
        /// The database section.
        section: String,
        /// What is wrong with the value.
        reason: String,
    },
    /// The `previous-password` a rotation keeps (PRODUCT.md §10) is
    /// unusable, or stands in the way of the operation asked for.
    #[error("configuration file {path}, section [{section}], option `previous-password`: {reason}")]
    PreviousPassword {
        /// The configuration file.
        path: PathBuf,
        /// The database section.
        section: String,
        /// What is wrong and what to do.
        reason: String,
        /// The class of the problem: a value that disagrees with
        /// `encryption` or is malformed is [`Category::Config`], one that does
        /// not decrypt [`Category::Decrypt`], one for another key
        /// [`Category::Key`].
        category: Category,
    },
    /// No password was given and the file holds none to encrypt.
    #[error(
        "no password to encrypt: section [{section}] of {path} has an empty `password` and none was given; pass it with --password-stdin, or run in a terminal to be prompted"
    )]
    NoPassword {
        /// The configuration file.
        path: PathBuf,
        /// The database section.
        section: String,
    },
    /// The password is empty.
    #[error("{origin} is empty: give the database password")]
    EmptyPassword {
        /// Where the password came from.
        origin: PasswordOrigin,
    },
    /// The password contains a line break, which an INI value cannot hold.
    #[error(
        "{origin} contains a line break: a configuration value holds one line; give the password without line breaks"
    )]
    PasswordLineBreak {
        /// Where the password came from.
        origin: PasswordOrigin,
    },
    /// The password is not valid UTF-8.
    #[error("{origin} is not valid UTF-8 text: give the password as UTF-8")]
    PasswordNotUtf8 {
        /// Where the password came from.
        origin: PasswordOrigin,
    },
    /// The two entries at the prompt differ.
    #[error(
        "the two passwords typed at the prompt differ: run again and type the same password twice"
    )]
    PasswordsDiffer,
    /// The password is longer than one RSA-OAEP block of the key can hold.
    #[error(
        "{origin} is {len} bytes long, but a {bits}-bit key holds at most {max} bytes with RSA-OAEP-SHA256: use a shorter password or a larger key (--bits 4096 holds {max_4096})"
    )]
    PasswordTooLong {
        /// Where the password came from.
        origin: PasswordOrigin,
        /// Its length in bytes.
        len: usize,
        /// The most the key can hold.
        max: usize,
        /// The key's modulus size.
        bits: usize,
        /// The most a 4096-bit key holds, for the hint.
        max_4096: usize,
    },
    /// A key size outside what confpass generates.
    #[error("--bits {bits} is not allowed: use 2048, 3072 (the default) or 4096")]
    BadKeySize {
        /// The size asked for.
        bits: usize,
    },
    /// A key file does not exist.
    #[error("key file {path} does not exist: {fix}")]
    KeyNotFound {
        /// The key file.
        path: PathBuf,
        /// What to do.
        fix: &'static str,
    },
    /// A key file could not be read.
    #[error("cannot read key file {path}: {source}; check that it is readable by this user")]
    KeyRead {
        /// The key file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// A key file's content is not a usable key.
    #[error("key file {path} {reason}")]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// What is wrong and what to do.
        reason: String,
    },
    /// A key smaller than confpass accepts.
    #[error(
        "key file {path} holds a {bits}-bit RSA key; confpass accepts 2048 bits and more: make a new pair (remove both key files and run `confpass -p`)"
    )]
    KeyTooSmall {
        /// The key file.
        path: PathBuf,
        /// The key's modulus size.
        bits: usize,
    },
    /// A decryption key readable by group or others.
    #[error(
        "decryption key {path} is readable by group or others (mode {mode:03o}): run `chmod 600 {path}`"
    )]
    KeyPermissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A decryption key whose Windows DACL lets others use it, or inherits
    /// its folder's permissions.
    #[error("decryption key {path} can be used by {who}: run `{fix}`")]
    KeyAcl {
        /// The key file.
        path: PathBuf,
        /// Who else can use it (account names and SIDs).
        who: String,
        /// The `icacls` command(s) that protect it.
        fix: String,
    },
    /// The encryption and decryption key files are not one pair.
    #[error(
        "key files {enc} (key id {enc_id}) and {dec} (key id {dec_id}) are not one pair: give the matching files with -keys ENC DEC"
    )]
    KeyMismatch {
        /// The public key file.
        enc: PathBuf,
        /// Its key id.
        enc_id: KeyId,
        /// The private key file.
        dec: PathBuf,
        /// The id of its public half.
        dec_id: KeyId,
    },
    /// The stored value was encrypted for another key.
    #[error(
        "the password in [{section}] of {path} was encrypted for key id {value_id}, but key file {key} has key id {key_id}: use the key file that matches {value_id}"
    )]
    WrongKey {
        /// The configuration file.
        path: PathBuf,
        /// The database section.
        section: String,
        /// The key id named in the value.
        value_id: KeyId,
        /// The key file at hand.
        key: PathBuf,
        /// Its key id.
        key_id: KeyId,
    },
    /// RSA-OAEP decryption failed: wrong or corrupted ciphertext.
    #[error(
        "the password in [{section}] of {path} does not decrypt with {key}: the ciphertext is corrupted or was not made for this key; restore the value or encrypt the password again with `confpass -p`"
    )]
    DecryptFailed {
        /// The configuration file.
        path: PathBuf,
        /// The database section.
        section: String,
        /// The key file used.
        key: PathBuf,
    },
    /// A key file or temporary file could not be written.
    #[error("cannot write {path}: {source}; check free space and write access to its directory")]
    Write {
        /// The file being written.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// A key file appeared where confpass was about to create one.
    #[error("key file {path} appeared while confpass was running; it was left as it is: run again")]
    KeyExists {
        /// The key file.
        path: PathBuf,
    },
    /// An encrypted value is malformed (the low-level form, without a file).
    #[error("malformed encrypted value: {reason}")]
    InvalidValue {
        /// What is wrong with the value.
        reason: String,
    },
    /// An encrypted value names another key (the low-level form, without a file).
    #[error(
        "the value was encrypted for key id {value_id}, but the key at hand has key id {key_id}: use the key that matches {value_id}"
    )]
    KeyIdMismatch {
        /// The key id named in the value.
        value_id: KeyId,
        /// The key id of the key at hand.
        key_id: KeyId,
    },
    /// RSA-OAEP rejected the ciphertext (the low-level form, without a file).
    #[error(
        "the value does not decrypt with key id {key_id}: the ciphertext is corrupted or was not made for this key"
    )]
    Undecryptable {
        /// The key id of the key used.
        key_id: KeyId,
    },
    /// The value decrypts, but not to a password confpass would store
    /// (the low-level form, without a file).
    #[error(
        "the value decrypts with key id {key_id}, but to {reason}, which is no password confpass would store; it was written by another tool: encrypt the password again with `confpass -p`"
    )]
    UnusablePlaintext {
        /// The key id of the key used.
        key_id: KeyId,
        /// What the plaintext is (never the plaintext).
        reason: &'static str,
    },
    /// The stored value decrypts, but not to a usable password.
    #[error(
        "the password in [{section}] of {path} decrypts with {key}, but to {reason}, which is no password confpass would store (another tool wrote it): put the plain password back with `encryption = false` and run `confpass -p`"
    )]
    BadPlaintext {
        /// The configuration file.
        path: PathBuf,
        /// The database section.
        section: String,
        /// The key file used.
        key: PathBuf,
        /// What the plaintext is.
        reason: &'static str,
    },
    /// Another run holds the lock on the configuration file for too long.
    #[error(
        "configuration file {path} (or its key files) is locked by another confpass run that has not finished in 60 seconds: wait for it to end, then run again"
    )]
    Locked {
        /// The configuration file.
        path: PathBuf,
    },
    /// A directory that must be locked and flushed cannot be opened.
    #[error(
        "cannot open directory {path} to lock it against other runs and flush it: {source}; confpass needs read and search access to the directories of the configuration file and the key files (and write access where it creates files)"
    )]
    DirAccess {
        /// The directory.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The configuration file was replaced or edited by someone else while
    /// this run worked on it.
    #[error(
        "configuration file {path} was replaced or changed by someone else while confpass was working on it; confpass changed nothing: run the command again"
    )]
    ConfigChanged {
        /// The configuration file.
        path: PathBuf,
    },
    /// The replacement could not be given what the original has.
    #[error(
        "confpass refused to rewrite configuration file {path}: the new file could not keep {what}; nothing was changed"
    )]
    CannotKeepAttributes {
        /// The configuration file.
        path: PathBuf,
        /// What cannot be kept, and why.
        what: String,
    },
    /// The configuration file was committed, but a later step failed.
    #[error(
        "configuration file {path} was rewritten and holds the new value, which the server can decrypt, but a later step failed ({what}: {source}); run the same command again to complete it"
    )]
    Committed {
        /// The configuration file.
        path: PathBuf,
        /// The step that failed.
        what: String,
        /// Why it failed.
        source: Box<Error>,
    },
    /// A staged or retired key name is taken by a file that does not hold
    /// the key its name says.
    #[error(
        "key file {path} should hold key id {id} but holds {holds}: confpass never uses, replaces or removes it; move it away, then run again"
    )]
    KeyNameTaken {
        /// The file.
        path: PathBuf,
        /// The key id its name says.
        id: KeyId,
        /// What it holds.
        holds: String,
    },
    /// A key path that the configuration file cannot hold so that it reads back the same.
    #[error("key file path {path} {reason}")]
    KeyPathNotStorable {
        /// The key path as given.
        path: PathBuf,
        /// Why, and what to do.
        reason: String,
    },
    /// A `pkcs11:` URI (RFC 7512) that confpass cannot use.
    #[error("the pkcs11: URI {uri} {reason}")]
    TokenUri {
        /// The URI as given (it never holds a PIN: a URI with one is refused unread).
        uri: String,
        /// What is wrong and what to do.
        reason: String,
    },
    /// A key on a PKCS#11 token, in a build that cannot load a module.
    #[error(
        "{uri} names a key on a PKCS#11 token, but this confpass was built without PKCS#11 (the static musl build cannot load a module): install the .deb or .rpm package, or build with the `pkcs11` feature"
    )]
    TokenUnsupported {
        /// The URI.
        uri: String,
    },
    /// The PKCS#11 module cannot be loaded or initialised.
    #[error(
        "PKCS#11 module {module} (for {uri}) {reason}: install the token's PKCS#11 module, or give its path with module-path= in the URI"
    )]
    TokenModule {
        /// The module file.
        module: PathBuf,
        /// The URI.
        uri: String,
        /// What happened.
        reason: String,
    },
    /// No token, or more than one, matches the URI.
    #[error(
        "{found} for {uri} in PKCS#11 module {module}: check the token= label (`pkcs11-tool --module {module} --list-token-slots` lists the tokens)"
    )]
    TokenAbsent {
        /// The URI.
        uri: String,
        /// The module file.
        module: PathBuf,
        /// "no token matches" or "2 tokens match".
        found: String,
    },
    /// The token refused the PIN.
    #[error("the token of {uri} {reason}")]
    TokenPin {
        /// The URI.
        uri: String,
        /// "refused the PIN in FILE: ..." or "has its user PIN locked: ...".
        reason: String,
    },
    /// The PIN file cannot be used.
    #[error("PIN file {path} {reason}")]
    PinFile {
        /// The PIN file (`pin-source` of the URI).
        path: PathBuf,
        /// What is wrong and what to do.
        reason: String,
    },
    /// The object the URI names is not there, or is no RSA decryption key.
    #[error("the token of {uri} {reason}")]
    TokenObject {
        /// The URI.
        uri: String,
        /// What is wrong and what to do.
        reason: String,
    },
    /// The token cannot make or use a key of this size.
    #[error(
        "the token of {uri} cannot make a {bits}-bit RSA key: {reason}; give --bits 3072 or 2048 (a TPM has no 4096-bit RSA)"
    )]
    TokenKeySize {
        /// The URI.
        uri: String,
        /// The size asked for.
        bits: usize,
        /// What the token said.
        reason: String,
    },
    /// The token does not decrypt RSA-OAEP with SHA-256.
    #[error(
        "the token of {uri} does not decrypt RSA-OAEP with SHA-256 (CKM_RSA_PKCS_OAEP, MGF1-SHA-256, empty label), which confpass values use{hint}: use a token that does (a TPM with tpm2-pkcs11 does)"
    )]
    TokenMechanism {
        /// The URI.
        uri: String,
        /// A word on a known token (SoftHSM2 does OAEP with SHA-1 only).
        hint: String,
    },
    /// The token is busy, or out of sessions or memory.
    #[error(
        "the token of {uri} is busy ({reason}): try again when the other program using it has finished; on a TPM, `tpm2_flushcontext -t -l` frees what crashed programs left"
    )]
    TokenBusy {
        /// The URI.
        uri: String,
        /// What the token said.
        reason: String,
    },
    /// Any other failure the token reports.
    #[error(
        "the token of {uri} failed: {reason}: check the token with its own tools (pkcs11-tool)"
    )]
    TokenFailed {
        /// The URI.
        uri: String,
        /// What the token said.
        reason: String,
    },
    /// Key generation or encryption failed inside the RSA implementation.
    #[error("RSA operation failed: {0}")]
    Crypto(String),
    /// The database section named after `-p` is not in the file. The name
    /// is not repeated: it may be a password typed in the wrong place.
    #[error(
        "configuration file {path} has no section of the name given after -p (not repeated here, in case it is a password typed in the wrong place): name the database section after -p, or give the password with --password-stdin"
    )]
    DbSectionNotFound {
        /// The configuration file.
        path: PathBuf,
    },
    /// The change would leave another server section of the file (or a
    /// value it reads) unable to start (PRODUCT.md §12).
    #[error(
        "configuration file {path}: confpass refused the change, which would leave the server section [{section}] unable to start: {reason}; nothing was changed"
    )]
    ServerLeftBehind {
        /// The configuration file.
        path: PathBuf,
        /// The server section that would break.
        section: String,
        /// Why, and what to change (never a password).
        reason: String,
    },
    /// Key files named on the command line that none of the given
    /// configuration files uses, or that the server's environment overrides.
    #[error("key file {path} {reason}")]
    KeysNotUsed {
        /// The key file.
        path: PathBuf,
        /// Why, and what to do.
        reason: String,
    },
    /// `--prune-keys` removed some files, then a removal (or the flush
    /// after it) failed.
    #[error(
        "--prune-keys removed {} before it failed ({what}: {source}); the configuration files were not changed and every key a value names is kept: run the same command again to finish",
        list(removed)
    )]
    PruneIncomplete {
        /// The files removed before the failure.
        removed: Vec<PathBuf>,
        /// The step that failed, naming its file.
        what: String,
        /// What the operating system said.
        source: io::Error,
    },
    /// The edited file did not pass the check made before it replaces the original.
    #[error(
        "confpass refused to write {path}: the edited file failed its own check ({reason}); the file is unchanged. This is a bug: please report it"
    )]
    SelfCheck {
        /// The configuration file.
        path: PathBuf,
        /// Which check failed (never the password).
        reason: String,
    },
}

/// Paths as a message lists them.
fn list(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "nothing".into();
    }
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
