//! Queue management actions.

use polyq_core::CreateOutcome;
use serde_json::{json, Map, Value};

use super::{decode_token, encode_token, Ctx};
use crate::error::{ErrorCode, SqsError, SqsResult};
use crate::input::Input;
use crate::names::validate_queue_name;
use crate::queue_attrs;

/// AWS refuses a redrive policy whose dead-letter queue is missing or of the other type.
async fn check_redrive(ctx: &Ctx<'_>, config: &polyq_core::QueueConfig) -> SqsResult<()> {
    let Some(r) = &config.redrive else {
        return Ok(());
    };
    let policy = queue_attrs::read_redrive(r, ctx.account);
    let dlq = ctx
        .service
        .get_queue(&r.dead_letter_queue)
        .await
        .map_err(|_| {
            SqsError::bad_param(
                "RedrivePolicy",
                &policy,
                "Dead letter target does not exist.",
            )
        })?;
    if dlq.config.fifo != config.fifo {
        return Err(SqsError::bad_param(
            "RedrivePolicy",
            &policy,
            "Dead-letter queue must be same type of queue as the source.",
        ));
    }
    Ok(())
}

pub async fn create_queue(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = input.str("QueueName")?;
    let attrs = input.str_map("Attributes")?;
    // The JSON member is `tags` (lower case), the query codec maps `Tag.N.*` onto it.
    let tags = input.str_map("tags")?;
    let config = queue_attrs::for_create(name, &attrs)?;
    validate_queue_name(name, config.fifo)?;
    let mut config = config;
    config.tags = tags;
    check_redrive(ctx, &config).await?;
    match ctx.service.create_queue(name, config.clone()).await? {
        CreateOutcome::Created(_) => {}
        CreateOutcome::Exists(existing) => {
            if queue_attrs::differs(&existing, &config, &attrs, ctx.account) {
                return Err(SqsError::new(
                    ErrorCode::QueueNameExists,
                    format!("A queue already exists with the same name and a different value for attribute(s) {}", attrs.keys().cloned().collect::<Vec<_>>().join(", ")),
                ));
            }
        }
    }
    Ok(json!({ "QueueUrl": ctx.queue_url(name) }))
}

pub async fn get_queue_url(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = input.str("QueueName")?;
    // This server holds one account's queues: another owner's queue does not exist here.
    if input
        .opt_str("QueueOwnerAWSAccountId")?
        .is_some_and(|owner| owner != ctx.account.account_id)
    {
        return Err(SqsError::no_queue());
    }
    ctx.service.get_queue(name).await?;
    Ok(json!({ "QueueUrl": ctx.queue_url(name) }))
}

pub async fn list_queues(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let prefix = input.opt_str("QueueNamePrefix")?.unwrap_or("");
    let max = input.opt_range("MaxResults", 1, 1000)?;
    let after = input.opt_str("NextToken")?.map(decode_token).transpose()?;
    let limit = max.unwrap_or(1000) as usize;
    // One extra tells whether another page exists.
    let mut queues = ctx
        .service
        .list_queues(prefix, after.as_deref(), limit + 1)
        .await?;
    let more = queues.len() > limit;
    queues.truncate(limit);
    let mut out = Map::new();
    if !queues.is_empty() {
        let urls: Vec<Value> = queues
            .iter()
            .map(|q| Value::String(ctx.queue_url(&q.name)))
            .collect();
        out.insert("QueueUrls".into(), Value::Array(urls));
    }
    if more && max.is_some() {
        if let Some(last) = queues.last() {
            out.insert("NextToken".into(), Value::String(encode_token(&last.name)));
        }
    }
    Ok(Value::Object(out))
}

pub async fn delete_queue(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = ctx.queue_name(&input)?;
    ctx.service.delete_queue(&name).await?;
    Ok(json!({}))
}

pub async fn get_queue_attributes(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = ctx.queue_name(&input)?;
    let wanted = input.str_list("AttributeNames")?;
    if let Some(bad) = wanted.iter().find(|n| !queue_attrs::is_readable(n)) {
        return Err(SqsError::new(
            ErrorCode::InvalidAttributeName,
            format!("Unknown Attribute {bad}."),
        ));
    }
    let info = ctx.service.get_queue(&name).await?;
    let all = wanted.contains(&"All");
    let mut attrs = Map::new();
    for n in queue_attrs::READABLE {
        if all || wanted.contains(n) {
            if let Some(v) = queue_attrs::read(&info, n, ctx.account) {
                attrs.insert(n.to_string(), Value::String(v));
            }
        }
    }
    if attrs.is_empty() {
        return Ok(json!({}));
    }
    Ok(json!({ "Attributes": attrs }))
}

pub async fn set_queue_attributes(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = ctx.queue_name(&input)?;
    let attrs = input.str_map("Attributes")?;
    if attrs.is_empty() {
        return Err(SqsError::missing("Attributes"));
    }
    // Validate fully before touching the stored queue, so a bad entry changes nothing.
    let current = ctx.service.get_queue(&name).await?;
    let mut probe = current.config.clone();
    for (k, v) in &attrs {
        queue_attrs::apply(&mut probe, k, v, false)?;
    }
    check_redrive(ctx, &probe).await?;
    ctx.service
        .update_queue(
            &name,
            Box::new(move |c| {
                for (k, v) in &attrs {
                    queue_attrs::apply(c, k, v, false)
                        .map_err(|e| polyq_core::CoreError::InvalidArgument(e.message))?;
                }
                Ok(())
            }),
        )
        .await?;
    Ok(json!({}))
}

pub async fn purge_queue(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = ctx.queue_name(&input)?;
    ctx.service.purge_queue(&name).await?;
    Ok(json!({}))
}

pub async fn tag_queue(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = ctx.queue_name(&input)?;
    let tags = input.str_map("Tags")?;
    if tags.is_empty() {
        return Err(SqsError::missing("Tags"));
    }
    if let Some(bad) = tags.keys().find(|k| k.is_empty() || k.len() > 128) {
        return Err(SqsError::bad_param(
            "Tags",
            bad,
            "Tag keys must be between 1 and 128 characters in length.",
        ));
    }
    ctx.service
        .update_queue(
            &name,
            Box::new(move |c| {
                c.tags.extend(tags);
                Ok(())
            }),
        )
        .await?;
    Ok(json!({}))
}

pub async fn untag_queue(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = ctx.queue_name(&input)?;
    let keys: Vec<String> = input
        .str_list("TagKeys")?
        .into_iter()
        .map(str::to_string)
        .collect();
    if keys.is_empty() {
        return Err(SqsError::missing("TagKeys"));
    }
    ctx.service
        .update_queue(
            &name,
            Box::new(move |c| {
                for k in &keys {
                    c.tags.remove(k);
                }
                Ok(())
            }),
        )
        .await?;
    Ok(json!({}))
}

pub async fn list_queue_tags(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = ctx.queue_name(&input)?;
    let info = ctx.service.get_queue(&name).await?;
    if info.config.tags.is_empty() {
        return Ok(json!({}));
    }
    Ok(json!({ "Tags": info.config.tags }))
}

/// Actions a permission may grant (batch actions are covered by their single forms).
const PERMISSION_ACTIONS: &[&str] = &[
    "*",
    "SendMessage",
    "ReceiveMessage",
    "DeleteMessage",
    "ChangeMessageVisibility",
    "GetQueueAttributes",
    "GetQueueUrl",
    "ListDeadLetterSourceQueues",
    "PurgeQueue",
];

pub async fn add_permission(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = ctx.queue_name(&input)?;
    let label = input.str("Label")?.to_string();
    let accounts = input.str_list("AWSAccountIds")?;
    let actions = input.str_list("Actions")?;
    if accounts.is_empty() {
        return Err(SqsError::missing("AWSAccountIds"));
    }
    if actions.is_empty() {
        return Err(SqsError::missing("Actions"));
    }
    if let Some(bad) = actions.iter().find(|a| !PERMISSION_ACTIONS.contains(a)) {
        return Err(SqsError::bad_param(
            "ActionName",
            bad,
            "Please refer to the appropriate WSDL for a list of valid actions.",
        ));
    }
    let arn = ctx.account.arn(&name);
    let statement = json!({
        "Sid": label,
        "Effect": "Allow",
        "Principal": { "AWS": accounts.iter().map(|a| format!("arn:aws:iam::{a}:root")).collect::<Vec<_>>() },
        "Action": actions.iter().map(|a| format!("SQS:{a}")).collect::<Vec<_>>(),
        "Resource": arn,
    });
    ctx.service
        .update_queue(
            &name,
            Box::new(move |c| {
                let mut policy: Value = c
                    .extras
                    .get("Policy")
                    .and_then(|p| serde_json::from_str(p).ok())
                    .unwrap_or_else(|| json!({"Version": "2012-10-17", "Id": format!("{arn}/SQSDefaultPolicy"), "Statement": []}));
                let statements = policy["Statement"].as_array_mut().ok_or_else(|| {
                    polyq_core::CoreError::InvalidArgument("The queue's Policy has no Statement list.".into())
                })?;
                if statements.iter().any(|s| s["Sid"] == label.as_str()) {
                    return Err(polyq_core::CoreError::InvalidArgument(format!(
                        "Value {label} for parameter Label is invalid. Reason: Already exists."
                    )));
                }
                statements.push(statement);
                c.extras.insert("Policy".into(), policy.to_string());
                Ok(())
            }),
        )
        .await?;
    Ok(json!({}))
}

pub async fn remove_permission(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = ctx.queue_name(&input)?;
    let label = input.str("Label")?.to_string();
    ctx.service
        .update_queue(
            &name,
            Box::new(move |c| {
                let missing = || {
                    polyq_core::CoreError::InvalidArgument(format!(
                        "Value {label} for parameter Label is invalid. Reason: can't find label on existing policy."
                    ))
                };
                let mut policy: Value = c.extras.get("Policy").and_then(|p| serde_json::from_str(p).ok()).ok_or_else(missing)?;
                let statements = policy["Statement"].as_array_mut().ok_or_else(missing)?;
                let before = statements.len();
                statements.retain(|s| s["Sid"] != label.as_str());
                if statements.len() == before {
                    return Err(missing());
                }
                if statements.is_empty() {
                    c.extras.remove("Policy");
                } else {
                    c.extras.insert("Policy".into(), policy.to_string());
                }
                Ok(())
            }),
        )
        .await?;
    Ok(json!({}))
}

pub async fn list_dead_letter_source_queues(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = ctx.queue_name(&input)?;
    let max = input.opt_range("MaxResults", 1, 1000)?;
    let after = input.opt_str("NextToken")?.map(decode_token).transpose()?;
    let sources = ctx.service.dead_letter_sources(&name).await?;
    let limit = max.unwrap_or(1000) as usize;
    let rest: Vec<_> = sources
        .iter()
        .filter(|q| after.as_deref().is_none_or(|a| q.name.as_str() > a))
        .collect();
    let page = &rest[..rest.len().min(limit)];
    let mut out = Map::new();
    out.insert(
        "queueUrls".into(),
        Value::Array(
            page.iter()
                .map(|q| Value::String(ctx.queue_url(&q.name)))
                .collect(),
        ),
    );
    if rest.len() > limit && max.is_some() {
        if let Some(last) = page.last() {
            out.insert("NextToken".into(), Value::String(encode_token(&last.name)));
        }
    }
    Ok(Value::Object(out))
}
