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

/// The task id and source ARN inside a handle.
fn decode_handle(handle: &str) -> Option<(String, String)> {
    let raw = B64.decode(handle).ok()?;
    let v: Value = serde_json::from_slice(&raw).ok()?;
    Some((
        v.get("taskId")?.as_str()?.to_string(),
        v.get("sourceArn")?.as_str()?.to_string(),
    ))
}

pub async fn start_message_move_task(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let source_arn = input.str("SourceArn")?;
    let source = queue_of_arn(source_arn, "SourceArn")?;
    let destination = input
        .opt_str("DestinationArn")?
        .map(|a| queue_of_arn(a, "DestinationArn"))
        .transpose()?;
    // Move-task actions word the range without ", if provided" (moto's recorded texts).
    let rate = input.opt_between("MaxNumberOfMessagesPerSecond", 1, 500, "")?;
    let source_queue = ctx
        .service
        .get_queue(&source)
        .await
        .map_err(|_| not_found("SourceArn"))?;
    let destination_queue = match &destination {
        Some(d) => Some(
            ctx.service
                .get_queue(d)
                .await
                .map_err(|_| not_found("DestinationArn"))?,
        ),
        None => None,
    };
    // AWS only redrives out of a queue that is some queue's dead-letter queue.
    if ctx.service.dead_letter_sources(&source).await?.is_empty() {
        return Err(SqsError::invalid_value(
            "Source queue must be configured as a Dead Letter Queue.",
        ));
    }
    if let Some(dest) = &destination_queue {
        // Texts of local-aws-sqs, whose messages are AWS's; the rule is the developer guide's
        // ("any other queue as the redrive destination if both queues are the same type").
        if dest.name == source {
            return Err(SqsError::invalid_value(
                "Source queue arn and destination queue arn cannot be the same.",
            ));
        }
        if dest.config.fifo != source_queue.config.fifo {
            return Err(SqsError::invalid_value(
                "The source queue and destination queue must be of the same queue type.",
            ));
        }
    }
    // Checked here rather than left to the core so the answer carries AWS's wording. A task
    // being cancelled is still the active one: AWS answers the same until it has stopped.
    let active = |t: &MoveTaskInfo| {
        matches!(
            t.status,
            MoveTaskStatus::Running | MoveTaskStatus::Cancelling
        )
    };
    let already_running = || {
        SqsError::invalid_value(
            "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
        )
    };
    if ctx.service.list_move_tasks(&source, 10).iter().any(active) {
        return Err(already_running());
    }
    let id = ctx
        .service
        .start_move_task(&source, destination.as_deref(), rate.map(|r| r as u32))
        .await
        .map_err(|e| match e {
            // A task started by a concurrent request between the check and here.
            polyq_core::CoreError::Conflict(_) => already_running(),
            other => other.into(),
        })?;
    let task = ctx
        .service
        .list_move_tasks(&source, 10)
        .into_iter()
        .find(|t| t.handle == id)
        .ok_or_else(|| SqsError::new(ErrorCode::InternalError, "The move task vanished."))?;
    Ok(json!({ "TaskHandle": encode_handle(&task, source_arn) }))
}

/// AWS reports a failed task by its error code (recorded answer for a destination deleted
/// mid-task: `AWS.SimpleQueueService.NonExistentQueue`); the core keeps its own error text,
/// whose "queue … does not exist" form is that case.
fn failure_reason(core_text: &str) -> String {
    if core_text.starts_with("queue ") && core_text.ends_with(" does not exist") {
        ErrorCode::QueueDoesNotExist.query_code().to_string()
    } else {
        core_text.to_string()
    }
}

pub async fn list_message_move_tasks(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let source_arn = input.str("SourceArn")?;
    let source = queue_of_arn(source_arn, "SourceArn")?;
    let max = input.opt_between("MaxResults", 1, 10, "")?.unwrap_or(1) as usize;
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
                m.insert("FailureReason".into(), failure_reason(f).into());
            }
            m.insert("StartedTimestamp".into(), t.started_ms.into());
            Value::Object(m)
        })
        .collect();
    Ok(json!({ "Results": results }))
}

pub async fn cancel_message_move_task(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let handle = input.str("TaskHandle")?;
    // AWS's three answers (recorded): a handle that does not decode is an invalid value; a
    // decodable one names a missing source queue, or a task that source does not have.
    let (id, source_arn) = decode_handle(handle)
        .ok_or_else(|| SqsError::invalid_value("Value for parameter TaskHandle is invalid."))?;
    let source = name_from_arn(&source_arn).ok_or_else(|| not_found("SourceArn"))?;
    ctx.service
        .get_queue(&source)
        .await
        .map_err(|_| not_found("SourceArn"))?;
    // A task that finished already is, for cancelling, a task that does not exist.
    let task = ctx.service.cancel_move_task(&id).map_err(|e| match e {
        polyq_core::CoreError::InvalidArgument(_) | polyq_core::CoreError::Conflict(_) => {
            SqsError::new(ErrorCode::ResourceNotFoundException, "Task does not exist.")
        }
        other => other.into(),
    })?;
    Ok(json!({ "ApproximateNumberOfMessagesMoved": task.moved }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_round_trip_and_failures_use_aws_codes() {
        let raw = B64.encode(r#"{"taskId":"t-1","sourceArn":"arn:aws:sqs:us-east-1:0:q"}"#);
        assert_eq!(
            decode_handle(&raw),
            Some(("t-1".into(), "arn:aws:sqs:us-east-1:0:q".into()))
        );
        assert_eq!(decode_handle("foobared"), None);
        assert_eq!(decode_handle(&B64.encode("not-a-real-task")), None);
        assert_eq!(
            failure_reason("queue dst does not exist"),
            "AWS.SimpleQueueService.NonExistentQueue"
        );
        assert_eq!(failure_reason("the store failed"), "the store failed");
    }
}
