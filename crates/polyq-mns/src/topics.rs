//! Topic operations: CreateTopic, SetTopicAttributes, GetTopicAttributes, DeleteTopic and
//! ListTopic.
//!
//! A topic is kept as an internal core queue (`~mns-topic~{name}`, see
//! [`polyq_core::INTERNAL_QUEUE_PREFIX`]) so that it is exactly as durable and as shared
//! between nodes as queues are: its settings are the queue's config, and it never holds
//! messages (publishing hands each one straight to the subscriptions, see [`crate::publish`]).

use polyq_core::{CoreError, QueueConfig, QueueInfo};

use crate::error::{MnsError, MnsResult};
use crate::queues::{
    is_name_shaped, logging_enabled, parse_logging_enabled, set_logging_enabled,
    MNS_MAX_MESSAGE_SIZE,
};
use crate::subscriptions;
use crate::xml::{self, Writer};
use crate::{Ctx, Reply};

/// Name prefix of the internal queues that hold topics.
pub const TOPIC_QUEUE_PREFIX: &str = "~mns-topic~";
/// Longest topic or subscription name (CreateTopic and Subscribe references: 255).
pub const MAX_NAME: usize = 255;
/// Topics keep messages one day; MNS shows it and does not let it change.
pub const TOPIC_RETENTION_SECONDS: u64 = 86_400;

pub fn topic_queue(topic: &str) -> String {
    format!("{TOPIC_QUEUE_PREFIX}{topic}")
}

pub fn validate_topic_name(name: &str) -> MnsResult<()> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(MnsError::topic_name_length());
    }
    if !is_name_shaped(name) {
        return Err(MnsError::topic_name_invalid());
    }
    Ok(())
}

/// Attributes a `<Topic>` document gives; `None` = not given.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TopicAttributes {
    pub maximum_message_size: Option<u32>,
    pub logging_enabled: Option<bool>,
}

impl TopicAttributes {
    /// Reads a `<Topic>` document; an empty body means "all defaults".
    pub fn parse(body: &[u8]) -> MnsResult<Self> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        let root = xml::parse(body)?;
        if root.name != "Topic" {
            return Err(MnsError::schema(&root.name));
        }
        let maximum_message_size = match root.child_text("MaximumMessageSize") {
            None => None,
            Some(t) => match t.trim().parse::<u32>() {
                Ok(v) if (1024..=MNS_MAX_MESSAGE_SIZE).contains(&v) => Some(v),
                _ => {
                    return Err(MnsError::out_of_range(
                        "MaximumMessageSize",
                        1024,
                        u64::from(MNS_MAX_MESSAGE_SIZE),
                        "bytes",
                    ))
                }
            },
        };
        Ok(TopicAttributes {
            maximum_message_size,
            logging_enabled: parse_logging_enabled(&root)?,
        })
    }

    pub fn apply(&self, config: &mut QueueConfig) {
        if let Some(v) = self.maximum_message_size {
            config.max_message_size = v;
        }
        if let Some(v) = self.logging_enabled {
            set_logging_enabled(config, v);
        }
    }
}

fn default_config() -> QueueConfig {
    QueueConfig {
        max_message_size: MNS_MAX_MESSAGE_SIZE,
        retention_seconds: TOPIC_RETENTION_SECONDS,
        ..QueueConfig::default()
    }
}

/// A core error about the topic's queue, as a topic error.
pub fn topic_error(e: CoreError) -> MnsError {
    match e {
        CoreError::QueueNotFound(_) => MnsError::topic_not_exist(),
        e => e.into(),
    }
}

/// The topic's stored form, or TopicNotExist.
pub async fn get_topic(ctx: &Ctx<'_>, topic: &str) -> MnsResult<QueueInfo> {
    ctx.service
        .internal()
        .get_queue(&topic_queue(topic))
        .await
        .map_err(topic_error)
}

pub fn topic_name(info: &QueueInfo) -> &str {
    info.name
        .strip_prefix(TOPIC_QUEUE_PREFIX)
        .unwrap_or(&info.name)
}

pub async fn create(ctx: &Ctx<'_>, name: &str) -> MnsResult<Reply> {
    validate_topic_name(name)?;
    let attrs = TopicAttributes::parse(&ctx.req.body)?;
    let mut config = default_config();
    attrs.apply(&mut config);
    let shown = |c: &QueueConfig| (c.max_message_size, logging_enabled(c));
    let outcome = ctx
        .service
        .internal()
        .create_queue(&topic_queue(name), config.clone())
        .await?;
    Reply::created(
        outcome,
        |existing| shown(&existing.config) == shown(&config),
        MnsError::topic_already_exist(),
        ctx.topic_url(name),
    )
}

pub async fn set_attributes(ctx: &Ctx<'_>, name: &str) -> MnsResult<Reply> {
    let attrs = TopicAttributes::parse(&ctx.req.body)?;
    ctx.service
        .internal()
        .update_queue(
            &topic_queue(name),
            Box::new(move |config| {
                attrs.apply(config);
                Ok(())
            }),
        )
        .await
        .map_err(topic_error)?;
    Ok(Reply::empty(204))
}

/// The seven elements of GetTopicAttributes (Python requires every one).
fn write_attributes(w: &mut Writer, info: &QueueInfo) {
    let c = &info.config;
    w.field("TopicName", topic_name(info))
        .field("CreateTime", info.created_ms / 1000)
        .field("LastModifyTime", info.modified_ms / 1000)
        .field("MaximumMessageSize", c.max_message_size)
        .field("MessageRetentionPeriod", c.retention_seconds)
        // Published messages are handed on at once; none waits in the topic.
        .field("MessageCount", 0)
        .field(
            "LoggingEnabled",
            if logging_enabled(c) { "True" } else { "False" },
        );
}

pub async fn get_attributes(ctx: &Ctx<'_>, name: &str) -> MnsResult<Reply> {
    let info = get_topic(ctx, name).await?;
    let mut w = Writer::new("Topic", ctx.form.namespace());
    write_attributes(&mut w, &info);
    Ok(Reply::xml(200, w.finish("Topic")))
}

/// Deletes the topic and its subscriptions (with their undelivered notifications).
pub async fn delete(ctx: &Ctx<'_>, name: &str) -> MnsResult<Reply> {
    match ctx
        .service
        .internal()
        .delete_queue(&topic_queue(name))
        .await
    {
        // Like DeleteQueue, deleting a missing topic succeeds.
        Ok(()) | Err(CoreError::QueueNotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    subscriptions::delete_all(ctx, name).await?;
    Ok(Reply::empty(204))
}

/// ListTopic: `x-mns-prefix`, `x-mns-marker`, `x-mns-ret-number` and `x-mns-with-meta`, as
/// ListQueue takes them.
pub async fn list(ctx: &Ctx<'_>) -> MnsResult<Reply> {
    let page = ctx.list_page()?;
    let after = page.marker.as_deref().map(topic_queue);
    let fetched = ctx
        .service
        .internal()
        .list_queues(&topic_queue(&page.prefix), after.as_deref(), page.fetch())
        .await?;
    let (topics, more) = page.cut(fetched);

    let mut w = Writer::new("Topics", ctx.form.namespace());
    for t in &topics {
        w.open("Topic")
            .field("TopicURL", ctx.topic_url(topic_name(t)));
        if page.with_meta {
            write_attributes(&mut w, t);
        }
        w.close("Topic");
    }
    if let Some(last) = topics.last().filter(|_| more) {
        w.field("NextMarker", topic_name(last));
    }
    Ok(Reply::xml(200, w.finish("Topics")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_queues_are_internal() {
        assert!(polyq_core::is_internal_queue(&topic_queue("t")));
        assert!(TOPIC_QUEUE_PREFIX.starts_with(polyq_core::INTERNAL_QUEUE_PREFIX));
    }

    #[test]
    fn topic_names() {
        assert!(validate_topic_name("a").is_ok());
        assert!(validate_topic_name("9-to-5").is_ok());
        assert!(validate_topic_name(&"t".repeat(255)).is_ok());
        assert_eq!(
            validate_topic_name(&"t".repeat(256)).unwrap_err().code,
            "TopicNameLengthError"
        );
        assert_eq!(
            validate_topic_name("").unwrap_err().code,
            "TopicNameLengthError"
        );
        for bad in ["-a", "a_b", "a.b", "a~b", "ä"] {
            assert_eq!(
                validate_topic_name(bad).unwrap_err().code,
                "TopicNameInvalid",
                "{bad}"
            );
        }
    }

    #[test]
    fn parses_topic_documents() {
        let py = br#"<?xml version="1.0" encoding="UTF-8"?><Topic xmlns="http://mns.aliyuncs.com/doc/v1/"><MaximumMessageSize>10240</MaximumMessageSize><LoggingEnabled>True</LoggingEnabled></Topic>"#;
        assert_eq!(
            TopicAttributes::parse(py).unwrap(),
            TopicAttributes {
                maximum_message_size: Some(10240),
                logging_enabled: Some(true)
            }
        );
        assert_eq!(TopicAttributes::parse(b"").unwrap(), Default::default());
        assert_eq!(
            TopicAttributes::parse(b"<Topic><MaximumMessageSize>1023</MaximumMessageSize></Topic>")
                .unwrap_err()
                .message,
            "The value of MaximumMessageSize should between 1024 and 65536 bytes."
        );
        assert_eq!(
            TopicAttributes::parse(b"<Queue/>").unwrap_err().code,
            "InvalidArgument"
        );
        assert_eq!(
            TopicAttributes::parse(b"<Topic><LoggingEnabled>yes</LoggingEnabled></Topic>")
                .unwrap_err()
                .code,
            "InvalidArgument"
        );
    }
}
