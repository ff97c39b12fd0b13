//! Azure Queue Storage client (path-style `/{account}/{queue}/messages`, XML bodies), signed
//! with SharedKey. Azure has no batch send and no long polling: a send is one Put Message, a
//! receive asks for up to 32 messages, and a delete of several messages is one request per
//! message, issued in parallel.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::future::join_all;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use super::{exchange, success, Batch, OpError, QueueRef, Received};
use crate::sign::SharedKey;
use crate::transport::Transport;
use crate::xml;

/// A service version every current SDK and emulator accepts.
pub const VERSION: &str = "2021-12-02";

pub struct Azure {
    pub transport: Arc<Transport>,
    pub signer: SharedKey,
}

impl Azure {
    pub fn new(transport: Arc<Transport>, signer: SharedKey) -> Self {
        Azure { transport, signer }
    }

    /// `path` starts with `/{account}`; `query` pairs are unencoded.
    async fn call(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: String,
    ) -> Result<crate::transport::Reply, OpError> {
        let date = httpdate::fmt_http_date(SystemTime::now());
        let content_type = if body.is_empty() {
            ""
        } else {
            "application/xml"
        };
        let ms = [("x-ms-date", date.as_str()), ("x-ms-version", VERSION)];
        let text = self
            .signer
            .string_to_sign(method, body.len(), content_type, &ms, path, query);
        let mut uri = path.to_string();
        for (i, (k, v)) in query.iter().enumerate() {
            uri.push(if i == 0 { '?' } else { '&' });
            uri.push_str(k);
            uri.push('=');
            uri.extend(utf8_percent_encode(v, NON_ALPHANUMERIC));
        }
        let mut builder = http::Request::builder()
            .method(method)
            .uri(uri)
            .header("host", &self.transport.endpoint.authority)
            .header("x-ms-date", &date)
            .header("x-ms-version", VERSION)
            .header("authorization", self.signer.authorization(&text));
        if !content_type.is_empty() {
            builder = builder.header("content-type", content_type);
        }
        exchange(&self.transport, builder, Bytes::from(body), 0).await
    }

    fn queue_path(&self, name: &str) -> String {
        format!("/{}/{}", self.signer.account, name)
    }

    pub async fn create_queue(&self, name: &str) -> Result<QueueRef, OpError> {
        let path = self.queue_path(name);
        success(self.call("PUT", &path, &[], String::new()).await?)?;
        Ok(QueueRef {
            name: name.into(),
            url: path,
        })
    }

    pub async fn delete_queue(&self, q: &QueueRef) -> Result<(), OpError> {
        success(self.call("DELETE", &q.url, &[], String::new()).await?).map(drop)
    }

    /// One Put Message per body (the bench sends one body per call for Azure).
    pub async fn send(&self, q: &QueueRef, bodies: &[String]) -> Result<Batch, OpError> {
        let path = format!("{}/messages", q.url);
        let puts = bodies.iter().map(|b| {
            let body = format!(
                "<QueueMessage><MessageText>{}</MessageText></QueueMessage>",
                xml::escape(b)
            );
            self.call("POST", &path, &[], body)
        });
        collect(join_all(puts).await)
    }

    pub async fn receive(&self, q: &QueueRef, max: usize) -> Result<Vec<Received>, OpError> {
        let path = format!("{}/messages", q.url);
        let n = max.clamp(1, 32).to_string();
        let reply = success(
            self.call("GET", &path, &[("numofmessages", &n)], String::new())
                .await?,
        )?;
        let text = String::from_utf8_lossy(&reply.body);
        Ok(xml::blocks(&text, "QueueMessage")
            .into_iter()
            .map(|m| Received {
                id: xml::first(m, "MessageId").unwrap_or_default(),
                receipt: xml::first(m, "PopReceipt").unwrap_or_default(),
                body: xml::first(m, "MessageText").unwrap_or_default(),
            })
            .collect())
    }

    pub async fn delete(&self, q: &QueueRef, msgs: &[Received]) -> Result<Batch, OpError> {
        let deletes = msgs.iter().map(|m| {
            let path = format!("{}/messages/{}", q.url, m.id);
            async move {
                self.call(
                    "DELETE",
                    &path,
                    &[("popreceipt", &m.receipt)],
                    String::new(),
                )
                .await
            }
        });
        collect(join_all(deletes).await)
    }
}

/// Per-request outcomes of parallel single-message requests as one batch result.
fn collect(results: Vec<Result<crate::transport::Reply, OpError>>) -> Result<Batch, OpError> {
    let mut batch = Batch::default();
    for r in results {
        match r.and_then(success) {
            Ok(_) => batch.ok += 1,
            Err(e) => batch.failed.push(e.code),
        }
    }
    Ok(batch)
}
