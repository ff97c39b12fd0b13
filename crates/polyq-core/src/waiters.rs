//! Long-poll waiters: one [`QueueWaiters`] per queue that has a receiver looking at it or
//! waiting on it; the last one to leave takes the entry away ([`Joined`]), so receives on names
//! that never existed, or on queues deleted since, leave nothing behind.
//!
//! Whoever makes a message visible (a send, a visibility change to zero, a move or a
//! dead-letter move, a queue update such as a shorter delay, a delete that frees a FIFO group)
//! calls [`Waiters::wake`];
//! a deleted queue's waiters are woken and its notifier forgotten ([`Waiters::forget`]).
//! Waiters that find nothing compute their own next deadline from the store's
//! `next_visible_ms`, so timers known when they looked need no event — but a message that will
//! become visible *sooner* than they planned to look again (sent with a delay after they
//! looked, or its visibility timeout shortened) must wake them: [`Waiters::wake_if_sooner`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::Notify;

/// The receivers waiting on one queue.
#[derive(Default)]
pub struct QueueWaiters {
    pub notify: Notify,
    /// When the sleeping receivers plan to look again (ms → how many), each entry held by a
    /// [`LookPlan`] while its receiver sleeps.
    plans: Mutex<BTreeMap<u64, usize>>,
}

impl QueueWaiters {
    /// A receiver is about to sleep until `at_ms` unless woken; the plan lasts as long as the
    /// returned guard.
    pub fn sleeping_until(self: &Arc<Self>, at_ms: u64) -> LookPlan {
        *self.plans.lock().entry(at_ms).or_default() += 1;
        LookPlan {
            waiters: self.clone(),
            at_ms,
        }
    }

    /// A receiver is about to look at the queue: until it plans its sleep, any visibility
    /// change may concern it (its look may have missed the change), so it counts as planning
    /// to look never.
    pub fn looking(self: &Arc<Self>) -> LookPlan {
        self.sleeping_until(u64::MAX)
    }

    fn latest_plan(&self) -> Option<u64> {
        self.plans.lock().keys().next_back().copied()
    }
}

/// A sleeping receiver's plan to look again at a time (see [`QueueWaiters::sleeping_until`]).
pub struct LookPlan {
    waiters: Arc<QueueWaiters>,
    at_ms: u64,
}

impl Drop for LookPlan {
    fn drop(&mut self) {
        let mut plans = self.waiters.plans.lock();
        if let Some(n) = plans.get_mut(&self.at_ms) {
            *n -= 1;
            if *n == 0 {
                plans.remove(&self.at_ms);
            }
        }
    }
}

/// A receiver's membership of a queue's waiters (see [`Waiters::get`]).
pub struct Joined<'a> {
    map: &'a Waiters,
    queue: &'a str,
    waiters: Arc<QueueWaiters>,
}

impl std::ops::Deref for Joined<'_> {
    type Target = Arc<QueueWaiters>;
    fn deref(&self) -> &Arc<QueueWaiters> {
        &self.waiters
    }
}

impl Drop for Joined<'_> {
    fn drop(&mut self) {
        let mut map = self.map.by_queue.lock();
        // Held by the map and this handle only (plans hold clones while they last, and every
        // other handle is made under this lock): nobody else waits, so the entry goes. A
        // forgotten entry, or one made anew for a queue created again, is left alone.
        if map
            .get(self.queue)
            .is_some_and(|w| Arc::ptr_eq(w, &self.waiters) && Arc::strong_count(w) == 2)
        {
            map.remove(self.queue);
        }
    }
}

#[derive(Default)]
pub struct Waiters {
    by_queue: Mutex<HashMap<String, Arc<QueueWaiters>>>,
}

impl Waiters {
    pub fn new() -> Self {
        Self::default()
    }

    /// The waiters of `queue`, which receivers join for as long as they hold the handle.
    pub fn get<'a>(&'a self, queue: &'a str) -> Joined<'a> {
        let waiters = self
            .by_queue
            .lock()
            .entry(queue.to_string())
            .or_default()
            .clone();
        Joined {
            map: self,
            queue,
            waiters,
        }
    }

    /// How many queues have waiters tracked (for tests).
    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.by_queue.lock().len()
    }

    /// Wakes every receiver waiting on `queue`.
    pub fn wake(&self, queue: &str) {
        if let Some(w) = self.by_queue.lock().get(queue) {
            w.notify.notify_waiters();
        }
    }

    /// A message of `queue` becomes visible at `visible_ms` (sent with a delay, or its
    /// visibility timeout changed, at `now_ms`): wakes the receivers unless every one of them
    /// planned to look again by then anyway (a visibility timeout made longer than every plan
    /// wakes nobody). The latest plan decides, not the earliest: the receiver planning to look
    /// first may leave without looking again (its deadline, or another message), and the
    /// others must not sleep past the message. At once (`visible_ms <= now_ms`) always wakes.
    pub fn wake_if_sooner(&self, queue: &str, visible_ms: u64, now_ms: u64) {
        let Some(w) = self.by_queue.lock().get(queue).cloned() else {
            return;
        };
        let wake = visible_ms <= now_ms || w.latest_plan().is_none_or(|at| visible_ms < at);
        if wake {
            w.notify.notify_waiters();
        }
    }

    /// Wakes every waiter of every queue (when a change may have touched many queues).
    pub fn wake_all(&self) {
        for w in self.by_queue.lock().values() {
            w.notify.notify_waiters();
        }
    }

    /// Wakes and forgets the waiters of a deleted queue.
    pub fn forget(&self, queue: &str) {
        if let Some(w) = self.by_queue.lock().remove(queue) {
            w.notify.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_receiver_to_leave_takes_the_entry_away() {
        let waiters = Waiters::new();
        let a = waiters.get("q");
        let b = waiters.get("q");
        let plan = b.sleeping_until(5_000);
        drop(b);
        assert_eq!(waiters.tracked(), 1, "a still waits");
        drop(a);
        assert_eq!(waiters.tracked(), 1, "a sleeping plan still holds it");
        drop(plan);
        // A plan outliving its handle cannot happen in `receive_from` (the plan is dropped
        // first); the next receiver to leave then takes the entry.
        drop(waiters.get("q"));
        assert_eq!(waiters.tracked(), 0);
        // Names that never existed leave nothing.
        for i in 0..100 {
            drop(waiters.get(&format!("nobody-{i}")));
        }
        assert_eq!(waiters.tracked(), 0);
    }

    #[test]
    fn a_forgotten_entry_is_not_taken_from_the_queue_made_again() {
        let waiters = Waiters::new();
        let old = waiters.get("q");
        waiters.forget("q");
        let new = waiters.get("q");
        drop(old);
        assert_eq!(waiters.tracked(), 1, "the new queue's receiver still waits");
        let notified = new.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        waiters.wake("q");
        assert!(woken(notified.as_mut()));
    }

    fn woken(f: std::pin::Pin<&mut tokio::sync::futures::Notified<'_>>) -> bool {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        std::future::Future::poll(f, &mut cx).is_ready()
    }

    #[test]
    fn a_sooner_visibility_wakes_receivers_planning_to_look_later() {
        let waiters = Waiters::new();
        let q = waiters.get("q");
        let notified = q.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let plan = q.sleeping_until(4_000);
        // Visible when the receiver looks anyway, or later (a longer timeout): no wake.
        waiters.wake_if_sooner("q", 4_000, 1_000);
        waiters.wake_if_sooner("q", 9_000, 1_000);
        waiters.wake_if_sooner("other", 0, 1_000);
        assert!(!woken(notified.as_mut()));
        // Sooner: woken.
        waiters.wake_if_sooner("q", 2_000, 1_000);
        assert!(woken(notified.as_mut()));
        drop(plan);
        assert_eq!(q.latest_plan(), None, "a receiver that woke has no plan");
    }

    #[test]
    fn visible_at_once_always_wakes() {
        let waiters = Waiters::new();
        let q = waiters.get("q");
        let notified = q.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let _plan = q.sleeping_until(4_000);
        waiters.wake_if_sooner("q", 1_000, 1_000);
        assert!(woken(notified.as_mut()));
    }

    #[test]
    fn the_latest_plan_of_several_receivers_decides() {
        let waiters = Waiters::new();
        let q = waiters.get("q");
        let notified = q.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let _a = q.sleeping_until(3_000);
        let b = q.sleeping_until(8_000);
        let _c = q.sleeping_until(8_000);
        // Between the plans: the receivers planning 8 000 would sleep past it.
        waiters.wake_if_sooner("q", 5_000, 1_000);
        assert!(woken(notified.as_mut()));
        drop(b);
        assert_eq!(
            q.latest_plan(),
            Some(8_000),
            "one receiver still plans 8 000"
        );
    }

    #[test]
    fn a_receiver_looking_at_the_queue_is_woken_by_any_change() {
        let waiters = Waiters::new();
        let q = waiters.get("q");
        let notified = q.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let _sleeping = q.sleeping_until(3_000);
        let looking = q.looking();
        // Its look may have missed this change, whatever the others plan.
        waiters.wake_if_sooner("q", 9_000, 1_000);
        assert!(woken(notified.as_mut()));
        drop(looking);
        assert_eq!(q.latest_plan(), Some(3_000));
    }
}
