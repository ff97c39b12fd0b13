//! Listener loop, body reading, dispatch to the detected dialect, graceful shutdown.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::FutureExt;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::header_case::{self, HeaderCase, ResponseHeaderCase};
use crate::metrics::{Operation, RequestMetrics, NO_DIALECT, NO_OPERATION};
use crate::tls::{Stream, TlsAcceptor};
use crate::write_stall::WriteStall;
use crate::{response, Dialect, Request, Response};

#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Largest request body read at all; dialects apply their own, smaller, vendor limits.
    pub max_body_bytes: usize,
    /// How long shutdown waits for requests in progress.
    pub shutdown_grace: Duration,
    /// How long an HTTP/1 connection may take to send a request's head, counted from when the
    /// server is ready for it: an idle keep-alive connection is closed after this long, and so
    /// is one that trickles its headers (or sends nothing at all).
    pub header_read_timeout: Duration,
    /// How long a request body may go without a byte arriving before the request is answered
    /// 408 and the connection closed (hyper has no such timer: a client that stops halfway
    /// would hold the connection forever).
    pub body_idle_timeout: Duration,
    /// How long a whole request body may take: one that keeps coming a byte at a time (each
    /// within the idle limit) would otherwise hold its connection for ever. Answered 408 too.
    pub body_read_timeout: Duration,
    /// HTTP/2 (h2c) connections are pinged after this long without a frame and closed when the
    /// ping goes unanswered as long again: HTTP/2 has no header timer, and a client that opened
    /// a connection and went silent would otherwise hold it (and delay shutdown) for ever.
    pub http2_keep_alive: Duration,
    /// How long an answer may wait for the client to read any of it before the connection is
    /// closed ([`crate::write_stall`]): a client that stops reading would otherwise hold the
    /// connection and the whole answer in memory for ever.
    pub write_stall_timeout: Duration,
}

/// Most header lines a request may have (hyper's default is 100). Azure allows 8 KB of
/// metadata, which short names and values spread over more than 100 `x-ms-meta-*` headers.
pub const MAX_REQUEST_HEADERS: usize = 256;

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            // SQS allows 1 MiB batches, which JSON escaping or form encoding can triple.
            max_body_bytes: 8 * 1024 * 1024,
            shutdown_grace: Duration::from_secs(30),
            // SDK connection pools see the close (urllib3 checks a pooled connection before
            // reuse, botocore and azure-core retry a connection error) and reconnect.
            header_read_timeout: Duration::from_secs(75),
            body_idle_timeout: Duration::from_secs(75),
            // 8 MiB, the largest body, at 28 KB/s; an SQS batch of 1 MiB at 3.5 KB/s.
            body_read_timeout: Duration::from_secs(300),
            http2_keep_alive: Duration::from_secs(20),
            write_stall_timeout: Duration::from_secs(75),
        }
    }
}

/// Whether the server can do its job (for `GET /health`): `Err` with the reason when not.
#[async_trait::async_trait]
pub trait HealthCheck: Send + Sync {
    async fn check(&self) -> Result<(), String>;
}

/// The dialects in detection order, and the shared limits.
pub struct Router {
    dialects: Vec<Arc<dyn Dialect>>,
    limits: ServerLimits,
    metrics: Arc<RequestMetrics>,
    health: Option<Arc<dyn HealthCheck>>,
    refusals: AuthRefusals,
}

/// Refusals of credentials or signatures, logged at info level at most once per
/// [`AuthRefusals::EVERY_MS`]: an operator whose clients get 403s must see why without turning
/// on debug logging, and a misconfigured client sending thousands of requests a second must
/// not flood the log.
#[derive(Default)]
struct AuthRefusals {
    /// Milliseconds since `since` of the last line (0: none yet).
    last_ms: std::sync::atomic::AtomicU64,
    /// Refusals since that line, not logged.
    unlogged: std::sync::atomic::AtomicU64,
    since: std::sync::OnceLock<Instant>,
}

impl AuthRefusals {
    const EVERY_MS: u64 = 10_000;

    /// Whether `code` (the answer's error code) says the credentials or signature were not
    /// accepted, rather than another 401/403 (SQS's `PurgeQueueInProgress`, `OverLimit`).
    fn is_auth(code: &str) -> bool {
        [
            "Signature",
            "Auth",
            "AccessKey",
            "ClientTokenId",
            "AccessDenied",
            "Expired",
            "Token",
            "Credential",
        ]
        .iter()
        .any(|w| code.contains(w))
    }

    fn note(&self, dialect: &str, operation: &str, status: u16, code: &str) {
        use std::sync::atomic::Ordering::Relaxed;
        let since = *self.since.get_or_init(Instant::now);
        let now = since.elapsed().as_millis() as u64 + 1;
        let last = self.last_ms.load(Relaxed);
        let due = last == 0 || now.saturating_sub(last) >= Self::EVERY_MS;
        if !due
            || self
                .last_ms
                .compare_exchange(last, now, Relaxed, Relaxed)
                .is_err()
        {
            self.unlogged.fetch_add(1, Relaxed);
            return;
        }
        let unlogged = self.unlogged.swap(0, Relaxed);
        tracing::info!(
            dialect,
            operation,
            status,
            code,
            unlogged,
            "request refused: its credentials or signature were not accepted (one such line \
             per 10 s, `unlogged` counts the others since the last; debug logging shows each \
             refusal with its path)"
        );
    }
}

const UNDETECTED: &str = "polyq could not tell which queue API this request speaks. Expected one of: \
Amazon SQS JSON (POST with X-Amz-Target: AmazonSQS.<Action>), Amazon SQS query (Action=<Action> in the query string or form body), \
Alibaba Cloud MNS (x-mns-version or x-mqs-version header), Azure Queue Storage (x-ms-version header or a SAS token). \
GET /health answers when the server is ready; in dev mode the web console is at /_polyq/console.\n";

impl Router {
    pub fn new(dialects: Vec<Arc<dyn Dialect>>, limits: ServerLimits) -> Self {
        Router {
            dialects,
            limits,
            metrics: Arc::default(),
            health: None,
            refusals: AuthRefusals::default(),
        }
    }

    /// Makes `GET /health` answer 503 with the reason while `check` fails (without one, it
    /// answers 200 once the server listens).
    pub fn with_health(mut self, check: Arc<dyn HealthCheck>) -> Self {
        self.health = Some(check);
        self
    }

    /// Records requests into `metrics` (shared with whoever exposes them) instead of a
    /// private set.
    pub fn with_metrics(mut self, metrics: Arc<RequestMetrics>) -> Self {
        self.metrics = metrics;
        self
    }

    pub fn metrics(&self) -> &Arc<RequestMetrics> {
        &self.metrics
    }

    pub fn limits(&self) -> ServerLimits {
        self.limits
    }

    /// The answer to a request whose body is over the limit: its dialect's own (see
    /// [`Dialect::too_large`]) or a plain-text 413. `req` carries no body.
    fn too_large(&self, req: &Request) -> (&'static str, Response) {
        let limit = self.limits.max_body_bytes;
        self.dialects
            .iter()
            .find(|d| d.detect(req))
            .and_then(|d| d.too_large(req).map(|r| (d.name(), r)))
            .unwrap_or_else(|| {
                (
                    NO_DIALECT,
                    response(
                        413,
                        "text/plain; charset=utf-8",
                        format!("request body exceeds {limit} bytes\n"),
                    ),
                )
            })
    }

    /// Startup lines of every dialect for a listener at `base`.
    pub fn describe(&self, base: &str) -> Vec<String> {
        self.dialects
            .iter()
            .flat_map(|d| d.describe(base))
            .collect()
    }

    /// Serves one read request: a dialect's answer, the health endpoint, a dialect's answer to
    /// an undetected request ([`Dialect::undetected`]), or a clear 400.
    pub async fn dispatch(&self, req: Request) -> Response {
        let started = Instant::now();
        // Kept only when refusals are logged: the hot path allocates nothing for it.
        let seen = tracing::enabled!(tracing::Level::DEBUG)
            .then(|| (req.method.clone(), req.uri.path().to_string()));
        let (name, resp) = self.answer(req).await;
        let operation = resp
            .extensions()
            .get::<Operation>()
            .map_or(NO_OPERATION, |o| o.0);
        let status = resp.status().as_u16();
        self.metrics
            .record(name, operation, status, started.elapsed());
        // Server errors are logged where they arise, with their cause; refusals (bad input,
        // failed signatures, unknown queues) only here: each for whoever turns on debug
        // logging, refused credentials also at info level (rate-limited).
        let refused = (400..500).contains(&status);
        let code = if refused { error_code(&resp) } else { "" };
        if (status == 401 || status == 403) && AuthRefusals::is_auth(code) {
            // The query protocol's header adds the fault: `SignatureDoesNotMatch;Sender`.
            let bare = code.split(';').next().unwrap_or_default();
            self.refusals.note(name, operation, status, bare);
        }
        if let Some((method, path)) = seen.filter(|_| refused) {
            tracing::debug!(
                dialect = name,
                operation,
                status,
                code,
                method = %method,
                path = %path,
                "request refused"
            );
        }
        resp
    }

    /// `GET /health`: 200 `ok`, or 503 with the reason while the health check fails (so an
    /// orchestrator stops sending traffic to a node that can only fail it).
    async fn health(&self) -> Response {
        let verdict = match &self.health {
            Some(check) => check.check().await,
            None => Ok(()),
        };
        let mut resp = match verdict {
            Ok(()) => response(200, "text/plain; charset=utf-8", "ok\n"),
            Err(why) => response(
                503,
                "text/plain; charset=utf-8",
                format!("unhealthy: {why}\n"),
            ),
        };
        crate::metrics::tag(&mut resp, "Health");
        resp
    }

    /// [`Router::dispatch`] without the bookkeeping: the answer and the dialect that gave it.
    async fn answer(&self, req: Request) -> (&'static str, Response) {
        let dialect = self.dialects.iter().find(|d| d.detect(&req)).cloned();
        let Some(dialect) = dialect else {
            // HEAD as GET (RFC 9110 §9.3.2): hyper sends the head only.
            if (req.method == http::Method::GET || req.method == http::Method::HEAD)
                && (req.uri.path() == "/health" || req.uri.path() == "/healthz")
            {
                return (NO_DIALECT, self.health().await);
            }
            // A vendor's own answer to a request of its shape that names no operation, before
            // polyq's generic one.
            if let Some((name, resp)) = self
                .dialects
                .iter()
                .find_map(|d| d.undetected(&req).map(|r| (d.name(), r)))
            {
                return (name, resp);
            }
            return (
                NO_DIALECT,
                response(400, "text/plain; charset=utf-8", UNDETECTED),
            );
        };
        let name = dialect.name();
        let request_id = req.request_id.clone();
        let resp = match std::panic::AssertUnwindSafe(dialect.handle(req))
            .catch_unwind()
            .await
        {
            Ok(resp) => resp,
            Err(_) => {
                tracing::error!(
                    dialect = name,
                    request_id,
                    "handler panicked; answering 500"
                );
                response(
                    500,
                    "text/plain; charset=utf-8",
                    format!("internal error in the {name} handler (request id {request_id}); see the server log\n"),
                )
            }
        };
        (name, resp)
    }
}

async fn handle(
    router: Arc<Router>,
    remote: SocketAddr,
    tls: bool,
    req: http::Request<Incoming>,
) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let (mut parts, mut body) = req.into_parts();
    let limit = router.limits.max_body_bytes;
    let idle = router.limits.body_idle_timeout;
    let whole = router.limits.body_read_timeout;
    let started = Instant::now();
    // A body announced over the limit is refused before it is read: with `Expect:
    // 100-continue` the client is told not to send it (hyper sends no `100 Continue` for a body
    // nobody reads); otherwise it is read and dropped (bounded) so that the client, still
    // sending, reads the answer instead of a connection reset.
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    // HTTP/2 ends a refused stream by itself (RST_STREAM) without touching the connection.
    let http1 = parts.version < http::Version::HTTP_2;
    // Queue URLs and locations are built from the Host header: one missing, doubled or not an
    // authority is refused as RFC 9112 §3.2 says, before it can end up in an answer.
    if let Some(why) = http1.then(|| host_problem(&parts)).flatten() {
        let mut resp = response(400, "text/plain; charset=utf-8", format!("{why}\n"));
        close_connection(&mut resp);
        router
            .metrics
            .record(NO_DIALECT, NO_OPERATION, 400, started.elapsed());
        return Ok(resp.map(Full::new));
    }
    let read = if declared.is_some_and(|n| n > limit as u64) {
        if http1 && !expects_continue(&parts.headers) {
            drain(&mut body, idle).await;
        }
        Err(ReadError::TooLarge)
    } else {
        read_body(&mut body, limit, idle, whole).await
    };
    let refused = match read {
        Ok(b) => Ok(b),
        Err(ReadError::TooLarge) => {
            if http1 && declared.is_none() {
                drain(&mut body, idle).await;
            }
            // The head only (copied: a rare path), for the dialect's own answer.
            let bodiless = Request {
                method: parts.method.clone(),
                uri: parts.uri.clone(),
                headers: parts.headers.clone(),
                body: Bytes::new(),
                remote: Some(remote),
                request_id: next_request_id(),
                header_case: HeaderCase::default(),
                tls,
            };
            let (name, mut resp) = router.too_large(&bodiless);
            // The rest of the body may still be on its way: this connection is done.
            if http1 {
                close_connection(&mut resp);
            }
            Err((name, resp))
        }
        Err(ReadError::Other(e)) => {
            let resp = if e.downcast_ref::<BodyStalled>().is_some() {
                let mut r = response(
                    408,
                    "text/plain; charset=utf-8",
                    format!("{e}; closing the connection\n"),
                );
                close_connection(&mut r);
                r
            } else {
                response(
                    400,
                    "text/plain; charset=utf-8",
                    format!("could not read the request body: {e}\n"),
                )
            };
            Err((NO_DIALECT, resp))
        }
    };
    let body = match refused {
        Ok(body) => body,
        Err((name, resp)) => {
            // Refused before any dialect's handler saw it, but still a request the metrics
            // must show.
            router.metrics.record(
                name,
                NO_OPERATION,
                resp.status().as_u16(),
                started.elapsed(),
            );
            return Ok(resp.map(Full::new));
        }
    };
    // HTTP/2 names are lower-case on the wire: there is no other spelling to keep.
    let header_case = if http1 && header_case::has_cased(&parts.headers) {
        header_case::received_names(std::mem::take(&mut parts.extensions), &parts.headers).await
    } else {
        HeaderCase::default()
    };
    let request = Request {
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        body,
        remote: Some(remote),
        request_id: next_request_id(),
        header_case,
        tls,
    };
    let mut resp = router.dispatch(request).await;
    if let Some(cased) = resp
        .extensions_mut()
        .remove::<ResponseHeaderCase>()
        .filter(|_| http1)
    {
        *resp.extensions_mut() = header_case::case_extensions(&cased.0).await;
    }
    Ok(resp.map(Full::new))
}

/// The error code of a refusal: noted by its dialect ([`crate::metrics::ErrorCode`]), else in
/// the header each dialect puts it in; empty when there is none.
fn error_code(resp: &Response) -> &str {
    if let Some(c) = resp.extensions().get::<crate::metrics::ErrorCode>() {
        return c.0;
    }
    ["x-ms-error-code", "x-amzn-query-error", "x-amzn-errortype"]
        .iter()
        .find_map(|h| resp.headers().get(*h))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Why an HTTP/1 request's Host header is unacceptable: missing from an HTTP/1.1 request,
/// given twice, or not a `host[:port]` (an empty value is allowed).
fn host_problem(parts: &http::request::Parts) -> Option<String> {
    let mut hosts = parts.headers.get_all(http::header::HOST).iter();
    let Some(host) = hosts.next() else {
        return (parts.version == http::Version::HTTP_11)
            .then(|| "an HTTP/1.1 request must carry a Host header".to_string());
    };
    if hosts.next().is_some() {
        return Some("the request carries two Host headers".into());
    }
    let text = host.to_str().unwrap_or("\u{fffd}");
    if text.is_empty() {
        return None;
    }
    let bad = || {
        Some(format!(
            "Host {text:?} is not a host name or address with an optional port"
        ))
    };
    if text.parse::<http::uri::Authority>().is_err() || text.contains('@') {
        return bad();
    }
    // The parser takes any digits for a port; one past 65535 is no port (and `+80` none).
    let after_host = text.rsplit_once(']').map_or(text, |(_, rest)| rest);
    match after_host.rsplit_once(':') {
        Some((_, port))
            if !port.is_empty()
                && (!port.bytes().all(|b| b.is_ascii_digit()) || port.parse::<u16>().is_err()) =>
        {
            bad()
        }
        _ => None,
    }
}

fn close_connection(resp: &mut Response) {
    resp.headers_mut().insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
}

/// No byte of the request body for the idle limit, or the whole body not in within its limit.
#[derive(Debug)]
enum BodyStalled {
    Idle(Duration),
    Whole(Duration),
}

impl std::fmt::Display for BodyStalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyStalled::Idle(d) => write!(
                f,
                "no byte of the request body arrived for {} s",
                d.as_secs()
            ),
            BodyStalled::Whole(d) => write!(
                f,
                "the request body did not arrive whole within {} s",
                d.as_secs()
            ),
        }
    }
}

impl std::error::Error for BodyStalled {}

/// Why a request body was not read.
enum ReadError {
    /// Over the limit (announced, or found while reading).
    TooLarge,
    /// Stalled ([`BodyStalled`]) or broken.
    Other(Box<dyn std::error::Error + Send + Sync>),
}

fn expects_continue(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"))
}

/// At most this much of a refused body is read and dropped before the answer.
const MAX_DRAIN_BYTES: usize = 64 << 20;
/// And for at most this long.
const MAX_DRAIN_TIME: Duration = Duration::from_secs(10);

/// Reads and drops what is left of a refused body, bounded in bytes and time, so that the
/// connection is not reset under a client that is still sending (RFC 9112 §9.6): it reads the
/// answer instead. Beyond the bounds the connection is closed anyway.
async fn drain(body: &mut Incoming, idle: Duration) {
    let deadline = tokio::time::Instant::now() + MAX_DRAIN_TIME;
    let mut seen = 0usize;
    while seen < MAX_DRAIN_BYTES {
        let wait = idle.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
        match tokio::time::timeout(wait, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                seen += frame.data_ref().map_or(0, Bytes::len);
            }
            _ => return,
        }
    }
}

/// The whole body, at most `limit` bytes, each frame within `idle` of the one before and all
/// of it within `whole`.
async fn read_body(
    body: &mut Incoming,
    limit: usize,
    idle: Duration,
    whole: Duration,
) -> Result<Bytes, ReadError> {
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut total = 0usize;
    let deadline = tokio::time::Instant::now() + whole;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let frame = match tokio::time::timeout(idle.min(left), body.frame()).await {
            Err(_) if left <= idle => {
                return Err(ReadError::Other(Box::new(BodyStalled::Whole(whole))))
            }
            Err(_) => return Err(ReadError::Other(Box::new(BodyStalled::Idle(idle)))),
            Ok(None) => break,
            Ok(Some(frame)) => frame.map_err(|e| ReadError::Other(Box::new(e)))?,
        };
        if let Ok(data) = frame.into_data() {
            total += data.len();
            if total > limit {
                return Err(ReadError::TooLarge);
            }
            if !data.is_empty() {
                chunks.push(data);
            }
        }
    }
    // One chunk (the usual case) is passed on without a copy.
    Ok(match chunks.len() {
        0 => Bytes::new(),
        1 => chunks.pop().unwrap_or_default(),
        _ => chunks.concat().into(),
    })
}

/// A unique request id in UUID form: a random per-process prefix and a counter. Cheaper than a
/// fresh random UUID per request (no system call), and still unique across restarts.
fn next_request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::LazyLock;
    static PREFIX: LazyLock<u64> = LazyLock::new(|| uuid::Uuid::new_v4().as_u64_pair().0);
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // Version 4 / variant 1 bits kept so clients that parse ids as UUIDs accept them.
    let hi = (*PREFIX & 0xffff_ffff_ffff_0fff) | 0x4000;
    let lo = (n & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    // Encoded into a stack buffer: `to_string` goes through the formatting machinery.
    let mut buf = uuid::Uuid::encode_buffer();
    let text: &str = uuid::Uuid::from_u64_pair(hi, lo)
        .hyphenated()
        .encode_lower(&mut buf);
    text.to_string()
}

/// Accepts connections on `listener` until `shutdown` turns true, then waits up to the grace
/// period for requests in progress.
pub async fn serve(
    listener: TcpListener,
    router: Arc<Router>,
    shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    serve_with_tls(listener, router, shutdown, None).await
}

/// How long a client may take over the TLS handshake before its connection is dropped.
const TLS_HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);

/// A connection made ready for hyper: the TLS handshake done (when `tls` is given), or, for
/// plain HTTP, enough bytes arrived to tell HTTP/1 from HTTP/2 ([`told_apart`]): hyper-util
/// reads them before hyper's header timer starts, so a client that never sends them would be
/// kept forever. `None` (connection dropped) when either takes too long or fails.
async fn prepare(
    stream: TcpStream,
    remote: SocketAddr,
    tls: Option<TlsAcceptor>,
    limits: ServerLimits,
) -> Option<TokioIo<WriteStall<Stream>>> {
    let stream = match tls {
        Some(tls) => {
            // Plain HTTP sent to a TLS listener (a handshake starts with byte 0x16): say so
            // in plain HTTP rather than drop the connection without a word.
            let mut first = [0u8; 1];
            match tokio::time::timeout(TLS_HANDSHAKE_LIMIT, stream.peek(&mut first)).await {
                Ok(Ok(1)) if first[0] != 0x16 => {
                    refuse_plain_http(stream).await;
                    return None;
                }
                Ok(Ok(1)) => {}
                _ => return None,
            }
            handshake(stream, remote, tls).await?
        }
        None => match tokio::time::timeout(limits.header_read_timeout, told_apart(&stream)).await {
            Ok(true) => Stream::Plain(stream),
            _ => {
                tracing::debug!(%remote, "connection sent no request; closed");
                return None;
            }
        },
    };
    Some(TokioIo::new(WriteStall::new(
        stream,
        limits.write_stall_timeout,
    )))
}

/// The HTTP/2 connection preface (prior knowledge, h2c).
const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Waits until hyper-util can tell HTTP/1 from HTTP/2 without waiting itself (it reads, with
/// no timer, until 24 bytes or a byte off the HTTP/2 preface): `false` if the client closed
/// first. `peek`, not `readable`: readiness may be reported before any byte has arrived.
async fn told_apart(stream: &TcpStream) -> bool {
    let mut head = [0u8; 24];
    loop {
        let n = match stream.peek(&mut head).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        if n == head.len() || head[..n] != H2_PREFACE[..n] {
            return true;
        }
        // A preface cut short: real clients send it in one write, so this is rare; `peek`
        // returns at once while bytes wait, hence the pause.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn handshake(stream: TcpStream, remote: SocketAddr, tls: TlsAcceptor) -> Option<Stream> {
    match tokio::time::timeout(TLS_HANDSHAKE_LIMIT, tls.accept(stream)).await {
        Ok(Ok(s)) => Some(Stream::Tls(Box::new(s.into()))),
        Ok(Err(e)) => {
            tracing::debug!(%remote, error = %e, "TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::debug!(%remote, "TLS handshake timed out");
            None
        }
    }
}

/// Answers a plain-HTTP request on a TLS listener with a 400 that says why, then closes.
async fn refuse_plain_http(mut stream: TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const BODY: &str =
        "This polyq listener speaks HTTPS (started with --tls-cert): use an https:// endpoint.\n";
    let answer = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let write = async {
        // Read what the client sent first: closing with unread bytes would reset the
        // connection and could lose the answer.
        let mut request = [0u8; 8192];
        let mut drained = 0;
        while drained < 64 * 1024 {
            match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut request)).await
            {
                Ok(Ok(n)) if n > 0 => drained += n,
                _ => break,
            }
        }
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(TLS_HANDSHAKE_LIMIT, write).await;
}

/// [`serve`], speaking HTTPS when `tls` is given (every connection then starts with a TLS
/// handshake; one that fails or stalls is dropped without affecting others).
pub async fn serve_with_tls(
    listener: TcpListener,
    router: Arc<Router>,
    mut shutdown: watch::Receiver<bool>,
    tls: Option<TlsAcceptor>,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    // hyper records how each header name was spelled, for the few whose case a dialect keeps
    // (header_case.rs); without it the spelling is gone before any dialect sees the request.
    builder
        .http1()
        .preserve_header_case(true)
        .max_headers(MAX_REQUEST_HEADERS)
        .timer(TokioTimer::new())
        .header_read_timeout(router.limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(router.limits.http2_keep_alive))
        .keep_alive_timeout(router.limits.http2_keep_alive);
    // ALPN offers only HTTP/1.1 over TLS, so TLS connections skip the HTTP/2 sniffing.
    let tls_builder = builder.clone().http1_only();
    let limits = router.limits;
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let is_tls = tls.is_some();
                let svc = service_fn(move |req| handle(router.clone(), remote, is_tls, req));
                let (builder, tls) = match &tls {
                    Some(t) => (tls_builder.clone(), Some(t.clone())),
                    None => (builder.clone(), None),
                };
                let (watcher, mut stop) = (graceful.watcher(), shutdown.clone());
                // Everything before hyper's own header timer runs in the connection's task, so a
                // slow or silent client holds up neither the accept loop nor a shutdown.
                tokio::spawn(async move {
                    let conn = tokio::select! {
                        ready = prepare(stream, remote, tls, limits) => match ready {
                            Some(io) => builder.serve_connection_with_upgrades(io, svc).into_owned(),
                            None => return,
                        },
                        _ = stop.changed() => return,
                    };
                    if let Err(e) = watcher.watch(conn).await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(router.limits.shutdown_grace) => {
            tracing::warn!("shutdown grace period over; closing remaining connections");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn request_ids_are_unique_uuids() {
        let a = super::next_request_id();
        let b = super::next_request_id();
        assert_ne!(a, b);
        let u = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(u.get_version_num(), 4);
        assert_eq!(u.to_string(), a, "lower-case hyphenated form");
    }
}
