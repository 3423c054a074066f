//! The file system layer: every read, write, lock and flush confpass does,
//! and the platform differences beneath them.
//!
//! [`read`] reads a configuration file within its size limit; [`keyfile`]
//! reads and writes key files (a private key no one else can read, created
//! with `create_new` and mode 0600); [`keyring`] finds keys beside a pair by
//! key id; [`files`] holds the synced, fault-pointed steps (new files, links,
//! renames, removals); [`token`] finds, makes and uses keys on a PKCS#11
//! token, a place keys live beside key files; [`txn`] is the transaction every writing mode runs
//! (locks, the prepared replacement, the one commit); [`platform`] is the one
//! place that knows Unix from Windows.

pub(crate) mod files;
pub(crate) mod keyfile;
pub mod keyring;
pub(crate) mod platform;
pub(crate) mod read;
pub mod token;
pub(crate) mod txn;
