//! Request metrics every listener records: a count per dialect and status code, and a latency
//! histogram per dialect (long polls included, so a receive that waited 20 s counts 20 s).
//! The binary exposes them, with its queue gauges, in Prometheus's text format.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// Dialect name for requests no dialect took (health checks, undetected requests).
pub const NO_DIALECT: &str = "none";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    dialect: &'static str,
    code: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DialectLabel {
    dialect: &'static str,
}

type HistogramFamily = Family<DialectLabel, Histogram, fn() -> Histogram>;

/// 100 µs to ~6.5 s, doubling: a memory-store request takes well under a millisecond, a long
/// poll up to 20 s (the last bucket, +Inf, takes those).
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 17))
}

/// Shared by every listener of a server; clones of its families share the counts.
pub struct RequestMetrics {
    requests: Family<RequestLabels, Counter>,
    durations: HistogramFamily,
}

impl Default for RequestMetrics {
    fn default() -> Self {
        RequestMetrics {
            requests: Family::default(),
            durations: Family::new_with_constructor(latency_histogram),
        }
    }
}

impl RequestMetrics {
    /// Counts one answered request.
    pub fn record(&self, dialect: &'static str, code: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels { dialect, code })
            .inc();
        self.durations
            .get_or_create(&DialectLabel { dialect })
            .observe(elapsed.as_secs_f64());
    }

    /// Adds these metrics to `registry` (for one scrape, beside metrics made for it).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "polyq_requests",
            "Requests answered, by dialect and HTTP status code",
            self.requests.clone(),
        );
        registry.register(
            "polyq_request_duration_seconds",
            "Time from a request's arrival to its answer, by dialect (long polls included)",
            self.durations.clone(),
        );
    }
}

/// Renders `registry` in the OpenMetrics text format Prometheus scrapes.
pub fn encode(registry: &Registry) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, registry);
    out
}

/// The content type of [`encode`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_times_requests_by_dialect() {
        let m = RequestMetrics::default();
        m.record("SQS", 200, Duration::from_micros(300));
        m.record("SQS", 200, Duration::from_millis(3));
        m.record("SQS", 400, Duration::from_micros(50));
        m.record("MNS", 201, Duration::from_secs(30));
        let mut registry = Registry::default();
        m.register(&mut registry);
        let text = encode(&registry);
        assert!(
            text.contains(r#"polyq_requests_total{dialect="SQS",code="200"} 2"#),
            "{text}"
        );
        assert!(text.contains(r#"polyq_requests_total{dialect="SQS",code="400"} 1"#));
        assert!(text.contains(r#"polyq_requests_total{dialect="MNS",code="201"} 1"#));
        assert!(
            text.contains(r#"polyq_request_duration_seconds_count{dialect="SQS"} 3"#),
            "{text}"
        );
        // The 30 s long poll is past the last finite bucket.
        assert!(
            text.contains(r#"polyq_request_duration_seconds_bucket{le="+Inf",dialect="MNS"} 1"#)
                || text.contains(
                    r#"polyq_request_duration_seconds_bucket{dialect="MNS",le="+Inf"} 1"#
                ),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }
}
