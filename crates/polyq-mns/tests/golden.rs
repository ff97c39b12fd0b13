//! Golden wire tests: whole request/response exchanges, byte for byte, driven in-process
//! through `Dialect::handle` with a manual clock (so times are fixed). Requests follow the
//! documented examples (seed documents and the MNS reference); message ids, which the store
//! salts randomly, are replaced by `ID` before comparing.

use std::sync::Arc;

use bytes::Bytes;
use polyq_core::{ManualClock, MemoryStore, QueueService};
use polyq_http::auth::AuthConfig;
use polyq_http::{Dialect, Request};
use polyq_mns::{dialect, MnsConfig};

const T0: u64 = 1_436_410_894_000; // Thu, 09 Jul 2015 03:01:34 GMT

struct Fixture {
    dialect: Arc<dyn Dialect>,
    clock: ManualClock,
}

fn fixture() -> Fixture {
    let clock = ManualClock::new(T0);
    let service = Arc::new(QueueService::new(
        Arc::new(MemoryStore::new()),
        Arc::new(clock.clone()),
    ));
    let config = MnsConfig {
        auth: AuthConfig::default(),
        account_id: "1234567890".into(),
        region: "cn-hangzhou".into(),
        push_tls: None,
    };
    Fixture {
        dialect: dialect(service, config),
        clock,
    }
}

fn request(raw_head: &str, body: &str) -> Request {
    let mut lines = raw_head.lines();
    let mut first = lines.next().unwrap().split(' ');
    let (method, target) = (first.next().unwrap(), first.next().unwrap());
    let mut headers = http::HeaderMap::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let (k, v) = line.split_once(':').unwrap();
        headers.append(
            http::HeaderName::from_bytes(k.trim().to_ascii_lowercase().as_bytes()).unwrap(),
            v.trim().parse().unwrap(),
        );
    }
    Request {
        method: method.parse().unwrap(),
        uri: target.parse().unwrap(),
        headers,
        body: Bytes::from(body.to_string()),
        remote: None,
        request_id: "512B2A634403E52B1956ABCD".into(),
        header_case: Default::default(),
        tls: false,
    }
}

/// Status, the headers named in `show`, and the body with message ids masked.
async fn exchange(f: &Fixture, head: &str, body: &str, show: &[&str]) -> String {
    let req = request(head, body);
    assert!(f.dialect.detect(&req));
    let resp = f.dialect.handle(req).await;
    let mut out = format!("{}\n", resp.status().as_u16());
    for name in show {
        out.push_str(&format!(
            "{name}: {}\n",
            resp.headers()
                .get(*name)
                .map(|v| v.to_str().unwrap())
                .unwrap_or("<none>")
        ));
    }
    let text = String::from_utf8(resp.body().to_vec()).unwrap();
    let mut masked = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("<MessageId>") {
        let j = rest[i..].find("</MessageId>").unwrap() + i;
        masked.push_str(&rest[..i]);
        masked.push_str("<MessageId>ID");
        rest = &rest[j..];
    }
    masked.push_str(rest);
    out + &masked
}

const XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

#[tokio::test]
async fn mns_2015_exchanges() {
    let f = fixture();
    let h = "x-mns-version: 2015-06-06\nHost: 1234567890.mns.cn-hangzhou.aliyuncs.com\nAuthorization: MNS 15B4D3461F177624206A:xQE0diMbLRepdf3YB+FIEXA****\n";
    let got = exchange(&f, &format!("PUT /queues/MyQueue\n{h}"), "<Queue xmlns=\"http://mns.aliyuncs.com/doc/v1/\"><VisibilityTimeout>60</VisibilityTimeout></Queue>", &["location", "x-mns-request-id", "x-mns-version", "server"]).await;
    assert_eq!(
        got,
        "201\nlocation: http://1234567890.mns.cn-hangzhou.aliyuncs.com/queues/MyQueue\nx-mns-request-id: 512B2A634403E52B1956ABCD\nx-mns-version: 2015-06-06\nserver: AliyunMNS\n"
    );

    // The BatchSendMessage request example of the 2015-06-06 document.
    let batch = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Messages xmlns=\"http://mns.aliyuncs.com/doc/v1/\">\n<Message>\n<MessageBody>This is test message 1.</MessageBody>\n<DelaySeconds>60</DelaySeconds>\n<Priority>1</Priority>\n</Message>\n<Message>\n<MessageBody>This is test message 2.</MessageBody>\n<DelaySeconds>0</DelaySeconds>\n<Priority>1</Priority>\n</Message>\n</Messages>";
    let got = exchange(
        &f,
        &format!("POST /queues/MyQueue/messages\nContent-Type: text/xml;charset=utf-8\n{h}"),
        batch,
        &["content-type"],
    )
    .await;
    assert_eq!(
        got,
        format!(
            "201\ncontent-type: text/xml;charset=utf-8\n{XML}<Messages xmlns=\"http://mns.aliyuncs.com/doc/v1\">\
<Message><MessageId>ID</MessageId><MessageBodyMD5>{}</MessageBodyMD5></Message>\
<Message><MessageId>ID</MessageId><MessageBodyMD5>{}</MessageBodyMD5></Message></Messages>",
            md5_upper("This is test message 1."),
            md5_upper("This is test message 2.")
        )
    );

    let got = exchange(&f, &format!("GET /queues/MyQueue\n{h}"), "", &[]).await;
    assert_eq!(
        got,
        format!(
            "200\n{XML}<Queue xmlns=\"http://mns.aliyuncs.com/doc/v1\"><QueueName>MyQueue</QueueName><CreateTime>1436410894</CreateTime>\
<LastModifyTime>1436410894</LastModifyTime><DelaySeconds>0</DelaySeconds><MaximumMessageSize>65536</MaximumMessageSize>\
<MessageRetentionPeriod>345600</MessageRetentionPeriod><VisibilityTimeout>60</VisibilityTimeout><PollingWaitSeconds>0</PollingWaitSeconds>\
<ActiveMessages>1</ActiveMessages><InactiveMessages>0</InactiveMessages><DelayMessages>1</DelayMessages><LoggingEnabled>False</LoggingEnabled></Queue>"
        )
    );

    f.clock.advance_secs(2);
    let got = exchange(
        &f,
        &format!("GET /queues/MyQueue/messages?waitseconds=0\n{h}"),
        "",
        &[],
    )
    .await;
    let handle = field(&got, "ReceiptHandle");
    assert_eq!(
        got,
        format!(
            "200\n{XML}<Message xmlns=\"http://mns.aliyuncs.com/doc/v1\"><MessageId>ID</MessageId><ReceiptHandle>{handle}</ReceiptHandle>\
<MessageBodyMD5>{}</MessageBodyMD5><MessageBody>This is test message 2.</MessageBody><EnqueueTime>{T0}</EnqueueTime>\
<NextVisibleTime>{}</NextVisibleTime><FirstDequeueTime>{}</FirstDequeueTime><DequeueCount>1</DequeueCount><Priority>1</Priority></Message>",
            md5_upper("This is test message 2."),
            T0 + 62_000,
            T0 + 2_000
        )
    );

    let got = exchange(
        &f,
        &format!("PUT /queues/MyQueue/messages?ReceiptHandle={handle}&VisibilityTimeout=10\n{h}"),
        "",
        &[],
    )
    .await;
    // The receive's handle stays usable after the change, so the answer repeats it.
    assert_eq!(
        got,
        format!(
            "200\n{XML}<ChangeVisibility xmlns=\"http://mns.aliyuncs.com/doc/v1\"><ReceiptHandle>{handle}</ReceiptHandle><NextVisibleTime>{}</NextVisibleTime></ChangeVisibility>",
            T0 + 12_000
        )
    );

    // The PHP SDK suite's batch delete: the received handle and the docs' example handle; only
    // the latter is listed.
    let bad = "1-ODU4OTkzNDU5My0xNDM1MTk3NjAwLTItNg==";
    let got = exchange(
        &f,
        &format!("DELETE /queues/MyQueue/messages\n{h}"),
        &format!("<ReceiptHandles><ReceiptHandle>{handle}</ReceiptHandle><ReceiptHandle>{bad}</ReceiptHandle></ReceiptHandles>"),
        &[],
    )
    .await;
    assert_eq!(
        got,
        format!(
            "404\n{XML}<Errors xmlns=\"http://mns.aliyuncs.com/doc/v1\"><Error><ErrorCode>ReceiptHandleError</ErrorCode>\
<ErrorMessage>The receipt handle you provide is not valid.</ErrorMessage><ReceiptHandle>{bad}</ReceiptHandle></Error></Errors>"
        )
    );

    let got = exchange(&f, &format!("GET /queues/Nope/messages\n{h}"), "", &[]).await;
    assert_eq!(
        got,
        format!(
            "404\n{XML}<Error xmlns=\"http://mns.aliyuncs.com/doc/v1\"><Code>QueueNotExist</Code><Message>The queue name you provided is not exist.</Message>\
<RequestId>512B2A634403E52B1956ABCD</RequestId><HostId>http://1234567890.mns.cn-hangzhou.aliyuncs.com</HostId></Error>"
        )
    );
}

#[tokio::test]
async fn mqs_2014_exchanges() {
    let f = fixture();
    // The 2014-07-08 SendMessage request example (its date, a Sunday called Wednesday, is not checked in dev mode).
    let h = "Host: 1234567890.mqs-cn-hangzhou.aliyuncs.com\nDate: Wed, 18 Mar 2012 12:00:00 GMT\nx-mqs-version: 2014-07-08\nAuthorization: MQS 15B4D3461F177624206A:xQE0diMbLRepdf3YB+FIEXAMPLE\n";
    let got = exchange(
        &f,
        &format!("PUT /MyQueue\n{h}"),
        "",
        &[
            "location",
            "x-mqs-request-id",
            "x-mqs-version",
            "x-mns-request-id",
        ],
    )
    .await;
    assert_eq!(
        got,
        "201\nlocation: http://1234567890.mqs-cn-hangzhou.aliyuncs.com/MyQueue\nx-mqs-request-id: 512B2A634403E52B1956ABCD\nx-mqs-version: 2014-07-08\nx-mns-request-id: 512B2A634403E52B1956ABCD\n"
    );
    let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Message xmlns=\"\">\n<MessageBody>Base64 Encoded Result</MessageBody>\n</Message>";
    let got = exchange(&f, &format!("POST /MyQueue/messages\n{h}"), body, &[]).await;
    assert_eq!(
        got,
        format!(
            "201\n{XML}<Message xmlns=\"http://mqs.aliyuncs.com/doc/v1/\"><MessageId>ID</MessageId><MessageBodyMD5>{}</MessageBodyMD5></Message>",
            md5_upper("Base64 Encoded Result")
        )
    );
    let got = exchange(
        &f,
        &format!("GET /MyQueue/messages?peekonly=true\n{h}"),
        "",
        &[],
    )
    .await;
    assert_eq!(
        got,
        format!(
            "200\n{XML}<Message xmlns=\"http://mqs.aliyuncs.com/doc/v1/\"><MessageId>ID</MessageId><MessageBodyMD5>{}</MessageBodyMD5>\
<MessageBody>Base64 Encoded Result</MessageBody><EnqueueTime>{T0}</EnqueueTime><FirstDequeueTime>0</FirstDequeueTime>\
<DequeueCount>0</DequeueCount><Priority>8</Priority></Message>",
            md5_upper("Base64 Encoded Result")
        )
    );
    let got = exchange(&f, &format!("GET /\n{h}"), "", &[]).await;
    assert_eq!(
        got,
        format!("200\n{XML}<Queues xmlns=\"http://mqs.aliyuncs.com/doc/v1/\"><Queue><QueueURL>http://1234567890.mqs-cn-hangzhou.aliyuncs.com/MyQueue</QueueURL></Queue></Queues>")
    );
    let got = exchange(
        &f,
        &format!("POST /MyQueue/messages\n{h}"),
        "<Message><MessageBody>x</MessageBody>",
        &[],
    )
    .await;
    assert_eq!(
        got,
        format!(
            "400\n{XML}<Error xmlns=\"http://mqs.aliyuncs.com/doc/v1/\"><Code>MalformedXML</Code><Message>The XML you provided was not well-formed.</Message>\
<RequestId>512B2A634403E52B1956ABCD</RequestId><HostId>http://1234567890.mqs-cn-hangzhou.aliyuncs.com</HostId></Error>"
        )
    );
}

#[test]
fn detection_and_description() {
    let f = fixture();
    assert_eq!(f.dialect.name(), "MNS");
    assert!(f
        .dialect
        .detect(&request("GET /queues\nx-mns-version: 2015-06-06\n", "")));
    assert!(f
        .dialect
        .detect(&request("GET /\nx-mqs-version: 2014-07-08\n", "")));
    assert!(f
        .dialect
        .detect(&request("GET /q\nAuthorization: MNS a:b\n", "")));
    assert!(f
        .dialect
        .detect(&request("GET /q\nAuthorization: MQS a:b\n", "")));
    assert!(!f
        .dialect
        .detect(&request("GET /q\nAuthorization: AWS4-HMAC-SHA256 x\n", "")));
    assert!(!f.dialect.detect(&request("GET /health\n", "")));
    assert_eq!(
        f.dialect.describe("http://127.0.0.1:9324"),
        ["MNS     http://127.0.0.1:9324   (Alibaba Cloud MNS SDK: endpoint http://127.0.0.1:9324, any AccessKeyId/Secret in dev mode)"]
    );
}

fn field(text: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let start = text.find(&open).unwrap() + open.len();
    let end = text[start..].find(&format!("</{tag}>")).unwrap() + start;
    text[start..end].to_string()
}

fn md5_upper(s: &str) -> String {
    use md5::{Digest, Md5};
    hex::encode_upper(Md5::digest(s.as_bytes()))
}

/// A receipt handle works until the message's NextVisibleTime: once the message is visible
/// again, ChangeMessageVisibility answers MessageNotExist (404) as DeleteMessage does, and the
/// message stays visible.
#[tokio::test]
async fn change_visibility_after_the_handle_expired_is_message_not_exist() {
    let f = fixture();
    let h = "x-mns-version: 2015-06-06\nHost: 1234567890.mns.cn-hangzhou.aliyuncs.com\n";
    let queue = "<Queue xmlns=\"http://mns.aliyuncs.com/doc/v1/\"><VisibilityTimeout>10</VisibilityTimeout></Queue>";
    exchange(&f, &format!("PUT /queues/Q\n{h}"), queue, &[]).await;
    let message =
        "<Message xmlns=\"http://mns.aliyuncs.com/doc/v1/\"><MessageBody>m</MessageBody></Message>";
    exchange(&f, &format!("POST /queues/Q/messages\n{h}"), message, &[]).await;
    let got = exchange(&f, &format!("GET /queues/Q/messages\n{h}"), "", &[]).await;
    let handle = field(&got, "ReceiptHandle");
    let change = format!("PUT /queues/Q/messages?ReceiptHandle={handle}&VisibilityTimeout=30\n{h}");
    f.clock.advance_secs(5);
    assert!(exchange(&f, &change, "", &[]).await.starts_with("200\n"));
    f.clock.advance_secs(31);
    let got = exchange(&f, &change, "", &[]).await;
    assert!(got.starts_with("404\n"), "{got}");
    assert_eq!(field(&got, "Code"), "MessageNotExist");
    let again = exchange(&f, &format!("GET /queues/Q/messages\n{h}"), "", &[]).await;
    assert!(
        again.starts_with("200\n"),
        "the message stays visible: {again}"
    );
}
