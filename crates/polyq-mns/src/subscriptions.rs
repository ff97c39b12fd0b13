//! Subscription operations: Subscribe, SetSubscriptionAttributes, GetSubscriptionAttributes,
//! Unsubscribe and ListSubscriptionByTopic.
//!
//! A subscription is an internal core queue (`~mns-sub~{topic}~{name}`) whose config extras
//! hold its endpoint, filter tag, retry strategy and content format. For an HTTP endpoint the
//! queue also holds the notifications waiting to be pushed ([`crate::push`]), so a push that
//! fails is retried after a restart, and by any node sharing the store.

use std::time::Duration;

use polyq_core::{CoreError, CreateOutcome, QueueConfig, QueueInfo};

use crate::error::{MnsError, MnsResult};
use crate::queues::{is_name_shaped, MNS_MAX_MESSAGE_SIZE};
use crate::topics::{get_topic, validate_topic_name, MAX_NAME, TOPIC_RETENTION_SECONDS};
use crate::xml::{self, Element, Writer};
use crate::{Ctx, Reply};

/// Name prefix of the internal queues that hold subscriptions.
pub const SUBSCRIPTION_QUEUE_PREFIX: &str = "~mns-sub~";
/// Longest FilterTag (and MessageTag): 16 characters.
pub const MAX_TAG: usize = 16;

const TOPIC_KEY: &str = "mns.TopicName";
const NAME_KEY: &str = "mns.SubscriptionName";
const ENDPOINT_KEY: &str = "mns.Endpoint";
const FILTER_TAG_KEY: &str = "mns.FilterTag";
const STRATEGY_KEY: &str = "mns.NotifyStrategy";
const FORMAT_KEY: &str = "mns.NotifyContentFormat";

/// `~` cannot occur in topic or subscription names, so it separates them unambiguously.
pub fn subscription_queue(topic: &str, subscription: &str) -> String {
    format!("{SUBSCRIPTION_QUEUE_PREFIX}{topic}~{subscription}")
}

fn topic_prefix(topic: &str) -> String {
    format!("{SUBSCRIPTION_QUEUE_PREFIX}{topic}~")
}

pub fn validate_subscription_name(name: &str) -> MnsResult<()> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(MnsError::subscription_name_length());
    }
    if !is_name_shaped(name) {
        return Err(MnsError::subscription_name_invalid());
    }
    Ok(())
}

/// Start of the URI paths MNS reserves: an HTTP endpoint may not use them.
const RESERVED_PATH_PREFIX: &str = "mns-reserved-";

/// Where notifications go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `acs:mns:{region}:{account}:queues/{queue}`: a queue of this server. Region and account
    /// are not checked (polyq serves one account), and may hold anything: SDK samples build
    /// them from the endpoint's host, port included (`acs:mns::localhost:9324:queues/q`).
    Queue(String),
    /// `http(s)://host[:port][/path]`: pushed by POST (over TLS for `https`).
    Http(String),
    /// A documented endpoint polyq cannot deliver to: `mail:directmail:…`,
    /// `sms:directsms:…` and `push:{appkey}`. The subscription is kept, as MNS keeps it; each notification for it
    /// is dropped with a log line naming the reason.
    Undeliverable(&'static str),
}

impl Endpoint {
    /// An endpoint a Subscribe may name: [`Endpoint::parse`]'s, and not an HTTP endpoint on a
    /// URI MNS keeps for itself (starting `mns-reserved-`, its endpoint terms page). Stored
    /// subscriptions are read back with `parse`, so one made before the rule keeps working.
    pub fn parse_new(text: &str) -> MnsResult<Endpoint> {
        let endpoint = Endpoint::parse(text)?;
        if let Endpoint::Http(url) = &endpoint {
            let after_scheme = url.split_once("://").map_or("", |(_, rest)| rest);
            let path = after_scheme
                .find('/')
                .map_or("", |at| &after_scheme[at + 1..]);
            if path.starts_with(RESERVED_PATH_PREFIX) {
                return Err(MnsError::endpoint_invalid(
                    "the URI of an HTTP endpoint cannot start with mns-reserved-.",
                ));
            }
        }
        Ok(endpoint)
    }

    pub fn parse(text: &str) -> MnsResult<Endpoint> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("acs:mns:") {
            // `{region}:{account}` before `:queues/`, either possibly empty or holding colons.
            let queue = rest
                .rsplit_once(":queues/")
                .filter(|(scope, q)| scope.contains(':') && is_name_shaped(q))
                .map(|(_, q)| q);
            return match queue {
                Some(q) => Ok(Endpoint::Queue(q.to_string())),
                None => Err(MnsError::endpoint_invalid(
                    "a queue endpoint is acs:mns:{region}:{account}:queues/{queue}.",
                )),
            };
        }
        for scheme in ["http://", "https://"] {
            if let Some(rest) = text.strip_prefix(scheme) {
                let host = rest.split(['/', '?', '#']).next().unwrap_or("");
                if host.is_empty() || http::uri::Authority::try_from(host).is_err() {
                    return Err(MnsError::endpoint_invalid(
                        "an HTTP endpoint is http(s)://{host}[:{port}][/{path}].",
                    ));
                }
                return Ok(Endpoint::Http(text.to_string()));
            }
        }
        if text.starts_with("mail:directmail:") || text.starts_with("sms:directsms:") {
            return Ok(Endpoint::Undeliverable("polyq sends no mail or SMS"));
        }
        // `push:{appkey}`: MNS's mobile push (the endpoint terms page; Java's
        // `generatePushEndpoint`).
        if text
            .strip_prefix("push:")
            .is_some_and(|key| !key.is_empty())
        {
            return Ok(Endpoint::Undeliverable(
                "polyq sends no mobile push notifications",
            ));
        }
        Err(MnsError::endpoint_invalid(
            "expected http://…, acs:mns:{region}:{account}:queues/{queue}, mail:directmail:…, sms:directsms:… or push:{appkey}.",
        ))
    }
}

/// How a failed push is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyStrategy {
    /// Three retries, 10 to 20 seconds apart.
    BackoffRetry,
    /// 176 retries over a day: 1, 2, 4 … 512 seconds apart, then every 512 seconds.
    ExponentialDecayRetry,
}

impl NotifyStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyStrategy::BackoffRetry => "BACKOFF_RETRY",
            NotifyStrategy::ExponentialDecayRetry => "EXPONENTIAL_DECAY_RETRY",
        }
    }

    fn parse(text: &str) -> MnsResult<Self> {
        match text.trim() {
            "BACKOFF_RETRY" => Ok(NotifyStrategy::BackoffRetry),
            "EXPONENTIAL_DECAY_RETRY" => Ok(NotifyStrategy::ExponentialDecayRetry),
            other => Err(MnsError::invalid_argument(format!(
                "The value of NotifyStrategy should be BACKOFF_RETRY or EXPONENTIAL_DECAY_RETRY, not '{other}'."
            ))),
        }
    }

    /// How many pushes a notification gets in all (the first and its retries).
    pub fn attempts(self) -> u32 {
        match self {
            NotifyStrategy::BackoffRetry => 1 + 3,
            NotifyStrategy::ExponentialDecayRetry => 1 + 176,
        }
    }

    /// The wait after failed attempt number `attempt` (1-based); `jitter` in 0..1 spreads
    /// BACKOFF_RETRY's waits over its 10–20 second window.
    pub fn retry_after(self, attempt: u32, jitter: f64) -> Duration {
        match self {
            NotifyStrategy::BackoffRetry => {
                Duration::from_secs(10) + Duration::from_secs_f64(10.0 * jitter.clamp(0.0, 1.0))
            }
            NotifyStrategy::ExponentialDecayRetry => {
                Duration::from_secs(1 << attempt.saturating_sub(1).min(9))
            }
        }
    }
}

/// The body a notification carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentFormat {
    Xml,
    Json,
    /// The published body alone.
    Simplified,
}

impl ContentFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentFormat::Xml => "XML",
            ContentFormat::Json => "JSON",
            ContentFormat::Simplified => "SIMPLIFIED",
        }
    }

    fn parse(text: &str) -> MnsResult<Self> {
        match text.trim() {
            "XML" => Ok(ContentFormat::Xml),
            "JSON" => Ok(ContentFormat::Json),
            "SIMPLIFIED" => Ok(ContentFormat::Simplified),
            other => Err(MnsError::invalid_argument(format!(
                "The value of NotifyContentFormat should be XML, JSON or SIMPLIFIED, not '{other}'."
            ))),
        }
    }
}

/// A subscription as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub topic: String,
    pub name: String,
    /// As the subscriber wrote it (shown back verbatim).
    pub endpoint_text: String,
    pub endpoint: Endpoint,
    /// Empty: every message.
    pub filter_tag: String,
    pub strategy: NotifyStrategy,
    pub format: ContentFormat,
    pub created_ms: u64,
    pub modified_ms: u64,
}

impl Subscription {
    /// Subscription `s` of topic `t` to `endpoint` (parsed), for tests.
    #[cfg(test)]
    pub fn sample(endpoint: &str, strategy: NotifyStrategy, format: ContentFormat) -> Self {
        Subscription {
            topic: "t".into(),
            name: "s".into(),
            endpoint_text: endpoint.into(),
            endpoint: Endpoint::parse(endpoint).expect("a valid endpoint"),
            filter_tag: String::new(),
            strategy,
            format,
            created_ms: 0,
            modified_ms: 0,
        }
    }

    /// Reads a subscription back from its queue; `None` if the queue is not one.
    pub fn from_info(info: &QueueInfo) -> Option<Subscription> {
        let x = &info.config.extras;
        let endpoint_text = x.get(ENDPOINT_KEY)?.clone();
        Some(Subscription {
            topic: x.get(TOPIC_KEY)?.clone(),
            name: x.get(NAME_KEY)?.clone(),
            endpoint: Endpoint::parse(&endpoint_text).ok()?,
            endpoint_text,
            filter_tag: x.get(FILTER_TAG_KEY).cloned().unwrap_or_default(),
            strategy: NotifyStrategy::parse(x.get(STRATEGY_KEY)?).ok()?,
            format: ContentFormat::parse(x.get(FORMAT_KEY)?).ok()?,
            created_ms: info.created_ms,
            modified_ms: info.modified_ms,
        })
    }

    /// Whether a message with `tag` goes to this subscription.
    pub fn accepts(&self, tag: &str) -> bool {
        self.filter_tag.is_empty() || self.filter_tag == tag
    }

    fn config(&self) -> QueueConfig {
        let mut config = QueueConfig {
            max_message_size: MNS_MAX_MESSAGE_SIZE,
            retention_seconds: TOPIC_RETENTION_SECONDS,
            ..QueueConfig::default()
        };
        let x = &mut config.extras;
        x.insert(TOPIC_KEY.into(), self.topic.clone());
        x.insert(NAME_KEY.into(), self.name.clone());
        x.insert(ENDPOINT_KEY.into(), self.endpoint_text.clone());
        x.insert(FILTER_TAG_KEY.into(), self.filter_tag.clone());
        x.insert(STRATEGY_KEY.into(), self.strategy.as_str().into());
        x.insert(FORMAT_KEY.into(), self.format.as_str().into());
        config
    }

    /// What "subscribing again with the same attributes" compares.
    fn settings(&self) -> (&str, &str, NotifyStrategy, ContentFormat) {
        (
            &self.endpoint_text,
            &self.filter_tag,
            self.strategy,
            self.format,
        )
    }
}

fn parse_document(body: &[u8]) -> MnsResult<Element> {
    let root = xml::parse(body)?;
    if root.name != "Subscription" {
        return Err(MnsError::schema(&root.name));
    }
    Ok(root)
}

/// The subscription's stored form; TopicNotExist or SubscriptionNotExist if either is missing.
async fn get_subscription(ctx: &Ctx<'_>, topic: &str, name: &str) -> MnsResult<Subscription> {
    match ctx
        .service
        .internal()
        .get_queue(&subscription_queue(topic, name))
        .await
    {
        Ok(info) => Subscription::from_info(&info)
            .ok_or_else(|| MnsError::internal("subscription settings unreadable")),
        Err(e) => Err(missing(ctx, topic, e).await),
    }
}

/// The error for a subscription's queue that is not there: the topic's absence first.
async fn missing(ctx: &Ctx<'_>, topic: &str, e: CoreError) -> MnsError {
    match e {
        CoreError::QueueNotFound(_) => match get_topic(ctx, topic).await {
            Ok(_) => MnsError::subscription_not_exist(),
            Err(e) => e,
        },
        e => e.into(),
    }
}

pub async fn subscribe(ctx: &Ctx<'_>, topic: &str, name: &str) -> MnsResult<Reply> {
    validate_topic_name(topic)?;
    validate_subscription_name(name)?;
    let root = parse_document(&ctx.req.body)?;
    let endpoint_text = root
        .child_text("Endpoint")
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| MnsError::endpoint_invalid("Endpoint is required."))?
        .to_string();
    let filter_tag = parse_filter_tag(&root)?.unwrap_or_default();
    let sub = Subscription {
        topic: topic.to_string(),
        name: name.to_string(),
        endpoint: Endpoint::parse_new(&endpoint_text)?,
        endpoint_text,
        filter_tag,
        strategy: match root.child_text("NotifyStrategy") {
            Some(s) if !s.trim().is_empty() => NotifyStrategy::parse(s)?,
            _ => NotifyStrategy::BackoffRetry,
        },
        format: match root.child_text("NotifyContentFormat") {
            Some(s) if !s.trim().is_empty() => ContentFormat::parse(s)?,
            _ => ContentFormat::Xml,
        },
        created_ms: 0,
        modified_ms: 0,
    };
    get_topic(ctx, topic).await?;
    let queue = subscription_queue(topic, name);
    let outcome = ctx
        .service
        .internal()
        .create_queue(&queue, sub.config())
        .await?;
    if matches!(outcome, CreateOutcome::Created(_)) {
        // A DeleteTopic that ran since the check above may have listed the topic's
        // subscriptions before this one existed; left here, it would belong to the next topic
        // of that name. So look again, and take it back if the topic is gone.
        if let Err(gone) = get_topic(ctx, topic).await {
            match ctx.service.internal().delete_queue(&queue).await {
                Ok(()) | Err(CoreError::QueueNotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
            return Err(gone);
        }
    }
    Reply::created(
        outcome,
        |existing| {
            Subscription::from_info(existing).is_some_and(|old| old.settings() == sub.settings())
        },
        MnsError::subscription_already_exist(),
        ctx.subscription_url(topic, name),
    )
}

fn parse_filter_tag(root: &Element) -> MnsResult<Option<String>> {
    let Some(tag) = root.child_text("FilterTag") else {
        return Ok(None);
    };
    if tag.chars().count() > MAX_TAG {
        return Err(MnsError::invalid_argument(format!(
            "The length of FilterTag should between 0 and {MAX_TAG}."
        )));
    }
    Ok(Some(tag.to_string()))
}

/// NotifyStrategy and FilterTag change (the Python SDK sends the former, Java's both); the
/// endpoint and content format are fixed at Subscribe.
pub async fn set_attributes(ctx: &Ctx<'_>, topic: &str, name: &str) -> MnsResult<Reply> {
    let root = parse_document(&ctx.req.body)?;
    let strategy = match root.child_text("NotifyStrategy") {
        Some(s) if !s.trim().is_empty() => Some(NotifyStrategy::parse(s)?),
        _ => None,
    };
    let filter_tag = parse_filter_tag(&root)?;
    let update = ctx
        .service
        .internal()
        .update_queue(
            &subscription_queue(topic, name),
            Box::new(move |config| {
                if let Some(s) = strategy {
                    config.extras.insert(STRATEGY_KEY.into(), s.as_str().into());
                }
                if let Some(tag) = filter_tag {
                    config.extras.insert(FILTER_TAG_KEY.into(), tag);
                }
                Ok(())
            }),
        )
        .await;
    match update {
        Ok(_) => Ok(Reply::empty(204)),
        Err(e) => Err(missing(ctx, topic, e).await),
    }
}

pub async fn get_attributes(ctx: &Ctx<'_>, topic: &str, name: &str) -> MnsResult<Reply> {
    let sub = get_subscription(ctx, topic, name).await?;
    let mut w = Writer::new("Subscription", ctx.form.namespace());
    write_attributes(&mut w, &sub, &ctx.config.account_id);
    Ok(Reply::xml(200, w.finish("Subscription")))
}

/// The ten elements of GetSubscriptionAttributes (Python requires eight of them).
fn write_attributes(w: &mut Writer, sub: &Subscription, account: &str) {
    w.field("SubscriptionName", &sub.name)
        .field("Subscriber", account)
        .field("TopicOwner", account)
        .field("TopicName", &sub.topic)
        .field("Endpoint", &sub.endpoint_text)
        .field("NotifyStrategy", sub.strategy.as_str())
        .field("NotifyContentFormat", sub.format.as_str())
        .field("FilterTag", &sub.filter_tag)
        .field("CreateTime", sub.created_ms / 1000)
        .field("LastModifyTime", sub.modified_ms / 1000);
}

pub async fn unsubscribe(ctx: &Ctx<'_>, topic: &str, name: &str) -> MnsResult<Reply> {
    match ctx
        .service
        .internal()
        .delete_queue(&subscription_queue(topic, name))
        .await
    {
        // Like DeleteQueue and DeleteTopic, removing what is not there succeeds.
        Ok(()) | Err(CoreError::QueueNotFound(_)) => Ok(Reply::empty(204)),
        Err(e) => Err(e.into()),
    }
}

pub async fn list(ctx: &Ctx<'_>, topic: &str) -> MnsResult<Reply> {
    get_topic(ctx, topic).await?;
    let page = ctx.list_page()?;
    let after = page.marker.as_deref().map(|m| subscription_queue(topic, m));
    let fetched = ctx
        .service
        .internal()
        .list_queues(
            &format!("{}{}", topic_prefix(topic), page.prefix),
            after.as_deref(),
            page.fetch(),
        )
        .await?;
    let (subs, more) = page.cut(fetched);
    let subs: Vec<Subscription> = subs.iter().filter_map(Subscription::from_info).collect();

    let mut w = Writer::new("Subscriptions", ctx.form.namespace());
    for s in &subs {
        w.open("Subscription")
            .field("SubscriptionURL", ctx.subscription_url(topic, &s.name));
        // Java's listSubscriptions and Go's ListSubscriptionDetailByTopic ask for the
        // attributes; Python's decoder wants the URL alone.
        if page.with_meta {
            write_attributes(&mut w, s, &ctx.config.account_id);
        }
        w.close("Subscription");
    }
    if let Some(last) = subs.last().filter(|_| more) {
        w.field("NextMarker", &last.name);
    }
    Ok(Reply::xml(200, w.finish("Subscriptions")))
}

/// Every subscription of `topic`, for publishing.
pub async fn of_topic(ctx: &Ctx<'_>, topic: &str) -> MnsResult<Vec<Subscription>> {
    let subs = ctx
        .service
        .internal()
        .list_queues(&topic_prefix(topic), None, usize::MAX)
        .await?;
    Ok(subs.iter().filter_map(Subscription::from_info).collect())
}

/// Removes every subscription of a deleted topic.
pub async fn delete_all(ctx: &Ctx<'_>, topic: &str) -> MnsResult<()> {
    for sub in of_topic(ctx, topic).await? {
        match ctx
            .service
            .internal()
            .delete_queue(&subscription_queue(topic, &sub.name))
            .await
        {
            Ok(()) | Err(CoreError::QueueNotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_queues_are_internal_and_per_topic() {
        let q = subscription_queue("t", "s");
        assert!(polyq_core::is_internal_queue(&q));
        assert!(q.starts_with(&topic_prefix("t")));
        // Topic `t` does not list the subscriptions of topic `t-2`.
        assert!(!subscription_queue("t-2", "s").starts_with(&topic_prefix("t")));
    }

    #[test]
    fn endpoints() {
        assert_eq!(
            Endpoint::parse("acs:mns:cn-hangzhou:123456:queues/q-1").unwrap(),
            Endpoint::Queue("q-1".into())
        );
        assert_eq!(
            Endpoint::parse("http://127.0.0.1:8080/notify").unwrap(),
            Endpoint::Http("http://127.0.0.1:8080/notify".into())
        );
        assert_eq!(
            Endpoint::parse("https://example.com/x").unwrap(),
            Endpoint::Http("https://example.com/x".into())
        );
        // What SDKs build from endpoints with a port or an IP address: region and account are
        // whatever the host split gave.
        for text in [
            "acs:mns::localhost:9324:queues/q-1",
            "acs:mns:internal:9324:host:queues/q-1",
            "acs:mns:null:127:queues/q-1",
            "acs:mns:::queues/q-1",
        ] {
            assert_eq!(
                Endpoint::parse(text).unwrap(),
                Endpoint::Queue("q-1".into()),
                "{text}"
            );
        }
        for text in [
            "mail:directmail:a@example.com",
            "sms:directsms:anonymous",
            "push:24780001",
        ] {
            assert!(
                matches!(Endpoint::parse(text), Ok(Endpoint::Undeliverable(_))),
                "{text}"
            );
        }
        for bad in [
            "acs:mns:cn-hangzhou:123456:topics/t",
            "acs:mns:r:a:queues/bad_name",
            "acs:mns:cn-hangzhou:queues/q",
            "acs:mns:r:a:queues/",
            "http://",
            "http:// spaced/",
            "https://",
            "ftp://example.com",
            "push:",
            "",
        ] {
            assert_eq!(
                Endpoint::parse(bad).unwrap_err().code,
                "EndpointInvalid",
                "{bad}"
            );
        }
        // Reserved URIs: refused to a new subscription, read back when stored before the rule.
        for reserved in [
            "http://example.com/mns-reserved-x",
            "https://example.com:8080/mns-reserved-",
        ] {
            assert_eq!(
                Endpoint::parse_new(reserved).unwrap_err().code,
                "EndpointInvalid"
            );
            assert!(matches!(Endpoint::parse(reserved), Ok(Endpoint::Http(_))));
        }
        for fine in [
            "http://example.com/a/mns-reserved-x",
            "http://mns-reserved-host.example/",
            "http://example.com?mns-reserved-",
        ] {
            assert!(Endpoint::parse_new(fine).is_ok(), "{fine}");
        }
    }

    #[test]
    fn retry_schedules() {
        use NotifyStrategy::*;
        assert_eq!(BackoffRetry.attempts(), 4);
        assert_eq!(ExponentialDecayRetry.attempts(), 177);
        assert_eq!(BackoffRetry.retry_after(1, 0.0), Duration::from_secs(10));
        assert_eq!(BackoffRetry.retry_after(2, 1.0), Duration::from_secs(20));
        assert_eq!(
            ExponentialDecayRetry.retry_after(1, 0.5),
            Duration::from_secs(1)
        );
        assert_eq!(
            ExponentialDecayRetry.retry_after(4, 0.5),
            Duration::from_secs(8)
        );
        assert_eq!(
            ExponentialDecayRetry.retry_after(100, 0.5),
            Duration::from_secs(512)
        );
    }

    #[test]
    fn subscription_round_trips_through_its_queue_config() {
        let sub = Subscription {
            topic: "t".into(),
            name: "s".into(),
            endpoint_text: "acs:mns:r:1:queues/q".into(),
            endpoint: Endpoint::Queue("q".into()),
            filter_tag: "important".into(),
            strategy: NotifyStrategy::ExponentialDecayRetry,
            format: ContentFormat::Json,
            created_ms: 5000,
            modified_ms: 6000,
        };
        let info = QueueInfo {
            name: subscription_queue("t", "s"),
            created_ms: 5000,
            modified_ms: 6000,
            config: sub.config(),
            stats: Default::default(),
        };
        assert_eq!(Subscription::from_info(&info), Some(sub.clone()));
        assert!(sub.accepts("important"));
        assert!(!sub.accepts("other"));
        assert!(!sub.accepts(""));
    }
}
