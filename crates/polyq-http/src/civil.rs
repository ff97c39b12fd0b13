//! Proleptic Gregorian calendar arithmetic on days since 1970-01-01 (H. Hinnant's algorithms),
//! for the dialects' own date formats: SigV4's and MNS V4's `YYYYMMDDTHHMMSSZ`, and Azure's
//! dates up to 9999-12-31, which general HTTP-date crates do not reach.

use std::time::{SystemTime, UNIX_EPOCH};

/// Days since 1970-01-01 of the date `y`-`m`-`d`.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month, day) `z` days after 1970-01-01: the inverse of [`days_from_civil`].
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `t` as `YYYYMMDDTHHMMSSZ` in UTC (times before 1970 are shown as the epoch).
pub fn basic_utc(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn days_and_dates_round_trip() {
        for (y, m, d, days) in [
            (1970, 1, 1, 0),
            (2000, 2, 29, 11_016),
            (2026, 12, 6, 20_793),
            (9999, 12, 31, 2_932_896),
            (1969, 12, 31, -1),
        ] {
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
            assert_eq!(civil_from_days(days), (y, m, d));
        }
    }

    #[test]
    fn basic_format() {
        let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(basic_utc(at(0)), "19700101T000000Z");
        assert_eq!(basic_utc(at(1_440_938_160)), "20150830T123600Z");
        assert_eq!(
            basic_utc(UNIX_EPOCH - Duration::from_secs(5)),
            "19700101T000000Z"
        );
    }
}
