//! The `QueueStore` implementation: each method records the caller's `now` (the cleanup
//! task's clock) and runs the operation implemented in the module named beside it.

use std::sync::Arc;

use async_trait::async_trait;
use polyq_core::waiters::Waiters;
use polyq_core::*;

use crate::PostgresStore;

impl PostgresStore {
    /// Runs one store operation within the operation timeout (`operation_timeout` in the url),
    /// failing it with `Unavailable` (a 5xx) after that: a database that stops answering (a
    /// frozen network path, a server stuck) must not hold requests for ever. As with any 5xx,
    /// whether the operation took effect is then unknown (an open transaction of it is rolled
    /// back).
    async fn bounded<T>(
        &self,
        op: impl std::future::Future<Output = CoreResult<T>>,
    ) -> CoreResult<T> {
        let limit = self.inner.operation_timeout;
        tokio::time::timeout(limit, op).await.unwrap_or_else(|_| {
            // The operation's connection went back to the pool with its statement still out
            // (a frozen network path, a stalled proxy): handed out again, it would hold the
            // next request as long. The pool cannot tell it from the others, and whatever
            // froze it may have frozen them too: every idle connection goes, and new ones are
            // made as needed. On every timeout: when several time out together on frozen
            // connections, each must go (emptying once let the others back into the pool).
            self.inner.pool.retain(|_, _| false);
            tracing::error!(
                seconds = limit.as_secs(),
                "a PostgreSQL operation did not finish in time; its request fails"
            );
            Err(CoreError::Unavailable(format!(
                "PostgreSQL did not answer within {} seconds",
                limit.as_secs()
            )))
        })
    }
}

#[async_trait]
impl QueueStore for PostgresStore {
    /// Healthy when a pooled connection answers a trivial query within two seconds.
    async fn health(&self) -> CoreResult<()> {
        let check = async {
            let client = self.inner.client().await?;
            client
                .simple_query("SELECT 1")
                .await
                .map_err(|e| CoreError::Unavailable(format!("PostgreSQL does not answer: {e}")))?;
            Ok(())
        };
        tokio::time::timeout(std::time::Duration::from_secs(2), check)
            .await
            .unwrap_or_else(|_| {
                Err(CoreError::Unavailable(
                    "PostgreSQL did not answer within 2 seconds".into(),
                ))
            })
    }

    async fn create_queue(
        &self,
        name: &str,
        config: QueueConfig,
        now: u64,
    ) -> CoreResult<CreateOutcome> {
        self.inner.touch(now);
        self.bounded(self.inner.create_queue(name, config, now))
            .await // queues.rs
    }

    async fn delete_queue(&self, name: &str) -> CoreResult<()> {
        self.bounded(self.inner.delete_queue(name)).await // queues.rs
    }

    async fn get_queue(&self, name: &str, now: u64) -> CoreResult<QueueInfo> {
        self.inner.touch(now);
        self.bounded(self.inner.get_queue(name, now)).await // queues.rs
    }

    async fn list_queues(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
        now: u64,
    ) -> CoreResult<Vec<QueueInfo>> {
        self.inner.touch(now);
        self.bounded(self.inner.list_queues(prefix, start_after, limit, now))
            .await // queues.rs
    }

    async fn update_queue(
        &self,
        name: &str,
        update: QueueUpdate,
        now: u64,
    ) -> CoreResult<QueueInfo> {
        self.inner.touch(now);
        self.bounded(self.inner.update_queue(name, update, now))
            .await // queues.rs
    }

    async fn purge_queue(&self, name: &str, now: u64) -> CoreResult<u64> {
        self.inner.touch(now);
        self.bounded(self.inner.purge_queue(name, now)).await // queues.rs
    }

    async fn send(
        &self,
        queue: &str,
        messages: Vec<NewMessage>,
        now: u64,
    ) -> CoreResult<Vec<CoreResult<Sent>>> {
        self.inner.touch(now);
        self.bounded(self.inner.send(queue, messages, now)).await // send.rs
    }

    async fn lease(
        &self,
        queue: &str,
        request: LeaseRequest,
        now: u64,
    ) -> CoreResult<LeaseOutcome> {
        self.inner.touch(now);
        self.bounded(self.inner.lease(queue, request, now)).await // lease.rs
    }

    async fn peek(&self, queue: &str, max: usize, now: u64) -> CoreResult<Vec<Message>> {
        self.inner.touch(now);
        self.bounded(self.inner.peek(queue, max, now)).await // lease.rs
    }

    async fn get_message(&self, queue: &str, id: &str, now: u64) -> CoreResult<Message> {
        self.inner.touch(now);
        self.bounded(self.inner.get_message(queue, id, now)).await // messages.rs
    }

    async fn delete_receipts(
        &self,
        queue: &str,
        receipts: &[Receipt],
        leased_only: bool,
        now: u64,
    ) -> CoreResult<Vec<CoreResult<()>>> {
        self.inner.touch(now);
        self.bounded(self.inner.delete(queue, receipts, leased_only, now))
            .await // messages.rs
    }

    async fn change_visibility(
        &self,
        queue: &str,
        changes: &[VisibilityChange],
        now: u64,
    ) -> CoreResult<Vec<CoreResult<Relet>>> {
        self.inner.touch(now);
        self.bounded(self.inner.change_visibility(queue, changes, now))
            .await // messages.rs
    }

    async fn update_message(
        &self,
        queue: &str,
        change: VisibilityChange,
        body: Option<bytes::Bytes>,
        now: u64,
    ) -> CoreResult<Relet> {
        self.inner.touch(now);
        let mut out = self
            .bounded(self.inner.relet(queue, &[change], body.as_deref(), now))
            .await?; // messages.rs
        out.pop().unwrap_or(Err(CoreError::MessageNotFound))
    }

    async fn move_messages(
        &self,
        from: &str,
        to: Option<&str>,
        max: usize,
        now: u64,
    ) -> CoreResult<u64> {
        self.inner.touch(now);
        self.bounded(self.inner.move_messages(from, to, max, now))
            .await // messages.rs
    }

    fn attach_waiters(&self, waiters: Arc<Waiters>) {
        self.inner
            .waiters
            .lock()
            .expect("waiters lock")
            .push(waiters);
    }
}
