//! SendMessage and BatchSendMessage, and the user/system properties they may carry.

use base64::Engine;
use bytes::Bytes;
use md5::{Digest, Md5};
use polyq_core::{AttributeValue, Attributes, MessageAttribute, NewMessage, PRIORITY_DEFAULT};

use crate::error::{MnsError, MnsResult};
use crate::queues::max_message_size;
use crate::xml::{self, Element, Writer};
use crate::{Ctx, Reply};

pub const MAX_BATCH: usize = 16;
/// Total of the bodies of one BatchSendMessage.
pub const MAX_BATCH_BYTES: usize = 65_536;

/// Upper-case hex MD5 of the body as sent, as MNS reports it.
pub fn body_md5(body: &[u8]) -> String {
    hex::encode_upper(Md5::digest(body))
}

/// MNS property type ↔ the core's SQS-style data types, so properties cross dialects.
fn core_type(mns: &str) -> Option<&'static str> {
    Some(match mns {
        "STRING" => "String",
        "NUMBER" => "Number",
        "BINARY" => "Binary",
        "BOOLEAN" => "String.BOOLEAN",
        _ => return None,
    })
}

pub fn mns_type(core: &str) -> &'static str {
    match core {
        "String.BOOLEAN" => "BOOLEAN",
        t if t.starts_with("Number") => "NUMBER",
        t if t.starts_with("Binary") => "BINARY",
        _ => "STRING",
    }
}

/// The text MNS shows for a property value (binary values are base64, as the SDKs send them).
pub fn property_text(value: &AttributeValue) -> String {
    match value {
        AttributeValue::String(s) => s.clone(),
        AttributeValue::Binary(b) => base64::engine::general_purpose::STANDARD.encode(b),
    }
}

/// Limits of message properties (MNS's "Message properties" page).
pub const MAX_PROPERTIES: usize = 50;
pub const MAX_PROPERTY_NAME: usize = 256;
pub const MAX_PROPERTY_VALUE: usize = 4096;

/// A property name as MNS allows it: letters, digits, `_`, `-` and `.`, not starting or ending
/// with `.`, no `..`.
fn check_property_name(name: &str) -> MnsResult<()> {
    if name.chars().count() > MAX_PROPERTY_NAME {
        return Err(MnsError::invalid_argument(format!(
            "The length of property name should between 1 and {MAX_PROPERTY_NAME}."
        )));
    }
    let allowed = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !allowed || name.starts_with('.') || name.ends_with('.') || name.contains("..") {
        return Err(MnsError::invalid_argument(format!(
            "The property name {name} is invalid: it may hold only letters, digits, '_', '-' and '.', may not start or end with '.', and may not hold '..'."
        )));
    }
    Ok(())
}

/// What a message's properties count toward its size: names, types and values as sent.
fn properties_size(list: Option<&Element>, entry: &str) -> usize {
    list.map_or(0, |list| {
        list.children_named(entry)
            .map(|p| {
                ["Name", "Value", "Type"]
                    .iter()
                    .map(|f| p.child_text(f).map_or(0, str::len))
                    .sum::<usize>()
            })
            .sum()
    })
}

pub(crate) fn parse_properties(list: Option<&Element>, entry: &str) -> MnsResult<Attributes> {
    let mut out = Attributes::new();
    let Some(list) = list else {
        return Ok(out);
    };
    if list.children_named(entry).count() > MAX_PROPERTIES {
        return Err(MnsError::invalid_argument(format!(
            "The count of {} should between 0 and {MAX_PROPERTIES}.",
            list.name
        )));
    }
    for p in list.children_named(entry) {
        let name = p
            .child_text("Name")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| MnsError::schema("Name"))?;
        check_property_name(name)?;
        if out.contains_key(name) {
            return Err(MnsError::invalid_argument(format!(
                "The property name {name} is duplicated."
            )));
        }
        let value = p.child_text("Value").unwrap_or("");
        if value.chars().count() > MAX_PROPERTY_VALUE {
            return Err(MnsError::invalid_argument(format!(
                "The length of the value of property {name} should between 0 and {MAX_PROPERTY_VALUE}."
            )));
        }
        let mns = p
            .child_text("Type")
            .unwrap_or("STRING")
            .trim()
            .to_ascii_uppercase();
        let data_type = core_type(&mns).ok_or_else(|| {
            MnsError::invalid_argument(format!("The property type {mns} is not supported."))
        })?;
        if mns == "BOOLEAN" && !matches!(value, "true" | "false") {
            return Err(MnsError::invalid_argument(format!(
                "The value of property {name} should be true or false."
            )));
        }
        let value = if mns == "BINARY" {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .map_err(|_| {
                    MnsError::invalid_argument(format!(
                        "The value of property {name} is not valid base64."
                    ))
                })?;
            AttributeValue::Binary(Bytes::from(bytes))
        } else {
            AttributeValue::String(value.to_string())
        };
        out.insert(
            name.to_string(),
            MessageAttribute {
                data_type: data_type.to_string(),
                value,
            },
        );
    }
    Ok(out)
}

fn number(el: &Element, name: &str, low: u64, high: u64, unit: &str) -> MnsResult<Option<u64>> {
    match el.child_text(name) {
        None => Ok(None),
        Some(t) => match t.trim().parse::<u64>() {
            Ok(v) if (low..=high).contains(&v) => Ok(Some(v)),
            _ => Err(MnsError::out_of_range(name, low, high, unit)),
        },
    }
}

/// One `<Message>` of a send, validated against the queue's size limit.
pub fn parse_message(el: &Element, max_size: u32) -> MnsResult<NewMessage> {
    let body = el
        .child_text("MessageBody")
        .ok_or_else(|| MnsError::schema("MessageBody"))?;
    if body.is_empty() || body.len() > max_size as usize {
        return Err(MnsError::out_of_range(
            "MessageBody",
            1,
            u64::from(max_size),
            "bytes",
        ));
    }
    let attributes = parse_properties(el.child("UserProperties"), "PropertyValue")?;
    let system_attributes = parse_properties(el.child("SystemProperties"), "SystemPropertyValue")?;
    // Properties count toward the queue's message size limit (MNS's properties page).
    let with_properties = body.len()
        + properties_size(el.child("UserProperties"), "PropertyValue")
        + properties_size(el.child("SystemProperties"), "SystemPropertyValue");
    if with_properties > max_size as usize {
        return Err(MnsError::invalid_argument(format!(
            "The total size of MessageBody and its properties should between 1 and {max_size} bytes."
        )));
    }
    let delay = number(el, "DelaySeconds", 0, 604_800, "seconds")?;
    // Priority 0 is what the Go SDK sends when unset: read it as the default.
    let priority = match el.child_text("Priority").map(|t| t.trim().parse::<u8>()) {
        None | Some(Ok(0)) => PRIORITY_DEFAULT,
        Some(Ok(p)) if p <= 16 => p,
        Some(_) => return Err(MnsError::out_of_range("Priority", 1, 16, "")),
    };
    Ok(NewMessage {
        body: Bytes::copy_from_slice(body.as_bytes()),
        attributes,
        system_attributes,
        priority: Some(priority),
        delay_seconds: delay.map(|d| d as u32),
        group_id: message_group_id(el)?,
        ..NewMessage::default()
    })
}

/// Longest MessageGroupId accepted.
pub const MAX_GROUP_ID: usize = 128;

/// `<MessageGroupId>` of a message (newer SDKs send it for ordered queues): kept with the
/// message and shown back, without ordering on MNS queues (docs/compatibility.md).
pub fn message_group_id(el: &Element) -> MnsResult<Option<String>> {
    match el.child_text("MessageGroupId").map(str::trim) {
        None | Some("") => Ok(None),
        Some(g) if g.chars().count() <= MAX_GROUP_ID => Ok(Some(g.to_string())),
        Some(_) => Err(MnsError::invalid_argument(format!(
            "The length of MessageGroupId should between 1 and {MAX_GROUP_ID}."
        ))),
    }
}

pub async fn send(ctx: &Ctx<'_>, queue: &str) -> MnsResult<Reply> {
    let root = xml::parse(&ctx.req.body)?;
    let info = ctx.service.get_queue(queue).await?;
    let max_size = max_message_size(&info.config);
    match root.name.as_str() {
        "Message" => send_one(ctx, queue, &root, max_size).await,
        "Messages" => send_batch(ctx, queue, &root, max_size).await,
        other => Err(MnsError::schema(other)),
    }
}

async fn send_one(ctx: &Ctx<'_>, queue: &str, root: &Element, max_size: u32) -> MnsResult<Reply> {
    let msg = parse_message(root, max_size)?;
    let md5 = body_md5(&msg.body);
    let group_id = msg.group_id.clone();
    let sent = ctx.service.send(queue, vec![msg]).await?;
    let sent = sent
        .into_iter()
        .next()
        .ok_or_else(|| MnsError::internal("send returned no result"))??;
    let mut w = Writer::new("Message", ctx.form.namespace());
    w.field("MessageId", &sent.id).field("MessageBodyMD5", md5);
    if sent.visible_ms > sent.enqueued_ms {
        // Newer MNS hands delayed messages a handle usable before their first receive.
        w.field("ReceiptHandle", sent.receipt.encode());
    }
    if let Some(g) = group_id {
        w.field("MessageGroupId", g);
    }
    Ok(Reply::xml(201, w.finish("Message")))
}

enum Entry {
    Sent {
        id: String,
        md5: String,
        group_id: Option<String>,
    },
    Failed(MnsError),
}

async fn send_batch(ctx: &Ctx<'_>, queue: &str, root: &Element, max_size: u32) -> MnsResult<Reply> {
    let items: Vec<&Element> = root.children_named("Message").collect();
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(MnsError::invalid_argument(format!(
            "The count of messages in a batch should between 1 and {MAX_BATCH}."
        )));
    }
    let total: usize = items
        .iter()
        .map(|m| m.child_text("MessageBody").map_or(0, str::len))
        .sum();
    if total > MAX_BATCH_BYTES {
        return Err(MnsError::invalid_argument(format!(
            "The total size of the messages in a batch should not exceed {MAX_BATCH_BYTES} bytes."
        )));
    }
    // Entries that fail validation are reported in place; the others are sent.
    let mut entries: Vec<Option<Entry>> = Vec::with_capacity(items.len());
    let mut valid = Vec::new();
    let mut md5s = Vec::new();
    for item in &items {
        match parse_message(item, max_size) {
            Ok(m) => {
                md5s.push((body_md5(&m.body), m.group_id.clone()));
                valid.push(m);
                entries.push(None);
            }
            Err(e) => entries.push(Some(Entry::Failed(e))),
        }
    }
    let mut results = if valid.is_empty() {
        Vec::new()
    } else {
        ctx.service.send(queue, valid).await?
    }
    .into_iter()
    .zip(md5s);
    for slot in entries.iter_mut().filter(|e| e.is_none()) {
        *slot = Some(match results.next() {
            Some((Ok(sent), (md5, group_id))) => Entry::Sent {
                id: sent.id,
                md5,
                group_id,
            },
            Some((Err(e), _)) => Entry::Failed(e.into()),
            None => Entry::Failed(MnsError::internal("send returned too few results")),
        });
    }

    let failed = entries.iter().any(|e| matches!(e, Some(Entry::Failed(_))));
    let mut w = Writer::new("Messages", ctx.form.namespace());
    // Python's partial-failure reader accepts exactly {MessageId, MessageBodyMD5} or
    // {ErrorCode, ErrorMessage} per entry; its success reader also takes a MessageGroupId.
    for entry in entries.into_iter().flatten() {
        w.open("Message");
        match entry {
            Entry::Sent { id, md5, group_id } => {
                w.field("MessageId", id).field("MessageBodyMD5", md5);
                if let (Some(g), false) = (group_id, failed) {
                    w.field("MessageGroupId", g);
                }
                &mut w
            }
            Entry::Failed(e) => w
                .field("ErrorCode", e.code)
                .field("ErrorMessage", e.message),
        };
        w.close("Message");
    }
    // The documented partial-failure status is 500 with the mixed list.
    Ok(Reply::xml(
        if failed { 500 } else { 201 },
        w.finish("Messages"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_is_upper_hex_of_the_text_as_sent() {
        assert_eq!(body_md5(b"hello"), "5D41402ABC4B2A76B9719D911017C592");
    }

    #[test]
    fn seed_batch_document_parses() {
        // The request example of BatchSendMessage (2015-06-06).
        let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
<Messages xmlns="http://mns.aliyuncs.com/doc/v1/">
<Message>
<MessageBody>This is test message 1.</MessageBody>
<DelaySeconds>60</DelaySeconds>
<Priority>1</Priority>
</Message>
<Message>
<MessageBody>This is test message 2.</MessageBody>
<DelaySeconds>0</DelaySeconds>
<Priority>1</Priority>
</Message>
</Messages>"#;
        let root = xml::parse(doc).unwrap();
        let msgs: Vec<NewMessage> = root
            .children_named("Message")
            .map(|m| parse_message(m, 65536).unwrap())
            .collect();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].body, Bytes::from_static(b"This is test message 1."));
        assert_eq!(
            (msgs[0].delay_seconds, msgs[0].priority),
            (Some(60), Some(1))
        );
        assert_eq!(
            (msgs[1].delay_seconds, msgs[1].priority),
            (Some(0), Some(1))
        );
    }

    #[test]
    fn seed_mqs_send_document_parses() {
        // The 2014-07-08 SendMessage example: an empty default namespace.
        let doc = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Message xmlns=\"\">\n<MessageBody>Base64 Encoded Result</MessageBody>\n</Message>";
        let m = parse_message(&xml::parse(doc).unwrap(), 65536).unwrap();
        assert_eq!(m.body, Bytes::from_static(b"Base64 Encoded Result"));
        assert_eq!((m.delay_seconds, m.priority), (None, Some(8)));
    }

    #[test]
    fn validation_and_properties() {
        let parse = |s: &str| parse_message(&xml::parse(s.as_bytes()).unwrap(), 1024);
        assert_eq!(
            parse("<Message><Priority>17</Priority><MessageBody>x</MessageBody></Message>")
                .unwrap_err()
                .message,
            "The value of Priority should between 1 and 16."
        );
        assert_eq!(parse("<Message><DelaySeconds>604801</DelaySeconds><MessageBody>x</MessageBody></Message>").unwrap_err().code, "InvalidArgument");
        assert_eq!(parse("<Message/>").unwrap_err().code, "InvalidArgument");
        assert_eq!(
            parse(&format!(
                "<Message><MessageBody>{}</MessageBody></Message>",
                "x".repeat(1025)
            ))
            .unwrap_err()
            .code,
            "InvalidArgument"
        );
        let m = parse(
            "<Message><MessageBody>x</MessageBody><UserProperties><PropertyValue><Name>k</Name><Value>v</Value><Type>STRING</Type></PropertyValue>\
<PropertyValue><Name>b</Name><Value>AAE=</Value><Type>BINARY</Type></PropertyValue><PropertyValue><Name>f</Name><Value>true</Value><Type>BOOLEAN</Type></PropertyValue></UserProperties></Message>",
        )
        .unwrap();
        assert_eq!(m.attributes["k"].value, AttributeValue::String("v".into()));
        assert_eq!(
            m.attributes["b"].value,
            AttributeValue::Binary(Bytes::from_static(&[0, 1]))
        );
        assert_eq!(mns_type(&m.attributes["f"].data_type), "BOOLEAN");
        assert_eq!(property_text(&m.attributes["b"].value), "AAE=");
    }
}
