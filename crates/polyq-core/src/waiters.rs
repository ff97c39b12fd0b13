//! Long-poll waiters: one `Notify` per queue that has ever had a waiting receiver.
//!
//! Whoever makes a message visible (a send, a visibility change to zero, a move, a queue
//! update such as a shorter delay, a delete that frees a FIFO group) calls [`Waiters::wake`];
//! a deleted queue's waiters are woken and its notifier forgotten ([`Waiters::forget`]).
//! Waiters that find nothing compute their own next deadline from the store's
//! `next_visible_ms`, so timers need no event at all.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::Notify;

#[derive(Default)]
pub struct Waiters {
    by_queue: Mutex<HashMap<String, Arc<Notify>>>,
}

impl Waiters {
    pub fn new() -> Self {
        Self::default()
    }

    /// The notifier receivers of `queue` wait on.
    pub fn get(&self, queue: &str) -> Arc<Notify> {
        self.by_queue
            .lock()
            .entry(queue.to_string())
            .or_default()
            .clone()
    }

    /// Wakes every receiver waiting on `queue`.
    pub fn wake(&self, queue: &str) {
        if let Some(n) = self.by_queue.lock().get(queue) {
            n.notify_waiters();
        }
    }

    /// Wakes every waiter of every queue (when a change may have touched many queues).
    pub fn wake_all(&self) {
        for n in self.by_queue.lock().values() {
            n.notify_waiters();
        }
    }

    /// Wakes and forgets the waiters of a deleted queue.
    pub fn forget(&self, queue: &str) {
        if let Some(n) = self.by_queue.lock().remove(queue) {
            n.notify_waiters();
        }
    }
}
