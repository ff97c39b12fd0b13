//! `GET /metrics`: the router's request metrics, whether the store answers, and, counted at
//! each scrape, every queue's messages by state. OpenMetrics for scrapers that ask for it
//! (Prometheus does), else the Prometheus text format 0.0.4.

use polyq_core::QueueService;
use polyq_http::metrics::{
    encode, to_prometheus_text, wants_openmetrics, RequestMetrics, CONTENT_TYPE,
    PROMETHEUS_CONTENT_TYPE,
};
use polyq_http::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueState {
    queue: String,
    state: &'static str,
}

/// How long a scrape waits for the store's list of queues.
const LIST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

pub async fn render(
    service: &QueueService,
    requests: &RequestMetrics,
    accept: Option<&str>,
) -> Response {
    let mut registry = Registry::default();
    requests.register(&mut registry);
    // So that an alert on queue depth does not resolve itself while the store is down (the
    // queue gauges are then missing).
    let up = Gauge::<i64>::default();
    let healthy = service.health().await.is_ok();
    up.set(i64::from(healthy));
    registry.register(
        "polyq_store_up",
        "1 while the store answers and takes writes, 0 while it does not (queue gauges are then missing)",
        up,
    );
    // A store that is down (or hangs: PostgreSQL's health check gives up after 2 s) is not
    // asked for its queues: the listing would wait out the store's operation timeout and the
    // scrape, `polyq_store_up 0` included, would be lost to the scraper's own timeout (10 s
    // for Prometheus) exactly when it matters. A store that answers slowly is cut off too.
    let listing = async {
        if !healthy {
            return Err("the store is down".to_string());
        }
        tokio::time::timeout(LIST_TIMEOUT, service.list_queues("", None, usize::MAX))
            .await
            .map_err(|_| format!("no answer within {LIST_TIMEOUT:?}"))?
            .map_err(|e| e.to_string())
    };
    match listing.await {
        Ok(queues) => {
            let count = Gauge::<i64>::default();
            count.set(queues.len() as i64);
            registry.register("polyq_queues", "Queues that exist", count);
            let messages = Family::<QueueState, Gauge>::default();
            for q in &queues {
                for (state, n) in [
                    ("visible", q.stats.visible),
                    ("in_flight", q.stats.in_flight),
                    ("delayed", q.stats.delayed),
                ] {
                    messages
                        .get_or_create(&QueueState {
                            queue: q.name.clone(),
                            state,
                        })
                        .set(n as i64);
                }
            }
            registry.register(
                "polyq_queue_messages",
                "Messages in each queue by state: visible (ready), in_flight (received, not yet visible again), delayed",
                messages,
            );
        }
        Err(e) => {
            // The request metrics are still worth a scrape; the log says why queues are missing.
            tracing::warn!(error = %e, "metrics: queue gauges left out");
        }
    }
    let text = encode(&registry);
    if wants_openmetrics(accept) {
        polyq_http::response(200, CONTENT_TYPE, text)
    } else {
        polyq_http::response(200, PROMETHEUS_CONTENT_TYPE, to_prometheus_text(&text))
    }
}
