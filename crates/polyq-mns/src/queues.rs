//! Queue operations: CreateQueue, SetQueueAttributes, GetQueueAttributes, DeleteQueue and
//! ListQueue.

use polyq_core::{CoreError, QueueConfig, QueueInfo};

use crate::error::{MnsError, MnsResult};
use crate::form::Form;
use crate::xml::{self, Element, Writer};
use crate::{Ctx, Reply};

/// Where MNS-only queue attributes live in `QueueConfig.extras`.
pub const LOGGING_ENABLED_KEY: &str = "mns.LoggingEnabled";
/// MNS never accepts a body above 64 KB, whatever a queue created elsewhere says.
pub const MNS_MAX_MESSAGE_SIZE: u32 = 65_536;
/// Longest queue name: 120 characters, as the current CreateQueue reference and the limits
/// page give it ("if this limit is exceeded, the queue fails to be created"). The
/// QueueNameLengthError text, from the error catalogue, still reads "between 1 and 256".
pub const MAX_QUEUE_NAME: usize = 120;

/// Queue attributes as a `<Queue>` request document gives them; `None` = not given.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct QueueAttributes {
    pub delay_seconds: Option<u32>,
    pub maximum_message_size: Option<u32>,
    pub message_retention_period: Option<u64>,
    pub visibility_timeout: Option<u32>,
    pub polling_wait_seconds: Option<u32>,
    pub logging_enabled: Option<bool>,
}

fn ranged(el: &Element, name: &str, low: u64, high: u64, unit: &str) -> MnsResult<Option<u64>> {
    let Some(text) = el.child_text(name) else {
        return Ok(None);
    };
    match text.trim().parse::<u64>() {
        Ok(v) if (low..=high).contains(&v) => Ok(Some(v)),
        _ => Err(MnsError::out_of_range(name, low, high, unit)),
    }
}

impl QueueAttributes {
    /// Reads a `<Queue>` document; an empty body means "all defaults".
    pub fn parse(body: &[u8]) -> MnsResult<Self> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        let root = xml::parse(body)?;
        if root.name != "Queue" {
            return Err(MnsError::schema(&root.name));
        }
        let logging_enabled = parse_logging_enabled(&root)?;
        let to_u32 = |v: Option<u64>| v.map(|v| v as u32);
        Ok(QueueAttributes {
            delay_seconds: to_u32(ranged(&root, "DelaySeconds", 0, 604_800, "seconds")?),
            maximum_message_size: to_u32(ranged(
                &root,
                "MaximumMessageSize",
                1024,
                65_536,
                "bytes",
            )?),
            message_retention_period: ranged(
                &root,
                "MessageRetentionPeriod",
                60,
                MAX_RETENTION_SECONDS,
                "seconds",
            )?,
            visibility_timeout: to_u32(ranged(&root, "VisibilityTimeout", 1, 43_200, "seconds")?),
            polling_wait_seconds: to_u32(ranged(&root, "PollingWaitSeconds", 0, 30, "seconds")?),
            logging_enabled,
        })
    }

    /// Writes the given attributes over `config`.
    pub fn apply(&self, config: &mut QueueConfig) {
        if let Some(v) = self.delay_seconds {
            config.delay_seconds = v;
        }
        if let Some(v) = self.maximum_message_size {
            config.max_message_size = v;
        }
        if let Some(v) = self.message_retention_period {
            config.retention_seconds = v;
        }
        if let Some(v) = self.visibility_timeout {
            config.visibility_timeout = v;
        }
        if let Some(v) = self.polling_wait_seconds {
            config.receive_wait_seconds = v;
        }
        if let Some(v) = self.logging_enabled {
            set_logging_enabled(config, v);
        }
    }
}

/// `<LoggingEnabled>` of a queue or topic document: `True`/`False` in any case.
pub fn parse_logging_enabled(root: &Element) -> MnsResult<Option<bool>> {
    match root.child_text("LoggingEnabled").map(str::trim) {
        None => Ok(None),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(MnsError::invalid_argument(
            "The value of LoggingEnabled should be True or False.",
        )),
    }
}

pub fn set_logging_enabled(config: &mut QueueConfig, on: bool) {
    config.extras.insert(
        LOGGING_ENABLED_KEY.into(),
        if on { "True" } else { "False" }.into(),
    );
}

/// MNS's defaults (MQS documented a 3-day retention).
pub fn default_config(form: Form) -> QueueConfig {
    QueueConfig {
        delay_seconds: 0,
        visibility_timeout: 30,
        max_message_size: MNS_MAX_MESSAGE_SIZE,
        retention_seconds: match form {
            Form::Mns2015 => 345_600,
            Form::Mqs2014 => 259_200,
        },
        receive_wait_seconds: 0,
        ..QueueConfig::default()
    }
}

pub fn logging_enabled(config: &QueueConfig) -> bool {
    config
        .extras
        .get(LOGGING_ENABLED_KEY)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Largest body MNS accepts for this queue.
pub fn max_message_size(config: &QueueConfig) -> u32 {
    config.max_message_size.min(MNS_MAX_MESSAGE_SIZE)
}

/// The visibility timeout MNS shows: a queue made through SQS may have 0, which MNS cannot
/// hold (1..43200) and its SDKs refuse to send back (`set_attributes(get_attributes())`).
fn shown_visibility_timeout(c: &QueueConfig) -> u32 {
    c.visibility_timeout.max(1)
}

/// MNS's longest MessageRetentionPeriod.
const MAX_RETENTION_SECONDS: u64 = 604_800;

/// The retention MNS shows: at most its 604800 s (SQS allows up to 1209600); the queue keeps
/// messages as long as it was told to.
fn shown_retention_seconds(c: &QueueConfig) -> u64 {
    c.retention_seconds.min(MAX_RETENTION_SECONDS)
}

/// The attributes MNS shows, for "exists with the same attributes" comparisons.
fn visible_attributes(c: &QueueConfig) -> (u32, u32, u64, u32, u32, bool) {
    (
        c.delay_seconds,
        max_message_size(c),
        shown_retention_seconds(c),
        shown_visibility_timeout(c),
        c.receive_wait_seconds,
        logging_enabled(c),
    )
}

/// The character rule MNS applies to queue, topic and subscription names: letters, digits
/// and hyphens, starting with a letter or digit.
pub fn is_name_shaped(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

pub fn validate_queue_name(name: &str) -> MnsResult<()> {
    if name.is_empty() || name.len() > MAX_QUEUE_NAME {
        return Err(MnsError::queue_name_length());
    }
    if !is_name_shaped(name) {
        return Err(MnsError::invalid_queue_name());
    }
    Ok(())
}

pub async fn create(ctx: &Ctx<'_>, name: &str) -> MnsResult<Reply> {
    validate_queue_name(name)?;
    let attrs = QueueAttributes::parse(&ctx.req.body)?;
    let mut config = default_config(ctx.form);
    attrs.apply(&mut config);
    let outcome = ctx.service.create_queue(name, config.clone()).await?;
    Reply::created(
        outcome,
        |existing| visible_attributes(&existing.config) == visible_attributes(&config),
        MnsError::queue_already_exist(),
        ctx.queue_url(name),
    )
}

pub async fn set_attributes(ctx: &Ctx<'_>, name: &str) -> MnsResult<Reply> {
    let attrs = QueueAttributes::parse(&ctx.req.body)?;
    ctx.service
        .update_queue(
            name,
            Box::new(move |config| {
                attrs.apply(config);
                Ok(())
            }),
        )
        .await?;
    Ok(Reply::empty(204))
}

/// The twelve elements of GetQueueAttributes (Python requires every one).
pub fn write_attributes(w: &mut Writer, info: &QueueInfo) {
    let c = &info.config;
    w.field("QueueName", &info.name)
        .field("CreateTime", info.created_ms / 1000)
        .field("LastModifyTime", info.modified_ms / 1000)
        .field("DelaySeconds", c.delay_seconds)
        .field("MaximumMessageSize", max_message_size(c))
        .field("MessageRetentionPeriod", shown_retention_seconds(c))
        .field("VisibilityTimeout", shown_visibility_timeout(c))
        .field("PollingWaitSeconds", c.receive_wait_seconds)
        .field("ActiveMessages", info.stats.visible)
        .field("InactiveMessages", info.stats.in_flight)
        .field("DelayMessages", info.stats.delayed)
        .field(
            "LoggingEnabled",
            if logging_enabled(c) { "True" } else { "False" },
        );
}

pub async fn get_attributes(ctx: &Ctx<'_>, name: &str) -> MnsResult<Reply> {
    let info = ctx.service.get_queue(name).await?;
    let mut w = Writer::new("Queue", ctx.form.namespace());
    write_attributes(&mut w, &info);
    Ok(Reply::xml(200, w.finish("Queue")))
}

pub async fn delete(ctx: &Ctx<'_>, name: &str) -> MnsResult<Reply> {
    match ctx.service.delete_queue(name).await {
        // MNS documents no error for a missing queue; deleting is idempotent.
        Ok(()) | Err(CoreError::QueueNotFound(_)) => Ok(Reply::empty(204)),
        Err(e) => Err(e.into()),
    }
}

pub async fn list(ctx: &Ctx<'_>) -> MnsResult<Reply> {
    let page = ctx.list_page()?;
    let fetched = ctx
        .service
        .list_queues(&page.prefix, page.marker.as_deref(), page.fetch())
        .await?;
    let (queues, more) = page.cut(fetched);

    let mut w = Writer::new("Queues", ctx.form.namespace());
    for q in &queues {
        w.open("Queue").field("QueueURL", ctx.queue_url(&q.name));
        if page.with_meta {
            write_attributes(&mut w, q);
        }
        w.close("Queue");
    }
    if more {
        // The marker is opaque to clients: the last name shown, listing resumes after it.
        if let Some(last) = queues.last() {
            w.field("NextMarker", &last.name);
        }
    }
    Ok(Reply::xml(200, w.finish("Queues")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_python_and_go_queue_documents() {
        let py = br#"<?xml version="1.0" encoding="utf-8"?><Queue xmlns="http://mns.aliyuncs.com/doc/v1/"><VisibilityTimeout>60</VisibilityTimeout><MaximumMessageSize>10240</MaximumMessageSize><MessageRetentionPeriod>3600</MessageRetentionPeriod><DelaySeconds>5</DelaySeconds><PollingWaitSeconds>10</PollingWaitSeconds><LoggingEnabled>True</LoggingEnabled></Queue>"#;
        let a = QueueAttributes::parse(py).unwrap();
        assert_eq!(
            a,
            QueueAttributes {
                delay_seconds: Some(5),
                maximum_message_size: Some(10240),
                message_retention_period: Some(3600),
                visibility_timeout: Some(60),
                polling_wait_seconds: Some(10),
                logging_enabled: Some(true),
            }
        );
        let go = b"<Queue><LoggingEnabled>false</LoggingEnabled></Queue>";
        assert_eq!(
            QueueAttributes::parse(go).unwrap().logging_enabled,
            Some(false)
        );
        assert_eq!(
            QueueAttributes::parse(b"").unwrap(),
            QueueAttributes::default()
        );
        let mut c = default_config(Form::Mns2015);
        a.apply(&mut c);
        assert_eq!(
            (
                c.visibility_timeout,
                c.max_message_size,
                c.receive_wait_seconds
            ),
            (60, 10240, 10)
        );
        assert!(logging_enabled(&c));
    }

    #[test]
    fn rejects_out_of_range_with_documented_text() {
        let e = QueueAttributes::parse(b"<Queue><VisibilityTimeout>0</VisibilityTimeout></Queue>")
            .unwrap_err();
        assert_eq!(
            e.message,
            "The value of VisibilityTimeout should between 1 and 43200 seconds."
        );
        let e = QueueAttributes::parse(
            b"<Queue><MaximumMessageSize>70000</MaximumMessageSize></Queue>",
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "The value of MaximumMessageSize should between 1024 and 65536 bytes."
        );
        assert_eq!(
            QueueAttributes::parse(b"<Queue><PollingWaitSeconds>x</PollingWaitSeconds></Queue>")
                .unwrap_err()
                .code,
            "InvalidArgument"
        );
        assert_eq!(
            QueueAttributes::parse(b"<Topic/>").unwrap_err().code,
            "InvalidArgument"
        );
        assert_eq!(
            QueueAttributes::parse(b"<Queue>").unwrap_err().code,
            "MalformedXML"
        );
    }

    #[test]
    fn queue_names() {
        assert!(validate_queue_name("my-Queue-1").is_ok());
        assert_eq!(
            validate_queue_name("-x").unwrap_err().code,
            "InvalidQueueName"
        );
        assert_eq!(
            validate_queue_name("a_b").unwrap_err().code,
            "InvalidQueueName"
        );
        assert!(validate_queue_name(&"a".repeat(120)).is_ok());
        assert_eq!(
            validate_queue_name(&"a".repeat(121)).unwrap_err().code,
            "QueueNameLengthError"
        );
    }
}
