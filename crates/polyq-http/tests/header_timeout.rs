//! The header-read timeout: a connection that sends no request head (idle keep-alive, a client
//! that connects and says nothing, or one that trickles its headers) is closed after
//! `ServerLimits::header_read_timeout`, while a request whose head has arrived may take as long
//! as its handler needs (long polls). Short limits here; the waits only bound a hang.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use polyq_http::{response, Dialect, Request, Response, Router, ServerLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Answers every request, after `?sleep_ms=N` milliseconds when asked.
struct Slow;

#[async_trait]
impl Dialect for Slow {
    fn name(&self) -> &'static str {
        "slow"
    }
    fn detect(&self, _req: &Request) -> bool {
        true
    }
    async fn handle(&self, req: Request) -> Response {
        if let Some(ms) = req.query().strip_prefix("sleep_ms=") {
            tokio::time::sleep(Duration::from_millis(ms.parse().unwrap())).await;
        }
        response(200, "text/plain", "done")
    }
    fn describe(&self, _base: &str) -> Vec<String> {
        Vec::new()
    }
}

const LIMIT: Duration = Duration::from_millis(300);
/// Far beyond LIMIT: only there so a broken timeout fails the test instead of hanging it.
const HANG: Duration = Duration::from_secs(30);

async fn start() -> String {
    let limits = ServerLimits {
        header_read_timeout: LIMIT,
        ..ServerLimits::default()
    };
    let router = Arc::new(Router::new(vec![Arc::new(Slow)], limits));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (tx, rx) = tokio::sync::watch::channel(false);
    // Keep the sender alive for the whole test process: dropping it would not stop the server,
    // but leaking it makes that explicit.
    std::mem::forget(tx);
    tokio::spawn(polyq_http::serve(listener, router, rx));
    addr
}

/// Reads until the server closes the connection; everything it sent.
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    tokio::time::timeout(HANG, stream.read_to_end(&mut out))
        .await
        .expect("the server kept the connection open")
        .ok();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_silent_or_trickling_client_is_disconnected() {
    let addr = start().await;
    let mut silent = TcpStream::connect(&addr).await.unwrap();
    assert!(!until_closed(&mut silent).await.contains("200"));

    let mut trickling = TcpStream::connect(&addr).await.unwrap();
    trickling
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    assert!(!until_closed(&mut trickling).await.contains("200"));

    // The start of HTTP/2's preface, then nothing: hyper-util would wait for the rest forever.
    let mut half_preface = TcpStream::connect(&addr).await.unwrap();
    half_preface.write_all(b"PRI * HTTP/2").await.unwrap();
    assert!(until_closed(&mut half_preface).await.is_empty());
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_its_answer() {
    let addr = start().await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let all = until_closed(&mut s).await;
    assert!(all.starts_with("HTTP/1.1 200"), "{all}");
    assert!(all.ends_with("done"), "{all}");
}

#[tokio::test]
async fn a_slow_handler_is_not_cut_off() {
    let addr = start().await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    // The handler takes four times the header limit: the head is in, so the limit no longer runs.
    s.write_all(b"GET /?sleep_ms=1200 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let all = until_closed(&mut s).await;
    assert!(all.starts_with("HTTP/1.1 200"), "{all}");
    assert!(all.ends_with("done"), "{all}");
}
