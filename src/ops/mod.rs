//! The operations layer: what a Configuration Server and its administrator
//! run, built from the layers below.
//!
//! [`confserv`] says what a Configuration Server's file means (where the
//! password stands); [`keyfiles`] settles the key pair a run uses.
//! [`startup`] is the server's call at start-up (and `--check`), with
//! [`previous`] for the password a rotation keeps. The writing operations
//! share [`request`] (what is asked, what was done) and [`opened`] (locks
//! taken, file read, the one way to write); [`encrypt`] is `-p`, [`rotate`]
//! `--rotate-keys`, [`forget`] `--forget-previous`, [`prune`]
//! `--prune-keys`; [`check`] is the check every edited file passes before it
//! replaces the original. ARCHITECTURE.md, "Transactions", is the protocol
//! each of them follows.

pub(crate) mod check;
pub mod confserv;
pub(crate) mod encrypt;
pub(crate) mod forget;
pub(crate) mod intended;
pub mod keyfiles;
pub(crate) mod mark;
pub(crate) mod opened;
pub(crate) mod previous;
pub(crate) mod prune;
pub(crate) mod prune_token;
pub(crate) mod rekey;
pub(crate) mod request;
pub(crate) mod rotate;
pub(crate) mod rotate_token;
pub(crate) mod second_opinion;
pub(crate) mod servers;
pub(crate) mod starts;
pub(crate) mod startup;
