//! Requests waiting for their changes to be committed, keyed by log position.
//!
//! Each waiting request is woken once, by the commit that covers its position. (A broadcast
//! to every waiter after every commit — what a `watch` channel does — also wakes the requests
//! whose changes arrived during that commit and wait for the next one; under load that is
//! about every other wake-up, each a task poll and often a worker thread unparked.)

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use parking_lot::Mutex;
use polyq_core::{CoreError, CoreResult};

#[derive(Default)]
struct State {
    /// Every change list up to this position is committed.
    durable: u64,
    /// Set once a commit failed; nothing is written after it.
    failed: Option<Arc<str>>,
    /// Set once the writer has stopped.
    stopped: bool,
    /// Requests not yet covered, with the position each waits for.
    waiting: Vec<(u64, Waker)>,
}

/// The positions committed so far, and who waits for which.
#[derive(Default)]
pub(crate) struct Waiters {
    state: Mutex<State>,
}

impl Waiters {
    /// Why the store is read-only, once a commit has failed.
    pub fn failure(&self) -> Option<Arc<str>> {
        self.state.lock().failed.clone()
    }

    /// Marks every change list up to `pos` committed and wakes the requests waiting for them.
    pub fn committed(&self, pos: u64) {
        let woken = {
            let mut s = self.state.lock();
            s.durable = s.durable.max(pos);
            s.waiting
                .extract_if(.., |(p, _)| *p <= pos)
                .collect::<Vec<_>>()
        };
        woken.into_iter().for_each(|(_, w)| w.wake());
    }

    /// Records that commits failed for good (`why`) or the writer stopped (`None`), and wakes
    /// everyone still waiting so that they fail instead of hanging.
    pub fn stop(&self, why: Option<Arc<str>>) {
        let woken = {
            let mut s = self.state.lock();
            if why.is_some() {
                s.failed = why;
            }
            s.stopped = true;
            std::mem::take(&mut s.waiting)
        };
        woken.into_iter().for_each(|(_, w)| w.wake());
    }

    /// Resolves once the change lists up to `pos` are committed, or fails when they never
    /// will be.
    pub fn wait(&self, pos: u64) -> WaitDurable<'_> {
        WaitDurable { waiters: self, pos }
    }
}

/// See [`Waiters::wait`].
pub(crate) struct WaitDurable<'a> {
    waiters: &'a Waiters,
    pos: u64,
}

impl Future for WaitDurable<'_> {
    type Output = CoreResult<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.waiters.state.lock();
        if s.durable >= self.pos {
            return Poll::Ready(Ok(()));
        }
        if let Some(why) = &s.failed {
            return Poll::Ready(Err(CoreError::Storage(format!(
                "the change could not be written to disk: {why}"
            ))));
        }
        if s.stopped {
            return Poll::Ready(Err(CoreError::Storage(
                "the store's writer has stopped".into(),
            )));
        }
        // Polled again before being woken (a spurious poll): replace the old waker rather than
        // adding a second entry.
        let pos = self.pos;
        match s
            .waiting
            .iter_mut()
            .find(|(p, w)| *p == pos && w.will_wake(cx.waker()))
        {
            Some(_) => {}
            None => s.waiting.push((pos, cx.waker().clone())),
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll(f: &mut WaitDurable<'_>, waker: &Waker) -> Poll<CoreResult<()>> {
        Pin::new(f).poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn a_waiter_is_woken_only_by_the_commit_that_covers_it() {
        let w = Waiters::default();
        let (early, late) = (
            Arc::new(Count(AtomicUsize::new(0))),
            Arc::new(Count(AtomicUsize::new(0))),
        );
        let (we, wl) = (Waker::from(early.clone()), Waker::from(late.clone()));
        let (mut fe, mut fl) = (w.wait(3), w.wait(5));
        assert!(poll(&mut fe, &we).is_pending());
        assert!(poll(&mut fl, &wl).is_pending());
        // Polled twice before a wake: still one entry.
        assert!(poll(&mut fl, &wl).is_pending());
        w.committed(4);
        assert_eq!(early.0.load(Ordering::SeqCst), 1);
        assert_eq!(late.0.load(Ordering::SeqCst), 0, "no spurious wake");
        assert!(matches!(poll(&mut fe, &we), Poll::Ready(Ok(()))));
        assert!(poll(&mut fl, &wl).is_pending());
        w.committed(5);
        assert_eq!(late.0.load(Ordering::SeqCst), 1);
        assert!(matches!(poll(&mut fl, &wl), Poll::Ready(Ok(()))));
        // Already durable: ready at once, nothing registered.
        assert!(matches!(poll(&mut w.wait(2), &we), Poll::Ready(Ok(()))));
        assert!(w.state.lock().waiting.is_empty());
    }

    #[test]
    fn a_failure_wakes_and_fails_everyone_still_waiting() {
        let w = Waiters::default();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut f = w.wait(1);
        assert!(poll(&mut f, &waker).is_pending());
        w.stop(Some(Arc::from("disk full")));
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        match poll(&mut f, &waker) {
            Poll::Ready(Err(CoreError::Storage(m))) => assert!(m.contains("disk full"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(w.failure().as_deref(), Some("disk full"));
    }

    #[test]
    fn a_stopped_writer_fails_waiters_instead_of_hanging() {
        let w = Waiters::default();
        w.stop(None);
        let waker = Waker::from(Arc::new(Count(AtomicUsize::new(0))));
        assert!(matches!(
            poll(&mut w.wait(1), &waker),
            Poll::Ready(Err(CoreError::Storage(_)))
        ));
        assert!(w.failure().is_none());
    }
}
