//! polyq-http: the front end every dialect shares.
//!
//! It accepts connections, reads bodies under a size limit, stamps each request with an id,
//! finds the dialect the request speaks ([`Dialect::detect`], in the order the binary gives),
//! answers the health endpoint, turns a panicking handler into a 500 with a body, and shuts
//! down gracefully. It knows no vendor: dialect crates implement [`Dialect`].
//!
//! Must not depend on any dialect or store crate.

pub mod auth;
pub mod browser;
pub mod civil;
pub mod content_md5;
pub mod header_case;
pub mod metrics;
mod server;
pub mod tls;
pub mod uri_encoding;
pub mod write_stall;
pub mod xml;

use std::net::SocketAddr;

use async_trait::async_trait;
use bytes::Bytes;
use http::{HeaderMap, Method, Uri};

pub use header_case::{HeaderCase, ResponseHeaderCase};
pub use server::{serve, serve_with_tls, HealthCheck, Router, ServerLimits};

/// A fully read request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub remote: Option<SocketAddr>,
    /// Unique per request; dialects put it in their request-id header and error documents.
    pub request_id: String,
    /// The client's spelling of the header names whose case a dialect keeps (see
    /// [`header_case`]); empty when the request has none.
    pub header_case: HeaderCase,
    /// Whether it came over HTTPS (`polyq serve --tls-cert`): URLs in answers use `https`.
    pub tls: bool,
}

impl Request {
    /// Header value as text, if present and valid.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The authority clients addressed us by: that of an absolute-form request target (which
    /// RFC 9112 §3.2.2 says wins over `Host`, as a proxy may send it), else the `Host` header;
    /// `None` when neither names one (an empty `Host` names nothing).
    pub fn host(&self) -> Option<&str> {
        self.uri
            .authority()
            // Never the userinfo of `http://user:pw@host/` (RFC 9110 §4.2.4: an error to
            // treat as such; it must not reach the queue URLs answered).
            .map(|a| a.as_str().rsplit('@').next().unwrap_or(""))
            .or_else(|| self.header("host"))
            .filter(|h| !h.is_empty())
    }

    /// `https` on a TLS listener, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls {
            "https"
        } else {
            "http"
        }
    }

    /// `scheme://host` as the client addressed us (`default_host` without a Host header): the
    /// base of the queue URLs and endpoints the dialects answer with.
    pub fn origin(&self, default_host: &str) -> String {
        format!(
            "{}://{}",
            self.scheme(),
            self.host().unwrap_or(default_host)
        )
    }

    pub fn query(&self) -> &str {
        self.uri.query().unwrap_or("")
    }
}

pub type Response = http::Response<Bytes>;

/// One wire API served on every listener.
#[async_trait]
pub trait Dialect: Send + Sync + 'static {
    /// Short name for logs and startup lines ("SQS", "MNS", "Azure").
    fn name(&self) -> &'static str;

    /// Whether this request speaks this dialect. Called in detection order; must be cheap.
    fn detect(&self, req: &Request) -> bool;

    /// Serves one request. Must answer every failure with the dialect's own error document.
    async fn handle(&self, req: Request) -> Response;

    /// Startup lines for a listener whose base URL is `base` (endpoint and an SDK example).
    fn describe(&self, base: &str) -> Vec<String>;

    /// The answer to a request that no dialect detected but that this dialect's vendor would
    /// still answer in its own way (AWS: `GET` on a queue URL without an operation is a 404
    /// `<UnknownOperationException/>`). Asked in detection order, only after every
    /// [`Dialect::detect`] said no, so it can never take a request from another dialect.
    /// Default: `None`, and the router answers its own "could not tell" 400.
    fn undetected(&self, _req: &Request) -> Option<Response> {
        None
    }

    /// The answer to a request of this dialect whose body is over the server's limit, in the
    /// vendor's own form (Azure: 413 `RequestBodyTooLarge`). `req` has no body. Default:
    /// `None`, and the server answers a plain-text 413.
    fn too_large(&self, _req: &Request) -> Option<Response> {
        None
    }
}

/// A response with a body and content type.
pub fn response(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response {
    let mut r = http::Response::new(body.into());
    *r.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = http::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(target: &str, host: Option<&str>) -> Request {
        let mut headers = HeaderMap::new();
        if let Some(h) = host {
            headers.insert(http::header::HOST, h.parse().unwrap());
        }
        Request {
            method: Method::POST,
            uri: target.parse().unwrap(),
            headers,
            body: Bytes::new(),
            remote: None,
            request_id: String::new(),
            header_case: HeaderCase::default(),
            tls: false,
        }
    }

    #[test]
    fn origin_follows_host_header() {
        let r = request("/", Some("queues.example:9324"));
        assert_eq!(r.origin("localhost"), "http://queues.example:9324");
    }

    #[test]
    fn absolute_form_target_wins_over_host() {
        // RFC 9112 §3.2.2: the target's authority, not a Host a proxy may have left.
        let r = request("http://127.0.0.1:9324/", Some("other.example:81"));
        assert_eq!(r.origin("localhost"), "http://127.0.0.1:9324");
        let r = request("http://127.0.0.1:9324/", None);
        assert_eq!(r.origin("localhost"), "http://127.0.0.1:9324");
        let r = request("http://user:pw@abs.example:1234/", None);
        assert_eq!(r.origin("localhost"), "http://abs.example:1234");
    }

    #[test]
    fn empty_or_missing_host_falls_back() {
        // An empty Host made queue URLs like `http:///000000000000/q`.
        assert_eq!(
            request("/", Some("")).origin("localhost"),
            "http://localhost"
        );
        assert_eq!(request("/", None).origin("localhost"), "http://localhost");
    }
}
