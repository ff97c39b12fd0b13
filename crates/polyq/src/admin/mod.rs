//! polyq's own endpoints beside the vendor APIs: Prometheus metrics (`GET /metrics`) and the
//! web console (`/_polyq/console`, its JSON API under `/_polyq/api/`).
//!
//! They are served as the last "dialect" of the router: detection asks the vendor dialects
//! first, and these paths carry none of their markers, so no vendor request can land here.

mod console;
mod metrics;

use std::sync::Arc;

use async_trait::async_trait;
use polyq_core::QueueService;
use polyq_http::metrics::RequestMetrics;
use polyq_http::{Dialect, Request, Response};

/// Prefix of the console and its API.
pub const CONSOLE_PREFIX: &str = "/_polyq";

pub fn dialect(
    service: Arc<QueueService>,
    metrics: Arc<RequestMetrics>,
    console_enabled: bool,
) -> Arc<dyn Dialect> {
    Arc::new(Admin {
        service,
        metrics,
        console_enabled,
    })
}

struct Admin {
    service: Arc<QueueService>,
    metrics: Arc<RequestMetrics>,
    /// Off in enforce mode: the console's API would bypass request signing.
    console_enabled: bool,
}

fn is_console_path(path: &str) -> bool {
    path == CONSOLE_PREFIX || path.starts_with("/_polyq/")
}

#[async_trait]
impl Dialect for Admin {
    fn name(&self) -> &'static str {
        "polyq"
    }

    fn detect(&self, req: &Request) -> bool {
        let path = req.uri.path();
        (req.method == http::Method::GET && path == "/metrics") || is_console_path(path)
    }

    async fn handle(&self, req: Request) -> Response {
        if req.uri.path() == "/metrics" {
            return metrics::render(&self.service, &self.metrics).await;
        }
        if !self.console_enabled {
            return polyq_http::response(
                403,
                "text/plain; charset=utf-8",
                "The web console is off in enforce mode: its API would let requests past signature checks. Run with --auth dev (on loopback) to use it.\n",
            );
        }
        console::handle(&self.service, req).await
    }

    fn describe(&self, base: &str) -> Vec<String> {
        let mut lines = vec![format!("Metrics {base}/metrics   (Prometheus text format)")];
        if self.console_enabled {
            lines.push(format!("Console {base}{CONSOLE_PREFIX}/console"));
        }
        lines
    }
}
