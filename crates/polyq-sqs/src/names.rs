//! Queue names, URLs and ARNs as SQS spells them.

use crate::error::{SqsError, SqsResult};

/// Settings that shape URLs and ARNs.
#[derive(Debug, Clone)]
pub struct Account {
    pub account_id: String,
    pub region: String,
}

impl Account {
    /// `arn:{partition}:sqs:{region}:{account}:{queue}`.
    pub fn arn(&self, queue: &str) -> String {
        format!(
            "arn:{}:sqs:{}:{}:{}",
            partition(&self.region),
            self.region,
            self.account_id,
            queue
        )
    }

    /// The principal ARN of an account's root, in this account's partition (policy documents).
    pub fn iam_root(&self, account_id: &str) -> String {
        format!("arn:{}:iam::{account_id}:root", partition(&self.region))
    }

    /// This account as seen by a client of `region` (from its SigV4 credential scope): AWS
    /// names the region the client talks to in every ARN it answers with. A scope region that
    /// is not of a region's shape (`[a-z0-9-]`, at most 32 bytes) keeps the configured one.
    pub fn in_region(&self, region: Option<&str>) -> Account {
        let region = region
            .filter(|r| {
                !r.is_empty()
                    && r.len() <= 32
                    && r.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            })
            .unwrap_or(&self.region);
        Account {
            account_id: self.account_id.clone(),
            region: region.to_string(),
        }
    }

    /// `{origin}/{account}/{queue}`, `origin` being `scheme://host` from the request's Host so
    /// it works behind port mappings and container networks.
    pub fn queue_url(&self, origin: &str, queue: &str) -> String {
        format!("{origin}/{}/{queue}", self.account_id)
    }
}

/// The AWS partition of a region, the second field of its ARNs (as botocore's endpoint
/// rules spell the partitions' region prefixes); `aws` for every other region.
pub fn partition(region: &str) -> &'static str {
    const PARTITIONS: &[(&str, &str)] = &[
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-iso-", "aws-iso"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("eu-isoe-", "aws-iso-e"),
        ("eusc-", "aws-eusc"),
    ];
    PARTITIONS
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
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
    let name = percent_encoding::percent_decode_str(name)
        .decode_utf8_lossy()
        .into_owned();
    // Another dialect's internal state (MNS topics) is not a queue of SQS's.
    if polyq_core::is_internal_queue(&name) {
        return Err(SqsError::no_queue());
    }
    Ok(name)
}

/// A plain queue name (no scheme, no path): a valid name, with `.fifo` or without.
fn is_bare_name(s: &str) -> bool {
    validate_queue_name(s, s.ends_with(".fifo")).is_ok()
}

/// Whether `path` is a queue URL's path (`/{account}/{queue}`).
pub fn is_queue_path(path: &str) -> bool {
    path.trim_matches('/').split('/').count() == 2
}

/// Queue name from `arn:aws:sqs:region:account:name`.
pub fn name_from_arn(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.split(':').collect();
    (parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "sqs"
        && !parts[5].is_empty()
        && !polyq_core::is_internal_queue(parts[5]))
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
        // Internal queues (MNS topics) are not reachable by URL or ARN.
        assert!(name_from_url("http://h/000000000000/~mns-topic~t").is_err());
        assert!(name_from_url("/000000000000/%7Emns-topic~t").is_err());
        assert_eq!(
            name_from_arn("arn:aws:sqs:us-east-1:000000000000:~mns-topic~t"),
            None
        );
        assert_eq!(
            name_from_arn("arn:aws:sqs:us-east-1:000000000000:dlq").as_deref(),
            Some("dlq")
        );
        assert_eq!(name_from_arn("arn:aws:sns:us-east-1:0:x"), None);
        let a = Account {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
        };
        assert_eq!(a.queue_url("http://h:1", "q"), "http://h:1/000000000000/q");
        assert_eq!(a.arn("q"), "arn:aws:sqs:us-east-1:000000000000:q");
    }

    #[test]
    fn arns_name_the_client_region_and_its_partition() {
        let a = Account {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
        };
        let cn = a.in_region(Some("cn-north-1"));
        assert_eq!(cn.arn("q"), "arn:aws-cn:sqs:cn-north-1:000000000000:q");
        assert_eq!(
            cn.iam_root("111122223333"),
            "arn:aws-cn:iam::111122223333:root"
        );
        assert_eq!(
            a.in_region(Some("us-gov-west-1")).arn("q"),
            "arn:aws-us-gov:sqs:us-gov-west-1:000000000000:q"
        );
        assert_eq!(
            a.in_region(Some("eu-west-1")).arn("q"),
            "arn:aws:sqs:eu-west-1:000000000000:q"
        );
        assert_eq!(a.iam_root("1"), "arn:aws:iam::1:root");
        // No scope, or a scope region of no region's shape: the configured region.
        for odd in [
            None,
            Some(""),
            Some("EU West"),
            Some("a:b"),
            Some(&"x".repeat(33)[..]),
        ] {
            assert_eq!(a.in_region(odd).region, "us-east-1", "{odd:?}");
        }
        assert_eq!(partition("us-isob-east-1"), "aws-iso-b");
        assert_eq!(partition("us-iso-east-1"), "aws-iso");
        assert_eq!(
            name_from_arn("arn:aws-cn:sqs:cn-north-1:000000000000:dlq").as_deref(),
            Some("dlq")
        );
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
