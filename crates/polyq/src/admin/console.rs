//! The web console: placeholder until it lands.

use polyq_core::QueueService;
use polyq_http::{Request, Response};

pub async fn handle(_service: &QueueService, req: Request) -> Response {
    polyq_http::response(
        404,
        "text/plain; charset=utf-8",
        format!("no console page at {}\n", req.uri.path()),
    )
}
