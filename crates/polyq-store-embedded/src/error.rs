//! Why a data directory could not be opened. Every variant names the file or directory, and
//! none of them is raised after anything in the directory was changed (apart from taking the
//! lock file).

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum OpenError {
    /// The directory or a file in it could not be created, opened or read.
    #[error("cannot use data directory {dir}: {source}")]
    Io {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Another process (or another store in this process) owns the directory.
    #[error(
        "data directory {dir} is in use by another polyq process (pid {pid}, recorded in {lock}); \
         stop it or choose another directory with --store"
    )]
    Locked {
        dir: PathBuf,
        /// As written in the lock file by its holder; `unknown` when unreadable.
        pid: String,
        lock: PathBuf,
    },
    /// The file was written by a polyq with another storage format.
    #[error(
        "{path} has store format version {found}, but this polyq reads format versions \
         {} to {supported}; refusing to open it (the file is left unchanged)",
        crate::segment::OLDEST_READ_VERSION
    )]
    IncompatibleVersion {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    /// A file is damaged (other than by a write cut short at the end of the log, which a
    /// crash can cause and recovery handles): not a polyq segment, a failing checksum, a
    /// segment missing from the sequence.
    #[error(
        "{path} is corrupt or truncated ({size} bytes): {detail}; refusing to start rather \
         than drop data (the file is left unchanged; restore it from a backup or move it away)"
    )]
    Corrupt {
        path: PathBuf,
        size: u64,
        detail: String,
    },
}
