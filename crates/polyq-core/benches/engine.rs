//! Engine hot paths on `MemoryStore` directly, without HTTP: send, lease, delete and change
//! visibility of one message, and a batch-of-10 send → lease → delete cycle, each with a
//! backlog of 1,000 and of 1,000,000 ready messages. The backlog is kept constant: every
//! timed operation is undone (untimed) before it could drain or grow the queue noticeably,
//! so the figures show whether an operation's cost depends on the backlog (it should not:
//! the indexes are O(log n)).
//!
//! `cargo bench -p polyq-core` (small sample sizes so it ends in a few minutes on 2 cores);
//! `cargo bench -p polyq-core -- lease` for one group.

use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use polyq_core::{
    LeaseRequest, MemoryStore, Message, NewMessage, QueueConfig, QueueStore, VisibilityChange,
};
use tokio::runtime::Runtime;

const NOW: u64 = 1_700_000_000_000;
const Q: &str = "bench";
const BACKLOGS: [usize; 2] = [1_000, 1_000_000];
static BODY: [u8; 100] = [b'x'; 100];

fn message() -> NewMessage {
    NewMessage {
        body: Bytes::from_static(&BODY),
        ..Default::default()
    }
}

struct Fixture {
    rt: Runtime,
    store: MemoryStore,
    /// Operations timed between two restorations: a tenth of the backlog, so it never drains.
    chunk: u64,
}

impl Fixture {
    fn new(backlog: usize) -> Fixture {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let store = MemoryStore::new();
        rt.block_on(async {
            store
                .create_queue(Q, QueueConfig::default(), NOW)
                .await
                .expect("create");
            let mut left = backlog;
            while left > 0 {
                let n = left.min(1_000);
                store
                    .send(Q, (0..n).map(|_| message()).collect(), NOW)
                    .await
                    .expect("prefill");
                left -= n;
            }
        });
        Fixture {
            rt,
            store,
            chunk: (backlog as u64 / 10).max(1),
        }
    }

    fn send(&self, n: usize) {
        self.rt
            .block_on(self.store.send(Q, (0..n).map(|_| message()).collect(), NOW))
            .expect("send");
    }

    fn lease(&self, n: usize) -> Vec<Message> {
        let req = LeaseRequest {
            max_messages: n,
            visibility_seconds: Some(300),
            attempt_id: None,
        };
        self.rt
            .block_on(self.store.lease(Q, req, NOW))
            .expect("lease")
            .messages
    }

    fn delete(&self, msgs: &[Message]) {
        let receipts: Vec<_> = msgs.iter().map(Message::receipt).collect();
        self.rt
            .block_on(self.store.delete(Q, &receipts, NOW))
            .expect("delete");
    }

    fn release(&self, msgs: &[Message]) {
        let changes: Vec<_> = msgs
            .iter()
            .map(|m| VisibilityChange {
                receipt: m.receipt(),
                visibility_seconds: 0,
                renew_receipt: false,
                require_hidden: true,
                accept_older_receipt: false,
                max_total_seconds: None,
            })
            .collect();
        self.rt
            .block_on(self.store.change_visibility(Q, &changes, NOW))
            .expect("change visibility");
    }

    /// Runs `iters` timed steps in chunks; `prepare` and `restore` run untimed around each chunk.
    fn timed<S>(
        &self,
        iters: u64,
        mut prepare: impl FnMut(u64) -> S,
        mut step: impl FnMut(&mut S),
        mut restore: impl FnMut(S),
    ) -> Duration {
        let mut total = Duration::ZERO;
        let mut left = iters;
        while left > 0 {
            let n = left.min(self.chunk);
            let mut state = prepare(n);
            let t = Instant::now();
            for _ in 0..n {
                step(&mut state);
            }
            total += t.elapsed();
            restore(state);
            left -= n;
        }
        total
    }
}

fn engine(c: &mut Criterion) {
    for backlog in BACKLOGS {
        let f = Fixture::new(backlog);
        let mut g = c.benchmark_group("engine");
        g.sample_size(20)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(2));

        g.bench_with_input(BenchmarkId::new("send", backlog), &backlog, |b, _| {
            b.iter_custom(|iters| {
                f.timed(
                    iters,
                    |n| n,
                    |_| f.send(1),
                    |n| {
                        // Take the same number back out so the backlog stays put.
                        let leased = f.lease(n as usize);
                        f.delete(&leased);
                    },
                )
            })
        });

        g.bench_with_input(BenchmarkId::new("lease", backlog), &backlog, |b, _| {
            b.iter_custom(|iters| {
                f.timed(
                    iters,
                    |n| Vec::with_capacity(n as usize),
                    |got: &mut Vec<Message>| got.extend(f.lease(1)),
                    |got| f.release(&got),
                )
            })
        });

        g.bench_with_input(BenchmarkId::new("delete", backlog), &backlog, |b, _| {
            b.iter_custom(|iters| {
                f.timed(
                    iters,
                    |n| (f.lease(n as usize).into_iter(), n as usize),
                    |(leased, _)| {
                        let m = leased.next().expect("leased enough");
                        f.delete(std::slice::from_ref(&m));
                    },
                    // Replace what was deleted so the backlog stays put.
                    |(_, n)| f.send(n),
                )
            })
        });

        g.bench_with_input(
            BenchmarkId::new("change_visibility", backlog),
            &backlog,
            |b, _| {
                b.iter_custom(|iters| {
                    f.timed(
                        iters,
                        |n| f.lease(n as usize).into_iter(),
                        |leased| {
                            let m = leased.next().expect("leased enough");
                            f.release(std::slice::from_ref(&m));
                        },
                        |_| (),
                    )
                })
            },
        );

        g.bench_with_input(BenchmarkId::new("cycle10", backlog), &backlog, |b, _| {
            b.iter(|| {
                f.send(10);
                let leased = f.lease(10);
                f.delete(&leased);
            })
        });
        g.finish();
    }
}

criterion_group!(benches, engine);
criterion_main!(benches);
