//! One host per user-data directory.
//!
//! An exclusive `flock` on `host.lock`, taken without waiting. The kernel
//! drops it when the file is closed or the process dies (SIGKILL included),
//! so there is no stale-lock cleanup and no pid in the file.

use std::fs::{File, TryLockError};

use crate::error::{Result, StorageError};
use crate::layout::{open_private, UserData};

/// Proof that this process owns the user-data directory; released on drop.
#[derive(Debug)]
pub struct UserDataLock {
    _file: File,
}

impl UserDataLock {
    /// Takes the lock or fails at once with [`StorageError::Locked`].
    ///
    /// The lock belongs to the open file description, so a second
    /// `acquire` in the same process also fails while the first is held.
    pub fn acquire(user_data: &UserData) -> Result<UserDataLock> {
        let path = user_data.lock_path();
        let file = open_private(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(UserDataLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(StorageError::Locked {
                path: user_data.root().to_path_buf(),
            }),
            Err(TryLockError::Error(e)) => Err(StorageError::io("lock", path, e)),
        }
    }
}
