//! Queue attributes: validating `Attributes` maps into the core's `QueueConfig`, and rendering
//! `GetQueueAttributes` answers from a stored queue.

use std::collections::BTreeMap;

use polyq_core::{DedupScope, QueueConfig, QueueInfo, RedrivePolicy};
use serde_json::Value;

use crate::error::{ErrorCode, SqsError, SqsResult};
use crate::names::{name_from_arn, Account};

/// Attributes GetQueueAttributes knows, in the order `All` lists them.
pub const READABLE: &[&str] = &[
    "Policy",
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
    "ApproximateNumberOfMessagesDelayed",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy",
    "FifoQueue",
    "ContentBasedDeduplication",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "RedriveAllowPolicy",
    "SqsManagedSseEnabled",
];

const FIFO_ONLY: &[&str] = &[
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
];
const EXTRAS: &[&str] = &[
    "Policy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "RedriveAllowPolicy",
    "SqsManagedSseEnabled",
    "FifoThroughputLimit",
];

fn invalid_value(name: &str) -> SqsError {
    SqsError::new(
        ErrorCode::InvalidAttributeValue,
        format!("Invalid value for the parameter {name}."),
    )
}

fn int_in(name: &str, v: &str, lo: u64, hi: u64) -> SqsResult<u64> {
    v.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (lo..=hi).contains(n))
        .ok_or_else(|| invalid_value(name))
}

fn bool_attr(name: &str, v: &str) -> SqsResult<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(invalid_value(name)),
    }
}

/// Parses a `RedrivePolicy`. Every refusal is InvalidParameterValue, in AWS's wording (the
/// recorded AWS answer for a bad ARN, and the texts other emulators copied from AWS).
fn parse_redrive(v: &str) -> SqsResult<Option<RedrivePolicy>> {
    if v.trim().is_empty() {
        return Ok(None);
    }
    let reason = |why: &str| SqsError::bad_param("RedrivePolicy", v, why);
    let json: Value = serde_json::from_str(v)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| {
            SqsError::invalid_value(
                "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.",
            )
        })?;
    let max_raw = json.get("maxReceiveCount").ok_or_else(|| {
        reason("Redrive policy does not contain mandatory attribute: maxReceiveCount.")
    })?;
    let arn = json.get("deadLetterTargetArn").ok_or_else(|| {
        reason("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
    })?;
    let max = match max_raw {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|n| (1..=1000).contains(n))
    .ok_or_else(|| {
        let shown = max_raw.as_str().map_or_else(|| max_raw.to_string(), str::to_string);
        reason(&format!(
            "Invalid value for maxReceiveCount: {shown}, valid values are from 1 to 1000 both inclusive."
        ))
    })?;
    // A target that is no SQS ARN at all (recorded AWS answer).
    let dead_letter_queue = arn
        .as_str()
        .and_then(name_from_arn)
        .ok_or_else(|| reason("Invalid value for deadLetterTargetArn."))?;
    Ok(Some(RedrivePolicy {
        dead_letter_queue,
        max_receive_count: max as u32,
    }))
}

/// Checks a `RedriveAllowPolicy`: a JSON object of `redrivePermission` (`allowAll`, `denyAll`
/// or `byQueue`) and, with `byQueue` only, `sourceQueueArns`: 1 to 10 strings (CreateQueue API
/// reference). Refusals are InvalidParameterValue in the texts of local-aws-sqs, whose
/// messages are copied from AWS (its curly apostrophe included).
fn check_redrive_allow(v: &str) -> SqsResult<()> {
    let unsupported = || {
        SqsError::invalid_value(
            "Invalid value for the parameter RedriveAllowPolicy. Reason: Amazon SQS can't create the redrive allow policy, as it\u{2019}s in an unsupported format.",
        )
    };
    let reason = |why: &str| {
        SqsError::bad_param(
            "RedriveAllowPolicy",
            v,
            &format!("Amazon SQS can't create the redrive allow policy. {why}"),
        )
    };
    let json: Value = serde_json::from_str(v).map_err(|_| unsupported())?;
    let policy = json.as_object().ok_or_else(unsupported)?;
    let permission = policy
        .get("redrivePermission")
        .and_then(Value::as_str)
        .filter(|p| matches!(*p, "allowAll" | "denyAll" | "byQueue"))
        .ok_or_else(unsupported)?;
    if policy
        .keys()
        .any(|k| k != "redrivePermission" && k != "sourceQueueArns")
    {
        return Err(unsupported());
    }
    let by_queue = permission == "byQueue";
    let needs_arns = || {
        reason("When you specify the byQueue permission type, you must also specify one or more sourceQueueArns values.")
    };
    match policy.get("sourceQueueArns") {
        None | Some(Value::Null) if by_queue => Err(needs_arns()),
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(arns)) => {
            if !arns.iter().all(Value::is_string) {
                Err(unsupported())
            } else if !by_queue {
                Err(reason("To specify one or more source queue ARNs, you must set redrivePermission to byQueue."))
            } else if arns.is_empty() {
                Err(needs_arns())
            } else if arns.len() > 10 {
                Err(reason(
                    "The maximum number of source queue ARNs you can specify is 10.",
                ))
            } else {
                Ok(())
            }
        }
        Some(_) => Err(unsupported()),
    }
}

/// Applies one settable attribute to `config`. `creating` allows `FifoQueue`.
pub fn apply(config: &mut QueueConfig, name: &str, value: &str, creating: bool) -> SqsResult<()> {
    if FIFO_ONLY.contains(&name) && !config.fifo {
        // AWS's wording differs by attribute (AWS-validated LocalStack snapshot
        // test_create_standard_queue_with_fifo_attribute_raises_error, both protocols).
        let message = if name == "ContentBasedDeduplication" {
            format!("Unknown Attribute {name}.")
        } else {
            format!("You can specify the {name} only when FifoQueue is set to true.")
        };
        return Err(SqsError::new(ErrorCode::InvalidAttributeName, message));
    }
    match name {
        "DelaySeconds" => config.delay_seconds = int_in(name, value, 0, 900)? as u32,
        "MaximumMessageSize" => {
            config.max_message_size = int_in(name, value, 1024, 1_048_576)? as u32
        }
        "MessageRetentionPeriod" => config.retention_seconds = int_in(name, value, 60, 1_209_600)?,
        "ReceiveMessageWaitTimeSeconds" => {
            config.receive_wait_seconds = int_in(name, value, 0, 20)? as u32
        }
        "VisibilityTimeout" => config.visibility_timeout = int_in(name, value, 0, 43_200)? as u32,
        "RedrivePolicy" => config.redrive = parse_redrive(value)?,
        "FifoQueue" if creating => config.fifo = bool_attr(name, value)?,
        // A standard queue has no FifoQueue attribute to set (recorded AWS answer).
        "FifoQueue" if !config.fifo => {
            return Err(SqsError::new(
                ErrorCode::InvalidAttributeName,
                format!("Unknown Attribute {name}."),
            ));
        }
        "FifoQueue" => {
            if bool_attr(name, value)? != config.fifo {
                return Err(SqsError::new(ErrorCode::InvalidAttributeValue, "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."));
            }
        }
        "ContentBasedDeduplication" => config.content_based_dedup = bool_attr(name, value)?,
        "DeduplicationScope" => {
            config.dedup_scope = match value {
                "queue" => DedupScope::Queue,
                "messageGroup" => DedupScope::MessageGroup,
                _ => return Err(invalid_value(name)),
            }
        }
        "FifoThroughputLimit" => {
            if !matches!(value, "perQueue" | "perMessageGroupId") {
                return Err(invalid_value(name));
            }
            config.extras.insert(name.into(), value.into());
        }
        "KmsDataKeyReusePeriodSeconds" => {
            int_in(name, value, 60, 86_400)?;
            config.extras.insert(name.into(), value.trim().into());
        }
        "SqsManagedSseEnabled" => {
            let b = bool_attr(name, value)?;
            config.extras.insert(name.into(), b.to_string());
        }
        "Policy" | "RedriveAllowPolicy" if value.is_empty() => {
            config.extras.remove(name);
        }
        "RedriveAllowPolicy" => {
            check_redrive_allow(value)?;
            config.extras.insert(name.into(), value.into());
        }
        "Policy" => {
            crate::policy::check(value)?;
            config.extras.insert(name.into(), value.into());
        }
        "KmsMasterKeyId" => {
            // SSE-KMS and SSE-SQS exclude each other: a key turns SqsManagedSseEnabled to
            // "false"; removing it (`""`) leaves SqsManagedSseEnabled as it is (AWS-validated
            // LocalStack snapshot test_set_queue_attributes_default_values, 2025-12). An
            // explicit SqsManagedSseEnabled in the same request is applied after this one
            // (attributes go in name order) and wins.
            if value.trim().is_empty() {
                config.extras.remove(name);
            } else {
                config
                    .extras
                    .insert("SqsManagedSseEnabled".into(), "false".into());
                config.extras.insert(name.into(), value.into());
            }
        }
        _ => {
            return Err(SqsError::new(
                ErrorCode::InvalidAttributeName,
                format!("Unknown Attribute {name}."),
            ));
        }
    }
    Ok(())
}

/// Attribute names with surrounding blanks trimmed. Lenient on purpose: callers write
/// `"VisibilityTimeout "` (moto's suite does, in several tests) and mean the attribute.
pub fn trim_names(attrs: BTreeMap<String, String>) -> BTreeMap<String, String> {
    attrs
        .into_iter()
        .map(|(k, v)| (k.trim().to_string(), v))
        .collect()
}

/// Checks between attributes of one request. SSE-KMS and SSE-SQS exclude each other; AWS
/// answers InvalidAttributeName with this exact text (recorded AWS answer).
pub fn check_combination(attrs: &BTreeMap<String, String>) -> SqsResult<()> {
    let kms = attrs
        .get("KmsMasterKeyId")
        .is_some_and(|k| !k.trim().is_empty());
    let sqs_sse = attrs
        .get("SqsManagedSseEnabled")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if kms && sqs_sse {
        return Err(SqsError::new(
            ErrorCode::InvalidAttributeName,
            "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.",
        ));
    }
    Ok(())
}

/// A new queue's config from CreateQueue's attributes.
pub fn for_create(name: &str, attrs: &BTreeMap<String, String>) -> SqsResult<QueueConfig> {
    let mut config = QueueConfig::default();
    config
        .extras
        .insert("SqsManagedSseEnabled".into(), "true".into());
    let fifo = match attrs.get("FifoQueue") {
        Some(v) => bool_attr("FifoQueue", v)?,
        None => false,
    };
    config.fifo = fifo;
    // A standard queue has no FifoQueue attribute, not even `false`: AWS refuses
    // `CreateQueue(name, FifoQueue=false)` as it refuses setting it later.
    if !fifo && attrs.contains_key("FifoQueue") && !name.ends_with(".fifo") {
        return Err(SqsError::new(
            ErrorCode::InvalidAttributeName,
            "Unknown Attribute FifoQueue.",
        ));
    }
    if fifo != name.ends_with(".fifo") {
        return Err(SqsError::invalid_value(if fifo {
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length."
        } else {
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
        }));
    }
    if fifo {
        config
            .extras
            .insert("FifoThroughputLimit".into(), "perQueue".into());
    }
    for (k, v) in attrs {
        apply(&mut config, k, v, true)?;
    }
    check_combination(attrs)?;
    Ok(config)
}

/// Value of one readable attribute, or `None` where the queue does not have it.
pub fn read(info: &QueueInfo, name: &str, account: &Account) -> Option<String> {
    let c = &info.config;
    let secs = |ms: u64| (ms / 1000).to_string();
    Some(match name {
        "VisibilityTimeout" => c.visibility_timeout.to_string(),
        "MaximumMessageSize" => c.max_message_size.to_string(),
        "MessageRetentionPeriod" => c.retention_seconds.to_string(),
        "DelaySeconds" => c.delay_seconds.to_string(),
        "ReceiveMessageWaitTimeSeconds" => c.receive_wait_seconds.to_string(),
        "ApproximateNumberOfMessages" => info.stats.visible.to_string(),
        "ApproximateNumberOfMessagesNotVisible" => info.stats.in_flight.to_string(),
        "ApproximateNumberOfMessagesDelayed" => info.stats.delayed.to_string(),
        "CreatedTimestamp" => secs(info.created_ms),
        "LastModifiedTimestamp" => secs(info.modified_ms),
        "QueueArn" => account.arn(&info.name),
        "RedrivePolicy" => read_redrive(c.redrive.as_ref()?, account),
        "FifoQueue" if c.fifo => "true".into(),
        "ContentBasedDeduplication" if c.fifo => c.content_based_dedup.to_string(),
        "DeduplicationScope" if c.fifo => match c.dedup_scope {
            DedupScope::Queue => "queue".into(),
            DedupScope::MessageGroup => "messageGroup".into(),
        },
        "FifoThroughputLimit" if c.fifo => c
            .extras
            .get(name)
            .cloned()
            .unwrap_or_else(|| "perQueue".into()),
        // The reuse period is listed only while a KMS key is set (the same snapshot: set to
        // 300 together with the key's removal, it is not listed), 300 unless set.
        "KmsDataKeyReusePeriodSeconds" => {
            c.extras.get("KmsMasterKeyId")?;
            c.extras.get(name).cloned().unwrap_or_else(|| "300".into())
        }
        n if EXTRAS.contains(&n) => c.extras.get(n)?.clone(),
        _ => return None,
    })
}

/// The `RedrivePolicy` attribute text of a policy.
pub fn read_redrive(r: &RedrivePolicy, account: &Account) -> String {
    serde_json::json!({"deadLetterTargetArn": account.arn(&r.dead_letter_queue), "maxReceiveCount": r.max_receive_count})
        .to_string()
}

/// Whether `name` is something GetQueueAttributes may ask for.
pub fn is_readable(name: &str) -> bool {
    name == "All" || READABLE.contains(&name)
}

/// The first attribute (by name) a CreateQueue repeated on an existing queue would change;
/// AWS names exactly one in its QueueAlreadyExists message.
pub fn first_difference<'a>(
    existing: &QueueInfo,
    asked: &QueueConfig,
    attrs: &'a BTreeMap<String, String>,
    account: &Account,
) -> Option<&'a str> {
    let probe = QueueInfo {
        config: asked.clone(),
        ..existing.clone()
    };
    attrs
        .keys()
        .find(|k| read(existing, k, account) != read(&probe, k, account))
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn kms_key_and_sqs_managed_sse_exclude_each_other() {
        let sse = |c: &QueueConfig| c.extras.get("SqsManagedSseEnabled").cloned();
        let mut c = for_create("q", &map(&[])).unwrap();
        assert_eq!(sse(&c).as_deref(), Some("true"));
        apply(&mut c, "KmsMasterKeyId", "alias/aws/sqs", false).unwrap();
        assert_eq!(sse(&c).as_deref(), Some("false"));
        // Removing the key removes it and leaves SSE-SQS off, as AWS does.
        apply(&mut c, "KmsMasterKeyId", "", false).unwrap();
        assert_eq!(sse(&c).as_deref(), Some("false"));
        assert!(!c.extras.contains_key("KmsMasterKeyId"));
        let c = for_create("q", &map(&[("KmsMasterKeyId", "alias/aws/sqs")])).unwrap();
        assert_eq!(sse(&c).as_deref(), Some("false"));
    }

    #[test]
    fn create_validates_ranges_and_fifo_naming() {
        let c = for_create(
            "q",
            &map(&[("VisibilityTimeout", "45"), ("DelaySeconds", "900")]),
        )
        .unwrap();
        assert_eq!((c.visibility_timeout, c.delay_seconds), (45, 900));
        let err = |n: &str, a: &[(&str, &str)]| for_create(n, &map(a)).unwrap_err().code;
        assert_eq!(
            err("q", &[("DelaySeconds", "901")]),
            ErrorCode::InvalidAttributeValue
        );
        assert_eq!(
            err("q", &[("VisibilityTimeout", "-1")]),
            ErrorCode::InvalidAttributeValue
        );
        assert_eq!(
            err("q", &[("MaximumMessageSize", "1023")]),
            ErrorCode::InvalidAttributeValue
        );
        assert_eq!(
            err("q", &[("MessageRetentionPeriod", "1209601")]),
            ErrorCode::InvalidAttributeValue
        );
        assert_eq!(err("q", &[("Bogus", "1")]), ErrorCode::InvalidAttributeName);
        assert_eq!(
            err("q", &[("ContentBasedDeduplication", "true")]),
            ErrorCode::InvalidAttributeName
        );
        assert_eq!(err("q.fifo", &[]), ErrorCode::InvalidParameterValue);
        assert_eq!(
            err("q", &[("FifoQueue", "true")]),
            ErrorCode::InvalidParameterValue
        );
        // AWS: a standard queue may not even name FifoQueue=false.
        let e = for_create("q", &map(&[("FifoQueue", "false")])).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidAttributeName);
        assert_eq!(e.message, "Unknown Attribute FifoQueue.");
        let f = for_create(
            "q.fifo",
            &map(&[
                ("FifoQueue", "true"),
                ("DeduplicationScope", "messageGroup"),
            ]),
        )
        .unwrap();
        assert!(f.fifo);
        assert_eq!(f.dedup_scope, DedupScope::MessageGroup);
    }

    #[test]
    fn redrive_policy_round_trip() {
        let mut c = QueueConfig::default();
        apply(&mut c, "RedrivePolicy", r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"3"}"#, false).unwrap();
        assert_eq!(c.redrive.as_ref().unwrap().max_receive_count, 3);
        let reason = |v: &str| {
            let e = apply(&mut QueueConfig::default(), "RedrivePolicy", v, false).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidParameterValue, "{v}");
            e.message
        };
        assert!(reason(r#"{"maxReceiveCount":3}"#).ends_with(
            "Reason: Redrive policy does not contain mandatory attribute: deadLetterTargetArn."
        ));
        assert!(
            reason(r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:0:d"}"#).ends_with(
                "Reason: Redrive policy does not contain mandatory attribute: maxReceiveCount."
            )
        );
        assert!(reason(r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:0:d","maxReceiveCount":"invalid"}"#)
            .ends_with("Reason: Invalid value for maxReceiveCount: invalid, valid values are from 1 to 1000 both inclusive."));
        assert!(reason(
            r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:0:d","maxReceiveCount":1001}"#
        )
        .contains("maxReceiveCount: 1001,"));
        assert!(
            reason(r#"{"deadLetterTargetArn": "dummy", "maxReceiveCount": 42}"#)
                .ends_with("Reason: Invalid value for deadLetterTargetArn.")
        );
        assert_eq!(
            reason("not json"),
            "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map."
        );
        apply(&mut c, "RedrivePolicy", "", false).unwrap();
        assert!(c.redrive.is_none());
    }
}
