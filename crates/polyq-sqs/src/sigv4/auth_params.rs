//! Locating the signature (Authorization header or presigned query) and parsing its credential scope and signed headers.

use std::time::SystemTime;

use super::auth_header::header_auth_params;
use super::canonical::QueryParam;
use super::presigned::presigned_auth_params;
use super::{SigError, SigRequest, MISMATCH_PREAMBLE, TERMINATOR};

/// Where the signature, its scope and its date were found.
pub(super) struct AuthParams {
    pub(super) access_key_id: String,
    pub(super) scope_date: String,
    pub(super) region: String,
    pub(super) service: String,
    /// Lower-cased, sorted, de-duplicated.
    pub(super) signed_headers: Vec<String>,
    pub(super) signature: String,
    /// The request time in basic ISO 8601 (`YYYYMMDDTHHMMSSZ`), as it goes into the string to sign.
    pub(super) amz_date: String,
    pub(super) time: SystemTime,
    /// `Some(X-Amz-Expires)` for a presigned request.
    pub(super) expires: Option<u64>,
}

/// Find the signature, its credential scope, the signed headers and the date,
/// either in the Authorization header or in presign query parameters.
pub(super) fn auth_params(
    req: &SigRequest<'_>,
    query: &[QueryParam],
) -> Result<AuthParams, SigError> {
    let mut authz = req.headers.get_all(http::header::AUTHORIZATION).iter();
    let first_authz = authz.next();
    if authz.next().is_some() {
        return Err(incomplete(
            "Only one Authorization header may be sent.".to_string(),
        ));
    }
    let presign_names = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"];
    let presigned = query
        .iter()
        .any(|p| presign_names.iter().any(|n| p.name == n.as_bytes()));

    match (first_authz, presigned) {
        (Some(_), true) => Err(incomplete(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.".to_string(),
        )),
        (Some(value), false) => header_auth_params(req, value),
        (None, true) => presigned_auth_params(query),
        (None, false) => {
            let has = |n: &str| query.iter().any(|p| p.name == n.as_bytes());
            if has("Signature") && (has("SignatureVersion") || has("AWSAccessKeyId")) {
                Err(incomplete(
                    "Only Signature Version 4 (AWS4-HMAC-SHA256) is supported.".to_string(),
                ))
            } else {
                Err(SigError::MissingAuthenticationToken)
            }
        }
    }
}

pub(super) fn incomplete(message: String) -> SigError {
    SigError::IncompleteSignature(message)
}

pub(super) fn build_params(
    credential: &str,
    signed_headers: &str,
    signature: &str,
    amz_date: String,
    time: SystemTime,
    date_source: &'static str,
    expires: Option<u64>,
) -> Result<AuthParams, SigError> {
    // AKID/YYYYMMDD/region/service/aws4_request; split from the right so that
    // nothing is assumed about the characters of the access key id.
    let mut parts = credential.rsplitn(5, '/');
    let terminator = parts.next().unwrap_or("");
    let service = parts.next();
    let region = parts.next();
    let scope_date = parts.next();
    let akid = parts.next();
    let (Some(service), Some(region), Some(scope_date), Some(akid)) =
        (service, region, scope_date, akid)
    else {
        return Err(incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        )));
    };
    if terminator != TERMINATOR {
        return Err(incomplete(format!(
            "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'."
        )));
    }
    if akid.is_empty() || region.is_empty() || service.is_empty() {
        return Err(incomplete(format!(
            "Credential '{credential}' has an empty access key id, region or service."
        )));
    }
    if scope_date.len() != 8 || !scope_date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(incomplete(format!(
            "Credential date '{scope_date}' must be in the form YYYYMMDD."
        )));
    }
    // `amz_date` was validated as 16 ASCII characters, so this cannot split a character.
    let request_day = amz_date.get(..8).unwrap_or("");
    if scope_date != request_day {
        return Err(SigError::SignatureDoesNotMatch(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{request_day}', from '{date_source}'."
        )));
    }

    let mut names = Vec::new();
    for name in signed_headers.split(';') {
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty() || http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(incomplete(format!(
                "SignedHeaders '{signed_headers}' is not a ';'-separated list of header names."
            )));
        }
        names.push(name);
    }
    names.sort();
    names.dedup();
    if !names.iter().any(|n| n == "host") {
        return Err(SigError::SignatureDoesNotMatch(format!(
            "{MISMATCH_PREAMBLE} 'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        )));
    }

    Ok(AuthParams {
        access_key_id: akid.to_string(),
        scope_date: scope_date.to_string(),
        region: region.to_string(),
        service: service.to_string(),
        signed_headers: names,
        signature: signature.to_string(),
        amz_date,
        time,
        expires,
    })
}
