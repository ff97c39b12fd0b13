//! The load loops: producers, consumers and the backlog pre-fill. Every loop is bounded by the
//! shared stop flag (set at the deadline or when the message count is reached) and by its own
//! budget of messages.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::client::{Batch, Client, OpError, QueueRef};
use crate::stats::{end_to_end, make_body, Counters, Latencies, MEASURED, PREFILL};

/// What every worker shares.
pub struct Shared {
    pub client: Client,
    pub queues: Vec<QueueRef>,
    pub counters: Counters,
    pub stop: AtomicBool,
    /// Wakes receives still out when the run stops (see [`Shared::halt`]).
    pub halted: tokio::sync::Notify,
    /// Messages producers may still send (`i64::MAX` without --messages).
    pub send_budget: AtomicI64,
    pub message_size: usize,
    pub send_batch: usize,
    pub receive_batch: usize,
    pub wait_seconds: u32,
    pub delete: bool,
}

impl Shared {
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Ends the run: loops stop at their next check, and receives still out (a long poll may
    /// wait up to its `--wait-seconds`) are abandoned rather than waited for.
    pub fn halt(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.halted.notify_waiters();
    }

    /// Takes up to `want` messages from the send budget.
    fn reserve(budget: &AtomicI64, want: usize) -> usize {
        let got = budget.fetch_sub(want as i64, Ordering::Relaxed);
        got.clamp(0, want as i64) as usize
    }
}

/// Fixed-interval schedule of one open-loop worker: the n-th request is due at
/// `start + n * interval`, whether or not earlier ones were late (wrk2's approach).
pub struct Schedule {
    start: Instant,
    interval: Duration,
    n: u32,
}

impl Schedule {
    /// `per_second` is this worker's share of the total rate.
    pub fn new(per_second: f64, offset: Duration) -> Option<Schedule> {
        (per_second > 0.0).then(|| Schedule {
            start: Instant::now() + offset,
            interval: Duration::from_secs_f64(1.0 / per_second),
            n: 0,
        })
    }

    /// Waits for the next slot and answers the time latency is measured from.
    pub async fn next(&mut self) -> Instant {
        let due = self.start + self.interval * self.n;
        self.n += 1;
        tokio::time::sleep_until(due.into()).await;
        due
    }
}

/// Sends batches until stopped or out of budget.
pub async fn producer(
    shared: Arc<Shared>,
    index: usize,
    mut schedule: Option<Schedule>,
) -> Latencies {
    let mut lat = Latencies::default();
    let q = &shared.queues[index % shared.queues.len()];
    while !shared.stopped() {
        let n = Shared::reserve(&shared.send_budget, shared.send_batch);
        if n == 0 {
            break;
        }
        let origin = match schedule.as_mut() {
            Some(s) => s.next().await,
            None => Instant::now(),
        };
        if shared.stopped() {
            break;
        }
        let now = SystemTime::now();
        let bodies: Vec<String> = (0..n)
            .map(|_| make_body(MEASURED, shared.message_size, now))
            .collect();
        let outcome = shared.client.send(q, &bodies).await;
        let failed = outcome.is_err();
        count_batch(&shared.counters, &shared.counters.sent, outcome);
        Latencies::record(&mut lat.send, origin.elapsed());
        if failed {
            // A failing (or gone) server should not be hammered in a tight loop.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    lat
}

/// Counts a batch call: its successes into `done`, each failed entry or the whole call's error
/// by code.
fn count_batch(
    counters: &Counters,
    done: &std::sync::atomic::AtomicU64,
    outcome: Result<Batch, OpError>,
) {
    match outcome {
        Ok(batch) => {
            Counters::add(done, batch.ok);
            for code in &batch.failed {
                counters.error(code);
            }
        }
        Err(e) => counters.error(&e.code),
    }
}

/// Receives (and in cycle mode deletes) until stopped.
pub async fn consumer(
    shared: Arc<Shared>,
    index: usize,
    mut schedule: Option<Schedule>,
) -> Latencies {
    let mut lat = Latencies::default();
    let q = &shared.queues[index % shared.queues.len()];
    let long_poll = shared.client.long_poll() && shared.wait_seconds > 0;
    while !shared.stopped() {
        let origin = match schedule.as_mut() {
            Some(s) => s.next().await,
            None => Instant::now(),
        };
        // Registered before the stop flag is read, so a halt in between is not missed.
        let halted = shared.halted.notified();
        tokio::pin!(halted);
        halted.as_mut().enable();
        if shared.stopped() {
            break;
        }
        let received = tokio::select! {
            r = shared.client.receive(q, shared.receive_batch, shared.wait_seconds) => r,
            // The run ended while this receive was out: its connection is dropped (the server
            // sees the client go), its time is not the server's, and what it got not counted.
            () = &mut halted => break,
        };
        let msgs = match received {
            Ok(m) => m,
            Err(e) => {
                shared.counters.error(&e.code);
                Latencies::record(&mut lat.receive, origin.elapsed());
                // A failing server should not be hammered in a tight loop.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        if shared.stopped() {
            // The run ended as this receive was answered: not counted, as above.
            break;
        }
        let now = SystemTime::now();
        Latencies::record(&mut lat.receive, origin.elapsed());
        if msgs.is_empty() {
            Counters::add(&shared.counters.empty_receives, 1);
            if !long_poll && schedule.is_none() {
                // No long polling: back off a little instead of spinning on an empty queue.
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            continue;
        }
        Counters::add(&shared.counters.received, msgs.len());
        for m in &msgs {
            if let Some(d) = end_to_end(&m.body, now) {
                Latencies::record(&mut lat.end_to_end, d);
            }
        }
        if shared.delete {
            let started = Instant::now();
            let outcome = shared.client.delete(q, &msgs).await;
            count_batch(&shared.counters, &shared.counters.deleted, outcome);
            Latencies::record(&mut lat.delete, started.elapsed());
        }
    }
    lat
}

/// Sends `per_queue` backlog messages to every queue with `workers` concurrent senders.
/// Bounded by the count and by `deadline`. Returns how many were sent.
pub async fn prefill(
    shared: Arc<Shared>,
    per_queue: u64,
    workers: usize,
    deadline: Instant,
) -> anyhow::Result<u64> {
    let batch = shared.client.max_send_batch();
    let mut tasks = Vec::new();
    for (qi, _) in shared.queues.iter().enumerate() {
        let budget = Arc::new(AtomicI64::new(per_queue as i64));
        for _ in 0..workers.max(1) {
            let shared = shared.clone();
            let budget = budget.clone();
            tasks.push(tokio::spawn(async move {
                let q = &shared.queues[qi];
                let mut sent = 0u64;
                while Instant::now() < deadline {
                    let n = Shared::reserve(&budget, batch);
                    if n == 0 {
                        break;
                    }
                    let now = SystemTime::now();
                    let bodies: Vec<String> = (0..n)
                        .map(|_| make_body(PREFILL, shared.message_size, now))
                        .collect();
                    match shared.client.send(q, &bodies).await {
                        Ok(b) if b.failed.is_empty() => sent += b.ok as u64,
                        Ok(b) => anyhow::bail!("pre-fill send failed: {}", b.failed[0]),
                        Err(e) => anyhow::bail!("pre-fill send failed: {e}"),
                    }
                }
                Ok(sent)
            }));
        }
    }
    let mut total = 0;
    for t in tasks {
        total += t.await??;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_reservation_never_overdraws() {
        let b = AtomicI64::new(25);
        assert_eq!(Shared::reserve(&b, 10), 10);
        assert_eq!(Shared::reserve(&b, 10), 10);
        assert_eq!(Shared::reserve(&b, 10), 5);
        assert_eq!(Shared::reserve(&b, 10), 0);
        assert_eq!(Shared::reserve(&b, 10), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn schedule_keeps_fixed_slots_when_late() {
        let mut s = Schedule::new(100.0, Duration::ZERO).unwrap();
        let first = s.next().await;
        // Falling behind does not move later slots: latency is measured from the slot.
        tokio::time::sleep(Duration::from_millis(35)).await;
        let second = s.next().await;
        assert_eq!(second - first, Duration::from_millis(10));
        assert!(Schedule::new(0.0, Duration::ZERO).is_none());
    }
}
