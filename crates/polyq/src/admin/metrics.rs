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
    up.set(i64::from(service.health().await.is_ok()));
    registry.register(
        "polyq_store_up",
        "1 while the store answers and takes writes, 0 while it does not (queue gauges are then missing)",
        up,
    );
    match service.list_queues("", None, usize::MAX).await {
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
            tracing::warn!(error = %e, "metrics: cannot list queues");
        }
    }
    let text = encode(&registry);
    if wants_openmetrics(accept) {
        polyq_http::response(200, CONTENT_TYPE, text)
    } else {
        polyq_http::response(200, PROMETHEUS_CONTENT_TYPE, to_prometheus_text(&text))
    }
}
