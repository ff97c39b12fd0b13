//! Counters, latency histograms (HDR, microseconds) and the report they add up to.
//!
//! Each worker owns its histograms (no locks on the hot path) and hands them back when it
//! ends; counters are shared atomics so the progress line can read them while the run goes.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hdrhistogram::Histogram;
use parking_lot::Mutex;
use serde::Serialize;

/// Body prefix of a measured message: `pqb` + send time in ns since the epoch (20 digits).
pub const MEASURED: &str = "pqb";
/// Body prefix of a backlog (pre-fill) message, left out of end-to-end latency.
pub const PREFILL: &str = "pqp";

/// A message body of `size` bytes (at least the 23-byte header) carrying the send time.
pub fn make_body(prefix: &str, size: usize, now: SystemTime) -> String {
    let nanos = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let mut body = format!("{prefix}{nanos:020}");
    if body.len() < size {
        body.extend(std::iter::repeat_n('x', size - body.len()));
    }
    body
}

/// Time from the send stamped in `body` to `now`, for measured messages only.
pub fn end_to_end(body: &str, now: SystemTime) -> Option<Duration> {
    let stamp = body.strip_prefix(MEASURED)?.get(..20)?;
    let sent = UNIX_EPOCH + Duration::from_nanos(stamp.parse::<u64>().ok()?);
    Some(now.duration_since(sent).unwrap_or(Duration::ZERO))
}

/// Live totals, shared by every worker.
#[derive(Default)]
pub struct Counters {
    pub sent: AtomicU64,
    pub received: AtomicU64,
    pub deleted: AtomicU64,
    pub empty_receives: AtomicU64,
    pub errors: AtomicU64,
    codes: Mutex<BTreeMap<String, u64>>,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: usize) {
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub fn error(&self, code: &str) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        *self.codes.lock().entry(code.to_string()).or_default() += 1;
    }

    pub fn error_codes(&self) -> BTreeMap<String, u64> {
        self.codes.lock().clone()
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            sent: self.sent.load(Ordering::Relaxed),
            received: self.received.load(Ordering::Relaxed),
            deleted: self.deleted.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub sent: u64,
    pub received: u64,
    pub deleted: u64,
    pub errors: u64,
}

/// One worker's latency histograms, in microseconds.
pub struct Latencies {
    pub send: Histogram<u64>,
    pub receive: Histogram<u64>,
    pub delete: Histogram<u64>,
    pub end_to_end: Histogram<u64>,
}

fn histogram() -> Histogram<u64> {
    // 1 µs to one hour at 3 significant digits.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds")
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies {
            send: histogram(),
            receive: histogram(),
            delete: histogram(),
            end_to_end: histogram(),
        }
    }
}

impl Latencies {
    pub fn record(h: &mut Histogram<u64>, d: Duration) {
        h.saturating_record((d.as_micros() as u64).max(1));
    }

    pub fn merge(&mut self, other: &Latencies) {
        // Same bounds everywhere, so adding cannot fail.
        let _ = self.send.add(&other.send);
        let _ = self.receive.add(&other.receive);
        let _ = self.delete.add(&other.delete);
        let _ = self.end_to_end.add(&other.end_to_end);
    }
}

/// Percentiles of one histogram, in microseconds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Percentiles {
    pub count: u64,
    pub mean: f64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

impl Percentiles {
    pub fn of(h: &Histogram<u64>) -> Option<Percentiles> {
        (!h.is_empty()).then(|| Percentiles {
            count: h.len(),
            mean: (h.mean() * 10.0).round() / 10.0,
            p50: h.value_at_quantile(0.5),
            p90: h.value_at_quantile(0.9),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
        })
    }
}

/// Per-second rate of `count` over `elapsed` (0 for an empty interval).
pub fn rate(count: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs <= 0.0 {
        0.0
    } else {
        (count as f64 / secs * 10.0).round() / 10.0
    }
}

/// The results of one run (`--json` prints this as is).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub dialect: String,
    pub endpoint: String,
    pub mode: String,
    pub queues: usize,
    pub producers: usize,
    pub consumers: usize,
    pub connections: usize,
    pub batch: usize,
    pub message_bytes: usize,
    pub wait_seconds: u32,
    pub rate: Option<f64>,
    pub receive_rate: Option<f64>,
    pub prefill_per_queue: u64,
    /// Measured window: from the start until the stop condition, seconds.
    pub elapsed_s: f64,
    /// Counts inside the measured window.
    pub sent: u64,
    pub received: u64,
    pub deleted: u64,
    pub requests: u64,
    pub empty_receives: u64,
    pub sent_per_s: f64,
    pub received_per_s: f64,
    pub deleted_per_s: f64,
    pub requests_per_s: f64,
    pub errors: BTreeMap<String, u64>,
    /// Per-call latency (send, receive, delete) and end-to-end send → receive, microseconds.
    pub latency_us: BTreeMap<String, Percentiles>,
    pub notes: Vec<String>,
    /// Cut short by SIGINT/SIGTERM before its stop condition (the figures cover what ran).
    pub interrupted: bool,
}

impl Report {
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_their_send_time() {
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        let body = make_body(MEASURED, 100, t);
        assert_eq!(body.len(), 100);
        assert!(body.starts_with("pqb01700000000123000000"));
        let later = t + Duration::from_micros(2500);
        assert_eq!(end_to_end(&body, later), Some(Duration::from_micros(2500)));
        assert_eq!(end_to_end(&make_body(PREFILL, 100, t), later), None);
        assert_eq!(make_body(MEASURED, 5, t).len(), 23);
        assert_eq!(end_to_end("pqbnonsense", later), None);
        // A clock that went backwards yields zero rather than a panic.
        assert_eq!(end_to_end(&body, UNIX_EPOCH), Some(Duration::ZERO));
    }

    #[test]
    fn percentiles_from_a_known_distribution() {
        let mut l = Latencies::default();
        for us in 1..=10_000u64 {
            Latencies::record(&mut l.send, Duration::from_micros(us));
        }
        let p = Percentiles::of(&l.send).unwrap();
        assert_eq!(p.count, 10_000);
        // HDR keeps 3 significant digits: values are exact to 0.1%.
        let near = |v: u64, want: u64| (v as f64 - want as f64).abs() <= want as f64 * 0.001 + 1.0;
        assert!(near(p.p50, 5_000), "{p:?}");
        assert!(near(p.p90, 9_000), "{p:?}");
        assert!(near(p.p99, 9_900), "{p:?}");
        assert!(near(p.p999, 9_990), "{p:?}");
        assert!(near(p.max, 10_000), "{p:?}");
        assert!((p.mean - 5_000.5).abs() < 10.0);
        assert!(Percentiles::of(&l.receive).is_none());
    }

    #[test]
    fn merging_adds_counts_and_keeps_the_max() {
        let mut a = Latencies::default();
        let mut b = Latencies::default();
        Latencies::record(&mut a.end_to_end, Duration::from_millis(1));
        Latencies::record(&mut b.end_to_end, Duration::from_millis(9));
        Latencies::record(&mut b.end_to_end, Duration::ZERO);
        a.merge(&b);
        let p = Percentiles::of(&a.end_to_end).unwrap();
        assert_eq!(p.count, 3);
        assert!(p.max >= 9_000 && p.max < 9_010);
        assert_eq!(p.p50, 1_000);
    }

    #[test]
    fn rates_and_error_codes() {
        assert_eq!(rate(500, Duration::from_millis(250)), 2000.0);
        assert_eq!(rate(5, Duration::ZERO), 0.0);
        let c = Counters::default();
        c.error("Timeout");
        c.error("Timeout");
        c.error("QueueNotFound");
        assert_eq!(c.snapshot().errors, 3);
        assert_eq!(c.error_codes().get("Timeout"), Some(&2));
    }
}
