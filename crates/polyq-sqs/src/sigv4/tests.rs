//! SigV4 verification tests: AWS's published vectors, signatures made by botocore, tampering
//! and malformed input.
use super::amz_date::{format_amz_date, parse_amz_date, parse_rfc1123};
use super::canonical::{canonical_query, canonical_uri, parse_query};
use super::verification::hmac_sha256;
use super::*;
use http::{HeaderMap, HeaderName, HeaderValue};
use sha2::{Digest, Sha256};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SUITE_KEY: &str = "AKIDEXAMPLE";
const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SUITE_SIG: &str = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
const S3_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const S3_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// Credentials used for the botocore-generated fixtures.
const BOTO_KEY: &str = "AKIAPOLYQTEST0000001";
const BOTO_SECRET: &str = "polyq/Secret+Key0123456789abcdefEXAMPLE";

const SKEW: Duration = Duration::from_secs(15 * 60);

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

fn at(stamp: &str) -> SystemTime {
    parse_amz_date(stamp).unwrap()
}

fn secrets(akid: &str) -> Option<String> {
    match akid {
        SUITE_KEY => Some(SUITE_SECRET.to_string()),
        S3_KEY => Some(S3_SECRET.to_string()),
        BOTO_KEY => Some(BOTO_SECRET.to_string()),
        _ => None,
    }
}

/// A request owning its parts, so tests can tamper with them.
#[derive(Clone)]
struct Owned {
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Owned {
    fn new(method: &str, path: &str, query: &str, hdrs: &[(&str, &str)], body: &[u8]) -> Self {
        Owned {
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            headers: headers(hdrs),
            body: body.to_vec(),
        }
    }

    fn verify_with(
        &self,
        secret_for: &dyn Fn(&str) -> Option<String>,
        now: SystemTime,
    ) -> Result<Verified, SigError> {
        let req = SigRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        };
        verify(&req, secret_for, now, SKEW)
    }

    fn verify_at(&self, now: SystemTime) -> Result<Verified, SigError> {
        self.verify_with(&secrets, now)
    }

    fn set(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
        self
    }

    fn remove(mut self, name: &str) -> Self {
        self.headers.remove(name);
        self
    }
}

fn suite_authz(signed: &str, sig: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders={signed}, Signature={sig}"
    )
}

fn get_vanilla() -> Owned {
    Owned::new(
        "GET",
        "/",
        "",
        &[
            ("host", "example.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
            ("authorization", &suite_authz("host;x-amz-date", SUITE_SIG)),
        ],
        b"",
    )
}

fn is_mismatch(r: Result<Verified, SigError>) -> bool {
    matches!(r, Err(SigError::SignatureDoesNotMatch(_)))
}

// ------------------------------------------------ AWS published vectors

#[test]
fn sigv4_suite_get_vanilla() {
    let v = get_vanilla().verify_at(at("20150830T123600Z")).unwrap();
    assert_eq!(
        v,
        Verified {
            access_key_id: "AKIDEXAMPLE".into(),
            region: "us-east-1".into(),
            service: "service".into(),
        }
    );
}

#[test]
fn sigv4_suite_get_vanilla_canonical_request_and_string_to_sign() {
    // Verify against the wrong secret so the explanation is returned, then
    // compare it with the suite's get-vanilla.creq / get-vanilla.sts.
    let err = get_vanilla()
        .verify_with(&|_| Some("wrong".to_string()), at("20150830T123600Z"))
        .unwrap_err();
    let SigError::SignatureDoesNotMatch(msg) = &err else {
        panic!("unexpected {err:?}");
    };
    assert!(msg.starts_with(MISMATCH_PREAMBLE), "{msg}");
    let creq = "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let sts = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63";
    assert!(msg.contains(&format!("'{creq}'")), "{msg}");
    assert!(msg.contains(&format!("'{sts}'")), "{msg}");
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    assert_eq!(err.status(), http::StatusCode::FORBIDDEN);
}

#[test]
fn sigv4_suite_get_vanilla_query_order_key_case() {
    let req = get_vanilla().set(
        "authorization",
        &suite_authz(
            "host;x-amz-date",
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        ),
    );
    let req = Owned {
        query: "Param2=value2&Param1=value1".into(),
        ..req
    };
    req.verify_at(at("20150830T123600Z")).unwrap();
}

#[test]
fn sigv4_suite_post_vanilla() {
    let req = Owned {
        method: "POST".into(),
        ..get_vanilla()
    }
    .set(
        "authorization",
        &suite_authz(
            "host;x-amz-date",
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        ),
    );
    req.verify_at(at("20150830T123600Z")).unwrap();
}

fn s3_doc_request(path: &str, query: &str, extra: &[(&str, &str)], sig: &str) -> Owned {
    let signed = if extra.is_empty() {
        "host;x-amz-content-sha256;x-amz-date"
    } else {
        "host;range;x-amz-content-sha256;x-amz-date"
    };
    // No space after the commas, exactly as printed in the S3 documentation.
    let authz = format!(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders={signed},Signature={sig}"
    );
    let mut hdrs = vec![
        ("Host", "examplebucket.s3.amazonaws.com"),
        ("x-amz-content-sha256", EMPTY_SHA256),
        ("x-amz-date", "20130524T000000Z"),
        ("Authorization", authz.as_str()),
    ];
    hdrs.extend_from_slice(extra);
    Owned::new("GET", path, query, &hdrs, b"")
}

/// S3 API reference, "Signature Calculations for the Authorization Header":
/// the three GET examples. Their paths need no encoding, so the S3/non-S3
/// difference in URI encoding does not matter.
#[test]
fn s3_documentation_get_examples() {
    let now = at("20130524T000000Z");
    s3_doc_request(
        "/test.txt",
        "",
        &[("Range", "bytes=0-9")],
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    )
    .verify_at(now)
    .unwrap();
    s3_doc_request(
        "/",
        "lifecycle",
        &[],
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
    )
    .verify_at(now)
    .unwrap();
    let v = s3_doc_request(
        "/",
        "max-keys=2&prefix=J",
        &[],
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
    )
    .verify_at(now)
    .unwrap();
    assert_eq!(v.service, "s3");
    assert_eq!(v.access_key_id, S3_KEY);
}

#[test]
fn signing_key_matches_aws_documentation() {
    // "Examples of how to derive a signing key for Signature Version 4".
    let key = signing_key(SUITE_SECRET, "20120215", "us-east-1", "iam");
    assert_eq!(
        hex::encode(key),
        "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
    );
}

// ---------------------------------------------------- botocore fixtures
//
// Generated with botocore 1.43.11 (`SigV4Auth` / `SigV4QueryAuth`, time
// patched to 2024-05-17T09:30:15Z). botocore signs the Host it derives
// from the URL; the HTTP client then sends that same Host header.

fn boto_now() -> SystemTime {
    at("20240517T093015Z")
}

/// (1) JSON protocol: POST http://127.0.0.1:9324/ with a JSON body.
fn boto_json() -> Owned {
    Owned::new(
        "POST",
        "/",
        "",
        &[
            ("Host", "127.0.0.1:9324"),
            ("X-Amz-Target", "AmazonSQS.SendMessage"),
            ("Content-Type", "application/x-amz-json-1.0"),
            ("X-Amz-Date", "20240517T093015Z"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAPOLYQTEST0000001/20240517/us-east-1/sqs/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=12ee358ac8b237cded0d4d4cbc85981d1a5efbe6fa3388f24ed3cfd220bb13a2"),
            ("Content-Length", "90"),
            ("User-Agent", "Botocore/1.43.11"),
        ],
        br#"{"QueueUrl": "http://127.0.0.1:9324/000000000000/my-queue", "MessageBody": "hello world!"}"#,
    )
}

/// (2) Query protocol: form POST to the queue URL.
fn boto_form() -> Owned {
    Owned::new(
        "POST",
        "/000000000000/my-queue",
        "",
        &[
            ("Host", "localhost:9324"),
            ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
            ("X-Amz-Date", "20240517T093015Z"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAPOLYQTEST0000001/20240517/eu-west-2/sqs/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=487f8cf3b4d5ecfef280003d46e080a67f0fe862acc9c052715826fc77f774d6"),
        ],
        b"Action=SendMessage&MessageBody=hello+world%21&Version=2012-11-05",
    )
}

const PRESIGNED_QUERY: &str = "Action=SendMessage&MessageBody=a%20b%2Fc~d%2Be%20%C3%A9%E6%BC%A2%20%2A%21%27%28%29&Version=2012-11-05&MessageAttribute.1.Name=k%3Dv%26x&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAPOLYQTEST0000001%2F20240517%2Fus-east-1%2Fsqs%2Faws4_request&X-Amz-Date=20240517T093015Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=2058d52ca1facbc86bd019bdcfa89956e810ce8481ba6c11014e517c03afe46d";

/// (3) Presigned GET; the message body is "a b/c~d+e é漢 *!'()".
fn boto_presigned() -> Owned {
    Owned::new(
        "GET",
        "/000000000000/my-queue",
        PRESIGNED_QUERY,
        &[("Host", "localhost:9324")],
        b"",
    )
}

/// (4) `Date` header instead of `X-Amz-Date` (botocore writes `-0000`).
fn boto_date_header() -> Owned {
    Owned::new(
        "GET",
        "/",
        "Action=ListQueues&Version=2012-11-05",
        &[
            ("Host", "localhost:9324"),
            ("Date", "Fri, 17 May 2024 09:30:15 -0000"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAPOLYQTEST0000001/20240517/us-east-1/sqs/aws4_request, SignedHeaders=date;host, Signature=26c161e590ef973d9612e858ce741a35f686a0d9cbf3975a81db9bcb3b4ddf3f"),
        ],
        b"",
    )
}

/// (5) A real botocore SQS client call (`send_message`), captured at
/// `before-send`: it also carries headers added after signing.
fn boto_client() -> Owned {
    Owned::new(
        "POST",
        "/",
        "",
        &[
            ("Host", "127.0.0.1:9324"),
            ("X-Amz-Target", "AmazonSQS.SendMessage"),
            ("Content-Type", "application/x-amz-json-1.0"),
            ("x-amzn-query-mode", "true"),
            ("User-Agent", "Botocore/1.43.11 ua/2.1 os/linux#6.18.44-fc-v595 md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython m/D,N,e,Z,b cfg/retry-mode#legacy"),
            ("X-Amz-Date", "20240517T093015Z"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAPOLYQTEST0000001/20240517/ap-southeast-2/sqs/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target;x-amzn-query-mode, Signature=498400a40784a4e19eeaaa12dc3703be8d7337d0fcd0c205de1214a6b543ebf2"),
            ("amz-sdk-invocation-id", "218b3796-f363-4bbf-85ed-ab14b80aa09b"),
            ("amz-sdk-request", "attempt=1"),
            ("Content-Length", "167"),
        ],
        br#"{"QueueUrl": "http://127.0.0.1:9324/000000000000/my-queue", "MessageBody": "caf\u00e9  \u2603", "MessageAttributes": {"a": {"DataType": "String", "StringValue": "b"}}}"#,
    )
}

/// (6) A path that needs the second encoding, repeated and empty query
/// keys, and a header value with runs of spaces and a tab.
fn boto_path() -> Owned {
    Owned::new(
        "GET",
        "/000000000000/a%20b~c%2Fd",
        "b=2&a=2&a=1&flag&c=%20",
        &[
            ("Host", "localhost:9324"),
            ("X-Custom", "  spaced   out\tvalue  "),
            ("X-Amz-Date", "20240517T093015Z"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAPOLYQTEST0000001/20240517/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date;x-custom, Signature=c1ef89b3f954bb447f3f24b21fe5d315887906e6cfb08531cec12efa4ccb23d3"),
        ],
        b"",
    )
}

#[test]
fn botocore_json_protocol_post_verifies() {
    let v = boto_json().verify_at(boto_now()).unwrap();
    assert_eq!(
        v,
        Verified {
            access_key_id: BOTO_KEY.into(),
            region: "us-east-1".into(),
            service: "sqs".into(),
        }
    );
}

#[test]
fn botocore_query_protocol_form_post_verifies() {
    let v = boto_form().verify_at(boto_now()).unwrap();
    assert_eq!(v.region, "eu-west-2");
    assert_eq!(v.service, "sqs");
}

#[test]
fn botocore_presigned_get_verifies() {
    let v = boto_presigned().verify_at(boto_now()).unwrap();
    assert_eq!(v.access_key_id, BOTO_KEY);
    assert_eq!(v.region, "us-east-1");
    // Still valid at the very end of X-Amz-Expires=300 ...
    boto_presigned()
        .verify_at(boto_now() + Duration::from_secs(300))
        .unwrap();
}

#[test]
fn botocore_date_header_verifies() {
    boto_date_header().verify_at(boto_now()).unwrap();
    // The RFC 1123 "GMT" spelling of the same instant canonicalizes the
    // header value differently, so the signature no longer matches.
    let gmt = boto_date_header().set("Date", "Fri, 17 May 2024 09:30:15 GMT");
    assert!(is_mismatch(gmt.verify_at(boto_now())));
}

#[test]
fn botocore_real_client_send_message_verifies() {
    let v = boto_client().verify_at(boto_now()).unwrap();
    assert_eq!(v.region, "ap-southeast-2");
}

#[test]
fn botocore_double_encoded_path_and_query_edge_cases_verify() {
    boto_path().verify_at(boto_now()).unwrap();
    let err = boto_path()
        .verify_with(&|_| Some("x".into()), boto_now())
        .unwrap_err();
    let msg = err.message();
    assert!(msg.contains("\n/000000000000/a%2520b~c%252Fd\n"), "{msg}");
    assert!(msg.contains("\na=1&a=2&b=2&c=%20&flag=\n"), "{msg}");
    assert!(msg.contains("\nx-custom:spaced out value\n"), "{msg}");
}

#[test]
fn clock_skew_is_allowed_up_to_max_skew() {
    let r = boto_json();
    r.verify_at(boto_now() + SKEW).unwrap();
    r.verify_at(boto_now() - SKEW).unwrap();
}

// -------------------------------------------------------------- tampering

#[test]
fn tampered_body_is_rejected() {
    for base in [boto_json(), boto_form(), boto_client()] {
        let mut r = base.clone();
        r.body[5] ^= 1;
        assert!(is_mismatch(r.verify_at(boto_now())));
        let mut r = base;
        r.body.push(b' ');
        assert!(is_mismatch(r.verify_at(boto_now())));
    }
}

#[test]
fn tampered_signed_header_is_rejected() {
    let r = boto_json().set("X-Amz-Target", "AmazonSQS.DeleteQueue");
    assert!(is_mismatch(r.verify_at(boto_now())));
    let r = boto_json().set("Host", "127.0.0.1:9325");
    assert!(is_mismatch(r.verify_at(boto_now())));
    // A second value for a signed header changes its canonical value too.
    let mut r = boto_json();
    r.headers.append(
        "x-amz-target",
        HeaderValue::from_static("AmazonSQS.DeleteQueue"),
    );
    assert!(is_mismatch(r.verify_at(boto_now())));
}

#[test]
fn unsigned_headers_may_change() {
    let r = boto_client()
        .set("amz-sdk-request", "attempt=2")
        .set("User-Agent", "something else")
        .set("X-Unsigned", "whatever");
    r.verify_at(boto_now()).unwrap();
}

/// The JSON protocol's action header must be signed: the AWS suite's vanilla request verifies
/// with its two signed headers, and the same signature with an `X-Amz-Target` added is refused
/// (else a captured SendMessage could be replayed as a DeleteQueue).
#[test]
fn an_unsigned_action_header_is_rejected() {
    get_vanilla().verify_at(at("20150830T123600Z")).unwrap();
    let r = get_vanilla().set("X-Amz-Target", "AmazonSQS.DeleteQueue");
    match r.verify_at(at("20150830T123600Z")) {
        Err(SigError::SignatureDoesNotMatch(m)) => assert!(m.contains("'X-Amz-Target'"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn header_value_whitespace_is_canonicalized() {
    let r = boto_json().set("X-Amz-Target", "   AmazonSQS.SendMessage \t ");
    r.verify_at(boto_now()).unwrap();
}

#[test]
fn tampered_method_path_or_query_is_rejected() {
    let r = Owned {
        method: "PUT".into(),
        ..boto_form()
    };
    assert!(is_mismatch(r.verify_at(boto_now())));
    let r = Owned {
        path: "/000000000000/other-queue".into(),
        ..boto_form()
    };
    assert!(is_mismatch(r.verify_at(boto_now())));
    let r = Owned {
        query: "Action=DeleteQueue".into(),
        ..boto_form()
    };
    assert!(is_mismatch(r.verify_at(boto_now())));
    let r = Owned {
        query: PRESIGNED_QUERY.replace("Version=2012-11-05", "Version=2012-11-06"),
        ..boto_presigned()
    };
    assert!(is_mismatch(r.verify_at(boto_now())));
}

#[test]
fn presigned_query_encoding_is_canonicalized() {
    // Lower-case hex and needlessly encoded unreserved characters mean the
    // same decoded parameters, so they verify.
    let q = PRESIGNED_QUERY
        .replace("%2F20240517", "%2f20240517")
        .replace("Action=SendMessage", "Action=Send%4Dessage");
    let r = Owned {
        query: q,
        ..boto_presigned()
    };
    r.verify_at(boto_now()).unwrap();
    // A bare '+' is a space, as the query protocol's parameters read it: a signature made
    // over "d+e" (sent as %2B) does not cover "d e", nor one over "d e" a plus (a signed
    // `p+q` was stored as `p q`).
    for other in ["d+e", "d%20e"] {
        let r = Owned {
            query: PRESIGNED_QUERY.replace("d%2Be", other),
            ..boto_presigned()
        };
        assert!(is_mismatch(r.verify_at(boto_now())), "{other}");
    }
}

#[test]
fn wrong_secret_is_rejected() {
    let wrong = |_: &str| Some("polyq/Secret+Key0123456789abcdefEXAMPLF".to_string());
    for r in [
        boto_json(),
        boto_form(),
        boto_presigned(),
        boto_date_header(),
    ] {
        let err = r.verify_with(&wrong, boto_now()).unwrap_err();
        assert!(matches!(err, SigError::SignatureDoesNotMatch(_)), "{err:?}");
    }
}

#[test]
fn wrong_signature_is_rejected() {
    let mut authz = boto_json()
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    authz.pop();
    authz.push('0');
    let r = boto_json().set("authorization", &authz);
    assert!(is_mismatch(r.verify_at(boto_now())));
    authz.push('0');
    let r = boto_json().set("authorization", &authz);
    assert!(is_mismatch(r.verify_at(boto_now())));
    let upper = boto_json().headers["authorization"]
        .to_str()
        .unwrap()
        .replace("Signature=12ee358ac8b2", "Signature=12EE358AC8B2");
    boto_json()
        .set("authorization", &upper)
        .verify_at(boto_now())
        .unwrap();
}

#[test]
fn unknown_access_key_is_rejected() {
    let none = |_: &str| None;
    for r in [boto_json(), boto_presigned()] {
        let err = r.verify_with(&none, boto_now()).unwrap_err();
        assert_eq!(err, SigError::InvalidClientTokenId);
        assert_eq!(err.code(), "InvalidClientTokenId");
    }
}

#[test]
fn secret_is_looked_up_by_the_credential_access_key_id() {
    let seen = std::cell::RefCell::new(Vec::new());
    let lookup = |akid: &str| {
        seen.borrow_mut().push(akid.to_string());
        secrets(akid)
    };
    boto_form().verify_with(&lookup, boto_now()).unwrap();
    assert_eq!(*seen.borrow(), vec![BOTO_KEY.to_string()]);
}

#[test]
fn expired_request_is_rejected() {
    // Exactly max_skew old is still accepted; one second more is not.
    get_vanilla().verify_at(at("20150830T125100Z")).unwrap();
    let now = at("20150830T125101Z");
    let err = get_vanilla().verify_at(now).unwrap_err();
    assert_eq!(
        err,
        SigError::SignatureDoesNotMatch(
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T125101Z - 15 min.)".into()
        )
    );
    // SQS's answer to a skewed clock (aws-sdk-php#642 quotes it whole).
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    assert_eq!(err.status(), http::StatusCode::FORBIDDEN);
    // Expired wins over an unknown key: nothing is looked up.
    let err = get_vanilla().verify_with(&|_| None, now).unwrap_err();
    assert!(err.message().starts_with("Signature expired: "), "{err:?}");
}

#[test]
fn request_from_the_future_is_rejected() {
    let now = at("20150830T122000Z");
    let err = get_vanilla().verify_at(now).unwrap_err();
    assert_eq!(
        err,
        SigError::SignatureDoesNotMatch(
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123500Z (20150830T122000Z + 15 min.)".into()
        )
    );
    let err = boto_presigned()
        .verify_at(boto_now() - SKEW - Duration::from_secs(1))
        .unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    assert!(
        err.message().starts_with("Signature not yet current: "),
        "{err:?}"
    );
}

#[test]
fn expired_presigned_url_is_rejected() {
    let err = boto_presigned()
        .verify_at(boto_now() + Duration::from_secs(301))
        .unwrap_err();
    assert!(matches!(err, SigError::RequestExpired(_)), "{err:?}");
    assert!(err.message().contains("Request has expired"), "{err:?}");
}

#[test]
fn missing_signed_header_is_rejected() {
    let r = boto_json().remove("x-amz-target");
    let err = r.verify_at(boto_now()).unwrap_err();
    assert!(matches!(err, SigError::SignatureDoesNotMatch(_)), "{err:?}");
    assert!(err.message().contains("'x-amz-target'"), "{err:?}");
    let r = boto_presigned().remove("host");
    assert!(is_mismatch(r.verify_at(boto_now())));
}

#[test]
fn host_must_be_signed() {
    let r = get_vanilla().set("authorization", &suite_authz("x-amz-date", SUITE_SIG));
    let err = r.verify_at(at("20150830T123600Z")).unwrap_err();
    assert!(err.message().contains("'Host'"), "{err:?}");
}

#[test]
fn unsigned_request_is_missing_authentication_token() {
    let r = Owned::new(
        "POST",
        "/",
        "Action=ListQueues",
        &[("host", "localhost"), ("x-amz-date", "20240517T093015Z")],
        b"",
    );
    let err = r.verify_at(boto_now()).unwrap_err();
    assert_eq!(err, SigError::MissingAuthenticationToken);
    assert_eq!(err.code(), "MissingAuthenticationToken");
    assert_eq!(err.status(), http::StatusCode::FORBIDDEN);
}

#[test]
fn sigv2_is_refused_as_incomplete() {
    let r = Owned::new(
        "GET",
        "/",
        "Action=ListQueues&AWSAccessKeyId=AKID&SignatureVersion=2&SignatureMethod=HmacSHA256&Signature=abc%3D",
        &[("host", "localhost")],
        b"",
    );
    assert_eq!(
        r.verify_at(boto_now()).unwrap_err().code(),
        "IncompleteSignature"
    );
}

#[test]
fn malformed_authorization_headers_are_incomplete() {
    let now = at("20150830T123600Z");
    let cred = "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
    let cases: Vec<(String, &str)> = vec![
        (format!("AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature={SUITE_SIG}"), "'Credential'"),
        (format!("AWS4-HMAC-SHA256 {cred}, Signature={SUITE_SIG}"), "'SignedHeaders'"),
        (format!("AWS4-HMAC-SHA256 {cred}, SignedHeaders=host;x-amz-date"), "'Signature'"),
        ("AWS4-HMAC-SHA256".to_string(), "'Credential'"),
        ("".to_string(), "Unsupported"),
        (format!("AWS4-HMAC-SHA1 {cred}, SignedHeaders=host, Signature=00"), "Unsupported"),
        ("AWS AKIDEXAMPLE:c2lnbmF0dXJl".to_string(), "Unsupported"),
        (format!("AWS4-HMAC-SHA256 {cred}, SignedHeaders=host;x-amz-date, Signature"), "equal-sign"),
        (format!("AWS4-HMAC-SHA256 {cred}, {cred}, SignedHeaders=host, Signature=00"), "more than one"),
        (format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service, SignedHeaders=host, Signature={SUITE_SIG}"), "5 slash-delimited"),
        (format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws5_request, SignedHeaders=host, Signature={SUITE_SIG}"), "terminator"),
        (format!("AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature={SUITE_SIG}"), "empty access key id"),
        (format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2015083/us-east-1/service/aws4_request, SignedHeaders=host, Signature={SUITE_SIG}"), "YYYYMMDD"),
        (format!("AWS4-HMAC-SHA256 {cred}, SignedHeaders=host;;x-amz-date, Signature={SUITE_SIG}"), "SignedHeaders"),
        (format!("AWS4-HMAC-SHA256 {cred}, SignedHeaders=host;bad header, Signature={SUITE_SIG}"), "SignedHeaders"),
    ];
    for (authz, needle) in cases {
        let r = get_vanilla().set("authorization", &authz);
        let err = r.verify_at(now).unwrap_err();
        assert_eq!(err.code(), "IncompleteSignature", "{authz}: {err:?}");
        assert!(err.message().contains(needle), "{authz}: {err:?}");
    }
}

#[test]
fn authorization_parts_in_any_order_and_spacing_verify() {
    let now = at("20150830T123600Z");
    for authz in [
        format!("AWS4-HMAC-SHA256 Signature={SUITE_SIG},SignedHeaders=host;x-amz-date,Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"),
        format!("  AWS4-HMAC-SHA256   SignedHeaders=host;x-amz-date ,\t Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request ,   Signature={SUITE_SIG}  "),
        // SignedHeaders is canonicalized (case, order).
        format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=X-Amz-Date;Host, Signature={SUITE_SIG}"),
    ] {
        get_vanilla().set("authorization", &authz).verify_at(now).unwrap();
    }
}

#[test]
fn missing_or_bad_date_is_incomplete() {
    let now = at("20150830T123600Z");
    let err = get_vanilla()
        .remove("x-amz-date")
        .verify_at(now)
        .unwrap_err();
    assert_eq!(err.code(), "IncompleteSignature");
    assert!(
        err.message().contains("'X-Amz-Date' or a 'Date'"),
        "{err:?}"
    );
    for bad in [
        "2015-08-30T12:36:00Z",
        "20150830T123600",
        "20150230T123600Z",
        "20150830T243600Z",
        "19690830T123600Z",
        "2015083OT123600Z",
        "",
    ] {
        let err = get_vanilla()
            .set("x-amz-date", bad)
            .verify_at(now)
            .unwrap_err();
        assert_eq!(err.code(), "IncompleteSignature", "{bad}");
    }
    let err = boto_date_header()
        .set("date", "yesterday")
        .verify_at(boto_now())
        .unwrap_err();
    assert_eq!(err.code(), "IncompleteSignature");
}

#[test]
fn x_amz_date_takes_precedence_over_date() {
    let r = get_vanilla().set("date", "Mon, 09 Sep 2011 23:36:00 GMT");
    r.verify_at(at("20150830T123600Z")).unwrap();
}

#[test]
fn credential_scope_date_must_match_request_date() {
    let r = get_vanilla().set("x-amz-date", "20150831T000100Z");
    let err = r.verify_at(at("20150831T000100Z")).unwrap_err();
    assert_eq!(
        err,
        SigError::SignatureDoesNotMatch(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150830' != '20150831', from 'x-amz-date'.".into()
        )
    );
}

#[test]
fn both_auth_mechanisms_are_refused() {
    let r = Owned {
        query: PRESIGNED_QUERY.into(),
        ..boto_json()
    };
    assert_eq!(
        r.verify_at(boto_now()).unwrap_err().code(),
        "IncompleteSignature"
    );
    let mut r = boto_json();
    r.headers.append(
        "authorization",
        HeaderValue::from_static("AWS4-HMAC-SHA256 x=y"),
    );
    assert_eq!(
        r.verify_at(boto_now()).unwrap_err().code(),
        "IncompleteSignature"
    );
}

#[test]
fn malformed_presign_parameters_are_incomplete() {
    let drop = |name: &str| -> String {
        PRESIGNED_QUERY
            .split('&')
            .filter(|p| !p.starts_with(&format!("{name}=")))
            .collect::<Vec<_>>()
            .join("&")
    };
    let mut queries = vec![
        drop("X-Amz-Algorithm"),
        drop("X-Amz-Credential"),
        drop("X-Amz-Date"),
        drop("X-Amz-Expires"),
        drop("X-Amz-SignedHeaders"),
        drop("X-Amz-Signature"),
        PRESIGNED_QUERY.replace("X-Amz-Expires=300", "X-Amz-Expires=604801"),
        PRESIGNED_QUERY.replace("X-Amz-Expires=300", "X-Amz-Expires=-1"),
        PRESIGNED_QUERY.replace("X-Amz-Expires=300", "X-Amz-Expires=%2B300"),
        PRESIGNED_QUERY.replace("X-Amz-Date=20240517T093015Z", "X-Amz-Date=now"),
        PRESIGNED_QUERY.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"),
        PRESIGNED_QUERY.replace("X-Amz-Credential=AKIA", "X-Amz-Credential=%FF"),
        format!("{PRESIGNED_QUERY}&X-Amz-Signature=00"),
    ];
    queries.push("X-Amz-Signature=abc".into());
    for q in queries {
        let r = Owned {
            query: q.clone(),
            ..boto_presigned()
        };
        let err = r.verify_at(boto_now()).unwrap_err();
        assert_eq!(err.code(), "IncompleteSignature", "{q}: {err:?}");
    }
}

#[test]
fn content_sha256_header_is_checked_against_the_body() {
    // A header equal to the body's hash is the same payload hash the
    // signer used, so adding it (even unsigned) changes nothing.
    let body_hash = hex::encode(Sha256::digest(&boto_json().body));
    let r = boto_json().set("x-amz-content-sha256", &body_hash);
    r.verify_at(boto_now()).unwrap();
    // It goes into the canonical request verbatim, as botocore does.
    let r = boto_json().set("x-amz-content-sha256", &body_hash.to_ascii_uppercase());
    let err = r.verify_at(boto_now()).unwrap_err();
    assert!(err.message().contains("The Canonical String"), "{err:?}");
    // Header not matching the body.
    let r = boto_json().set("x-amz-content-sha256", EMPTY_SHA256);
    let err = r.verify_at(boto_now()).unwrap_err();
    assert!(err.message().contains("x-amz-content-sha256"), "{err:?}");
    // Something that is neither a hash nor UNSIGNED-PAYLOAD.
    let r = boto_json().set("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
    assert_eq!(
        r.verify_at(boto_now()).unwrap_err().code(),
        "IncompleteSignature"
    );
}

/// Sign `req` the way a client would, with this module's own canonicalization.
fn self_sign(r: &mut Owned, akid: &str, secret: &str, stamp: &str, signed: &str) {
    let authz = format!(
        "AWS4-HMAC-SHA256 Credential={akid}/{}/us-east-1/sqs/aws4_request, SignedHeaders={signed}, Signature=0",
        &stamp[..8]
    );
    r.headers
        .insert("authorization", HeaderValue::from_str(&authz).unwrap());
    let err = r
        .verify_with(&|_| Some(secret.to_string()), at(stamp))
        .unwrap_err();
    let msg = err.message();
    let sts = msg
        .split("The String-to-Sign should have been\n'")
        .nth(1)
        .unwrap()
        .trim_end_matches("'\n");
    let key = signing_key(secret, &stamp[..8], "us-east-1", "sqs");
    let sig = hex::encode(hmac_sha256(&key, sts.as_bytes()));
    let authz = authz.replace("Signature=0", &format!("Signature={sig}"));
    r.headers
        .insert("authorization", HeaderValue::from_str(&authz).unwrap());
}

#[test]
fn unsigned_payload_is_used_literally() {
    let mut r = Owned::new(
        "POST",
        "/",
        "",
        &[
            ("host", "localhost"),
            ("x-amz-date", "20240517T093015Z"),
            ("x-amz-content-sha256", UNSIGNED_PAYLOAD),
        ],
        b"{}",
    );
    self_sign(
        &mut r,
        BOTO_KEY,
        BOTO_SECRET,
        "20240517T093015Z",
        "host;x-amz-date",
    );
    let err = r
        .verify_with(&|_| Some("other".into()), boto_now())
        .unwrap_err();
    assert!(err.message().contains("\nUNSIGNED-PAYLOAD'\n"), "{err:?}");
    r.verify_at(boto_now()).unwrap();
    // The body is not covered.
    r.body = b"{\"other\":1}".to_vec();
    r.verify_at(boto_now()).unwrap();
}

#[test]
fn path_normalization_matches_botocore() {
    let cases = [
        ("", "/"),
        ("/", "/"),
        ("//", "/"),
        ("/000000000000/my-queue", "/000000000000/my-queue"),
        ("/a//b/", "/a/b/"),
        ("/a/./b/../c", "/a/c"),
        ("/../..", "/"),
        ("/a%2Fb/%7E", "/a%252Fb/%257E"),
        ("/caf\u{e9} x", "/caf%C3%A9%20x"),
    ];
    for (input, want) in cases {
        assert_eq!(canonical_uri(input), want, "{input}");
    }
}

#[test]
fn canonical_query_matches_the_specification() {
    let q = |s: &str| canonical_query(&parse_query(s), false);
    assert_eq!(q(""), "");
    assert_eq!(q("&&"), "");
    assert_eq!(q("b=1&a=2&A=3"), "A=3&a=2&b=1");
    assert_eq!(q("a=2&a=10&a=1"), "a=1&a=10&a=2");
    assert_eq!(q("k"), "k=");
    assert_eq!(q("k=a=b"), "k=a%3Db");
    assert_eq!(q("k=a+b"), "k=a%20b");
    assert_eq!(q("k=a%2Bb"), "k=a%2Bb");
    assert_eq!(q("k=%7e%2a%41%zz"), "k=~%2AA%25zz");
    assert_eq!(q("%E6%BC%A2=%C3%A9"), "%E6%BC%A2=%C3%A9");
    // Sorting is by the encoded name.
    assert_eq!(q("a%20b=1&a-b=2&a=3"), "a=3&a%20b=1&a-b=2");
    // X-Amz-Signature is only left out of presigned requests.
    assert_eq!(
        canonical_query(&parse_query("X-Amz-Signature=1&z=2"), true),
        "z=2"
    );
}

#[test]
fn dates_round_trip() {
    for stamp in [
        "19700101T000000Z",
        "20000229T235959Z",
        "20150830T123600Z",
        "20240517T093015Z",
        "21000301T000000Z",
        "99991231T235959Z",
    ] {
        assert_eq!(format_amz_date(at(stamp)), stamp);
    }
    assert_eq!(
        at("20150830T123600Z"),
        UNIX_EPOCH + Duration::from_secs(1_440_938_160)
    );
    assert!(parse_amz_date("21000229T000000Z").is_none());
    assert_eq!(
        format_amz_date(UNIX_EPOCH - Duration::from_secs(5)),
        "19700101T000000Z"
    );
    assert_eq!(
        parse_rfc1123("Fri, 17 May 2024 09:30:15 -0000"),
        Some(boto_now())
    );
}

#[test]
fn error_codes_and_messages() {
    let cases = [
        (
            SigError::MissingAuthenticationToken,
            "MissingAuthenticationToken",
            403,
        ),
        (
            SigError::IncompleteSignature("x".into()),
            "IncompleteSignature",
            400,
        ),
        (SigError::InvalidClientTokenId, "InvalidClientTokenId", 403),
        (
            SigError::SignatureDoesNotMatch("x".into()),
            "SignatureDoesNotMatch",
            403,
        ),
        (SigError::RequestExpired("x".into()), "RequestExpired", 400),
    ];
    for (err, code, status) in cases {
        assert_eq!(err.code(), code);
        assert_eq!(err.status().as_u16(), status);
        assert!(!err.message().is_empty());
        assert!(err.to_string().starts_with(code));
    }
}

// ------------------------------------------------------------ robustness

/// xorshift64*, so the garbage is reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, alphabet: &[u8], max_len: usize) -> Vec<u8> {
        let len = self.below(max_len + 1);
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len())])
            .collect()
    }

    fn string(&mut self, alphabet: &str, max_len: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        let len = self.below(max_len + 1);
        (0..len).map(|_| chars[self.below(chars.len())]).collect()
    }

    /// Replace, insert or delete a few characters of `s`.
    fn mutate(&mut self, s: &str, alphabet: &str) -> String {
        let mut chars: Vec<char> = s.chars().collect();
        let extra: Vec<char> = alphabet.chars().collect();
        for _ in 0..=self.below(3) {
            let c = extra[self.below(extra.len())];
            match self.below(3) {
                0 if !chars.is_empty() => {
                    let i = self.below(chars.len());
                    chars[i] = c;
                }
                1 if !chars.is_empty() => {
                    let i = self.below(chars.len());
                    chars.remove(i);
                }
                _ => {
                    let i = self.below(chars.len() + 1);
                    chars.insert(i, c);
                }
            }
        }
        chars.into_iter().collect()
    }
}

const GARBAGE: &str =
    "AWS4-HMAC-SHA256 Credential=/;,= \t%+&?#.~0123456789abcdefTZXx\u{e9}\u{6f22}\u{0}\u{7f}";

fn no_panic(r: &Owned, now: SystemTime, skew: Duration) {
    let req = SigRequest {
        method: &r.method,
        path: &r.path,
        query: &r.query,
        headers: &r.headers,
        body: &r.body,
    };
    let result = verify(&req, &secrets, now, skew);
    if let Err(e) = result {
        let _ = (e.code(), e.message(), e.status());
    }
}

#[test]
fn garbage_never_panics() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let header_bytes: Vec<u8> = (0u8..=255)
        .filter(|&b| b == b'\t' || (b' '..=b'~').contains(&b) || b >= 0x80)
        .collect();
    let names = [
        "authorization",
        "x-amz-date",
        "date",
        "host",
        "x-amz-content-sha256",
        "x-amz-target",
    ];
    let nows = [
        UNIX_EPOCH,
        UNIX_EPOCH - Duration::from_secs(1 << 20),
        boto_now(),
        UNIX_EPOCH + Duration::from_secs(1 << 40),
    ];
    let skews = [Duration::ZERO, SKEW, Duration::MAX];
    for _ in 0..3000 {
        let mut headers = HeaderMap::new();
        for _ in 0..rng.below(6) {
            let name = names[rng.below(names.len())];
            let value = if rng.below(2) == 0 {
                rng.bytes(&header_bytes, 40)
            } else {
                rng.string(GARBAGE, 60).into_bytes()
            };
            if let Ok(v) = HeaderValue::from_bytes(&value) {
                headers.append(name, v);
            }
        }
        let r = Owned {
            method: rng.string("GETPOST\u{e9}", 5),
            path: rng.string(GARBAGE, 30),
            query: rng.string(GARBAGE, 80),
            headers,
            body: rng.bytes(&header_bytes, 20),
        };
        no_panic(
            &r,
            nows[rng.below(nows.len())],
            skews[rng.below(skews.len())],
        );
    }
}

#[test]
fn mutated_valid_requests_never_panic() {
    let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
    let bases = [
        boto_json(),
        boto_form(),
        boto_presigned(),
        boto_date_header(),
        get_vanilla(),
    ];
    for i in 0..3000 {
        let mut r = bases[i % bases.len()].clone();
        match rng.below(4) {
            0 => r.query = rng.mutate(&r.query, GARBAGE),
            1 => r.path = rng.mutate(&r.path, GARBAGE),
            _ => {
                for name in ["authorization", "x-amz-date", "date"] {
                    let Some(v) = r.headers.get(name).and_then(|v| v.to_str().ok()) else {
                        continue;
                    };
                    let m = rng.mutate(v, GARBAGE);
                    match HeaderValue::from_str(&m) {
                        Ok(v) => {
                            r.headers.insert(name, v);
                        }
                        Err(_) => {
                            r.headers.remove(name);
                        }
                    }
                }
            }
        }
        for skew in [SKEW, Duration::MAX, Duration::ZERO] {
            no_panic(&r, boto_now(), skew);
        }
    }
}
