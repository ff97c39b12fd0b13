//! [`EmbeddedStore`]: the memory engine plus a durable copy of everything it does.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use polyq_core::memory::Journal;
use polyq_core::*;

use crate::dir::{display_dir, DirLock};
use crate::error::OpenError;
use crate::log::{sync_dir, Log, SEGMENT_BYTES};
use crate::recover::{recover, Repair};
use crate::segment::FORMAT_VERSION;
use crate::writer::{tracked, Writer};

/// Where format version 1 (a SQLite database) kept everything.
const V1_FILE: &str = "polyq.db";

/// A durable single-node store: a [`MemoryStore`] that is authoritative at run time, with
/// every change appended to the log in `DIR` before the request that made it is answered.
///
/// # Failure model
///
/// A request applies its change to memory (under the queue's lock, where the change is also
/// appended to the writer's queue, so disk order = memory order), then waits until the
/// writer has committed it. So memory runs ahead of disk by at most the batch being written,
/// and only for changes nobody has been told about yet.
///
/// If a commit fails (disk full, I/O error), the batch is not acknowledged, and whatever part
/// of it reached the file is cut off at the next start: disk keeps exactly what was
/// acknowledged. Memory, however, now holds changes that are not on disk (this batch
/// and any applied after it), and other requests may already have acted on them (a receive
/// that leased a message whose send failed). Undoing them one by one would need an inverse
/// for every engine operation and would cascade through everything that observed them; so the
/// store instead turns **read-only** for the rest of the process: every request waiting on
/// the failed batch, and every later state-changing request, fails with
/// [`CoreError::Storage`] (the dialects answer 5xx), reads keep being served from memory, the
/// failure is logged once, and a restart rebuilds memory from disk, which is consistent.
/// Applying only after a commit (holding the queue lock across the fsync) was rejected: it
/// serialises each queue to one fsync per request and defeats group commit.
///
/// Reads are not held back by the writer, so a peek can show a message whose send is still
/// being committed (and is lost if that commit fails). Receives are state changes and do
/// wait: a receipt is never handed out for a message that is not on disk.
///
/// Not persisted: SQS receive-attempt ids (`ReceiveRequestAttemptId`, a 5-minute retry aid);
/// after a restart a retried attempt leases anew.
pub struct EmbeddedStore {
    memory: Arc<MemoryStore>,
    writer: Writer,
    dir: PathBuf,
    // After the writer: released only once it has stopped and closed the database.
    _lock: DirLock,
    // Last: removes a disposable directory once everything in it is closed.
    _cleanup: Option<RemoveDir>,
}

struct RemoveDir(PathBuf);

impl Drop for RemoveDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl EmbeddedStore {
    /// Opens the data directory `dir` (created when missing), taking exclusive ownership of it,
    /// checking the database's format and integrity, and rebuilding the queues from it.
    /// Blocking: call it before serving (or from `spawn_blocking`).
    pub fn open(dir: impl AsRef<Path>) -> Result<EmbeddedStore, OpenError> {
        Self::open_with(dir, SEGMENT_BYTES)
    }

    /// [`open`](Self::open) with another segment size: tests use tiny segments to exercise
    /// rotation and compaction.
    #[doc(hidden)]
    pub fn open_with(
        dir: impl AsRef<Path>,
        segment_bytes: u64,
    ) -> Result<EmbeddedStore, OpenError> {
        let started = Instant::now();
        let dir = dir.as_ref();
        let lock = DirLock::acquire(dir)?;
        let shown = display_dir(dir);
        let v1 = shown.join(V1_FILE);
        if v1.exists() {
            return Err(OpenError::IncompatibleVersion {
                path: v1,
                found: 1,
                supported: i64::from(FORMAT_VERSION),
            });
        }
        let recovered = recover(&shown)?;
        let io = |source| OpenError::Io {
            dir: shown.clone(),
            source,
        };
        let mut number = recovered.newest + 1;
        if let Some(repair) = &recovered.repair {
            cut_off(repair).map_err(io)?;
            if repair.keep == 0 {
                number = recovered.newest;
            }
        }
        // A restarted store always writes to a fresh segment: the old newest one may end
        // where a crash cut it, and every segment must start with the full catalog.
        let id_prefix = recovered
            .id_prefix
            .unwrap_or_else(|| MemoryStore::new().id_prefix());
        let next_seq = recovered.catalog.next_seq.max(1);
        // The user's queues: the dialects' own state (MNS topics, …) lives in internal ones.
        let queues = recovered
            .catalog
            .queues
            .keys()
            .filter(|name| !polyq_core::is_internal_queue(name))
            .count();
        let log = Log::start(
            &shown,
            number.max(1),
            id_prefix,
            segment_bytes,
            recovered.catalog,
            recovered.tracker,
        )
        .map_err(io)?;
        let writer = Writer::start(log);
        let journal: Arc<dyn Journal> = writer.shared.clone();
        let memory = Arc::new(
            recovered
                .restorer
                .finish(next_seq, id_prefix, Some(journal)),
        );
        writer.shared.attach_memory(&memory);
        tracing::info!(
            dir = %shown.display(),
            queues,
            messages = recovered.messages,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "store opened"
        );
        Ok(EmbeddedStore {
            memory,
            writer,
            dir: shown,
            _lock: lock,
            _cleanup: None,
        })
    }

    /// Like [`open`](Self::open), and removes `dir` with everything in it when the store is
    /// dropped: for tests and benchmarks.
    pub fn open_disposable(dir: impl AsRef<Path>) -> Result<EmbeddedStore, OpenError> {
        let mut store = Self::open(dir.as_ref())?;
        store._cleanup = Some(RemoveDir(store.dir.clone()));
        Ok(store)
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Why the store is read-only, once a write has failed.
    pub fn failure(&self) -> Option<String> {
        self.writer.shared.failure().map(|f| f.to_string())
    }

    /// The engine serving requests (for inspection; changing state through it directly
    /// would bypass the disk).
    pub fn memory(&self) -> &MemoryStore {
        &self.memory
    }

    /// Number of log segment files and their total size in bytes.
    pub fn disk_usage(&self) -> (usize, u64) {
        self.writer.shared.disk_usage()
    }

    /// Test hook: the next commit fails as if the disk were full.
    #[doc(hidden)]
    pub fn inject_write_failure(&self) {
        self.writer.shared.inject_failure();
    }

    /// Test hook: no commit starts while the returned guard lives (changes are recorded and
    /// wait, as behind a slow disk).
    #[doc(hidden)]
    pub fn hold_commits(&self) -> impl Drop + '_ {
        self.writer.shared.commit_gate.lock()
    }

    /// Fails once a write has failed. Requests are told why without the data directory's path
    /// (clients have no business knowing the server's file system; the log line of the failed
    /// write names it), `/health` with it, for the operator.
    fn writable(&self, naming_the_directory: bool) -> CoreResult<()> {
        let Some(why) = self.writer.shared.failure() else {
            return Ok(());
        };
        let place = if naming_the_directory {
            format!("to {} ", self.dir.display())
        } else {
            String::new()
        };
        Err(CoreError::Storage(format!(
            "the store is read-only since a write {place}failed ({why}); restart polyq once \
             the disk is fixed"
        )))
    }

    /// Runs a state-changing memory operation and answers once its changes are on disk.
    ///
    /// One that changed nothing may still answer from changes of others not yet on disk (a
    /// FIFO send deduplicated against a send still being committed, a delete or a CreateQueue
    /// repeated while the first is): it waits for every change recorded before it answered.
    /// The engine records a change before it lets go of the queue's lock, so whatever the
    /// operation saw is at or before that position.
    async fn durably<T>(
        &self,
        op: impl std::future::Future<Output = CoreResult<T>>,
    ) -> CoreResult<T> {
        self.writable(false)?;
        let (out, pos) = tracked(op).await;
        let pos = if pos == 0 {
            self.writer.shared.recorded()
        } else {
            pos
        };
        self.writer.shared.wait_durable(pos).await?;
        out
    }
}

#[async_trait]
impl QueueStore for EmbeddedStore {
    /// Unhealthy once a write has failed: the store is read-only until restart.
    async fn health(&self) -> CoreResult<()> {
        self.writable(true)
    }

    async fn create_queue(
        &self,
        name: &str,
        config: QueueConfig,
        now: u64,
    ) -> CoreResult<CreateOutcome> {
        self.durably(self.memory.create_queue(name, config, now))
            .await
    }

    async fn delete_queue(&self, name: &str) -> CoreResult<()> {
        self.durably(self.memory.delete_queue(name)).await
    }

    async fn get_queue(&self, name: &str, now: u64) -> CoreResult<QueueInfo> {
        self.memory.get_queue(name, now).await
    }

    async fn list_queues(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
        now: u64,
    ) -> CoreResult<Vec<QueueInfo>> {
        self.memory
            .list_queues(prefix, start_after, limit, now)
            .await
    }

    async fn update_queue(
        &self,
        name: &str,
        update: QueueUpdate,
        now: u64,
    ) -> CoreResult<QueueInfo> {
        self.durably(self.memory.update_queue(name, update, now))
            .await
    }

    async fn purge_queue(&self, name: &str, now: u64) -> CoreResult<u64> {
        self.durably(self.memory.purge_queue(name, now)).await
    }

    async fn send(
        &self,
        queue: &str,
        messages: Vec<NewMessage>,
        now: u64,
    ) -> CoreResult<Vec<CoreResult<Sent>>> {
        self.durably(self.memory.send(queue, messages, now)).await
    }

    async fn lease(
        &self,
        queue: &str,
        request: LeaseRequest,
        now: u64,
    ) -> CoreResult<LeaseOutcome> {
        self.durably(self.memory.lease(queue, request, now)).await
    }

    async fn peek(&self, queue: &str, max: usize, now: u64) -> CoreResult<Vec<Message>> {
        self.memory.peek(queue, max, now).await
    }

    async fn get_message(&self, queue: &str, id: &str, now: u64) -> CoreResult<Message> {
        self.memory.get_message(queue, id, now).await
    }

    async fn delete_receipts(
        &self,
        queue: &str,
        receipts: &[Receipt],
        leased_only: bool,
        now: u64,
    ) -> CoreResult<Vec<CoreResult<()>>> {
        self.durably(
            self.memory
                .delete_receipts(queue, receipts, leased_only, now),
        )
        .await
    }

    async fn change_visibility(
        &self,
        queue: &str,
        changes: &[VisibilityChange],
        now: u64,
    ) -> CoreResult<Vec<CoreResult<Relet>>> {
        self.durably(self.memory.change_visibility(queue, changes, now))
            .await
    }

    async fn update_message(
        &self,
        queue: &str,
        change: VisibilityChange,
        body: Option<bytes::Bytes>,
        now: u64,
    ) -> CoreResult<Relet> {
        self.durably(self.memory.update_message(queue, change, body, now))
            .await
    }

    async fn move_messages(
        &self,
        from: &str,
        to: Option<&str>,
        max: usize,
        now: u64,
    ) -> CoreResult<u64> {
        self.durably(self.memory.move_messages(from, to, max, now))
            .await
    }
}

/// Cuts off the end of the newest segment that a crash left incomplete (it was never
/// acknowledged), or removes the segment when not even its header was complete.
fn cut_off(repair: &Repair) -> std::io::Result<()> {
    tracing::warn!(
        path = %repair.path.display(),
        kept_bytes = repair.keep,
        found = %repair.what,
        "the last write before the previous stop was cut short (a crash or power cut); its \
         changes were never acknowledged and are dropped"
    );
    if repair.keep == 0 {
        std::fs::remove_file(&repair.path)?;
    } else {
        let file = std::fs::OpenOptions::new().write(true).open(&repair.path)?;
        file.set_len(repair.keep)?;
        file.sync_all()?;
    }
    sync_dir(repair.path.parent().unwrap_or(Path::new(".")))
}
