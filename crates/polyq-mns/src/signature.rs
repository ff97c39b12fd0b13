//! MNS/MQS request signatures (HMAC-SHA1, "V2"):
//!
//! ```text
//! StringToSign = VERB "\n" Content-MD5 "\n" Content-Type "\n" Date "\n"
//!                CanonicalizedMNSHeaders CanonicalizedResource
//! Authorization: MNS AccessKeyId:base64(HMAC-SHA1(secret, StringToSign))
//! ```
//!
//! The resource is the request target exactly as received (path and query, not decoded, not
//! re-sorted): SDKs differ in how they escape receipt handles and each signs what it sends.
//! The newer "V4" scheme (HMAC-SHA256 over a canonical request) lives in `signature_v4`.

use std::time::{Duration, SystemTime};

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use polyq_http::auth::{constant_time_eq, AuthConfig, AuthMode};
use polyq_http::Request;
use sha1::Sha1;

use crate::error::{MnsError, MnsResult};
use crate::signature_v4;

/// Largest accepted distance between the request's Date and our clock.
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// The canonical string for `req`, with vendor headers of `prefix` (`x-mns-` or `x-mqs-`).
pub fn string_to_sign(req: &Request, prefix: &str) -> String {
    let header = |name: &str| req.header(name).unwrap_or("").to_string();
    let date = req
        .header("date")
        .map(str::to_string)
        .unwrap_or_else(|| header(&format!("{prefix}date")));
    let mut vendor: Vec<(String, String)> = req
        .headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with(prefix))
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).trim().to_string(),
            )
        })
        .collect();
    vendor.sort();
    let mut out = format!(
        "{}\n{}\n{}\n{}\n",
        req.method.as_str(),
        header("content-md5"),
        header("content-type"),
        date
    );
    for (name, value) in vendor {
        out.push_str(&name);
        out.push(':');
        out.push_str(&value);
        out.push('\n');
    }
    out.push_str(
        req.uri
            .path_and_query()
            .map(|pq| pq.as_str())
            .unwrap_or("/"),
    );
    out
}

/// base64(HMAC-SHA1(secret, text)).
pub fn sign(secret: &str, text: &str) -> String {
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(text.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks the request's signature in enforce mode; dev mode accepts everything but a web
/// page's request (see [`polyq_http::browser`]).
pub fn verify(req: &Request, auth: &AuthConfig, now: SystemTime) -> MnsResult<()> {
    if auth.mode == AuthMode::Dev {
        return match polyq_http::browser::foreign_page(req) {
            Some(why) => Err(MnsError::new(403, "AccessDenied", why)),
            None => Ok(()),
        };
    }
    let header = req.header("authorization").ok_or_else(|| {
        MnsError::new(
            400,
            "MissingAuthorizationHeader",
            "Authorization header is required.",
        )
    })?;
    let (scheme, rest) = header.split_once(' ').ok_or_else(invalid_authorization)?;
    // The Java SDK 2.x signs with V4 when asked to (several of its samples do).
    if let Some(variant) = signature_v4::Variant::of(scheme) {
        return signature_v4::verify(req, auth, now, variant, rest);
    }
    let prefix = match scheme {
        "MNS" => "x-mns-",
        "MQS" => "x-mqs-",
        _ => return Err(invalid_authorization()),
    };
    let (access_key_id, signature) = rest
        .trim()
        .rsplit_once(':')
        .ok_or_else(invalid_authorization)?;
    if access_key_id.is_empty() || signature.is_empty() {
        return Err(invalid_authorization());
    }
    checked_date(req, prefix, now)?;
    let secret = secret_for(auth, access_key_id)?;
    let expected = sign(&secret, &string_to_sign(req, prefix));
    if !constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
        return Err(signature_mismatch());
    }
    Ok(())
}

pub(crate) fn invalid_authorization() -> MnsError {
    MnsError::new(
        400,
        "InvalidAuthorizationHeader",
        "The Authorization header format is invalid.",
    )
}

pub(crate) fn signature_mismatch() -> MnsError {
    MnsError::new(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    )
}

/// The request's `Date` (or `{prefix}date`), which must be within [`MAX_SKEW`] of `now`.
pub(crate) fn checked_date(req: &Request, prefix: &str, now: SystemTime) -> MnsResult<SystemTime> {
    let date = req
        .header("date")
        .or_else(|| req.header(&format!("{prefix}date")))
        .ok_or_else(|| MnsError::new(400, "MissingDateHeader", "Date header is required."))?;
    let sent = httpdate::parse_http_date(date).map_err(|_| {
        MnsError::new(
            400,
            "InvalidDateHeader",
            "The Date header format is invalid.",
        )
    })?;
    let skew = now.duration_since(sent).unwrap_or_else(|e| e.duration());
    if skew > MAX_SKEW {
        return Err(MnsError::new(
            408,
            "TimeExpired",
            "The http request you sent is expired.",
        ));
    }
    Ok(sent)
}

pub(crate) fn secret_for(auth: &AuthConfig, access_key_id: &str) -> MnsResult<String> {
    // The live service's text, which the Node SDK's own test matches; the error-code catalogue
    // prints "The AccessKey Id you provided is not exist." instead.
    auth.secret_for(access_key_id).ok_or_else(|| {
        MnsError::new(
            403,
            "InvalidAccessKeyId",
            "The access Id you provided is not exist.",
        )
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use bytes::Bytes;
    use polyq_http::auth::Credential;

    /// A bodiless request (also used by the V4 tests).
    pub(crate) fn request(method: &str, target: &str, headers: &[(&str, &str)]) -> Request {
        let mut map = http::HeaderMap::new();
        for (k, v) in headers {
            map.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        Request {
            method: method.parse().unwrap(),
            uri: target.parse().unwrap(),
            headers: map,
            body: Bytes::new(),
            remote: None,
            request_id: "r".into(),
            header_case: Default::default(),
            tls: false,
        }
    }

    fn enforce() -> AuthConfig {
        AuthConfig {
            mode: AuthMode::Enforce,
            credentials: vec![Credential {
                access_key_id: "TestAccessID".into(),
                secret: "TestAccessSecret".into(),
            }],
        }
    }

    #[test]
    fn documented_vector() {
        // help.aliyun.com document 175633 (masked there as uwx3yeWoILzgmvesW0BQSgfM****).
        let date = "Thu, 09 Jul 2015 03:01:34 GMT";
        let req = request(
            "GET",
            "/MyQueue",
            &[("date", date), ("x-mns-version", "2015-06-06")],
        );
        let sts = string_to_sign(&req, "x-mns-");
        assert_eq!(
            sts,
            "GET\n\n\nThu, 09 Jul 2015 03:01:34 GMT\nx-mns-version:2015-06-06\n/MyQueue"
        );
        assert_eq!(
            sign("TestAccessSecret", &sts),
            "uwx3yeWoILzgmvesW0BQSgfM7b8="
        );

        let good = request(
            "GET",
            "/MyQueue",
            &[
                ("date", date),
                ("x-mns-version", "2015-06-06"),
                (
                    "authorization",
                    "MNS TestAccessID:uwx3yeWoILzgmvesW0BQSgfM7b8=",
                ),
            ],
        );
        let at = httpdate::parse_http_date(date).unwrap();
        assert_eq!(verify(&good, &enforce(), at), Ok(()));
        assert_eq!(
            verify(&good, &enforce(), at + Duration::from_secs(16 * 60))
                .unwrap_err()
                .code,
            "TimeExpired"
        );
        assert_eq!(
            verify(
                &good,
                &AuthConfig::default(),
                at + Duration::from_secs(99_999)
            ),
            Ok(())
        );
    }

    #[test]
    fn rejections() {
        let date = "Thu, 09 Jul 2015 03:01:34 GMT";
        let at = httpdate::parse_http_date(date).unwrap();
        let code = |headers: &[(&str, &str)]| {
            verify(&request("GET", "/MyQueue", headers), &enforce(), at).map_err(|e| e.code)
        };
        assert_eq!(code(&[("date", date)]), Err("MissingAuthorizationHeader"));
        assert_eq!(
            code(&[("date", date), ("authorization", "AWS x:y")]),
            Err("InvalidAuthorizationHeader")
        );
        assert_eq!(
            code(&[("date", date), ("authorization", "MNS nocolon")]),
            Err("InvalidAuthorizationHeader")
        );
        assert_eq!(
            code(&[("authorization", "MNS TestAccessID:x")]),
            Err("MissingDateHeader")
        );
        assert_eq!(
            code(&[
                ("date", "yesterday"),
                ("authorization", "MNS TestAccessID:x")
            ]),
            Err("InvalidDateHeader")
        );
        assert_eq!(
            code(&[("date", date), ("authorization", "MNS Other:x")]),
            Err("InvalidAccessKeyId")
        );
        assert_eq!(
            code(&[("date", date), ("authorization", "MNS TestAccessID:AAAA")]),
            Err("SignatureDoesNotMatch")
        );
    }

    #[test]
    fn mqs_scheme_signs_mqs_headers() {
        // The seed example says "Wed, 18 Mar 2012", which was a Sunday; httpdate checks weekdays.
        let date = "Sun, 18 Mar 2012 12:00:00 GMT";
        let headers = [
            ("date", date),
            ("x-mqs-version", "2014-07-08"),
            ("content-type", "text/xml"),
        ];
        let req = request("POST", "/q1/messages", &headers);
        let sts = string_to_sign(&req, "x-mqs-");
        assert_eq!(sts, "POST\n\ntext/xml\nSun, 18 Mar 2012 12:00:00 GMT\nx-mqs-version:2014-07-08\n/q1/messages");
        let auth = format!("MQS TestAccessID:{}", sign("TestAccessSecret", &sts));
        let mut all = headers.to_vec();
        all.push(("authorization", &auth));
        let req = request("POST", "/q1/messages", &all);
        assert_eq!(
            verify(&req, &enforce(), httpdate::parse_http_date(date).unwrap()),
            Ok(())
        );
    }
}
