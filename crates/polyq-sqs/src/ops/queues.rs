//! Queue management actions.

use polyq_core::CreateOutcome;
use serde_json::{json, Map, Value};

use super::{decode_token, encode_token, Ctx};
use crate::error::{ErrorCode, SqsError, SqsResult};
use crate::input::Input;
use crate::names::validate_queue_name;
use crate::policy::MAX_STATEMENTS;
use crate::queue_attrs;
use crate::regions;

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
    let attrs = queue_attrs::trim_names(input.str_map("Attributes")?);
    // The JSON member is `tags` (lower case), the query codec maps `Tag.N.*` onto it.
    let tags = input.str_map("tags")?;
    // The tag rules of TagQueue hold for tags given at creation too.
    check_tags(&tags)?;
    if tags.len() > MAX_TAGS {
        return Err(SqsError::invalid_value(too_many_tags(name)));
    }
    let config = queue_attrs::for_create(name, &attrs)?;
    validate_queue_name(name, config.fifo)?;
    let mut config = config;
    config.tags = tags;
    check_redrive(ctx, &config).await?;
    if let Some(region) = ctx.client_region {
        regions::record_creator(&mut config, region);
    }
    if ctx
        .recent
        .deletions
        .as_ref()
        .is_some_and(|d| d.recent(name, ctx.service.now_ms()))
    {
        return Err(SqsError::new(
            ErrorCode::QueueDeletedRecently,
            "You must wait 60 seconds after deleting a queue before you can create another \
             with the same name.",
        ));
    }
    match ctx.service.create_queue(name, config.clone()).await? {
        CreateOutcome::Created(_) => {}
        // A queue made by clients of other regions only would be another queue on AWS,
        // with the attributes asked for; names being one namespace here, the caller gets
        // that queue as it is (kombu, finding nothing in its region's listing, creates its
        // queue with its own VisibilityTimeout). It stays listed in its own regions.
        CreateOutcome::Exists(existing)
            if !regions::listed_in(&existing.config, ctx.client_region) => {}
        CreateOutcome::Exists(existing) => {
            if let Some(attr) =
                queue_attrs::first_difference(&existing, &config, &attrs, ctx.account)
            {
                return Err(SqsError::new(
                    ErrorCode::QueueNameExists,
                    format!("A queue already exists with the same name and a different value for attribute {attr}"),
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
    // One extra tells whether another page exists. Queues of other regions are skipped, so
    // a page may take several reads of the store.
    let mut queues = Vec::new();
    let mut cursor = after;
    loop {
        // Reads of at least a thousand, however small the page asked for: a store scans
        // from the prefix for each read (PostgreSQL does), so many small reads of a store
        // full of other regions' queues would cost the square of their number.
        let want = (limit + 1).max(1000);
        let page = ctx
            .service
            .list_queues(prefix, cursor.as_deref(), want)
            .await?;
        let exhausted = page.len() < want;
        cursor = page.last().map(|q| q.name.clone());
        queues.extend(
            page.into_iter()
                .filter(|q| regions::listed_in(&q.config, ctx.client_region)),
        );
        if exhausted || queues.len() > limit {
            break;
        }
    }
    // The page is cut where asked: the token names its last queue, the next page starts
    // after it, whatever more this read found.
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
    if let Some(deletions) = &ctx.recent.deletions {
        deletions.record(&name, ctx.service.now_ms());
    }
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
    let attrs = queue_attrs::trim_names(input.str_map("Attributes")?);
    if attrs.is_empty() {
        return Err(SqsError::missing("Attributes"));
    }
    // Validate fully before touching the stored queue, so a bad entry changes nothing.
    let current = ctx.service.get_queue(&name).await?;
    let mut probe = current.config.clone();
    for (k, v) in &attrs {
        queue_attrs::apply(&mut probe, k, v, false)?;
    }
    queue_attrs::check_combination(&attrs)?;
    check_redrive(ctx, &probe).await?;
    let now = ctx.service.now_ms();
    ctx.service
        .update_queue(
            &name,
            Box::new(move |c| {
                let scope = c.dedup_scope;
                for (k, v) in &attrs {
                    queue_attrs::apply(c, k, v, false)
                        .map_err(|e| polyq_core::CoreError::InvalidArgument(e.message))?;
                }
                // A changed scope applies once the change has propagated, as on AWS.
                let asked = c.dedup_scope;
                if asked != scope {
                    c.dedup_scope = scope;
                    c.change_dedup_scope(asked, now);
                }
                Ok(())
            }),
        )
        .await?;
    Ok(json!({}))
}

pub async fn purge_queue(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = ctx.queue_name(&input)?;
    let queue = ctx.service.get_queue(&name).await?;
    if !ctx
        .recent
        .purges
        .admit(&name, queue.created_ms, ctx.service.now_ms())
    {
        return Err(SqsError::new(
            ErrorCode::PurgeQueueInProgress,
            format!("Only one PurgeQueue operation on {name} is allowed every 60 seconds."),
        ));
    }
    ctx.service.purge_queue(&name).await?;
    Ok(json!({}))
}

/// Tags per queue AWS accepts.
const MAX_TAGS: usize = 50;

/// AWS's text when a queue would hold more than [`MAX_TAGS`] tags.
fn too_many_tags(queue: &str) -> String {
    format!("Too many tags added for queue {queue}.")
}

/// Whether `c` may appear in a tag key or value: Unicode letters, digits and whitespace, and
/// `_ . : / = + - @` (SQS developer guide, "Quotas related to queues").
fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric()
        || c.is_whitespace()
        || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
}

/// The prefix AWS keeps for its own tags; neither keys nor values may start with it.
const RESERVED_TAG_PREFIX: &str = "aws:";

/// AWS's tag rules: keys of 1 to 128 characters, values of at most 256, both of letters, digits,
/// whitespace and `_ . : / = + - @` only, and neither starting with `aws:` (SQS developer guide,
/// "Quotas related to queues"). The texts are those of AWS's shared tagging code, whose
/// key-length text SQS answers too.
fn check_tags(tags: &std::collections::BTreeMap<String, String>) -> SqsResult<()> {
    for (key, value) in tags {
        if key.is_empty() || key.chars().count() > 128 {
            return Err(SqsError::bad_param(
                "Tags",
                key,
                "Tag keys must be between 1 and 128 characters in length.",
            ));
        }
        if key.starts_with(RESERVED_TAG_PREFIX) {
            return Err(SqsError::invalid_value(
                "Tag keys cannot start with the reserved prefix \"aws:\".",
            ));
        }
        if !key.chars().all(is_tag_char) {
            return Err(SqsError::invalid_value(
                "Tag keys may only contain unicode letters, digits, whitespace, or one of these symbols: _ . : / = + - @",
            ));
        }
        if value.chars().count() > 256 {
            return Err(SqsError::invalid_value(
                "Tag values must be between 0 and 256 characters in length.",
            ));
        }
        if value.starts_with(RESERVED_TAG_PREFIX) {
            return Err(SqsError::invalid_value(
                "Tag values cannot start with the reserved prefix \"aws:\".",
            ));
        }
        if !value.chars().all(is_tag_char) {
            return Err(SqsError::invalid_value(
                "Tag values may only contain unicode letters, digits, whitespace, or one of these symbols: _ . : / = + - @",
            ));
        }
    }
    Ok(())
}

pub async fn tag_queue(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = ctx.queue_name(&input)?;
    let queue = name.clone();
    let tags = input.str_map("Tags")?;
    if tags.is_empty() {
        return Err(SqsError::missing("Tags"));
    }
    check_tags(&tags)?;
    ctx.service
        .update_queue(
            &name,
            Box::new(move |c| {
                c.tags.extend(tags);
                // AWS allows 50 tags per queue; the refused update leaves the tags unchanged.
                if c.tags.len() > MAX_TAGS {
                    return Err(polyq_core::CoreError::InvalidArgument(too_many_tags(
                        &queue,
                    )));
                }
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
    if keys.is_empty() || keys.iter().any(|k| k.is_empty() || k.len() > 128) {
        return Err(SqsError::invalid_value(
            "Tag keys must be between 1 and 128 characters in length.",
        ));
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

/// At most this many actions in one AddPermission (AWS answers OverLimit beyond it).
const MAX_PERMISSION_ACTIONS: usize = 7;

/// Actions only the queue owner may call; AWS refuses to grant them to others.
const OWNER_ONLY_ACTIONS: &[&str] = &[
    "AddPermission",
    "CancelMessageMoveTask",
    "CreateQueue",
    "DeleteQueue",
    "ListMessageMoveTasks",
    "ListQueues",
    "ListQueueTags",
    "RemovePermission",
    "SetQueueAttributes",
    "StartMessageMoveTask",
    "TagQueue",
    "UntagQueue",
];

/// AWS writes a single principal or action as a string and several as a list (recorded AWS
/// answers; the principals come out in the reverse of the request's order).
fn one_or_list(mut items: Vec<String>) -> Value {
    if items.len() == 1 {
        Value::String(items.remove(0))
    } else {
        Value::Array(items.into_iter().map(Value::String).collect())
    }
}

/// A permission label as AddPermission and RemovePermission take it: present and non-empty
/// (AWS: MissingParameter), and for AddPermission at most 80 alphanumeric characters, hyphens
/// or underscores (the AddPermission API reference's rule for `Label`).
fn permission_label<'a>(input: &Input<'a>, adding: bool) -> SqsResult<&'a str> {
    let label = input.opt_str("Label")?.unwrap_or("");
    if label.is_empty() {
        return Err(SqsError::missing("Label"));
    }
    let valid = label.chars().count() <= 80
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if adding && !valid {
        return Err(SqsError::bad_param(
            "Label",
            label,
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.",
        ));
    }
    Ok(label)
}

/// The statements of a stored policy as a list: IAM's grammar allows `Statement` to be a
/// single object, which becomes a one-element list (an absent one an empty list).
fn statement_list(policy: &mut Value) -> Option<&mut Vec<Value>> {
    let obj = policy.as_object_mut()?;
    let entry = obj
        .entry("Statement")
        .or_insert_with(|| Value::Array(Vec::new()));
    if entry.is_object() {
        let single = entry.take();
        *entry = Value::Array(vec![single]);
    }
    entry.as_array_mut()
}

pub async fn add_permission(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = ctx.queue_name(&input)?;
    let label = permission_label(&input, true)?.to_string();
    let accounts = input.str_list("AWSAccountIds")?;
    let actions = input.str_list("Actions")?;
    if actions.is_empty() {
        return Err(SqsError::missing("Actions"));
    }
    if accounts.is_empty() {
        // AWS checks the principals before anything else about them.
        return Err(SqsError::bad_param(
            "PrincipalId",
            "[]",
            "Unable to verify.",
        ));
    }
    if actions.len() > MAX_PERMISSION_ACTIONS {
        return Err(SqsError::new(
            ErrorCode::OverLimit,
            format!(
                "{} Actions were found, maximum allowed is {MAX_PERMISSION_ACTIONS}.",
                actions.len()
            ),
        ));
    }
    if let Some(owner_only) = actions.iter().find(|a| OWNER_ONLY_ACTIONS.contains(a)) {
        return Err(SqsError::bad_param(
            "ActionName",
            format!("SQS:{owner_only}"),
            "Only the queue owner is allowed to invoke this action.",
        ));
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
        "Principal": { "AWS": one_or_list(accounts.iter().rev().map(|a| ctx.account.iam_root(a)).collect()) },
        "Action": one_or_list(actions.iter().map(|a| format!("SQS:{a}")).collect()),
        "Resource": arn,
    });
    // The refusal decided inside the update, in its own code (the core only carries text).
    let refusal = std::sync::Arc::new(std::sync::Mutex::new(None::<SqsError>));
    let refused = refusal.clone();
    let result = ctx
        .service
        .update_queue(
            &name,
            Box::new(move |c| {
                let refuse = |e: SqsError| {
                    let text = e.message.clone();
                    *refused.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    Err(polyq_core::CoreError::InvalidArgument(text))
                };
                let mut policy: Value = c
                    .extras
                    .get("Policy")
                    .and_then(|p| serde_json::from_str(p).ok())
                    .unwrap_or_else(|| json!({"Version": "2008-10-17", "Id": format!("{arn}/SQSDefaultPolicy"), "Statement": []}));
                let Some(statements) = statement_list(&mut policy) else {
                    return refuse(SqsError::invalid_value(
                        "The queue's Policy has no Statement list.",
                    ));
                };
                if statements.iter().any(|s| s["Sid"] == label.as_str()) {
                    return refuse(SqsError::bad_param("Label", &label, "Already exists."));
                }
                // AWS counts the statement being added (local-aws-sqs, whose texts are AWS's).
                if statements.len() >= MAX_STATEMENTS {
                    return refuse(SqsError::new(
                        ErrorCode::OverLimit,
                        format!(
                            "{} Statements were found, maximum allowed is {MAX_STATEMENTS}.",
                            statements.len() + 1
                        ),
                    ));
                }
                statements.push(statement);
                c.extras.insert("Policy".into(), policy.to_string());
                Ok(())
            }),
        )
        .await;
    if let Err(e) = result {
        let decided = refusal.lock().unwrap_or_else(|p| p.into_inner()).take();
        return Err(decided.unwrap_or_else(|| e.into()));
    }
    Ok(json!({}))
}

pub async fn remove_permission(ctx: &Ctx<'_>, input: Input<'_>) -> SqsResult<Value> {
    let name = ctx.queue_name(&input)?;
    let label = permission_label(&input, false)?.to_string();
    ctx.service
        .update_queue(
            &name,
            Box::new(move |c| {
                let missing = || {
                    polyq_core::CoreError::InvalidArgument(format!(
                        "Value {label} for parameter Label is invalid. Reason: can't find label."
                    ))
                };
                let mut policy: Value = c
                    .extras
                    .get("Policy")
                    .and_then(|p| serde_json::from_str(p).ok())
                    .ok_or_else(missing)?;
                let statements = statement_list(&mut policy).ok_or_else(missing)?;
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
