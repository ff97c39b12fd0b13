//! HTTP/1.1 over a fixed pool of keep-alive connections (hyper 1). The pool size is the
//! `--connections` option: a request waits for a free connection, which is how a client with
//! N sockets behaves, and the wait is part of the measured latency.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// A parsed `http://host:port` endpoint.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub addr: SocketAddr,
    /// `host:port` as it goes into the Host header (and into SigV4's canonical headers).
    pub authority: String,
}

impl Endpoint {
    /// Parses `http://host:port[/]`. Only plain HTTP; the bench measures servers, not TLS.
    pub fn parse(url: &str) -> anyhow::Result<Endpoint> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| anyhow::anyhow!("endpoint {url:?} must start with http://"))?;
        let authority = rest.trim_end_matches('/');
        if authority.contains('/') {
            anyhow::bail!(
                "endpoint {url:?} must not have a path (queues are addressed by the client)"
            );
        }
        let with_port = if authority.contains(':') && !authority.ends_with(']') {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        let addr = std::net::ToSocketAddrs::to_socket_addrs(&with_port)?
            .next()
            .ok_or_else(|| anyhow::anyhow!("endpoint {url:?} resolves to no address"))?;
        Ok(Endpoint {
            addr,
            authority: authority.to_string(),
        })
    }
}

/// A response, fully read.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
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
    idle: Mutex<Vec<SendRequest<Full<Bytes>>>>,
    /// Requests answered (any status), for requests/s.
    pub requests: AtomicU64,
    pub timeout: Duration,
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

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, TransportError> {
        let stream = TcpStream::connect(self.endpoint.addr)
            .await
            .map_err(|e| TransportError::Connect(e.to_string()))?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| TransportError::Connect(e.to_string()))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    /// Sends one request on a pooled connection; `extra_timeout` is added to the transport's
    /// timeout (long polls legitimately take their wait time).
    pub async fn send(
        &self,
        req: http::Request<Full<Bytes>>,
        extra_timeout: Duration,
    ) -> Result<Reply, TransportError> {
        let _slot = self.slots.acquire().await.expect("never closed");
        let pooled = self.idle.lock().pop();
        let mut conn = match pooled {
            Some(c) if !c.is_closed() => c,
            _ => self.connect().await?,
        };
        let exchange = async {
            conn.ready()
                .await
                .map_err(|e| TransportError::Io(e.to_string()))?;
            let resp = conn
                .send_request(req)
                .await
                .map_err(|e| TransportError::Io(e.to_string()))?;
            let (parts, body) = resp.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| TransportError::Io(e.to_string()))?
                .to_bytes();
            Ok::<_, TransportError>(Reply {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body,
            })
        };
        let reply = match tokio::time::timeout(self.timeout + extra_timeout, exchange).await {
            Ok(r) => r?,
            // The connection may still carry the late answer: drop it rather than reuse it.
            Err(_) => return Err(TransportError::Timeout),
        };
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.idle.lock().push(conn);
        Ok(reply)
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
        assert!(Endpoint::parse("https://127.0.0.1:1").is_err());
        assert!(Endpoint::parse("http://127.0.0.1:1/x").is_err());
        assert_eq!(Endpoint::parse("http://127.0.0.1").unwrap().addr.port(), 80);
    }
}
