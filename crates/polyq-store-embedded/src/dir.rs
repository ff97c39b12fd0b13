//! Ownership of a data directory: an exclusive `flock` on `polyq.lock`, which also records the
//! owner's pid so that a second server can say who holds the directory. The kernel drops the
//! lock when the owner dies, even by `kill -9`, so a stale lock file never blocks a restart.
//! The directory itself is locked too (on Unix): a lock file removed by hand while its owner
//! runs must not let a second server in to write the same segments.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::OpenError;

pub(crate) const LOCK_FILE: &str = "polyq.lock";

/// Held for the lifetime of a store; dropping it (closing the file) releases the lock.
pub(crate) struct DirLock {
    _file: File,
    #[cfg(unix)]
    _dir: File,
}

impl DirLock {
    pub(crate) fn acquire(dir: &Path) -> Result<DirLock, OpenError> {
        let io = |source| OpenError::Io {
            dir: dir.to_path_buf(),
            source,
        };
        // Said plainly: create_dir_all's own error for a file in the way is "File exists".
        if dir.exists() && !dir.is_dir() {
            return Err(io(std::io::Error::other(
                "it is a file, not a directory; give a directory (it is created if missing)",
            )));
        }
        std::fs::create_dir_all(dir).map_err(io)?;
        let path = dir.join(LOCK_FILE);
        // Named in full: a relative `--store` is relative to the other server's directory.
        let locked = |file: &mut File| OpenError::Locked {
            dir: display_dir(dir),
            pid: holder_pid(file),
            lock: display_dir(dir).join(LOCK_FILE),
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(locked(&mut file)),
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        #[cfg(unix)]
        let dir_file = {
            let d = File::open(dir).map_err(io)?;
            match d.try_lock() {
                Ok(()) => d,
                // The owner's lock file was removed (this one is new, hence empty).
                Err(TryLockError::WouldBlock) => return Err(locked(&mut file)),
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
        };
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        Ok(DirLock {
            _file: file,
            #[cfg(unix)]
            _dir: dir_file,
        })
    }
}

fn holder_pid(file: &mut File) -> String {
    let mut text = String::new();
    match file.read_to_string(&mut text) {
        Ok(_) if !text.trim().is_empty() => text.trim().to_string(),
        _ => "unknown".to_string(),
    }
}

/// The canonical form of `dir` for messages, or `dir` itself when it cannot be resolved.
pub(crate) fn display_dir(dir: &Path) -> PathBuf {
    dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
}
