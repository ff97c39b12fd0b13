//! What the router answers when no dialect detects a request: a dialect's own answer
//! ([`Dialect::undetected`]) when one gives it, else polyq's "could not tell" 400 — and never
//! before every dialect's `detect` had its turn, so an Azure or MNS request whose path looks
//! like an SQS queue URL still reaches its dialect.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use polyq_http::{response, Dialect, Request, Response, Router, ServerLimits};

/// A dialect detected by one header, answering `200` with its name.
struct ByHeader {
    name: &'static str,
    header: &'static str,
}

#[async_trait]
impl Dialect for ByHeader {
    fn name(&self) -> &'static str {
        self.name
    }
    fn detect(&self, req: &Request) -> bool {
        req.headers.contains_key(self.header)
    }
    async fn handle(&self, _req: Request) -> Response {
        response(200, "text/plain", self.name)
    }
    fn describe(&self, _base: &str) -> Vec<String> {
        Vec::new()
    }
}

/// Shaped like the SQS dialect: detected by `Action=`, and answering a `GET /{digits}/{queue}`
/// without one as AWS does (404 `<UnknownOperationException/>`).
struct SqsLike;

#[async_trait]
impl Dialect for SqsLike {
    fn name(&self) -> &'static str {
        "SQS"
    }
    fn detect(&self, req: &Request) -> bool {
        req.query().split('&').any(|p| p.starts_with("Action="))
    }
    async fn handle(&self, _req: Request) -> Response {
        response(200, "text/plain", "SQS")
    }
    fn describe(&self, _base: &str) -> Vec<String> {
        Vec::new()
    }
    fn undetected(&self, req: &Request) -> Option<Response> {
        let path = req.uri.path().trim_start_matches('/');
        let (account, queue) = path.split_once('/')?;
        let queue_url = account.bytes().all(|b| b.is_ascii_digit()) && !queue.contains('/');
        (req.method == http::Method::GET && queue_url)
            .then(|| response(404, "text/xml", "<UnknownOperationException/>"))
    }
}

/// The binary's order: Azure, MNS, then SQS.
fn router() -> Router {
    let dialects: Vec<Arc<dyn Dialect>> = vec![
        Arc::new(ByHeader {
            name: "Azure",
            header: "x-ms-version",
        }),
        Arc::new(ByHeader {
            name: "MNS",
            header: "x-mns-version",
        }),
        Arc::new(SqsLike),
    ];
    Router::new(dialects, ServerLimits::default())
}

fn get(uri: &str, headers: &[(&str, &str)]) -> Request {
    let mut h = http::HeaderMap::new();
    for (k, v) in headers {
        h.insert(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    Request {
        method: http::Method::GET,
        uri: uri.parse().unwrap(),
        headers: h,
        body: Bytes::new(),
        remote: None,
        request_id: "req-1".into(),
        header_case: Default::default(),
        tls: false,
    }
}

async fn answer(req: Request) -> (u16, String, String) {
    let resp = router().dispatch(req).await;
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = String::from_utf8(resp.body().to_vec()).unwrap();
    (resp.status().as_u16(), ct, body)
}

#[tokio::test]
async fn a_dialects_undetected_answer_replaces_the_generic_400() {
    let got = answer(get("/000000000000/myqueue", &[])).await;
    assert_eq!(
        got,
        (
            404,
            "text/xml".to_string(),
            "<UnknownOperationException/>".to_string()
        )
    );
}

#[tokio::test]
async fn without_an_undetected_answer_the_generic_400_stays() {
    for uri in ["/devstoreaccount1/myqueue?comp=metadata", "/queues/q", "/"] {
        let (status, ct, body) = answer(get(uri, &[])).await;
        assert_eq!(status, 400, "{uri}");
        assert_eq!(ct, "text/plain; charset=utf-8", "{uri}");
        assert!(
            body.starts_with("polyq could not tell which queue API"),
            "{uri}: {body}"
        );
        // A browser pointed at the server learns where the console is.
        assert!(body.contains("/_polyq/console"), "{uri}: {body}");
    }
}

#[tokio::test]
async fn detection_wins_over_undetected_answers() {
    // Paths of the SQS queue-URL shape, but with another dialect's header.
    let azure = [
        get(
            "/000000000000/myqueue?comp=metadata",
            &[("x-ms-version", "2021-08-06")],
        ),
        get(
            "/devstoreaccount1/myqueue/messages",
            &[("x-ms-version", "2021-08-06")],
        ),
    ];
    for req in azure {
        assert_eq!(answer(req).await.2, "Azure");
    }
    let mns = get("/000000000000/myqueue", &[("x-mns-version", "2015-06-06")]);
    assert_eq!(answer(mns).await.2, "MNS");
    let mns = get(
        "/queues/myqueue/messages",
        &[("x-mns-version", "2015-06-06")],
    );
    assert_eq!(answer(mns).await.2, "MNS");
    let sqs = get("/000000000000/myqueue?Action=GetQueueAttributes", &[]);
    assert_eq!(answer(sqs).await.2, "SQS");
}

#[tokio::test]
async fn health_is_answered_before_undetected_answers() {
    let (status, _, body) = answer(get("/health", &[])).await;
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    // HEAD as GET (the server sends the head only).
    let mut head = get("/healthz", &[]);
    head.method = http::Method::HEAD;
    assert_eq!(answer(head).await.0, 200);
}
