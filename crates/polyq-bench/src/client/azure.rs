//! Azure Queue Storage client (path-style `/{account}/{queue}/messages`, XML bodies), signed
//! with SharedKey. Azure has no batch send and no long polling: a send is one Put Message, a
//! receive asks for up to 32 messages, and a delete of several messages is one request per
//! message, issued in parallel.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::stream::{FuturesUnordered, StreamExt};
use http::Method;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use super::date::http_date;
use super::{success, Batch, OpError, QueueRef, Received};
use crate::sign::SharedKey;
use crate::transport::Transport;
use crate::xml;

/// A service version every current SDK and emulator accepts.
pub const VERSION: &str = "2021-12-02";

pub struct Azure {
    pub transport: Arc<Transport>,
    pub signer: SharedKey,
}

/// One request's parts, in the order they go on the wire.
struct Parts<'a> {
    method: &'a Method,
    target: &'a str,
    host: &'a str,
    date: &'a str,
    authorization: &'a str,
    content_type: &'a str,
    body: &'a [u8],
}

impl Parts<'_> {
    /// The request as HTTP/1.1 bytes, written directly: the same bytes as an `http::Request`
    /// with these headers through [`crate::http1::encode_request`] (a test holds them equal),
    /// without building and then walking a header map and a parsed URI for every request.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.target.len() + self.body.len());
        for piece in [
            self.method.as_str(),
            " ",
            self.target,
            " HTTP/1.1\r\nhost: ",
            self.host,
            "\r\nx-ms-date: ",
            self.date,
            "\r\nx-ms-version: ",
            VERSION,
            "\r\nauthorization: ",
            self.authorization,
            "\r\n",
        ] {
            out.extend_from_slice(piece.as_bytes());
        }
        if !self.content_type.is_empty() {
            out.extend_from_slice(b"content-type: ");
            out.extend_from_slice(self.content_type.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if !self.body.is_empty() {
            out.extend_from_slice(format!("content-length: {}\r\n", self.body.len()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.body);
        out
    }
}

/// Whether `text` may go into a request line or header value as is (visible ASCII and spaces;
/// a request target must not even have spaces, which [`request_target`] encodes).
fn wire_safe(text: &str, spaces: bool) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_graphic() || (spaces && b == b' '))
}

impl Azure {
    pub fn new(transport: Arc<Transport>, signer: SharedKey) -> Self {
        Azure { transport, signer }
    }

    /// `path` starts with `/{account}`; `query` pairs are unencoded.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: String,
    ) -> Result<crate::transport::Reply, OpError> {
        let date = http_date(SystemTime::now());
        let date = date.to_str().expect("HTTP dates are ASCII");
        let content_type = if body.is_empty() {
            ""
        } else {
            "application/xml"
        };
        let ms = [("x-ms-date", date), ("x-ms-version", VERSION)];
        let text =
            self.signer
                .string_to_sign(method.as_str(), body.len(), content_type, &ms, path, query);
        let authorization = self.signer.authorization(&text);
        let target = request_target(path, query);
        let host = self.transport.endpoint.authority.as_str();
        if !wire_safe(&target, false) || !wire_safe(&authorization, true) || !wire_safe(host, false)
        {
            return Err(OpError {
                code: format!("BadRequestBuild(cannot send {target:?} for {authorization:?})"),
                detail: None,
            });
        }
        let wire = Parts {
            method: &method,
            target: &target,
            host,
            date,
            authorization: &authorization,
            content_type,
            body: body.as_bytes(),
        }
        .encode();
        Ok(self
            .transport
            .send_encoded(&method, wire, Duration::ZERO)
            .await?)
    }

    fn queue_path(&self, name: &str) -> String {
        format!("/{}/{}", self.signer.account, name)
    }

    pub async fn create_queue(&self, name: &str) -> Result<QueueRef, OpError> {
        let path = self.queue_path(name);
        success(self.call(Method::PUT, &path, &[], String::new()).await?)?;
        Ok(QueueRef {
            name: name.into(),
            url: path,
        })
    }

    pub async fn delete_queue(&self, q: &QueueRef) -> Result<(), OpError> {
        success(
            self.call(Method::DELETE, &q.url, &[], String::new())
                .await?,
        )
        .map(drop)
    }

    /// One Put Message per body (the bench sends one body per call for Azure).
    pub async fn send(&self, q: &QueueRef, bodies: &[String]) -> Result<Batch, OpError> {
        let path = format!("{}/messages", q.url);
        let puts = bodies.iter().map(|b| {
            let mut body = String::with_capacity(b.len() + 60);
            body.push_str("<QueueMessage><MessageText>");
            xml::escape_into(&mut body, b);
            body.push_str("</MessageText></QueueMessage>");
            self.call(Method::POST, &path, &[], body)
        });
        collect(puts).await
    }

    pub async fn receive(&self, q: &QueueRef, max: usize) -> Result<Vec<Received>, OpError> {
        let path = format!("{}/messages", q.url);
        let n = max.clamp(1, 32).to_string();
        let reply = success(
            self.call(Method::GET, &path, &[("numofmessages", &n)], String::new())
                .await?,
        )?;
        let text = match std::str::from_utf8(&reply.body) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(_) => String::from_utf8_lossy(&reply.body),
        };
        Ok(xml::blocks(&text, "QueueMessage")
            .into_iter()
            .map(|m| {
                // Azure's order; any other order is found too, only slower.
                let [id, receipt, body] =
                    xml::in_order(m, ["MessageId", "PopReceipt", "MessageText"]);
                Received {
                    id: id.unwrap_or_default(),
                    receipt: receipt.unwrap_or_default(),
                    body: body.unwrap_or_default(),
                }
            })
            .collect())
    }

    pub async fn delete(&self, q: &QueueRef, msgs: &[Received]) -> Result<Batch, OpError> {
        let deletes = msgs.iter().map(|m| {
            let path = format!("{}/messages/{}", q.url, m.id);
            async move {
                self.call(
                    Method::DELETE,
                    &path,
                    &[("popreceipt", &m.receipt)],
                    String::new(),
                )
                .await
            }
        });
        collect(deletes).await
    }
}

/// `path?k=v&…` with the values percent-encoded.
fn request_target(path: &str, query: &[(&str, &str)]) -> String {
    let mut uri = String::with_capacity(
        path.len()
            + 16
            + query
                .iter()
                .map(|(k, v)| k.len() + 3 * v.len() + 2)
                .sum::<usize>(),
    );
    uri.push_str(path);
    for (i, (k, v)) in query.iter().enumerate() {
        uri.push(if i == 0 { '?' } else { '&' });
        uri.push_str(k);
        uri.push('=');
        uri.extend(utf8_percent_encode(v, NON_ALPHANUMERIC));
    }
    uri
}

/// Per-request outcomes of parallel single-message requests as one batch result. The requests
/// run as a `FuturesUnordered`, which polls only the request that was woken (`join_all` polls
/// every pending one on each wake-up: quadratic in the 32 deletes of a full receive).
async fn collect<F>(requests: impl Iterator<Item = F>) -> Result<Batch, OpError>
where
    F: std::future::Future<Output = Result<crate::transport::Reply, OpError>>,
{
    let mut pending: FuturesUnordered<F> = requests.collect();
    let mut batch = Batch::default();
    while let Some(r) = pending.next().await {
        match r.and_then(success) {
            Ok(_) => batch.ok += 1,
            Err(e) => batch.failed.push(e.code),
        }
    }
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_encoding_matches_the_generic_encoder() {
        for (method, content_type, body) in [
            (Method::POST, "application/xml", "<QueueMessage/>"),
            (Method::DELETE, "", ""),
            (Method::GET, "", ""),
        ] {
            let parts = Parts {
                method: &method,
                target: "/acc/q/messages?popreceipt=AA%2B",
                host: "127.0.0.1:10001",
                date: "Tue, 01 Jul 2025 10:00:00 GMT",
                authorization: "SharedKey acc:c2ln",
                content_type,
                body: body.as_bytes(),
            };
            let mut builder = http::Request::builder()
                .method(method.clone())
                .uri(parts.target)
                .header("host", parts.host)
                .header("x-ms-date", parts.date)
                .header("x-ms-version", VERSION)
                .header("authorization", parts.authorization);
            if !content_type.is_empty() {
                builder = builder.header("content-type", content_type);
            }
            let req = builder.body(bytes::Bytes::from(body)).unwrap();
            let mut expected = Vec::new();
            crate::http1::encode_request(&req, &mut expected);
            assert_eq!(
                String::from_utf8(parts.encode()).unwrap(),
                String::from_utf8(expected).unwrap()
            );
        }
        assert!(wire_safe("SharedKey a:b", true));
        assert!(!wire_safe("SharedKey a:b", false));
        assert!(!wire_safe("a\r\nb", true));
    }

    #[test]
    fn request_targets_encode_values() {
        assert_eq!(request_target("/a/q", &[]), "/a/q");
        assert_eq!(
            request_target("/a/q/messages/1", &[("popreceipt", "AA+/x="), ("n", "3")]),
            "/a/q/messages/1?popreceipt=AA%2B%2Fx%3D&n=3"
        );
    }
}
