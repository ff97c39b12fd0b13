//! MNS "V4" request signatures, as the Java SDK 2.x sends them with `SignVersion.V4`:
//!
//! ```text
//! Authorization: MNS4-HMAC-SHA256 Credential={AK}/{yyyyMMdd}/{region}/mns/aliyun_v4_request,Signature={hex}
//! CanonicalRequest = VERB "\n" Encode(path) "\n" CanonicalQuery "\n"
//!                    (name ":" trim(value) "\n")* for content-type, content-md5, x-mns-*  "\n"
//! StringToSign = "MNS4-HMAC-SHA256\n" yyyyMMdd'T'HHmmss'Z' "\n" scope "\n" CanonicalRequest
//! key = HMAC(HMAC(HMAC(HMAC("aliyun_v4" + secret, yyyyMMdd), region), "mns"), "aliyun_v4_request")
//! ```
//!
//! Unlike V2, the request is canonicalised: query keys are lower-cased, keys and values are
//! decoded and re-encoded with the RFC 3986 unreserved set, and pairs are sorted. The time is
//! the `Date` header's. The region is taken from the credential scope: a local server has no
//! region of its own to insist on. The Apsara Stack variant differs only in its three names.

use std::collections::BTreeMap;
use std::time::SystemTime;

use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode};
use polyq_http::auth::{constant_time_eq, AuthConfig};
use polyq_http::uri_encoding::{UNRESERVED, UNRESERVED_AND_SLASH};
use polyq_http::Request;
use sha2::Sha256;

use crate::error::{MnsError, MnsResult};
use crate::signature::{checked_date, invalid_authorization, secret_for, signature_mismatch};

const PRODUCT: &str = "mns";

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The public-cloud scheme or the Apsara Stack ("IDPT") one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Aliyun,
    Apsara,
}

impl Variant {
    pub fn of(scheme: &str) -> Option<Variant> {
        match scheme {
            "MNS4-HMAC-SHA256" => Some(Variant::Aliyun),
            "APSARA-MNS4-HMAC-SHA256" => Some(Variant::Apsara),
            _ => None,
        }
    }

    fn scheme(self) -> &'static str {
        match self {
            Variant::Aliyun => "MNS4-HMAC-SHA256",
            Variant::Apsara => "APSARA-MNS4-HMAC-SHA256",
        }
    }

    fn key_prefix(self) -> &'static str {
        match self {
            Variant::Aliyun => "aliyun_v4",
            Variant::Apsara => "apsara_v4",
        }
    }

    fn terminator(self) -> &'static str {
        match self {
            Variant::Aliyun => "aliyun_v4_request",
            Variant::Apsara => "apsara_v4_request",
        }
    }
}

/// What the `Authorization` header declares after the scheme.
#[derive(Debug, PartialEq, Eq)]
struct Credential<'a> {
    access_key_id: &'a str,
    region: &'a str,
    signature: &'a str,
}

fn parse_credential(rest: &str, variant: Variant) -> Option<Credential<'_>> {
    let mut credential = None;
    let mut signature = None;
    for part in rest.split(',') {
        match part.trim().split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => return None,
        }
    }
    let scope: Vec<&str> = credential?.split('/').collect();
    let [access_key_id, _date, region, product, terminator] = scope.as_slice() else {
        return None;
    };
    let signature = signature?;
    let well_formed = !access_key_id.is_empty()
        && !region.is_empty()
        && *product == PRODUCT
        && *terminator == variant.terminator()
        && !signature.is_empty();
    well_formed.then_some(Credential {
        access_key_id,
        region,
        signature,
    })
}

/// All but the RFC 3986 unreserved characters are percent-encoded (upper-case hex): what the
/// Java SDK's `HttpUtil.urlEncode` produces; paths keep their `/`.
fn encode(text: &str, keep_slash: bool) -> String {
    let set = if keep_slash {
        UNRESERVED_AND_SLASH
    } else {
        UNRESERVED
    };
    utf8_percent_encode(text, set).to_string()
}

fn decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

fn canonical_query(raw: &str) -> String {
    // Later duplicates win, as in the SDK's map.
    let mut pairs = BTreeMap::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        pairs.insert(
            encode(&query_key(k), false),
            encode(decode(v).trim(), false),
        );
    }
    pairs
        .iter()
        .map(|(k, v)| {
            if v.is_empty() {
                k.clone()
            } else {
                format!("{k}={v}")
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn canonical_headers(req: &Request) -> String {
    let mut signed = BTreeMap::new();
    for (name, value) in &req.headers {
        let name = name.as_str();
        if name == "content-type" || name == "content-md5" || name.starts_with("x-mns-") {
            let value = String::from_utf8_lossy(value.as_bytes()).trim().to_string();
            signed.insert(name.to_string(), value);
        }
    }
    signed.iter().map(|(k, v)| format!("{k}:{v}\n")).collect()
}

/// A query parameter's name as the canonical query keys it: decoded, trimmed, lower-cased.
fn query_key(raw: &str) -> String {
    decode(raw).trim().to_lowercase()
}

/// Whether two parameters of `raw` have one name, as [`canonical_query`] compares them.
fn names_a_parameter_twice(raw: &str) -> bool {
    let mut seen = std::collections::HashSet::new();
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| pair.split_once('=').map_or(pair, |(k, _)| k))
        .any(|k| !seen.insert(query_key(k)))
}

/// The canonical request for `req`.
pub fn canonical_request(req: &Request) -> String {
    let path = decode(req.uri.path());
    let path = if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    };
    format!(
        "{}\n{}\n{}\n{}\n",
        req.method.as_str(),
        encode(&path, true),
        canonical_query(req.query()),
        canonical_headers(req)
    )
}

/// The lower-case hex V4 signature of `req` made at `at` in `region`.
pub fn sign(variant: Variant, secret: &str, region: &str, at: SystemTime, req: &Request) -> String {
    sign_canonical(
        variant,
        secret,
        region,
        &polyq_http::civil::basic_utc(at),
        &canonical_request(req),
    )
}

/// The V4 signature of an already canonical request made at `datetime` (`yyyyMMdd'T'HHmmss'Z'`).
pub fn sign_canonical(
    variant: Variant,
    secret: &str,
    region: &str,
    datetime: &str,
    canonical: &str,
) -> String {
    let date = datetime.get(..8).unwrap_or(datetime);
    let scope = format!("{date}/{region}/{PRODUCT}/{}", variant.terminator());
    let to_sign = format!("{}\n{datetime}\n{scope}\n{canonical}", variant.scheme());
    let mut key = hmac_sha256(
        format!("{}{secret}", variant.key_prefix()).as_bytes(),
        date.as_bytes(),
    );
    for part in [region, PRODUCT, variant.terminator()] {
        key = hmac_sha256(&key, part.as_bytes());
    }
    hex::encode(hmac_sha256(&key, to_sign.as_bytes()))
}

/// Checks a V4 `Authorization` (everything after the scheme is `rest`).
pub fn verify(
    req: &Request,
    auth: &AuthConfig,
    now: SystemTime,
    variant: Variant,
    rest: &str,
) -> MnsResult<()> {
    let credential = parse_credential(rest, variant).ok_or_else(invalid_authorization)?;
    // The canonical query keeps one value per name (the SDK signs a map), while the request is
    // routed on the first: with a name given twice, a signed peek could be replayed as a
    // receive, a signed delete as the delete of another handle.
    if names_a_parameter_twice(req.query()) {
        return Err(MnsError::new(
            403,
            "SignatureDoesNotMatch",
            "The request's query string names a parameter twice; a signed request names each once.",
        ));
    }
    let at = checked_date(req, "x-mns-", now)?;
    let secret = secret_for(auth, credential.access_key_id)?;
    let expected = sign(variant, &secret, credential.region, at, req);
    if !constant_time_eq(expected.as_bytes(), credential.signature.as_bytes()) {
        return Err(signature_mismatch());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use polyq_http::auth::{AuthMode, Credential as Key};

    use crate::signature::tests::request;

    #[test]
    fn java_sdk_signature_vectors() {
        // MNSV4SignerTest.testV4BuildSignature: a derived key and a full string-to-sign.
        let key = base64::engine::general_purpose::STANDARD
            .decode("2HhAzNXcwZJs3dhqkYg7yqkUjS3so+UdhbUR+eKEgtQ=")
            .unwrap();
        let sts = "MNS4-HMAC-SHA256\n20251124T091359Z\n20251124/eu-west-1/mns/aliyun_v4_request\n\
PUT\n/queues/queue-auto-25112417-l0PHHVTHYv\n\ncontent-type:text/xml;charset=UTF-8\nx-mns-version:2015-06-06\n\n";
        assert_eq!(
            hex::encode(hmac_sha256(&key, sts.as_bytes())),
            "63ebcf43397e672c47d48ca5d9ef7245e59626da7a3d58d37c75cde993429e98"
        );
    }

    #[test]
    fn java_sdk_request_vectors() {
        // MNSV4SignerTest.testSignV4PublicCloud, case 1: query parameters needing encoding,
        // sent on the wire as the SDK encodes them.
        let req = request(
            "POST",
            "/queues/TestQueue/?param1=abc&PARAM2=d%20%20ef&PARAM3=%5Bdef%5D%23bbb&PARAM4=%E4%B8%AD%E6%96%87%E5%8F%82%E6%95%B0",
            &[],
        );
        let at = httpdate::parse_http_date("Tue, 03 Jun 2025 10:52:35 GMT").unwrap();
        assert_eq!(polyq_http::civil::basic_utc(at), "20250603T105235Z");
        assert_eq!(
            sign(Variant::Aliyun, "sk1", "region1", at, &req),
            "1fc6013f158d4c3aba09570895a2a93c8445c2c5213d82a1463baf602cf0d945"
        );
        // testSignV4IdptCloud, case 1: the same without the path's trailing slash.
        let req = request(
            "POST",
            "/queues/TestQueue?param1=abc&PARAM2=d%20%20ef&PARAM3=%5Bdef%5D%23bbb&PARAM4=%E4%B8%AD%E6%96%87%E5%8F%82%E6%95%B0",
            &[],
        );
        assert_eq!(
            sign(Variant::Apsara, "sk1", "region1", at, &req),
            "51269315dedfd0f0252cbca05356c85f5005077796a1e8463c54d6716f331389"
        );
        // Case 3: only content-type, content-md5 and x-mns-* headers are signed.
        let req = request(
            "GET",
            "/queues",
            &[
                ("x-mns-version", "2015-06-30"),
                ("x-mns-ttt", "1"),
                ("x-mns-uuuuu", "FALse"),
                ("bb-mns-uuuuu", "abcdddDDD"),
                ("content-type", "application/json"),
                ("content-md5", "0d9d2ce750000593eb34f00"),
            ],
        );
        let at = httpdate::parse_http_date("Thu, 04 Dec 2025 06:32:35 GMT").unwrap();
        assert_eq!(
            sign(Variant::Aliyun, "skkkkkk2222222222", "eu-west-1", at, &req),
            "294f776a2d5726df679b54b081ab8126a199a2545c8c8a7a875adff0b386e458"
        );
    }

    #[test]
    fn verify_accepts_only_the_right_signature() {
        let auth = AuthConfig {
            mode: AuthMode::Enforce,
            credentials: vec![Key {
                access_key_id: "ak1".into(),
                secret: "sk1".into(),
            }],
        };
        let date = "Tue, 03 Jun 2025 10:52:35 GMT";
        let at = httpdate::parse_http_date(date).unwrap();
        let target = "/queues/TestQueue/?param1=abc&PARAM2=d%20%20ef&PARAM3=%5Bdef%5D%23bbb&PARAM4=%E4%B8%AD%E6%96%87%E5%8F%82%E6%95%B0";
        let good = "MNS4-HMAC-SHA256 Credential=ak1/20250603/region1/mns/aliyun_v4_request,Signature=1fc6013f158d4c3aba09570895a2a93c8445c2c5213d82a1463baf602cf0d945";
        let code = |authz: &str| {
            let req = request("POST", target, &[("date", date), ("authorization", authz)]);
            crate::signature::verify(&req, &auth, at).map_err(|e| e.code)
        };
        assert_eq!(code(good), Ok(()));
        // The same signature with a parameter named again (in another case too): refused, not
        // routed on a value the signature did not cover.
        for twice in ["&PARAM1=x", "&param1=abc"] {
            let req = request(
                "POST",
                &format!("{target}{twice}"),
                &[("date", date), ("authorization", good)],
            );
            let e = crate::signature::verify(&req, &auth, at).unwrap_err();
            assert_eq!(e.code, "SignatureDoesNotMatch");
            assert!(
                e.message.contains("names a parameter twice"),
                "{}",
                e.message
            );
        }
        assert_eq!(
            code(&good.replace("Signature=1f", "Signature=2f")),
            Err("SignatureDoesNotMatch")
        );
        assert_eq!(
            code(&good.replace("ak1/", "nobody/")),
            Err("InvalidAccessKeyId")
        );
        assert_eq!(
            code(&good.replace("/mns/", "/oss/")),
            Err("InvalidAuthorizationHeader")
        );
        assert_eq!(
            code("MNS4-HMAC-SHA256 Credential=ak1/20250603/region1/mns/aliyun_v4_request"),
            Err("InvalidAuthorizationHeader")
        );
        assert_eq!(
            code(&good.replace("MNS4-", "APSARA-MNS4-")),
            Err("InvalidAuthorizationHeader")
        );
    }
}
