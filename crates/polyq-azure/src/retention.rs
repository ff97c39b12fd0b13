//! Validation of the analytics sections of Set Queue Service Properties (`Logging`,
//! `HourMetrics`, `MinuteMetrics`): Azure keeps logs and metrics for 1..=365 days and refuses
//! any other `RetentionPolicy/Days` with 400 `InvalidXmlDocument`, naming the rule in
//! `Reason` (recorded from the live service by the Python SDK's `test_retention_too_long`).

use crate::error::{AzError, AzResult};
use crate::xml::Node;

/// Longest retention Azure accepts, in days.
pub const MAX_RETENTION_DAYS: u32 = 365;

fn retention_error() -> AzError {
    AzError::invalid_xml().detail(
        "Reason",
        "Retention days must be greater than 0 and less than or equal to 365 days.",
    )
}

/// Checks one analytics section's `RetentionPolicy`: `Days`, when given, must be a whole
/// number in 1..=365, and an enabled policy must give it (else nothing would ever be removed,
/// which Azure does not allow).
pub fn check_section(section: &Node) -> AzResult<()> {
    let Some(policy) = section.child("RetentionPolicy") else {
        return Ok(());
    };
    let enabled = policy
        .child_text("Enabled")
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("true"));
    match policy.child_text("Days").map(str::trim) {
        Some(days) => match days.parse::<u32>() {
            Ok(d) if (1..=MAX_RETENTION_DAYS).contains(&d) => Ok(()),
            _ => Err(retention_error()),
        },
        None if enabled => Err(retention_error()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml;

    fn check(policy: &str) -> AzResult<()> {
        let doc = format!("<HourMetrics><Version>1.0</Version><Enabled>true</Enabled><IncludeAPIs>true</IncludeAPIs>{policy}</HourMetrics>");
        check_section(&xml::parse(doc.as_bytes()).unwrap())
    }

    #[test]
    fn days_must_be_within_one_year() {
        assert!(check("").is_ok());
        assert!(check("<RetentionPolicy><Enabled>false</Enabled></RetentionPolicy>").is_ok());
        for days in ["1", "5", "365"] {
            let p = format!(
                "<RetentionPolicy><Enabled>true</Enabled><Days>{days}</Days></RetentionPolicy>"
            );
            assert!(check(&p).is_ok(), "{days}");
        }
        for days in ["0", "366", "-1", "x", ""] {
            let p = format!(
                "<RetentionPolicy><Enabled>true</Enabled><Days>{days}</Days></RetentionPolicy>"
            );
            let e = check(&p).unwrap_err();
            assert_eq!((e.status, e.code), (400, "InvalidXmlDocument"), "{days}");
        }
        let e = check("<RetentionPolicy><Enabled>true</Enabled></RetentionPolicy>").unwrap_err();
        assert_eq!(e.code, "InvalidXmlDocument");
    }
}
