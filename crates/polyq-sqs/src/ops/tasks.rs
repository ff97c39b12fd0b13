//! Message move tasks (dead-letter queue redrive).

use base64::Engine;
use polyq_core::move_tasks::{MoveTaskInfo, MoveTaskStatus};
use serde_json::{json, Map, Value};

use super::Ctx;
use crate::error::{ErrorCode, SqsError, SqsResult};
use crate::input::Input;
use crate::names::name_from_arn;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn not_found(what: &str) -> SqsError {
    SqsError::new(
        ErrorCode::ResourceNotFoundException,
        format!("The resource that you specified for the {what} parameter doesn't exist."),
    )
}

fn queue_of_arn(arn: &str, param: &str) -> SqsResult<String> {
    name_from_arn(arn).ok_or_else(|| {
        SqsError::bad_param(param, arn, "The ARN is not a valid Amazon SQS queue ARN.")
    })
}

/// AWS task handles are base64 JSON naming the task and its source; ours too.
fn encode_handle(task: &MoveTaskInfo, source_arn: &str) -> String {
    B64.encode(json!({"taskId": task.handle, "sourceArn": source_arn}).to_string())
}

fn decode_handle(handle: &str) -> Option<String> {
    let raw = B64.decode(handle).ok()?;
    let v: Value = serde_json::from_slice(&raw).ok()?;
    v.get("taskId")?.as_str().map(str::to_string)
}

pub async fn start_message_move_task(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let source_arn = input.str("SourceArn")?;
    let source = queue_of_arn(source_arn, "SourceArn")?;
    let destination = input
        .opt_str("DestinationArn")?
        .map(|a| queue_of_arn(a, "DestinationArn"))
        .transpose()?;
    let rate = input.opt_range("MaxNumberOfMessagesPerSecond", 1, 500)?;
    ctx.service
        .get_queue(&source)
        .await
        .map_err(|_| not_found("SourceArn"))?;
    if let Some(d) = &destination {
        ctx.service
            .get_queue(d)
            .await
            .map_err(|_| not_found("DestinationArn"))?;
    }
    // AWS only redrives out of a queue that is some queue's dead-letter queue.
    if ctx.service.dead_letter_sources(&source).await?.is_empty() {
        return Err(SqsError::invalid_value(
            "Source queue must be configured as a Dead Letter Queue.",
        ));
    }
    let id = ctx
        .service
        .start_move_task(&source, destination.as_deref(), rate.map(|r| r as u32))
        .await?;
    let task = ctx
        .service
        .list_move_tasks(&source, 10)
        .into_iter()
        .find(|t| t.handle == id)
        .ok_or_else(|| SqsError::new(ErrorCode::InternalError, "The move task vanished."))?;
    Ok(json!({ "TaskHandle": encode_handle(&task, source_arn) }))
}

pub async fn list_message_move_tasks(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let source_arn = input.str("SourceArn")?;
    let source = queue_of_arn(source_arn, "SourceArn")?;
    let max = input.opt_range("MaxResults", 1, 10)?.unwrap_or(1) as usize;
    ctx.service
        .get_queue(&source)
        .await
        .map_err(|_| not_found("SourceArn"))?;
    let results: Vec<Value> = ctx
        .service
        .list_move_tasks(&source, max)
        .iter()
        .map(|t| {
            let mut m = Map::new();
            if t.status == MoveTaskStatus::Running {
                m.insert("TaskHandle".into(), encode_handle(t, source_arn).into());
            }
            m.insert("Status".into(), t.status.as_str().into());
            m.insert("SourceArn".into(), source_arn.into());
            if let Some(d) = &t.destination {
                m.insert("DestinationArn".into(), ctx.account.arn(d).into());
            }
            if let Some(r) = t.max_per_second {
                m.insert("MaxNumberOfMessagesPerSecond".into(), r.into());
            }
            m.insert("ApproximateNumberOfMessagesMoved".into(), t.moved.into());
            m.insert("ApproximateNumberOfMessagesToMove".into(), t.to_move.into());
            if let Some(f) = &t.failure_reason {
                m.insert("FailureReason".into(), f.clone().into());
            }
            m.insert("StartedTimestamp".into(), t.started_ms.into());
            Value::Object(m)
        })
        .collect();
    Ok(json!({ "Results": results }))
}

pub async fn cancel_message_move_task(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let handle = input.str("TaskHandle")?;
    let id = decode_handle(handle).ok_or_else(|| not_found("TaskHandle"))?;
    let task = ctx.service.cancel_move_task(&id).map_err(|e| match e {
        polyq_core::CoreError::InvalidArgument(_) => not_found("TaskHandle"),
        other => other.into(),
    })?;
    Ok(json!({ "ApproximateNumberOfMessagesMoved": task.moved }))
}
