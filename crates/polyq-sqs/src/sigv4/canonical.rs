//! Building the canonical request: canonical URI, query string, headers and payload hash.

use polyq_http::uri_encoding::{UNRESERVED, UNRESERVED_AND_SLASH};
use sha2::{Digest, Sha256};

use super::auth_params::{incomplete, AuthParams};
use super::{SigError, SigRequest, MISMATCH_PREAMBLE, UNSIGNED_PAYLOAD};

/// One query parameter: the raw `name=value` text decoded once.
pub(super) struct QueryParam {
    pub(super) name: Vec<u8>,
    pub(super) value: Vec<u8>,
}

pub(super) fn canonical_request(
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
pub(super) fn canonical_uri(path: &str) -> String {
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

/// Split the raw query into parameters, decoding `%XX` once and a bare `+` as a space, as the
/// query protocol's parameters are read (so what is signed is what is acted on: with `+` kept
/// literal, a signed `p+q` was stored as `p q`). Signers write a space `%20` in their canonical
/// query; some clients send it as `+` on the wire (botocore's `AWSRequest` with `params`),
/// which now verifies. A plus is `%2B`.
pub(super) fn parse_query(query: &str) -> Vec<QueryParam> {
    let decode = |raw: &str| -> Vec<u8> {
        let spaced = raw.replace('+', " ");
        percent_encoding::percent_decode_str(&spaced).collect()
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            QueryParam {
                name: decode(name),
                value: decode(value),
            }
        })
        .collect()
}

pub(super) fn canonical_query(query: &[QueryParam], presigned: bool) -> String {
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
