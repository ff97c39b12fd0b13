//! Azure's two time formats: RFC 1123 in headers and message bodies, ISO 8601 in SAS tokens,
//! stored access policies and the `Time:` line of error documents. Written by hand because
//! Azure's "never expires" date (9999-12-31) is outside what general HTTP-date crates accept.

use std::fmt::Write as _;

use polyq_http::civil::{civil_from_days, days_from_civil};

/// Milliseconds of 9999-12-31T23:59:59Z: the expiry Azure reports for `messagettl=-1`.
pub const NEVER_EXPIRES_MS: u64 = 253_402_300_799_000;

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

struct Parts {
    year: i64,
    month: u32,
    day: u32,
    hour: u64,
    min: u64,
    sec: u64,
    weekday: usize,
    millis: u64,
}

fn parts(ms: u64) -> Parts {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let (year, month, day) = civil_from_days(days);
    let rem = secs % 86_400;
    Parts {
        year,
        month,
        day,
        hour: rem / 3600,
        min: rem % 3600 / 60,
        sec: rem % 60,
        weekday: (days % 7) as usize,
        millis: ms % 1000,
    }
}

/// `Fri, 09 Oct 2016 21:04:30 GMT`.
pub fn rfc1123(ms: u64) -> String {
    let mut out = String::with_capacity(29);
    rfc1123_into(&mut out, ms);
    out
}

/// RFC 1123 through the formatting machinery: the fallback of [`rfc1123_into`] and the
/// reference its fast path is tested against.
fn rfc1123_general(out: &mut String, p: &Parts) {
    let _ = write!(
        out,
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[p.weekday],
        p.day,
        MONTHS[(p.month - 1) as usize],
        p.year,
        p.hour,
        p.min,
        p.sec
    );
}

/// Appends [`rfc1123`] of `ms` to `out`. Every response carries several of these (the `Date`
/// header, three or four per message), so the digits are written directly rather than through
/// `format!`, which showed up in profiles of the Azure cycle.
pub fn rfc1123_into(out: &mut String, ms: u64) {
    let p = parts(ms);
    if !(0..=9999).contains(&p.year) {
        // Outside four-digit years (never produced by Azure's ranges): the general formatter.
        rfc1123_general(out, &p);
        return;
    }
    let two = |n: u64| [b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8];
    let y = p.year as u64;
    let mut b = *b"Thu, 01 Jan 1970 00:00:00 GMT";
    b[..3].copy_from_slice(DAYS[p.weekday].as_bytes());
    b[5..7].copy_from_slice(&two(u64::from(p.day)));
    b[8..11].copy_from_slice(MONTHS[(p.month - 1) as usize].as_bytes());
    b[12..14].copy_from_slice(&two(y / 100));
    b[14..16].copy_from_slice(&two(y));
    b[17..19].copy_from_slice(&two(p.hour));
    b[20..22].copy_from_slice(&two(p.min));
    b[23..25].copy_from_slice(&two(p.sec));
    // Only ASCII digits and the ASCII names above were written.
    out.push_str(std::str::from_utf8(&b).expect("ASCII"));
}

/// `2016-10-09T21:04:30.1230000Z`, the seven-digit form Azure writes in error documents.
pub fn iso8601(ms: u64) -> String {
    let p = parts(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}0000Z",
        p.year, p.month, p.day, p.hour, p.min, p.sec, p.millis
    )
}

/// An ISO 8601 time as [`parse_iso8601`] takes it, written back in Azure's seven-digit form:
/// `2021-06-11T20:00:00Z` → `2021-06-11T20:00:00.0000000Z`, a date alone at midnight. Azure
/// answers access-policy times so (the Go SDK's recordings), whatever form they were set in.
pub fn iso8601_seven(text: &str) -> Option<String> {
    let t = iso_fields(text)?;
    let year = u32::try_from(t.year).ok()?;
    let frac: String = t
        .fraction
        .chars()
        .chain(std::iter::repeat('0'))
        .take(7)
        .collect();
    Some(format!(
        "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{frac}Z",
        t.month, t.day, t.hour, t.minute, t.second
    ))
}

/// Parses an RFC 1123 date (`Date` / `x-ms-date`), to epoch milliseconds.
pub fn parse_rfc1123(text: &str) -> Option<u64> {
    let rest = text.trim().split_once(", ")?.1;
    let mut it = rest.split_whitespace();
    let day: u32 = it.next()?.parse().ok()?;
    let mon = it.next()?;
    let month = MONTHS.iter().position(|m| *m == mon)? as u32 + 1;
    let year: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':');
    let h: u64 = hms.next()?.parse().ok()?;
    let m: u64 = hms.next()?.parse().ok()?;
    let s: u64 = hms.next()?.parse().ok()?;
    if it.next()? != "GMT" || day == 0 || day > 31 || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    u64::try_from(days * 86_400_000)
        .ok()
        .map(|d| d + (h * 3600 + m * 60 + s) * 1000)
}

/// Parses the ISO 8601 forms SAS and access policies use: `2024-01-02`, `2024-01-02T03:04Z`,
/// `2024-01-02T03:04:05Z`, `2024-01-02T03:04:05.1234567Z` (UTC only, as Azure requires).
pub fn parse_iso8601(text: &str) -> Option<u64> {
    let t = iso_fields(text)?;
    let digits: String = t.fraction.chars().chain("000".chars()).take(3).collect();
    let ms = (t.hour * 3600 + t.minute * 60 + t.second) * 1000 + digits.parse::<u64>().ok()?;
    let days = days_from_civil(t.year, t.month, t.day);
    u64::try_from(days * 86_400_000).ok().map(|d| d + ms)
}

/// The parts of an ISO 8601 time in the forms [`parse_iso8601`] lists, each checked.
struct IsoTime<'a> {
    year: i64,
    month: u32,
    day: u32,
    hour: u64,
    minute: u64,
    second: u64,
    /// The fraction's digits as written (empty when none).
    fraction: &'a str,
}

fn iso_fields(text: &str) -> Option<IsoTime<'_>> {
    let text = text.trim();
    let (date, time) = match text.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let mut ymd = date.split('-');
    let year: i64 = ymd.next()?.parse().ok()?;
    let month: u32 = ymd.next()?.parse().ok()?;
    let day: u32 = ymd.next()?.parse().ok()?;
    if ymd.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut out = IsoTime {
        year,
        month,
        day,
        hour: 0,
        minute: 0,
        second: 0,
        fraction: "",
    };
    if let Some(t) = time {
        let t = t.strip_suffix('Z')?;
        let (hms, frac) = match t.split_once('.') {
            Some((a, f)) => (a, Some(f)),
            None => (t, None),
        };
        let mut it = hms.split(':');
        out.hour = it.next()?.parse().ok()?;
        out.minute = it.next()?.parse().ok()?;
        out.second = match it.next() {
            Some(s) => s.parse().ok()?,
            None => 0,
        };
        if it.next().is_some() || out.hour > 23 || out.minute > 59 || out.second > 60 {
            return None;
        }
        if let Some(f) = frac {
            if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            out.fraction = f;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_dates() {
        // The sample response of the Put Message page: Fri, 09 Oct 2016 21:04:30 GMT.
        let ms = 1_476_047_070_000;
        assert_eq!(rfc1123(ms), "Sun, 09 Oct 2016 21:04:30 GMT");
        assert_eq!(rfc1123(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(rfc1123(NEVER_EXPIRES_MS), "Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(iso8601(1_476_047_070_123), "2016-10-09T21:04:30.1230000Z");
    }

    #[test]
    fn fast_rfc1123_matches_the_general_formatter() {
        let reference = |ms: u64| {
            let mut out = String::new();
            rfc1123_general(&mut out, &parts(ms));
            out
        };
        // About every day of 1970..2100 at a varying time of day, plus the edges.
        let mut ms = 0u64;
        while ms < 4_102_444_800_000 {
            assert_eq!(rfc1123(ms), reference(ms), "{ms}");
            ms += 86_400_000 + 3_723_001;
        }
        for ms in [
            0,
            999,
            NEVER_EXPIRES_MS,
            NEVER_EXPIRES_MS + 1000,
            u64::MAX / 4,
        ] {
            assert_eq!(rfc1123(ms), reference(ms), "{ms}");
        }
        let mut out = String::from("x");
        rfc1123_into(&mut out, 0);
        assert_eq!(out, "xThu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn parses_round_trip() {
        for ms in [0u64, 1_476_047_070_000, 1_700_000_000_000, NEVER_EXPIRES_MS] {
            assert_eq!(parse_rfc1123(&rfc1123(ms)), Some(ms));
            assert_eq!(parse_iso8601(&iso8601(ms)), Some(ms));
        }
        assert_eq!(parse_iso8601("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_iso8601("1970-01-01T00:01Z"), Some(60_000));
        assert_eq!(parse_iso8601("1970-01-01T00:00:01.5Z"), Some(1500));
        assert_eq!(parse_iso8601("2024-13-01"), None);
        assert_eq!(parse_iso8601("2024-01-01T00:00:00+01:00"), None);
        assert_eq!(parse_rfc1123("yesterday"), None);
    }
}
