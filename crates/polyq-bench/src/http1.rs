//! The client half of HTTP/1.1 that the bench needs, done in the task that sends the request.
//!
//! hyper's client connection runs as a task of its own: every request then crosses two tasks
//! and two channels each way (request in, head out, body out), and on a multi-thread runtime
//! those wake-ups often cross threads. Profiles of the Azure cycle (two requests per message,
//! ~40k requests/s) showed that hand-off costing about as much as building and signing the
//! requests. Here the caller writes the request and reads the answer itself. The bytes on the
//! wire are the ones hyper wrote (request line, headers in insertion order as given,
//! `content-length` appended for a non-empty body); answers are framed per RFC 9112 §6.3:
//! no body for HEAD, 1xx, 204 and 304, chunked, `content-length`, or up to the close.

use bytes::{Buf, Bytes, BytesMut};
use http::{header, HeaderMap, HeaderName, HeaderValue, Method};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Most headers an answer may have.
const MAX_HEADERS: usize = 64;

/// Appends `req` as HTTP/1.1 bytes to `out`.
pub fn encode_request(req: &http::Request<Bytes>, out: &mut Vec<u8>) {
    out.extend_from_slice(req.method().as_str().as_bytes());
    out.push(b' ');
    let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    for (name, value) in req.headers() {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    let body = req.body();
    if !body.is_empty() && !req.headers().contains_key(header::CONTENT_LENGTH) {
        out.extend_from_slice(b"content-length: ");
        out.extend_from_slice(body.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
}

/// A whole answer.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Only for answers outside 2xx (see `parse_head`); empty otherwise.
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Whether the connection may carry another request.
    pub keep_alive: bool,
}

#[derive(Debug)]
pub enum ReadError {
    /// The connection ended before any byte of an answer: a keep-alive connection the server
    /// closed while it was idle (the request may be retried on a new one).
    Closed,
    Io(std::io::Error),
    Invalid(String),
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        ReadError::Io(e)
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Closed => f.write_str("connection closed before the answer"),
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::Invalid(why) => write!(f, "invalid answer: {why}"),
        }
    }
}

fn invalid(why: &str) -> ReadError {
    ReadError::Invalid(why.to_string())
}

/// Reads one more piece into `buf`; the end of the stream here is an error.
async fn read_more<R: AsyncRead + Unpin>(io: &mut R, buf: &mut BytesMut) -> Result<(), ReadError> {
    if io.read_buf(buf).await? == 0 {
        return Err(invalid("connection closed in the middle of an answer"));
    }
    Ok(())
}

/// Reads the answer to a request (`method` decides whether a body follows). `buf` holds what
/// was read but not used; whatever follows the answer stays in it.
pub async fn read_response<R: AsyncRead + Unpin>(
    io: &mut R,
    buf: &mut BytesMut,
    method: &Method,
) -> Result<Response, ReadError> {
    let mut started = !buf.is_empty();
    loop {
        let head = loop {
            if let Some(head) = parse_head(buf)? {
                break head;
            }
            if io.read_buf(buf).await? == 0 {
                return Err(if started {
                    invalid("connection closed in the middle of an answer")
                } else {
                    ReadError::Closed
                });
            }
            started = true;
        };
        let status = head.status;
        // Interim answers (100 Continue and the like) precede the real one.
        if (100..200).contains(&status) && status != 101 {
            continue;
        }
        let mut keep_alive = if head.version == 1 {
            !head.close
        } else {
            !head.close && head.keep_alive
        };
        let body = if *method == Method::HEAD || status < 200 || status == 204 || status == 304 {
            Bytes::new()
        } else {
            match head.framing {
                Framing::Chunked => read_chunked(io, buf).await?,
                Framing::Length(len) => {
                    while buf.len() < len {
                        read_more(io, buf).await?;
                    }
                    buf.split_to(len).freeze()
                }
                Framing::UntilClose => {
                    keep_alive = false;
                    read_to_end(io, buf).await?
                }
            }
        };
        return Ok(Response {
            status,
            headers: head.headers,
            body,
            keep_alive,
        });
    }
}

/// How the body of an answer ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Chunked,
    Length(usize),
    UntilClose,
}

/// What the head of an answer says.
struct Head {
    status: u16,
    version: u8,
    framing: Framing,
    /// `connection: close` / `connection: keep-alive`.
    close: bool,
    keep_alive: bool,
    headers: HeaderMap,
}

/// The complete head at the start of `buf` (consumed), or `None` when more bytes are needed.
/// The header map is filled only for answers outside 2xx: the bench reads headers only to find
/// error codes, and building a map for every success showed up in its profile.
fn parse_head(buf: &mut BytesMut) -> Result<Option<Head>, ReadError> {
    if buf.is_empty() {
        return Ok(None);
    }
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut slots);
    let used = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(ReadError::Invalid(e.to_string())),
    };
    let status = resp.code.ok_or_else(|| invalid("status"))?;
    let mut head = Head {
        status,
        version: resp.version.unwrap_or(1),
        framing: Framing::UntilClose,
        close: false,
        keep_alive: false,
        headers: HeaderMap::new(),
    };
    let mut chunked = false;
    let mut transfer_encoding = false;
    for h in resp.headers.iter() {
        let value = std::str::from_utf8(h.value).unwrap_or("");
        if h.name.eq_ignore_ascii_case("content-length") {
            let len = value
                .trim()
                .parse()
                .map_err(|_| invalid("content-length"))?;
            head.framing = Framing::Length(len);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            // The last coding decides (`gzip, chunked` is chunked).
            transfer_encoding = true;
            chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("chunked"));
        } else if h.name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                head.close |= token.eq_ignore_ascii_case("close");
                head.keep_alive |= token.eq_ignore_ascii_case("keep-alive");
            }
        }
        if !(200..300).contains(&status) {
            let name =
                HeaderName::from_bytes(h.name.as_bytes()).map_err(|_| invalid("header name"))?;
            let value = HeaderValue::from_bytes(h.value).map_err(|_| invalid("header value"))?;
            head.headers.append(name, value);
        }
    }
    // Transfer-Encoding overrides Content-Length (RFC 9112 §6.3).
    if transfer_encoding {
        head.framing = if chunked {
            Framing::Chunked
        } else {
            Framing::UntilClose
        };
    }
    buf.advance(used);
    Ok(Some(head))
}

async fn read_to_end<R: AsyncRead + Unpin>(
    io: &mut R,
    buf: &mut BytesMut,
) -> Result<Bytes, ReadError> {
    while io.read_buf(buf).await? > 0 {}
    Ok(buf.split().freeze())
}

/// A chunked body: size lines (extensions ignored), data, CRLF; a zero size, trailers, CRLF.
async fn read_chunked<R: AsyncRead + Unpin>(
    io: &mut R,
    buf: &mut BytesMut,
) -> Result<Bytes, ReadError> {
    let mut body = BytesMut::new();
    loop {
        let (used, size) = loop {
            match httparse::parse_chunk_size(buf) {
                Ok(httparse::Status::Complete(c)) => break c,
                Ok(httparse::Status::Partial) => read_more(io, buf).await?,
                Err(_) => return Err(invalid("chunk size")),
            }
        };
        buf.advance(used);
        if size == 0 {
            // Trailer lines up to an empty one.
            loop {
                match buf.windows(2).position(|w| w == b"\r\n") {
                    Some(0) => {
                        buf.advance(2);
                        return Ok(body.freeze());
                    }
                    Some(end) => buf.advance(end + 2),
                    None => read_more(io, buf).await?,
                }
            }
        }
        let size = usize::try_from(size).map_err(|_| invalid("chunk size"))?;
        let want = size.checked_add(2).ok_or_else(|| invalid("chunk size"))?;
        while buf.len() < want {
            read_more(io, buf).await?;
        }
        if &buf[size..want] != b"\r\n" {
            return Err(invalid("chunk end"));
        }
        body.extend_from_slice(&buf[..size]);
        buf.advance(want);
    }
}

#[cfg(test)]
#[path = "http1_tests.rs"]
mod tests;
