//! The storage seam: one object-safe async trait that every engine (memory, embedded,
//! postgres) implements and the conformance suite checks.
//!
//! Every method takes `now` (epoch ms) from the caller so that time is decided once per request
//! and tests can drive it. Batch operations return one result per entry: a bad entry never fails
//! its neighbours.

use async_trait::async_trait;

use crate::error::CoreResult;
use crate::ids::Receipt;
use crate::model::*;
use crate::waiters::Waiters;

/// A change to a queue's configuration, applied atomically to the stored config. It may
/// refuse (e.g. an invalid combination) by returning an error, and then nothing changes.
pub type QueueUpdate = Box<dyn FnOnce(&mut QueueConfig) -> CoreResult<()> + Send>;

#[async_trait]
pub trait QueueStore: Send + Sync + 'static {
    /// Creates a queue, or reports the existing one of that name unchanged.
    async fn create_queue(
        &self,
        name: &str,
        config: QueueConfig,
        now: u64,
    ) -> CoreResult<CreateOutcome>;

    /// Deletes a queue and all its messages.
    async fn delete_queue(&self, name: &str) -> CoreResult<()>;

    async fn get_queue(&self, name: &str, now: u64) -> CoreResult<QueueInfo>;

    /// Queues whose name starts with `prefix` and sorts after `start_after`, in name order, at
    /// most `limit`.
    async fn list_queues(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
        now: u64,
    ) -> CoreResult<Vec<QueueInfo>>;

    /// Applies `update` to the queue's config and bumps its modified time.
    async fn update_queue(
        &self,
        name: &str,
        update: QueueUpdate,
        now: u64,
    ) -> CoreResult<QueueInfo>;

    /// Deletes every message (ready, delayed and in flight); returns how many.
    async fn purge_queue(&self, name: &str, now: u64) -> CoreResult<u64>;

    /// Appends messages in order. FIFO deduplication may answer with an earlier message.
    async fn send(
        &self,
        queue: &str,
        messages: Vec<NewMessage>,
        now: u64,
    ) -> CoreResult<Vec<CoreResult<Sent>>>;

    /// Leases up to `max_messages` visible messages: priority then send order; FIFO: the oldest
    /// messages of groups with nothing in flight. Messages over the redrive limit move to the
    /// dead-letter queue instead of being returned.
    async fn lease(&self, queue: &str, request: LeaseRequest, now: u64)
        -> CoreResult<LeaseOutcome>;

    /// Visible messages in receive order, without leasing them.
    async fn peek(&self, queue: &str, max: usize, now: u64) -> CoreResult<Vec<Message>>;

    /// One message by id, whatever its state.
    async fn get_message(&self, queue: &str, id: &str, now: u64) -> CoreResult<Message>;

    /// Deletes messages by receipt. Per entry: `ReceiptStale` when the message was leased again,
    /// `MessageNotFound` when it is gone. With `leased_only`, only while the message is hidden
    /// under the receipt (leased, or still delayed since the send that handed out the
    /// receipt): a message whose visibility timeout has passed (not received since) is kept,
    /// and its entry is `MessageNotInFlight`. Callers use [`QueueStore::delete`] and
    /// [`QueueStore::delete_leased`]; a store implements only this.
    async fn delete_receipts(
        &self,
        queue: &str,
        receipts: &[Receipt],
        leased_only: bool,
        now: u64,
    ) -> CoreResult<Vec<CoreResult<()>>>;

    /// Deletes messages by receipt (see [`QueueStore::delete_receipts`]).
    async fn delete(
        &self,
        queue: &str,
        receipts: &[Receipt],
        now: u64,
    ) -> CoreResult<Vec<CoreResult<()>>> {
        self.delete_receipts(queue, receipts, false, now).await
    }

    /// [`QueueStore::delete`], but only while the message is hidden under the receipt (SQS
    /// FIFO queues: "the receipt handle has expired"; MNS: a handle is valid until the
    /// message's NextVisibleTime).
    async fn delete_leased(
        &self,
        queue: &str,
        receipts: &[Receipt],
        now: u64,
    ) -> CoreResult<Vec<CoreResult<()>>> {
        self.delete_receipts(queue, receipts, true, now).await
    }

    /// Changes when leased messages become visible again.
    async fn change_visibility(
        &self,
        queue: &str,
        changes: &[VisibilityChange],
        now: u64,
    ) -> CoreResult<Vec<CoreResult<Relet>>>;

    /// A visibility change that may also replace the message's body, as one atomic step
    /// (Azure Update Message). Same receipt rules as [`QueueStore::change_visibility`].
    async fn update_message(
        &self,
        queue: &str,
        change: VisibilityChange,
        body: Option<bytes::Bytes>,
        now: u64,
    ) -> CoreResult<Relet>;

    /// Moves up to `max` visible messages from `from` to `to`, or, when `to` is `None`, back to
    /// the queue each was dead-lettered from. Returns how many moved.
    async fn move_messages(
        &self,
        from: &str,
        to: Option<&str>,
        max: usize,
        now: u64,
    ) -> CoreResult<u64>;

    /// Gives the store the long-poll waiters of its service, for stores shared by several
    /// nodes: a store that learns of a message made visible elsewhere (e.g. PostgreSQL
    /// LISTEN/NOTIFY) calls `waiters.wake(queue)`. Single-node stores need nothing: the service
    /// wakes its own waiters.
    fn attach_waiters(&self, _waiters: std::sync::Arc<Waiters>) {}

    /// Whether the store can take writes now, for health checks: `Err` says why not (the
    /// embedded store after a failed write, PostgreSQL out of reach). Default: healthy.
    async fn health(&self) -> CoreResult<()> {
        Ok(())
    }
}
