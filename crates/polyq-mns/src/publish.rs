//! PublishMessage: a topic's message handed to each subscription whose filter tag it matches,
//! in the subscription's content format.
//!
//! A queue endpoint gets the notification as a new message of its queue before the publish is
//! answered, so a client that publishes and then receives from the queue finds it. An HTTP
//! endpoint's notification is stored in the subscription's own queue, from which
//! [`crate::push`] POSTs it.

use bytes::Bytes;
use polyq_core::{AttributeValue, Attributes, CoreError, MessageAttribute, NewMessage};

use crate::error::{MnsError, MnsResult};
use crate::send::{body_md5, message_group_id, parse_properties};
use crate::subscriptions::{self, subscription_queue, ContentFormat, Endpoint, Subscription};
use crate::topics::get_topic;
use crate::xml::{self, Writer};
use crate::{Ctx, Reply, MNS_NAMESPACE};

/// Attribute names under which an HTTP subscription's queued notification keeps what the push
/// sends as headers.
pub const MESSAGE_ID_ATTRIBUTE: &str = "x-mns-message-id";
pub const MESSAGE_TAG_ATTRIBUTE: &str = "x-mns-message-tag";
pub const PUBLISH_TIME_ATTRIBUTE: &str = "x-mns-publish-time";
/// `http://{Host}` of the publish: where the push's receiver finds the signing certificate.
pub const SIGNING_BASE_ATTRIBUTE: &str = "polyq-signing-base";

/// One published message, as every notification of it describes it.
pub struct Notification<'a> {
    pub owner: &'a str,
    pub topic: &'a str,
    pub message_id: &'a str,
    pub body: &'a str,
    pub md5: &'a str,
    pub tag: &'a str,
    pub published_ms: u64,
}

impl Notification<'_> {
    /// The notification's body for `sub`, per its NotifyContentFormat (the documented XML and
    /// JSON shapes; SIMPLIFIED is the published body itself).
    pub fn render(&self, sub: &Subscription) -> String {
        match sub.format {
            ContentFormat::Simplified => self.body.to_string(),
            ContentFormat::Xml => {
                let mut w = Writer::new("Notification", MNS_NAMESPACE);
                w.field("TopicOwner", self.owner)
                    .field("TopicName", self.topic)
                    .field("Subscriber", self.owner)
                    .field("SubscriptionName", &sub.name)
                    .field("MessageId", self.message_id)
                    .field("Message", self.body)
                    .field("MessageMD5", self.md5);
                if !self.tag.is_empty() {
                    w.field("MessageTag", self.tag);
                }
                w.field("PublishTime", self.published_ms);
                w.finish("Notification")
            }
            ContentFormat::Json => {
                let mut doc = serde_json::json!({
                    "TopicOwner": self.owner,
                    "TopicName": self.topic,
                    "Subscriber": self.owner,
                    "SubscriptionName": sub.name,
                    "MessageId": self.message_id,
                    "Message": self.body,
                    "MessageMD5": self.md5,
                    "PublishTime": self.published_ms.to_string(),
                });
                if !self.tag.is_empty() {
                    doc["MessageTag"] = self.tag.into();
                }
                doc.to_string()
            }
        }
    }
}

/// MNS message ids are upper-case hex.
fn new_message_id() -> String {
    uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .to_ascii_uppercase()
}

fn text_attribute(value: &str) -> MessageAttribute {
    MessageAttribute {
        data_type: "String".into(),
        value: AttributeValue::String(value.to_string()),
    }
}

pub async fn publish(ctx: &Ctx<'_>, topic: &str) -> MnsResult<Reply> {
    let info = get_topic(ctx, topic).await?;
    let root = xml::parse(&ctx.req.body)?;
    if root.name != "Message" {
        return Err(MnsError::schema(&root.name));
    }
    let body = root
        .child_text("MessageBody")
        .ok_or_else(|| MnsError::schema("MessageBody"))?;
    let max = info.config.max_message_size;
    if body.is_empty() || body.len() > max as usize {
        return Err(MnsError::out_of_range(
            "MessageBody",
            1,
            u64::from(max),
            "bytes",
        ));
    }
    let tag = root.child_text("MessageTag").unwrap_or("");
    if tag.chars().count() > subscriptions::MAX_TAG {
        return Err(MnsError::invalid_argument(format!(
            "The length of MessageTag should between 0 and {}.",
            subscriptions::MAX_TAG
        )));
    }
    let properties = parse_properties(root.child("UserProperties"), "PropertyValue")?;
    let group_id = message_group_id(&root)?;
    let message_id = new_message_id();
    let md5 = body_md5(body.as_bytes());
    let notification = Notification {
        owner: &ctx.config.account_id,
        topic,
        message_id: &message_id,
        body,
        md5: &md5,
        tag,
        published_ms: ctx.service.now_ms(),
    };
    let mut pushed = false;
    for sub in subscriptions::of_topic(ctx, topic).await? {
        if sub.accepts(tag) {
            deliver(ctx, &sub, &notification, &properties, group_id.as_deref()).await?;
            pushed |= matches!(sub.endpoint, Endpoint::Http(_));
        }
    }
    if pushed {
        ctx.push_wake.notify_one();
    }
    let mut w = Writer::new("Message", ctx.form.namespace());
    w.field("MessageId", &message_id)
        .field("MessageBodyMD5", &md5);
    if let Some(g) = &group_id {
        w.field("MessageGroupId", g);
    }
    Ok(Reply::xml(201, w.finish("Message")))
}

/// Hands one notification to one subscription: into the endpoint's queue, or into the
/// subscription's push queue. A queue endpoint that does not exist (any more) loses the
/// notification, as MNS drops what it cannot deliver; that is logged.
async fn deliver(
    ctx: &Ctx<'_>,
    sub: &Subscription,
    n: &Notification<'_>,
    properties: &Attributes,
    group_id: Option<&str>,
) -> MnsResult<()> {
    let body = Bytes::from(n.render(sub));
    let (queue, attributes) = match &sub.endpoint {
        Endpoint::Queue(q) => (q.clone(), properties.clone()),
        Endpoint::Undeliverable(why) => {
            tracing::warn!(
                topic = sub.topic,
                subscription = sub.name,
                endpoint = sub.endpoint_text,
                "MNS notification dropped: {why}"
            );
            return Ok(());
        }
        Endpoint::Http(_) => {
            let mut headers = Attributes::new();
            headers.insert(MESSAGE_ID_ATTRIBUTE.into(), text_attribute(n.message_id));
            headers.insert(
                PUBLISH_TIME_ATTRIBUTE.into(),
                text_attribute(&n.published_ms.to_string()),
            );
            headers.insert(
                SIGNING_BASE_ATTRIBUTE.into(),
                text_attribute(&ctx.base_url()),
            );
            if !n.tag.is_empty() {
                headers.insert(MESSAGE_TAG_ATTRIBUTE.into(), text_attribute(n.tag));
            }
            (subscription_queue(&sub.topic, &sub.name), headers)
        }
    };
    let message = NewMessage {
        body,
        attributes,
        // Kept on queue endpoints' messages, as on a queue's own sends.
        group_id: matches!(sub.endpoint, Endpoint::Queue(_))
            .then(|| group_id.map(str::to_string))
            .flatten(),
        ..NewMessage::default()
    };
    // A queue endpoint is a user's queue; an HTTP endpoint's notifications wait in the
    // subscription's internal queue for the push task.
    let sent = match sub.endpoint {
        Endpoint::Queue(_) => ctx.service.send(&queue, vec![message]).await,
        _ => ctx.service.internal().send(&queue, vec![message]).await,
    };
    match sent {
        Ok(results) => {
            for r in results {
                r?;
            }
            Ok(())
        }
        Err(CoreError::QueueNotFound(_)) => {
            tracing::warn!(
                topic = sub.topic,
                subscription = sub.name,
                endpoint = sub.endpoint_text,
                "MNS notification dropped: the endpoint's queue does not exist"
            );
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subscriptions::NotifyStrategy;

    fn sub(format: ContentFormat) -> Subscription {
        Subscription::sample("acs:mns:r:1:queues/q", NotifyStrategy::BackoffRetry, format)
    }

    fn notification<'a>(tag: &'a str) -> Notification<'a> {
        Notification {
            owner: "1234",
            topic: "t",
            message_id: "ID1",
            body: "a <b> & \"c\"",
            md5: "MD5",
            tag,
            published_ms: 1_449_556_920_975,
        }
    }

    #[test]
    fn simplified_is_the_body() {
        assert_eq!(
            notification("x").render(&sub(ContentFormat::Simplified)),
            "a <b> & \"c\""
        );
    }

    #[test]
    fn xml_has_the_documented_elements() {
        let text = notification("important").render(&sub(ContentFormat::Xml));
        let root = xml::parse(text.as_bytes()).unwrap();
        assert_eq!(root.name, "Notification");
        for (name, value) in [
            ("TopicOwner", "1234"),
            ("TopicName", "t"),
            ("Subscriber", "1234"),
            ("SubscriptionName", "s"),
            ("MessageId", "ID1"),
            ("Message", "a <b> & \"c\""),
            ("MessageMD5", "MD5"),
            ("MessageTag", "important"),
            ("PublishTime", "1449556920975"),
        ] {
            assert_eq!(root.child_text(name), Some(value), "{name}");
        }
        let untagged = notification("").render(&sub(ContentFormat::Xml));
        assert!(!untagged.contains("MessageTag"));
    }

    #[test]
    fn json_has_the_documented_fields() {
        let text = notification("important").render(&sub(ContentFormat::Json));
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["Message"], "a <b> & \"c\"");
        assert_eq!(doc["MessageTag"], "important");
        assert_eq!(doc["PublishTime"], "1449556920975");
        assert_eq!(doc["SubscriptionName"], "s");
        assert_eq!(doc["TopicOwner"], "1234");
        let untagged: serde_json::Value =
            serde_json::from_str(&notification("").render(&sub(ContentFormat::Json))).unwrap();
        assert!(untagged.get("MessageTag").is_none());
    }
}
