//! The 23 SQS actions over the JSON-protocol input/output shapes. Both codecs (JSON and
//! query) call [`dispatch`], so every action behaves the same whatever the wire.

mod messages;
pub use messages::content_dedup_id;
mod queues;
mod receive;
mod tasks;

use std::sync::Arc;

use polyq_core::QueueService;
use serde_json::Value;

use crate::error::{SqsError, SqsResult};
use crate::input::Input;
use crate::names::{is_queue_path, name_from_url, Account};

/// Everything an action needs besides its input.
pub struct Ctx<'a> {
    pub service: &'a Arc<QueueService>,
    pub account: &'a Account,
    /// `scheme://host` as the client addressed us, for queue URLs.
    pub origin: &'a str,
    /// Path of the request; old SDKs address the queue by posting to its URL.
    pub path: &'a str,
    /// SenderId for sent messages.
    pub sender_id: &'a str,
    /// When this node last purged (and deleted) each queue, for AWS's 60-second rules.
    pub recent: &'a crate::sixty_seconds::Recent,
    /// The request's `X-Amzn-Trace-Id` header (X-Ray), which SendMessage and
    /// SendMessageBatch keep as their messages' `AWSTraceHeader` system attribute.
    pub trace_header: Option<&'a str>,
    /// The region of the request's credential scope (`None` when unsigned), which decides
    /// what `ListQueues` lists (see [`crate::regions`]).
    pub client_region: Option<&'a str>,
}

impl Ctx<'_> {
    /// Queue named by `QueueUrl`, or by the request path when the parameter is absent.
    pub fn queue_name(&self, input: &Input) -> SqsResult<String> {
        match input.opt_str("QueueUrl")? {
            Some(url) => name_from_url(url),
            None if is_queue_path(self.path) => name_from_url(self.path),
            None => Err(SqsError::missing("QueueUrl")),
        }
    }

    pub fn queue_url(&self, name: &str) -> String {
        self.account.queue_url(self.origin, name)
    }
}

/// Every action name, as the botocore model spells it.
pub const ACTIONS: &[&str] = &[
    "AddPermission",
    "CancelMessageMoveTask",
    "ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch",
    "CreateQueue",
    "DeleteMessage",
    "DeleteMessageBatch",
    "DeleteQueue",
    "GetQueueAttributes",
    "GetQueueUrl",
    "ListDeadLetterSourceQueues",
    "ListMessageMoveTasks",
    "ListQueueTags",
    "ListQueues",
    "PurgeQueue",
    "ReceiveMessage",
    "RemovePermission",
    "SendMessage",
    "SendMessageBatch",
    "SetQueueAttributes",
    "StartMessageMoveTask",
    "TagQueue",
    "UntagQueue",
];

pub async fn dispatch(action: &str, ctx: &Ctx<'_>, input: &Value) -> SqsResult<Value> {
    let input = Input::of(input)?;
    match action {
        "CreateQueue" => queues::create_queue(ctx, input).await,
        "GetQueueUrl" => queues::get_queue_url(ctx, input).await,
        "ListQueues" => queues::list_queues(ctx, input).await,
        "DeleteQueue" => queues::delete_queue(ctx, input).await,
        "GetQueueAttributes" => queues::get_queue_attributes(ctx, input).await,
        "SetQueueAttributes" => queues::set_queue_attributes(ctx, input).await,
        "PurgeQueue" => queues::purge_queue(ctx, input).await,
        "TagQueue" => queues::tag_queue(ctx, input).await,
        "UntagQueue" => queues::untag_queue(ctx, input).await,
        "ListQueueTags" => queues::list_queue_tags(ctx, input).await,
        "AddPermission" => queues::add_permission(ctx, input).await,
        "RemovePermission" => queues::remove_permission(ctx, input).await,
        "ListDeadLetterSourceQueues" => queues::list_dead_letter_source_queues(ctx, input).await,
        "SendMessage" => messages::send_message(ctx, input).await,
        "SendMessageBatch" => messages::send_message_batch(ctx, input).await,
        "ReceiveMessage" => receive::receive_message(ctx, input).await,
        "DeleteMessage" => messages::delete_message(ctx, input).await,
        "DeleteMessageBatch" => messages::delete_message_batch(ctx, input).await,
        "ChangeMessageVisibility" => messages::change_message_visibility(ctx, input).await,
        "ChangeMessageVisibilityBatch" => {
            messages::change_message_visibility_batch(ctx, input).await
        }
        "StartMessageMoveTask" => tasks::start_message_move_task(ctx, input).await,
        "ListMessageMoveTasks" => tasks::list_message_move_tasks(ctx, input).await,
        "CancelMessageMoveTask" => tasks::cancel_message_move_task(ctx, input).await,
        other => Err(crate::wire::invalid_action(other)),
    }
}

/// Paging tokens for list actions: the last name returned, hex-encoded so it is opaque text.
pub(crate) fn encode_token(last: &str) -> String {
    hex::encode(last.as_bytes())
}

pub(crate) fn decode_token(token: &str) -> SqsResult<String> {
    hex::decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| SqsError::invalid_value("Invalid NextToken value."))
}
