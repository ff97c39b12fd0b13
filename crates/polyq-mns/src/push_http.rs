//! The HTTP/1.1 exchange of one push, written by hand so that header names go out in the
//! case MNS sends them.
//!
//! MNS pushes `Content-Type`, `Content-md5`, `Date`, `Authorization`, `User-Agent` and
//! lower-case `x-mns-*` names (a push captured in the Go SDK's `example/http_authorization.go`),
//! and Alibaba's own endpoint samples look them up case-sensitively: the Java SDK's
//! `HttpEndpointSubscription` reads `"Authorization"`, `"Content-md5"`, `"Content-Type"` and
//! `"Date"` from a `HashMap`, the PHP sample `$headers['Authorization']`. hyper's client writes
//! every name in lower case (or all Title-Case) and keeps no other case it can be given, so the
//! request head is written here; the answer's head is parsed with `httparse`. Only the status
//! matters, and the connection is not reused. `https://` endpoints get the same exchange over
//! TLS (`push_tls`).

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest answer head read before giving up on finding the status.
const MAX_HEAD: usize = 64 * 1024;

/// POSTs `body` to `target` on `host:port` with `headers` (names written as given) and
/// returns the answer's status; over TLS, verifying the server as `host`, when `tls` is given.
pub async fn post(
    host: &str,
    port: u16,
    authority: &str,
    target: &str,
    headers: &[(&str, String)],
    body: &[u8],
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<u16, String> {
    let mut request = request_head(authority, target, headers, body.len())?.into_bytes();
    request.extend_from_slice(body);
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(|e| format!("cannot connect to {authority}: {e}"))?;
    let Some(config) = tls else {
        return exchange(stream, &request, authority).await;
    };
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| format!("cannot verify {host} over TLS: {e}"))?;
    let stream = tokio_rustls::TlsConnector::from(config)
        .connect(name, stream)
        .await
        .map_err(|e| format!("TLS with {authority} failed: {e}"))?;
    exchange(stream, &request, authority).await
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    request: &[u8],
    authority: &str,
) -> Result<u16, String> {
    stream
        .write_all(request)
        .await
        .map_err(|e| format!("push to {authority} failed: {e}"))?;
    stream
        .flush()
        .await
        .map_err(|e| format!("push to {authority} failed: {e}"))?;
    read_status(&mut stream)
        .await
        .map_err(|e| format!("push to {authority} failed: {e}"))
}

/// The request line and headers. A value no HTTP header can carry (a line break from a
/// message tag, say) fails the push rather than splitting the request.
pub fn request_head(
    authority: &str,
    target: &str,
    headers: &[(&str, String)],
    body_len: usize,
) -> Result<String, String> {
    // Both come from a parsed URL today; checked anyway, since a space or line break in either
    // would change the request line.
    for part in [authority, target] {
        if part.is_empty() || part.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(format!("cannot send to {part:?}"));
        }
    }
    let mut head = format!("POST {target} HTTP/1.1\r\nHost: {authority}\r\n");
    for (name, value) in headers {
        if http::HeaderName::from_bytes(name.as_bytes()).is_err()
            || http::HeaderValue::from_str(value).is_err()
        {
            return Err(format!("cannot send header {name}: {value:?}"));
        }
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-length: {body_len}\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    ));
    Ok(head)
}

/// The status of the final answer: interim `1xx` answers (a `100 Continue` the endpoint sends
/// unasked) are skipped, as an HTTP client does.
async fn read_status<S: AsyncRead + Unpin>(stream: &mut S) -> Result<u16, String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        loop {
            match final_status(&buf)? {
                Parsed::Status(code) => return Ok(code),
                Parsed::Interim(len) => {
                    buf.drain(..len);
                }
                Parsed::Partial if buf.len() < MAX_HEAD => break,
                Parsed::Partial => return Err("answer head too long".into()),
            }
        }
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the connection closed before an answer".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

enum Parsed {
    Status(u16),
    /// A complete `1xx` head of this many bytes, to drop.
    Interim(usize),
    Partial,
}

fn final_status(buf: &[u8]) -> Result<Parsed, String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(buf) {
        Ok(httparse::Status::Complete(len)) => match response.code {
            Some(code) if (100..200).contains(&code) && code != 101 => Ok(Parsed::Interim(len)),
            Some(code) => Ok(Parsed::Status(code)),
            None => Err("answer without a status".into()),
        },
        Ok(httparse::Status::Partial) => Ok(Parsed::Partial),
        // The status line is all that matters: a header httparse cannot take after it (too
        // many, a malformed name) does not make the push fail.
        Err(e) => match response.code {
            Some(code) if !(100..200).contains(&code) => Ok(Parsed::Status(code)),
            _ => Err(format!("not an HTTP answer: {e}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_their_case_and_bad_values_are_refused() {
        let headers = [
            ("Content-md5", "AB".to_string()),
            ("x-mns-topic-name", "t".to_string()),
        ];
        let head = request_head("h:1", "/n", &headers, 3).unwrap();
        assert_eq!(
            head,
            "POST /n HTTP/1.1\r\nHost: h:1\r\nContent-md5: AB\r\nx-mns-topic-name: t\r\n\
             Content-length: 3\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        );
        let split = [("x-mns-message-tag", "a\r\nX-Evil: 1".to_string())];
        assert!(request_head("h:1", "/n", &split, 0).is_err());
        assert!(request_head("h:1", "/n HTTP/1.0\r\nX: y", &[], 0).is_err());
    }

    #[test]
    fn interim_answers_are_skipped_and_only_the_status_line_matters() {
        let status = |raw: &[u8]| match final_status(raw) {
            Ok(Parsed::Status(c)) => Some(c),
            Ok(Parsed::Interim(n)) => match final_status(&raw[n..]) {
                Ok(Parsed::Status(c)) => Some(c),
                _ => None,
            },
            _ => None,
        };
        assert_eq!(
            status(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"),
            Some(200)
        );
        assert_eq!(
            status(b"HTTP/1.1 503 Busy\r\nBad Header\r\n\r\n"),
            Some(503)
        );
        assert!(matches!(final_status(b"HTTP/1.1 20"), Ok(Parsed::Partial)));
        assert!(final_status(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
    }

    #[tokio::test]
    async fn the_status_is_read_from_a_real_answer() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut seen = Vec::new();
            let mut chunk = [0u8; 1024];
            while !seen.ends_with(b"body") {
                let n = s.read(&mut chunk).await.unwrap();
                seen.extend_from_slice(&chunk[..n]);
            }
            // The answer arrives in two writes, the head split mid-line.
            s.write_all(b"HTTP/1.1 2").await.unwrap();
            s.write_all(b"04 No Content\r\nServer: x\r\n\r\n")
                .await
                .unwrap();
            String::from_utf8(seen).unwrap()
        });
        let headers = [("Authorization", "sig".to_string())];
        let status = post(
            "127.0.0.1",
            port,
            "127.0.0.1",
            "/n",
            &headers,
            b"body",
            None,
        )
        .await
        .unwrap();
        assert_eq!(status, 204);
        let seen = server.await.unwrap();
        assert!(seen.contains("\r\nAuthorization: sig\r\n"), "{seen}");
        assert!(seen.ends_with("\r\n\r\nbody"), "{seen}");
    }
}
