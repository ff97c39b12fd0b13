//! ReceiveMessage, BatchReceiveMessage, PeekMessage, BatchPeekMessage, DeleteMessage,
//! BatchDeleteMessage and ChangeMessageVisibility.

use std::time::Duration;

use polyq_core::{Message, Receipt, ReceiveOptions, VisibilityChange};

use crate::error::{MnsError, MnsResult};
use crate::route::Query;
use crate::send::{body_md5, mns_type, property_text, MAX_BATCH};
use crate::xml::{self, Writer};
use crate::{Ctx, Reply};

pub const MAX_WAIT_SECONDS: u64 = 30;
pub const MAX_VISIBILITY_TIMEOUT: u64 = 43_200;

/// Receipt handles are the core's opaque text (URL-safe hex), shared with the other dialects.
pub fn decode_handle(text: &str) -> MnsResult<Receipt> {
    Receipt::decode(text.trim()).ok_or_else(MnsError::receipt_handle_error)
}

fn ranged(query: &Query, key: &str, low: u64, high: u64, unit: &str) -> MnsResult<Option<u64>> {
    match query.get(key) {
        None => Ok(None),
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if (low..=high).contains(&n) => Ok(Some(n)),
            _ => Err(MnsError::out_of_range(key, low, high, unit)),
        },
    }
}

/// Which fields a rendered message carries: a receive has a handle and NextVisibleTime, a peek not.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Received,
    Peeked,
}

/// The fields of one message in the documented order (Python requires every one of them).
fn write_fields(w: &mut Writer, m: &Message, shape: Shape) {
    let body = String::from_utf8_lossy(&m.body);
    w.field("MessageId", &m.id);
    if shape == Shape::Received {
        w.field("ReceiptHandle", m.receipt().encode());
    }
    w.field("MessageBodyMD5", body_md5(&m.body))
        .field("MessageBody", &body)
        .field("EnqueueTime", m.enqueued_ms);
    if shape == Shape::Received {
        w.field("NextVisibleTime", m.visible_ms);
    }
    w.field("FirstDequeueTime", m.first_receive_ms.unwrap_or(0))
        .field("DequeueCount", m.receive_count)
        .field("Priority", m.priority);
    if let Some(g) = &m.group_id {
        w.field("MessageGroupId", g);
    }
    for (list, entry, attrs) in [
        ("UserProperties", "PropertyValue", &m.attributes),
        (
            "SystemProperties",
            "SystemPropertyValue",
            &m.system_attributes,
        ),
    ] {
        if attrs.is_empty() {
            continue;
        }
        w.open(list);
        for (name, attr) in attrs {
            w.open(entry)
                .field("Name", name)
                .field("Value", property_text(&attr.value))
                .field("Type", mns_type(&attr.data_type))
                .close(entry);
        }
        w.close(list);
    }
}

/// Renders one message as a document of its own (`<Message>` root) or a batch (`<Messages>`).
fn render(ctx: &Ctx<'_>, messages: &[Message], batch: bool, shape: Shape) -> String {
    let ns = ctx.form.namespace();
    if batch {
        let mut w = Writer::new("Messages", ns);
        for m in messages {
            w.open("Message");
            write_fields(&mut w, m, shape);
            w.close("Message");
        }
        return w.finish("Messages");
    }
    let mut w = Writer::new("Message", ns);
    if let Some(m) = messages.first() {
        write_fields(&mut w, m, shape);
    }
    w.finish("Message")
}

pub async fn receive(ctx: &Ctx<'_>, queue: &str, query: &Query) -> MnsResult<Reply> {
    let count = ranged(query, "numOfMessages", 1, MAX_BATCH as u64, "")?;
    let batch = count.is_some();
    let max = count.unwrap_or(1) as usize;
    if query.flag("peekonly") {
        let found = ctx.service.peek(queue, max).await?;
        if found.is_empty() {
            return Err(MnsError::message_not_exist());
        }
        return Ok(Reply::xml(200, render(ctx, &found, batch, Shape::Peeked)));
    }
    let wait = ranged(query, "waitseconds", 0, MAX_WAIT_SECONDS, "seconds")?;
    let opts = ReceiveOptions {
        max_messages: max,
        visibility_seconds: None,
        // Absent: the queue's PollingWaitSeconds.
        wait: wait.map(Duration::from_secs),
        attempt_id: None,
    };
    let got = ctx.service.receive(queue, opts).await?;
    if got.is_empty() {
        return Err(MnsError::message_not_exist());
    }
    Ok(Reply::xml(200, render(ctx, &got, batch, Shape::Received)))
}

pub async fn delete(ctx: &Ctx<'_>, queue: &str, query: &Query) -> MnsResult<Reply> {
    if let Some(handle) = query.get("ReceiptHandle") {
        if handle.is_empty() {
            return Err(MnsError::missing_receipt_handle());
        }
        let receipt = decode_handle(handle)?;
        // A handle is valid until the message's NextVisibleTime (MNS): only while the message
        // is hidden under it (received, or delayed since the send that returned it).
        let result = ctx.service.delete_leased(queue, &[receipt]).await?;
        return match result.into_iter().next() {
            Some(Ok(())) => Ok(Reply::empty(204)),
            Some(Err(e)) => Err(e.into()),
            None => Err(MnsError::internal("delete returned no result")),
        };
    }
    if ctx.req.body.iter().all(u8::is_ascii_whitespace) {
        return Err(MnsError::missing_receipt_handle());
    }
    batch_delete(ctx, queue).await
}

async fn batch_delete(ctx: &Ctx<'_>, queue: &str) -> MnsResult<Reply> {
    let root = xml::parse(&ctx.req.body)?;
    if root.name != "ReceiptHandles" {
        return Err(MnsError::schema(&root.name));
    }
    let handles: Vec<String> = root
        .children_named("ReceiptHandle")
        .map(|h| h.text.trim().to_string())
        .collect();
    if handles.is_empty() || handles.len() > MAX_BATCH {
        return Err(MnsError::invalid_argument(format!(
            "The count of receipt handles in a batch should between 1 and {MAX_BATCH}."
        )));
    }
    let mut errors: Vec<(usize, MnsError)> = Vec::new();
    let mut valid: Vec<(usize, Receipt)> = Vec::new();
    for (i, h) in handles.iter().enumerate() {
        match decode_handle(h) {
            Ok(r) => valid.push((i, r)),
            Err(e) => errors.push((i, e)),
        }
    }
    let receipts: Vec<Receipt> = valid.iter().map(|(_, r)| *r).collect();
    let results = if receipts.is_empty() {
        // Still answer QueueNotExist for a missing queue.
        ctx.service.get_queue(queue).await?;
        Vec::new()
    } else {
        ctx.service.delete_leased(queue, &receipts).await?
    };
    for ((i, _), result) in valid.iter().zip(results) {
        if let Err(e) = result {
            errors.push((*i, e.into()));
        }
    }
    if errors.is_empty() {
        return Ok(Reply::empty(204));
    }
    errors.sort_by_key(|(i, _)| *i);
    // Failed handles only, each with exactly ErrorCode, ErrorMessage and ReceiptHandle.
    let mut w = Writer::new("Errors", ctx.form.namespace());
    for (i, e) in errors {
        w.open("Error")
            .field("ErrorCode", e.code)
            .field("ErrorMessage", &e.message)
            .field("ReceiptHandle", &handles[i])
            .close("Error");
    }
    Ok(Reply::xml(404, w.finish("Errors")))
}

pub async fn change_visibility(ctx: &Ctx<'_>, queue: &str, query: &Query) -> MnsResult<Reply> {
    let handle = query
        .get("ReceiptHandle")
        .filter(|h| !h.is_empty())
        .ok_or_else(MnsError::missing_receipt_handle)?;
    if query.get("VisibilityTimeout").is_none_or(str::is_empty) {
        return Err(MnsError::missing_visibility_timeout());
    }
    let seconds = ranged(
        query,
        "VisibilityTimeout",
        1,
        MAX_VISIBILITY_TIMEOUT,
        "seconds",
    )?
    .unwrap_or(1) as u32;
    let change = VisibilityChange {
        receipt: decode_handle(handle)?,
        visibility_seconds: seconds,
        // The handle the client holds stays valid: Alibaba's own PHP SDK suite (QueueTest
        // testMessage, run against the live service) deletes with the receive's handle after
        // changing the visibility. MNS's new handle differs only in the NextVisibleTime it
        // encodes; ours is the same lease, so the answer repeats it. A later receive still
        // retires it.
        renew_receipt: false,
        // A handle works until its NextVisibleTime: MNS's ChangeMessageVisibility applies to a
        // message still Inactive and answers MessageNotExist (404) once it is visible again,
        // as DeleteMessage does here.
        require_hidden: true,
        accept_older_receipt: false,
        max_total_seconds: None,
    };
    let relet = ctx
        .service
        .change_visibility(queue, &[change])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| MnsError::internal("change_visibility returned no result"))??;
    let root = ctx.form.change_visibility_root();
    let mut w = Writer::new(root, ctx.form.namespace());
    w.field("ReceiptHandle", relet.receipt.encode())
        .field("NextVisibleTime", relet.visible_ms);
    Ok(Reply::xml(200, w.finish(root)))
}
