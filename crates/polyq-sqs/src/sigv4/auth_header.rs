//! Reading the signature parameters from the `Authorization` header and the request date from `X-Amz-Date` / `Date`.

use std::time::SystemTime;

use super::amz_date::{format_amz_date, parse_amz_date, parse_rfc1123};
use super::auth_params::{build_params, incomplete, AuthParams};
use super::{SigError, SigRequest, ALGORITHM};

pub(super) fn header_auth_params(
    req: &SigRequest<'_>,
    value: &http::HeaderValue,
) -> Result<AuthParams, SigError> {
    let raw = value.to_str().map_err(|_| {
        incomplete(
            "The Authorization header contains characters that are not visible ASCII.".to_string(),
        )
    })?;
    let trimmed = raw.trim();
    let (algorithm, rest) = trimmed
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((trimmed, ""));
    if algorithm != ALGORITHM {
        return Err(incomplete(format!(
            "Unsupported Authorization Type '{algorithm}'; only {ALGORITHM} is supported. Authorization={raw}"
        )));
    }

    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((key, val)) = part.split_once('=') else {
            return Err(incomplete(format!(
                "'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{raw}'."
            )));
        };
        let slot = match key.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        if slot.replace(val.trim()).is_some() {
            return Err(incomplete(format!(
                "Authorization header has more than one '{}' parameter. Authorization={raw}",
                key.trim()
            )));
        }
    }

    let date = header_date(req.headers)?;

    let mut missing = String::new();
    for (name, present) in [
        ("Credential", credential.is_some()),
        ("Signature", signature.is_some()),
        ("SignedHeaders", signed_headers.is_some()),
    ] {
        if !present {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if date.is_none() {
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    let (Some(credential), Some(signed_headers), Some(signature), Some((amz_date, time, source))) =
        (credential, signed_headers, signature, date)
    else {
        return Err(incomplete(format!("{missing}Authorization={raw}")));
    };

    build_params(
        credential,
        signed_headers,
        signature,
        amz_date,
        time,
        source,
        None,
    )
}

/// `X-Amz-Date` (basic ISO 8601), or failing that `Date` (RFC 1123).
/// `Ok(None)` when neither header is present.
fn header_date(
    headers: &http::HeaderMap,
) -> Result<Option<(String, SystemTime, &'static str)>, SigError> {
    if let Some(v) = headers.get("x-amz-date") {
        let s = v.to_str().unwrap_or("").trim();
        return match parse_amz_date(s) {
            Some(t) => Ok(Some((s.to_string(), t, "x-amz-date"))),
            None => Err(incomplete(format!(
                "Date must be in ISO-8601 'basic format'. Got '{}'. See http://en.wikipedia.org/wiki/ISO_8601",
                String::from_utf8_lossy(v.as_bytes())
            ))),
        };
    }
    if let Some(v) = headers.get(http::header::DATE) {
        let s = v.to_str().unwrap_or("").trim();
        return match parse_rfc1123(s) {
            Some(t) => Ok(Some((format_amz_date(t), t, "date"))),
            None => Err(incomplete(format!(
                "Date header must be an RFC 1123 date. Got '{}'.",
                String::from_utf8_lossy(v.as_bytes())
            ))),
        };
    }
    Ok(None)
}
