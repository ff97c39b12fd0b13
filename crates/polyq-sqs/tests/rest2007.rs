//! Golden wire tests of the 2007-05-01 REST API, answered in-process by the SQS dialect:
//! the seed's two examples byte for byte, every operation, every error, detection next to the
//! other protocols, and the HMAC-SHA1 signature against vectors computed outside Rust.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::request;
use polyq_core::{ManualClock, MemoryStore, QueueService};
use polyq_http::auth::{AuthConfig, AuthMode, Credential};
use polyq_http::{Dialect, Request};
use polyq_sqs::rest2007::{self, auth, error::Code2007};
use serde_json::{json, Value};

const SEED_RID: &str = "cb919c0a-9bce-4afe-9b48-9bdf2412bb67";
const NS: &str = " xmlns=\"http://queue.amazonaws.com/doc/2007-05-01/\"";
const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const DATE_2007: &str = "Mon, 21 May 2007 21:12:00 GMT";

fn setup_with(auth: AuthConfig) -> (Arc<dyn Dialect>, ManualClock) {
    let clock = ManualClock::new(1_700_000_000_000);
    let service = Arc::new(QueueService::new(
        Arc::new(MemoryStore::new()),
        Arc::new(clock.clone()),
    ));
    let config = polyq_sqs::SqsConfig {
        auth,
        ..Default::default()
    };
    (polyq_sqs::dialect(service, config), clock)
}

fn setup() -> (Arc<dyn Dialect>, ManualClock) {
    setup_with(AuthConfig::default())
}

/// A 2007 request as the documentation writes it (AWS-Version, text/plain, Date).
fn rest_req(method: &str, uri: &str, body: &[u8]) -> Request {
    let h = [
        ("aws-version", "2007-05-01"),
        ("content-type", "text/plain"),
        ("date", DATE_2007),
    ];
    request(method, uri, &h, body)
}

async fn send_req(d: &Arc<dyn Dialect>, req: Request) -> (u16, String) {
    assert!(rest2007::detect(&req), "{} {}", req.method, req.uri);
    let resp = d.handle(req).await;
    let body = String::from_utf8(resp.body().to_vec()).unwrap();
    (resp.status().as_u16(), body)
}

async fn rest(d: &Arc<dyn Dialect>, method: &str, uri: &str, body: &str) -> (u16, String) {
    send_req(d, rest_req(method, uri, body.as_bytes())).await
}

async fn json_call(d: &Arc<dyn Dialect>, action: &str, input: Value) -> Value {
    let target = format!("AmazonSQS.{action}");
    let req = request(
        "POST",
        "/",
        &[("x-amz-target", &target)],
        input.to_string().as_bytes(),
    );
    assert!(d.detect(&req) && !rest2007::detect(&req));
    serde_json::from_slice(d.handle(req).await.body()).unwrap()
}

/// Text of every `<name>` element, in order.
fn tags(xml: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    xml.split(&open)
        .skip(1)
        .map(|s| s.split(&close).next().unwrap().to_string())
        .collect()
}

fn tag(xml: &str, name: &str) -> String {
    tags(xml, name).into_iter().next().unwrap_or_default()
}

fn error_code(xml: &str) -> String {
    assert!(xml.starts_with("<Response><Errors><Error><Code>"), "{xml}");
    assert!(
        xml.ends_with("</Error></Errors><RequestID>req-1</RequestID></Response>"),
        "{xml}"
    );
    tag(xml, "Code")
}

async fn create(d: &Arc<dyn Dialect>, name: &str) {
    let (status, xml) = rest(d, "POST", &format!("/?QueueName={name}"), "").await;
    assert_eq!(status, 200, "{xml}");
}

async fn send(d: &Arc<dyn Dialect>, queue: &str, text: &str) -> String {
    let (status, xml) = rest(d, "PUT", &format!("/A29E9WXPHGOG29/{queue}/back"), text).await;
    assert_eq!(status, 200, "{xml}");
    tag(&xml, "MessageId")
}

#[tokio::test]
async fn seed_send_example() {
    let (d, _) = setup();
    create(&d, "queue1").await;
    let (status, xml) = rest(
        &d,
        "PUT",
        "/A29E9WXPHGOG29/queue1/back",
        "This is the text of my message.",
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    let id = tag(&xml, "MessageId");
    assert_eq!(
        xml,
        format!("<SendMessageResponse{NS}><MessageId>{id}</MessageId><ResponseStatus><StatusCode>Success</StatusCode><RequestId>req-1</RequestId></ResponseStatus></SendMessageResponse>")
    );
    let (_, got) = rest(&d, "GET", "/A29E9WXPHGOG29/queue1/front", "").await;
    assert_eq!(
        tags(&got, "MessageBody"),
        ["This is the text of my message."]
    );
    assert_eq!(tags(&got, "MessageId"), [id]);
}

#[tokio::test]
async fn seed_set_visibility_timeout_example() {
    let (d, _) = setup();
    create(&d, "queue1").await;
    let mut req = rest_req("PUT", "/A29E9WXPHGOG29/queue1?VisibilityTimeout=60", b"");
    req.request_id = SEED_RID.into();
    let (status, xml) = send_req(&d, req).await;
    assert_eq!(status, 200);
    // The seed's document, whitespace between tags removed; we add the schema namespace.
    let seed = "<SetVisibilityTimeoutResponse>\n<ResponseStatus>\n<StatusCode>Success</StatusCode>\n<RequestId>cb919c0a-9bce-4afe-9b48-9bdf2412bb67</RequestId>\n</ResponseStatus>\n</SetVisibilityTimeoutResponse>";
    assert_eq!(xml.replace(NS, ""), seed.replace('\n', ""));
    assert!(xml.starts_with(&format!("<SetVisibilityTimeoutResponse{NS}>")));
    let (_, got) = rest(&d, "GET", "/A29E9WXPHGOG29/queue1", "").await;
    assert_eq!(tag(&got, "VisibilityTimeout"), "60");
    assert!(got.starts_with("<GetVisibilityTimeoutResponse"), "{got}");
    // The same queue through the JSON protocol.
    let url = "http://localhost:9324/000000000000/queue1";
    let attrs = json_call(
        &d,
        "GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": ["VisibilityTimeout"]}),
    )
    .await;
    assert_eq!(attrs["Attributes"]["VisibilityTimeout"], "60");
}

#[tokio::test]
async fn queue_urls_of_the_json_protocol_are_2007_queue_resources() {
    let (d, _) = setup();
    let url = json_call(&d, "CreateQueue", json!({"QueueName": "shared"})).await["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    let path = url.strip_prefix("http://localhost:9324").unwrap();
    assert_eq!(path, "/000000000000/shared");
    // 2007 send, JSON receive.
    let (status, _) = rest(&d, "PUT", &format!("{path}/back"), "from 2007").await;
    assert_eq!(status, 200);
    let got = json_call(&d, "ReceiveMessage", json!({"QueueUrl": url})).await;
    assert_eq!(got["Messages"][0]["Body"], "from 2007");
    // JSON send, 2007 receive; the short form /{queue}/front reaches the same queue.
    json_call(
        &d,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "from json"}),
    )
    .await;
    let (_, xml) = rest(&d, "GET", "/shared/front", "").await;
    assert_eq!(tags(&xml, "MessageBody"), ["from json"]);
}

#[tokio::test]
async fn receive_takes_a_number_and_a_visibility_timeout() {
    let (d, clock) = setup();
    create(&d, "q").await;
    for i in 0..5 {
        send(&d, "q", &format!("m{i}")).await;
    }
    let front = "/acct/q/front";
    let (_, xml) = rest(
        &d,
        "GET",
        &format!("{front}?NumberOfMessages=3&VisibilityTimeout=10"),
        "",
    )
    .await;
    assert_eq!(tags(&xml, "MessageBody"), ["m0", "m1", "m2"]);
    let (_, xml) = rest(&d, "GET", &format!("{front}?NumberOfMessages=256"), "").await;
    assert_eq!(tags(&xml, "MessageBody"), ["m3", "m4"]);
    let (status, xml) = rest(&d, "GET", front, "").await;
    assert_eq!(status, 200);
    assert_eq!(xml, format!("<ReceiveMessageResponse{NS}><ResponseStatus><StatusCode>Success</StatusCode><RequestId>req-1</RequestId></ResponseStatus></ReceiveMessageResponse>"));
    // After 11 s the first three are back; the other two keep the queue's 30 s.
    clock.advance_secs(11);
    let (_, xml) = rest(&d, "GET", &format!("{front}?NumberOfMessages=10"), "").await;
    assert_eq!(tags(&xml, "MessageBody"), ["m0", "m1", "m2"]);
    for bad in [
        "NumberOfMessages=0",
        "NumberOfMessages=257",
        "VisibilityTimeout=86401",
        "VisibilityTimeout=x",
    ] {
        let (status, xml) = rest(&d, "GET", &format!("{front}?{bad}"), "").await;
        assert_eq!(
            (status, error_code(&xml)),
            (400, "InvalidParameterValue".into()),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn queue_visibility_timeout_set_and_read_in_both_forms() {
    let (d, _) = setup();
    create(&d, "q").await;
    // 2007 allows up to 24 hours, beyond the 2012 API's 12.
    let (status, _) = rest(&d, "PUT", "/acct/q?VisibilityTimeout=86400", "").await;
    assert_eq!(status, 200);
    let (_, xml) = rest(&d, "GET", "/acct/q", "").await;
    assert_eq!(tag(&xml, "VisibilityTimeout"), "86400");
    let (status, xml) = rest(
        &d,
        "PUT",
        "/acct/q?Attribute=VisibilityTimeout&Value=90",
        "",
    )
    .await;
    assert_eq!(status, 200);
    assert!(xml.starts_with("<SetQueueAttributesResponse"), "{xml}");
    send(&d, "q", "one").await;
    let (_, xml) = rest(&d, "GET", "/acct/q?Attribute=All", "").await;
    assert!(xml.contains("<AttributedValue><Attribute>VisibilityTimeout</Attribute><Value>90</Value></AttributedValue><AttributedValue><Attribute>ApproximateNumberOfMessages</Attribute><Value>1</Value></AttributedValue>"), "{xml}");
    let (_, xml) = rest(
        &d,
        "GET",
        "/acct/q?Attribute=ApproximateNumberOfMessages",
        "",
    )
    .await;
    assert_eq!(tags(&xml, "Attribute"), ["ApproximateNumberOfMessages"]);
    let cases = [
        ("/acct/q?VisibilityTimeout=86401", "InvalidParameterValue"),
        ("/acct/q?VisibilityTimeout=-1", "InvalidParameterValue"),
        (
            "/acct/q?Attribute=DelaySeconds&Value=1",
            "InvalidParameterValue",
        ),
        ("/acct/q?Attribute=VisibilityTimeout", "MissingParameter"),
        (
            "/acct/nope?VisibilityTimeout=5",
            "AWS.SimpleQueueService.NonExistentQueue",
        ),
    ];
    for (uri, code) in cases {
        let (status, xml) = rest(&d, "PUT", uri, "").await;
        assert_eq!((status, error_code(&xml)), (400, code.into()), "{uri}");
    }
    let (_, xml) = rest(&d, "PUT", "/acct/q", "").await;
    assert_eq!(error_code(&xml), "MissingParameter");
    let (_, xml) = rest(&d, "GET", "/acct/q?Attribute=Policy", "").await;
    assert_eq!(error_code(&xml), "InvalidParameterValue");
}

#[tokio::test]
async fn message_resource_peeks_retimes_and_deletes_by_id() {
    let (d, _) = setup();
    create(&d, "q").await;
    let id = send(&d, "q", "a <b> & \"c\"\r\n").await;
    let msg = format!("/acct/q/{id}");
    let (status, xml) = rest(&d, "GET", &msg, "").await;
    assert_eq!(status, 200);
    assert_eq!(xml, format!("<PeekMessageResponse{NS}><Message><MessageId>{id}</MessageId><MessageBody>a &lt;b&gt; &amp; &quot;c&quot;&#xD;\n</MessageBody></Message><ResponseStatus><StatusCode>Success</StatusCode><RequestId>req-1</RequestId></ResponseStatus></PeekMessageResponse>"));
    // Peeking leased nothing; hiding the message by id does.
    let (status, xml) = rest(&d, "PUT", &format!("{msg}?VisibilityTimeout=100"), "").await;
    assert_eq!(status, 200);
    assert!(xml.starts_with("<ChangeMessageVisibilityResponse"), "{xml}");
    let (_, xml) = rest(&d, "GET", "/acct/q/front", "").await;
    assert!(tags(&xml, "Message").is_empty(), "{xml}");
    rest(&d, "PUT", &format!("{msg}?VisibilityTimeout=0"), "").await;
    let (_, xml) = rest(&d, "GET", "/acct/q/front", "").await;
    assert_eq!(tags(&xml, "MessageId"), std::slice::from_ref(&id));
    // In flight now; DELETE by id still removes it, and repeating it is still success.
    let (status, xml) = rest(&d, "DELETE", &msg, "").await;
    assert_eq!(status, 200);
    assert_eq!(xml, format!("<DeleteMessageResponse{NS}><ResponseStatus><StatusCode>Success</StatusCode><RequestId>req-1</RequestId></ResponseStatus></DeleteMessageResponse>"));
    assert_eq!(rest(&d, "DELETE", &msg, "").await.0, 200);
    let (status, xml) = rest(&d, "GET", &msg, "").await;
    assert_eq!((status, error_code(&xml)), (404, "MessageNotFound".into()));
    let (status, xml) = rest(&d, "PUT", &format!("{msg}?VisibilityTimeout=5"), "").await;
    assert_eq!((status, error_code(&xml)), (404, "MessageNotFound".into()));
    let (status, xml) = rest(&d, "DELETE", "/acct/q/not-a-message-id", "").await;
    assert_eq!(
        (status, error_code(&xml)),
        (400, "InvalidParameterValue".into())
    );
    let (_, xml) = rest(&d, "PUT", &msg, "").await;
    assert_eq!(error_code(&xml), "MissingParameter");
}

#[tokio::test]
async fn queue_collection_creates_lists_and_deletes() {
    let (d, _) = setup();
    for n in ["Tq1", "Tq2", "other"] {
        create(&d, n).await;
    }
    let (status, xml) = rest(
        &d,
        "POST",
        "/?QueueName=Tq1&DefaultVisibilityTimeout=45",
        "",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(xml, format!("<CreateQueueResponse{NS}><QueueUrl>http://localhost:9324/000000000000/Tq1</QueueUrl><ResponseStatus><StatusCode>Success</StatusCode><RequestId>req-1</RequestId></ResponseStatus></CreateQueueResponse>"));
    let (_, xml) = rest(&d, "GET", "/?QueueNamePrefix=T", "").await;
    assert_eq!(
        tags(&xml, "QueueUrl"),
        [
            "http://localhost:9324/000000000000/Tq1",
            "http://localhost:9324/000000000000/Tq2"
        ]
    );
    let (_, xml) = rest(&d, "GET", "/", "").await;
    assert_eq!(tags(&xml, "QueueUrl").len(), 3);
    for (uri, code) in [
        ("/?QueueName=bad.name", "InvalidParameterValue"),
        ("/", "MissingParameter"),
        (
            "/?QueueName=x&DefaultVisibilityTimeout=86401",
            "InvalidParameterValue",
        ),
    ] {
        let (status, xml) = rest(&d, "POST", uri, "").await;
        assert_eq!((status, error_code(&xml)), (400, code.into()), "{uri}");
    }
    // Delete: empty queues go, a non-empty one only when forced.
    assert_eq!(rest(&d, "DELETE", "/acct/Tq2", "").await.0, 200);
    send(&d, "Tq1", "keep me").await;
    let (status, xml) = rest(&d, "DELETE", "/acct/Tq1", "").await;
    assert_eq!(
        (status, error_code(&xml)),
        (400, "AWS.SimpleQueueService.NonEmptyQueue".into())
    );
    let (_, xml) = rest(&d, "DELETE", "/acct/Tq1?ForceDeletion=maybe", "").await;
    assert_eq!(error_code(&xml), "InvalidParameterValue");
    let (status, xml) = rest(&d, "DELETE", "/A29E9WXPHGOG29/Tq1?ForceDeletion=true", "").await;
    assert_eq!(status, 200);
    assert!(
        xml.starts_with(&format!("<DeleteQueueResponse{NS}><ResponseStatus>")),
        "{xml}"
    );
    let (status, xml) = rest(&d, "GET", "/acct/Tq1/front", "").await;
    assert_eq!(
        (status, error_code(&xml)),
        (400, "AWS.SimpleQueueService.NonExistentQueue".into())
    );
}

#[tokio::test]
async fn send_errors_follow_the_2007_rules() {
    let (d, _) = setup();
    create(&d, "q").await;
    let back = "/acct/q/back";
    let (status, xml) = rest(&d, "PUT", back, "bell \u{7} here").await;
    assert_eq!(status, 400);
    assert!(xml.contains("#x7"), "{xml}");
    assert_eq!(error_code(&xml), "InvalidMessageContents");
    let (_, xml) = send_req(&d, rest_req("PUT", back, b"\xff\xfe")).await;
    assert_eq!(error_code(&xml), "InvalidMessageContents");
    let (_, xml) = rest(&d, "PUT", back, "").await;
    assert_eq!(error_code(&xml), "MissingParameter");
    assert_eq!(rest(&d, "PUT", back, &"x".repeat(256 * 1024)).await.0, 200);
    let (status, xml) = rest(&d, "PUT", back, &"x".repeat(256 * 1024 + 1)).await;
    assert_eq!((status, error_code(&xml)), (400, "MessageTooLong".into()));
    let (status, xml) = rest(&d, "PUT", "/acct/nope/back", "hi").await;
    assert_eq!(
        (status, error_code(&xml)),
        (400, "AWS.SimpleQueueService.NonExistentQueue".into())
    );
    let (status, xml) = rest(&d, "DELETE", back, "").await;
    assert_eq!((status, error_code(&xml)), (400, "InvalidAction".into()));
    let (status, xml) = rest(&d, "GET", "/a/b/c/d", "").await;
    assert_eq!((status, error_code(&xml)), (400, "InvalidURI".into()));
    let old = request("GET", "/acct/q", &[("aws-version", "2006-04-01")], b"");
    let (status, xml) = send_req(&d, old).await;
    assert_eq!((status, error_code(&xml)), (400, "NoSuchVersion".into()));
}

/// The signature covers `Content-MD5`, not the body: a body that does not match it is refused
/// and nothing is sent (a signed send replayed with another body); a matching one is taken.
#[tokio::test]
async fn a_body_not_matching_its_content_md5_is_refused() {
    let (d, _) = setup();
    create(&d, "q").await;
    let with_md5 = |body: &str, md5: &str| {
        let h = [
            ("aws-version", "2007-05-01"),
            ("content-type", "text/plain"),
            ("date", DATE_2007),
            ("content-md5", md5),
        ];
        request("PUT", "/acct/q/back", &h, body.as_bytes())
    };
    // MD5("pay 10") in RFC 1864's base64 and as hex.
    for md5 in [
        "IlCryBEKOPu8elNOfHU+1w==",
        "2250abc8110a38fbbc7a534e7c753ed7",
    ] {
        let (status, xml) = send_req(&d, with_md5("pay 10", md5)).await;
        assert_eq!(status, 200, "{xml}");
        let (status, xml) = send_req(&d, with_md5("pay 9999", md5)).await;
        assert_eq!(
            (status, error_code(&xml)),
            (400, "InvalidParameterValue".into())
        );
        assert!(xml.contains("Content-MD5"), "{xml}");
    }
    let (_, xml) = rest(&d, "GET", "/acct/q/front?NumberOfMessages=10", "").await;
    assert_eq!(tags(&xml, "MessageBody"), ["pay 10", "pay 10"], "{xml}");
}

#[test]
fn detection_claims_2007_requests_and_nothing_else() {
    let yes = [
        request("PUT", "/A29E9WXPHGOG29/queue1/back", &[], b"text"),
        request("GET", "/queue1/front?NumberOfMessages=5", &[], b""),
        request(
            "PUT",
            "/A29E9WXPHGOG29/queue1?VisibilityTimeout=60",
            &[],
            b"",
        ),
        request("PUT", "/a/q?Attribute=VisibilityTimeout&Value=5", &[], b""),
        request("POST", "/?QueueName=q", &[], b""),
        request("GET", "/?QueueNamePrefix=T", &[], b""),
        request("DELETE", "/a/q/id", &[("aws-version", "2007-05-01")], b""),
    ];
    for r in &yes {
        assert!(rest2007::detect(r), "{} {}", r.method, r.uri);
    }
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let no = [
        request(
            "POST",
            "/",
            &[("x-amz-target", "AmazonSQS.ListQueues")],
            b"{}",
        ),
        request("GET", "/?Action=ListQueues&Version=2012-11-05", &[], b""),
        request(
            "GET",
            "/a/q/front?Action=ReceiveMessage",
            &[("aws-version", "2007-05-01")],
            b"",
        ),
        request(
            "POST",
            "/000000000000/q",
            &form,
            b"Action=SendMessage&MessageBody=x",
        ),
        request(
            "PUT",
            "/a/q?VisibilityTimeout=5&Action=SetQueueAttributes",
            &[],
            b"",
        ),
        request(
            "GET",
            "/queues/q/messages",
            &[("x-mns-version", "2015-06-06")],
            b"",
        ),
        request("GET", "/q/front", &[("x-mqs-version", "2014-07-08")], b""),
        request(
            "PUT",
            "/acct/q/messages/id?popreceipt=x&visibilitytimeout=5",
            &[("x-ms-version", "2019-02-02")],
            b"",
        ),
        request("GET", "/q/front?sv=2019-02-02&sig=abc", &[], b""),
        request("GET", "/q/back", &[("authorization", "MNS id:sig")], b""),
        request("GET", "/health", &[], b""),
        request("GET", "/back", &[], b""),
        request("POST", "/", &[], b"hello"),
    ];
    for r in &no {
        assert!(!rest2007::detect(r), "{} {}", r.method, r.uri);
    }
}

fn enforce() -> AuthConfig {
    AuthConfig {
        mode: AuthMode::Enforce,
        credentials: vec![Credential {
            access_key_id: AKID.into(),
            secret: SECRET.into(),
        }],
    }
}

fn signed(method: &str, uri: &str, date: &str, sig: &str) -> Request {
    let authz = format!("AWS {AKID}:{sig}");
    let h = [
        ("aws-version", "2007-05-01"),
        ("content-type", "text/plain"),
        ("date", date),
        ("authorization", authz.as_str()),
    ];
    request(method, uri, &h, b"This is the text of my message.")
}

#[test]
fn signature_matches_vectors_computed_with_python_hmac() {
    // base64(hmac.new(SECRET, string_to_sign, hashlib.sha1).digest()), computed in Python.
    let vectors = [
        (
            "PUT",
            "/A29E9WXPHGOG29/queue1/back",
            "gQRVO70Pc/671VRt5HL0fvV9OOU=",
        ),
        ("GET", "/", "EaRrRPyLDKIgsSorNd5w3EssxUg="),
        // Sent percent-encoded, signed decoded ("…|0QE…").
        (
            "DELETE",
            "/A29E9WXPHGOG29/queue1/17VXQHSGX0SG4ZEPPK7R%7C0QE42ST4KW7RK9HSY074",
            "hMX6bZXLaBpH2r4gavrI4dryfDY=",
        ),
    ];
    let then = httpdate::parse_http_date(DATE_2007).unwrap();
    let cfg = enforce();
    for (method, uri, sig) in vectors {
        let req = signed(method, uri, DATE_2007, sig);
        assert_eq!(
            auth::authenticate(&cfg, &req, "x", then + Duration::from_secs(60)).as_deref(),
            Ok(AKID),
            "{uri}"
        );
        let code = |r: &Request, now| auth::authenticate(&cfg, r, "x", now).unwrap_err().code;
        assert_eq!(
            code(&req, then + Duration::from_secs(16 * 60)),
            Code2007::RequestExpired
        );
        assert_eq!(
            code(&req, then - Duration::from_secs(16 * 60)),
            Code2007::RequestExpired
        );
        let tampered = signed(
            if method == "GET" { "PUT" } else { "GET" },
            uri,
            DATE_2007,
            sig,
        );
        assert_eq!(code(&tampered, then), Code2007::AuthFailure);
    }
    assert_eq!(
        auth::string_to_sign(&signed("PUT", "/a/q/back?x=1", DATE_2007, "s"), "/a/q/back"),
        "PUT\n\ntext/plain\nMon, 21 May 2007 21:12:00 GMT\n/a/q/back"
    );
}

#[tokio::test]
async fn enforce_mode_refuses_unsigned_and_accepts_signed_requests() {
    let (d, _) = setup_with(enforce());
    let now = httpdate::fmt_http_date(SystemTime::now());
    let (status, xml) = send_req(&d, rest_req("POST", "/?QueueName=q", b"")).await;
    assert_eq!((status, error_code(&xml)), (401, "AuthFailure".into()));
    let (status, xml) = send_req(&d, signed("POST", "/?QueueName=q", &now, "bm9wZQ==")).await;
    assert_eq!((status, error_code(&xml)), (401, "AuthFailure".into()));
    let sig = auth::sign(SECRET, &format!("POST\n\ntext/plain\n{now}\n/"));
    let (status, xml) = send_req(&d, signed("POST", "/?QueueName=q", &now, &sig)).await;
    assert_eq!(status, 200, "{xml}");
    let mut unknown = signed("POST", "/?QueueName=q", &now, &sig);
    unknown
        .headers
        .insert("authorization", format!("AWS OTHER:{sig}").parse().unwrap());
    assert_eq!(send_req(&d, unknown).await.0, 401);
    let (status, xml) = send_req(&d, signed("POST", "/?QueueName=q", DATE_2007, &sig)).await;
    assert_eq!((status, error_code(&xml)), (400, "RequestExpired".into()));
}
