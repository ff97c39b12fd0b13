//! The 2007-05-01 SQS REST API (placeholder: being written).

use polyq_core::QueueService;
use polyq_http::{Request, Response};

use crate::SqsConfig;

/// Whether a request speaks the 2007 REST API.
pub fn detect(_req: &Request) -> bool {
    false
}

pub async fn handle(_service: &std::sync::Arc<QueueService>, _config: &SqsConfig, _req: Request) -> Response {
    polyq_http::response(501, "text/plain", "not yet")
}
