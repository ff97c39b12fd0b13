//! Sending, deleting and re-timing messages, one at a time and in batches.

use std::collections::HashSet;

use bytes::Bytes;
use md5::{Digest, Md5};
use polyq_core::{
    AttributeValue, CoreError, MessageAttribute, NewMessage, QueueInfo, Receipt, Sent,
    VisibilityChange,
};
use serde_json::{json, Map, Value};
use sha2::Sha256;

use super::Ctx;
use crate::error::{ErrorCode, SqsError, SqsResult};
use crate::input::Input;
use crate::{body, handle, msg_attrs};

pub const MAX_BATCH: usize = 10;
/// Largest batch payload (sum of bodies and attributes), as AWS today.
pub const MAX_BATCH_BYTES: usize = 1_048_576;

pub fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

/// A validated send: what goes to the core and what the response repeats.
struct PreparedSend {
    message: NewMessage,
    md5_body: String,
    md5_attrs: Option<String>,
    md5_system: Option<String>,
}

/// Whether an entry is a message of its own (SendMessage) or one of a SendMessageBatch: AWS
/// words some refusals differently for batch entries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sending {
    One,
    InBatch,
}

fn prepare(
    ctx: &Ctx<'_>,
    queue: &QueueInfo,
    input: &Input<'_>,
    sending: Sending,
) -> SqsResult<PreparedSend> {
    let text = input.opt_str("MessageBody")?.unwrap_or("");
    if text.is_empty() {
        return Err(SqsError::missing("MessageBody"));
    }
    if let Some(c) = body::first_invalid_char(text) {
        return Err(body::invalid_char_error(c as u32));
    }
    let attributes = msg_attrs::parse(input.object("MessageAttributes")?, false)?;
    let system_attributes = msg_attrs::parse(input.object("MessageSystemAttributes")?, true)?;
    let size = text.len() + msg_attrs::size(&attributes);
    let max = queue.config.max_message_size as usize;
    if size > max {
        // The AWS-validated LocalStack snapshots test_send_message_with_updated_maximum_message_size
        // and test_send_batch_message_size record the two wordings.
        let verb = match sending {
            Sending::One => "are invalid",
            Sending::InBatch => "cannot be validated",
        };
        return Err(SqsError::invalid_value(format!(
            "One or more parameters {verb}. Reason: Message must be shorter than {max} bytes."
        )));
    }
    let delay = input.opt_i64("DelaySeconds")?;
    if let Some(d) = delay {
        if !(0..=900).contains(&d) {
            return Err(SqsError::bad_param(
                "DelaySeconds",
                d,
                "DelaySeconds must be >= 0 and <= 900.",
            ));
        }
    }
    let group = input.opt_str("MessageGroupId")?;
    let dedup = input.opt_str("MessageDeduplicationId")?;
    for (name, v) in [("MessageGroupId", group), ("MessageDeduplicationId", dedup)] {
        if let Some(v) = v {
            let ok = !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_graphic());
            if !ok {
                return Err(SqsError::bad_param(name, v, &format!("{name} can only include alphanumeric and punctuation characters. 1 to 128 in length.")));
            }
        }
    }
    let fifo = queue.config.fifo;
    // A parameter the queue type does not take: SendMessage names it, a batch entry's
    // failure does not (recorded answers: construct-hub#905 for SendMessage; aws-sdk-js#4216
    // and #3187 for SendMessageBatch entries).
    let not_for_this_queue_type = |param: &str, value: &dyn std::fmt::Display| match sending {
        Sending::One => SqsError::bad_param(
            param,
            value,
            "The request include parameter that is not valid for this queue type.",
        ),
        Sending::InBatch => SqsError::invalid_value(
            "The request include parameter that is not valid for this queue type",
        ),
    };
    let dedup_id = if fifo {
        if group.is_none() {
            return Err(SqsError::missing("MessageGroupId"));
        }
        if let Some(d) = delay.filter(|d| *d != 0) {
            return Err(not_for_this_queue_type("DelaySeconds", &d));
        }
        match (dedup, queue.config.content_based_dedup) {
            (Some(d), _) => Some(d.to_string()),
            (None, true) => Some(content_dedup_id(text)),
            (None, false) => {
                return Err(SqsError::invalid_value(
                    "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
                ))
            }
        }
    } else {
        if let Some(d) = dedup {
            return Err(not_for_this_queue_type("MessageDeduplicationId", &d));
        }
        None
    };
    let md5_system = msg_attrs::md5_of(&system_attributes);
    let mut system_attributes = system_attributes;
    // An X-Ray trace header sent as the HTTP header `X-Amzn-Trace-Id` becomes the
    // AWSTraceHeader of every message of the SendMessage or SendMessageBatch (AWS-validated
    // LocalStack snapshot test_aws_trace_header_propagation; the X-Ray guide's SQS page says
    // so of batches); one given as a system attribute wins. The answer's
    // MD5OfMessageSystemAttributes stays that of the attributes the client sent, which is what
    // SDKs that check it compare with.
    if let Some(trace) = ctx.trace_header {
        if !system_attributes.contains_key("AWSTraceHeader") {
            system_attributes.insert(
                "AWSTraceHeader".into(),
                MessageAttribute {
                    data_type: "String".into(),
                    value: AttributeValue::String(trace.into()),
                },
            );
        }
    }
    Ok(PreparedSend {
        md5_body: md5_hex(text.as_bytes()),
        md5_attrs: msg_attrs::md5_of(&attributes),
        md5_system,
        message: NewMessage {
            body: Bytes::copy_from_slice(text.as_bytes()),
            attributes,
            system_attributes,
            priority: None,
            // A FIFO queue has no per-message delay: the only value it accepts, 0, leaves the
            // queue's DelaySeconds in force (AWS ignores it; a queue delay still applies).
            delay_seconds: if fifo { None } else { delay.map(|d| d as u32) },
            ttl: Default::default(),
            group_id: group.map(str::to_string),
            dedup_id,
            sender_id: Some(ctx.sender_id.to_string()),
        },
    })
}

fn sent_result(p: &PreparedSend, sent: &Sent, fifo: bool) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("MD5OfMessageBody".into(), p.md5_body.clone().into());
    if let Some(m) = &p.md5_attrs {
        out.insert("MD5OfMessageAttributes".into(), m.clone().into());
    }
    if let Some(m) = &p.md5_system {
        out.insert("MD5OfMessageSystemAttributes".into(), m.clone().into());
    }
    out.insert("MessageId".into(), sent.id.clone().into());
    if fifo {
        if let Some(n) = sent.sequence_number {
            out.insert("SequenceNumber".into(), format!("{n:020}").into());
        }
    }
    out
}

pub async fn send_message(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = ctx.queue_name(&input)?;
    let queue = ctx.service.get_queue(&name).await?;
    let prepared = prepare(ctx, &queue, &input, Sending::One)?;
    let mut results = ctx
        .service
        .send(&name, vec![prepared.message.clone()])
        .await?;
    let sent = results.pop().unwrap_or(Err(CoreError::Storage(
        "the store returned no result".into(),
    )))?;
    Ok(Value::Object(sent_result(
        &prepared,
        &sent,
        queue.config.fifo,
    )))
}

/// Checks batch-wide rules shared by the three batch actions and returns the entries.
/// `entry_name` is the action's entry shape, e.g. `SendMessageBatchRequestEntry`, for messages.
fn batch_entries<'a>(input: &Input<'a>, entry_name: &str) -> SqsResult<Vec<Input<'a>>> {
    let entries = input.list("Entries")?;
    if entries.is_empty() {
        return Err(SqsError::new(
            ErrorCode::EmptyBatchRequest,
            format!("There should be at least one {entry_name} in the request."),
        ));
    }
    if entries.len() > MAX_BATCH {
        return Err(SqsError::new(
            ErrorCode::TooManyEntriesInBatchRequest,
            format!(
                "Maximum number of entries per request are {MAX_BATCH}. You have sent {}.",
                entries.len()
            ),
        ));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for e in entries {
        let e = Input::of(e)?;
        let id = e.str("Id")?;
        if id.is_empty()
            || id.len() > 80
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(SqsError::new(
                ErrorCode::InvalidBatchEntryId,
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
            ));
        }
        if !seen.insert(id) {
            return Err(SqsError::new(
                ErrorCode::BatchEntryIdsNotDistinct,
                format!("Id {id} repeated."),
            ));
        }
        out.push(e);
    }
    Ok(out)
}

fn failure(id: &str, e: &SqsError) -> Value {
    json!({"Id": id, "SenderFault": e.code.sender_fault(), "Code": e.code.query_code(), "Message": e.message})
}

/// A batch's answer. An empty list is left out, as AWS's JSON protocol does (a batch whose
/// entries all succeeded has no `Failed`, one whose entries all failed no `Successful`; the AWS
/// SDK for Java v2's `hasFailed()` relies on it); in the query protocol an absent list and an
/// empty one read the same.
fn batch_output(successful: Vec<Value>, failed: Vec<Value>) -> Value {
    let mut out = serde_json::Map::new();
    if !successful.is_empty() {
        out.insert("Successful".into(), Value::Array(successful));
    }
    if !failed.is_empty() {
        out.insert("Failed".into(), Value::Array(failed));
    }
    Value::Object(out)
}

pub async fn send_message_batch(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = ctx.queue_name(&input)?;
    let entries = batch_entries(&input, "SendMessageBatchRequestEntry")?;
    let queue = ctx.service.get_queue(&name).await?;
    let mut prepared = Vec::new();
    let mut failed = Vec::new();
    let mut total = 0usize;
    for e in &entries {
        let id = e.str("Id")?;
        if queue.config.fifo {
            fifo_batch_entry_check(&queue, e)?;
        }
        // Every entry counts toward the request's size, also one that fails on its own: a
        // single entry over 1 MiB makes the whole request BatchRequestTooLong (AWS-verified
        // in moto's suite).
        total += entry_size(e);
        match prepare(ctx, &queue, e, Sending::InBatch) {
            Ok(p) => prepared.push((id, p)),
            Err(err) => failed.push(failure(id, &err)),
        }
    }
    if total > MAX_BATCH_BYTES {
        return Err(SqsError::new(
            ErrorCode::BatchRequestTooLong,
            format!("Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. You have sent {total} bytes."),
        ));
    }
    let results = ctx
        .service
        .send(
            &name,
            prepared.iter().map(|(_, p)| p.message.clone()).collect(),
        )
        .await?;
    let mut successful = Vec::new();
    for ((id, p), r) in prepared.iter().zip(results) {
        match r {
            Ok(sent) => {
                let mut m = sent_result(p, &sent, queue.config.fifo);
                m.insert("Id".into(), (*id).into());
                successful.push(Value::Object(m));
            }
            Err(e) => failed.push(failure(id, &SqsError::from(e))),
        }
    }
    Ok(batch_output(successful, failed))
}

/// On a FIFO queue AWS fails the whole SendMessageBatch (not just the entry) when an entry
/// lacks its MessageGroupId, or its MessageDeduplicationId without content-based dedup; both
/// answers are InvalidParameterValue (recorded AWS answers in LocalStack's snapshots).
fn fifo_batch_entry_check(queue: &polyq_core::QueueInfo, e: &Input<'_>) -> SqsResult<()> {
    if e.opt_str("MessageGroupId")?.is_none() {
        return Err(SqsError::invalid_value(
            "The request must contain the parameter MessageGroupId.",
        ));
    }
    if e.opt_str("MessageDeduplicationId")?.is_none() && !queue.config.content_based_dedup {
        return Err(SqsError::invalid_value(
            "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
        ));
    }
    Ok(())
}

/// Bytes an entry of SendMessageBatch counts toward the request's limit: its body and its
/// message attributes (name, type and value), as given.
fn entry_size(e: &Input<'_>) -> usize {
    let body = e
        .get("MessageBody")
        .and_then(Value::as_str)
        .map_or(0, str::len);
    let attrs = e
        .get("MessageAttributes")
        .and_then(Value::as_object)
        .map_or(0, |m| {
            m.iter()
                .map(|(name, v)| {
                    let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("");
                    // A binary value arrives base64-encoded: count its decoded bytes.
                    let b64 = text("BinaryValue");
                    let padding = b64.bytes().rev().take_while(|&c| c == b'=').count();
                    name.len()
                        + text("DataType").len()
                        + text("StringValue").len()
                        + (b64.len() / 4 * 3).saturating_sub(padding)
                })
                .sum()
        });
    body + attrs
}

/// The receipt of a single-message call. A malformed one on a queue that does not exist is
/// answered `NonExistentQueue`, as AWS does (the queue is looked up first); the lookup is
/// made only then, so that well-formed receipts cost nothing extra.
async fn queue_receipt(ctx: &Ctx<'_>, name: &str, text: &str) -> SqsResult<Receipt> {
    match handle::decode(&handle::tag(name), text) {
        Ok(r) => Ok(r),
        Err(e) => {
            ctx.service.get_queue(name).await?;
            Err(e)
        }
    }
}

/// SQS answers a delete by a receipt whose message is gone or was leased again with success:
/// the delete is idempotent, and an outdated receipt must not remove another consumer's lease.
/// On a FIFO queue a receipt whose visibility timeout has passed is refused (recorded AWS
/// answer: "Reason: The receipt handle has expired."); a standard queue still deletes.
fn delete_outcome(handle: &str, r: polyq_core::CoreResult<()>) -> SqsResult<()> {
    match r {
        Ok(()) | Err(CoreError::MessageNotFound) | Err(CoreError::ReceiptStale) => Ok(()),
        Err(CoreError::MessageNotInFlight) => Err(SqsError::bad_param(
            "ReceiptHandle",
            handle,
            "The receipt handle has expired.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// Deletes by receipt: on a FIFO queue (its name ends in `.fifo`, as SQS requires) only while
/// the lease runs.
async fn delete_by_receipts(
    ctx: &Ctx<'_>,
    name: &str,
    receipts: &[Receipt],
) -> SqsResult<Vec<polyq_core::CoreResult<()>>> {
    Ok(if name.ends_with(".fifo") {
        ctx.service.delete_leased(name, receipts).await?
    } else {
        ctx.service.delete(name, receipts).await?
    })
}

pub async fn delete_message(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = ctx.queue_name(&input)?;
    let handle = input.str("ReceiptHandle")?;
    let r = queue_receipt(ctx, &name, handle).await?;
    let mut results = delete_by_receipts(ctx, &name, &[r]).await?;
    delete_outcome(handle, results.pop().unwrap_or(Ok(())))?;
    Ok(json!({}))
}

pub async fn delete_message_batch(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = ctx.queue_name(&input)?;
    let entries = batch_entries(&input, "DeleteMessageBatchRequestEntry")?;
    ctx.service.get_queue(&name).await?;
    let mut failed = Vec::new();
    let mut todo = Vec::new();
    let tag = handle::tag(&name);
    for e in &entries {
        let id = e.str("Id")?;
        match e
            .str("ReceiptHandle")
            .and_then(|h| Ok((h, handle::decode(&tag, h)?)))
        {
            Ok((handle, r)) => todo.push((id, handle, r)),
            Err(err) => failed.push(failure(id, &err)),
        }
    }
    let receipts: Vec<Receipt> = todo.iter().map(|(_, _, r)| *r).collect();
    let results = delete_by_receipts(ctx, &name, &receipts).await?;
    let mut successful = Vec::new();
    for ((id, handle, _), r) in todo.iter().zip(results) {
        match delete_outcome(handle, r) {
            Ok(()) => successful.push(json!({"Id": id})),
            Err(e) => failed.push(failure(id, &e)),
        }
    }
    Ok(batch_output(successful, failed))
}

fn visibility_of(input: &Input<'_>) -> SqsResult<u32> {
    let v = input
        .opt_i64("VisibilityTimeout")?
        .ok_or_else(|| SqsError::missing("VisibilityTimeout"))?;
    if !(0..=43_200).contains(&v) {
        return Err(SqsError::bad_param(
            "VisibilityTimeout",
            v,
            "VisibilityTimeout must be an integer between 0 and 43200",
        ));
    }
    Ok(v as u32)
}

/// A message whose visibility timeout already ran out still takes a change by its latest
/// receipt: AWS answers 200 there (recorded AWS answer), not MessageNotInflight. A receipt of
/// an earlier receive of the message works too: AWS applies the change to the message. A
/// receive can keep a message hidden for 12 hours in all: a change that would reach past
/// that (whole seconds since the receive plus the new timeout) is refused.
fn change(r: Receipt, secs: u32) -> VisibilityChange {
    VisibilityChange {
        receipt: r,
        visibility_seconds: secs,
        renew_receipt: false,
        // A message whose visibility timeout ran out is left visible: AWS answers 200 and does
        // nothing (LocalStack's AWS-validated test of PR #9632); see `changed`.
        require_hidden: true,
        accept_older_receipt: true,
        max_total_seconds: Some(43_200),
    }
}

/// Whether a change's outcome is a success to report: applied, or a no-op on a message whose
/// visibility timeout had already run out.
fn changed<T>(result: Result<T, CoreError>) -> Result<(), CoreError> {
    match result {
        Ok(_) | Err(CoreError::MessageNotInFlight) => Ok(()),
        Err(e) => Err(e),
    }
}

fn change_error(handle: &str, secs: u32, e: CoreError) -> SqsError {
    match e {
        CoreError::ReceiptStale | CoreError::MessageNotFound => SqsError::bad_param(
            "ReceiptHandle",
            handle,
            "Message does not exist or is not available for visibility timeout change.",
        ),
        CoreError::VisibilityBeyondLimit(limit) => SqsError::bad_param(
            "VisibilityTimeout",
            secs,
            &format!(
                "Total VisibilityTimeout for the message is beyond the limit [{limit} seconds]"
            ),
        ),
        other => other.into(),
    }
}

pub async fn change_message_visibility(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = ctx.queue_name(&input)?;
    let handle = input.str("ReceiptHandle")?;
    let r = queue_receipt(ctx, &name, handle).await?;
    let secs = visibility_of(&input)?;
    let mut results = ctx
        .service
        .change_visibility(&name, &[change(r, secs)])
        .await?;
    match results.pop().map(changed) {
        Some(Err(e)) => Err(change_error(handle, secs, e)),
        _ => Ok(json!({})),
    }
}

pub async fn change_message_visibility_batch(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = ctx.queue_name(&input)?;
    let entries = batch_entries(&input, "ChangeMessageVisibilityBatchRequestEntry")?;
    ctx.service.get_queue(&name).await?;
    let mut failed = Vec::new();
    let mut todo = Vec::new();
    let tag = handle::tag(&name);
    for e in &entries {
        let id = e.str("Id")?;
        let parsed = e
            .str("ReceiptHandle")
            .and_then(|h| Ok((h, handle::decode(&tag, h)?, visibility_of(e)?)));
        match parsed {
            Ok((h, r, secs)) => todo.push((id, h, change(r, secs))),
            Err(err) => failed.push(failure(id, &err)),
        }
    }
    let changes: Vec<VisibilityChange> = todo.iter().map(|(_, _, c)| *c).collect();
    let results = ctx.service.change_visibility(&name, &changes).await?;
    let mut successful = Vec::new();
    for ((id, h, c), r) in todo.iter().zip(results) {
        match changed(r) {
            Ok(_) => successful.push(json!({"Id": id})),
            Err(e) => failed.push(failure(id, &change_error(h, c.visibility_seconds, e))),
        }
    }
    Ok(batch_output(successful, failed))
}

/// The deduplication id SQS derives from a FIFO message's body under ContentBasedDeduplication:
/// the hex SHA-256 of the body (attributes are not part of it).
pub fn content_dedup_id(body: &str) -> String {
    hex::encode(Sha256::digest(body.as_bytes()))
}
