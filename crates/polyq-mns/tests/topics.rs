//! Topics and subscriptions over raw HTTP: CRUD, listing, publishing to queue endpoints in each
//! content format, filter tags, HTTP push with retries, and every error answer.

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{field, start_dev, start_on, Form, Resp, Server};
use md5::Digest;
use polyq_core::faults::FaultyStore;
use polyq_core::{MemoryStore, QueueService, SystemClock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const NS: &str = "xmlns=\"http://mns.aliyuncs.com/doc/v1/\"";

fn topic(t: &str) -> String {
    format!("/topics/{t}")
}

fn sub_path(t: &str, s: &str) -> String {
    format!("/topics/{t}/subscriptions/{s}")
}

/// SetTopicAttributes / SetSubscriptionAttributes: `PUT {path}?metaoverride=true`.
async fn set_attributes(s: &Server, path: String, body: &str) -> Resp {
    s.req(Form::Mns, "PUT", format!("{path}?metaoverride=true"), body)
        .await
}

async fn create_topic(s: &Server, t: &str, body: &str) -> Resp {
    s.req(Form::Mns, "PUT", topic(t), body).await
}

async fn subscribe(s: &Server, t: &str, name: &str, endpoint: &str, extra: &str) -> Resp {
    let doc = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Subscription {NS}><Endpoint>{endpoint}</Endpoint>{extra}</Subscription>"
    );
    s.req(Form::Mns, "PUT", sub_path(t, name), &doc).await
}

async fn publish(s: &Server, t: &str, body: &str, tag: Option<&str>) -> Resp {
    let tag = tag
        .map(|t| format!("<MessageTag>{t}</MessageTag>"))
        .unwrap_or_default();
    let doc = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Message {NS}><MessageBody>{body}</MessageBody>{tag}</Message>"
    );
    s.req(Form::Mns, "POST", format!("{}/messages", topic(t)), &doc)
        .await
}

fn queue_endpoint(q: &str) -> String {
    format!("acs:mns:cn-hangzhou:1234567890:queues/{q}")
}

/// Bodies of every message now in queue `q` (received and deleted).
async fn drain(s: &Server, q: &str) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let r = s
            .req(
                Form::Mns,
                "GET",
                format!("{}?numOfMessages=16", Form::Mns.messages(q)),
                "",
            )
            .await;
        if r.status == 404 {
            return out;
        }
        assert_eq!(r.status, 200, "{}", r.body);
        for (body, handle) in r
            .fields("MessageBody")
            .into_iter()
            .zip(r.fields("ReceiptHandle"))
        {
            out.push(body);
            let d = s
                .req(
                    Form::Mns,
                    "DELETE",
                    format!("{}?ReceiptHandle={handle}", Form::Mns.messages(q)),
                    "",
                )
                .await;
            assert_eq!(d.status, 204, "{}", d.body);
        }
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn topic_create_get_set_delete() {
    let s = start_dev().await;
    let r = create_topic(&s, "t1", "").await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some(format!("{}/topics/t1", s.base).as_str())
    );
    // Same attributes: 204 with Location; different: 409 TopicAlreadyExist.
    let again = create_topic(
        &s,
        "t1",
        "<Topic><MaximumMessageSize>65536</MaximumMessageSize></Topic>",
    )
    .await;
    assert_eq!(again.status, 204, "{}", again.body);
    assert!(again.header("location").is_some());
    let other = create_topic(
        &s,
        "t1",
        "<Topic><MaximumMessageSize>2048</MaximumMessageSize></Topic>",
    )
    .await;
    assert_eq!(other.status, 409);
    assert_eq!(other.code().as_deref(), Some("TopicAlreadyExist"));

    let get = s.req(Form::Mns, "GET", topic("t1"), "").await;
    assert_eq!(get.status, 200, "{}", get.body);
    assert!(get.body.contains("<Topic xmlns="), "{}", get.body);
    assert_eq!(get.field("TopicName").as_deref(), Some("t1"));
    assert_eq!(get.field("MaximumMessageSize").as_deref(), Some("65536"));
    assert_eq!(
        get.field("MessageRetentionPeriod").as_deref(),
        Some("86400")
    );
    assert_eq!(get.field("MessageCount").as_deref(), Some("0"));
    assert_eq!(get.field("LoggingEnabled").as_deref(), Some("False"));
    let created: u64 = get.field("CreateTime").unwrap().parse().unwrap();
    assert!(created > 1_600_000_000, "{created}");
    assert!(get.field("LastModifyTime").is_some());

    let set = set_attributes(&s, topic("t1"), "<Topic><MaximumMessageSize>4096</MaximumMessageSize><LoggingEnabled>True</LoggingEnabled></Topic>").await;
    assert_eq!(set.status, 204, "{}", set.body);
    let get = s.req(Form::Mns, "GET", topic("t1"), "").await;
    assert_eq!(get.field("MaximumMessageSize").as_deref(), Some("4096"));
    assert_eq!(get.field("LoggingEnabled").as_deref(), Some("True"));

    let del = s.req(Form::Mns, "DELETE", topic("t1"), "").await;
    assert_eq!(del.status, 204);
    let gone = s.req(Form::Mns, "GET", topic("t1"), "").await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.code().as_deref(), Some("TopicNotExist"));
    // Deleting again, like DeleteQueue, succeeds.
    assert_eq!(
        s.req(Form::Mns, "DELETE", topic("t1"), "").await.status,
        204
    );
    let set_missing = set_attributes(
        &s,
        topic("t1"),
        "<Topic><LoggingEnabled>True</LoggingEnabled></Topic>",
    )
    .await;
    assert_eq!(set_missing.code().as_deref(), Some("TopicNotExist"));
}

#[tokio::test]
async fn topic_names_and_attributes_are_validated() {
    let s = start_dev().await;
    for (name, code) in [
        ("-lead", "TopicNameInvalid"),
        ("under_score", "TopicNameInvalid"),
        ("tilde~", "TopicNameInvalid"),
    ] {
        let r = create_topic(&s, name, "").await;
        assert_eq!((r.status, r.code().as_deref()), (400, Some(code)), "{name}");
    }
    let long = create_topic(&s, &"t".repeat(256), "").await;
    assert_eq!(long.code().as_deref(), Some("TopicNameLengthError"));
    assert_eq!(create_topic(&s, &"t".repeat(255), "").await.status, 201);

    for (body, message) in [
        (
            "<Topic><MaximumMessageSize>1023</MaximumMessageSize></Topic>",
            "The value of MaximumMessageSize should between 1024 and 65536 bytes.",
        ),
        (
            "<Topic><MaximumMessageSize>65537</MaximumMessageSize></Topic>",
            "The value of MaximumMessageSize should between 1024 and 65536 bytes.",
        ),
        (
            "<Topic><LoggingEnabled>maybe</LoggingEnabled></Topic>",
            "The value of LoggingEnabled should be True or False.",
        ),
        (
            "<Queue/>",
            "The XML you provided did not validate against our published schema, cause by Element Queue.",
        ),
    ] {
        let r = create_topic(&s, "t2", body).await;
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(r.code().as_deref(), Some("InvalidArgument"), "{body}");
        assert_eq!(r.field("Message").as_deref(), Some(message), "{body}");
    }
    let bad_xml = create_topic(&s, "t2", "<Topic>").await;
    assert_eq!(bad_xml.code().as_deref(), Some("MalformedXML"));
    // Nothing was created by the refused requests.
    assert_eq!(s.req(Form::Mns, "GET", topic("t2"), "").await.status, 404);
    // Unknown shapes below /topics are not operations.
    let r = s.req(Form::Mns, "POST", topic("t2"), "").await;
    assert_eq!(r.code().as_deref(), Some("InvalidRequestURL"));
}

#[tokio::test]
async fn topics_list_and_page_apart_from_queues() {
    let s = start_dev().await;
    for t in ["alpha-1", "alpha-2", "alpha-3", "beta"] {
        assert_eq!(create_topic(&s, t, "").await.status, 201);
    }
    assert_eq!(s.create(Form::Mns, "alpha-queue").await.status, 201);

    let all = s.req(Form::Mns, "GET", "/topics", "").await;
    assert_eq!(all.status, 200, "{}", all.body);
    let urls = all.fields("TopicURL");
    let want: Vec<String> = ["alpha-1", "alpha-2", "alpha-3", "beta"]
        .iter()
        .map(|t| format!("{}/topics/{t}", s.base))
        .collect();
    assert_eq!(urls, want);
    assert!(all.field("NextMarker").is_none());

    // Paging by prefix, ret-number and marker.
    let page1 = s
        .send(
            common::Call::new(Form::Mns, "GET", "/topics")
                .header("x-mns-prefix", "alpha")
                .header("x-mns-ret-number", "2"),
        )
        .await;
    assert_eq!(page1.fields("TopicURL").len(), 2);
    let marker = page1.field("NextMarker").expect("a next page");
    let page2 = s
        .send(
            common::Call::new(Form::Mns, "GET", "/topics")
                .header("x-mns-prefix", "alpha")
                .header("x-mns-ret-number", "2")
                .header("x-mns-marker", marker),
        )
        .await;
    assert_eq!(
        page2.fields("TopicURL"),
        vec![format!("{}/topics/alpha-3", s.base)]
    );
    assert!(page2.field("NextMarker").is_none());

    let meta = s
        .send(
            common::Call::new(Form::Mns, "GET", "/topics")
                .header("x-mns-prefix", "beta")
                .header("x-mns-with-meta", "true"),
        )
        .await;
    assert_eq!(meta.field("TopicName").as_deref(), Some("beta"));
    assert_eq!(meta.field("MaximumMessageSize").as_deref(), Some("65536"));

    let bad = s
        .send(common::Call::new(Form::Mns, "GET", "/topics").header("x-mns-ret-number", "0"))
        .await;
    assert_eq!(bad.code().as_deref(), Some("InvalidArgument"));

    // Topics are not queues: ListQueue does not show them, and their internal queues are not
    // reachable under /queues.
    let queues = s.req(Form::Mns, "GET", "/queues", "").await;
    assert_eq!(
        queues.fields("QueueURL"),
        vec![format!("{}/queues/alpha-queue", s.base)]
    );
    let hidden = s.req(Form::Mns, "GET", "/queues/~mns-topic~beta", "").await;
    assert_eq!(hidden.code().as_deref(), Some("QueueNotExist"));
    let hidden = s
        .req(Form::Mns, "DELETE", "/queues/%7Emns-topic~beta", "")
        .await;
    assert_eq!(hidden.code().as_deref(), Some("QueueNotExist"));
    assert_eq!(s.req(Form::Mns, "GET", topic("beta"), "").await.status, 200);
}

#[tokio::test]
async fn subscription_crud_and_errors() {
    let s = start_dev().await;
    let missing = subscribe(&s, "nope", "s1", &queue_endpoint("q"), "").await;
    assert_eq!(
        (missing.status, missing.code().as_deref()),
        (404, Some("TopicNotExist"))
    );
    assert_eq!(create_topic(&s, "t", "").await.status, 201);

    let r = subscribe(
        &s,
        "t",
        "s1",
        &queue_endpoint("q1"),
        "<FilterTag>important</FilterTag>",
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some(format!("{}/topics/t/subscriptions/s1", s.base).as_str())
    );
    let same = subscribe(
        &s,
        "t",
        "s1",
        &queue_endpoint("q1"),
        "<FilterTag>important</FilterTag>",
    )
    .await;
    assert_eq!(same.status, 204, "{}", same.body);
    assert!(same.header("location").is_some());
    let different = subscribe(&s, "t", "s1", &queue_endpoint("q2"), "").await;
    assert_eq!(
        (different.status, different.code().as_deref()),
        (409, Some("SubscriptionAlreadyExist"))
    );

    let get = s.req(Form::Mns, "GET", sub_path("t", "s1"), "").await;
    assert_eq!(get.status, 200, "{}", get.body);
    for (name, value) in [
        ("SubscriptionName", "s1"),
        ("TopicName", "t"),
        ("TopicOwner", "1234567890"),
        ("Subscriber", "1234567890"),
        ("Endpoint", queue_endpoint("q1").as_str()),
        ("FilterTag", "important"),
        ("NotifyStrategy", "BACKOFF_RETRY"),
        ("NotifyContentFormat", "XML"),
    ] {
        assert_eq!(get.field(name).as_deref(), Some(value), "{name}");
    }
    assert!(get.field("CreateTime").is_some() && get.field("LastModifyTime").is_some());

    let set = set_attributes(
        &s,
        sub_path("t", "s1"),
        "<Subscription><NotifyStrategy>EXPONENTIAL_DECAY_RETRY</NotifyStrategy></Subscription>",
    )
    .await;
    assert_eq!(set.status, 204, "{}", set.body);
    let get = s.req(Form::Mns, "GET", sub_path("t", "s1"), "").await;
    assert_eq!(
        get.field("NotifyStrategy").as_deref(),
        Some("EXPONENTIAL_DECAY_RETRY")
    );
    // FilterTag changes too (Java's SetSubscriptionAttributes sends it); the endpoint does not.
    let set = set_attributes(&s, sub_path("t", "s1"), "<Subscription><FilterTag>urgent</FilterTag><Endpoint>http://127.0.0.1:9/</Endpoint></Subscription>").await;
    assert_eq!(set.status, 204, "{}", set.body);
    let get = s.req(Form::Mns, "GET", sub_path("t", "s1"), "").await;
    assert_eq!(get.field("FilterTag").as_deref(), Some("urgent"));
    assert_eq!(
        get.field("Endpoint").as_deref(),
        Some(queue_endpoint("q1").as_str())
    );
    assert_eq!(
        get.field("NotifyStrategy").as_deref(),
        Some("EXPONENTIAL_DECAY_RETRY")
    );
    let long_tag = set_attributes(
        &s,
        sub_path("t", "s1"),
        "<Subscription><FilterTag>seventeen-chars-x</FilterTag></Subscription>",
    )
    .await;
    assert_eq!(long_tag.code().as_deref(), Some("InvalidArgument"));
    let bad_set = set_attributes(
        &s,
        sub_path("t", "s1"),
        "<Subscription><NotifyStrategy>SOMETIMES</NotifyStrategy></Subscription>",
    )
    .await;
    assert_eq!(bad_set.code().as_deref(), Some("InvalidArgument"));

    // Errors of Subscribe.
    for (name, endpoint, extra, code) in [
        (
            "_bad",
            queue_endpoint("q").as_str(),
            "",
            "SubscriptionNameInvalid",
        ),
        ("s2", "", "", "EndpointInvalid"),
        ("s2", "https://", "", "EndpointInvalid"),
        ("s2", "acs:mns:cn-hangzhou:queues/q", "", "EndpointInvalid"),
        (
            "s2",
            "acs:mns:cn-hangzhou:1:topics/x",
            "",
            "EndpointInvalid",
        ),
        ("s2", "tcp://x", "", "EndpointInvalid"),
        (
            "s2",
            queue_endpoint("q").as_str(),
            "<NotifyStrategy>NEVER</NotifyStrategy>",
            "InvalidArgument",
        ),
        (
            "s2",
            queue_endpoint("q").as_str(),
            "<NotifyContentFormat>YAML</NotifyContentFormat>",
            "InvalidArgument",
        ),
        (
            "s2",
            queue_endpoint("q").as_str(),
            "<FilterTag>seventeen-chars-x</FilterTag>",
            "InvalidArgument",
        ),
    ] {
        let r = subscribe(&s, "t", name, endpoint, extra).await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (400, Some(code)),
            "{name} {endpoint} {extra}: {}",
            r.body
        );
    }
    let long = subscribe(&s, "t", &"s".repeat(256), &queue_endpoint("q"), "").await;
    assert_eq!(long.code().as_deref(), Some("SubscriptionNameLengthError"));
    let wrong_root = s
        .req(Form::Mns, "PUT", sub_path("t", "s3"), "<Topic/>")
        .await;
    assert_eq!(wrong_root.code().as_deref(), Some("InvalidArgument"));

    // Listing, with paging.
    for name in ["s2", "s3"] {
        assert_eq!(
            subscribe(&s, "t", name, "http://127.0.0.1:9/x", "")
                .await
                .status,
            201
        );
    }
    let list = s
        .req(
            Form::Mns,
            "GET",
            format!("{}/subscriptions", topic("t")),
            "",
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(
        list.fields("SubscriptionURL"),
        ["s1", "s2", "s3"]
            .iter()
            .map(|n| format!("{}/topics/t/subscriptions/{n}", s.base))
            .collect::<Vec<_>>()
    );
    let page = s
        .send(
            common::Call::new(Form::Mns, "GET", format!("{}/subscriptions", topic("t")))
                .header("x-mns-ret-number", "2"),
        )
        .await;
    assert_eq!(page.fields("SubscriptionURL").len(), 2);
    let marker = page.field("NextMarker").expect("next page");
    let rest = s
        .send(
            common::Call::new(Form::Mns, "GET", format!("{}/subscriptions", topic("t")))
                .header("x-mns-marker", marker),
        )
        .await;
    assert_eq!(rest.fields("SubscriptionURL").len(), 1);
    // With x-mns-with-meta (Java's listSubscriptions, Go's ListSubscriptionDetailByTopic)
    // each entry carries its attributes too.
    let meta = s
        .send(
            common::Call::new(Form::Mns, "GET", format!("{}/subscriptions", topic("t")))
                .header("x-mns-with-meta", "true"),
        )
        .await;
    assert_eq!(meta.fields("SubscriptionName"), ["s1", "s2", "s3"]);
    assert_eq!(meta.fields("Endpoint")[1], "http://127.0.0.1:9/x");
    assert_eq!(meta.fields("NotifyContentFormat").len(), 3);
    assert!(!list.body.contains("<SubscriptionName>"), "{}", list.body);
    let no_topic = s
        .req(Form::Mns, "GET", "/topics/nope/subscriptions", "")
        .await;
    assert_eq!(no_topic.code().as_deref(), Some("TopicNotExist"));

    // Unsubscribe; then the subscription is gone, and unsubscribing again succeeds.
    assert_eq!(
        s.req(Form::Mns, "DELETE", sub_path("t", "s1"), "")
            .await
            .status,
        204
    );
    let gone = s.req(Form::Mns, "GET", sub_path("t", "s1"), "").await;
    assert_eq!(
        (gone.status, gone.code().as_deref()),
        (404, Some("SubscriptionNotExist"))
    );
    assert_eq!(
        s.req(Form::Mns, "DELETE", sub_path("t", "s1"), "")
            .await
            .status,
        204
    );
    let on_missing_topic = s.req(Form::Mns, "GET", sub_path("nope", "s1"), "").await;
    assert_eq!(on_missing_topic.code().as_deref(), Some("TopicNotExist"));

    // Deleting the topic deletes its subscriptions: a new topic of that name has none.
    assert_eq!(s.req(Form::Mns, "DELETE", topic("t"), "").await.status, 204);
    assert_eq!(create_topic(&s, "t", "").await.status, 201);
    let list = s
        .req(
            Form::Mns,
            "GET",
            format!("{}/subscriptions", topic("t")),
            "",
        )
        .await;
    assert!(list.fields("SubscriptionURL").is_empty(), "{}", list.body);
}

#[tokio::test]
async fn publish_reaches_queue_subscriptions_in_their_formats() {
    let s = start_dev().await;
    assert_eq!(create_topic(&s, "news", "").await.status, 201);
    for q in ["qx", "qj", "qs", "qf", "qlate"] {
        assert_eq!(s.create(Form::Mns, q).await.status, 201);
    }
    for (name, q, extra) in [
        ("xml", "qx", ""),
        (
            "json",
            "qj",
            "<NotifyContentFormat>JSON</NotifyContentFormat>",
        ),
        (
            "simple",
            "qs",
            "<NotifyContentFormat>SIMPLIFIED</NotifyContentFormat>",
        ),
        (
            "filtered",
            "qf",
            "<FilterTag>sports</FilterTag><NotifyContentFormat>SIMPLIFIED</NotifyContentFormat>",
        ),
    ] {
        let r = subscribe(&s, "news", name, &queue_endpoint(q), extra).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }

    let body = "a &lt;b&gt; &amp; \u{4e2d}";
    let plain = "a <b> & \u{4e2d}";
    let r = publish(&s, "news", body, Some("weather")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.field("MessageId").unwrap();
    let md5 = r.field("MessageBodyMD5").unwrap();
    assert_eq!(md5, hex::encode_upper(md5::Md5::digest(plain.as_bytes())));

    // XML: the documented Notification document.
    let xml = drain(&s, "qx").await;
    assert_eq!(xml.len(), 1);
    let doc = unescape(&xml[0]);
    for (name, value) in [
        ("TopicOwner", "1234567890"),
        ("TopicName", "news"),
        ("Subscriber", "1234567890"),
        ("SubscriptionName", "xml"),
        ("MessageId", id.as_str()),
        ("MessageMD5", md5.as_str()),
        ("MessageTag", "weather"),
    ] {
        assert_eq!(field(&doc, name).as_deref(), Some(value), "{name}: {doc}");
    }
    assert_eq!(
        field(&doc, "Message").map(|m| unescape(&m)).as_deref(),
        Some(plain)
    );
    let published: u64 = field(&doc, "PublishTime").unwrap().parse().unwrap();
    assert!(published > 1_600_000_000_000, "{published}");

    // JSON: the same fields.
    let json = drain(&s, "qj").await;
    assert_eq!(json.len(), 1);
    let v: serde_json::Value = serde_json::from_str(&unescape(&json[0])).unwrap();
    assert_eq!(v["Message"], plain);
    assert_eq!(v["MessageId"], id.as_str());
    assert_eq!(v["MessageMD5"], md5.as_str());
    assert_eq!(v["MessageTag"], "weather");
    assert_eq!(v["SubscriptionName"], "json");
    assert_eq!(v["TopicName"], "news");

    // SIMPLIFIED: the body as published.
    let simple = drain(&s, "qs").await;
    assert_eq!(
        simple.iter().map(|b| unescape(b)).collect::<Vec<_>>(),
        vec![plain]
    );

    // The filtered subscription got nothing for tag "weather", and gets "sports".
    assert!(drain(&s, "qf").await.is_empty());
    assert_eq!(
        publish(&s, "news", "goal", Some("sports")).await.status,
        201
    );
    assert_eq!(drain(&s, "qf").await, vec!["goal"]);
    // An untagged message does not pass a filter either.
    assert_eq!(publish(&s, "news", "untagged", None).await.status, 201);
    assert!(drain(&s, "qf").await.is_empty());
    assert_eq!(drain(&s, "qs").await, vec!["goal", "untagged"]);

    // A subscription made later gets only later messages.
    assert_eq!(
        subscribe(
            &s,
            "news",
            "late",
            &queue_endpoint("qlate"),
            "<NotifyContentFormat>SIMPLIFIED</NotifyContentFormat>"
        )
        .await
        .status,
        201
    );
    assert_eq!(publish(&s, "news", "after", None).await.status, 201);
    assert_eq!(drain(&s, "qlate").await, vec!["after"]);

    // A subscription whose queue is gone loses its notifications; the others still get theirs.
    assert_eq!(
        s.req(Form::Mns, "DELETE", Form::Mns.queue("qj"), "")
            .await
            .status,
        204
    );
    assert_eq!(publish(&s, "news", "still", None).await.status, 201);
    assert_eq!(drain(&s, "qs").await.len(), 2); // "after" and "still"
}

#[tokio::test]
async fn endpoints_polyq_cannot_serve_are_kept_but_get_nothing() {
    let s = start_dev().await;
    assert_eq!(create_topic(&s, "odd", "").await.status, 201);
    assert_eq!(s.create(Form::Mns, "qok").await.status, 201);
    // What SDKs build from a local endpoint with a port (PHP: region empty, the port in the
    // account field) is a queue endpoint like any other.
    let built = "acs:mns::localhost:9324:queues/qok";
    let r = subscribe(
        &s,
        "odd",
        "port",
        built,
        "<NotifyContentFormat>SIMPLIFIED</NotifyContentFormat>",
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Documented kinds polyq does not deliver to: subscribed (and shown), never delivered.
    for (name, endpoint) in [
        ("mail", "mail:directmail:someone@example.com"),
        ("sms", "sms:directsms:anonymous"),
    ] {
        let r = subscribe(&s, "odd", name, endpoint, "").await;
        assert_eq!(r.status, 201, "{endpoint}: {}", r.body);
        let get = s.req(Form::Mns, "GET", sub_path("odd", name), "").await;
        assert_eq!(get.field("Endpoint").as_deref(), Some(endpoint));
    }
    assert_eq!(publish(&s, "odd", "hello", None).await.status, 201);
    assert_eq!(drain(&s, "qok").await, vec!["hello"]);
    // Nothing waits for them either: their internal queues stay empty.
    for name in ["mail", "sms"] {
        let info = s
            .service
            .internal()
            .get_queue(&format!("~mns-sub~odd~{name}"))
            .await
            .unwrap();
        assert_eq!(info.stats.visible + info.stats.in_flight, 0, "{name}");
    }
}

#[tokio::test]
async fn publish_carries_user_properties_to_queues() {
    let s = start_dev().await;
    assert_eq!(create_topic(&s, "props", "").await.status, 201);
    assert_eq!(s.create(Form::Mns, "qp").await.status, 201);
    assert_eq!(
        subscribe(
            &s,
            "props",
            "p",
            &queue_endpoint("qp"),
            "<NotifyContentFormat>SIMPLIFIED</NotifyContentFormat>"
        )
        .await
        .status,
        201
    );
    let doc = format!(
        "<Message {NS}><MessageBody>x</MessageBody><UserProperties><PropertyValue><Name>color</Name><Value>red</Value><Type>STRING</Type></PropertyValue></UserProperties></Message>"
    );
    let r = s
        .req(Form::Mns, "POST", "/topics/props/messages", &doc)
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let got = s.req(Form::Mns, "GET", Form::Mns.messages("qp"), "").await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert!(got.body.contains("<Name>color</Name>"), "{}", got.body);
    assert!(got.body.contains("<Value>red</Value>"), "{}", got.body);
}

#[tokio::test]
async fn publish_errors() {
    let s = start_dev().await;
    let r = publish(&s, "missing", "x", None).await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (404, Some("TopicNotExist"))
    );
    assert_eq!(
        create_topic(
            &s,
            "small",
            "<Topic><MaximumMessageSize>1024</MaximumMessageSize></Topic>"
        )
        .await
        .status,
        201
    );
    assert_eq!(
        publish(&s, "small", &"b".repeat(1024), None).await.status,
        201
    );
    let big = publish(&s, "small", &"b".repeat(1025), None).await;
    assert_eq!(big.code().as_deref(), Some("InvalidArgument"));
    assert_eq!(
        big.field("Message").as_deref(),
        Some("The value of MessageBody should between 1 and 1024 bytes.")
    );
    let empty = publish(&s, "small", "", None).await;
    assert_eq!(empty.code().as_deref(), Some("InvalidArgument"));
    let tag = publish(&s, "small", "x", Some(&"t".repeat(17))).await;
    assert_eq!(tag.code().as_deref(), Some("InvalidArgument"));
    assert_eq!(
        publish(&s, "small", "x", Some(&"t".repeat(16)))
            .await
            .status,
        201
    );
    let no_body = s
        .req(
            Form::Mns,
            "POST",
            "/topics/small/messages",
            "<Message><MessageTag>a</MessageTag></Message>",
        )
        .await;
    assert_eq!(no_body.code().as_deref(), Some("InvalidArgument"));
    let wrong_root = s
        .req(Form::Mns, "POST", "/topics/small/messages", "<Messages/>")
        .await;
    assert_eq!(wrong_root.code().as_deref(), Some("InvalidArgument"));
    let malformed = s
        .req(Form::Mns, "POST", "/topics/small/messages", "<Message>")
        .await;
    assert_eq!(malformed.code().as_deref(), Some("MalformedXML"));
}

/// One request an endpoint received.
#[derive(Debug, Clone)]
struct Pushed {
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Pushed {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A minimal HTTP endpoint on loopback: records each request and answers the given statuses
/// in turn (204 once they run out).
async fn endpoint(statuses: Vec<u16>) -> (String, Arc<Mutex<Vec<Pushed>>>) {
    endpoint_after(Duration::ZERO, statuses).await
}

/// [`endpoint`], answering each request `delay` after recording it.
async fn endpoint_after(delay: Duration, statuses: Vec<u16>) -> (String, Arc<Mutex<Vec<Pushed>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let statuses = Arc::new(Mutex::new(VecDeque::from(statuses)));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head_end, length) = loop {
                let n = conn.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break (None, 0);
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..i]).to_string();
                    let length = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    break (Some(i + 4), length);
                }
            };
            let Some(head_end) = head_end else { continue };
            while buf.len() < head_end + length {
                let n = conn.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let head = String::from_utf8_lossy(&buf[..head_end - 4]).to_string();
            let mut lines = head.lines();
            let path = lines
                .next()
                .and_then(|l| l.split(' ').nth(1))
                .unwrap_or("")
                .to_string();
            let headers = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect();
            let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
            record.lock().unwrap().push(Pushed {
                path,
                headers,
                body,
            });
            let status = statuses.lock().unwrap().pop_front().unwrap_or(204);
            tokio::time::sleep(delay).await;
            let answer =
                format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = conn.write_all(answer.as_bytes()).await;
        }
    });
    (format!("http://{addr}"), seen)
}

/// Waits (at most `limit`) until `seen` holds `n` requests.
async fn wait_for(seen: &Arc<Mutex<Vec<Pushed>>>, n: usize, limit: Duration) -> Vec<Pushed> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let now = seen.lock().unwrap().clone();
        if now.len() >= n || tokio::time::Instant::now() >= deadline {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn http_endpoints_are_pushed_to() {
    let s = start_dev().await;
    let (base, seen) = endpoint(vec![]).await;
    assert_eq!(create_topic(&s, "pushy", "").await.status, 201);
    // No path: MNS posts to /notifications.
    assert_eq!(subscribe(&s, "pushy", "bare", &base, "").await.status, 201);
    let with_path = format!("{base}/hooks/mns?k=v");
    assert_eq!(
        subscribe(
            &s,
            "pushy",
            "pathed",
            &with_path,
            "<NotifyContentFormat>SIMPLIFIED</NotifyContentFormat>"
        )
        .await
        .status,
        201
    );
    let r = publish(&s, "pushy", "ping &amp; pong", Some("t1")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.field("MessageId").unwrap();

    let got = wait_for(&seen, 2, Duration::from_secs(15)).await;
    assert_eq!(got.len(), 2, "{got:?}");
    let xml = got
        .iter()
        .find(|p| p.path == "/notifications")
        .expect("bare endpoint");
    assert_eq!(xml.header("content-type"), Some("text/xml;charset=utf-8"));
    assert_eq!(xml.header("x-mns-message-id"), Some(id.as_str()));
    assert_eq!(xml.header("x-mns-message-tag"), Some("t1"));
    for (name, value) in [
        ("x-mns-topic-owner", "1234567890"),
        ("x-mns-subscriber", "1234567890"),
        ("x-mns-topic-name", "pushy"),
        ("x-mns-subscription-name", "bare"),
        ("user-agent", "Aliyun Notification Service Agent"),
    ] {
        assert_eq!(xml.header(name), Some(value), "{name}");
    }
    assert_eq!(
        xml.header("content-md5"),
        Some(hex::encode_upper(md5::Md5::digest(xml.body.as_bytes())).as_str())
    );
    let published: u64 = xml.header("x-mns-publish-time").unwrap().parse().unwrap();
    assert_eq!(Some(published.to_string()), field(&xml.body, "PublishTime"));
    let request_id = xml.header("x-mns-request-id").unwrap();
    assert_eq!(request_id.len(), 24, "{request_id}");
    assert!(request_id
        .bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()));
    assert!(xml.header("date").is_some());
    assert_eq!(
        field(&xml.body, "SubscriptionName").as_deref(),
        Some("bare")
    );
    assert_eq!(field(&xml.body, "MessageId").as_deref(), Some(id.as_str()));
    assert_eq!(
        field(&xml.body, "Message").map(|m| unescape(&m)).as_deref(),
        Some("ping & pong")
    );
    let simple = got
        .iter()
        .find(|p| p.path == "/hooks/mns?k=v")
        .expect("pathed endpoint");
    assert_eq!(simple.body, "ping & pong");
    assert_eq!(simple.header("x-mns-message-id"), Some(id.as_str()));

    // Delivered notifications are gone: nothing more arrives.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(seen.lock().unwrap().len(), 2);
}

/// The push's string-to-sign, written out independently of the server's code: as the Python
/// SDK's endpoint sample builds it (method, Content-MD5, Content-Type, Date, the sorted
/// `name:value` lines of the x-mns-* headers, then the request target).
fn push_string_to_sign(p: &Pushed) -> String {
    let mut vendor: Vec<String> = p
        .headers
        .iter()
        .filter(|(k, _)| k.starts_with("x-mns-"))
        .map(|(k, v)| format!("{k}:{v}"))
        .collect();
    vendor.sort();
    format!(
        "POST\n{}\n{}\n{}\n{}\n{}",
        p.header("content-md5").unwrap_or(""),
        p.header("content-type").unwrap_or(""),
        p.header("date").unwrap_or(""),
        vendor.join("\n"),
        p.path
    )
}

#[tokio::test]
async fn pushes_are_signed_for_the_served_certificate() {
    use base64::Engine;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;
    use x509_cert::der::referenced::OwnedToRef;
    use x509_cert::der::DecodePem;

    let s = start_dev().await;
    let (base, seen) = endpoint(vec![]).await;
    assert_eq!(create_topic(&s, "signed", "").await.status, 201);
    for (name, format) in [("x", "XML"), ("simple", "SIMPLIFIED")] {
        let extra = format!("<NotifyContentFormat>{format}</NotifyContentFormat>");
        let r = subscribe(&s, "signed", name, &format!("{base}/{name}?q=1"), &extra).await;
        assert_eq!(r.status, 201);
    }
    assert_eq!(
        publish(&s, "signed", "sign me", Some("t")).await.status,
        201
    );
    let got = wait_for(&seen, 2, Duration::from_secs(15)).await;
    assert_eq!(got.len(), 2, "{got:?}");

    let b64 = base64::engine::general_purpose::STANDARD;
    let cert =
        x509_cert::Certificate::from_pem(polyq_mns::push_signing::certificate_pem().unwrap())
            .unwrap();
    let spki = cert.tbs_certificate().subject_public_key_info();
    let key =
        VerifyingKey::<sha1::Sha1>::new(rsa::PublicKey::try_from(spki.owned_to_ref()).unwrap());
    for p in &got {
        let url = b64
            .decode(
                p.header("x-mns-signing-cert-url")
                    .expect("a certificate URL"),
            )
            .unwrap();
        assert_eq!(
            String::from_utf8(url).unwrap(),
            format!("{}/_polyq/mns-signing-cert.pem", s.base)
        );
        let signature = b64
            .decode(p.header("authorization").expect("a signature"))
            .unwrap();
        let signature = Signature::try_from(signature.as_slice()).unwrap();
        key.verify(push_string_to_sign(p).as_bytes(), &signature)
            .unwrap_or_else(|e| panic!("{}: {e}", p.path));
        // The signature covers the body's MD5 and the headers: a changed one fails.
        let mut tampered = p.clone();
        tampered.headers.retain(|(k, _)| k != "x-mns-message-tag");
        assert!(key
            .verify(push_string_to_sign(&tampered).as_bytes(), &signature)
            .is_err());
    }
}

#[tokio::test]
async fn failed_pushes_are_retried_by_the_strategy() {
    let s = start_dev().await;
    // Two failures (a 500, then a 403) before a 204.
    let (base, seen) = endpoint(vec![500, 403]).await;
    assert_eq!(create_topic(&s, "retry", "").await.status, 201);
    assert_eq!(
        subscribe(
            &s,
            "retry",
            "r",
            &format!("{base}/n"),
            "<NotifyStrategy>EXPONENTIAL_DECAY_RETRY</NotifyStrategy>"
        )
        .await
        .status,
        201
    );
    let r = publish(&s, "retry", "again", None).await;
    assert_eq!(r.status, 201);
    let id = r.field("MessageId").unwrap();
    // EXPONENTIAL_DECAY_RETRY waits 1 s, then 2 s: three attempts within a few seconds.
    let got = wait_for(&seen, 3, Duration::from_secs(20)).await;
    assert_eq!(got.len(), 3, "{got:?}");
    for p in &got {
        assert_eq!(p.header("x-mns-message-id"), Some(id.as_str()));
        assert_eq!(field(&p.body, "Message").as_deref(), Some("again"));
    }
    // The third answer was a success: no fourth attempt.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(seen.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn an_unreachable_endpoint_does_not_hold_up_others() {
    let s = start_dev().await;
    // Port 9 (discard) on loopback: nothing listens there, the connection is refused.
    let (base, seen) = endpoint(vec![]).await;
    assert_eq!(create_topic(&s, "mixed", "").await.status, 201);
    assert_eq!(
        subscribe(&s, "mixed", "dead", "http://127.0.0.1:9/x", "")
            .await
            .status,
        201
    );
    assert_eq!(subscribe(&s, "mixed", "live", &base, "").await.status, 201);
    assert_eq!(publish(&s, "mixed", "m1", None).await.status, 201);
    let got = wait_for(&seen, 1, Duration::from_secs(15)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        field(&got[0].body, "SubscriptionName").as_deref(),
        Some("live")
    );
}

/// An endpoint that takes every push and never answers; counts the connections polyq gave
/// up on (closed after its 5-second push timeout).
async fn silent_endpoint() -> (String, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let closed = Arc::new(Mutex::new(0));
    let count = closed.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                let mut chunk = [0u8; 4096];
                while conn.read(&mut chunk).await.is_ok_and(|n| n > 0) {}
                *count.lock().unwrap() += 1;
            });
        }
    });
    (format!("http://{addr}"), closed)
}

#[tokio::test]
async fn a_slow_endpoint_does_not_hold_up_other_subscriptions() {
    // Each subscription is pushed on its own: three endpoints that never answer (each push
    // fails only after 5 s) do not delay a fourth, even though a look at the subscriptions
    // finds the silent ones first (they sort first).
    let s = start_dev().await;
    let (silent, gave_up) = silent_endpoint().await;
    for t in ["a-silent-1", "a-silent-2", "a-silent-3"] {
        assert_eq!(create_topic(&s, t, "").await.status, 201);
        assert_eq!(subscribe(&s, t, "s", &silent, "").await.status, 201);
        assert_eq!(publish(&s, t, "slow", None).await.status, 201);
    }
    let (live, seen) = endpoint(vec![]).await;
    assert_eq!(create_topic(&s, "z-live", "").await.status, 201);
    assert_eq!(subscribe(&s, "z-live", "s", &live, "").await.status, 201);
    assert_eq!(publish(&s, "z-live", "quick", None).await.status, 201);
    let got = wait_for(&seen, 1, Duration::from_secs(30)).await;
    let given_up_before = *gave_up.lock().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(field(&got[0].body, "Message").as_deref(), Some("quick"));
    // Pushed one after another, the live push would come after all three had timed out.
    assert!(
        given_up_before < 3,
        "{given_up_before} silent pushes timed out first"
    );
}

/// A shutdown lets the pushes in progress finish: the notification being pushed to a slow
/// endpoint is delivered and deleted, not left leased to be pushed again after a restart
/// (found by an operator's audit, which saw pushes cut at SIGTERM come twice); and no new
/// push starts.
#[tokio::test]
async fn a_shutdown_lets_pushes_in_progress_finish() {
    let s = start_dev().await;
    let (slow, seen) = endpoint_after(Duration::from_secs(1), vec![]).await;
    assert_eq!(create_topic(&s, "closing", "").await.status, 201);
    assert_eq!(subscribe(&s, "closing", "s", &slow, "").await.status, 201);
    assert_eq!(publish(&s, "closing", "in flight", None).await.status, 201);
    // Recorded as it arrives; answered a second later.
    assert_eq!(wait_for(&seen, 1, Duration::from_secs(20)).await.len(), 1);
    s.service.begin_shutdown();
    tokio::time::timeout(Duration::from_secs(20), s.service.background_idle())
        .await
        .expect("the push in progress ends");
    let left: u64 = s
        .service
        .internal()
        .list_queues("~", None, 100)
        .await
        .unwrap()
        .iter()
        .map(|q| q.stats.visible + q.stats.in_flight)
        .sum();
    assert_eq!(left, 0, "the delivered notification is deleted");
    // Published now, it waits for the next start.
    assert_eq!(publish(&s, "closing", "later", None).await.status, 201);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "no push after the shutdown began"
    );
}

/// A Subscribe racing a DeleteTopic never leaves its subscription behind for a later topic of
/// the same name. The race, made exact with a gate in the store: the Subscribe has found its
/// topic and is about to create the subscription when the topic is deleted (DeleteTopic finds
/// no subscription to remove); then the creation goes through.
#[tokio::test]
async fn a_subscribe_racing_a_topic_delete_leaves_nothing_behind() {
    let store = Arc::new(FaultyStore::new(Arc::new(MemoryStore::new())));
    let service = Arc::new(QueueService::new(store.clone(), Arc::new(SystemClock)));
    let s = start_on(service, Default::default()).await;
    assert_eq!(create_topic(&s, "news", "").await.status, 201);
    let gate = store.gate_creates("~mns-sub~");
    let endpoint = queue_endpoint("inbox");
    let sub = subscribe(&s, "news", "s", &endpoint, "");
    let race = async {
        gate.reached().await;
        let del = s.req(Form::Mns, "DELETE", topic("news"), "").await;
        assert_eq!(del.status, 204, "{}", del.body);
        gate.open_once();
    };
    let (sub, ()) = tokio::join!(sub, race);
    assert_eq!(sub.status, 404, "{}", sub.body);
    assert_eq!(field(&sub.body, "Code").as_deref(), Some("TopicNotExist"));

    // A new topic of the same name starts without subscriptions.
    assert_eq!(create_topic(&s, "news", "").await.status, 201);
    let r = s
        .req(
            Form::Mns,
            "GET",
            format!("{}/subscriptions", topic("news")),
            "",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!r.body.contains("<SubscriptionURL>"), "{}", r.body);
    let left = s
        .service
        .internal()
        .list_queues("~mns-sub~", None, usize::MAX)
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}
