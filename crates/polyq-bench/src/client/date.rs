//! The HTTP date of the current second (`Date`, `x-ms-date`), formatted once per second per
//! thread: a load generator stamps tens of thousands of requests a second with the same text.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

use http::HeaderValue;

thread_local! {
    static CACHE: RefCell<Option<(u64, HeaderValue)>> = const { RefCell::new(None) };
}

/// `httpdate::fmt_http_date(now)` as a header value, reused while the second is the same.
pub fn http_date(now: SystemTime) -> HeaderValue {
    let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some((s, value)) = cache.as_ref() {
            if *s == second {
                return value.clone();
            }
        }
        let value = HeaderValue::from_str(&httpdate::fmt_http_date(now))
            .expect("HTTP dates are visible ASCII");
        *cache = Some((second, value.clone()));
        value
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn cached_dates_follow_the_second() {
        let t = UNIX_EPOCH + Duration::from_millis(1_751_364_000_250);
        let first = http_date(t);
        assert_eq!(first, "Tue, 01 Jul 2025 10:00:00 GMT");
        assert_eq!(http_date(t + Duration::from_millis(700)), first);
        assert_eq!(
            http_date(t + Duration::from_millis(800)),
            "Tue, 01 Jul 2025 10:00:01 GMT"
        );
        // Going back (another clock reading) is formatted afresh, not served stale.
        assert_eq!(http_date(t), first);
        let now = SystemTime::now();
        assert_eq!(http_date(now), httpdate::fmt_http_date(now).as_str());
    }
}
