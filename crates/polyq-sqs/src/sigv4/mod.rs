//! AWS Signature Version 4 request verification (server side).
//!
//! This checks requests signed the way the AWS SDKs sign SQS requests: the
//! JSON protocol (`POST /` with an `X-Amz-Target` header and a JSON body), the
//! query protocol (form `POST` or `GET` with `Action=...`), and presigned URLs
//! (`X-Amz-Algorithm`, `X-Amz-Credential`, ... in the query string).
//!
//! The canonical request is built the way AWS specifies it for services other
//! than S3, and the way botocore (and the other SDKs) actually build it:
//!
//! * **Canonical URI**: the path exactly as it was received (still
//!   percent-encoded), with empty, `.` and `..` segments removed, then
//!   percent-encoded *again* with the RFC 3986 unreserved set (`/` kept). A wire
//!   path `/a%20b` therefore becomes `/a%2520b`, which is what the SDKs sign.
//! * **Canonical query string**: every `name=value` pair of the raw query is
//!   percent-decoded (a `+` stays a literal `+`), re-encoded with the RFC 3986
//!   unreserved set, and the pairs are sorted by name and then value. For a
//!   presigned request `X-Amz-Signature` is left out.
//! * **Canonical headers**: only the headers named in `SignedHeaders`,
//!   lower-cased and sorted; each value trimmed and runs of spaces/tabs
//!   collapsed to one space; repeated headers joined with `,`.
//! * **Payload hash**: the `x-amz-content-sha256` header when present (which
//!   must then be the hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`),
//!   otherwise the hex SHA-256 of the body.
//!
//! `host` must be one of the signed headers, as AWS requires. For HTTP/2
//! requests (which carry `:authority` rather than `Host`) the caller must put
//! a `host` entry into the header map before calling [`verify`].

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The only signing algorithm accepted.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Literal payload hash a client may send to opt out of payload signing.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// The longest validity a presigned URL may ask for (seven days), as in AWS.
pub const MAX_PRESIGNED_EXPIRES_SECS: u64 = 604_800;

const TERMINATOR: &str = "aws4_request";
const MISMATCH_PREAMBLE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// RFC 3986 unreserved characters stay as they are; everything else is `%XX`.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// As [`UNRESERVED`], but keeps the path separator.
const UNRESERVED_AND_SLASH: &AsciiSet = &UNRESERVED.remove(b'/');

type HmacSha256 = Hmac<Sha256>;

/// The parts of an HTTP request that take part in a SigV4 signature.
#[derive(Debug, Clone, Copy)]
pub struct SigRequest<'a> {
    pub method: &'a str,
    /// Raw request path exactly as received (still percent-encoded), e.g. "/000000000000/my-queue".
    pub path: &'a str,
    /// Raw query string without '?', possibly empty.
    pub query: &'a str,
    pub headers: &'a http::HeaderMap,
    pub body: &'a [u8],
}

/// The identity a request was signed with, once its signature has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub access_key_id: String,
    pub region: String,
    pub service: String,
}

/// Why a request failed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigError {
    /// No Authorization header and no X-Amz-Signature in the query: the request is unsigned.
    MissingAuthenticationToken,
    /// Authorization header / presign parameters are malformed (message says what is missing or wrong).
    IncompleteSignature(String),
    /// The access key id is not a known credential.
    InvalidClientTokenId,
    /// Signature mismatch. The String is the canonical-request/string-to-sign explanation that AWS gives
    /// ("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. ...").
    SignatureDoesNotMatch(String),
    /// X-Amz-Date / Date outside the allowed skew, or a presigned URL past X-Amz-Expires.
    RequestExpired(String),
}

impl SigError {
    /// The AWS error code (`Code` element / `__type`) for this error.
    pub fn code(&self) -> &'static str {
        match self {
            SigError::MissingAuthenticationToken => "MissingAuthenticationToken",
            SigError::IncompleteSignature(_) => "IncompleteSignature",
            SigError::InvalidClientTokenId => "InvalidClientTokenId",
            SigError::SignatureDoesNotMatch(_) => "SignatureDoesNotMatch",
            SigError::RequestExpired(_) => "RequestExpired",
        }
    }

    /// The human-readable message AWS would send with [`SigError::code`].
    pub fn message(&self) -> String {
        match self {
            SigError::MissingAuthenticationToken => {
                "Request is missing Authentication Token".to_string()
            }
            SigError::InvalidClientTokenId => {
                "The AWS Access Key Id you provided does not exist in our records.".to_string()
            }
            SigError::IncompleteSignature(m)
            | SigError::SignatureDoesNotMatch(m)
            | SigError::RequestExpired(m) => m.clone(),
        }
    }

    /// The HTTP status AWS answers this error with (400 for malformed or
    /// expired requests, 403 for everything that is an authentication refusal).
    pub fn status(&self) -> http::StatusCode {
        match self {
            SigError::IncompleteSignature(_) | SigError::RequestExpired(_) => {
                http::StatusCode::BAD_REQUEST
            }
            SigError::MissingAuthenticationToken
            | SigError::InvalidClientTokenId
            | SigError::SignatureDoesNotMatch(_) => http::StatusCode::FORBIDDEN,
        }
    }
}

impl fmt::Display for SigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for SigError {}

/// Where the signature, its scope and its date were found.
struct AuthParams {
    access_key_id: String,
    scope_date: String,
    region: String,
    service: String,
    /// Lower-cased, sorted, de-duplicated.
    signed_headers: Vec<String>,
    signature: String,
    /// The request time in basic ISO 8601 (`YYYYMMDDTHHMMSSZ`), as it goes into the string to sign.
    amz_date: String,
    time: SystemTime,
    /// `Some(X-Amz-Expires)` for a presigned request.
    expires: Option<u64>,
}

/// One query parameter: the raw `name=value` text decoded once.
struct QueryParam {
    name: Vec<u8>,
    value: Vec<u8>,
}

/// Verify the SigV4 signature of `req`.
///
/// `secret_for` maps an access key id to its secret access key. `now` is the
/// server's clock and `max_skew` how far the request's date may be from it
/// (AWS uses 15 minutes).
pub fn verify(
    req: &SigRequest<'_>,
    secret_for: &dyn Fn(&str) -> Option<String>,
    now: SystemTime,
    max_skew: Duration,
) -> Result<Verified, SigError> {
    let query = parse_query(req.query);
    let params = auth_params(req, &query)?;

    check_time(&params, now, max_skew)?;

    let secret = secret_for(&params.access_key_id).ok_or(SigError::InvalidClientTokenId)?;

    let canonical = canonical_request(req, &query, &params)?;
    let scope = format!(
        "{}/{}/{}/{}",
        params.scope_date, params.region, params.service, TERMINATOR
    );
    let string_to_sign = format!(
        "{}\n{}\n{}\n{}",
        ALGORITHM,
        params.amz_date,
        scope,
        hex::encode(Sha256::digest(&canonical))
    );
    let key = signing_key(&secret, &params.scope_date, &params.region, &params.service);
    let expected = hex::encode(hmac_sha256(&key, string_to_sign.as_bytes()));
    let provided = params.signature.to_ascii_lowercase();

    if bool::from(expected.as_bytes().ct_eq(provided.as_bytes())) {
        Ok(Verified {
            access_key_id: params.access_key_id,
            region: params.region,
            service: params.service,
        })
    } else {
        Err(SigError::SignatureDoesNotMatch(format!(
            "{MISMATCH_PREAMBLE}\n\nThe Canonical String for this request should have been\n'{}'\n\nThe String-to-Sign should have been\n'{}'\n",
            String::from_utf8_lossy(&canonical),
            string_to_sign
        )))
    }
}

/// The SigV4 signing key: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, TERMINATOR.as_bytes())
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

// ---------------------------------------------------------------- parameters

/// Find the signature, its credential scope, the signed headers and the date,
/// either in the Authorization header or in presign query parameters.
fn auth_params(req: &SigRequest<'_>, query: &[QueryParam]) -> Result<AuthParams, SigError> {
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

fn incomplete(message: String) -> SigError {
    SigError::IncompleteSignature(message)
}

fn header_auth_params(
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

fn presigned_auth_params(query: &[QueryParam]) -> Result<AuthParams, SigError> {
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

fn build_params(
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

// ---------------------------------------------------------------------- time

fn check_time(params: &AuthParams, now: SystemTime, max_skew: Duration) -> Result<(), SigError> {
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
                    return Err(SigError::RequestExpired(format!(
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
                return Err(SigError::RequestExpired(format!(
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

/// Parse `YYYYMMDDTHHMMSSZ` strictly. Years before 1970 are refused.
fn parse_amz_date(s: &str) -> Option<SystemTime> {
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
fn parse_rfc1123(s: &str) -> Option<SystemTime> {
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
fn format_amz_date(t: SystemTime) -> String {
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

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

// ----------------------------------------------------------------- canonical

fn canonical_request(
    req: &SigRequest<'_>,
    query: &[QueryParam],
    params: &AuthParams,
) -> Result<Vec<u8>, SigError> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(req.method.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_uri(req.path).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_query(query, params.expires.is_some()).as_bytes());
    out.push(b'\n');
    for name in &params.signed_headers {
        let mut values = req.headers.get_all(name.as_str()).iter().peekable();
        if values.peek().is_none() {
            return Err(SigError::SignatureDoesNotMatch(format!(
                "{MISMATCH_PREAMBLE} The header '{name}' is listed in SignedHeaders but is not present in the request."
            )));
        }
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        for (i, value) in values.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_trimmed(&mut out, value.as_bytes());
        }
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(params.signed_headers.join(";").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload_hash(req)?.as_bytes());
    Ok(out)
}

/// Append `value` with leading/trailing whitespace removed and inner runs of
/// whitespace collapsed to a single space (botocore's `' '.join(v.split())`).
fn push_trimmed(out: &mut Vec<u8>, value: &[u8]) {
    let mut first = true;
    for word in value
        .split(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c))
        .filter(|w| !w.is_empty())
    {
        if !first {
            out.push(b' ');
        }
        out.extend_from_slice(word);
        first = false;
    }
}

/// The raw path with dot segments and empty segments removed, encoded a
/// second time (non-S3 services).
fn canonical_uri(path: &str) -> String {
    let normalized = normalize_path(path.as_bytes());
    percent_encoding::percent_encode(&normalized, UNRESERVED_AND_SLASH).to_string()
}

/// botocore's `normalize_url_path`: RFC 3986 dot-segment removal plus
/// collapsing of consecutive slashes; a trailing slash is kept.
fn normalize_path(path: &[u8]) -> Vec<u8> {
    if path.is_empty() {
        return b"/".to_vec();
    }
    let mut segments: Vec<&[u8]> = Vec::new();
    for seg in path.split(|&b| b == b'/') {
        match seg {
            b"" | b"." => {}
            b".." => {
                segments.pop();
            }
            _ => segments.push(seg),
        }
    }
    let mut out = Vec::with_capacity(path.len());
    if path.first() == Some(&b'/') {
        out.push(b'/');
    }
    out.extend_from_slice(&segments.join(&b'/'));
    if path.last() == Some(&b'/') && !segments.is_empty() {
        out.push(b'/');
    }
    out
}

/// Split the raw query into parameters, decoding `%XX` once. `+` is not
/// special: it stays a literal `+` (the SDKs never send a bare `+`).
fn parse_query(query: &str) -> Vec<QueryParam> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            QueryParam {
                name: percent_encoding::percent_decode_str(name).collect(),
                value: percent_encoding::percent_decode_str(value).collect(),
            }
        })
        .collect()
}

fn canonical_query(query: &[QueryParam], presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .filter(|p| !(presigned && p.name == b"X-Amz-Signature"))
        .map(|p| {
            (
                percent_encoding::percent_encode(&p.name, UNRESERVED).to_string(),
                percent_encoding::percent_encode(&p.value, UNRESERVED).to_string(),
            )
        })
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// The payload hash line of the canonical request.
fn payload_hash(req: &SigRequest<'_>) -> Result<String, SigError> {
    let body_hash = hex::encode(Sha256::digest(req.body));
    let Some(header) = req.headers.get("x-amz-content-sha256") else {
        return Ok(body_hash);
    };
    let claimed = header.to_str().unwrap_or("").trim();
    if claimed == UNSIGNED_PAYLOAD {
        return Ok(claimed.to_string());
    }
    if claimed.len() == 64 && claimed.bytes().all(|b| b.is_ascii_hexdigit()) {
        if claimed.eq_ignore_ascii_case(&body_hash) {
            return Ok(claimed.to_string());
        }
        return Err(SigError::SignatureDoesNotMatch(format!(
            "{MISMATCH_PREAMBLE} The provided 'x-amz-content-sha256' header does not match what was computed: claimed {claimed}, computed {body_hash}."
        )));
    }
    Err(incomplete(format!(
        "The x-amz-content-sha256 header must be the hex SHA-256 of the body or '{UNSIGNED_PAYLOAD}'; got '{}'.",
        String::from_utf8_lossy(header.as_bytes())
    )))
}

#[cfg(test)]
mod tests;
