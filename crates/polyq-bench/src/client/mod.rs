//! The queue clients, one per wire API, behind one small enum so the load loops are written
//! once. Each client builds, signs and sends real vendor requests and parses real responses.

pub mod azure;
mod date;
pub mod mns;
pub mod sqs;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::transport::{Reply, Transport, TransportError};
use crate::xml;

/// A queue as the client addresses it.
#[derive(Debug, Clone)]
pub struct QueueRef {
    pub name: String,
    /// SQS: the queue URL the server returned; MNS/Azure: the request path of the queue.
    pub url: String,
}

/// One received message.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub receipt: String,
    pub body: String,
}

/// A request that failed as a whole: the vendor error code, or a transport failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpError {
    /// Counted per code in the results.
    pub code: String,
    /// What went wrong in words, when the code alone does not say (a refused connection,
    /// a certificate that does not verify); shown when the run cannot start.
    pub detail: Option<String>,
}

impl From<TransportError> for OpError {
    fn from(e: TransportError) -> Self {
        let detail = match &e {
            TransportError::Connect(m) | TransportError::Io(m) => Some(m.clone()),
            TransportError::Timeout => None,
        };
        OpError {
            code: e.code(),
            detail,
        }
    }
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.code)?;
        match &self.detail {
            Some(d) => write!(f, " ({d})"),
            None => Ok(()),
        }
    }
}

/// Per-entry outcome of a batch operation: how many succeeded, and the codes of the others.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    pub ok: usize,
    pub failed: Vec<String>,
}

pub enum Client {
    Sqs(sqs::Sqs),
    Mns(mns::Mns),
    Azure(azure::Azure),
}

impl Client {
    pub fn transport(&self) -> &Arc<Transport> {
        match self {
            Client::Sqs(c) => &c.transport,
            Client::Mns(c) => &c.transport,
            Client::Azure(c) => &c.transport,
        }
    }

    /// Largest number of messages one send request carries.
    pub fn max_send_batch(&self) -> usize {
        match self {
            Client::Sqs(_) => 10,
            Client::Mns(_) => 16,
            Client::Azure(_) => 1,
        }
    }

    /// Largest number of messages one receive request asks for.
    pub fn max_receive(&self) -> usize {
        match self {
            Client::Sqs(_) => 10,
            Client::Mns(_) => 16,
            Client::Azure(_) => 32,
        }
    }

    /// Whether receive can wait on the server for a message (Azure has no long polling).
    pub fn long_poll(&self) -> bool {
        !matches!(self, Client::Azure(_))
    }

    pub async fn create_queue(&self, name: &str) -> Result<QueueRef, OpError> {
        match self {
            Client::Sqs(c) => c.create_queue(name).await,
            Client::Mns(c) => c.create_queue(name).await,
            Client::Azure(c) => c.create_queue(name).await,
        }
    }

    pub async fn delete_queue(&self, q: &QueueRef) -> Result<(), OpError> {
        match self {
            Client::Sqs(c) => c.delete_queue(q).await,
            Client::Mns(c) => c.delete_queue(q).await,
            Client::Azure(c) => c.delete_queue(q).await,
        }
    }

    /// Sends `bodies` in one request (a batch when there are several).
    pub async fn send(&self, q: &QueueRef, bodies: &[String]) -> Result<Batch, OpError> {
        match self {
            Client::Sqs(c) => c.send(q, bodies).await,
            Client::Mns(c) => c.send(q, bodies).await,
            Client::Azure(c) => c.send(q, bodies).await,
        }
    }

    pub async fn receive(
        &self,
        q: &QueueRef,
        max: usize,
        wait_seconds: u32,
    ) -> Result<Vec<Received>, OpError> {
        match self {
            Client::Sqs(c) => c.receive(q, max, wait_seconds).await,
            Client::Mns(c) => c.receive(q, max, wait_seconds).await,
            Client::Azure(c) => c.receive(q, max).await,
        }
    }

    /// Deletes `msgs` (one batch request; Azure: one request per message, in parallel).
    pub async fn delete(&self, q: &QueueRef, msgs: &[Received]) -> Result<Batch, OpError> {
        match self {
            Client::Sqs(c) => c.delete(q, msgs).await,
            Client::Mns(c) => c.delete(q, msgs).await,
            Client::Azure(c) => c.delete(q, msgs).await,
        }
    }
}

/// Sends a request built by a client. Long polls get their wait added to the timeout.
pub(crate) async fn exchange(
    transport: &Transport,
    builder: http::request::Builder,
    body: Bytes,
    wait_seconds: u32,
) -> Result<Reply, OpError> {
    let req = builder.body(body).map_err(|e| OpError {
        code: format!("BadRequestBuild({e})"),
        detail: None,
    })?;
    Ok(transport
        .send(req, Duration::from_secs(u64::from(wait_seconds)))
        .await?)
}

/// The vendor error code of a failed reply, from wherever the vendor puts it.
pub fn error_code(reply: &Reply) -> String {
    let header = |name: &str| {
        reply
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    if let Some(code) = header("x-ms-error-code") {
        return code;
    }
    if let Some(code) = header("x-amzn-query-error") {
        return code.split(';').next().unwrap_or(&code).to_string();
    }
    let text = String::from_utf8_lossy(&reply.body);
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
        if let Some(t) = v.get("__type").and_then(|t| t.as_str()) {
            return t.rsplit('#').next().unwrap_or(t).to_string();
        }
    }
    if let Some(code) = xml::first(&text, "Code") {
        return code;
    }
    format!("HTTP{}", reply.status)
}

/// `Ok(reply)` for a 2xx answer, the error code otherwise.
pub(crate) fn success(reply: Reply) -> Result<Reply, OpError> {
    if (200..300).contains(&reply.status) {
        Ok(reply)
    } else {
        Err(OpError {
            code: error_code(&reply),
            detail: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut map = http::HeaderMap::new();
        for (k, v) in headers {
            map.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        Reply {
            status,
            headers: map,
            body: Bytes::from(body.to_string()),
        }
    }

    #[test]
    fn error_codes_come_from_each_vendor_place() {
        assert_eq!(
            error_code(&reply(404, &[("x-ms-error-code", "QueueNotFound")], "")),
            "QueueNotFound"
        );
        assert_eq!(
            error_code(&reply(
                400,
                &[],
                r#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"x"}"#
            )),
            "QueueDoesNotExist"
        );
        assert_eq!(
            error_code(&reply(
                404,
                &[],
                "<Error><Code>QueueNotExist</Code></Error>"
            )),
            "QueueNotExist"
        );
        assert_eq!(
            error_code(&reply(
                400,
                &[(
                    "x-amzn-query-error",
                    "AWS.SimpleQueueService.NonExistentQueue;Sender"
                )],
                ""
            )),
            "AWS.SimpleQueueService.NonExistentQueue"
        );
        assert_eq!(error_code(&reply(503, &[], "busy")), "HTTP503");
    }
}
