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
/// Operation label of a request whose dialect named none (it failed before one was known).
pub const NO_OPERATION: &str = "-";

/// The vendor's name of the operation a response answers (`SendMessage`, `PutMessage`, ...),
/// put in the response's extensions by the dialect so the router can label its metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operation(pub &'static str);

/// Labels `resp` as the answer to `operation`.
pub fn tag(resp: &mut crate::Response, operation: &'static str) {
    resp.extensions_mut().insert(Operation(operation));
}

/// The error code of an answer whose dialect carries it only in the body (MNS), for the
/// server's log of refusals (never sent).
#[derive(Clone, Copy, Debug)]
pub struct ErrorCode(pub &'static str);

/// Notes `code` as `resp`'s error code (see [`ErrorCode`]).
pub fn tag_error(resp: &mut crate::Response, code: &'static str) {
    resp.extensions_mut().insert(ErrorCode(code));
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    dialect: &'static str,
    operation: &'static str,
    code: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    dialect: &'static str,
    operation: &'static str,
}

type HistogramFamily = Family<OperationLabels, Histogram, fn() -> Histogram>;

/// 100 µs to ~26 s, doubling: a memory-store request takes well under a millisecond, a long
/// poll up to 20 s (SQS and MNS; 13.1 s–26.2 s is its bucket, so their quantiles still mean
/// something), and only what ran longer lands in +Inf.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 19))
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
    pub fn record(
        &self,
        dialect: &'static str,
        operation: &'static str,
        code: u16,
        elapsed: Duration,
    ) {
        self.requests
            .get_or_create(&RequestLabels {
                dialect,
                operation,
                code,
            })
            .inc();
        self.durations
            .get_or_create(&OperationLabels { dialect, operation })
            .observe(elapsed.as_secs_f64());
    }

    /// Adds these metrics to `registry` (for one scrape, beside metrics made for it).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "polyq_requests",
            "Requests answered, by dialect, operation and HTTP status code",
            self.requests.clone(),
        );
        registry.register(
            "polyq_request_duration_seconds",
            "Time from a request's arrival to its answer, by dialect and operation (long polls included)",
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

/// The content type of [`to_prometheus_text`]'s output.
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Whether a scraper's `Accept` header asks for OpenMetrics (Prometheus itself does, first)
/// at least as much as for the text format (their `q` weights compared; `q=0` refuses);
/// anything else (curl, `prometheus_client`'s text parser, older agents) gets the Prometheus
/// text format 0.0.4.
pub fn wants_openmetrics(accept: Option<&str>) -> bool {
    let Some(accept) = accept else {
        return false;
    };
    // The highest weight of the entries whose media type `matches`, 0 when none does.
    let weight = |matches: &dyn Fn(&str) -> bool| -> f32 {
        accept
            .split(',')
            .filter_map(|entry| {
                let mut parts = entry.split(';').map(str::trim);
                let media = parts.next().unwrap_or("").to_ascii_lowercase();
                matches(&media).then(|| {
                    parts
                        .find_map(|p| {
                            let (name, value) = p.split_once('=')?;
                            name.trim()
                                .eq_ignore_ascii_case("q")
                                .then(|| value.trim().parse::<f32>().ok())?
                        })
                        .unwrap_or(1.0)
                })
            })
            .fold(0.0, f32::max)
    };
    let openmetrics = weight(&|m| m == "application/openmetrics-text");
    let text = weight(&|m| m == "text/plain" || m == "text/*" || m == "*/*");
    openmetrics > 0.0 && openmetrics >= text
}

/// [`encode`]'s OpenMetrics text in the Prometheus text format 0.0.4: a counter family is
/// named by its sample name (`x_total`, where OpenMetrics names it `x`), and there are no
/// `# UNIT` lines, `_created` samples or `# EOF`. Samples are written alike in both.
pub fn to_prometheus_text(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let meta = ["# HELP ", "# TYPE "].into_iter().find_map(|p| {
            let rest = line.strip_prefix(p)?;
            let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            counters
                .contains(name)
                .then(|| format!("{p}{name}_total {tail}"))
        });
        let created = counters.iter().any(|c| {
            line.strip_prefix(c)
                .and_then(|r| r.strip_prefix("_created"))
                .is_some_and(|r| r.starts_with(['{', ' ']))
        });
        if created {
            continue;
        }
        out.push_str(meta.as_deref().unwrap_or(line).trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prometheus_text_format_names_counters_by_their_samples() {
        let m = RequestMetrics::default();
        m.record("SQS", "SendMessage", 200, Duration::from_micros(300));
        let mut registry = Registry::default();
        m.register(&mut registry);
        let om = encode(&registry);
        assert!(om.contains("# TYPE polyq_requests counter") && om.ends_with("# EOF\n"));
        let text = to_prometheus_text(&om);
        assert!(
            text.contains("# TYPE polyq_requests_total counter\n"),
            "{text}"
        );
        assert!(
            text.contains("# HELP polyq_requests_total Requests answered"),
            "{text}"
        );
        assert!(text.contains("# TYPE polyq_request_duration_seconds histogram\n"));
        assert!(
            !text.contains("# EOF") && !text.contains("_created"),
            "{text}"
        );
        // Samples are the same lines in both formats.
        let samples = |t: &str| -> Vec<String> {
            t.lines()
                .filter(|l| !l.starts_with('#'))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(samples(&text), samples(&om));
        assert!(wants_openmetrics(Some(
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
        )));
        assert!(!wants_openmetrics(Some("text/plain;version=0.0.4")));
        assert!(!wants_openmetrics(None));
        // Weights decide: refused, or asked for less than the text format.
        assert!(!wants_openmetrics(Some(
            "application/openmetrics-text;q=0,text/plain"
        )));
        assert!(!wants_openmetrics(Some(
            "text/plain;version=0.0.4;q=0.9,application/openmetrics-text;version=1.0.0;q=0.5"
        )));
        assert!(wants_openmetrics(Some(
            "Application/OpenMetrics-Text; version=1.0.0; Q=0.8, */*; q=0.1"
        )));
        // The best of several entries of one type counts.
        assert!(wants_openmetrics(Some(
            "application/openmetrics-text;version=0.0.1;q=0.3,application/openmetrics-text;version=1.0.0;q=0.9,text/plain;q=0.5"
        )));
    }

    #[test]
    fn counts_and_times_requests_by_dialect_and_operation() {
        let m = RequestMetrics::default();
        m.record("SQS", "SendMessage", 200, Duration::from_micros(300));
        m.record("SQS", "SendMessage", 200, Duration::from_millis(3));
        m.record("SQS", "ReceiveMessage", 400, Duration::from_micros(50));
        m.record("MNS", "ReceiveMessage", 200, Duration::from_secs(30));
        m.record("SQS", "ReceiveMessage", 200, Duration::from_secs(20));
        let mut registry = Registry::default();
        m.register(&mut registry);
        let text = encode(&registry);
        for line in [
            r#"polyq_requests_total{dialect="SQS",operation="SendMessage",code="200"} 2"#,
            r#"polyq_requests_total{dialect="SQS",operation="ReceiveMessage",code="400"} 1"#,
            r#"polyq_requests_total{dialect="SQS",operation="ReceiveMessage",code="200"} 1"#,
            r#"polyq_requests_total{dialect="MNS",operation="ReceiveMessage",code="200"} 1"#,
            r#"polyq_request_duration_seconds_count{dialect="SQS",operation="SendMessage"} 2"#,
            // A 20 s long poll has a finite bucket; 30 s is past the last one.
            r#"polyq_request_duration_seconds_bucket{le="13.1072",dialect="SQS",operation="ReceiveMessage"} 1"#,
            r#"polyq_request_duration_seconds_bucket{le="26.2144",dialect="SQS",operation="ReceiveMessage"} 2"#,
            r#"polyq_request_duration_seconds_bucket{le="26.2144",dialect="MNS",operation="ReceiveMessage"} 0"#,
            r#"polyq_request_duration_seconds_bucket{le="+Inf",dialect="MNS",operation="ReceiveMessage"} 1"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn a_tag_names_the_operation() {
        let mut resp = crate::response(200, "text/plain", "x");
        assert_eq!(resp.extensions().get::<Operation>(), None);
        tag(&mut resp, "PutMessage");
        assert_eq!(
            resp.extensions().get::<Operation>(),
            Some(&Operation("PutMessage"))
        );
    }
}
