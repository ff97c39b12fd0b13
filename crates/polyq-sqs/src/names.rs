//! Queue names, URLs and ARNs as SQS spells them.

use crate::error::{SqsError, SqsResult};

/// Settings that shape URLs and ARNs.
#[derive(Debug, Clone)]
pub struct Account {
    pub account_id: String,
    pub region: String,
}

impl Account {
    pub fn arn(&self, queue: &str) -> String {
        format!("arn:aws:sqs:{}:{}:{}", self.region, self.account_id, queue)
    }

    /// `http://{host}/{account}/{queue}`: built from the request's Host so it works behind
    /// port mappings and container networks.
    pub fn queue_url(&self, host: &str, queue: &str) -> String {
        format!("http://{host}/{}/{queue}", self.account_id)
    }
}

/// Queue name from a queue URL (`http://host/acct/name`, `/acct/name`); the account segment
/// is not checked, so URLs built by other tools still resolve.
pub fn name_from_url(url: &str) -> SqsResult<String> {
    // AWS also accepts a bare queue name in place of the URL (AWS-validated in LocalStack's
    // suite: `SendMessage(QueueUrl="my-queue")` succeeds).
    if is_bare_name(url) {
        return Ok(url.to_string());
    }
    let path = match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            rest.find('/').map(|j| &rest[j..]).unwrap_or("")
        }
        None => url,
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    let name = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    // A URL with no `/{account}/{queue}` path names no queue: answered as a missing queue,
    // the error SDK users (and moto's suite, e.g. `Queue("http://whatever-incorrect-queue-address")`)
    // expect.
    if name.is_empty() || path.trim_matches('/').split('/').count() < 2 {
        return Err(SqsError::no_queue());
    }
    Ok(percent_encoding::percent_decode_str(name)
        .decode_utf8_lossy()
        .into_owned())
}

/// A plain queue name (no scheme, no path): `[A-Za-z0-9_-]{1,80}` with an optional `.fifo`.
fn is_bare_name(s: &str) -> bool {
    let stem = s.strip_suffix(".fifo").unwrap_or(s);
    !stem.is_empty()
        && s.len() <= 80
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Queue name from `arn:aws:sqs:region:account:name`.
pub fn name_from_arn(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.split(':').collect();
    (parts.len() == 6 && parts[0] == "arn" && parts[2] == "sqs" && !parts[5].is_empty())
        .then(|| parts[5].to_string())
}

/// SQS's queue-name rule: 1..80 of `[A-Za-z0-9_-]`, plus the `.fifo` suffix for FIFO queues.
pub fn validate_queue_name(name: &str, fifo: bool) -> SqsResult<()> {
    let stem = if fifo {
        name.strip_suffix(".fifo").unwrap_or(name)
    } else {
        name
    };
    let ok = !stem.is_empty()
        && name.len() <= 80
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        return Err(SqsError::invalid_value(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_arns_resolve_to_names() {
        assert_eq!(
            name_from_url("http://localhost:9324/000000000000/q1").unwrap(),
            "q1"
        );
        assert_eq!(
            name_from_url("https://sqs.us-east-1.amazonaws.com/123/q.fifo/").unwrap(),
            "q.fifo"
        );
        assert_eq!(name_from_url("/000000000000/abc").unwrap(), "abc");
        assert!(name_from_url("http://localhost:9324/").is_err());
        assert_eq!(
            name_from_url("http://whatever-incorrect-queue-address")
                .unwrap_err()
                .code,
            crate::error::ErrorCode::QueueDoesNotExist
        );
        assert_eq!(name_from_url("q1").unwrap(), "q1");
        assert_eq!(name_from_url("q1.fifo").unwrap(), "q1.fifo");
        assert!(name_from_url("not a url").is_err());
        assert!(name_from_url("").is_err());
        assert_eq!(
            name_from_arn("arn:aws:sqs:us-east-1:000000000000:dlq").as_deref(),
            Some("dlq")
        );
        assert_eq!(name_from_arn("arn:aws:sns:us-east-1:0:x"), None);
        let a = Account {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
        };
        assert_eq!(a.queue_url("h:1", "q"), "http://h:1/000000000000/q");
        assert_eq!(a.arn("q"), "arn:aws:sqs:us-east-1:000000000000:q");
    }

    #[test]
    fn queue_name_rules() {
        assert!(validate_queue_name("ok-Name_1", false).is_ok());
        assert!(validate_queue_name("a.fifo", true).is_ok());
        assert!(validate_queue_name("a.fifo", false).is_err());
        assert!(validate_queue_name("", false).is_err());
        assert!(validate_queue_name(&"x".repeat(81), false).is_err());
        assert!(validate_queue_name("sp ace", false).is_err());
    }
}
