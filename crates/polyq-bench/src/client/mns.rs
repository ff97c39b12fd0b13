//! Alibaba Cloud MNS client (2015-06-06 `/queues/...` API, XML bodies), signed with the
//! `MNS AccessKeyId:Signature` HMAC-SHA1 scheme.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use super::{error_code, exchange, success, Batch, OpError, QueueRef, Received};
use crate::sign::{mns_authorization, mns_string_to_sign};
use crate::transport::Transport;
use crate::xml;

const NS: &str = "http://mns.aliyuncs.com/doc/v1/";
const VERSION: &str = "2015-06-06";
const CONTENT_TYPE: &str = "text/xml;charset=utf-8";

pub struct Mns {
    pub transport: Arc<Transport>,
    pub access_key: String,
    pub secret: String,
}

impl Mns {
    pub fn new(transport: Arc<Transport>, access_key: &str, secret: &str) -> Self {
        Mns {
            transport,
            access_key: access_key.into(),
            secret: secret.into(),
        }
    }

    /// Signs and sends one request; answers the raw reply (MNS answers an empty receive with
    /// 404 `MessageNotExist`, which callers treat as success).
    async fn call(
        &self,
        method: &str,
        resource: &str,
        body: String,
        wait: u32,
    ) -> Result<crate::transport::Reply, OpError> {
        let date = httpdate::fmt_http_date(SystemTime::now());
        let text = mns_string_to_sign(
            method,
            "",
            CONTENT_TYPE,
            &date,
            &[("x-mns-version", VERSION)],
            resource,
        );
        let auth = mns_authorization(&self.access_key, &self.secret, &text);
        let builder = http::Request::builder()
            .method(method)
            .uri(resource)
            .header("host", &self.transport.endpoint.authority)
            .header("date", &date)
            .header("content-type", CONTENT_TYPE)
            .header("x-mns-version", VERSION)
            .header("authorization", auth);
        exchange(&self.transport, builder, Bytes::from(body), wait).await
    }

    pub async fn create_queue(&self, name: &str) -> Result<QueueRef, OpError> {
        let path = format!("/queues/{}", utf8_percent_encode(name, NON_ALPHANUMERIC));
        let body = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Queue xmlns="{NS}"><VisibilityTimeout>30</VisibilityTimeout></Queue>"#
        );
        success(self.call("PUT", &path, body, 0).await?)?;
        Ok(QueueRef {
            name: name.into(),
            url: path,
        })
    }

    pub async fn delete_queue(&self, q: &QueueRef) -> Result<(), OpError> {
        success(self.call("DELETE", &q.url, String::new(), 0).await?).map(drop)
    }

    pub async fn send(&self, q: &QueueRef, bodies: &[String]) -> Result<Batch, OpError> {
        let one = |b: &String| {
            format!(
                "<Message><MessageBody>{}</MessageBody></Message>",
                xml::escape(b)
            )
        };
        let body = if bodies.len() == 1 {
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Message xmlns="{NS}"><MessageBody>{}</MessageBody></Message>"#,
                xml::escape(&bodies[0])
            )
        } else {
            let items: String = bodies.iter().map(one).collect();
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Messages xmlns="{NS}">{items}</Messages>"#
            )
        };
        let reply = self
            .call("POST", &format!("{}/messages", q.url), body, 0)
            .await?;
        batch_result(reply, bodies.len())
    }

    pub async fn receive(
        &self,
        q: &QueueRef,
        max: usize,
        wait: u32,
    ) -> Result<Vec<Received>, OpError> {
        let mut resource = format!("{}/messages?", q.url);
        if max > 1 {
            resource.push_str(&format!("numOfMessages={}&", max.min(16)));
        }
        resource.push_str(&format!("waitseconds={wait}"));
        let reply = self.call("GET", &resource, String::new(), wait).await?;
        if reply.status == 404 && error_code(&reply) == "MessageNotExist" {
            return Ok(Vec::new());
        }
        let reply = success(reply)?;
        let text = String::from_utf8_lossy(&reply.body);
        Ok(xml::blocks(&text, "Message")
            .into_iter()
            .map(|m| Received {
                id: xml::first(m, "MessageId").unwrap_or_default(),
                receipt: xml::first(m, "ReceiptHandle").unwrap_or_default(),
                body: xml::first(m, "MessageBody").unwrap_or_default(),
            })
            .collect())
    }

    pub async fn delete(&self, q: &QueueRef, msgs: &[Received]) -> Result<Batch, OpError> {
        if msgs.len() == 1 {
            let resource = format!(
                "{}/messages?ReceiptHandle={}",
                q.url,
                utf8_percent_encode(&msgs[0].receipt, NON_ALPHANUMERIC)
            );
            success(self.call("DELETE", &resource, String::new(), 0).await?)?;
            return Ok(Batch {
                ok: 1,
                failed: vec![],
            });
        }
        let handles: String = msgs
            .iter()
            .map(|m| format!("<ReceiptHandle>{}</ReceiptHandle>", xml::escape(&m.receipt)))
            .collect();
        let body = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><ReceiptHandles xmlns="{NS}">{handles}</ReceiptHandles>"#
        );
        let reply = self
            .call("DELETE", &format!("{}/messages", q.url), body, 0)
            .await?;
        batch_result(reply, msgs.len())
    }
}

/// MNS batch answers: 2xx means every entry succeeded; otherwise the body may list per-entry
/// `<ErrorCode>`s (partial failure), or be one `<Error>` for the whole request.
fn batch_result(reply: crate::transport::Reply, entries: usize) -> Result<Batch, OpError> {
    if (200..300).contains(&reply.status) {
        return Ok(Batch {
            ok: entries,
            failed: vec![],
        });
    }
    let text = String::from_utf8_lossy(&reply.body).into_owned();
    let failed = xml::all(&text, "ErrorCode");
    if failed.is_empty() {
        return Err(OpError {
            code: error_code(&reply),
            detail: None,
        });
    }
    Ok(Batch {
        ok: entries.saturating_sub(failed.len()),
        failed,
    })
}
