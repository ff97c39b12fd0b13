//! Message operations: Put, Get, Peek, Delete, Clear, Update, with Azure's ranges
//! (`numofmessages` 1..=32, visibility 0/1..=7 days, `messagettl` positive or -1) and its
//! 64 KiB message limit.

use std::time::Duration;

use bytes::Bytes;
use polyq_core::ids::seq_from_message_id;
use polyq_core::{Message, MessageTtl, NewMessage, Receipt, ReceiveOptions, VisibilityChange};
use polyq_http::Request;

use crate::error::{AzError, AzResult};
use crate::handler::{Ctx, Reply};
use crate::queues::SEVEN_DAYS;
use crate::time::{rfc1123, rfc1123_into, NEVER_EXPIRES_MS};
use crate::xml::{self, elem, DECL};
use crate::AzureDialect;

/// Largest MessageText, in UTF-8 bytes (64 KiB, API 2011-08-18 and later).
pub const MAX_MESSAGE_BYTES: usize = 65_536;
/// Largest request body of Put / Update Message (128.5 KiB): Azure checks it before the text,
/// so a heavily escaped text within 64 KiB can still be too large (recorded answers of the
/// live service: `<MaxLimit>131584</MaxLimit>` in Azure/azure-sdk-for-net#32663 and
/// microsoft/onefuzz#3058, #3381; `<MaxLimit>65536</MaxLimit>` for a text over 64 KiB).
pub const MAX_BODY_BYTES: usize = 131_584;
const MAX_VISIBILITY: i64 = 7 * 24 * 3600;

/// An integer query parameter within `min..=max`, or `default` when absent.
fn int_param(
    ctx: &Ctx,
    name: &str,
    default: Option<i64>,
    min: i64,
    max: i64,
) -> AzResult<Option<i64>> {
    let Some(v) = ctx.q(name) else {
        return Ok(default);
    };
    let n: i64 = v
        .trim()
        .parse()
        .map_err(|_| AzError::invalid_query(name, v, "Not a valid integer"))?;
    if n < min || n > max {
        return Err(AzError::out_of_range(name, v, min, max));
    }
    Ok(Some(n))
}

/// First service version whose messages may live longer than seven days, or for ever (-1).
const UNLIMITED_TTL_SINCE: &str = "2017-07-29";

/// First service version whose Put Message answer carries the message (id, pop receipt,
/// times) in its body; earlier versions answer 201 with no body (Put Message's reference;
/// azure-storage-python 0.34.0 added the returned message for this version).
const PUT_MESSAGE_BODY_SINCE: &str = "2016-05-31";

pub(crate) fn too_large(limit: usize) -> AzError {
    AzError::new(
        413,
        "RequestBodyTooLarge",
        "The request body is too large and exceeds the maximum permissible limit.",
    )
    .detail("MaxLimit", limit.to_string())
}

/// The MessageText of a `QueueMessage` body.
fn message_text(body: &[u8]) -> AzResult<String> {
    if body.len() > MAX_BODY_BYTES {
        return Err(too_large(MAX_BODY_BYTES));
    }
    let text = match xml::plain_message_text(body) {
        Some(t) => t.to_string(),
        None => {
            let root = xml::parse(body).ok_or_else(AzError::invalid_xml)?;
            match (root.name.as_str(), root.child("MessageText")) {
                ("QueueMessage", Some(t)) => t.text.clone(),
                _ => return Err(AzError::invalid_xml()),
            }
        }
    };
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(too_large(MAX_MESSAGE_BYTES));
    }
    // XML 1.0 cannot carry most control characters, raw or as character references; Azure's
    // parser refuses such a document (the Python SDK's encodings test sends U+0001 unencoded),
    // so a message polyq accepted could never be read back by a strict XML client either.
    if !xml::is_xml_text(&text) {
        return Err(AzError::invalid_xml().detail("Reason", "Error parsing Xml content"));
    }
    Ok(text)
}

/// Standard padded base64 (what .NET's `Convert.FromBase64String` accepts, less whitespace).
fn is_base64(text: &str) -> bool {
    use base64::engine::{general_purpose, GeneralPurpose};
    use base64::{alphabet, Engine};
    // .NET ignores the unused bits of the last character; the crate's default refuses them.
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &alphabet::STANDARD,
        general_purpose::PAD.with_decode_allow_trailing_bits(true),
    );
    !text.is_empty() && LENIENT.decode(text).is_ok()
}

fn expiry(m_expires: Option<u64>) -> u64 {
    m_expires.unwrap_or(NEVER_EXPIRES_MS).min(NEVER_EXPIRES_MS)
}

impl AzureDialect {
    /// Decodes `popreceipt` and checks it belongs to the message in the path.
    async fn receipt_for(&self, ctx: &Ctx) -> AzResult<Receipt> {
        let text = ctx
            .q("popreceipt")
            .ok_or_else(|| AzError::missing_query("popreceipt"))?;
        let receipt = match Receipt::decode(text) {
            Some(r) => r,
            // Azure's pop receipts are base64: one that is not fails as malformed (400), one
            // that is but names no message of this queue is "not found" (recorded answers of
            // the Java and .NET SDK suites: `receipt + "Random"` → 400, a random base64 word
            // with a random id → 404). polyq's own receipts are hex, a subset of base64.
            None if is_base64(text) => return Err(AzError::message_not_found()),
            None => {
                return Err(AzError::invalid_query(
                    "popreceipt",
                    text,
                    "Invalid pop receipt format",
                ))
            }
        };
        match seq_from_message_id(&ctx.message_id) {
            Some(seq) if seq == receipt.seq => Ok(receipt),
            // A receipt of another message: a mismatch if the message in the path exists,
            // else that message is not found (every recorded wrong-id case is a 404).
            Some(_) => match self.service.get_message(&ctx.queue, &ctx.message_id).await {
                Ok(_) => Err(AzError::pop_receipt_mismatch()),
                // MessageNotFound (404), or the queue's own error.
                Err(e) => Err(e.into()),
            },
            None => Err(AzError::message_not_found()),
        }
    }

    pub(crate) async fn put_message(&self, ctx: &Ctx, req: &Request) -> AzResult<Reply> {
        let visibility =
            int_param(ctx, "visibilitytimeout", Some(0), 0, MAX_VISIBILITY)?.unwrap_or(0);
        // Before 2017-07-29 a message lived at most seven days and -1 ("never") did not exist
        // (Put Message's reference; the storage emulator's recorded 400 for 691200 under
        // 2014-02-14 names exactly these bounds).
        if !ctx.version.is_empty() && ctx.version.as_str() < UNLIMITED_TTL_SINCE {
            int_param(ctx, "messagettl", None, 1, SEVEN_DAYS as i64)?;
        }
        let ttl = match ctx.q("messagettl") {
            None => MessageTtl::Seconds(SEVEN_DAYS),
            Some(v) => match v.trim().parse::<i64>() {
                Ok(-1) => MessageTtl::Never,
                Ok(n) if n >= 1 => {
                    // Azure clamps a huge TTL to its "never" date.
                    let far = (NEVER_EXPIRES_MS.saturating_sub(ctx.now_ms) / 1000) as i64;
                    if n >= far {
                        MessageTtl::Never
                    } else {
                        MessageTtl::Seconds(n as u64)
                    }
                }
                _ => {
                    return Err(AzError::invalid_query(
                        "messagettl",
                        v,
                        "messagettl must be -1 or a positive number of seconds",
                    ))
                }
            },
        };
        if let MessageTtl::Seconds(s) = ttl {
            if visibility as u64 >= s {
                return Err(AzError::invalid_query(
                    "visibilitytimeout",
                    ctx.q("visibilitytimeout").unwrap_or(""),
                    "messagettl must be greater than visibilitytimeout",
                ));
            }
        }
        let text = message_text(&req.body)?;
        let msg = NewMessage {
            body: Bytes::from(text),
            delay_seconds: Some(visibility as u32),
            ttl,
            ..NewMessage::default()
        };
        let sent = self
            .service
            .send(&ctx.queue, vec![msg])
            .await?
            .pop()
            .ok_or_else(|| AzError::internal("the store answered no result"))??;
        if !ctx.version.is_empty() && ctx.version.as_str() < PUT_MESSAGE_BODY_SINCE {
            return Ok(Reply::empty(201));
        }
        let mut out = String::with_capacity(420);
        out.push_str(DECL);
        out.push_str("<QueueMessagesList><QueueMessage>");
        elem(&mut out, "MessageId", &sent.id);
        time_elem(&mut out, "InsertionTime", sent.enqueued_ms);
        time_elem(&mut out, "ExpirationTime", expiry(sent.expires_ms));
        elem(&mut out, "PopReceipt", &sent.receipt.encode());
        time_elem(&mut out, "TimeNextVisible", sent.visible_ms);
        out.push_str("</QueueMessage></QueueMessagesList>");
        Ok(Reply::xml(201, out))
    }

    pub(crate) async fn get_messages(&self, ctx: &Ctx) -> AzResult<Reply> {
        let n = int_param(ctx, "numofmessages", Some(1), 1, 32)?.unwrap_or(1);
        let vis = int_param(ctx, "visibilitytimeout", Some(30), 1, MAX_VISIBILITY)?.unwrap_or(30);
        let messages = self
            .service
            .receive(
                &ctx.queue,
                ReceiveOptions {
                    max_messages: n as usize,
                    visibility_seconds: Some(vis as u32),
                    // Azure has no long polling.
                    wait: Some(Duration::ZERO),
                    attempt_id: None,
                },
            )
            .await?;
        Ok(Reply::xml(200, render_list(&messages, true)))
    }

    pub(crate) async fn peek_messages(&self, ctx: &Ctx) -> AzResult<Reply> {
        let n = int_param(ctx, "numofmessages", Some(1), 1, 32)?.unwrap_or(1);
        let messages = self.service.peek(&ctx.queue, n as usize).await?;
        Ok(Reply::xml(200, render_list(&messages, false)))
    }

    pub(crate) async fn delete_message(&self, ctx: &Ctx) -> AzResult<Reply> {
        let receipt = self.receipt_for(ctx).await?;
        self.service
            .delete(&ctx.queue, &[receipt])
            .await?
            .pop()
            .ok_or_else(|| AzError::internal("the store answered no result"))??;
        Ok(Reply::empty(204))
    }

    pub(crate) async fn clear_messages(&self, ctx: &Ctx) -> AzResult<Reply> {
        self.service.purge_queue(&ctx.queue).await?;
        Ok(Reply::empty(204))
    }

    pub(crate) async fn update_message(&self, ctx: &Ctx, req: &Request) -> AzResult<Reply> {
        let receipt = self.receipt_for(ctx).await?;
        let vis = int_param(ctx, "visibilitytimeout", None, 0, MAX_VISIBILITY)?
            .ok_or_else(|| AzError::missing_query("visibilitytimeout"))?;
        let text = if req.body.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            Some(message_text(&req.body)?)
        };
        let change = VisibilityChange {
            receipt,
            visibility_seconds: vis as u32,
            renew_receipt: true,
            require_hidden: false,
            accept_older_receipt: false,
            max_total_seconds: None,
        };
        let relet = self
            .service
            .update_message(&ctx.queue, change, text.map(Bytes::from))
            .await?;
        Ok(Reply::empty(204)
            .header("x-ms-popreceipt", relet.receipt.encode())
            .header("x-ms-time-next-visible", rfc1123(relet.visible_ms)))
    }
}

/// A `QueueMessagesList` document; pop receipts and next-visible times only for leased messages.
fn render_list(messages: &[Message], leased: bool) -> String {
    // About 360 bytes of markup, ids and times per message besides its text.
    let size: usize = messages.iter().map(|m| 400 + m.body.len()).sum();
    let mut out = String::with_capacity(DECL.len() + 40 + size);
    out.push_str(DECL);
    if messages.is_empty() {
        // Closed in place like every empty element Azure writes.
        out.push_str("<QueueMessagesList />");
        return out;
    }
    out.push_str("<QueueMessagesList>");
    for m in messages {
        out.push_str("<QueueMessage>");
        elem(&mut out, "MessageId", &m.id);
        time_elem(&mut out, "InsertionTime", m.enqueued_ms);
        time_elem(&mut out, "ExpirationTime", expiry(m.expires_ms));
        if leased {
            elem(&mut out, "PopReceipt", &m.receipt().encode());
            time_elem(&mut out, "TimeNextVisible", m.visible_ms);
        }
        elem(&mut out, "DequeueCount", &m.receive_count.to_string());
        // Bodies are UTF-8 unless stored by another dialect; check before copying lossily.
        match std::str::from_utf8(&m.body) {
            Ok(text) => elem(&mut out, "MessageText", text),
            Err(_) => elem(&mut out, "MessageText", &String::from_utf8_lossy(&m.body)),
        }
        out.push_str("</QueueMessage>");
    }
    out.push_str("</QueueMessagesList>");
    out
}

/// `<name>` + RFC 1123 time + `</name>` (times need no escaping).
fn time_elem(out: &mut String, name: &str, ms: u64) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    rfc1123_into(out, ms);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_shape_of_pop_receipts() {
        for ok in [
            "AgAAAAMAAAAAAAAAr/bU4jdS1QE=",
            "abcdefghijklmnopqrst",
            "ab+/cd==",
        ] {
            assert!(is_base64(ok), "{ok}");
        }
        for bad in [
            "",
            "AgAAAAMAAAAAAAAAr/bU4jdS1QE=Random",
            "abc",
            "a=bc",
            "ab-_",
            "a===",
        ] {
            assert!(!is_base64(bad), "{bad}");
        }
    }

    #[test]
    fn time_elements_match_escaped_elements() {
        for ms in [0, 1_476_047_070_000, NEVER_EXPIRES_MS] {
            let (mut a, mut b) = (String::new(), String::new());
            time_elem(&mut a, "InsertionTime", ms);
            elem(&mut b, "InsertionTime", &rfc1123(ms));
            assert_eq!(a, b);
        }
    }
}
