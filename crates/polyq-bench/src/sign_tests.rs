//! Known vectors (AWS SigV4 test suite, the MNS documentation, Azure SDK captures) and
//! cross-checks against the server crates' verifiers (dev-dependencies only).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const AZURE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

fn header_map(pairs: &[(&str, &str)]) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for (k, v) in pairs {
        map.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            http::HeaderValue::from_str(v).unwrap(),
        );
    }
    map
}

#[test]
fn amz_date_formats_epoch_times() {
    assert_eq!(amz_date(UNIX_EPOCH), "19700101T000000Z");
    let t = UNIX_EPOCH + Duration::from_secs(1_440_938_160); // 2015-08-30 12:36:00 UTC
    assert_eq!(amz_date(t), "20150830T123600Z");
    let leap = UNIX_EPOCH + Duration::from_secs(1_709_164_799); // 2024-02-28 23:59:59
    assert_eq!(amz_date(leap + Duration::from_secs(1)), "20240229T000000Z");
}

#[test]
fn sigv4_matches_the_aws_test_suite() {
    let signer = SigV4::new(AKID, SECRET, "us-east-1", "service");
    let headers = [
        ("host", "example.amazonaws.com"),
        ("x-amz-date", "20150830T123600Z"),
    ];
    let get = signer.authorization("GET", "/", "", &headers, b"", "20150830T123600Z");
    assert_eq!(
        get,
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
         SignedHeaders=host;x-amz-date, \
         Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
    let post = signer.authorization("POST", "/", "", &headers, b"", "20150830T123600Z");
    assert!(post.ends_with("5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"));
    // The cached signing key is reused for the same date and replaced for another.
    let again = signer.authorization("GET", "/", "", &headers, b"", "20150830T123600Z");
    assert_eq!(again, get);
}

#[test]
fn sigv4_json_request_verifies_on_the_server_side() {
    let signer = SigV4::new("bench", "bench-secret", "us-east-1", "sqs");
    let now = SystemTime::now();
    let date = amz_date(now);
    let body = br#"{"QueueUrl":"http://127.0.0.1:9324/000000000000/q","MessageBody":"hi"}"#;
    let signed = [
        ("host", "127.0.0.1:9324"),
        ("x-amz-date", date.as_str()),
        ("x-amz-target", "AmazonSQS.SendMessage"),
    ];
    let auth = signer.authorization("POST", "/", "", &signed, body, &date);
    let mut pairs = signed.to_vec();
    pairs.push(("authorization", &auth));
    pairs.push(("content-type", "application/x-amz-json-1.0"));
    let headers = header_map(&pairs);
    let req = polyq_sqs::sigv4::SigRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body,
    };
    let secret = |id: &str| (id == "bench").then(|| "bench-secret".to_string());
    let verified = polyq_sqs::sigv4::verify(&req, &secret, now, Duration::from_secs(900));
    assert_eq!(verified.map(|v| v.access_key_id), Ok("bench".to_string()));
}

#[test]
fn mns_matches_the_documented_vector_and_the_server() {
    let date = "Thu, 09 Jul 2015 03:01:34 GMT";
    let mns = [("x-mns-version", "2015-06-06")];
    let text = mns_string_to_sign("GET", "", "", date, &mns, "/MyQueue");
    assert_eq!(
        text,
        "GET\n\n\nThu, 09 Jul 2015 03:01:34 GMT\nx-mns-version:2015-06-06\n/MyQueue"
    );
    let auth = mns_authorization("TestAccessID", "TestAccessSecret", &text);
    assert_eq!(auth, "MNS TestAccessID:uwx3yeWoILzgmvesW0BQSgfM7b8=");

    // A bench-shaped request, signed here and canonicalised by the server crate.
    let resource = "/queues/q1/messages?numOfMessages=16&waitseconds=1";
    let ours = mns_string_to_sign("GET", "", "text/xml", date, &mns, resource);
    let request = polyq_http::Request {
        method: http::Method::GET,
        uri: resource.parse().unwrap(),
        headers: header_map(&[
            ("date", date),
            ("content-type", "text/xml"),
            ("x-mns-version", "2015-06-06"),
        ]),
        body: bytes::Bytes::new(),
        remote: None,
        request_id: "t".into(),
        header_case: Default::default(),
        tls: false,
    };
    assert_eq!(ours, polyq_mns::string_to_sign(&request, "x-mns-"));
}

#[test]
fn azure_shared_key_matches_the_sdk_vector() {
    // azure-storage-queue 12.18.1 signing a Put Message (vector kept in polyq-azure's tests).
    let signer = SharedKey::new("devstoreaccount1", AZURE_KEY).unwrap();
    let ms = [
        ("x-ms-version", "2026-10-06"),
        ("x-ms-date", "Mon, 23 Nov 2026 12:06:27 GMT"),
        (
            "x-ms-client-request-id",
            "4faf40e6-e736-11f1-94b3-02fc00000001",
        ),
    ];
    let text = signer.string_to_sign(
        "POST",
        106,
        "application/xml",
        &ms,
        "/devstoreaccount1/myqueue/messages",
        &[("visibilitytimeout", "5"), ("messagettl", "-1")],
    );
    assert_eq!(
        signer.authorization(&text),
        "SharedKey devstoreaccount1:NeTIfFCJ6gFSKi6SpsRpiEwmhNfmJDroJyifZeYXePE="
    );
}

#[test]
fn azure_shared_key_agrees_with_the_server_canonicalisation() {
    let signer = SharedKey::new("devstoreaccount1", AZURE_KEY).unwrap();
    let date = "Tue, 01 Jul 2025 10:00:00 GMT";
    let ms = [("x-ms-date", date), ("x-ms-version", "2021-12-02")];
    let path = "/devstoreaccount1/q1/messages/abc";
    let receipt = "AAAA+/x=";
    let ours = signer.string_to_sign("DELETE", 0, "", &ms, path, &[("popreceipt", receipt)]);
    let headers = header_map(&[("x-ms-date", date), ("x-ms-version", "2021-12-02")]);
    let theirs = polyq_azure::sign::shared_key_string(
        "DELETE",
        "devstoreaccount1",
        path,
        "popreceipt=AAAA%2B%2Fx%3D",
        &headers,
    );
    assert_eq!(ours, theirs);
    assert!(SharedKey::new("a", "not base64!").is_err());
}
