//! The database file: its tables, its settings, and the checks made before anything in it is
//! trusted or changed.
//!
//! Settings and why:
//! - `journal_mode=WAL` + `synchronous=FULL`: a commit returns after the WAL is fsynced, so an
//!   acknowledged change survives a power cut (NORMAL would only survive a process crash).
//! - `auto_vacuum=INCREMENTAL` (set before the first table exists): freed pages can be handed
//!   back to the file system by `incremental_vacuum`, which the writer runs when many pages
//!   are free; `journal_size_limit` truncates the WAL after checkpoints.
//! - `application_id` marks the file as polyq's, `user_version` is the format version; a file
//!   with another version is refused, never migrated silently.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::error::OpenError;

/// The database file inside the data directory.
pub const DB_FILE: &str = "polyq.db";
/// Storage format version, kept in `PRAGMA user_version`.
pub const FORMAT_VERSION: i64 = 1;
/// `PRAGMA application_id` of polyq stores ("PQue").
pub(crate) const APPLICATION_ID: i64 = 0x5051_7565;

const TABLES: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE queues (
    name TEXT PRIMARY KEY,
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL,
    config TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE messages (
    seq INTEGER PRIMARY KEY,
    queue TEXT NOT NULL,
    id TEXT NOT NULL,
    body BLOB NOT NULL,
    attributes TEXT,
    system_attributes TEXT,
    priority INTEGER NOT NULL,
    enqueued_ms INTEGER NOT NULL,
    visible_ms INTEGER NOT NULL,
    expires_ms INTEGER,
    receive_count INTEGER NOT NULL,
    first_receive_ms INTEGER,
    lease INTEGER NOT NULL,
    state INTEGER NOT NULL,
    group_id TEXT,
    dedup_id TEXT,
    sequence_number INTEGER,
    sender_id TEXT,
    dead_letter_source TEXT
);
CREATE INDEX messages_by_queue ON messages (queue);
CREATE TABLE dedup (
    queue TEXT NOT NULL,
    key TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    PRIMARY KEY (queue, key)
) WITHOUT ROWID;
CREATE INDEX dedup_by_expiry ON dedup (expires_ms);
";

/// What the store keeps besides queues and messages.
pub(crate) struct Meta {
    pub id_prefix: u64,
    pub next_seq: u64,
}

pub(crate) fn db_path(dir: &Path) -> PathBuf {
    dir.join(DB_FILE)
}

/// Opens (or creates) the database, refusing a foreign, newer/older or damaged file before
/// changing anything in it.
pub(crate) fn open(path: &Path) -> Result<(Connection, Meta), OpenError> {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let corrupt = |detail: String| OpenError::Corrupt {
        path: path.to_path_buf(),
        size,
        detail,
    };
    let db = |source| OpenError::Database {
        path: path.to_path_buf(),
        source,
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(e, &corrupt, &db))?;
    // Reading the header is the first touch of the file: a non-database fails here.
    let header = (|| -> rusqlite::Result<(i64, i64, i64)> {
        let app: i64 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
        Ok((app, version, tables))
    })();
    let (app, version, tables) = header.map_err(|e| classify(e, &corrupt, &db))?;
    let fresh = app == 0 && version == 0 && tables == 0;
    if !fresh {
        if app != APPLICATION_ID {
            return Err(OpenError::NotPolyq {
                path: path.to_path_buf(),
                found: app,
            });
        }
        if version != FORMAT_VERSION {
            return Err(OpenError::IncompatibleVersion {
                path: path.to_path_buf(),
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        quick_check(&conn)
            .map_err(|e| classify(e, &corrupt, &db))?
            .map_or(Ok(()), |bad| Err(corrupt(bad)))?;
    }
    configure(&conn, fresh).map_err(db)?;
    if fresh {
        create(&conn).map_err(db)?;
    }
    let meta = read_meta(&conn).map_err(db)?;
    Ok((conn, meta))
}

/// Damage detected by SQLite is reported as corruption, anything else as a database error.
fn classify(
    e: rusqlite::Error,
    corrupt: &dyn Fn(String) -> OpenError,
    db: &dyn Fn(rusqlite::Error) -> OpenError,
) -> OpenError {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    match e.sqlite_error_code() {
        Some(DatabaseCorrupt | NotADatabase) => corrupt(e.to_string()),
        _ => db(e),
    }
}

/// `None` when SQLite's structural check passes, else what it found (first lines).
fn quick_check(conn: &Connection) -> rusqlite::Result<Option<String>> {
    let mut stmt = conn.prepare("PRAGMA quick_check(20)")?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok((rows != ["ok"]).then(|| format!("integrity check found: {}", rows.join("; "))))
}

fn configure(conn: &Connection, fresh: bool) -> rusqlite::Result<()> {
    if fresh {
        // Must precede the first table; it cannot be switched on later without a VACUUM.
        conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    }
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
            Some(format!("the file system refused WAL mode (got {mode})")),
        ));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
    conn.pragma_update(None, "cache_size", -64 * 1024)?;
    Ok(())
}

fn create(conn: &Connection) -> rusqlite::Result<()> {
    // The id salt is drawn once per store and kept, so ids look alike across restarts.
    let id_prefix = polyq_core::MemoryStore::new().id_prefix();
    let tx = conn.unchecked_transaction()?;
    tx.execute_batch(TABLES)?;
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('id_prefix', ?1), ('next_seq', 1)",
        [id_prefix as i64],
    )?;
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", FORMAT_VERSION)?;
    tx.commit()
}

fn read_meta(conn: &Connection) -> rusqlite::Result<Meta> {
    let get = |key: &str| -> rusqlite::Result<u64> {
        let v: Option<i64> = conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?;
        Ok(v.unwrap_or(0) as u64)
    };
    Ok(Meta {
        id_prefix: get("id_prefix")?,
        next_seq: get("next_seq")?,
    })
}
