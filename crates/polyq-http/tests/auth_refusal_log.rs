//! Refused credentials are logged at info level, at most one line per 10 s, so that an
//! operator sees why clients get 401/403 without debug logging, and a misconfigured client
//! does not flood the log. Other 403s (a purge too soon, a limit) are not. A test binary of its
//! own: tracing caches per call site whether a line is wanted, for the whole process.

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use polyq_http::{response, Dialect, Request, Response, Router, ServerLimits};

/// Answers 403 as each dialect carries its code: Azure's and SQS's in a header, MNS's only in
/// the body (noted for the log through `tag_error`).
struct Refuser;

#[async_trait]
impl Dialect for Refuser {
    fn name(&self) -> &'static str {
        "refuser"
    }
    fn detect(&self, _req: &Request) -> bool {
        true
    }
    async fn handle(&self, req: Request) -> Response {
        let mut resp = response(403, "text/plain", "no");
        match req.uri.path() {
            "/azure" => {
                resp.headers_mut()
                    .insert("x-ms-error-code", "AuthenticationFailed".parse().unwrap());
            }
            "/query" => {
                resp.headers_mut().insert(
                    "x-amzn-query-error",
                    "SignatureDoesNotMatch;Sender".parse().unwrap(),
                );
            }
            "/limit" => {
                resp.headers_mut()
                    .insert("x-amzn-errortype", "OverLimit".parse().unwrap());
            }
            _ => polyq_http::metrics::tag_error(&mut resp, "SignatureDoesNotMatch"),
        }
        resp
    }
    fn describe(&self, _base: &str) -> Vec<String> {
        Vec::new()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn refused_credentials_are_logged_once_in_a_while() {
    let captured = common::capture(tracing::Level::INFO);
    let log = || captured.text();
    let lines = |text: &str| {
        text.matches("credentials or signature were not accepted")
            .count()
    };

    let router = Router::new(vec![Arc::new(Refuser)], ServerLimits::default());
    router.dispatch(common::get("/limit")).await;
    assert_eq!(lines(&log()), 0, "not a credentials refusal: {}", log());
    for _ in 0..5 {
        router.dispatch(common::get("/azure")).await;
    }
    let text = log();
    assert_eq!(lines(&text), 1, "{text}");
    assert!(
        text.contains("AuthenticationFailed") && text.contains("status=403"),
        "{text}"
    );
    // A code carried only in the body (MNS), on a router of its own (its own 10 s).
    let router = Router::new(vec![Arc::new(Refuser)], ServerLimits::default());
    router.dispatch(common::get("/mns")).await;
    let text = log();
    assert_eq!(lines(&text), 2, "{text}");
    assert!(text.contains("SignatureDoesNotMatch"), "{text}");
    // The query protocol's code, without its fault suffix.
    let router = Router::new(vec![Arc::new(Refuser)], ServerLimits::default());
    router.dispatch(common::get("/query")).await;
    let text = log();
    assert_eq!(lines(&text), 3, "{text}");
    assert!(!text.contains(";Sender"), "{text}");
}
