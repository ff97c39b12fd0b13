//! Why a data directory could not be opened. Every variant names the file or directory, and
//! none of them is raised after anything in the directory was changed.

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
    /// The database was written by a polyq with another storage format.
    #[error(
        "{path} has store format version {found}, but this polyq reads format version \
         {supported}; refusing to open it (the file is left unchanged)"
    )]
    IncompatibleVersion {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    /// The file is a SQLite database, but not one of polyq's.
    #[error(
        "{path} is not a polyq store (SQLite application id {found:#010x}); refusing to open \
         it (the file is left unchanged)"
    )]
    NotPolyq { path: PathBuf, found: i64 },
    /// The file is damaged: not a database, truncated, or failing SQLite's integrity check.
    #[error(
        "{path} is corrupt or truncated ({size} bytes): {detail}; refusing to start rather \
         than drop data (the file is left unchanged; restore it from a backup or move it away)"
    )]
    Corrupt {
        path: PathBuf,
        size: u64,
        detail: String,
    },
    /// Any other database failure while opening or loading.
    #[error("database error on {path}: {source}")]
    Database {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
}
