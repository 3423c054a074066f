//! The PKCS#11 modules this process has loaded: each loaded and initialized
//! once ([`Module::load`]), shared by the sessions that use it, and
//! finalized when the last of them is dropped. A module another part of the
//! process initialized (`CKR_CRYPTOKI_ALREADY_INITIALIZED`, a server that
//! uses the token itself) is used and never finalized by confpass. Also
//! how a module's return values become confpass's errors.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as P11Error, RvError};

use crate::error::{Error, Result};

/// The modules this process has loaded, with how many sessions use each.
static LOADED: Mutex<Vec<Loaded>> = Mutex::new(Vec::new());

struct Loaded {
    path: PathBuf,
    ctx: Pkcs11,
    users: usize,
    /// Whether this process initialized it (and so finalizes it).
    ours: bool,
}

/// A loaded, initialized module, shared by the sessions of this process.
pub(super) struct Module {
    path: PathBuf,
    pub(super) ctx: Pkcs11,
}

impl Module {
    /// The module at `path`, loaded and initialized once per process.
    ///
    /// # Errors
    /// [`Error::TokenModule`] when it is missing, not loadable, or fails to
    /// initialize.
    pub(super) fn load(path: &Path, shown: &str) -> Result<Module> {
        let mut loaded = LOADED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(l) = loaded.iter_mut().find(|l| l.path == path) {
            l.users += 1;
            return Ok(Module {
                path: path.to_path_buf(),
                ctx: l.ctx.clone(),
            });
        }
        let module_err = |reason: String| Error::TokenModule {
            module: path.to_path_buf(),
            uri: shown.to_owned(),
            reason,
        };
        if !path.exists() {
            return Err(module_err("does not exist".into()));
        }
        let ctx = Pkcs11::new(path).map_err(|e| module_err(format!("cannot be loaded ({e})")))?;
        let ours = match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) => true,
            Err(P11Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => false,
            Err(e) => {
                return Err(module_err(format!(
                    "cannot be initialised ({})",
                    reason(&e)
                )));
            }
        };
        loaded.push(Loaded {
            path: path.to_path_buf(),
            ctx: ctx.clone(),
            users: 1,
            ours,
        });
        Ok(Module {
            path: path.to_path_buf(),
            ctx,
        })
    }
}

impl Drop for Module {
    fn drop(&mut self) {
        let mut loaded = LOADED.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(i) = loaded.iter().position(|l| l.path == self.path) else {
            return;
        };
        loaded[i].users -= 1;
        if loaded[i].users == 0 {
            let last = loaded.remove(i);
            if last.ours {
                // Nothing to do about a failure here: the process is done with it.
                let _ = last.ctx.finalize();
            }
        }
    }
}

/// A short name for what the module returned: `CKR_PIN_INCORRECT`.
pub(super) fn reason(e: &P11Error) -> String {
    match e {
        P11Error::Pkcs11(rv, _) => {
            let mut out = String::from("CKR");
            for c in format!("{rv:?}").chars() {
                if c.is_ascii_uppercase() {
                    out.push('_');
                }
                out.push(c.to_ascii_uppercase());
            }
            out
        }
        other => other.to_string(),
    }
}

pub(super) fn rv(e: &P11Error) -> Option<RvError> {
    match e {
        P11Error::Pkcs11(rv, _) => Some(*rv),
        _ => None,
    }
}

/// The error for a failure of the token itself: busy, or failed.
pub(super) fn failed(e: &P11Error, shown: &str) -> Error {
    let uri = shown.to_owned();
    match rv(e) {
        Some(
            RvError::SessionCount
            | RvError::DeviceMemory
            | RvError::HostMemory
            | RvError::OperationActive
            | RvError::ObjectHandleInvalid,
        ) => Error::TokenBusy {
            uri,
            reason: reason(e),
        },
        _ => Error::TokenFailed {
            uri,
            reason: reason(e),
        },
    }
}
