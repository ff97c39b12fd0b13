//! Refused requests are logged at debug level. A test binary of its own: tracing caches
//! whether a log line is wanted per call site for the whole process, so tests running beside
//! it (without a subscriber) would make the capture flaky.

mod common;

use polyq_http::{Request, Router, ServerLimits};

async fn answer(req: Request) {
    Router::new(Vec::new(), ServerLimits::default())
        .dispatch(req)
        .await;
}

/// Refusals (4xx) are logged at debug level with their dialect, status and error code, so an
/// operator can see why clients are turned away; answers that succeed are not.
#[tokio::test(flavor = "current_thread")]
async fn refused_requests_are_logged_at_debug_level() {
    let captured = common::capture(tracing::Level::DEBUG);
    answer(common::get("/health")).await;
    assert!(captured.text().is_empty(), "a 200 is not logged");
    answer(common::get("/queues/q")).await;
    let log = captured.text();
    assert!(
        log.contains("request refused") && log.contains("status=400") && log.contains("/queues/q"),
        "{log}"
    );
}
