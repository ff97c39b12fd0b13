//! Amazon SQS client over the JSON 1.0 protocol (`X-Amz-Target: AmazonSQS.<Action>`) or the
//! query protocol (form `Action=<Action>`, XML answers), SigV4-signed. Every request is a
//! `POST /` naming its queue by `QueueUrl`, as the AWS SDKs send them.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Value};

use super::{exchange, success, Batch, OpError, QueueRef, Received};
use crate::sign::{amz_date, SigV4};
use crate::transport::Transport;
use crate::xml;

const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub struct Sqs {
    pub transport: Arc<Transport>,
    pub signer: SigV4,
    /// JSON 1.0 when true, query/XML otherwise.
    pub json: bool,
}

impl Sqs {
    pub fn new(transport: Arc<Transport>, signer: SigV4, json: bool) -> Self {
        Sqs {
            transport,
            signer,
            json,
        }
    }

    /// One action. JSON: `input` is the JSON input. Query: `input` is a flat object of form
    /// parameters (already in the query protocol's `Entry.N.Field` naming).
    async fn call(&self, action: &str, input: Value, wait: u32) -> Result<Bytes, OpError> {
        let date = amz_date(SystemTime::now());
        let host = self.transport.endpoint.authority.as_str();
        let target = format!("AmazonSQS.{action}");
        let (body, content_type) = if self.json {
            (
                serde_json::to_vec(&input).expect("JSON values serialise"),
                "application/x-amz-json-1.0",
            )
        } else {
            let mut form = format!("Action={action}&Version=2012-11-05");
            if let Value::Object(map) = &input {
                for (k, v) in map {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    form.push('&');
                    form.push_str(k);
                    form.push('=');
                    form.extend(utf8_percent_encode(&v, FORM));
                }
            }
            (form.into_bytes(), "application/x-www-form-urlencoded")
        };
        let mut signed = vec![("host", host), ("x-amz-date", date.as_str())];
        if self.json {
            signed.push(("x-amz-target", target.as_str()));
        }
        let auth = self
            .signer
            .authorization("POST", "/", "", &signed, &body, &date);
        let mut builder = http::Request::post("/")
            .header("host", host)
            .header("x-amz-date", &date)
            .header("content-type", content_type)
            .header("authorization", auth);
        if self.json {
            builder = builder.header("x-amz-target", &target);
        }
        let reply = exchange(&self.transport, builder, Bytes::from(body), wait).await?;
        Ok(success(reply)?.body)
    }

    pub async fn create_queue(&self, name: &str) -> Result<QueueRef, OpError> {
        let body = self
            .call("CreateQueue", json!({ "QueueName": name }), 0)
            .await?;
        let url = if self.json {
            serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("QueueUrl")?.as_str().map(str::to_string))
        } else {
            xml::first(&String::from_utf8_lossy(&body), "QueueUrl")
        };
        let url = url.ok_or_else(|| OpError {
            code: "NoQueueUrlInAnswer".into(),
            detail: None,
        })?;
        Ok(QueueRef {
            name: name.into(),
            url,
        })
    }

    pub async fn delete_queue(&self, q: &QueueRef) -> Result<(), OpError> {
        self.call("DeleteQueue", json!({ "QueueUrl": q.url }), 0)
            .await
            .map(drop)
    }

    pub async fn send(&self, q: &QueueRef, bodies: &[String]) -> Result<Batch, OpError> {
        if bodies.len() == 1 {
            let input = json!({ "QueueUrl": q.url, "MessageBody": bodies[0] });
            self.call("SendMessage", input, 0).await?;
            return Ok(Batch {
                ok: 1,
                failed: vec![],
            });
        }
        let input = if self.json {
            let entries: Vec<Value> = bodies
                .iter()
                .enumerate()
                .map(|(i, b)| json!({ "Id": i.to_string(), "MessageBody": b }))
                .collect();
            json!({ "QueueUrl": q.url, "Entries": entries })
        } else {
            let mut map = serde_json::Map::new();
            map.insert("QueueUrl".into(), q.url.clone().into());
            for (i, b) in bodies.iter().enumerate() {
                let n = i + 1;
                map.insert(
                    format!("SendMessageBatchRequestEntry.{n}.Id"),
                    i.to_string().into(),
                );
                map.insert(
                    format!("SendMessageBatchRequestEntry.{n}.MessageBody"),
                    b.clone().into(),
                );
            }
            Value::Object(map)
        };
        let body = self.call("SendMessageBatch", input, 0).await?;
        Ok(self.batch_result(&body))
    }

    /// Successful and failed entries of a batch answer.
    fn batch_result(&self, body: &[u8]) -> Batch {
        if self.json {
            let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let ok = v
                .get("Successful")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let failed = v
                .get("Failed")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|e| {
                            e.get("Code")
                                .and_then(Value::as_str)
                                .unwrap_or("Failed")
                                .to_string()
                        })
                        .collect()
                })
                .unwrap_or_default();
            Batch { ok, failed }
        } else {
            let text = String::from_utf8_lossy(body);
            let ok = xml::blocks(&text, "SendMessageBatchResultEntry").len()
                + xml::blocks(&text, "DeleteMessageBatchResultEntry").len();
            let failed = xml::blocks(&text, "BatchResultErrorEntry")
                .into_iter()
                .map(|e| xml::first(e, "Code").unwrap_or_else(|| "Failed".into()))
                .collect();
            Batch { ok, failed }
        }
    }

    pub async fn receive(
        &self,
        q: &QueueRef,
        max: usize,
        wait: u32,
    ) -> Result<Vec<Received>, OpError> {
        let input = json!({
            "QueueUrl": q.url,
            "MaxNumberOfMessages": max.clamp(1, 10),
            "WaitTimeSeconds": wait,
        });
        let body = self.call("ReceiveMessage", input, wait).await?;
        if self.json {
            let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let field =
                |m: &Value, k: &str| m.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            Ok(v.get("Messages")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|m| Received {
                            id: field(m, "MessageId"),
                            receipt: field(m, "ReceiptHandle"),
                            body: field(m, "Body"),
                        })
                        .collect()
                })
                .unwrap_or_default())
        } else {
            let text = String::from_utf8_lossy(&body);
            Ok(xml::blocks(&text, "Message")
                .into_iter()
                .map(|m| Received {
                    id: xml::first(m, "MessageId").unwrap_or_default(),
                    receipt: xml::first(m, "ReceiptHandle").unwrap_or_default(),
                    body: xml::first(m, "Body").unwrap_or_default(),
                })
                .collect())
        }
    }

    pub async fn delete(&self, q: &QueueRef, msgs: &[Received]) -> Result<Batch, OpError> {
        if msgs.len() == 1 {
            let input = json!({ "QueueUrl": q.url, "ReceiptHandle": msgs[0].receipt });
            self.call("DeleteMessage", input, 0).await?;
            return Ok(Batch {
                ok: 1,
                failed: vec![],
            });
        }
        let input = if self.json {
            let entries: Vec<Value> = msgs
                .iter()
                .enumerate()
                .map(|(i, m)| json!({ "Id": i.to_string(), "ReceiptHandle": m.receipt }))
                .collect();
            json!({ "QueueUrl": q.url, "Entries": entries })
        } else {
            let mut map = serde_json::Map::new();
            map.insert("QueueUrl".into(), q.url.clone().into());
            for (i, m) in msgs.iter().enumerate() {
                let n = i + 1;
                map.insert(
                    format!("DeleteMessageBatchRequestEntry.{n}.Id"),
                    i.to_string().into(),
                );
                map.insert(
                    format!("DeleteMessageBatchRequestEntry.{n}.ReceiptHandle"),
                    m.receipt.clone().into(),
                );
            }
            Value::Object(map)
        };
        let body = self.call("DeleteMessageBatch", input, 0).await?;
        Ok(self.batch_result(&body))
    }
}
