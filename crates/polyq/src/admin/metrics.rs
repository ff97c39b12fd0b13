//! `GET /metrics`: the router's request metrics and, counted at each scrape, every queue's
//! messages by state.

use polyq_core::QueueService;
use polyq_http::metrics::{encode, RequestMetrics, CONTENT_TYPE};
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

pub async fn render(service: &QueueService, requests: &RequestMetrics) -> Response {
    let mut registry = Registry::default();
    requests.register(&mut registry);
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
    polyq_http::response(200, CONTENT_TYPE, encode(&registry))
}
