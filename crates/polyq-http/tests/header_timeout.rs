//! The header-read timeout: a connection that sends no request head (idle keep-alive, a client
//! that connects and says nothing, or one that trickles its headers) is closed after
//! `ServerLimits::header_read_timeout`, while a request whose head has arrived may take as long
//! as its handler needs (long polls). A body that stops arriving for
//! `ServerLimits::body_idle_timeout` is answered 408 and its connection closed; one that keeps
//! coming, however slowly, is read. An HTTP/2 connection that stops answering pings is closed
//! (`ServerLimits::http2_keep_alive`). An answer the client stops reading is given up after
//! `ServerLimits::write_stall_timeout`, one read slowly is sent whole. Short limits here; the
//! waits only bound a hang.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use polyq_http::{response, Dialect, Request, Response, Router, ServerLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Answers every request, after `?sleep_ms=N` milliseconds when asked; `?big=N`: with N bytes.
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
        if let Some(n) = req.query().strip_prefix("big=") {
            return response(200, "text/plain", vec![b'x'; n.parse().unwrap()]);
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
    start_with(LIMIT).await
}

/// [`start`] with another limit on answers the client does not read.
async fn start_with(write_stall: Duration) -> String {
    start_limits(ServerLimits {
        header_read_timeout: LIMIT,
        body_idle_timeout: LIMIT,
        http2_keep_alive: LIMIT,
        write_stall_timeout: write_stall,
        ..ServerLimits::default()
    })
    .await
}

async fn start_limits(limits: ServerLimits) -> String {
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

#[tokio::test]
async fn a_stalled_body_is_answered_408_and_a_slow_one_is_read() {
    let addr = start().await;
    let mut stalled = TcpStream::connect(&addr).await.unwrap();
    stalled
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 78\r\n\r\nAction=Sen")
        .await
        .unwrap();
    let all = until_closed(&mut stalled).await;
    assert!(all.starts_with("HTTP/1.1 408"), "{all}");
    assert!(
        all.to_ascii_lowercase().contains("connection: close"),
        "{all}"
    );

    // Ten bytes, each well within the idle limit, in all longer than it.
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    for _ in 0..10 {
        tokio::time::sleep(LIMIT / 6).await;
        slow.write_all(b"x").await.unwrap();
    }
    let all = until_closed(&mut slow).await;
    assert!(all.starts_with("HTTP/1.1 200"), "{all}");
}

/// A body trickled a byte at a time, each within the idle limit, held its connection for
/// ever (found by a security audit); the whole body now has a limit of its own.
#[tokio::test]
async fn a_body_trickled_past_its_whole_limit_is_answered_408() {
    // The idle limit far away: only the whole-body limit may end this body.
    let addr = start_limits(ServerLimits {
        header_read_timeout: LIMIT,
        body_idle_timeout: HANG,
        body_read_timeout: Duration::from_secs(1),
        ..ServerLimits::default()
    })
    .await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        .await
        .unwrap();
    // One byte every 50 ms (well within the idle limit) for up to 20 s, until the server
    // answers: without the whole-body limit it never would.
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    for _ in 0..400 {
        if s.write_all(b"x").await.is_err() {
            break;
        }
        if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(50), s.read(&mut buf)).await {
            answer.extend_from_slice(&buf[..n]);
            if n == 0 || answer.ends_with(b"\n") {
                break;
            }
        }
    }
    let all = String::from_utf8_lossy(&answer);
    assert!(all.starts_with("HTTP/1.1 408"), "{all}");
    assert!(all.contains("did not arrive whole within 1 s"), "{all}");
}

#[tokio::test]
async fn many_header_lines_are_accepted() {
    let addr = start().await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    // Azure metadata: 8 KB of short entries is more than hyper's default of 100 lines.
    let mut head = String::from("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    for i in 0..200 {
        head.push_str(&format!("x-ms-meta-k{i}: v\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    let all = until_closed(&mut s).await;
    assert!(all.starts_with("HTTP/1.1 200"), "{all}");
}

#[tokio::test]
async fn a_silent_http2_client_is_disconnected() {
    let addr = start().await;
    // h2c with prior knowledge: the preface and an empty SETTINGS frame, then silence (no
    // SETTINGS ack, no PING answer).
    let mut silent = TcpStream::connect(&addr).await.unwrap();
    silent
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .unwrap();
    until_closed(&mut silent).await;
}

/// Connects (with a small receive buffer when `small`, so that an answer not read soon fills
/// it) and asks for `bytes` of answer.
async fn ask_for(addr: &str, bytes: usize, small: bool) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    if small {
        socket.set_recv_buffer_size(4096).unwrap();
    }
    let mut s = socket.connect(addr.parse().unwrap()).await.unwrap();
    let head = format!("GET /?big={bytes} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    s
}

/// Reads until the end or an error, at most 64 KiB at a time and `pause` after each read; the
/// byte count.
async fn read_all(s: &mut TcpStream, pause: Duration) -> usize {
    let mut total = 0;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match tokio::time::timeout(HANG, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return total,
            Ok(Ok(n)) => total += n,
            Err(_) => panic!("the server kept the connection open"),
        }
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
}

/// A client that stops reading held its connection and the whole answer for ever (found by a
/// resource audit: 4 such clients held 300 MB). The server now gives the answer up after the
/// limit: what the client reads later stops well short of it.
#[tokio::test]
async fn an_answer_the_client_stops_reading_is_given_up() {
    let addr = start().await;
    let bytes = 32 * 1024 * 1024;
    let mut s = ask_for(&addr, bytes, true).await;
    // Far beyond the 300 ms limit: the server gives up meanwhile.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = read_all(&mut s, Duration::ZERO).await;
    assert!(got < bytes, "the whole answer was still there: {got} bytes");
}

/// A client reading with pauses, each well under the limit, gets all of a large answer. (The
/// kernel wakes a writer only once a good part of its send buffer is free, so a reader slower
/// than about half that buffer per limit, 27 KB/s at 75 s, would be cut off.)
#[tokio::test]
async fn an_answer_read_with_pauses_is_sent_whole() {
    let addr = start_with(Duration::from_secs(3)).await;
    let bytes = 8 * 1024 * 1024;
    let mut s = ask_for(&addr, bytes, false).await;
    let got = read_all(&mut s, Duration::from_millis(10)).await;
    assert!(got > bytes, "{got} bytes of {bytes} and the head");
}

/// Queue URLs are built from the Host header: an HTTP/1.1 request without one, with two, or
/// with one that is no authority (`evil.example/x?y=`, userinfo, a port past 65535) was served
/// and the value copied into queue URLs (found by an HTTP audit). Refused now, as RFC 9112
/// §3.2 says; valid forms, an empty value and HTTP/1.0 without Host still pass.
#[tokio::test]
async fn a_missing_doubled_or_malformed_host_is_refused() {
    let addr = start().await;
    let ask = |head: &'static str| {
        let addr = addr.clone();
        async move {
            let mut s = TcpStream::connect(&addr).await.unwrap();
            s.write_all(head.as_bytes()).await.unwrap();
            until_closed(&mut s).await
        }
    };
    for bad in [
        "GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: evil.example/x?y=\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: user@h:1\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h:99999\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h:+80\r\nConnection: close\r\n\r\n",
    ] {
        let all = ask(bad).await;
        assert!(all.starts_with("HTTP/1.1 400"), "{bad:?}: {all}");
    }
    for good in [
        "GET / HTTP/1.1\r\nHost: localhost:9324\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: [::1]:9324\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: Devstoreaccount1.queue.localhost.\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: my_service\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
    ] {
        let all = ask(good).await;
        assert!(all.contains(" 200 OK"), "{good:?}: {all}");
    }
}
