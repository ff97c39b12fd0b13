//! `QueueService`: what dialects call. It stamps each request with the clock's time, runs long
//! polls, wakes waiters when messages become visible, and owns message move tasks. Vendor rules
//! (names, ranges, error codes) stay in the dialects.
//!
//! Internal queues (names starting with [`crate::INTERNAL_QUEUE_PREFIX`]) are kept apart here,
//! whatever a dialect checks: every call a user's request can reach answers "no such queue"
//! for them (ARCHITECTURE.md invariant 10), and the dialect code that keeps its own state in
//! them goes through [`QueueService::internal`], which reaches nothing else.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::clock::Clock;
use crate::error::{CoreError, CoreResult};
use crate::ids::Receipt;
use crate::model::*;
use crate::move_tasks::{MoveTaskInfo, MoveTaskSpec, MoveTasks};
use crate::store::{QueueStore, QueueUpdate};
use crate::waiters::Waiters;

/// A lease that took this long (waiting for a lock, a connection or a disk) has its messages'
/// visibility timeout started again when it returns (see `restart_visibility`). Leases take
/// well under a millisecond in memory and a few milliseconds on PostgreSQL.
const SLOW_LEASE: Duration = Duration::from_millis(250);

/// A receive as a dialect asks for it.
#[derive(Debug, Clone, Default)]
pub struct ReceiveOptions {
    pub max_messages: usize,
    /// `None`: the queue's visibility timeout.
    pub visibility_seconds: Option<u32>,
    /// `None`: the queue's receive wait time.
    pub wait: Option<Duration>,
    pub attempt_id: Option<String>,
}

pub struct QueueService {
    store: Arc<dyn QueueStore>,
    clock: Arc<dyn Clock>,
    waiters: Arc<Waiters>,
    move_tasks: MoveTasks,
    shutdown: watch::Receiver<bool>,
    shutdown_tx: watch::Sender<bool>,
    background: Arc<Background>,
}

/// Work done outside requests that a shutdown lets finish (an MNS push in progress): counted
/// while it runs, so that [`QueueService::background_idle`] can wait for it.
#[derive(Default)]
struct Background {
    running: std::sync::atomic::AtomicUsize,
    idle: tokio::sync::Notify,
}

/// Held while a piece of background work runs (see [`QueueService::background_work`]).
pub struct BackgroundWork(Arc<Background>);

impl Drop for BackgroundWork {
    fn drop(&mut self) {
        if self
            .0
            .running
            .fetch_sub(1, std::sync::atomic::Ordering::AcqRel)
            == 1
        {
            self.0.idle.notify_waiters();
        }
    }
}

impl QueueService {
    pub fn new(store: Arc<dyn QueueStore>, clock: Arc<dyn Clock>) -> Self {
        let (shutdown_tx, shutdown) = watch::channel(false);
        let waiters = Arc::new(Waiters::new());
        store.attach_waiters(waiters.clone());
        QueueService {
            store,
            clock,
            waiters,
            move_tasks: MoveTasks::default(),
            shutdown,
            shutdown_tx,
            background: Arc::default(),
        }
    }

    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// [`QueueStore::health`]: whether the store can take writes now.
    pub async fn health(&self) -> CoreResult<()> {
        self.store.health().await
    }

    /// Ends every long poll now (they answer with what they have) so shutdown is not held up.
    pub fn begin_shutdown(&self) {
        let _ = self.shutdown_tx.send(true);
    }

    /// Whether [`QueueService::begin_shutdown`] was called: background work starts nothing new.
    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Counts a piece of background work as running until the guard is dropped.
    pub fn background_work(&self) -> BackgroundWork {
        self.background
            .running
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        BackgroundWork(self.background.clone())
    }

    /// Returns once no background work runs (at once when none does); the caller bounds the
    /// wait.
    pub async fn background_idle(&self) {
        loop {
            let idle = self.background.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self
                .background
                .running
                .load(std::sync::atomic::Ordering::Acquire)
                == 0
            {
                return;
            }
            idle.await;
        }
    }

    /// The calls on internal queues, for the dialect code that keeps its state in them.
    pub fn internal(&self) -> Internal<'_> {
        Internal { service: self }
    }

    pub async fn create_queue(&self, name: &str, config: QueueConfig) -> CoreResult<CreateOutcome> {
        if is_internal_queue(name) {
            return Err(CoreError::InvalidArgument(format!(
                "queue names starting with '{INTERNAL_QUEUE_PREFIX}' are reserved for polyq's own state"
            )));
        }
        self.create(name, config).await
    }

    async fn create(&self, name: &str, config: QueueConfig) -> CoreResult<CreateOutcome> {
        self.store.create_queue(name, config, self.now_ms()).await
    }

    pub async fn delete_queue(&self, name: &str) -> CoreResult<()> {
        user_queue(name)?;
        self.delete_any(name).await
    }

    async fn delete_any(&self, name: &str) -> CoreResult<()> {
        self.store.delete_queue(name).await?;
        self.waiters.forget(name);
        self.move_tasks.queue_deleted(name);
        Ok(())
    }

    pub async fn get_queue(&self, name: &str) -> CoreResult<QueueInfo> {
        user_queue(name)?;
        self.store.get_queue(name, self.now_ms()).await
    }

    /// The user's queues in name order; internal queues (see [`crate::INTERNAL_QUEUE_PREFIX`])
    /// are never listed. They sort after every user queue, so leaving them out only shortens
    /// the last page.
    pub async fn list_queues(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> CoreResult<Vec<QueueInfo>> {
        if is_internal_queue(prefix) {
            return Ok(Vec::new());
        }
        let mut queues = self
            .store
            .list_queues(prefix, start_after, limit, self.now_ms())
            .await?;
        queues.retain(|q| !is_internal_queue(&q.name));
        Ok(queues)
    }

    pub async fn update_queue(&self, name: &str, update: QueueUpdate) -> CoreResult<QueueInfo> {
        user_queue(name)?;
        self.update(name, update).await
    }

    async fn update(&self, name: &str, update: QueueUpdate) -> CoreResult<QueueInfo> {
        let info = self.store.update_queue(name, update, self.now_ms()).await?;
        // A shorter delay can make messages visible sooner; let waiters look again.
        self.waiters.wake(name);
        Ok(info)
    }

    pub async fn purge_queue(&self, name: &str) -> CoreResult<u64> {
        user_queue(name)?;
        self.store.purge_queue(name, self.now_ms()).await
    }

    pub async fn send(
        &self,
        queue: &str,
        messages: Vec<NewMessage>,
    ) -> CoreResult<Vec<CoreResult<Sent>>> {
        user_queue(queue)?;
        self.send_to(queue, messages).await
    }

    async fn send_to(
        &self,
        queue: &str,
        messages: Vec<NewMessage>,
    ) -> CoreResult<Vec<CoreResult<Sent>>> {
        let now = self.now_ms();
        let sent = self.store.send(queue, messages, now).await?;
        // A delayed message wakes the receivers that would sleep past its delay (one that
        // looked before it was sent plans by what it saw then).
        if let Some(soonest) = sent.iter().flatten().map(|s| s.visible_ms).min() {
            self.waiters.wake_if_sooner(queue, soonest, now);
        }
        Ok(sent)
    }

    /// Leases messages, waiting up to the long-poll time for some to become visible.
    pub async fn receive(&self, queue: &str, opts: ReceiveOptions) -> CoreResult<Vec<Message>> {
        user_queue(queue)?;
        self.receive_from(queue, opts).await
    }

    async fn receive_from(&self, queue: &str, opts: ReceiveOptions) -> CoreResult<Vec<Message>> {
        let request = LeaseRequest {
            max_messages: opts.max_messages,
            visibility_seconds: opts.visibility_seconds,
            attempt_id: opts.attempt_id.clone(),
        };
        let started = tokio::time::Instant::now();
        let mut deadline: Option<tokio::time::Instant> = opts.wait.map(|w| started + w);
        let mut shutdown = self.shutdown.clone();
        let mut waited = false;
        loop {
            // The notifier is looked up on every pass: a delete forgets the queue's notifier,
            // and a queue created again under the name gets a new one, which its sends wake.
            let waiters = self.waiters.get(queue);
            // Register interest before looking, so a send between the look and the wait is not missed.
            let notified = waiters.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            // Until this pass plans its sleep, a visibility change its look misses must wake it.
            let looking = waiters.looking();
            let now = self.now_ms();
            let leasing = tokio::time::Instant::now();
            let outcome = match self.store.lease(queue, request.clone(), now).await {
                // The queue was deleted during the wait: the poll ends empty, as a receive
                // that began before a delete may still succeed (SQS's DeleteQueue reference;
                // LocalStack and other emulators answer so).
                Err(CoreError::QueueNotFound(gone)) if waited && gone == queue => {
                    return Ok(Vec::new())
                }
                other => other?,
            };
            if let Some(into) = &outcome.moved_into {
                self.waiters.wake(into);
            }
            if !outcome.messages.is_empty() {
                // Not with a receive attempt id: its retry replays only messages whose
                // visibility nobody changed, and the re-timing would be such a change (the
                // client that retries because this answer was slow would get others).
                if leasing.elapsed() >= SLOW_LEASE && request.attempt_id.is_none() {
                    return self.restart_visibility(queue, outcome.messages, now).await;
                }
                return Ok(outcome.messages);
            }
            let deadline = *deadline.get_or_insert(
                started + Duration::from_secs(u64::from(outcome.queue_wait_seconds)),
            );
            let current = tokio::time::Instant::now();
            if current >= deadline || *shutdown.borrow() {
                return Ok(Vec::new());
            }
            let wake_at = match outcome.next_visible_ms {
                Some(at) => deadline.min(current + Duration::from_millis(at.saturating_sub(now))),
                None => deadline,
            };
            // So that a visibility change bringing a message back before then wakes us.
            let _plan = waiters.sleeping_until(now + (wake_at - current).as_millis() as u64);
            drop(looking);
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep_until(wake_at) => {}
                _ = shutdown.changed() => {}
            }
            waited = true;
        }
    }

    /// Starts the visibility timeout of messages a slow lease took again, from now. The lease
    /// timed them from the clock read before it (a PostgreSQL lock or pool wait, a slow disk
    /// commit, a paused node), and SQS's timeout starts when the messages are returned: a
    /// window eaten by the wait could let another consumer have them at once. A message whose
    /// lease changed meanwhile (another consumer has it, or it was deleted) is not handed out;
    /// on a FIFO queue neither are the later messages of its group, which are released. Leases
    /// with a receive attempt id are left as they are (see the caller).
    async fn restart_visibility(
        &self,
        queue: &str,
        messages: Vec<Message>,
        leased_at: u64,
    ) -> CoreResult<Vec<Message>> {
        let change = |m: &Message, seconds: u32| VisibilityChange {
            receipt: m.receipt(),
            visibility_seconds: seconds,
            renew_receipt: false,
            require_hidden: false,
            accept_older_receipt: false,
            max_total_seconds: None,
        };
        let changes: Vec<VisibilityChange> = messages
            .iter()
            .map(|m| change(m, (m.visible_ms.saturating_sub(leased_at) / 1000) as u32))
            .collect();
        let results = self
            .store
            .change_visibility(queue, &changes, self.now_ms())
            .await?;
        let mut lost_groups = std::collections::HashSet::new();
        let mut kept = Vec::with_capacity(messages.len());
        let mut release = Vec::new();
        for (mut m, result) in messages.into_iter().zip(results) {
            // Groups order delivery on FIFO queues only (SQS's are named `*.fifo`; standard
            // queues keep a `MessageGroupId` without ordering by it).
            let group_lost = queue.ends_with(".fifo") && lost_groups.contains(&m.group_id);
            match result {
                Ok(relet) if !group_lost => {
                    m.visible_ms = relet.visible_ms;
                    kept.push(m);
                }
                Ok(_) => release.push(change(&m, 0)),
                Err(_) => {
                    lost_groups.insert(m.group_id.clone());
                }
            }
        }
        if !release.is_empty() {
            self.store
                .change_visibility(queue, &release, self.now_ms())
                .await?;
            self.waiters.wake(queue);
        }
        Ok(kept)
    }

    pub async fn peek(&self, queue: &str, max: usize) -> CoreResult<Vec<Message>> {
        user_queue(queue)?;
        self.store.peek(queue, max, self.now_ms()).await
    }

    pub async fn get_message(&self, queue: &str, id: &str) -> CoreResult<Message> {
        user_queue(queue)?;
        self.store.get_message(queue, id, self.now_ms()).await
    }

    pub async fn delete(
        &self,
        queue: &str,
        receipts: &[Receipt],
    ) -> CoreResult<Vec<CoreResult<()>>> {
        user_queue(queue)?;
        let out = self.store.delete(queue, receipts, self.now_ms()).await?;
        self.wake_after_delete(queue, &out);
        Ok(out)
    }

    /// A delete from a FIFO queue may free its message's group, whose next message is then
    /// due to a waiting receiver at once. Only FIFO queues are named `*.fifo` (SQS's rule; the
    /// other dialects' names cannot hold a dot), and deletes from other queues make nothing
    /// visible, so they wake nobody.
    fn wake_after_delete(&self, queue: &str, results: &[CoreResult<()>]) {
        if queue.ends_with(".fifo") && results.iter().any(Result::is_ok) {
            self.waiters.wake(queue);
        }
    }

    /// [`QueueStore::delete_leased`]: deletes only while each receipt's lease runs.
    pub async fn delete_leased(
        &self,
        queue: &str,
        receipts: &[Receipt],
    ) -> CoreResult<Vec<CoreResult<()>>> {
        user_queue(queue)?;
        self.delete_leased_in(queue, receipts).await
    }

    async fn delete_leased_in(
        &self,
        queue: &str,
        receipts: &[Receipt],
    ) -> CoreResult<Vec<CoreResult<()>>> {
        let out = self
            .store
            .delete_leased(queue, receipts, self.now_ms())
            .await?;
        self.wake_after_delete(queue, &out);
        Ok(out)
    }

    pub async fn change_visibility(
        &self,
        queue: &str,
        changes: &[VisibilityChange],
    ) -> CoreResult<Vec<CoreResult<Relet>>> {
        user_queue(queue)?;
        self.change_visibility_in(queue, changes).await
    }

    async fn change_visibility_in(
        &self,
        queue: &str,
        changes: &[VisibilityChange],
    ) -> CoreResult<Vec<CoreResult<Relet>>> {
        let now = self.now_ms();
        let out = self.store.change_visibility(queue, changes, now).await?;
        // A message made visible sooner than a waiting receiver planned to look again wakes
        // it (long polls return messages as soon as they become available).
        if let Some(soonest) = changes
            .iter()
            .zip(&out)
            .filter(|(_, r)| r.is_ok())
            .map(|(c, _)| now + u64::from(c.visibility_seconds) * 1000)
            .min()
        {
            self.waiters.wake_if_sooner(queue, soonest, now);
        }
        Ok(out)
    }

    /// A visibility change that may also replace the body (Azure Update Message).
    pub async fn update_message(
        &self,
        queue: &str,
        change: VisibilityChange,
        body: Option<bytes::Bytes>,
    ) -> CoreResult<Relet> {
        user_queue(queue)?;
        let now = self.now_ms();
        let relet = self.store.update_message(queue, change, body, now).await?;
        self.waiters.wake_if_sooner(
            queue,
            now + u64::from(change.visibility_seconds) * 1000,
            now,
        );
        Ok(relet)
    }

    /// Queues whose redrive policy names `dead_letter_queue`, in name order.
    pub async fn dead_letter_sources(&self, dead_letter_queue: &str) -> CoreResult<Vec<QueueInfo>> {
        self.get_queue(dead_letter_queue).await?;
        let all = self.list_queues("", None, usize::MAX).await?;
        Ok(all
            .into_iter()
            .filter(|q| {
                q.config
                    .redrive
                    .as_ref()
                    .is_some_and(|r| r.dead_letter_queue == dead_letter_queue)
            })
            .collect())
    }

    /// Starts moving the messages now in `source` to `destination` (or back to their
    /// original queues) at most `max_per_second` a second.
    pub async fn start_move_task(
        &self,
        source: &str,
        destination: Option<&str>,
        max_per_second: Option<u32>,
    ) -> CoreResult<String> {
        let info = self.get_queue(source).await?;
        if let Some(d) = destination {
            self.get_queue(d).await?;
        }
        let to_move = info.stats.visible + info.stats.in_flight + info.stats.delayed;
        let spec = MoveTaskSpec {
            store: self.store.clone(),
            clock: self.clock.clone(),
            waiters: self.waiters.clone(),
            source,
            destination,
            max_per_second,
        };
        self.move_tasks.start(spec, to_move)
    }

    /// Move tasks of `source` (none for an internal queue, which has none).
    pub fn list_move_tasks(&self, source: &str, max: usize) -> Vec<MoveTaskInfo> {
        self.move_tasks.list(source, max)
    }

    pub fn cancel_move_task(&self, handle: &str) -> CoreResult<MoveTaskInfo> {
        self.move_tasks.cancel(handle)
    }
}

/// Refuses an internal queue on the calls a user's request reaches: to users it names no queue.
fn user_queue(name: &str) -> CoreResult<()> {
    if is_internal_queue(name) {
        return Err(CoreError::QueueNotFound(name.to_string()));
    }
    Ok(())
}

/// Refuses a user's queue on the calls for internal state: a slip in the code that keeps its
/// state in internal queues must not touch user data.
fn internal_queue(name: &str) -> CoreResult<()> {
    if !is_internal_queue(name) {
        return Err(CoreError::InvalidArgument(format!(
            "'{name}' is not an internal queue (they start with '{INTERNAL_QUEUE_PREFIX}')"
        )));
    }
    Ok(())
}

/// The calls on internal queues (see [`QueueService::internal`]): the same as the user-facing
/// ones, for names starting with [`INTERNAL_QUEUE_PREFIX`] only.
pub struct Internal<'a> {
    service: &'a QueueService,
}

impl Internal<'_> {
    pub async fn create_queue(&self, name: &str, config: QueueConfig) -> CoreResult<CreateOutcome> {
        internal_queue(name)?;
        self.service.create(name, config).await
    }

    pub async fn delete_queue(&self, name: &str) -> CoreResult<()> {
        internal_queue(name)?;
        self.service.delete_any(name).await
    }

    pub async fn get_queue(&self, name: &str) -> CoreResult<QueueInfo> {
        internal_queue(name)?;
        let s = self.service;
        s.store.get_queue(name, s.now_ms()).await
    }

    /// Internal queues whose name starts with `prefix` (itself internal), in name order.
    pub async fn list_queues(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> CoreResult<Vec<QueueInfo>> {
        internal_queue(prefix)?;
        let s = self.service;
        s.store
            .list_queues(prefix, start_after, limit, s.now_ms())
            .await
    }

    /// The setting `key` kept in the extras of internal queue `queue` (see
    /// [`set_setting`](Internal::set_setting)); `None` when it was never set.
    pub async fn setting(&self, queue: &str, key: &str) -> CoreResult<Option<String>> {
        match self.get_queue(queue).await {
            Ok(info) => Ok(info.config.extras.get(key).cloned()),
            Err(CoreError::QueueNotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Keeps `value` as the setting `key` in the extras of internal queue `queue`, which is
    /// made on first use: settings kept this way are as durable, and as shared between the
    /// nodes of one store, as queues.
    pub async fn set_setting(&self, queue: &str, key: &str, value: String) -> CoreResult<()> {
        // An existing queue is kept as it is.
        self.create_queue(queue, QueueConfig::default()).await?;
        let key = key.to_string();
        self.update_queue(
            queue,
            Box::new(move |config| {
                config.extras.insert(key, value);
                Ok(())
            }),
        )
        .await?;
        Ok(())
    }

    pub async fn update_queue(&self, name: &str, update: QueueUpdate) -> CoreResult<QueueInfo> {
        internal_queue(name)?;
        self.service.update(name, update).await
    }

    pub async fn send(
        &self,
        queue: &str,
        messages: Vec<NewMessage>,
    ) -> CoreResult<Vec<CoreResult<Sent>>> {
        internal_queue(queue)?;
        self.service.send_to(queue, messages).await
    }

    pub async fn receive(&self, queue: &str, opts: ReceiveOptions) -> CoreResult<Vec<Message>> {
        internal_queue(queue)?;
        self.service.receive_from(queue, opts).await
    }

    pub async fn delete_leased(
        &self,
        queue: &str,
        receipts: &[Receipt],
    ) -> CoreResult<Vec<CoreResult<()>>> {
        internal_queue(queue)?;
        self.service.delete_leased_in(queue, receipts).await
    }

    pub async fn change_visibility(
        &self,
        queue: &str,
        changes: &[VisibilityChange],
    ) -> CoreResult<Vec<CoreResult<Relet>>> {
        internal_queue(queue)?;
        self.service.change_visibility_in(queue, changes).await
    }
}
