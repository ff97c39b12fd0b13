//! Message move tasks: redrive messages out of a dead-letter queue at a bounded rate
//! (SQS StartMessageMoveTask / ListMessageMoveTasks / CancelMessageMoveTask).
//!
//! Tasks live in the memory of the node that runs them; a restart ends them (documented in
//! docs/compatibility.md). Each step moves a batch through the store atomically, so a task
//! cancelled or cut short never loses or duplicates a message.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::clock::Clock;
use crate::error::{CoreError, CoreResult};
use crate::store::QueueStore;
use crate::waiters::Waiters;

/// SQS's `FailureReason` for a redrive back to the source whose messages have no known source.
pub const COULD_NOT_DETERMINE_SOURCE: &str = "CouldNotDetermineMessageSource";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveTaskStatus {
    Running,
    Completed,
    Cancelling,
    Cancelled,
    Failed,
}

impl MoveTaskStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            MoveTaskStatus::Running => "RUNNING",
            MoveTaskStatus::Completed => "COMPLETED",
            MoveTaskStatus::Cancelling => "CANCELLING",
            MoveTaskStatus::Cancelled => "CANCELLED",
            MoveTaskStatus::Failed => "FAILED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveTaskInfo {
    pub handle: String,
    pub source: String,
    /// `None`: back to each message's original queue.
    pub destination: Option<String>,
    pub max_per_second: Option<u32>,
    pub status: MoveTaskStatus,
    pub moved: u64,
    pub to_move: u64,
    pub started_ms: u64,
    pub failure_reason: Option<String>,
}

/// What a new task moves, and with what.
pub struct MoveTaskSpec<'a> {
    pub store: Arc<dyn QueueStore>,
    pub clock: Arc<dyn Clock>,
    pub waiters: Arc<Waiters>,
    pub source: &'a str,
    pub destination: Option<&'a str>,
    pub max_per_second: Option<u32>,
}

#[derive(Default)]
pub struct MoveTasks {
    tasks: Mutex<Vec<Arc<Mutex<MoveTaskInfo>>>>,
}

/// Messages moved per step when no rate is asked for.
const DEFAULT_STEP: usize = 100;

/// Finished tasks kept per source queue: what ListMessageMoveTasks shows ("the most recent
/// message movement tasks (up to 10) under a specific source queue").
const KEEP_PER_SOURCE: usize = 10;
/// Finished tasks kept in all, so that queues made and deleted by the thousand (each with a
/// task) do not leave a list that grows for ever and is walked on every call.
const KEEP_FINISHED: usize = 1000;

impl MoveTasks {
    pub fn start(&self, spec: MoveTaskSpec<'_>, to_move: u64) -> CoreResult<String> {
        let MoveTaskSpec {
            store,
            clock,
            waiters,
            source,
            destination,
            max_per_second,
        } = spec;
        let mut tasks = self.tasks.lock();
        if tasks.iter().any(|t| {
            let t = t.lock();
            t.source == source
                && matches!(
                    t.status,
                    MoveTaskStatus::Running | MoveTaskStatus::Cancelling
                )
        }) {
            return Err(CoreError::Conflict(format!(
                "a message move task is already running for queue {source}"
            )));
        }
        let handle = uuid::Uuid::new_v4().to_string();
        let task = Arc::new(Mutex::new(MoveTaskInfo {
            handle: handle.clone(),
            source: source.to_string(),
            destination: destination.map(str::to_string),
            max_per_second,
            status: MoveTaskStatus::Running,
            moved: 0,
            to_move,
            started_ms: clock.now_ms(),
            failure_reason: None,
        }));
        tasks.push(task.clone());
        forget_old(&mut tasks);
        tokio::spawn(run(task, store, clock, waiters));
        Ok(handle)
    }

    /// Tasks of `source`, newest first.
    pub fn list(&self, source: &str, max: usize) -> Vec<MoveTaskInfo> {
        let tasks = self.tasks.lock();
        tasks
            .iter()
            .rev()
            .map(|t| t.lock().clone())
            .filter(|t| t.source == source)
            .take(max)
            .collect()
    }

    /// Queue `name` was deleted: the tasks moving from or to it fail (as one whose destination
    /// vanished fails on AWS), so that none goes on with a queue made again under the name.
    pub fn queue_deleted(&self, name: &str) {
        for task in self.tasks.lock().iter() {
            let mut t = task.lock();
            let involved = t.source == name || t.destination.as_deref() == Some(name);
            if involved
                && matches!(
                    t.status,
                    MoveTaskStatus::Running | MoveTaskStatus::Cancelling
                )
            {
                t.status = MoveTaskStatus::Failed;
                t.failure_reason = Some(CoreError::QueueNotFound(name.to_string()).to_string());
            }
        }
    }

    pub fn cancel(&self, handle: &str) -> CoreResult<MoveTaskInfo> {
        let tasks = self.tasks.lock();
        let task = tasks
            .iter()
            .find(|t| t.lock().handle == handle)
            .ok_or_else(|| {
                CoreError::InvalidArgument(format!("no message move task with handle {handle}"))
            })?;
        let mut t = task.lock();
        if t.status != MoveTaskStatus::Running {
            return Err(CoreError::Conflict(format!(
                "the message move task is {}, not RUNNING",
                t.status.as_str()
            )));
        }
        t.status = MoveTaskStatus::Cancelling;
        Ok(t.clone())
    }
}

/// Drops finished tasks beyond the newest [`KEEP_PER_SOURCE`] of their source and the newest
/// [`KEEP_FINISHED`] in all (tasks are in start order). Running ones always stay.
fn forget_old(tasks: &mut Vec<Arc<Mutex<MoveTaskInfo>>>) {
    let mut per_source: std::collections::HashMap<String, usize> = Default::default();
    let mut finished = 0;
    let mut keep = vec![true; tasks.len()];
    for (k, task) in tasks.iter().enumerate().rev() {
        let t = task.lock();
        if matches!(
            t.status,
            MoveTaskStatus::Running | MoveTaskStatus::Cancelling
        ) {
            continue;
        }
        let of_source = per_source.entry(t.source.clone()).or_default();
        *of_source += 1;
        finished += 1;
        keep[k] = *of_source <= KEEP_PER_SOURCE && finished <= KEEP_FINISHED;
    }
    let mut k = 0;
    tasks.retain(|_| {
        k += 1;
        keep[k - 1]
    });
}

/// How a task that was running ends: a cancel answered while its last step ran ends it
/// CANCELLED (the caller was told CANCELLING), a queue deleted meanwhile FAILED, otherwise as
/// `outcome` says.
fn finished(current: MoveTaskStatus, outcome: MoveTaskStatus) -> MoveTaskStatus {
    match current {
        MoveTaskStatus::Cancelling => MoveTaskStatus::Cancelled,
        MoveTaskStatus::Failed => MoveTaskStatus::Failed,
        _ => outcome,
    }
}

/// Messages per step and the pause after each step, for at most `rate` messages a second.
///
/// Steps of `rate / 10` messages (at least one), each followed by a pause of `step / rate`
/// seconds: about ten steps a second from a rate of 10 up, and below 10 one message every
/// `1 / rate` seconds (a rate of 1 moves one message a second, as AWS does). With no rate,
/// batches go back to back.
pub fn pace(rate: Option<u32>) -> (usize, Duration) {
    match rate {
        Some(r) if r > 0 => {
            let step = (r / 10).max(1);
            (
                step as usize,
                // Rounded up, so that the rate is never exceeded.
                Duration::from_micros((u64::from(step) * 1_000_000).div_ceil(u64::from(r))),
            )
        }
        _ => (DEFAULT_STEP, Duration::ZERO),
    }
}

async fn run(
    task: Arc<Mutex<MoveTaskInfo>>,
    store: Arc<dyn QueueStore>,
    clock: Arc<dyn Clock>,
    waiters: Arc<Waiters>,
) {
    let (source, destination, rate, to_move) = {
        let t = task.lock();
        (
            t.source.clone(),
            t.destination.clone(),
            t.max_per_second,
            t.to_move,
        )
    };
    let (step, pause) = pace(rate);
    // The queues as they are now: one deleted (and perhaps made again under its name) while
    // the task runs ends the task, rather than letting it move another queue's messages. The
    // service fails the task when the deletion goes through it; this check, once a second
    // (a queue's info counts its messages, which costs on PostgreSQL), is for a deletion
    // through another node of a shared store.
    let created = |q: CoreResult<crate::model::QueueInfo>| match q {
        Ok(q) => Some(Some(q.created_ms)),
        Err(CoreError::QueueNotFound(_)) => Some(None),
        Err(_) => None, // the store did not answer: no verdict
    };
    let mut born = Vec::new();
    for name in std::iter::once(&source).chain(destination.as_ref()) {
        // A queue missing now fails the first step anyway.
        if let Some(Some(at_start)) = created(store.get_queue(name, clock.now_ms()).await) {
            born.push((name.clone(), at_start));
        }
    }
    let mut checked = tokio::time::Instant::now();
    loop {
        if checked.elapsed() >= Duration::from_secs(1) {
            checked = tokio::time::Instant::now();
            for (name, at_start) in &born {
                let now = created(store.get_queue(name, clock.now_ms()).await);
                if now.is_some_and(|c| c != Some(*at_start)) {
                    let mut t = task.lock();
                    t.status = MoveTaskStatus::Failed;
                    t.failure_reason = Some(CoreError::QueueNotFound(name.clone()).to_string());
                    return;
                }
            }
        }
        let moved_so_far = {
            let mut t = task.lock();
            if t.status == MoveTaskStatus::Cancelling {
                t.status = MoveTaskStatus::Cancelled;
                return;
            }
            if t.status == MoveTaskStatus::Failed {
                return; // a queue of it was deleted
            }
            t.moved
        };
        let remaining = to_move.saturating_sub(moved_so_far) as usize;
        if remaining == 0 {
            task.lock().status = MoveTaskStatus::Completed;
            return;
        }
        match store
            .move_messages(
                &source,
                destination.as_deref(),
                step.min(remaining),
                clock.now_ms(),
            )
            .await
        {
            Ok(0) => {
                let stranded = destination.is_none()
                    && store
                        .get_queue(&source, clock.now_ms())
                        .await
                        .is_ok_and(|q| q.stats.visible > 0);
                let mut t = task.lock();
                if t.status == MoveTaskStatus::Failed {
                    return; // a queue of it was deleted meanwhile
                }
                if stranded {
                    // Visible messages that nothing moved: none knows the queue it came from
                    // (sent to the dead-letter queue directly, or its source is gone).
                    t.status = MoveTaskStatus::Failed;
                    t.failure_reason = Some(COULD_NOT_DETERMINE_SOURCE.into());
                } else {
                    t.status = finished(t.status, MoveTaskStatus::Completed);
                }
                return;
            }
            Ok(n) => {
                let done = {
                    let mut t = task.lock();
                    t.moved += n;
                    let done = t.moved >= to_move;
                    if done {
                        // Ended by its last step, not a pause later; under the same lock as
                        // the count, so a cancel answered meanwhile is not overwritten.
                        t.status = finished(t.status, MoveTaskStatus::Completed);
                    }
                    done
                };
                match &destination {
                    Some(d) => waiters.wake(d),
                    None => waiters.wake_all(),
                }
                if done {
                    return;
                }
            }
            Err(e) => {
                let mut t = task.lock();
                t.status = MoveTaskStatus::Failed;
                t.failure_reason = Some(e.to_string());
                return;
            }
        }
        if pause.is_zero() {
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(pause).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pace_never_exceeds_the_rate_and_is_one_a_second_at_rate_one() {
        assert_eq!(pace(Some(1)), (1, Duration::from_secs(1)));
        assert_eq!(pace(Some(2)), (1, Duration::from_millis(500)));
        assert_eq!(pace(Some(500)), (50, Duration::from_millis(100)));
        for r in 1..=500u32 {
            let (step, pause) = pace(Some(r));
            let per_second = step as f64 / pause.as_secs_f64();
            assert!(
                per_second <= f64::from(r) + 1e-6,
                "rate {r}: {per_second}/s"
            );
            assert!(
                per_second >= f64::from(r) * 0.99,
                "rate {r}: only {per_second}/s"
            );
        }
        assert_eq!(pace(None), (DEFAULT_STEP, Duration::ZERO));
    }

    fn task(source: &str, status: MoveTaskStatus, n: usize) -> Arc<Mutex<MoveTaskInfo>> {
        Arc::new(Mutex::new(MoveTaskInfo {
            handle: format!("{source}-{n}"),
            source: source.into(),
            destination: None,
            max_per_second: None,
            status,
            moved: 0,
            to_move: 0,
            started_ms: n as u64,
            failure_reason: None,
        }))
    }

    /// Finished tasks are bounded per source and in all (a server that made and deleted
    /// queues with a task each kept every task, and walked them all on every call); running
    /// ones always stay, and the newest finished ones are kept.
    #[test]
    fn old_finished_tasks_are_forgotten() {
        use MoveTaskStatus::*;
        let mut tasks = vec![task("a", Running, 0)];
        for n in 1..=15 {
            tasks.push(task("a", if n % 2 == 0 { Failed } else { Completed }, n));
        }
        tasks.push(task("b", Cancelled, 16));
        forget_old(&mut tasks);
        let handles: Vec<String> = tasks.iter().map(|t| t.lock().handle.clone()).collect();
        let mut want = vec!["a-0".to_string()];
        want.extend((6..=15).map(|n| format!("a-{n}")));
        want.push("b-16".into());
        assert_eq!(handles, want);

        let mut tasks: Vec<_> = (0..3000)
            .map(|n| task(&format!("q{n}"), Completed, n))
            .collect();
        tasks.insert(0, task("busy", Cancelling, 0));
        forget_old(&mut tasks);
        assert_eq!(tasks.len(), KEEP_FINISHED + 1);
        assert_eq!(tasks[0].lock().source, "busy");
        assert_eq!(tasks[1].lock().source, "q2000");
        assert_eq!(tasks[KEEP_FINISHED].lock().source, "q2999");
    }

    #[test]
    fn a_cancel_answered_during_the_last_step_wins() {
        use MoveTaskStatus::*;
        assert_eq!(finished(Cancelling, Completed), Cancelled);
        assert_eq!(finished(Running, Completed), Completed);
    }
}
