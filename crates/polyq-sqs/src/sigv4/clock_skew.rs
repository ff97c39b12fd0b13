//! Checking the request time against the server clock: allowed skew, and expiry of presigned URLs.

use std::time::{Duration, SystemTime};

use super::amz_date::format_amz_date;
use super::auth_params::AuthParams;
use super::SigError;

/// A clock outside the allowed skew is refused as SQS refuses it: `403 SignatureDoesNotMatch`
/// with the "Signature expired" text (recorded answers: aws-sdk-php#642, aws-sdk-go#487), not
/// `RequestExpired`, which is kept for a presigned URL used after its `X-Amz-Expires`.
pub(super) fn check_time(
    params: &AuthParams,
    now: SystemTime,
    max_skew: Duration,
) -> Result<(), SigError> {
    let t = params.time;
    let stamp = &params.amz_date;
    match now.duration_since(t) {
        // The request is from the past (or exactly now).
        Ok(age) => match params.expires {
            Some(expires) => {
                if age > Duration::from_secs(expires) {
                    return Err(SigError::RequestExpired(format!(
                        "Request has expired: signed at {stamp} for {expires} seconds; it is now {}.",
                        format_amz_date(now)
                    )));
                }
            }
            None => {
                if age > max_skew {
                    let limit = now
                        .checked_sub(max_skew)
                        .map(format_amz_date)
                        .unwrap_or_else(|| "the beginning of time".to_string());
                    return Err(SigError::SignatureDoesNotMatch(format!(
                        "Signature expired: {stamp} is now earlier than {limit} ({} - {}.)",
                        format_amz_date(now),
                        format_skew(max_skew)
                    )));
                }
            }
        },
        // The request claims to be from the future.
        Err(e) => {
            if e.duration() > max_skew {
                let limit = now
                    .checked_add(max_skew)
                    .map(format_amz_date)
                    .unwrap_or_else(|| "the end of time".to_string());
                return Err(SigError::SignatureDoesNotMatch(format!(
                    "Signature not yet current: {stamp} is still later than {limit} ({} + {}.)",
                    format_amz_date(now),
                    format_skew(max_skew)
                )));
            }
        }
    }
    Ok(())
}

fn format_skew(d: Duration) -> String {
    let (minutes, seconds) = (d.as_secs() / 60, d.as_secs() % 60);
    if seconds == 0 && d.subsec_nanos() == 0 {
        format!("{minutes} min")
    } else {
        format!("{} sec", d.as_secs_f64())
    }
}
