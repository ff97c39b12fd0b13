use std::pin::Pin;
use std::task::{Context, Poll};

use http_body_util::Full;
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadBuf};

use super::*;

/// Serves `data` at most `step` bytes per read, as a slow network would.
struct Trickle {
    data: Vec<u8>,
    at: usize,
    step: usize,
}

impl AsyncRead for Trickle {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let n = self
            .step
            .min(out.remaining())
            .min(self.data.len() - self.at);
        let at = self.at;
        out.put_slice(&self.data[at..at + n]);
        self.at += n;
        Poll::Ready(Ok(()))
    }
}

async fn read(wire: &str, step: usize, method: Method) -> (Result<Response, ReadError>, BytesMut) {
    let mut io = Trickle {
        data: wire.as_bytes().to_vec(),
        at: 0,
        step,
    };
    let mut buf = BytesMut::new();
    let r = read_response(&mut io, &mut buf, &method).await;
    (r, buf)
}

fn request(
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> http::Request<Bytes> {
    let mut b = http::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Bytes::from(body.to_string())).unwrap()
}

#[test]
fn requests_encode_like_hyper_did() {
    let mut out = Vec::new();
    encode_request(
        &request(
            Method::POST,
            "/a/q/messages",
            &[("host", "h:1"), ("content-type", "application/xml")],
            "<x/>",
        ),
        &mut out,
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "POST /a/q/messages HTTP/1.1\r\nhost: h:1\r\ncontent-type: application/xml\r\ncontent-length: 4\r\n\r\n<x/>"
    );
    let mut out = Vec::new();
    encode_request(
        &request(Method::DELETE, "/a/q?x=%2B", &[("host", "h:1")], ""),
        &mut out,
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "DELETE /a/q?x=%2B HTTP/1.1\r\nhost: h:1\r\n\r\n"
    );
}

/// The same request through hyper's client connection and through `encode_request` gives the
/// same bytes (what the servers measured before and after this client see is identical).
#[tokio::test]
async fn encoding_matches_hyper_byte_for_byte() {
    let cases = [
        request(
            Method::POST,
            "/acc/q/messages",
            &[
                ("host", "127.0.0.1:1"),
                ("x-ms-date", "d"),
                ("authorization", "SharedKey a:b"),
                ("content-type", "application/xml"),
            ],
            "<QueueMessage/>",
        ),
        request(
            Method::PUT,
            "/acc/q",
            &[("host", "127.0.0.1:1"), ("x-ms-version", "v")],
            "",
        ),
        request(
            Method::GET,
            "/acc/q/messages?numofmessages=32",
            &[("host", "127.0.0.1:1")],
            "",
        ),
    ];
    for req in cases {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            let mut chunk = [0u8; 4096];
            // Everything the client sends before it waits for an answer.
            while let Ok(Ok(n)) =
                tokio::time::timeout(std::time::Duration::from_millis(200), s.read(&mut chunk))
                    .await
            {
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&chunk[..n]);
            }
            s.write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
                .await
                .unwrap();
            got
        });
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .unwrap();
        tokio::spawn(conn);
        let (parts, body) = req.clone().into_parts();
        let _ = sender
            .send_request(http::Request::from_parts(parts, Full::new(body)))
            .await;
        let mut ours = Vec::new();
        encode_request(&req, &mut ours);
        assert_eq!(
            String::from_utf8_lossy(&server.await.unwrap()),
            String::from_utf8_lossy(&ours)
        );
    }
}

#[tokio::test]
async fn content_length_answers_leave_what_follows() {
    let wire =
        "HTTP/1.1 201 Created\r\nx-ms-request-id: r\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1";
    for step in [1, 7, 4096] {
        let (r, rest) = read(wire, step, Method::POST).await;
        let r = r.unwrap();
        assert_eq!(
            (r.status, &r.body[..], r.keep_alive),
            (201, &b"hello"[..], true)
        );
        // Headers are kept for error answers only.
        assert!(r.headers.is_empty());
        // The trickle stops at the body's end only when reads are small enough.
        if step == 4096 {
            assert_eq!(&rest[..], b"HTTP/1.1");
        }
    }
}

#[tokio::test]
async fn error_answers_keep_their_headers() {
    let wire = "HTTP/1.1 404 Not Found\r\nx-ms-error-code: QueueNotFound\r\nx-ms-error-code: again\r\ncontent-length: 2\r\n\r\nno";
    let (r, _) = read(wire, 4096, Method::GET).await;
    let r = r.unwrap();
    assert_eq!(r.headers["x-ms-error-code"], "QueueNotFound");
    assert_eq!(r.headers.get_all("x-ms-error-code").iter().count(), 2);
    assert_eq!(&r.body[..], b"no");
    // Transfer-Encoding wins over Content-Length; a non-chunked coding runs to the close.
    let (r, _) = read("HTTP/1.1 200 OK\r\ncontent-length: 99\r\ntransfer-encoding: gzip, chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n", 4096, Method::GET).await;
    assert_eq!(&r.unwrap().body[..], b"ab");
    let (r, _) = read(
        "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\nraw",
        4096,
        Method::GET,
    )
    .await;
    let r = r.unwrap();
    assert_eq!((&r.body[..], r.keep_alive), (&b"raw"[..], false));
}

#[tokio::test]
async fn chunked_answers_with_extensions_and_trailers() {
    let wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: t\r\n\r\n";
    for step in [1, 3, 4096] {
        let (r, rest) = read(wire, step, Method::GET).await;
        let r = r.unwrap();
        assert_eq!(&r.body[..], b"hello world");
        assert!(r.keep_alive);
        assert!(rest.is_empty());
    }
    let (r, _) = read(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
        4096,
        Method::GET,
    )
    .await;
    assert!(matches!(r, Err(ReadError::Invalid(_))));
}

#[tokio::test]
async fn bodiless_interim_and_close_delimited_answers() {
    let (r, _) = read(
        "HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n",
        4096,
        Method::DELETE,
    )
    .await;
    assert!(r.unwrap().body.is_empty());
    let (r, _) = read(
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n",
        4096,
        Method::HEAD,
    )
    .await;
    assert!(r.unwrap().body.is_empty());
    let (r, _) = read(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        5,
        Method::PUT,
    )
    .await;
    assert_eq!(&r.unwrap().body[..], b"ok");
    let (r, _) = read("HTTP/1.1 200 OK\r\n\r\nuntil the end", 4, Method::GET).await;
    let r = r.unwrap();
    assert_eq!((&r.body[..], r.keep_alive), (&b"until the end"[..], false));
    let (r, _) = read(
        "HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n",
        4096,
        Method::GET,
    )
    .await;
    assert!(!r.unwrap().keep_alive);
    let (r, _) = read(
        "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
        4096,
        Method::GET,
    )
    .await;
    assert!(!r.unwrap().keep_alive);
    let (r, _) = read(
        "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
        4096,
        Method::GET,
    )
    .await;
    assert!(r.unwrap().keep_alive);
}

#[tokio::test]
async fn early_and_late_ends_are_told_apart() {
    let (r, _) = read("", 4096, Method::GET).await;
    assert!(matches!(r, Err(ReadError::Closed)));
    let (r, _) = read("HTTP/1.1 200 OK\r\nContent-Le", 4096, Method::GET).await;
    assert!(matches!(r, Err(ReadError::Invalid(_))));
    let (r, _) = read(
        "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort",
        4096,
        Method::GET,
    )
    .await;
    assert!(matches!(r, Err(ReadError::Invalid(_))));
    let (r, _) = read(
        "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        4096,
        Method::GET,
    )
    .await;
    assert!(matches!(r, Err(ReadError::Invalid(_))));
    let (r, _) = read("garbage\r\n\r\n", 4096, Method::GET).await;
    assert!(matches!(r, Err(ReadError::Invalid(_))));
}
