//! What the in-process SQS test files share: a dialect over a fresh memory store, and a
//! request as the HTTP layer would hand it over.

// Each test file is its own crate and uses only part of this module.
#![allow(dead_code)]

use std::sync::Arc;

use bytes::Bytes;
use polyq_core::{ManualClock, MemoryStore, QueueService, SystemClock};
use polyq_http::{Dialect, Request};
use serde_json::Value;

/// The SQS dialect over a fresh memory store and the system clock, default config.
pub fn dialect() -> Arc<dyn Dialect> {
    let service = Arc::new(QueueService::new(
        Arc::new(MemoryStore::new()),
        Arc::new(SystemClock),
    ));
    polyq_sqs::dialect(service, polyq_sqs::SqsConfig::default())
}

/// The SQS dialect set up by `config`, over a fresh memory store and a clock the test moves.
pub fn dialect_with_clock(config: polyq_sqs::SqsConfig) -> (Arc<dyn Dialect>, ManualClock) {
    let clock = ManualClock::new(1_700_000_000_000);
    let service = Arc::new(QueueService::new(
        Arc::new(MemoryStore::new()),
        Arc::new(clock.clone()),
    ));
    (polyq_sqs::dialect(service, config), clock)
}

/// A request to `localhost:9324` with `headers` (plus `host`) and `body`.
pub fn request(
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: impl AsRef<[u8]>,
) -> Request {
    let mut h = http::HeaderMap::new();
    h.insert("host", "localhost:9324".parse().unwrap());
    for (k, v) in headers {
        h.insert(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    Request {
        method: method.parse().unwrap(),
        uri: uri.parse().unwrap(),
        headers: h,
        body: Bytes::copy_from_slice(body.as_ref()),
        remote: None,
        request_id: "req-1".into(),
        header_case: Default::default(),
        tls: false,
    }
}

/// A JSON-protocol request for `action` (what the current AWS SDKs send).
pub fn json_request(action: &str, input: &Value) -> Request {
    request(
        "POST",
        "/",
        &[
            ("x-amz-target", &format!("AmazonSQS.{action}")),
            ("content-type", "application/x-amz-json-1.0"),
        ],
        input.to_string(),
    )
}
