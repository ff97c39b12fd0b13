//! The verification entry point ([`verify`]), its request/identity types and the SigV4 signing key.

use std::time::{Duration, SystemTime};

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::auth_params::auth_params;
use super::canonical::{canonical_request, parse_query};
use super::clock_skew::check_time;
use super::{SigError, ALGORITHM, MISMATCH_PREAMBLE, TERMINATOR};

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
    // The JSON protocol takes the action from this header: unsigned, a captured SendMessage
    // could be replayed as a DeleteQueue. Every SDK signs it (botocore, the JS, Java, Go and
    // Rust signers sign every header but a few transport ones).
    if req.headers.contains_key("x-amz-target")
        && !params.signed_headers.iter().any(|h| h == "x-amz-target")
    {
        return Err(SigError::SignatureDoesNotMatch(format!(
            "{MISMATCH_PREAMBLE} 'X-Amz-Target' names the action and must be a 'SignedHeader' \
             in the AWS Authorization."
        )));
    }

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

pub(super) fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}
