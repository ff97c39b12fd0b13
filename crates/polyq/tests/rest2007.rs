//! The 2007-05-01 SQS REST API against the built binary over real HTTP: send through `/back`,
//! receive through `/front`, queue and message visibility, deletes, and messages crossing
//! between this API, the SQS JSON protocol and MNS on the same queue.

mod common;

use common::client;

fn start() -> common::Server {
    common::start(&[])
}

/// Text of every `<name>` element, in order.
fn tags(xml: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    xml.split(&open)
        .skip(1)
        .map(|s| s.split(&close).next().unwrap().to_string())
        .collect()
}

/// A 2007 REST call with the headers the documentation shows.
async fn rest(c: &reqwest::Client, method: &str, url: &str, body: &str) -> (u16, String) {
    let r = c
        .request(method.parse().unwrap(), url)
        .header("AWS-Version", "2007-05-01")
        .header("Content-Type", "text/plain")
        .header("Date", DATE)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The documentation's Date; dev mode does not check it, but clients of the time always sent one.
const DATE: &str = "Mon, 21 May 2007 21:12:00 GMT";

async fn json(
    c: &reqwest::Client,
    base: &str,
    action: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let r = c
        .post(format!("{base}/"))
        .header("x-amz-target", format!("AmazonSQS.{action}"))
        .header("content-type", "application/x-amz-json-1.0")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Actions without output answer no body at all, as AWS does; SDKs read that as `{}`.
    let text = r.text().await.unwrap();
    if text.is_empty() {
        return serde_json::json!({});
    }
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn rest_2007_round_trip_on_the_binary() {
    let s = start();
    let c = client();
    let (status, xml) = rest(&c, "POST", &format!("{}/?QueueName=queue1", s.base), "").await;
    assert_eq!(status, 200, "{xml}");
    let url = tags(&xml, "QueueUrl").pop().unwrap();
    assert!(url.starts_with(&s.base), "{url}");

    // The seed's two requests, against the queue URL.
    let (status, xml) = rest(
        &c,
        "PUT",
        &format!("{url}/back"),
        "This is the text of my message.",
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    let id = tags(&xml, "MessageId").pop().unwrap();
    let (status, xml) = rest(&c, "PUT", &format!("{url}?VisibilityTimeout=60"), "").await;
    assert_eq!(status, 200, "{xml}");
    assert!(xml.starts_with("<SetVisibilityTimeoutResponse"), "{xml}");
    let (_, xml) = rest(&c, "GET", &url, "").await;
    assert_eq!(tags(&xml, "VisibilityTimeout"), ["60"]);

    // Receive through /front with its own visibility; the message is then hidden.
    let (status, xml) = rest(
        &c,
        "GET",
        &format!("{url}/front?NumberOfMessages=10&VisibilityTimeout=120"),
        "",
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    assert_eq!(
        tags(&xml, "MessageBody"),
        ["This is the text of my message."]
    );
    assert_eq!(tags(&xml, "MessageId"), std::slice::from_ref(&id));
    let (_, xml) = rest(&c, "GET", &format!("{url}/front"), "").await;
    assert!(tags(&xml, "Message").is_empty(), "{xml}");

    // Reveal it by id, receive it again, delete it by id.
    let (status, _) = rest(&c, "PUT", &format!("{url}/{id}?VisibilityTimeout=0"), "").await;
    assert_eq!(status, 200);
    let (_, xml) = rest(&c, "GET", &format!("{url}/front"), "").await;
    assert_eq!(tags(&xml, "MessageId"), std::slice::from_ref(&id));
    let (status, _) = rest(&c, "DELETE", &format!("{url}/{id}"), "").await;
    assert_eq!(status, 200);
    let (status, xml) = rest(&c, "GET", &format!("{url}/{id}"), "").await;
    assert_eq!(status, 404, "{xml}");

    // A non-empty queue is deleted only when forced.
    rest(&c, "PUT", &format!("{url}/back"), "left behind").await;
    let (status, xml) = rest(&c, "DELETE", &url, "").await;
    assert_eq!(status, 400);
    assert!(
        xml.contains("AWS.SimpleQueueService.NonEmptyQueue"),
        "{xml}"
    );
    let (status, _) = rest(&c, "DELETE", &format!("{url}?ForceDeletion=true"), "").await;
    assert_eq!(status, 200);
    let (status, xml) = rest(&c, "GET", &format!("{url}/front"), "").await;
    assert_eq!(status, 400);
    assert!(
        xml.contains("AWS.SimpleQueueService.NonExistentQueue"),
        "{xml}"
    );
}

#[tokio::test]
async fn messages_cross_between_2007_rest_json_and_mns() {
    let s = start();
    let c = client();
    let url = json(
        &c,
        &s.base,
        "CreateQueue",
        serde_json::json!({"QueueName": "cross"}),
    )
    .await["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();

    // 2007 REST send → JSON receive.
    rest(&c, "PUT", &format!("{url}/back"), "from 2007").await;
    let got = json(
        &c,
        &s.base,
        "ReceiveMessage",
        serde_json::json!({"QueueUrl": url}),
    )
    .await;
    assert_eq!(got["Messages"][0]["Body"], "from 2007");
    let handle = got["Messages"][0]["ReceiptHandle"]
        .as_str()
        .unwrap()
        .to_string();
    json(
        &c,
        &s.base,
        "DeleteMessage",
        serde_json::json!({"QueueUrl": url, "ReceiptHandle": handle}),
    )
    .await;

    // JSON send → 2007 REST receive.
    json(
        &c,
        &s.base,
        "SendMessage",
        serde_json::json!({"QueueUrl": url, "MessageBody": "from json"}),
    )
    .await;
    let (_, xml) = rest(&c, "GET", &format!("{url}/front"), "").await;
    assert_eq!(tags(&xml, "MessageBody"), ["from json"]);

    // 2007 REST send → MNS receive (dev mode: MNS signatures are not checked).
    rest(&c, "PUT", &format!("{url}/back"), "to mns").await;
    let r = c
        .get(format!("{}/queues/cross/messages", s.base))
        .header("x-mns-version", "2015-06-06")
        .header("date", DATE)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let xml = r.text().await.unwrap();
    assert_eq!(status, 200, "{xml}");
    assert_eq!(tags(&xml, "MessageBody"), ["to mns"]);

    // MNS send → 2007 REST receive.
    let r = c
        .post(format!("{}/queues/cross/messages", s.base))
        .header("x-mns-version", "2015-06-06")
        .header("content-type", "text/xml")
        .body("<Message><MessageBody>from mns</MessageBody></Message>")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
    let (_, xml) = rest(&c, "GET", &format!("{url}/front"), "").await;
    assert_eq!(tags(&xml, "MessageBody"), ["from mns"]);

    // The metrics name the 2007 operations (they were all "-").
    let metrics = common::get_text(&c, &format!("{}/metrics", s.base)).await;
    for op in ["SendMessage", "ReceiveMessage"] {
        assert!(
            metrics
                .lines()
                .any(|l| l.starts_with("polyq_requests_total{")
                    && l.contains(&format!("operation=\"{op}\""))
                    && l.contains("code=\"200\"")
                    && !l.contains("dialect=\"MNS\"")),
            "{op} not in\n{metrics}"
        );
    }
    assert!(
        !metrics.contains("operation=\"-\",code=\"200\""),
        "{metrics}"
    );
}
