//! Checking a queue's `Policy` attribute against the access policy language's grammar.
//!
//! polyq keeps and returns the document but enforces none of it; still, AWS refuses a
//! document that is not a policy (`InvalidAttributeValue`, "Invalid value for the parameter
//! Policy."), and an application that sets a broken one against polyq must learn it here
//! rather than in production. Only the grammar is checked (the fields a policy and its
//! statements may have, and their types), never principals or ARNs: AWS also checks that
//! principals exist, which a local server cannot know.

use serde_json::{Map, Value};

use crate::error::{ErrorCode, SqsError, SqsResult};

/// The most statements one queue policy may hold (SQS quotas page).
pub const MAX_STATEMENTS: usize = 20;

const POLICY_FIELDS: &[&str] = &["Version", "Id", "Statement"];
const VERSIONS: &[&str] = &["2008-10-17", "2012-10-17"];
const STATEMENT_FIELDS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn invalid() -> SqsError {
    SqsError::new(
        ErrorCode::InvalidAttributeValue,
        "Invalid value for the parameter Policy.",
    )
}

/// Checks a non-empty `Policy` value (an empty one removes the policy and is never checked).
pub fn check(value: &str) -> SqsResult<()> {
    let Ok(Value::Object(policy)) = serde_json::from_str::<Value>(value) else {
        return Err(invalid());
    };
    if policy.keys().any(|k| !POLICY_FIELDS.contains(&k.as_str())) {
        return Err(invalid());
    }
    match policy.get("Version") {
        None => {}
        Some(Value::String(v)) if VERSIONS.contains(&v.as_str()) => {}
        Some(_) => return Err(invalid()),
    }
    if policy.get("Id").is_some_and(|id| !id.is_string()) {
        return Err(invalid());
    }
    let statements: Vec<&Value> = match policy.get("Statement") {
        Some(Value::Array(list)) if !list.is_empty() => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return Err(invalid()),
    };
    if statements.len() > MAX_STATEMENTS {
        // local-aws-sqs's text, whose refusals are AWS's.
        return Err(SqsError::new(
            ErrorCode::OverLimit,
            format!(
                "{} statements were found in the submitted policy, max allowed is {MAX_STATEMENTS}",
                statements.len()
            ),
        ));
    }
    for statement in statements {
        match statement {
            Value::Object(s) if statement_is_valid(s) => {}
            _ => return Err(invalid()),
        }
    }
    Ok(())
}

/// A statement of the access policy language: an effect, the actions (or the actions it does
/// not cover), and optionally who, on what and under which conditions.
fn statement_is_valid(s: &Map<String, Value>) -> bool {
    let known = s.keys().all(|k| STATEMENT_FIELDS.contains(&k.as_str()));
    let effect = matches!(s.get("Effect"), Some(Value::String(e)) if e == "Allow" || e == "Deny");
    let one_of = |a: &str, b: &str| s.contains_key(a) != s.contains_key(b);
    let strings = |k: &str| s.get(k).is_none_or(string_or_strings);
    let principals = |k: &str| match s.get(k) {
        None => true,
        Some(Value::String(p)) => p == "*",
        Some(Value::Object(m)) => !m.is_empty() && m.values().all(principal_ids),
        Some(_) => false,
    };
    known
        && effect
        && one_of("Action", "NotAction")
        && ["Action", "NotAction", "Resource", "NotResource"]
            .iter()
            .all(|k| strings(k))
        && principals("Principal")
        && principals("NotPrincipal")
        && !(s.contains_key("Principal") && s.contains_key("NotPrincipal"))
        && !(s.contains_key("Resource") && s.contains_key("NotResource"))
        && s.get("Sid").is_none_or(Value::is_string)
        && s.get("Condition").is_none_or(Value::is_object)
}

/// The principals of one kind (`AWS`, `Service`, …): like [`string_or_strings`], but an
/// account id may also be an unquoted number, as IAM accepts it (CloudFormation and
/// Serverless YAML `AWS: 123456789012`, Terraform `jsonencode` of a number).
fn principal_ids(v: &Value) -> bool {
    let one = |v: &Value| v.is_string() || v.is_u64();
    match v {
        Value::Array(list) => !list.is_empty() && list.iter().all(one),
        v => one(v),
    }
}

/// A string, or a non-empty list of strings.
fn string_or_strings(v: &Value) -> bool {
    match v {
        Value::String(_) => true,
        Value::Array(list) => !list.is_empty() && list.iter().all(Value::is_string),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn statement() -> Value {
        json!({"Sid": "Queue1_SendMessage", "Effect": "Allow",
               "Principal": {"AWS": ["123456789012"]}, "Action": "sqs:SendMessage",
               "Resource": "arn:aws:sqs:us-east-1:123456789012:queue1"})
    }

    fn with(statement_change: impl Fn(&mut Map<String, Value>)) -> String {
        let mut s = statement();
        statement_change(s.as_object_mut().unwrap());
        json!({"Version": "2012-10-17", "Statement": [s]}).to_string()
    }

    #[test]
    fn policies_applications_write_are_accepted() {
        let s = statement();
        for ok in [
            json!({"Version": "2012-10-17", "Statement": [s]}),
            json!({"Version": "2008-10-17", "Id": "x/SQSDefaultPolicy", "Statement": s}),
            json!({"Statement": [s, s]}),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
                "NotAction": ["sqs:DeleteQueue"], "NotResource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
                "Resource": "*", "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:1:t"}}}]}),
            json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": 123456789012_u64},
                "Action": "sqs:SendMessage"}}),
            json!({"Statement": {"Effect": "Allow",
                "Principal": {"AWS": [123456789012_u64, "arn:aws:iam::210987654321:root"]},
                "Action": "sqs:*", "Resource": "*"}}),
        ] {
            check(&ok.to_string()).unwrap_or_else(|e| panic!("{ok}: {}", e.message));
        }
        let twenty = json!({"Statement": vec![s; MAX_STATEMENTS]});
        check(&twenty.to_string()).unwrap();
    }

    #[test]
    fn documents_that_are_not_policies_are_refused_in_aws_words() {
        let s = statement();
        let bad = [
            "badjson".to_string(),
            "[]".into(),
            "\"string\"".into(),
            "533".into(),
            "null".into(),
            "{}".into(),
            json!({"this-is": "the-policy"}).to_string(),
            json!({"Version": "2012-10-17"}).to_string(),
            json!({"Version": "2012-10-17", "Statement": []}).to_string(),
            json!({"Version": "4532-10-17", "Statement": [s]}).to_string(),
            json!({"Version": 2012, "Statement": [s]}).to_string(),
            json!({"Dummyfield": "x", "Version": "2012-10-17", "Statement": [s]}).to_string(),
            json!({"Statement": "Allow everything"}).to_string(),
            json!({"Statement": ["Allow"]}).to_string(),
            with(|s| drop(s.insert("dummy".into(), json!("value")))),
            with(|s| drop(s.remove("Effect"))),
            with(|s| drop(s.insert("Effect".into(), json!("allow")))),
            with(|s| drop(s.remove("Action"))),
            with(|s| drop(s.insert("NotAction".into(), json!("sqs:*")))),
            with(|s| drop(s.insert("Action".into(), json!([])))),
            with(|s| drop(s.insert("Action".into(), json!(7)))),
            with(|s| drop(s.insert("Resource".into(), json!({"a": "b"})))),
            with(|s| drop(s.insert("Principal".into(), json!("someone")))),
            with(|s| drop(s.insert("Principal".into(), json!({})))),
            with(|s| drop(s.insert("Principal".into(), json!({"AWS": -5})))),
            with(|s| drop(s.insert("Principal".into(), json!({"AWS": [true]})))),
            with(|s| drop(s.insert("NotPrincipal".into(), json!("*")))),
            with(|s| drop(s.insert("Condition".into(), json!("always")))),
        ];
        for value in bad {
            let e = check(&value).expect_err(&value);
            assert_eq!(e.code, ErrorCode::InvalidAttributeValue, "{value}");
            assert_eq!(e.message, "Invalid value for the parameter Policy.");
        }
    }

    #[test]
    fn more_than_twenty_statements_are_over_the_limit() {
        let policy = json!({"Version": "2012-10-17", "Statement": vec![statement(); 22]});
        let e = check(&policy.to_string()).unwrap_err();
        assert_eq!(e.code, ErrorCode::OverLimit);
        assert_eq!(
            e.message,
            "22 statements were found in the submitted policy, max allowed is 20"
        );
    }
}
