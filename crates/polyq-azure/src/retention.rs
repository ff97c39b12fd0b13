//! Validation of the analytics sections of Set Queue Service Properties (`Logging`,
//! `HourMetrics`, `MinuteMetrics`): their flags are `true`/`false` in any case, kept in lower
//! case (`with_plain_flags`); Azure keeps logs and metrics for 1..=365 days and refuses
//! any other `RetentionPolicy/Days` with 400 `InvalidXmlDocument`, naming the rule in
//! `Reason` (recorded from the live service by the Python SDK's `test_retention_too_long`).

use crate::error::{AzError, AzResult};
use crate::xml::Node;

/// Longest retention Azure accepts, in days.
pub const MAX_RETENTION_DAYS: u32 = 365;

/// The refusal, placed where Azure's reader stands when it judges `Days`: on the node after
/// `</Days>` (the Rust SDK's recording of `test_set_retention_too_long`: 1 / 542).
fn retention_error((line, position): (usize, usize)) -> AzError {
    AzError::invalid_xml()
        .detail("LineNumber", line.to_string())
        .detail("LinePosition", position.to_string())
        .detail(
            "Reason",
            "Retention days must be greater than 0 and less than or equal to 365 days.",
        )
}

/// Checks one analytics section's `RetentionPolicy`: `Days`, when given, must be a whole
/// number in 1..=365, and an enabled policy must give it (else nothing would ever be removed,
/// which Azure does not allow). `at` is where a refusal is reported (see `retention_error`).
pub fn check_section(section: &Node, at: (usize, usize)) -> AzResult<()> {
    let Some(policy) = section.child("RetentionPolicy") else {
        return Ok(());
    };
    let enabled = policy
        .child_text("Enabled")
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("true"));
    match policy.child_text("Days").map(str::trim) {
        Some(days) => match days.parse::<u32>() {
            Ok(d) if (1..=MAX_RETENTION_DAYS).contains(&d) => Ok(()),
            _ => Err(retention_error(at)),
        },
        None if enabled => Err(retention_error(at)),
        None => Ok(()),
    }
}

/// The flags of an analytics section (`Read`, `Write`, `Delete`, `Enabled`, `IncludeAPIs`,
/// and the `RetentionPolicy`'s `Enabled`) as Azure keeps them: `True`/`FALSE`/… are taken,
/// as .NET's `bool.Parse` takes them, and answered in lower case (recorded: the live queue
/// service answered `false` after azure-cli 2.35 set `False`); anything else is refused with
/// 400 `InvalidXmlDocument`.
/// With `strict` off (a document stored by an older polyq, which kept flags as sent), a
/// value that is no flag is kept as it is instead of refused.
pub fn with_plain_flags(section: &Node, strict: bool) -> AzResult<Node> {
    const FLAGS: &[&str] = &["Read", "Write", "Delete", "Enabled", "IncludeAPIs"];
    let plain = |text: &mut String| -> AzResult<()> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("true") {
            *text = "true".into();
        } else if t.eq_ignore_ascii_case("false") {
            *text = "false".into();
        } else if strict {
            return Err(AzError::invalid_xml());
        }
        Ok(())
    };
    let mut out = section.clone();
    for child in &mut out.children {
        if FLAGS.contains(&child.name.as_str()) {
            plain(&mut child.text)?;
        } else if child.name == "RetentionPolicy" {
            for flag in child.children.iter_mut().filter(|c| c.name == "Enabled") {
                plain(&mut flag.text)?;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml;

    #[test]
    fn flags_are_kept_in_lower_case() {
        let doc = "<Logging><Version>1.0</Version><Delete>False</Delete><Read> TRUE </Read><Write>false</Write><RetentionPolicy><Enabled>True</Enabled><Days>2</Days></RetentionPolicy></Logging>";
        let plain = with_plain_flags(&xml::parse(doc.as_bytes()).unwrap(), true).unwrap();
        let mut out = String::new();
        plain.render(&mut out);
        assert_eq!(out, "<Logging><Version>1.0</Version><Delete>false</Delete><Read>true</Read><Write>false</Write><RetentionPolicy><Enabled>true</Enabled><Days>2</Days></RetentionPolicy></Logging>");
        for bad in ["yes", "1", "", "maybe"] {
            let doc = format!(
                "<HourMetrics><Version>1.0</Version><Enabled>{bad}</Enabled></HourMetrics>"
            );
            let e = with_plain_flags(&xml::parse(doc.as_bytes()).unwrap(), true).unwrap_err();
            assert_eq!((e.status, e.code), (400, "InvalidXmlDocument"), "{bad}");
        }
        let doc = "<MinuteMetrics><RetentionPolicy><Enabled>no</Enabled></RetentionPolicy></MinuteMetrics>";
        assert!(with_plain_flags(&xml::parse(doc.as_bytes()).unwrap(), true).is_err());
        // What an older polyq stored is read back as it was.
        let kept = with_plain_flags(&xml::parse(doc.as_bytes()).unwrap(), false).unwrap();
        assert_eq!(kept.children[0].children[0].text, "no");
    }

    fn check(policy: &str) -> AzResult<()> {
        let doc = format!("<HourMetrics><Version>1.0</Version><Enabled>true</Enabled><IncludeAPIs>true</IncludeAPIs>{policy}</HourMetrics>");
        check_section(&xml::parse(doc.as_bytes()).unwrap(), (1, 2))
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
