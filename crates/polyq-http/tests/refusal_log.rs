//! Refused requests are logged at debug level. A test binary of its own: tracing caches
//! whether a log line is wanted per call site for the whole process, so tests running beside
//! it (without a subscriber) would make the capture flaky.

use std::sync::Arc;

use bytes::Bytes;
use polyq_http::{Request, Router, ServerLimits};

fn get(uri: &str) -> Request {
    Request {
        method: http::Method::GET,
        uri: uri.parse().unwrap(),
        headers: http::HeaderMap::new(),
        body: Bytes::new(),
        remote: None,
        request_id: "req-1".into(),
        header_case: Default::default(),
        tls: false,
    }
}

async fn answer(req: Request) {
    Router::new(Vec::new(), ServerLimits::default())
        .dispatch(req)
        .await;
}

/// Refusals (4xx) are logged at debug level with their dialect, status and error code, so an
/// operator can see why clients are turned away; answers that succeed are not.
#[tokio::test(flavor = "current_thread")]
async fn refused_requests_are_logged_at_debug_level() {
    #[derive(Clone, Default)]
    struct Sink(Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    answer(get("/health")).await;
    assert!(sink.0.lock().unwrap().is_empty(), "a 200 is not logged");
    answer(get("/queues/q")).await;
    let log = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("request refused") && log.contains("status=400") && log.contains("/queues/q"),
        "{log}"
    );
}
