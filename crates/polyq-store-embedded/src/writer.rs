//! The single writer: a thread that owns the database connection and turns the journal into
//! group commits.
//!
//! Requests append their changes to one pending list (under a mutex, so the list order is the
//! order in which the memory engine applied them) and learn their position in it. The thread
//! takes everything pending, writes it in one transaction, commits (one fsync for all of
//! those requests), and publishes the highest position now durable; each request waits for
//! its own position. While one batch is being written the next one accumulates, so under load
//! the batch grows and the fsync cost per request shrinks.
//!
//! A commit that fails (disk full, I/O error) is rolled back by SQLite, logged, and turns the
//! store read-only for good (see [`crate::EmbeddedStore`] for why); the thread then exits and
//! closes the database.

use std::cell::Cell;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use polyq_core::memory::{Change, Journal};
use polyq_core::{CoreError, CoreResult};
use rusqlite::Connection;
use tokio::sync::watch;

use crate::sql::{apply, SqlState};

tokio::task_local! {
    /// Position of the last change list recorded by the operation running in this task.
    static RECORDED: Cell<u64>;
}

/// What is durable so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct Durable {
    /// Every change list up to this position is committed.
    pub pos: u64,
    /// Set once a commit failed; nothing is written after it.
    pub failed: Option<Arc<str>>,
}

#[derive(Default)]
struct Pending {
    changes: Vec<Change>,
    /// Number of change lists ever recorded (the position of the last one).
    recorded: u64,
    closing: bool,
    failed: bool,
}

/// State shared by the requests (through the [`Journal`] impl) and the writer thread.
pub(crate) struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
    durable: watch::Sender<Durable>,
    /// Test hook: make the next commit fail as a full disk would.
    fail_next: AtomicBool,
}

impl Journal for Shared {
    fn record(&self, changes: Vec<Change>) {
        let pos = {
            let mut p = self.pending.lock();
            if p.failed || p.closing {
                return;
            }
            let was_empty = p.changes.is_empty();
            p.changes.extend(changes);
            p.recorded += 1;
            if was_empty {
                self.wake.notify_one();
            }
            p.recorded
        };
        let _ = RECORDED.try_with(|c| c.set(pos));
    }
}

impl Shared {
    pub(crate) fn failure(&self) -> Option<Arc<str>> {
        self.durable.borrow().failed.clone()
    }

    pub(crate) fn inject_failure(&self) {
        self.fail_next.store(true, Ordering::SeqCst);
    }

    /// Waits until the change lists up to `pos` are committed.
    pub(crate) async fn wait_durable(&self, pos: u64) -> CoreResult<()> {
        if pos == 0 {
            return Ok(());
        }
        let mut rx = self.durable.subscribe();
        let d = rx
            .wait_for(|d| d.pos >= pos || d.failed.is_some())
            .await
            .map_err(|_| CoreError::Storage("the store's writer has stopped".into()))?;
        match (&d.failed, d.pos >= pos) {
            (_, true) => Ok(()),
            (Some(why), false) => Err(CoreError::Storage(format!(
                "the change could not be written to disk: {why}"
            ))),
            (None, false) => unreachable!("wait_for returned early"),
        }
    }
}

/// Runs `op` (a memory-engine call) and reports the position of the last change list it
/// recorded, 0 when it changed nothing.
pub(crate) async fn tracked<T>(op: impl std::future::Future<Output = T>) -> (T, u64) {
    RECORDED
        .scope(Cell::new(0), async {
            let out = op.await;
            (out, RECORDED.with(Cell::get))
        })
        .await
}

/// The running writer; dropping it writes what is pending, stops the thread and closes the
/// database.
pub(crate) struct Writer {
    pub shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    pub(crate) fn start(conn: Connection, live_queues: HashSet<String>, next_seq: u64) -> Self {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            wake: Condvar::new(),
            durable: watch::Sender::new(Durable::default()),
            fail_next: AtomicBool::new(false),
        });
        let state = SqlState {
            live_queues,
            next_seq,
        };
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("polyq-store-writer".into())
            .spawn(move || run(conn, state, &thread_shared))
            .expect("spawn the store writer thread");
        Writer {
            shared,
            thread: Some(thread),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.shared.pending.lock().closing = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(mut conn: Connection, mut state: SqlState, shared: &Shared) {
    let mut last_maintenance = Instant::now();
    loop {
        let (batch, upto, closing) = {
            let mut p = shared.pending.lock();
            // Wakes at least once a second when idle, for the space check below.
            if p.changes.is_empty() && !p.closing {
                shared.wake.wait_for(&mut p, Duration::from_secs(1));
            }
            (std::mem::take(&mut p.changes), p.recorded, p.closing)
        };
        if !batch.is_empty() {
            if let Err(e) = commit(&mut conn, &mut state, &batch, shared) {
                let why: Arc<str> = Arc::from(e.to_string());
                tracing::error!(
                    error = %why,
                    changes = batch.len(),
                    "store write failed; the store is read-only until polyq restarts \
                     (what was acknowledged before is intact on disk)"
                );
                let mut p = shared.pending.lock();
                p.failed = true;
                p.changes.clear();
                drop(p);
                shared.durable.send_modify(|d| d.failed = Some(why));
                return;
            }
            shared.durable.send_modify(|d| d.pos = upto);
        }
        if closing && batch.is_empty() {
            return;
        }
        if last_maintenance.elapsed() >= Duration::from_secs(1) {
            last_maintenance = Instant::now();
            if let Err(e) = reclaim_space(&conn) {
                tracing::warn!(error = %e, "reclaiming free space of the store failed");
            }
        }
    }
}

fn commit(
    conn: &mut Connection,
    state: &mut SqlState,
    batch: &[Change],
    shared: &Shared,
) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    let next_seq = apply(&tx, state, batch)?;
    if shared.fail_next.swap(false, Ordering::SeqCst) {
        // Dropping `tx` rolls back, exactly as after a real failure.
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            Some("injected failure: database or disk is full".into()),
        ));
    }
    tx.commit()?;
    state.next_seq = next_seq;
    Ok(())
}

/// Hands free pages back to the file system once they are many: SQLite reuses free pages on
/// its own, so a queue in steady state does not grow; this only shrinks the file after a
/// backlog drained. Keeps some slack so a refilling queue does not regrow at once.
pub(crate) fn reclaim_space(conn: &Connection) -> rusqlite::Result<()> {
    const SLACK_PAGES: i64 = 1024;
    let free: i64 = conn.pragma_query_value(None, "freelist_count", |r| r.get(0))?;
    let total: i64 = conn.pragma_query_value(None, "page_count", |r| r.get(0))?;
    if free > 4 * SLACK_PAGES && free * 4 > total {
        let n = free - SLACK_PAGES;
        // Stepped to the end: each step of this pragma frees pages.
        let mut stmt = conn.prepare(&format!("PRAGMA incremental_vacuum({n})"))?;
        let mut rows = stmt.query([])?;
        while rows.next()?.is_some() {}
        // Moves the shrunk pages into the main file and truncates the WAL.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        tracing::info!(pages = n, "store file shrunk");
    }
    Ok(())
}
