//! Reading the signature parameters of a presigned URL from its `X-Amz-*` query parameters.

use super::amz_date::parse_amz_date;
use super::auth_params::{build_params, incomplete, AuthParams};
use super::canonical::QueryParam;
use super::{SigError, ALGORITHM, MAX_PRESIGNED_EXPIRES_SECS};

pub(super) fn presigned_auth_params(query: &[QueryParam]) -> Result<AuthParams, SigError> {
    const REQUIRED: &str = "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', and 'X-Amz-Expires'.";
    let get = |name: &str| -> Result<Option<String>, SigError> {
        let mut found = query.iter().filter(|p| p.name == name.as_bytes());
        let Some(first) = found.next() else {
            return Ok(None);
        };
        if found.next().is_some() {
            return Err(incomplete(format!(
                "The query parameter '{name}' may only be given once."
            )));
        }
        String::from_utf8(first.value.clone())
            .map(Some)
            .map_err(|_| incomplete(format!("The query parameter '{name}' is not valid UTF-8.")))
    };
    let algorithm = get("X-Amz-Algorithm")?;
    let credential = get("X-Amz-Credential")?;
    let signature = get("X-Amz-Signature")?;
    let date = get("X-Amz-Date")?;
    let signed_headers = get("X-Amz-SignedHeaders")?;
    let expires = get("X-Amz-Expires")?;
    let (
        Some(algorithm),
        Some(credential),
        Some(signature),
        Some(date),
        Some(signed_headers),
        Some(expires),
    ) = (
        algorithm,
        credential,
        signature,
        date,
        signed_headers,
        expires,
    )
    else {
        return Err(incomplete(format!(
            "{REQUIRED} Re-examine the query-string parameters."
        )));
    };
    if algorithm != ALGORITHM {
        return Err(incomplete(format!(
            "X-Amz-Algorithm only supports \"{ALGORITHM}\", got \"{algorithm}\"."
        )));
    }
    let Some(time) = parse_amz_date(&date) else {
        return Err(incomplete(format!(
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\". Got '{date}'."
        )));
    };
    let expires = match expires.parse::<u64>() {
        Ok(e) if expires.bytes().all(|b| b.is_ascii_digit()) => e,
        _ => {
            return Err(incomplete(format!(
                "X-Amz-Expires should be a number of seconds. Got '{expires}'."
            )))
        }
    };
    if expires > MAX_PRESIGNED_EXPIRES_SECS {
        return Err(incomplete(format!(
            "X-Amz-Expires must be less than a week (in seconds) that is {MAX_PRESIGNED_EXPIRES_SECS}."
        )));
    }
    build_params(
        &credential,
        &signed_headers,
        &signature,
        date,
        time,
        "X-Amz-Date",
        Some(expires),
    )
}
