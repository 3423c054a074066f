//! The classes of [`Error`] the command line turns into exit codes
//! ([`Error::category`]), and where a password in a message came from
//! ([`PasswordOrigin`]).

use super::Error;

/// Which class of problem an [`Error`] belongs to.
///
/// The command line maps each class to its own exit code (see README.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Category {
    /// The request itself is wrong: arguments, or the password given.
    Usage,
    /// The configuration file is missing or its content is wrong.
    Config,
    /// A key file is missing, malformed, unprotected, or the wrong key.
    Key,
    /// The stored value could not be decrypted with the key at hand.
    Decrypt,
    /// The operating system refused or failed a read or a write.
    Io,
    /// A check confpass makes on itself failed; this is a bug to report.
    Internal,
    /// The configuration file was replaced (the commit happened, the new
    /// value is in place and decryptable), but a later step failed: running
    /// the same command again completes it.
    Committed,
}

/// Where a password handed to confpass came from, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordOrigin {
    /// The PASSWORD argument of `-p`.
    CommandLine,
    /// One line read from standard input (`--password-stdin`).
    Stdin,
    /// Typed at the prompt.
    Prompt,
    /// The plain value already in the configuration file.
    File,
    /// A password handed to the library by its caller.
    Caller,
}

impl std::fmt::Display for PasswordOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::CommandLine => "the password given on the command line",
            Self::Stdin => "the password read from standard input",
            Self::Prompt => "the password typed at the prompt",
            Self::File => "the password in the configuration file",
            Self::Caller => "the password",
        })
    }
}

impl Error {
    /// The class of this error, which the command line turns into an exit code.
    pub fn category(&self) -> Category {
        use Error::*;
        match self {
            PasswordNul {
                origin: PasswordOrigin::File,
            } => Category::Config,
            EmptyPassword { .. }
            | PasswordLineBreak { .. }
            | PasswordNul { .. }
            | PasswordNotUtf8 { .. }
            | PasswordsDiffer
            | PasswordTooLong { .. }
            | BadKeySize { .. }
            | NoPassword { .. }
            | KeyPathNotStorable { .. }
            | KeysNotUsed { .. } => Category::Usage,
            ConfigNotFound { .. }
            | ConfigNotAFile { .. }
            | ConfigTooLarge { .. }
            | ConfigEncoding { .. }
            | Syntax { .. }
            | SectionMissing { .. }
            | DuplicateSection { .. }
            | OptionMissing { .. }
            | DuplicateOption { .. }
            | BadValue { .. }
            | EncryptionMismatch { .. }
            | MalformedValue { .. }
            | InvalidValue { .. }
            | ServerLeftBehind { .. }
            | DbSectionNotFound { .. } => Category::Config,
            KeyNotFound { .. }
            | BadKey { .. }
            | KeyTooSmall { .. }
            | KeyPermissions { .. }
            | KeyAcl { .. }
            | KeyMismatch { .. }
            | WrongKey { .. }
            | KeyIdMismatch { .. }
            | KeyNameTaken { .. }
            | TokenUri { .. }
            | TokenUnsupported { .. }
            | TokenModule { .. }
            | TokenAbsent { .. }
            | TokenPin { .. }
            | PinFile { .. }
            | TokenObject { .. }
            | TokenKeySize { .. }
            | TokenMechanism { .. } => Category::Key,
            DecryptFailed { .. }
            | Undecryptable { .. }
            | UnusablePlaintext { .. }
            | BadPlaintext { .. } => Category::Decrypt,
            ConfigRead { .. }
            | ConfigNotWritable { .. }
            | KeyRead { .. }
            | Write { .. }
            | KeyExists { .. }
            | Locked { .. }
            | DirAccess { .. }
            | ConfigChanged { .. }
            | CannotKeepAttributes { .. }
            | TokenBusy { .. }
            | TokenFailed { .. } => Category::Io,
            Committed { .. } | PruneIncomplete { .. } => Category::Committed,
            PreviousPassword { category, .. } => *category,
            Crypto(_) | SelfCheck { .. } => Category::Internal,
        }
    }
}
