//! HTTP/1.1 over a fixed pool of keep-alive connections (the exchange itself is in
//! [`crate::http1`]). The pool size is the `--connections` option: a request waits for a free
//! connection, which is how a client with N sockets behaves, and the wait is part of the
//! measured latency.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::Method;
use parking_lot::Mutex;
use polyq_http::tls::Stream;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use crate::http1::{encode_request, read_response, ReadError, Response};

/// A parsed `http(s)://host:port` endpoint.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub addr: SocketAddr,
    /// `host:port` as it goes into the Host header (and into SigV4's canonical headers).
    pub authority: String,
    /// For `https://`: the client configuration and the name the certificate must carry.
    pub tls: Option<(
        Arc<rustls::ClientConfig>,
        rustls::pki_types::ServerName<'static>,
    )>,
}

impl Endpoint {
    /// Parses `http://host:port[/]` or `https://host:port[/]`.
    pub fn parse(url: &str) -> anyhow::Result<Endpoint> {
        Endpoint::parse_trusting(url, None)
    }

    /// [`Endpoint::parse`]; an `https://` server's certificate is verified against the Mozilla
    /// roots and the CA certificates in `ca` (PEM), if given.
    pub fn parse_trusting(url: &str, ca: Option<&Path>) -> anyhow::Result<Endpoint> {
        let (rest, https) = match (url.strip_prefix("http://"), url.strip_prefix("https://")) {
            (Some(rest), _) => (rest, false),
            (_, Some(rest)) => (rest, true),
            _ => anyhow::bail!("endpoint {url:?} must start with http:// or https://"),
        };
        let authority = rest.trim_end_matches('/');
        if authority.contains('/') {
            anyhow::bail!(
                "endpoint {url:?} must not have a path (queues are addressed by the client)"
            );
        }
        let with_port = if authority.contains(':') && !authority.ends_with(']') {
            authority.to_string()
        } else if https {
            format!("{authority}:443")
        } else {
            format!("{authority}:80")
        };
        let addr = std::net::ToSocketAddrs::to_socket_addrs(&with_port)?
            .next()
            .ok_or_else(|| anyhow::anyhow!("endpoint {url:?} resolves to no address"))?;
        let tls = if https {
            let host = with_port
                .rsplit_once(':')
                .map_or(with_port.as_str(), |(h, _)| h)
                .trim_start_matches('[')
                .trim_end_matches(']');
            let name = rustls::pki_types::ServerName::try_from(host.to_string())
                .map_err(|e| anyhow::anyhow!("endpoint {url:?}: {e}"))?;
            let config = polyq_http::tls::client_config(ca).map_err(anyhow::Error::msg)?;
            Some((config, name))
        } else {
            None
        };
        Ok(Endpoint {
            addr,
            authority: authority.to_string(),
            tls,
        })
    }
}

/// A response, fully read.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// The answer's headers when it is not a 2xx (the bench reads them only for error codes).
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// Why a request got no HTTP answer (reported as an error code in the results).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    Connect(String),
    Io(String),
    Timeout,
}

impl TransportError {
    pub fn code(&self) -> String {
        match self {
            TransportError::Connect(_) => "ConnectFailed".into(),
            TransportError::Io(_) => "ConnectionError".into(),
            TransportError::Timeout => "Timeout".into(),
        }
    }
}

pub struct Transport {
    pub endpoint: Endpoint,
    slots: Semaphore,
    idle: Mutex<Vec<Conn>>,
    /// Requests answered (any status), for requests/s.
    pub requests: AtomicU64,
    pub timeout: Duration,
}

/// One keep-alive connection and what was read from it but not yet used.
struct Conn {
    stream: Stream,
    buf: BytesMut,
    /// It has answered a request before (so an early close means the server dropped it idle).
    reused: bool,
}

impl Conn {
    async fn exchange(&mut self, wire: &[u8], method: &Method) -> Result<Response, ReadError> {
        if let Err(e) = self.stream.write_all(wire).await {
            return Err(match e.kind() {
                ErrorKind::BrokenPipe | ErrorKind::ConnectionReset => ReadError::Closed,
                _ => ReadError::Io(e),
            });
        }
        match read_response(&mut self.stream, &mut self.buf, method).await {
            Err(ReadError::Io(e))
                if e.kind() == ErrorKind::ConnectionReset && self.buf.is_empty() =>
            {
                Err(ReadError::Closed)
            }
            other => other,
        }
    }
}

impl Transport {
    pub fn new(endpoint: Endpoint, connections: usize, timeout: Duration) -> Transport {
        Transport {
            endpoint,
            slots: Semaphore::new(connections.max(1)),
            idle: Mutex::new(Vec::new()),
            requests: AtomicU64::new(0),
            timeout,
        }
    }

    async fn connect(&self) -> Result<Conn, TransportError> {
        let tcp = TcpStream::connect(self.endpoint.addr)
            .await
            .map_err(|e| TransportError::Connect(e.to_string()))?;
        let _ = tcp.set_nodelay(true);
        let stream = match &self.endpoint.tls {
            None => Stream::Plain(tcp),
            Some((config, name)) => {
                let tls = tokio_rustls::TlsConnector::from(config.clone())
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| TransportError::Connect(format!("TLS: {e}")))?;
                Stream::Tls(Box::new(tls.into()))
            }
        };
        Ok(Conn {
            stream,
            buf: BytesMut::with_capacity(8192),
            reused: false,
        })
    }

    /// Sends one request on a pooled connection; `extra_timeout` is added to the transport's
    /// timeout (long polls legitimately take their wait time). A reused connection that the
    /// server closed while idle is replaced and the request sent again, once.
    pub async fn send(
        &self,
        req: http::Request<Bytes>,
        extra_timeout: Duration,
    ) -> Result<Reply, TransportError> {
        let mut wire = Vec::with_capacity(256 + req.body().len());
        encode_request(&req, &mut wire);
        self.send_encoded(req.method(), wire, extra_timeout).await
    }

    /// [`Transport::send`] for a request already encoded as HTTP/1.1 bytes (`method` tells
    /// whether the answer has a body).
    pub async fn send_encoded(
        &self,
        method: &Method,
        wire: Vec<u8>,
        extra_timeout: Duration,
    ) -> Result<Reply, TransportError> {
        let _slot = self.slots.acquire().await.expect("never closed");
        let attempt = async {
            let pooled = self.idle.lock().pop();
            let mut conn = match pooled {
                Some(c) => c,
                None => self.connect().await?,
            };
            let resp = match conn.exchange(&wire, method).await {
                Err(ReadError::Closed) if conn.reused => {
                    conn = self.connect().await?;
                    conn.exchange(&wire, method).await
                }
                other => other,
            };
            let resp = resp.map_err(|e| TransportError::Io(e.to_string()))?;
            Ok::<_, TransportError>((conn, resp))
        };
        let (mut conn, resp) =
            match tokio::time::timeout(self.timeout + extra_timeout, attempt).await {
                Ok(r) => r?,
                // The connection may still carry the late answer: drop it rather than reuse it.
                Err(_) => return Err(TransportError::Timeout),
            };
        self.requests.fetch_add(1, Ordering::Relaxed);
        // Bytes beyond the answer would be taken for the next one: such a connection goes.
        if resp.keep_alive && conn.buf.is_empty() {
            conn.reused = true;
            self.idle.lock().push(conn);
        }
        Ok(Reply {
            status: resp.status,
            headers: resp.headers,
            body: resp.body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse() {
        let e = Endpoint::parse("http://127.0.0.1:9324/").unwrap();
        assert_eq!(e.authority, "127.0.0.1:9324");
        assert_eq!(e.addr.port(), 9324);
        let tls = Endpoint::parse("https://127.0.0.1:1").unwrap();
        assert!(tls.tls.is_some());
        assert!(Endpoint::parse("https://127.0.0.1").unwrap().addr.port() == 443);
        assert!(Endpoint::parse("ftp://127.0.0.1:1").is_err());
        assert!(Endpoint::parse("http://127.0.0.1:1/x").is_err());
        assert_eq!(Endpoint::parse("http://127.0.0.1").unwrap().addr.port(), 80);
    }

    /// A server that answers one request per connection, then closes it.
    async fn one_answer_per_connection() -> (Endpoint, std::sync::Arc<AtomicU64>) {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint =
            Endpoint::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        let accepted = std::sync::Arc::new(AtomicU64::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                count.fetch_add(1, Ordering::SeqCst);
                let mut buf = vec![0u8; 4096];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .await;
                // Dropped: closed while the client holds it as idle and keep-alive.
            }
        });
        (endpoint, accepted)
    }

    fn get() -> http::Request<Bytes> {
        http::Request::get("/").body(Bytes::new()).unwrap()
    }

    #[tokio::test]
    async fn a_connection_closed_while_idle_is_replaced() {
        let (endpoint, accepted) = one_answer_per_connection().await;
        let t = Transport::new(endpoint, 1, Duration::from_secs(5));
        for _ in 0..3 {
            let reply = t.send(get(), Duration::ZERO).await.unwrap();
            assert_eq!((reply.status, &reply.body[..]), (200, &b"ok"[..]));
            // Let the server's close arrive before the next request.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
        assert_eq!(t.requests.load(Ordering::Relaxed), 3);
    }

    #[tokio::test]
    async fn a_new_connection_closed_early_is_an_error() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint =
            Endpoint::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move {
            loop {
                let (s, _) = listener.accept().await.unwrap();
                drop(s);
            }
        });
        let t = Transport::new(endpoint, 1, Duration::from_secs(5));
        let e = t.send(get(), Duration::ZERO).await.unwrap_err();
        assert_eq!(e.code(), "ConnectionError");
    }
}
