//! [`FaultyStore`]: a store that fails while told to, for tests of what a caller does when its
//! store does (PostgreSQL out of reach fails every call, reads included), and that can hold a
//! queue's creation at a gate, for tests of a race at exactly that point, or answer leases
//! late (as a store waiting for a lock or a disk does). Like
//! [`crate::conformance`], test support shipped with the crate so that other crates' tests can
//! use it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::{Notify, Semaphore};

use crate::error::{CoreError, CoreResult};
use crate::ids::Receipt;
use crate::model::*;
use crate::store::{QueueStore, QueueUpdate};
use crate::waiters::Waiters;

/// Wraps a store; while [`FaultyStore::set_failing`] is on, every call fails with
/// [`CoreError::Unavailable`] and reaches nothing.
pub struct FaultyStore {
    inner: Arc<dyn QueueStore>,
    failing: AtomicBool,
    gate: Mutex<Option<Arc<Gate>>>,
    lease_delay: Mutex<std::time::Duration>,
    listing_delay: Mutex<std::time::Duration>,
}

/// Holds the creation of queues whose name starts with a prefix (see
/// [`FaultyStore::gate_creates`]).
pub struct Gate {
    prefix: String,
    reached: Notify,
    open: Semaphore,
}

impl Gate {
    /// Waits until a gated creation has reached the gate (and is waiting there).
    pub async fn reached(&self) {
        self.reached.notified().await;
    }

    /// Lets one waiting (or the next) gated creation through.
    pub fn open_once(&self) {
        self.open.add_permits(1);
    }
}

impl FaultyStore {
    pub fn new(inner: Arc<dyn QueueStore>) -> Self {
        FaultyStore {
            inner,
            failing: AtomicBool::new(false),
            gate: Mutex::new(None),
            lease_delay: Mutex::new(std::time::Duration::ZERO),
            listing_delay: Mutex::new(std::time::Duration::ZERO),
        }
    }

    /// From now on, a lease is answered this long after the inner store made it (zero: at
    /// once), as by a store that waited for a lock or a disk after reading the clock.
    pub fn delay_leases(&self, delay: std::time::Duration) {
        *self.lease_delay.lock() = delay;
    }

    /// From now on, a listing of queues is answered this long late (zero: at once), as by a
    /// store that hangs without failing.
    pub fn delay_listings(&self, delay: std::time::Duration) {
        *self.listing_delay.lock() = delay;
    }

    /// From now on, creating a queue whose name starts with `prefix` waits at the returned
    /// gate until it is opened (once per creation).
    pub fn gate_creates(&self, prefix: &str) -> Arc<Gate> {
        let gate = Arc::new(Gate {
            prefix: prefix.to_string(),
            reached: Notify::new(),
            open: Semaphore::new(0),
        });
        *self.gate.lock() = Some(gate.clone());
        gate
    }

    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    fn check(&self) -> CoreResult<()> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(CoreError::Unavailable("injected store failure".into()));
        }
        Ok(())
    }
}

#[async_trait]
impl QueueStore for FaultyStore {
    async fn create_queue(
        &self,
        name: &str,
        config: QueueConfig,
        now: u64,
    ) -> CoreResult<CreateOutcome> {
        self.check()?;
        let gate = self.gate.lock().clone();
        if let Some(gate) = gate.filter(|g| name.starts_with(&g.prefix)) {
            gate.reached.notify_one();
            gate.open
                .acquire()
                .await
                .map_err(|_| CoreError::Unavailable("gate closed".into()))?
                .forget();
        }
        self.inner.create_queue(name, config, now).await
    }

    async fn delete_queue(&self, name: &str) -> CoreResult<()> {
        self.check()?;
        self.inner.delete_queue(name).await
    }

    async fn get_queue(&self, name: &str, now: u64) -> CoreResult<QueueInfo> {
        self.check()?;
        self.inner.get_queue(name, now).await
    }

    async fn list_queues(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
        now: u64,
    ) -> CoreResult<Vec<QueueInfo>> {
        self.check()?;
        let delay = *self.listing_delay.lock();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        self.inner
            .list_queues(prefix, start_after, limit, now)
            .await
    }

    async fn update_queue(
        &self,
        name: &str,
        update: QueueUpdate,
        now: u64,
    ) -> CoreResult<QueueInfo> {
        self.check()?;
        self.inner.update_queue(name, update, now).await
    }

    async fn purge_queue(&self, name: &str, now: u64) -> CoreResult<u64> {
        self.check()?;
        self.inner.purge_queue(name, now).await
    }

    async fn send(
        &self,
        queue: &str,
        messages: Vec<NewMessage>,
        now: u64,
    ) -> CoreResult<Vec<CoreResult<Sent>>> {
        self.check()?;
        self.inner.send(queue, messages, now).await
    }

    async fn lease(
        &self,
        queue: &str,
        request: LeaseRequest,
        now: u64,
    ) -> CoreResult<LeaseOutcome> {
        self.check()?;
        let out = self.inner.lease(queue, request, now).await;
        let delay = *self.lease_delay.lock();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        out
    }

    async fn peek(&self, queue: &str, max: usize, now: u64) -> CoreResult<Vec<Message>> {
        self.check()?;
        self.inner.peek(queue, max, now).await
    }

    async fn get_message(&self, queue: &str, id: &str, now: u64) -> CoreResult<Message> {
        self.check()?;
        self.inner.get_message(queue, id, now).await
    }

    async fn delete_receipts(
        &self,
        queue: &str,
        receipts: &[Receipt],
        leased_only: bool,
        now: u64,
    ) -> CoreResult<Vec<CoreResult<()>>> {
        self.check()?;
        self.inner
            .delete_receipts(queue, receipts, leased_only, now)
            .await
    }

    async fn change_visibility(
        &self,
        queue: &str,
        changes: &[VisibilityChange],
        now: u64,
    ) -> CoreResult<Vec<CoreResult<Relet>>> {
        self.check()?;
        self.inner.change_visibility(queue, changes, now).await
    }

    async fn update_message(
        &self,
        queue: &str,
        change: VisibilityChange,
        body: Option<bytes::Bytes>,
        now: u64,
    ) -> CoreResult<Relet> {
        self.check()?;
        self.inner.update_message(queue, change, body, now).await
    }

    async fn move_messages(
        &self,
        from: &str,
        to: Option<&str>,
        max: usize,
        now: u64,
    ) -> CoreResult<u64> {
        self.check()?;
        self.inner.move_messages(from, to, max, now).await
    }

    fn attach_waiters(&self, waiters: Arc<Waiters>) {
        self.inner.attach_waiters(waiters);
    }

    async fn health(&self) -> CoreResult<()> {
        self.check()?;
        self.inner.health().await
    }
}
