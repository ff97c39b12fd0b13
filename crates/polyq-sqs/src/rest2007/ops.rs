//! The 2007 operations over the core. Messages are addressed by id in this API (receipt
//! handles came in 2008), so delete and visibility change look the message up with
//! `get_message` and act on its current lease.

use std::time::Duration;

use bytes::Bytes;
use polyq_core::{
    ids::seq_from_message_id, CoreError, NewMessage, QueueConfig, QueueService, ReceiveOptions,
    VisibilityChange,
};

use super::error::{Code2007, RestError, RestResult};
use super::route::{Op, Params};
use super::xml::Doc;
use crate::names::Account;

/// Largest message body of the 2007 API (256 KB).
pub const MAX_BODY: usize = 256 * 1024;
/// Queue and message visibility timeouts of the 2007 API: 0 to 24 hours.
pub const MAX_VISIBILITY: u32 = 86_400;
/// Most messages one `GET …/front` may return.
pub const MAX_RECEIVE: u32 = 256;
/// How often a by-id operation retries when a receive re-leased the message meanwhile.
const LEASE_RETRIES: usize = 3;

pub struct Ctx<'a> {
    pub service: &'a QueueService,
    pub account: &'a Account,
    /// `scheme://host` as the client addressed us, for queue URLs.
    pub origin: &'a str,
    pub sender_id: &'a str,
    pub params: &'a Params,
    pub body: &'a Bytes,
}

fn int_param(params: &Params, name: &str, min: u32, max: u32) -> RestResult<Option<u32>> {
    let Some(v) = params.get(name) else {
        return Ok(None);
    };
    match v.trim().parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(RestError::bad_value(
            name,
            v,
            &format!("Must be an integer from {min} to {max}."),
        )),
    }
}

fn visibility(params: &Params, name: &str) -> RestResult<u32> {
    int_param(params, name, 0, MAX_VISIBILITY)?.ok_or_else(|| RestError::missing(name))
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 80
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Runs `op` and returns the success document.
pub async fn run(op: Op, ctx: &Ctx<'_>, request_id: &str) -> RestResult<String> {
    let s = ctx.service;
    let p = ctx.params;
    let doc = match op {
        Op::CreateQueue => {
            let name = p
                .get("QueueName")
                .ok_or_else(|| RestError::missing("QueueName"))?;
            if !valid_name(name) {
                return Err(RestError::bad_value(
                    "QueueName",
                    name,
                    "Must be 1 to 80 alphanumeric characters, hyphens or underscores.",
                ));
            }
            let mut config = QueueConfig::default();
            if let Some(v) = int_param(p, "DefaultVisibilityTimeout", 0, MAX_VISIBILITY)? {
                config.visibility_timeout = v;
            }
            // An existing queue of that name is success with its URL (2007 semantics), even
            // when its settings differ.
            s.create_queue(name, config).await?;
            let mut d = Doc::new("CreateQueueResponse");
            d.leaf("QueueUrl", &ctx.account.queue_url(ctx.origin, name));
            d
        }
        Op::ListQueues => {
            let prefix = p.get("QueueNamePrefix").unwrap_or("");
            let queues = s.list_queues(prefix, None, 1000).await?;
            let mut d = Doc::new("ListQueuesResponse");
            for q in &queues {
                d.leaf("QueueUrl", &ctx.account.queue_url(ctx.origin, &q.name));
            }
            d
        }
        Op::DeleteQueue(q) => {
            let force = match p.get("ForceDeletion") {
                None | Some("false") => false,
                Some("true") => true,
                Some(v) => {
                    return Err(RestError::bad_value(
                        "ForceDeletion",
                        v,
                        "Must be true or false.",
                    ))
                }
            };
            let info = s.get_queue(&q).await?;
            let st = info.stats;
            if !force && st.visible + st.in_flight + st.delayed > 0 {
                return Err(RestError::new(
                    Code2007::NonEmptyQueue,
                    "The queue is not empty; delete its messages first or pass ForceDeletion=true.",
                ));
            }
            s.delete_queue(&q).await?;
            Doc::new("DeleteQueueResponse")
        }
        Op::SendMessage(q) => send(ctx, &q).await?,
        Op::ReceiveMessage(q) => {
            let max = int_param(p, "NumberOfMessages", 1, MAX_RECEIVE)?.unwrap_or(1);
            let vis = int_param(p, "VisibilityTimeout", 0, MAX_VISIBILITY)?;
            let messages = s
                .receive(
                    &q,
                    ReceiveOptions {
                        max_messages: max as usize,
                        visibility_seconds: vis,
                        // The 2007 API had no long polling: answer at once.
                        wait: Some(Duration::ZERO),
                        attempt_id: None,
                    },
                )
                .await?;
            let mut d = Doc::new("ReceiveMessageResponse");
            for m in &messages {
                d.message(&m.id, &String::from_utf8_lossy(&m.body));
            }
            d
        }
        Op::SetVisibilityTimeout(q) => {
            let v = visibility(p, "VisibilityTimeout")?;
            set_visibility(s, &q, v).await?;
            Doc::new("SetVisibilityTimeoutResponse")
        }
        Op::SetQueueAttributes(q) => {
            let attr = p.get("Attribute").unwrap_or("");
            if attr != "VisibilityTimeout" {
                return Err(RestError::bad_value(
                    "Attribute",
                    attr,
                    "The only settable attribute is VisibilityTimeout.",
                ));
            }
            let v = visibility(p, "Value")?;
            set_visibility(s, &q, v).await?;
            Doc::new("SetQueueAttributesResponse")
        }
        Op::GetVisibilityTimeout(q) => {
            let info = s.get_queue(&q).await?;
            let mut d = Doc::new("GetVisibilityTimeoutResponse");
            d.leaf(
                "VisibilityTimeout",
                &info.config.visibility_timeout.to_string(),
            );
            d
        }
        Op::GetQueueAttributes(q) => {
            let attr = p.get("Attribute").unwrap_or("");
            let info = s.get_queue(&q).await?;
            let count = info.stats.visible + info.stats.in_flight + info.stats.delayed;
            let vt = info.config.visibility_timeout.to_string();
            let n = count.to_string();
            let mut d = Doc::new("GetQueueAttributesResponse");
            match attr {
                "All" => d
                    .attribute("VisibilityTimeout", &vt)
                    .attribute("ApproximateNumberOfMessages", &n),
                "VisibilityTimeout" => d.attribute("VisibilityTimeout", &vt),
                "ApproximateNumberOfMessages" => d.attribute("ApproximateNumberOfMessages", &n),
                other => {
                    return Err(RestError::bad_value(
                        "Attribute",
                        other,
                        "Must be All, VisibilityTimeout or ApproximateNumberOfMessages.",
                    ))
                }
            };
            d
        }
        Op::PeekMessage { queue, id } => {
            let m = match s.get_message(&queue, &id).await {
                Err(CoreError::MessageNotFound) => return Err(RestError::no_message(&id)),
                other => other?,
            };
            let mut d = Doc::new("PeekMessageResponse");
            d.message(&m.id, &String::from_utf8_lossy(&m.body));
            d
        }
        Op::DeleteMessage { queue, id } => {
            if seq_from_message_id(&id).is_none() {
                return Err(RestError::bad_value(
                    "MessageId",
                    &id,
                    "It is not a message id this server issued.",
                ));
            }
            delete_by_id(s, &queue, &id).await?;
            Doc::new("DeleteMessageResponse")
        }
        Op::ChangeMessageVisibility { queue, id } => {
            let v = visibility(p, "VisibilityTimeout")?;
            change_by_id(s, &queue, &id, v).await?;
            Doc::new("ChangeMessageVisibilityResponse")
        }
    };
    Ok(doc.finish(request_id))
}

async fn send(ctx: &Ctx<'_>, queue: &str) -> RestResult<Doc> {
    let info = ctx.service.get_queue(queue).await?;
    if ctx.body.is_empty() {
        return Err(RestError::missing("message text (the HTTP body)"));
    }
    let limit = MAX_BODY.min(info.config.max_message_size as usize);
    if ctx.body.len() > limit {
        return Err(RestError::new(
            Code2007::MessageTooLong,
            format!(
                "The message is {} bytes; it may be at most {limit} bytes.",
                ctx.body.len()
            ),
        ));
    }
    let text = std::str::from_utf8(ctx.body).map_err(|_| {
        RestError::new(
            Code2007::InvalidMessageContents,
            "The message is not valid UTF-8 text.",
        )
    })?;
    if let Some(c) = crate::body::first_invalid_char(text) {
        return Err(RestError::new(
            Code2007::InvalidMessageContents,
            format!("The message contains the character #x{:X}, which is outside the allowed set #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.", c as u32),
        ));
    }
    let message = NewMessage {
        body: ctx.body.clone(),
        sender_id: Some(ctx.sender_id.to_string()),
        ..Default::default()
    };
    let mut results = ctx.service.send(queue, vec![message]).await?;
    let sent = results
        .pop()
        .unwrap_or_else(|| Err(CoreError::Storage("the store returned no result".into())))?;
    let mut d = Doc::new("SendMessageResponse");
    d.leaf("MessageId", &sent.id);
    Ok(d)
}

async fn set_visibility(s: &QueueService, queue: &str, v: u32) -> RestResult<()> {
    s.update_queue(
        queue,
        Box::new(move |c| {
            c.visibility_timeout = v;
            Ok(())
        }),
    )
    .await?;
    Ok(())
}

/// Deletes whatever lease the message is in; a message that is already gone is success, as
/// the API documents.
async fn delete_by_id(s: &QueueService, queue: &str, id: &str) -> RestResult<()> {
    for _ in 0..LEASE_RETRIES {
        let m = match s.get_message(queue, id).await {
            Err(CoreError::MessageNotFound) => return Ok(()),
            other => other?,
        };
        match s.delete(queue, &[m.receipt()]).await?.pop() {
            None | Some(Ok(())) | Some(Err(CoreError::MessageNotFound)) => return Ok(()),
            // Leased again between the look-up and the delete: look again.
            Some(Err(CoreError::ReceiptStale)) => continue,
            Some(Err(e)) => return Err(e.into()),
        }
    }
    Err(RestError::new(
        Code2007::ServiceUnavailable,
        "The message kept changing hands; retry the request.",
    ))
}

/// Hides (or reveals) the message for `v` seconds from now, whatever its state.
async fn change_by_id(s: &QueueService, queue: &str, id: &str, v: u32) -> RestResult<()> {
    for _ in 0..LEASE_RETRIES {
        let m = match s.get_message(queue, id).await {
            Err(CoreError::MessageNotFound) => return Err(RestError::no_message(id)),
            other => other?,
        };
        let change = VisibilityChange {
            receipt: m.receipt(),
            visibility_seconds: v,
            renew_receipt: false,
            // 2007 could hide a message that was never received (a lock by id).
            require_hidden: false,
            accept_older_receipt: true,
            max_total_seconds: None,
        };
        match s.change_visibility(queue, &[change]).await?.pop() {
            None | Some(Ok(_)) => return Ok(()),
            Some(Err(CoreError::MessageNotFound)) => return Err(RestError::no_message(id)),
            Some(Err(CoreError::ReceiptStale)) => continue,
            Some(Err(e)) => return Err(e.into()),
        }
    }
    Err(RestError::new(
        Code2007::ServiceUnavailable,
        "The message kept changing hands; retry the request.",
    ))
}
