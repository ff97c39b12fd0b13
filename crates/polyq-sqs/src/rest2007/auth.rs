//! The REST signature of 2007: `Authorization: AWS {AccessKeyId}:{Signature}`, where the
//! signature is base64(HMAC-SHA1(secret, StringToSign)) and
//!
//! ```text
//! StringToSign = VERB "\n" Content-MD5 "\n" Content-Type "\n" Date "\n" path
//! ```
//!
//! with absent headers as empty lines, no trailing newline, and `path` the request path without
//! the query string (the documentation's example signs `/` for the service resource). The path
//! is accepted as sent and, failing that, percent-decoded, because toolkits of the time
//! disagreed on which of the two they signed. The `Date` header must be within 15 minutes of
//! our clock. Checked only in `enforce` mode; secrets never leave this module.

use std::time::{Duration, SystemTime};

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use polyq_http::auth::{constant_time_eq, AuthConfig, AuthMode};
use polyq_http::Request;
use sha1::Sha1;

use super::error::{Code2007, RestError, RestResult};

pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// `(access key id, signature)` from an `AWS id:sig` header.
pub fn parse_authorization(value: &str) -> Option<(&str, &str)> {
    let rest = value.strip_prefix("AWS ")?.trim();
    let (id, sig) = rest.split_once(':')?;
    (!id.is_empty() && !sig.is_empty()).then_some((id, sig))
}

/// The string to sign for `req` with `path` as the signed resource.
pub fn string_to_sign(req: &Request, path: &str) -> String {
    format!(
        "{}\n{}\n{}\n{}\n{}",
        req.method.as_str(),
        req.header("content-md5").unwrap_or(""),
        req.header("content-type").unwrap_or(""),
        req.header("date").unwrap_or(""),
        path
    )
}

/// base64(HMAC-SHA1(secret, text)).
pub fn sign(secret: &str, text: &str) -> String {
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(text.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn fail(message: impl Into<String>) -> RestError {
    RestError::new(Code2007::AuthFailure, message)
}

/// Verifies the request in `enforce` mode and returns the caller's id (for `SenderId`); in
/// `dev` mode returns the claimed access key, or `default_id` when there is none.
pub fn authenticate(
    auth: &AuthConfig,
    req: &Request,
    default_id: &str,
    now: SystemTime,
) -> RestResult<String> {
    let claimed = req.header("authorization").and_then(parse_authorization);
    if auth.mode == AuthMode::Dev {
        if let Some(why) = polyq_http::browser::foreign_page(req) {
            return Err(fail(why));
        }
        return Ok(claimed.map_or_else(|| default_id.to_string(), |(id, _)| id.to_string()));
    }
    let Some((key_id, signature)) = claimed else {
        return Err(fail(
            "The request carries no credentials: expected an Authorization header of the form \"AWS AccessKeyId:Signature\".",
        ));
    };
    let date = req
        .header("date")
        .ok_or_else(|| fail("The request must carry a Date header (RFC 1123), which is signed."))?;
    let when = httpdate::parse_http_date(date)
        .map_err(|_| fail(format!("The Date header {date:?} is not an RFC 1123 date.")))?;
    let skew = now.duration_since(when).unwrap_or_else(|e| e.duration());
    if skew > MAX_SKEW {
        return Err(RestError::new(
            Code2007::RequestExpired,
            format!(
                "The request date {date} is more than 15 minutes away from the server's clock."
            ),
        ));
    }
    let secret = auth.secret_for(key_id).ok_or_else(|| {
        fail(format!(
            "The access key id {key_id} is not known to this server."
        ))
    })?;
    let raw = req.uri.path();
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    let matches = |path: &str| {
        let expected = sign(&secret, &string_to_sign(req, path));
        constant_time_eq(expected.as_bytes(), signature.as_bytes())
    };
    if matches(raw) || (decoded != raw && matches(&decoded)) {
        Ok(key_id.to_string())
    } else {
        Err(fail(format!(
            "The signature does not match. The string to sign was {:?}.",
            string_to_sign(req, raw)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_authorization_header() {
        assert_eq!(parse_authorization("AWS AK:c2ln"), Some(("AK", "c2ln")));
        assert_eq!(parse_authorization("AWS4-HMAC-SHA256 Credential=x"), None);
        assert_eq!(parse_authorization("AWS :sig"), None);
        assert_eq!(parse_authorization("AWS AK"), None);
    }

    #[test]
    fn hmac_sha1_matches_rfc2202() {
        // RFC 2202 test case 2: key "Jefe", data "what do ya want for nothing?".
        let sig = sign("Jefe", "what do ya want for nothing?");
        let raw = base64::engine::general_purpose::STANDARD
            .decode(sig)
            .unwrap();
        assert_eq!(hex::encode(raw), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    }
}
