//! Bodies over the server's limit: refused with 413 and `Connection: close`, in the dialect's
//! own form when it has one. A body announced too large with `Expect: 100-continue` is refused
//! before it is sent (no `100 Continue`); one sent anyway is read and dropped first, so the client
//! reads the 413 rather than a connection reset; a chunked body that grows past the limit is
//! refused the same way. The limit is small here; the waits only bound a hang.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use polyq_http::{response, Dialect, Request, Response, Router, ServerLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LIMIT: usize = 1024;
const HANG: Duration = Duration::from_secs(30);

/// Answers every request with the size of its body; its own 413 for `/own` paths.
struct Echo;

#[async_trait]
impl Dialect for Echo {
    fn name(&self) -> &'static str {
        "echo"
    }
    fn detect(&self, _req: &Request) -> bool {
        true
    }
    async fn handle(&self, req: Request) -> Response {
        response(200, "text/plain", format!("got {}", req.body.len()))
    }
    fn describe(&self, _base: &str) -> Vec<String> {
        Vec::new()
    }
    fn too_large(&self, req: &Request) -> Option<Response> {
        assert!(req.body.is_empty(), "the hook gets no body");
        (req.uri.path() == "/own").then(|| response(413, "application/xml", "<Error/>"))
    }
}

async fn start() -> String {
    let limits = ServerLimits {
        max_body_bytes: LIMIT,
        ..ServerLimits::default()
    };
    let router = Arc::new(Router::new(vec![Arc::new(Echo)], limits));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (tx, rx) = tokio::sync::watch::channel(false);
    std::mem::forget(tx);
    tokio::spawn(polyq_http::serve(listener, router, rx));
    addr
}

/// Everything the server sends until it closes the connection.
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    tokio::time::timeout(HANG, stream.read_to_end(&mut out))
        .await
        .expect("the server kept the connection open")
        .expect("the connection was reset instead of answered");
    String::from_utf8_lossy(&out).into_owned()
}

fn head(path: &str, extra: &str) -> String {
    format!("POST {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n")
}

#[tokio::test]
async fn an_announced_oversized_body_with_expect_is_refused_before_it_is_sent() {
    let addr = start().await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let extra = format!("Content-Length: {}\r\nExpect: 100-continue\r\n", LIMIT + 1);
    s.write_all(head("/", &extra).as_bytes()).await.unwrap();
    let answer = until_closed(&mut s).await;
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(!answer.contains("100 Continue"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert!(
        answer.contains(&format!("exceeds {LIMIT} bytes")),
        "{answer}"
    );
}

#[tokio::test]
async fn an_oversized_body_sent_anyway_is_read_and_the_413_arrives() {
    let addr = start().await;
    // Far over the limit, so that an unread body would reset the connection.
    let size = 4 << 20;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let mut request = head("/", &format!("Content-Length: {size}\r\n")).into_bytes();
    request.extend(std::iter::repeat_n(b'x', size));
    s.write_all(&request).await.unwrap();
    let answer = until_closed(&mut s).await;
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_chunked_body_growing_past_the_limit_is_refused_and_the_dialect_answers_it() {
    let addr = start().await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let mut request = head("/own", "Transfer-Encoding: chunked\r\n").into_bytes();
    for _ in 0..4 {
        request.extend(format!("{:x}\r\n", 600).bytes());
        request.extend(std::iter::repeat_n(b'y', 600));
        request.extend(b"\r\n");
    }
    request.extend(b"0\r\n\r\n");
    s.write_all(&request).await.unwrap();
    let answer = until_closed(&mut s).await;
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(
        answer.ends_with("<Error/>"),
        "the dialect's own answer: {answer}"
    );
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_body_at_the_limit_is_read_and_the_connection_kept() {
    let addr = start().await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    for _ in 0..2 {
        let mut request = head("/", &format!("Content-Length: {LIMIT}\r\n")).into_bytes();
        request.extend(std::iter::repeat_n(b'z', LIMIT));
        s.write_all(&request).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(HANG, s.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        let answer = String::from_utf8_lossy(&buf[..n]);
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
        assert!(answer.ends_with(&format!("got {LIMIT}")), "{answer}");
    }
}

/// Over HTTP/2 (h2c) the refused stream ends by itself: no `Connection` header (not allowed in
/// HTTP/2), and the connection carries the next request.
#[tokio::test]
async fn over_http2_an_oversized_body_is_refused_and_the_connection_kept() {
    use http_body_util::{BodyExt, Full};
    let addr = start().await;
    let tcp = TcpStream::connect(&addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tcp),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let post = |size: usize| {
        http::Request::post(format!("http://{addr}/"))
            .header("content-length", size.to_string())
            .body(Full::new(bytes::Bytes::from(vec![b'x'; size])))
            .unwrap()
    };
    let refused = tokio::time::timeout(HANG, sender.send_request(post(LIMIT + 1)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(refused.status(), 413);
    assert!(refused.headers().get("connection").is_none());
    let ok = tokio::time::timeout(HANG, sender.send_request(post(10)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ok.status(), 200);
    let body = ok.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"got 10");
}
