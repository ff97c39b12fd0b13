//! Differential testing: a store under test must answer every operation exactly as the plain
//! memory engine does when both get the same seeded random operations at the same simulated
//! times, while the store under test is restarted (dropped and opened again on the same data)
//! at random moments. Any state that a restart forgets or mangles (a lease, a receive count, a
//! delay, a dead-letter move, a deduplication record, a visibility change, an updated body, a
//! queue setting), and any operation a store implements differently, shows up as a difference:
//! in the answer that first depends on it, or in the full comparison of every queue and message
//! made every 50 steps and after each restart.
//!
//! Messages are told apart by a key attribute (ids and receipts are each store's own). The
//! seeds are fixed, so a failure names the seed and step that reproduce it, and prints the
//! operations that led there.

use std::collections::BTreeMap;
use std::future::Future;

use crate::error::CoreResult;
use crate::ids::Receipt;
use crate::memory::MemoryStore;
use crate::model::*;
use crate::store::{QueueStore, QueueUpdate};

/// Steps of one run.
pub const STEPS: usize = 600;
/// Seeds a store crate runs by default; `POLYQ_DIFF_SEEDS=N` asks for seeds 1..=N instead.
pub const SEEDS: u64 = 6;
const QUEUES: [&str; 4] = ["std", "dlq", "f.fifo", "fdlq.fifo"];

fn config(name: &str) -> QueueConfig {
    let redrive = |dead_letter_queue: &str, max_receive_count| {
        Some(RedrivePolicy {
            dead_letter_queue: dead_letter_queue.into(),
            max_receive_count,
        })
    };
    QueueConfig {
        visibility_timeout: 10,
        fifo: name.ends_with(".fifo"),
        redrive: match name {
            "std" => redrive("dlq", 3),
            "f.fifo" => redrive("fdlq.fifo", 2),
            _ => None,
        },
        ..Default::default()
    }
}

/// What a client of one store knows: each message's id and its latest receipt, plus receipts it
/// has seen replaced (to try stale ones).
#[derive(Default)]
struct Client {
    ids: BTreeMap<String, String>,
    receipts: BTreeMap<String, Receipt>,
    stale: BTreeMap<String, Receipt>,
}

impl Client {
    fn saw(&mut self, key: &str, id: &str, receipt: Receipt) {
        self.ids.insert(key.to_string(), id.to_string());
        if let Some(old) = self.receipts.insert(key.to_string(), receipt) {
            if old != receipt {
                self.stale.insert(key.to_string(), old);
            }
        }
    }

    fn receipt(&self, key: &str, stale: bool) -> Receipt {
        let current = self.receipts.get(key).copied();
        let r = if stale {
            self.stale.get(key).copied().or(current)
        } else {
            current
        };
        r.expect("a key the client knows")
    }
}

fn key_of(m: &Message) -> String {
    match &m
        .attributes
        .get("k")
        .expect("every message has a key")
        .value
    {
        AttributeValue::String(s) => s.clone(),
        AttributeValue::Binary(_) => unreachable!(),
    }
}

/// A message with what differs between stores (id, internal sequence, FIFO sequence number)
/// left out.
fn norm(m: &Message) -> String {
    format!(
        "key={} body={:?} attrs={:?} sys={:?} prio={} enq={} vis={} exp={:?} rc={} first={:?} last={:?} lease={} state={:?} group={:?} dedup={:?} fifo_seq={} sender={:?} dlsrc={:?}",
        key_of(m),
        m.body,
        m.attributes,
        m.system_attributes,
        m.priority,
        m.enqueued_ms,
        m.visible_ms,
        m.expires_ms,
        m.receive_count,
        m.first_receive_ms,
        m.last_receive_ms,
        m.lease,
        m.state,
        m.group_id,
        // A dead-lettered FIFO message's deduplication id is its message id (as on SQS), which
        // stays its id when a move gives it a new one; the test's own ids are `d<n>`.
        m.dedup_id.as_deref().map(|d| if d.strip_prefix('d').is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())) {
            d.to_string()
        } else {
            format!("a message id (its own: {})", d == m.id)
        }),
        m.sequence_number.is_some(),
        m.sender_id,
        m.dead_letter_source,
    )
}

fn norm_info(i: &QueueInfo) -> String {
    format!(
        "{} created={} modified={} config={:?} stats={:?}",
        i.name, i.created_ms, i.modified_ms, i.config, i.stats
    )
}

fn norm_err<T>(r: &CoreResult<T>) -> Option<String> {
    r.as_ref().err().map(ToString::to_string)
}

struct Run<F> {
    rng: fastrand::Rng,
    seed: u64,
    now: u64,
    open: F,
    reference: MemoryStore,
    /// The store under test (`None` only while it restarts).
    tested: Option<Box<dyn QueueStore>>,
    a: Client,
    b: Client,
    /// Keys sent so far and the queue each was sent to (it may have moved since).
    keys: Vec<String>,
    next_key: u64,
    dedup_ids: Vec<String>,
    step: usize,
    restarts: u32,
    /// What each step did, printed when a difference is found.
    trace: Vec<String>,
    /// The receive attempt id used last, and its queue.
    last_attempt: Option<(&'static str, String)>,
}

impl<F, Fut> Run<F>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Box<dyn QueueStore>>,
{
    fn tested(&self) -> &dyn QueueStore {
        self.tested.as_deref().expect("open")
    }

    fn check(&self, what: &str, a: String, b: String) {
        if a != b {
            eprintln!("operations of seed {} so far:", self.seed);
            for line in &self.trace {
                eprintln!("  {line}");
            }
            let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
            eprintln!(
                "{} lines against {}; lines that differ:",
                la.len(),
                lb.len()
            );
            for (x, y) in la.iter().zip(&lb).filter(|(x, y)| x != y).take(3) {
                eprintln!("  memory:     {x}\n  under test: {y}");
            }
        }
        assert_eq!(
            a, b,
            "seed {} step {} ({what}): memory engine (left) and store under test (right) differ",
            self.seed, self.step
        );
    }

    async fn restart(&mut self) {
        self.last_attempt = None;
        // Gone before it opens again: a store may own its data exclusively.
        self.tested = None;
        self.tested = Some((self.open)().await);
        self.restarts += 1;
    }

    fn queue(&mut self) -> &'static str {
        QUEUES[self.rng.usize(..QUEUES.len())]
    }

    fn some_keys(&mut self, max: usize) -> Vec<String> {
        if self.keys.is_empty() {
            return Vec::new();
        }
        // Mostly recent keys: old ones are usually deleted already.
        let n = self.rng.usize(1..=max);
        (0..n)
            .map(|_| {
                let len = self.keys.len();
                let from = len.saturating_sub(40);
                self.keys[self.rng.usize(from..len)].clone()
            })
            .collect()
    }

    async fn send(&mut self) {
        let queue = self.queue();
        let fifo = queue.ends_with(".fifo");
        let mut batch = Vec::new();
        let mut keys = Vec::new();
        for _ in 0..self.rng.usize(1..=3) {
            self.next_key += 1;
            let key = format!("k{}", self.next_key);
            let mut m = NewMessage {
                body: format!("body of {key}").into_bytes().into(),
                ..Default::default()
            };
            m.attributes.insert(
                "k".into(),
                MessageAttribute {
                    data_type: "String".into(),
                    value: AttributeValue::String(key.clone()),
                },
            );
            if self.rng.bool() {
                m.sender_id = Some("AIDEXAMPLE".into());
            }
            if self.rng.u8(..4) == 0 {
                m.delay_seconds = Some(self.rng.u32(0..=15));
            }
            if self.rng.u8(..6) == 0 {
                m.ttl = MessageTtl::Seconds(self.rng.u64(20..=120));
            }
            if fifo {
                m.group_id = Some(format!("g{}", self.rng.u8(..3)));
                let dedup = if !self.dedup_ids.is_empty() && self.rng.u8(..5) == 0 {
                    self.dedup_ids[self.rng.usize(..self.dedup_ids.len())].clone()
                } else {
                    let d = format!("d{}", self.next_key);
                    self.dedup_ids.push(d.clone());
                    d
                };
                m.dedup_id = Some(dedup);
            } else if self.rng.u8(..4) == 0 {
                m.priority = Some(self.rng.u8(1..=16));
            }
            keys.push(key);
            batch.push(m);
        }
        self.trace.push(format!(
            "{} send {queue} {:?}",
            self.step,
            keys.iter()
                .zip(&batch)
                .map(|(k, m)| format!(
                    "{k} delay={:?} ttl={:?} group={:?} dedup={:?} prio={:?}",
                    m.delay_seconds, m.ttl, m.group_id, m.dedup_id, m.priority
                ))
                .collect::<Vec<_>>()
        ));
        let ra = self.reference.send(queue, batch.clone(), self.now).await;
        let rb = self.tested().send(queue, batch, self.now).await;
        self.check(
            "send",
            format!("{:?}", norm_err(&ra)),
            format!("{:?}", norm_err(&rb)),
        );
        let (Ok(ra), Ok(rb)) = (ra, rb) else { return };
        for ((key, a), b) in keys.iter().zip(ra).zip(rb) {
            let show = |r: &CoreResult<Sent>| match r {
                Ok(s) => format!(
                    "enq={} vis={} exp={:?} seq={} dedup={}",
                    s.enqueued_ms,
                    s.visible_ms,
                    s.expires_ms,
                    s.sequence_number.is_some(),
                    s.deduplicated
                ),
                Err(e) => e.to_string(),
            };
            self.check("send entry", show(&a), show(&b));
            if let (Ok(a), Ok(b)) = (a, b) {
                if !a.deduplicated {
                    self.a.saw(key, &a.id, a.receipt);
                    self.b.saw(key, &b.id, b.receipt);
                    self.keys.push(key.clone());
                }
            }
        }
    }

    async fn lease(&mut self) {
        let queue = self.queue();
        let request = LeaseRequest {
            max_messages: self.rng.usize(1..=10),
            visibility_seconds: match self.rng.u8(..3) {
                0 => None,
                _ => Some(self.rng.u32(0..=20)),
            },
            attempt_id: None,
        };
        // Receive attempt ids live in memory only (a restart forgets them, see
        // docs/compatibility.md), so an id is retried only right after its first use, as a
        // client retries a receive whose answer it lost.
        let mut request = request;
        if queue.ends_with(".fifo") {
            request.attempt_id = match (self.last_attempt.take(), self.rng.u8(..4)) {
                (Some((q, id)), 0 | 1) if q == queue => Some(id),
                (_, 0) => Some(format!("a{}", self.step)),
                _ => None,
            };
            if let Some(id) = &request.attempt_id {
                self.last_attempt = Some((queue, id.clone()));
            }
        }
        self.trace
            .push(format!("{} lease {queue} {request:?}", self.step));
        let ra = self.reference.lease(queue, request.clone(), self.now).await;
        let rb = self.tested().lease(queue, request, self.now).await;
        let now = self.now;
        let show = |r: &CoreResult<LeaseOutcome>| match r {
            Ok(o) => format!(
                "next={:?} wait={} {:#?}",
                // The hint is for a long poll that found nothing (one that got messages
                // returns them). A lease with a visibility timeout of 0 leaves messages visible
                // at once: one store reports them in flight until now, another already
                // visible, and "look again at `now`" is the same as no hint.
                o.next_visible_ms
                    .filter(|&at| at > now && o.messages.is_empty()),
                o.queue_wait_seconds,
                o.messages
                    .iter()
                    .map(|m| norm(&Message {
                        state: MessageState::InFlight,
                        ..m.clone()
                    }))
                    .collect::<Vec<_>>()
            ),
            Err(e) => e.to_string(),
        };
        self.check("lease", show(&ra), show(&rb));
        if let (Ok(a), Ok(b)) = (ra, rb) {
            self.trace.push(format!(
                "    got {:?}",
                a.messages.iter().map(key_of).collect::<Vec<_>>()
            ));
            for (ma, mb) in a.messages.iter().zip(&b.messages) {
                self.a.saw(&key_of(ma), &ma.id, ma.receipt());
                self.b.saw(&key_of(mb), &mb.id, mb.receipt());
            }
        }
    }

    async fn delete(&mut self) {
        let queue = self.queue();
        let keys = self.some_keys(3);
        if keys.is_empty() {
            return;
        }
        let stale = self.rng.u8(..5) == 0;
        let leased_only = self.rng.bool();
        let ra: Vec<Receipt> = keys.iter().map(|k| self.a.receipt(k, stale)).collect();
        let rb: Vec<Receipt> = keys.iter().map(|k| self.b.receipt(k, stale)).collect();
        self.trace.push(format!(
            "{} delete {queue} {keys:?} stale={stale} leased_only={leased_only}",
            self.step
        ));
        let oa = self
            .reference
            .delete_receipts(queue, &ra, leased_only, self.now)
            .await;
        let ob = self
            .tested()
            .delete_receipts(queue, &rb, leased_only, self.now)
            .await;
        let show = |r: CoreResult<Vec<CoreResult<()>>>| match r {
            Ok(v) => format!("{:?}", v.iter().map(norm_err).collect::<Vec<_>>()),
            Err(e) => e.to_string(),
        };
        self.check("delete", show(oa), show(ob));
    }

    async fn change_visibility(&mut self) {
        let queue = self.queue();
        let keys = self.some_keys(3);
        if keys.is_empty() {
            return;
        }
        let stale = self.rng.u8(..5) == 0;
        let template = VisibilityChange {
            receipt: Receipt { seq: 0, lease: 0 },
            visibility_seconds: self.rng.u32(0..=30),
            renew_receipt: self.rng.bool(),
            require_hidden: self.rng.bool(),
            accept_older_receipt: self.rng.bool(),
            max_total_seconds: self.rng.bool().then_some(40),
        };
        let changes = |c: &Client| -> Vec<VisibilityChange> {
            keys.iter()
                .map(|k| VisibilityChange {
                    receipt: c.receipt(k, stale),
                    ..template
                })
                .collect()
        };
        self.trace.push(format!(
            "{} change visibility {queue} {keys:?} stale={stale} {template:?}",
            self.step
        ));
        let (ca, cb) = (changes(&self.a), changes(&self.b));
        let oa = self.reference.change_visibility(queue, &ca, self.now).await;
        let ob = self.tested().change_visibility(queue, &cb, self.now).await;
        let show = |r: &CoreResult<Vec<CoreResult<Relet>>>| match r {
            Ok(v) => format!(
                "{:?}",
                v.iter()
                    .map(|r| match r {
                        Ok(relet) =>
                            format!("visible {} lease {}", relet.visible_ms, relet.receipt.lease),
                        Err(e) => e.to_string(),
                    })
                    .collect::<Vec<_>>()
            ),
            Err(e) => e.to_string(),
        };
        self.check("change visibility", show(&oa), show(&ob));
        if let (Ok(oa), Ok(ob)) = (oa, ob) {
            for ((k, a), b) in keys.iter().zip(oa).zip(ob) {
                if let (Ok(a), Ok(b)) = (a, b) {
                    let (ida, idb) = (self.a.ids[k].clone(), self.b.ids[k].clone());
                    self.a.saw(k, &ida, a.receipt);
                    self.b.saw(k, &idb, b.receipt);
                }
            }
        }
    }

    async fn update_message(&mut self) {
        let queue = self.queue();
        let Some(key) = self.some_keys(1).pop() else {
            return;
        };
        let body: Option<bytes::Bytes> = self
            .rng
            .bool()
            .then(|| format!("updated at step {}", self.step).into_bytes().into());
        let change = |c: &Client| VisibilityChange {
            receipt: c.receipt(&key, false),
            visibility_seconds: 5,
            renew_receipt: true,
            require_hidden: false,
            accept_older_receipt: false,
            max_total_seconds: None,
        };
        self.trace.push(format!(
            "{} update message {queue} {key} body={body:?}",
            self.step
        ));
        let (ca, cb) = (change(&self.a), change(&self.b));
        let oa = self
            .reference
            .update_message(queue, ca, body.clone(), self.now)
            .await;
        let ob = self
            .tested()
            .update_message(queue, cb, body, self.now)
            .await;
        let show = |r: &CoreResult<Relet>| match r {
            Ok(relet) => format!("visible {} lease {}", relet.visible_ms, relet.receipt.lease),
            Err(e) => e.to_string(),
        };
        self.check("update message", show(&oa), show(&ob));
        if let (Ok(a), Ok(b)) = (oa, ob) {
            let (ida, idb) = (self.a.ids[&key].clone(), self.b.ids[&key].clone());
            self.a.saw(&key, &ida, a.receipt);
            self.b.saw(&key, &idb, b.receipt);
        }
    }

    async fn update_queue(&mut self) {
        let queue = self.queue();
        let delay = self.rng.u32(0..=10);
        let visibility = self.rng.u32(1..=20);
        let max_receives = self.rng.u32(1..=4);
        let retention = [None, Some(60), Some(300), Some(345_600)][self.rng.usize(..4)];
        let content_dedup = self.rng.bool();
        let update = move || -> QueueUpdate {
            Box::new(move |c: &mut QueueConfig| {
                c.delay_seconds = delay;
                c.visibility_timeout = visibility;
                if let Some(r) = c.redrive.as_mut() {
                    r.max_receive_count = max_receives;
                }
                if let Some(seconds) = retention {
                    c.retention_seconds = seconds;
                }
                c.content_based_dedup = c.fifo && content_dedup;
                Ok(())
            })
        };
        self.trace.push(format!(
            "{} update queue {queue} delay={delay} visibility={visibility} max_receives={max_receives} retention={retention:?} content_dedup={content_dedup}",
            self.step
        ));
        let oa = self.reference.update_queue(queue, update(), self.now).await;
        let ob = self.tested().update_queue(queue, update(), self.now).await;
        let show = |r: &CoreResult<QueueInfo>| match r {
            Ok(i) => norm_info(i),
            Err(e) => e.to_string(),
        };
        self.check("update queue", show(&oa), show(&ob));
    }

    /// Deletes a queue and creates it again at once, empty (a dead-letter queue too: its
    /// sources keep delivering while it is gone).
    async fn recreate(&mut self) {
        let queue = self.queue();
        self.trace.push(format!("{} recreate {queue}", self.step));
        let da = self.reference.delete_queue(queue).await;
        let db = self.tested().delete_queue(queue).await;
        self.check("delete queue", format!("{da:?}"), format!("{db:?}"));
        let ca = self
            .reference
            .create_queue(queue, config(queue), self.now)
            .await;
        let cb = self
            .tested()
            .create_queue(queue, config(queue), self.now)
            .await;
        let show = |r: &CoreResult<CreateOutcome>| match r {
            Ok(CreateOutcome::Created(i)) => format!("created {}", norm_info(i)),
            Ok(CreateOutcome::Exists(i)) => format!("exists {}", norm_info(i)),
            Err(e) => e.to_string(),
        };
        self.check("create queue", show(&ca), show(&cb));
    }

    async fn purge(&mut self) {
        let queue = self.queue();
        self.trace.push(format!("{} purge {queue}", self.step));
        let oa = self.reference.purge_queue(queue, self.now).await;
        let ob = self.tested().purge_queue(queue, self.now).await;
        self.check("purge", format!("{oa:?}"), format!("{ob:?}"));
    }

    async fn move_back(&mut self) {
        let (from, to) = if self.rng.bool() {
            ("dlq", if self.rng.bool() { None } else { Some("std") })
        } else {
            ("fdlq.fifo", None)
        };
        let max = self.rng.usize(1..=5);
        self.trace
            .push(format!("{} move {from} -> {to:?} max {max}", self.step));
        let oa = self.reference.move_messages(from, to, max, self.now).await;
        let ob = self.tested().move_messages(from, to, max, self.now).await;
        self.check("move", format!("{oa:?}"), format!("{ob:?}"));
    }

    /// Compares every queue and every message the clients know of, wherever it is now.
    async fn compare_all(&self) {
        let la = self.reference.list_queues("", None, 100, self.now).await;
        let lb = self.tested().list_queues("", None, 100, self.now).await;
        let names = |r: &CoreResult<Vec<QueueInfo>>| match r {
            Ok(v) => format!("{:?}", v.iter().map(norm_info).collect::<Vec<_>>()),
            Err(e) => e.to_string(),
        };
        self.check("list queues", names(&la), names(&lb));
        for queue in QUEUES {
            let ia = self.reference.get_queue(queue, self.now).await.unwrap();
            let ib = self.tested().get_queue(queue, self.now).await.unwrap();
            self.check("queue", norm_info(&ia), norm_info(&ib));
            let pa = self.reference.peek(queue, 1000, self.now).await.unwrap();
            let pb = self.tested().peek(queue, 1000, self.now).await.unwrap();
            self.check(
                "peek",
                format!("{:#?}", pa.iter().map(norm).collect::<Vec<_>>()),
                format!("{:#?}", pb.iter().map(norm).collect::<Vec<_>>()),
            );
            for key in &self.keys {
                let ma = self
                    .reference
                    .get_message(queue, &self.a.ids[key], self.now)
                    .await;
                let mb = self
                    .tested()
                    .get_message(queue, &self.b.ids[key], self.now)
                    .await;
                let show = |r: &CoreResult<Message>| match r {
                    Ok(m) => norm(m),
                    Err(e) => e.to_string(),
                };
                self.check(&format!("message {key} in {queue}"), show(&ma), show(&mb));
            }
        }
    }

    async fn step(&mut self) {
        match self.rng.u8(..100) {
            0..=27 => self.send().await,
            28..=52 => self.lease().await,
            53..=66 => self.delete().await,
            67..=76 => self.change_visibility().await,
            77..=79 => self.update_message().await,
            80..=81 => self.update_queue().await,
            82 => {
                if self.rng.u8(..4) == 0 {
                    self.recreate().await
                } else {
                    self.purge().await
                }
            }
            83..=84 => self.move_back().await,
            85..=95 => {
                let ms = self.rng.u64(0..=12_000);
                self.now += ms;
                self.trace.push(format!("{} +{ms} ms", self.step));
            }
            _ => {
                self.trace.push(format!("{} restart", self.step));
                self.restart().await;
                self.compare_all().await;
            }
        }
    }
}

/// One seeded run: `STEPS` random operations given alike to a fresh memory engine and to the
/// store `open` returns, which must start empty; `open` is called again for each restart,
/// after the previous store was dropped, and must reopen the same data.
pub async fn differential<F, Fut>(seed: u64, open: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Box<dyn QueueStore>>,
{
    // Real time, moving forward: stores may tidy up by the wall clock (the embedded log keeps a
    // segment while its deduplication records are unexpired), so simulated time must not lag
    // behind it.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as u64;
    let mut run = Run {
        rng: fastrand::Rng::with_seed(seed),
        seed,
        now,
        open,
        reference: MemoryStore::new(),
        tested: None,
        a: Client::default(),
        b: Client::default(),
        keys: Vec::new(),
        next_key: 0,
        dedup_ids: Vec::new(),
        step: 0,
        restarts: 0,
        trace: Vec::new(),
        last_attempt: None,
    };
    run.restart().await;
    run.restarts = 0;
    // Dead-letter queues first: a redrive policy names an existing queue.
    for name in ["dlq", "fdlq.fifo", "std", "f.fifo"] {
        run.reference
            .create_queue(name, config(name), run.now)
            .await
            .unwrap();
        run.tested()
            .create_queue(name, config(name), run.now)
            .await
            .unwrap();
    }
    for step in 0..STEPS {
        run.step = step;
        run.step().await;
        if step % 50 == 49 {
            run.compare_all().await;
        }
    }
    run.restart().await;
    run.compare_all().await;
    assert!(
        run.restarts >= 5,
        "seed {seed}: only {} restarts",
        run.restarts
    );
    assert!(
        run.keys.len() > 100,
        "seed {seed}: only {} messages sent",
        run.keys.len()
    );
}

/// The seeds to run: 1..=`POLYQ_DIFF_SEEDS` when set, else 1..=[`SEEDS`].
pub fn seeds() -> std::ops::RangeInclusive<u64> {
    let n = std::env::var("POLYQ_DIFF_SEEDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(SEEDS);
    1..=n
}
