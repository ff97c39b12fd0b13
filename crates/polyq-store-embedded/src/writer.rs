//! The single writer: a thread that owns the log and turns the journal into group commits.
//!
//! Requests append their changes to one pending list (under a mutex, so the list order is the
//! order in which the memory engine applied them) and learn their position in it. The thread
//! takes everything pending, appends it as one frame, fsyncs once for all of those requests,
//! and publishes the highest position now durable; each request waits for
//! its own position. While one batch is being written the next one accumulates, so under load
//! the batch grows and the fsync cost per request shrinks.
//!
//! Under concurrent load the thread also lingers after a commit before taking the next batch
//! (see [`linger`]): each commit costs the machine far more than its fsync wait (the thread
//! sleeps and wakes two or three times, the block layer's worker runs, the disk interrupts), and
//! when the CPU is the bottleneck, fewer and larger commits leave more of it to the requests.
//!
//! A commit that fails (disk full, I/O error) is logged and turns the store read-only for good
//! (see [`crate::EmbeddedStore`] for why); the thread then exits. Whatever part of the frame
//! reached the file is cut off by recovery at the next start.
//!
//! Once a second the thread also compacts: it asks the engine to write again the few live
//! messages that keep the oldest segment from being deleted (see [`crate::log`]).

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use polyq_core::memory::{Change, Journal};
use polyq_core::{CoreResult, MemoryStore};

use crate::log::Log;
use crate::waiters::Waiters;

tokio::task_local! {
    /// Position of the last change list recorded by the operation running in this task.
    static RECORDED: Cell<u64>;
}

#[derive(Default)]
struct Pending {
    changes: Vec<Change>,
    /// Number of change lists ever recorded (the position of the last one).
    recorded: u64,
    closing: bool,
    failed: bool,
}

/// The position given to a change list the journal refused (after a failed commit or while
/// closing).
const REFUSED: u64 = u64::MAX;

/// State shared by the requests (through the [`Journal`] impl) and the writer thread.
pub(crate) struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
    waiters: Waiters,
    /// Test hook: make the next commit fail as a full disk would.
    fail_next: AtomicBool,
    /// Test hook: the writer takes this before each commit, so a test holding it keeps every
    /// change recorded meanwhile off the disk (as a slow `fdatasync` would).
    pub(crate) commit_gate: Mutex<()>,
    /// The engine, for compaction (set once it exists; it is built after the writer).
    memory: OnceLock<Weak<MemoryStore>>,
    /// Number of segment files and their bytes, for inspection.
    disk: parking_lot::Mutex<(usize, u64)>,
}

impl Journal for Shared {
    fn record(&self, changes: Vec<Change>) {
        let pos = {
            let mut p = self.pending.lock();
            if p.failed || p.closing {
                drop(p);
                // A position no commit will reach: the request fails (on the failure, or on
                // the stopped writer) instead of being answered for a change held only in
                // memory.
                let _ = RECORDED.try_with(|c| c.set(REFUSED));
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
        self.waiters.failure()
    }

    pub(crate) fn attach_memory(&self, memory: &Arc<MemoryStore>) {
        let _ = self.memory.set(Arc::downgrade(memory));
    }

    pub(crate) fn disk_usage(&self) -> (usize, u64) {
        *self.disk.lock()
    }

    pub(crate) fn inject_failure(&self) {
        self.fail_next.store(true, Ordering::SeqCst);
    }

    /// Turns the store read-only after a failed commit. The failure is published first, then
    /// further records are refused: a change recorded in between is cleared here and its
    /// request fails on the failure; a request whose changes were refused waits for a position
    /// no commit reaches and fails the same way. Either way nobody is told "done" for a change
    /// that is not on disk.
    fn fail(&self, why: Arc<str>) {
        self.waiters.stop(Some(why));
        let mut p = self.pending.lock();
        p.failed = true;
        p.changes.clear();
    }

    /// The position of the last change list recorded so far (by anyone).
    pub(crate) fn recorded(&self) -> u64 {
        self.pending.lock().recorded
    }

    /// Waits until the change lists up to `pos` are committed.
    pub(crate) async fn wait_durable(&self, pos: u64) -> CoreResult<()> {
        if pos == 0 {
            return Ok(());
        }
        self.waiters.wait(pos).await
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
    pub(crate) fn start(log: Log) -> Self {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            wake: Condvar::new(),
            waiters: Waiters::default(),
            fail_next: AtomicBool::new(false),
            commit_gate: Mutex::new(()),
            memory: OnceLock::new(),
            disk: parking_lot::Mutex::new(log.disk_usage()),
        });
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("polyq-store-writer".into())
            .spawn(move || run(log, &thread_shared))
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

/// Upper bound of [`linger`], for a disk whose commits are slow.
const MAX_LINGER: Duration = Duration::from_millis(2);

/// How long to wait after a commit that covered `lists` change lists (one per request) and
/// took `took`, before taking the next batch.
///
/// A single client never waits (its next request cannot arrive before its answer). With
/// concurrent clients, waiting as long as the commit took at most halves the rate of commits
/// and adds at most one commit time to a request's wait. Measured on the 2-core VM of
/// docs/benchmarks.md (SQS JSON full cycle): +27% at 64/128 producers/consumers (the store then
/// keeps 77% of the memory store's throughput), +11% at 8/16, unchanged at 2/4; twice the
/// commit time was no better.
fn linger(lists: u64, took: Duration) -> Duration {
    if lists < 2 {
        return Duration::ZERO;
    }
    took.min(MAX_LINGER)
}

fn run(mut log: Log, shared: &Shared) {
    let mut last_maintenance = Instant::now();
    // Position covered by the previous commit.
    let mut committed = 0u64;
    loop {
        let (batch, upto, closing) = {
            let mut p = shared.pending.lock();
            // Wakes at least once a second when idle, for compaction below.
            if p.changes.is_empty() && !p.closing {
                shared.wake.wait_for(&mut p, Duration::from_secs(1));
            }
            (std::mem::take(&mut p.changes), p.recorded, p.closing)
        };
        if !batch.is_empty() {
            let started = Instant::now();
            drop(shared.commit_gate.lock());
            let fail = shared.fail_next.swap(false, Ordering::SeqCst);
            if let Err(e) = log.commit(&batch, fail) {
                stop_writing(shared, &log, &e, batch.len());
                return;
            }
            // Before the requests are answered, so that what they see of the disk includes
            // their own commit.
            *shared.disk.lock() = log.disk_usage();
            shared.waiters.committed(upto);
            if !collect(&mut log, shared) {
                return;
            }
            let pause = linger(upto - committed, started.elapsed());
            committed = upto;
            if !closing && !pause.is_zero() {
                std::thread::sleep(pause);
            }
        }
        if closing && batch.is_empty() {
            shared.waiters.stop(None);
            return;
        }
        if last_maintenance.elapsed() >= Duration::from_secs(1) {
            last_maintenance = Instant::now();
            // A data directory moved or removed under a running server would otherwise take
            // writes (into a file nothing will read) until the next segment, 64 MiB later:
            // checked once a second, it turns the store read-only as a failed write does.
            if let Err(e) = log.still_in_place() {
                stop_writing(shared, &log, &e, 0);
                return;
            }
            if !collect(&mut log, shared) {
                return;
            }
            compact(&log, shared);
        }
    }
}

/// Deletes the old segments nothing needs ([`Log::collect`]), keeping the disk figures
/// current when that changed them; `false` when the log failed and the store stopped writing.
fn collect(log: &mut Log, shared: &Shared) -> bool {
    match log.collect() {
        Ok(false) => true,
        Ok(true) => {
            *shared.disk.lock() = log.disk_usage();
            true
        }
        Err(e) => {
            stop_writing(shared, log, &e, 0);
            false
        }
    }
}

/// Stops the store's writes after a failed write: pending and later changes fail their
/// requests, reads go on.
fn stop_writing(shared: &Shared, log: &Log, e: &std::io::Error, changes: usize) {
    let why: Arc<str> = Arc::from(e.to_string());
    tracing::error!(
        dir = %log.dir().display(),
        error = %why,
        changes,
        "store write failed; the store is read-only until polyq restarts \
         (what was acknowledged before is intact on disk)"
    );
    shared.fail(why);
}

/// Asks the engine to write again the live messages that pin the oldest segment; their new
/// copies arrive through the journal like any change and are committed next.
fn compact(log: &Log, shared: &Shared) {
    let pinning = log.to_relocate();
    if pinning.is_empty() {
        return;
    }
    let Some(memory) = shared.memory.get().and_then(Weak::upgrade) else {
        return;
    };
    let count: usize = pinning.values().map(Vec::len).sum();
    for (queue, seqs) in &pinning {
        memory.rejournal(queue, seqs);
    }
    tracing::debug!(
        messages = count,
        "copying live messages out of the oldest log segment"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> Shared {
        Shared {
            pending: Mutex::new(Pending::default()),
            wake: Condvar::new(),
            waiters: Waiters::default(),
            fail_next: AtomicBool::new(false),
            commit_gate: Mutex::new(()),
            memory: OnceLock::new(),
            disk: parking_lot::Mutex::new((0, 0)),
        }
    }

    #[tokio::test]
    async fn after_a_failure_refused_changes_fail_their_request() {
        let s = shared();
        let ((), before) =
            tracked(async { s.record(vec![Change::QueuePurge { name: "q".into() }]) }).await;
        assert_eq!(before, 1);
        s.fail(Arc::from("disk full"));
        assert!(
            s.pending.lock().changes.is_empty(),
            "uncommitted changes are dropped"
        );
        assert!(s.wait_durable(before).await.is_err(), "their request fails");
        let ((), after) =
            tracked(async { s.record(vec![Change::QueuePurge { name: "q".into() }]) }).await;
        assert_eq!(after, REFUSED, "a change after the failure is refused");
        assert!(s.pending.lock().changes.is_empty());
        assert!(
            s.wait_durable(after).await.is_err(),
            "and its request fails too"
        );
    }

    #[test]
    fn a_lone_request_is_committed_without_lingering() {
        assert_eq!(linger(0, Duration::from_millis(1)), Duration::ZERO);
        assert_eq!(linger(1, Duration::from_millis(1)), Duration::ZERO);
    }

    #[test]
    fn concurrent_requests_linger_one_commit_time_bounded() {
        let took = Duration::from_micros(300);
        assert_eq!(linger(2, took), took);
        assert_eq!(linger(50, took), took);
        assert_eq!(linger(50, Duration::from_secs(1)), MAX_LINGER);
    }
}
