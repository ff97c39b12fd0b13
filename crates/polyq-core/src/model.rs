//! The neutral queue vocabulary (see the glossary in ARCHITECTURE.md for each vendor's name).

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::ids::Receipt;

/// Lowest priority number: served first (MNS semantics; other dialects use the default).
pub const PRIORITY_HIGHEST: u8 = 1;
pub const PRIORITY_LOWEST: u8 = 16;
pub const PRIORITY_DEFAULT: u8 = 8;

/// Window in which FIFO deduplication ids are remembered (SQS: 5 minutes).
pub const DEDUP_WINDOW_MS: u64 = 5 * 60 * 1000;

/// First character of an internal queue's name. A dialect may keep state of its own in core
/// queues (MNS topics and subscriptions do) so that it is as durable and as shared as queues
/// are; those queues are named with this prefix, which no dialect's queue-name rules allow
/// and which sorts after every character they do allow. [`crate::QueueService::list_queues`]
/// leaves them out, and each dialect answers "no such queue" when the wire names one.
pub const INTERNAL_QUEUE_PREFIX: char = '~';

/// Whether `name` is an internal queue (see [`INTERNAL_QUEUE_PREFIX`]).
pub fn is_internal_queue(name: &str) -> bool {
    name.starts_with(INTERNAL_QUEUE_PREFIX)
}

/// Settable queue configuration, the union of what the vendors offer. Times are seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueConfig {
    /// Default delay of new messages.
    pub delay_seconds: u32,
    /// Default lease length of a receive.
    pub visibility_timeout: u32,
    /// Largest accepted body, bytes (enforced by the dialects, which know their encodings).
    pub max_message_size: u32,
    /// How long a message lives when it has no TTL of its own.
    pub retention_seconds: u64,
    /// Default long-poll wait of a receive.
    pub receive_wait_seconds: u32,
    pub redrive: Option<RedrivePolicy>,
    pub fifo: bool,
    pub content_based_dedup: bool,
    pub dedup_scope: DedupScope,
    /// SQS tags.
    pub tags: BTreeMap<String, String>,
    /// Azure metadata (`x-ms-meta-*`).
    pub metadata: BTreeMap<String, String>,
    /// Vendor attributes kept verbatim (SQS Policy, KMS settings, MNS LoggingEnabled, ...).
    pub extras: BTreeMap<String, String>,
}

impl Default for QueueConfig {
    /// SQS's defaults; other dialects override what differs for them.
    fn default() -> Self {
        QueueConfig {
            delay_seconds: 0,
            visibility_timeout: 30,
            max_message_size: 1_048_576,
            retention_seconds: 345_600,
            receive_wait_seconds: 0,
            redrive: None,
            fifo: false,
            content_based_dedup: false,
            dedup_scope: DedupScope::Queue,
            tags: BTreeMap::new(),
            metadata: BTreeMap::new(),
            extras: BTreeMap::new(),
        }
    }
}

/// `extras` key of the deduplication scope that still applies after `DeduplicationScope` was
/// changed, and until when: `"queue 1765000000000"` (scope, then Unix ms). AWS applies a changed
/// scope only once the change has propagated: its recorded answers (LocalStack's AWS-validated
/// `test_fifo_change_to_high_throughput_after_creation` and `..._regular_throughput_...`)
/// keep deduplicating by the old scope right after the change, in both directions.
pub const DEDUP_SCOPE_BEFORE_KEY: &str = "polyq:DedupScopeBefore";

/// How long a changed deduplication scope takes to apply: AWS says attribute changes can take up
/// to 60 seconds to propagate.
pub const DEDUP_SCOPE_PROPAGATION_MS: u64 = 60_000;

impl DedupScope {
    fn as_str(self) -> &'static str {
        match self {
            DedupScope::Queue => "queue",
            DedupScope::MessageGroup => "messageGroup",
        }
    }
}

impl QueueConfig {
    /// The deduplication scope in force at `now_ms` (see [`DEDUP_SCOPE_BEFORE_KEY`]).
    pub fn dedup_scope_at(&self, now_ms: u64) -> DedupScope {
        let before = self
            .extras
            .get(DEDUP_SCOPE_BEFORE_KEY)
            .and_then(|v| v.split_once(' '))
            .and_then(|(scope, until)| Some((scope, until.parse::<u64>().ok()?)));
        match before {
            Some(("queue", until)) if now_ms < until => DedupScope::Queue,
            Some(("messageGroup", until)) if now_ms < until => DedupScope::MessageGroup,
            _ => self.dedup_scope,
        }
    }

    /// Sets the scope shown from now on; the one in force keeps applying until the change has
    /// propagated ([`DEDUP_SCOPE_PROPAGATION_MS`]).
    pub fn change_dedup_scope(&mut self, scope: DedupScope, now_ms: u64) {
        let in_force = self.dedup_scope_at(now_ms);
        self.dedup_scope = scope;
        if scope == in_force {
            self.extras.remove(DEDUP_SCOPE_BEFORE_KEY);
        } else {
            let until = now_ms + DEDUP_SCOPE_PROPAGATION_MS;
            self.extras.insert(
                DEDUP_SCOPE_BEFORE_KEY.into(),
                format!("{} {until}", in_force.as_str()),
            );
        }
    }

    /// The key a FIFO message's deduplication id is remembered under at `now_ms`: the id alone,
    /// or its group and the id when deduplication is per message group.
    pub fn dedup_key(&self, dedup_id: &str, group_id: Option<&str>, now_ms: u64) -> String {
        match self.dedup_scope_at(now_ms) {
            DedupScope::Queue => dedup_id.to_string(),
            DedupScope::MessageGroup => format!("{}\n{dedup_id}", group_id.unwrap_or("")),
        }
    }
}

/// Where messages go after too many receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedrivePolicy {
    /// Name of the dead-letter queue.
    pub dead_letter_queue: String,
    /// A message received this many times is moved on its next receive attempt.
    pub max_receive_count: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum DedupScope {
    #[default]
    Queue,
    MessageGroup,
}

/// Message counts by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueStats {
    /// Ready to be received now.
    pub visible: u64,
    /// Leased and not yet visible again.
    pub in_flight: u64,
    /// Sent with a delay that has not passed.
    pub delayed: u64,
}

/// A queue as stored, with its current counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueInfo {
    pub name: String,
    pub created_ms: u64,
    pub modified_ms: u64,
    pub config: QueueConfig,
    pub stats: QueueStats,
}

/// Outcome of a create: a new queue, or the one that already had the name (the dialect
/// decides whether that is success or a conflict).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOutcome {
    Created(QueueInfo),
    Exists(QueueInfo),
}

/// Value of a typed message attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttributeValue {
    String(String),
    Binary(Bytes),
}

/// A typed attribute: SQS message attribute (`String`, `Number`, `Binary`, with optional
/// `.custom` suffix) or an MNS user property (type `String`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageAttribute {
    pub data_type: String,
    pub value: AttributeValue,
}

pub type Attributes = BTreeMap<String, MessageAttribute>;

/// Message lifetime asked for at send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum MessageTtl {
    /// The queue's retention period.
    #[default]
    QueueRetention,
    Seconds(u64),
    /// Never expires (Azure `messagettl=-1`).
    Never,
}

/// A message as a dialect hands it to the core.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewMessage {
    pub body: Bytes,
    pub attributes: Attributes,
    pub system_attributes: Attributes,
    /// 1..=16, 1 first; `None` means [`PRIORITY_DEFAULT`].
    pub priority: Option<u8>,
    /// `None` uses the queue's delay.
    pub delay_seconds: Option<u32>,
    pub ttl: MessageTtl,
    pub group_id: Option<String>,
    /// FIFO deduplication id; for content-based dedup the dialect passes the body hash here.
    pub dedup_id: Option<String>,
    /// Who sent it (SQS `SenderId`).
    pub sender_id: Option<String>,
}

/// What a send reports per message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub id: String,
    /// Receipt of lease generation 0, valid until the first receive (Azure's put pop receipt).
    pub receipt: Receipt,
    pub enqueued_ms: u64,
    pub visible_ms: u64,
    pub expires_ms: Option<u64>,
    /// FIFO sequence number.
    pub sequence_number: Option<u64>,
    /// True when FIFO deduplication swallowed this send (the id is the original message's).
    pub deduplicated: bool,
}

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageState {
    #[default]
    Ready,
    Delayed,
    InFlight,
}

/// A stored message. `Default` is an empty, ready message with sequence number 0 and
/// priority 0 (for building test fixtures with `..Default::default()`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    pub id: String,
    pub seq: u64,
    pub body: Bytes,
    pub attributes: Attributes,
    pub system_attributes: Attributes,
    pub priority: u8,
    pub enqueued_ms: u64,
    pub visible_ms: u64,
    pub expires_ms: Option<u64>,
    pub receive_count: u32,
    pub first_receive_ms: Option<u64>,
    /// When the current (or latest) lease began: the most recent receive. SQS caps the total
    /// time a receive can keep a message hidden (see [`VisibilityChange::max_total_seconds`]).
    pub last_receive_ms: Option<u64>,
    /// Current lease generation; a receipt is valid only for this generation.
    pub lease: u64,
    pub state: MessageState,
    pub group_id: Option<String>,
    pub dedup_id: Option<String>,
    pub sequence_number: Option<u64>,
    pub sender_id: Option<String>,
    /// Queue the message was dead-lettered from, for redrive back.
    pub dead_letter_source: Option<String>,
}

impl Message {
    pub fn receipt(&self) -> Receipt {
        Receipt {
            seq: self.seq,
            lease: self.lease,
        }
    }
}

/// A receive request as the store sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeaseRequest {
    pub max_messages: usize,
    /// `None` uses the queue's visibility timeout.
    pub visibility_seconds: Option<u32>,
    /// SQS `ReceiveRequestAttemptId`: a retry with the same id within the dedup window gets the
    /// same messages back while their leases are unchanged.
    pub attempt_id: Option<String>,
}

/// What a lease attempt found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeaseOutcome {
    /// Leased messages, each with its new receipt (`message.receipt()`).
    pub messages: Vec<Message>,
    /// Earliest time a currently delayed or in-flight message becomes visible, so a long poll
    /// knows when to look again without being told.
    pub next_visible_ms: Option<u64>,
    /// The queue's default long-poll wait.
    pub queue_wait_seconds: u32,
    /// A queue this lease put messages into, visible now, whose waiting receivers are then
    /// woken: the dead-letter queue, or the source itself when the dead-letter queue was
    /// deleted meanwhile and the messages went back (a store that wakes them itself, as
    /// PostgreSQL's notifications do, may leave it `None`).
    pub moved_into: Option<String>,
}

/// One visibility change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisibilityChange {
    pub receipt: Receipt,
    pub visibility_seconds: u32,
    /// Mint a new lease generation (MNS and Azure hand out a new receipt; SQS keeps it).
    pub renew_receipt: bool,
    /// Refuse (with [`CoreError::MessageNotInFlight`]) when the message is visible: its lease
    /// ran out. A message still hidden, leased or delayed, takes the change (MNS changes a
    /// delayed message by its send handle: the Java SDK's TransactionQueue commits that way).
    /// Azure (and the 2007 SQS API's change by id) re-hide a visible message instead; SQS's
    /// ChangeMessageVisibility asks for this check and answers its refusal as a success that
    /// changed nothing.
    ///
    /// [`CoreError::MessageNotInFlight`]: crate::CoreError::MessageNotInFlight
    pub require_hidden: bool,
    /// Also accept the receipt of an earlier receive of the message: SQS applies a change made
    /// with an older receipt handle to the message; MNS and Azure refuse it.
    pub accept_older_receipt: bool,
    /// SQS's 12-hour cap: refuse (with [`CoreError::VisibilityBeyondLimit`]) a change that would
    /// keep the message hidden longer than this many seconds after the receive that leased it,
    /// counting whole seconds elapsed since that receive plus the new timeout. `None`: no cap.
    ///
    /// [`CoreError::VisibilityBeyondLimit`]: crate::CoreError::VisibilityBeyondLimit
    pub max_total_seconds: Option<u32>,
}

/// Result of a visibility change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relet {
    pub receipt: Receipt,
    pub visible_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_dedup_scope_applies_after_propagation_and_a_change_back_at_once() {
        let mut c = QueueConfig {
            fifo: true,
            ..Default::default()
        };
        assert_eq!(c.dedup_key("id", Some("g"), 0), "id");
        c.change_dedup_scope(DedupScope::MessageGroup, 1_000);
        assert_eq!(c.dedup_scope, DedupScope::MessageGroup);
        assert_eq!(c.dedup_scope_at(1_000), DedupScope::Queue);
        assert_eq!(c.dedup_key("id", Some("g"), 60_999), "id");
        assert_eq!(c.dedup_key("id", Some("g"), 61_000), "g\nid");
        // Changed back before it applied: the scope in force never changed.
        c.change_dedup_scope(DedupScope::Queue, 30_000);
        assert!(!c.extras.contains_key(DEDUP_SCOPE_BEFORE_KEY));
        assert_eq!(c.dedup_scope_at(30_000), DedupScope::Queue);
        // A damaged record is ignored rather than trusted.
        c.extras
            .insert(DEDUP_SCOPE_BEFORE_KEY.into(), "sideways 99999999".into());
        assert_eq!(c.dedup_scope_at(0), DedupScope::Queue);
    }
}
