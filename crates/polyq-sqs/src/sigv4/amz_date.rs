//! Parsing and formatting request dates (`YYYYMMDDTHHMMSSZ` and RFC 1123) with proleptic Gregorian calendar arithmetic.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use polyq_http::civil::days_from_civil;

/// Parse `YYYYMMDDTHHMMSSZ` strictly. Years before 1970 are refused.
pub(super) fn parse_amz_date(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let (year, month, day) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hour, minute, second) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if year < 1970
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    let secs = u64::try_from(secs).ok()?;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// RFC 1123 (via httpdate), also accepting the numeric `-0000`/`+0000` zone
/// that Python's `email.utils.formatdate` (used by botocore) writes.
pub(super) fn parse_rfc1123(s: &str) -> Option<SystemTime> {
    if let Ok(t) = httpdate::parse_http_date(s) {
        return Some(t);
    }
    let base = s
        .strip_suffix(" -0000")
        .or_else(|| s.strip_suffix(" +0000"))
        .or_else(|| s.strip_suffix(" UTC"))?;
    httpdate::parse_http_date(&format!("{base} GMT")).ok()
}

/// Format as `YYYYMMDDTHHMMSSZ` (times before 1970 are shown as the epoch).
pub(super) fn format_amz_date(t: SystemTime) -> String {
    polyq_http::civil::basic_utc(t)
}

fn is_leap(year: u32) -> bool {
    let y = i64::from(year);
    days_from_civil(y, 3, 1) - days_from_civil(y, 2, 1) == 29
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}
