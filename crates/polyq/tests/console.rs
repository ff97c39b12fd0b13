//! The web console against the built binary: the page, every route of its JSON API and every
//! error path, that peeking changes nothing, that internal queues stay hidden, and that the
//! console is off in enforce mode.

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{client, start};
use serde_json::{json, Value};

const JSON: &str = "application/json";

/// An answer, read whole.
struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        assert_eq!(
            self.header("content-type"),
            Some(JSON),
            "status {}: {}",
            self.status,
            self.text
        );
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    /// Asserts a JSON error with this status and code and a message; returns the message.
    fn error(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status, status, "{}", self.text);
        let v = self.json();
        assert_eq!(v["error"], code, "{}", self.text);
        let message = v["message"].as_str().unwrap_or_default().to_string();
        assert!(!message.is_empty(), "{}", self.text);
        message
    }
}

struct Console {
    c: reqwest::Client,
    base: String,
}

impl Console {
    fn new(base: &str) -> Self {
        Console {
            c: client(),
            base: base.to_string(),
        }
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self.c.request(method, format!("{}{path}", self.base));
        if let Some(ct) = content_type {
            rb = rb.header("content-type", ct);
        }
        if let Some(b) = body {
            rb = rb.body(b.to_string());
        }
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        Reply {
            status,
            headers,
            text,
        }
    }

    async fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None, None, &[]).await
    }

    /// A state-changing request as the page sends it: JSON content type.
    async fn send(&self, method: &str, path: &str, body: Option<&str>) -> Reply {
        self.call(method, path, Some(JSON), body, &[]).await
    }

    async fn create(&self, name: &str) -> Value {
        let r = self
            .send("PUT", &format!("/_polyq/api/queues/{name}"), None)
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.json()
    }

    async fn send_message(&self, queue: &str, body: Value) -> Reply {
        self.send(
            "POST",
            &format!("/_polyq/api/queues/{queue}/messages"),
            Some(&body.to_string()),
        )
        .await
    }

    async fn queue(&self, name: &str) -> Value {
        let r = self.get(&format!("/_polyq/api/queues/{name}")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()
    }

    async fn stats(&self, name: &str) -> (u64, u64, u64) {
        let q = self.queue(name).await;
        let s = &q["stats"];
        (
            s["visible"].as_u64().unwrap(),
            s["in_flight"].as_u64().unwrap(),
            s["delayed"].as_u64().unwrap(),
        )
    }

    async fn names(&self) -> Vec<String> {
        let r = self.get("/_polyq/api/queues").await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()["queues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["name"].as_str().unwrap().to_string())
            .collect()
    }

    async fn peek(&self, name: &str, max: usize) -> Vec<Value> {
        let r = self
            .get(&format!("/_polyq/api/queues/{name}/messages?max={max}"))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()["messages"].as_array().unwrap().clone()
    }

    /// An SQS JSON-protocol call.
    async fn sqs(&self, action: &str, body: Value) -> Value {
        let r = self
            .call(
                "POST",
                "/",
                Some("application/x-amz-json-1.0"),
                Some(&body.to_string()),
                &[("x-amz-target", &format!("AmazonSQS.{action}"))],
            )
            .await;
        assert_eq!(r.status, 200, "{action}: {}", r.text);
        // Actions without output answer no body at all, as AWS does; SDKs read that as `{}`.
        if r.text.is_empty() {
            return serde_json::json!({});
        }
        serde_json::from_str(&r.text).unwrap()
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[tokio::test]
async fn page_is_self_contained_html_that_uses_the_api() {
    let s = start(&[]);
    assert!(
        s.banner.iter().any(|l| l.contains("/_polyq/console")),
        "{:?}",
        s.banner
    );
    let api = Console::new(&s.base);
    let page = api.get("/_polyq/console").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.text.starts_with("<!doctype html>"));
    for needle in [
        "/_polyq/api/queues",
        "/messages?max=",
        "/purge",
        "\"PUT\"",
        "\"DELETE\"",
        "Content-Type",
        "application/json",
        "<script>",
        "<style>",
    ] {
        assert!(page.text.contains(needle), "page lacks {needle:?}");
    }
    // Nothing is loaded from elsewhere.
    for external in [
        "src=\"http",
        "href=\"http",
        "src=\"//",
        "href=\"//",
        "@import",
    ] {
        assert!(
            !page.text.contains(external),
            "page loads something external: {external:?}"
        );
    }
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(page.header("access-control-allow-origin").is_none());

    // /_polyq and /_polyq/ lead to the page.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in ["/_polyq", "/_polyq/"] {
        let r = no_redirects
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 302, "{path}");
        assert_eq!(r.headers()["location"], "/_polyq/console", "{path}");
        let followed = api.get(path).await;
        assert_eq!(followed.status, 200);
        assert_eq!(followed.text, page.text);
    }

    let post = api
        .call("POST", "/_polyq/console", Some(JSON), None, &[])
        .await;
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET"));
    api.get("/_polyq/elsewhere").await.error(404, "NotFound");
}

#[tokio::test]
async fn queue_lifecycle_through_the_api() {
    let s = start(&[]);
    let api = Console::new(&s.base);
    assert!(api.names().await.is_empty());

    let before = now_ms();
    let q = api.create("orders").await;
    assert_eq!(q["name"], "orders");
    let created = q["created_ms"].as_u64().unwrap();
    assert!(created + 1000 >= before && created <= now_ms() + 1000);
    assert_eq!(q["modified_ms"], q["created_ms"]);
    assert_eq!(
        q["stats"],
        json!({"visible": 0, "in_flight": 0, "delayed": 0})
    );
    assert_eq!(
        q["config"],
        json!({
            "fifo": false,
            "content_based_dedup": false,
            "visibility_timeout": 30,
            "retention_seconds": 345600,
            "delay_seconds": 0,
            "max_message_size": 1048576,
            "receive_wait_seconds": 0,
            "dead_letter": null,
        })
    );
    // Again: 200 with the same queue. A charset parameter is fine; so is `{}`.
    let again = api
        .call(
            "PUT",
            "/_polyq/api/queues/orders",
            Some("application/json; charset=utf-8"),
            Some("{}"),
            &[],
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.json()["created_ms"], q["created_ms"]);

    let fifo = api.create("jobs.fifo").await;
    assert_eq!(fifo["config"]["fifo"], true);
    // Made as SQS's CreateQueue makes a queue: SSE-SQS on, like one the SDK creates.
    for name in ["orders", "jobs.fifo"] {
        let attrs = api
            .sqs(
                "GetQueueAttributes",
                json!({"QueueUrl": format!("{}/000000000000/{name}", s.base), "AttributeNames": ["All"]}),
            )
            .await;
        assert_eq!(
            attrs["Attributes"]["SqsManagedSseEnabled"], "true",
            "{name}: {attrs}"
        );
    }
    assert_eq!(api.names().await, ["jobs.fifo", "orders"]);

    // The queue is an SQS queue like any other; its dead-letter settings show.
    let url = format!("{}/000000000000/orders", s.base);
    api.create("orders-dlq").await;
    api.sqs(
        "SetQueueAttributes",
        json!({"QueueUrl": url, "Attributes": {
            "RedrivePolicy": "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:orders-dlq\",\"maxReceiveCount\":\"3\"}",
            "VisibilityTimeout": "45"}}),
    )
    .await;
    let q = api.queue("orders").await;
    assert_eq!(
        q["config"]["dead_letter"],
        json!({"queue": "orders-dlq", "max_receive_count": 3})
    );
    assert_eq!(q["config"]["visibility_timeout"], 45);

    // Send: one now, one delayed.
    let sent = api
        .send_message("orders", json!({"body": "first <b>ü</b>"}))
        .await;
    assert_eq!(sent.status, 201, "{}", sent.text);
    let first = sent.json();
    assert!(first["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(first["deduplicated"], false);
    let delayed = api
        .send_message("orders", json!({"body": "later", "delay_seconds": 600}))
        .await;
    assert_eq!(delayed.status, 201, "{}", delayed.text);
    let v = delayed.json();
    assert!(v["visible_ms"].as_u64().unwrap() >= v["enqueued_ms"].as_u64().unwrap() + 600_000);
    assert_eq!(api.stats("orders").await, (1, 0, 1));

    // A message with attributes, sent through SQS, peeked through the console.
    api.sqs(
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "third", "MessageAttributes": {
            "color": {"DataType": "String", "StringValue": "blue"},
            "blob": {"DataType": "Binary", "BinaryValue": "AAE="}}}),
    )
    .await;
    let messages = api.peek("orders", 20).await;
    assert_eq!(messages.len(), 2, "{messages:?}");
    let m = &messages[0];
    assert_eq!(m["id"], first["id"]);
    assert_eq!(m["body"], "first <b>ü</b>");
    assert_eq!(m["body_encoding"], "text");
    assert_eq!(m["state"], "ready");
    assert_eq!(m["receive_count"], 0);
    assert_eq!(m["enqueued_ms"], first["enqueued_ms"]);
    assert_eq!(m["sender_id"], "polyq-console");
    let m = &messages[1];
    assert_eq!(m["body"], "third");
    assert_eq!(
        m["attributes"],
        json!({
            "blob": {"type": "Binary", "value": "AAE=", "encoding": "base64"},
            "color": {"type": "String", "value": "blue", "encoding": "text"},
        })
    );

    // Purge, then delete.
    let purged = api
        .send("POST", "/_polyq/api/queues/orders/purge", None)
        .await;
    assert_eq!(purged.status, 200, "{}", purged.text);
    assert_eq!(purged.json(), json!({"purged": 3}));
    assert_eq!(api.stats("orders").await, (0, 0, 0));
    let deleted = api.send("DELETE", "/_polyq/api/queues/orders", None).await;
    assert_eq!(deleted.status, 204);
    assert!(deleted.text.is_empty());
    api.get("/_polyq/api/queues/orders")
        .await
        .error(404, "QueueNotFound");
    api.send("DELETE", "/_polyq/api/queues/orders", None)
        .await
        .error(404, "QueueNotFound");
    assert_eq!(api.names().await, ["jobs.fifo", "orders-dlq"]);
}

#[tokio::test]
async fn sends_follow_the_queue_type() {
    let s = start(&[]);
    let api = Console::new(&s.base);
    api.create("plain").await;
    api.create("jobs.fifo").await;

    let msg = api
        .send_message("jobs.fifo", json!({"body": "x"}))
        .await
        .error(400, "MissingGroupId");
    assert!(msg.contains("group_id"), "{msg}");
    api.send_message(
        "jobs.fifo",
        json!({"body": "x", "group_id": "g", "delay_seconds": 5}),
    )
    .await
    .error(400, "InvalidRequest");
    api.send_message("jobs.fifo", json!({"body": "x", "group_id": ""}))
        .await
        .error(400, "InvalidRequest");
    assert_eq!(api.stats("jobs.fifo").await, (0, 0, 0));

    // Without a dedup id every send is new; with one, the second is swallowed.
    for _ in 0..2 {
        let r = api
            .send_message("jobs.fifo", json!({"body": "same", "group_id": "g"}))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert!(r.json()["sequence_number"].as_u64().is_some());
    }
    let first = api
        .send_message(
            "jobs.fifo",
            json!({"body": "a", "group_id": "g", "dedup_id": "d1"}),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = api
        .send_message(
            "jobs.fifo",
            json!({"body": "b", "group_id": "g", "dedup_id": "d1"}),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.json()["deduplicated"], true);
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(api.stats("jobs.fifo").await, (3, 0, 0));
    let peeked = api.peek("jobs.fifo", 10).await;
    assert_eq!(peeked[2]["group_id"], "g");
    assert_eq!(peeked[2]["dedup_id"], "d1");

    // Under ContentBasedDeduplication a send without an id is deduplicated by its body, as
    // SQS does (the id is the body's SHA-256), also against a send made through SQS.
    let url = format!("{}/000000000000/content.fifo", s.base);
    api.create("content.fifo").await;
    api.sqs(
        "SetQueueAttributes",
        json!({"QueueUrl": url, "Attributes": {"ContentBasedDeduplication": "true"}}),
    )
    .await;
    let by_sqs = api
        .sqs(
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": "same body", "MessageGroupId": "g"}),
        )
        .await;
    let again = api
        .send_message(
            "content.fifo",
            json!({"body": "same body", "group_id": "g"}),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.json()["id"], by_sqs["MessageId"]);
    let other = api
        .send_message(
            "content.fifo",
            json!({"body": "other body", "group_id": "g"}),
        )
        .await;
    assert_eq!(other.status, 201, "{}", other.text);
    assert_eq!(api.stats("content.fifo").await, (2, 0, 0));

    // A standard queue takes no FIFO ids.
    for extra in [json!({"group_id": "g"}), json!({"dedup_id": "d"})] {
        let mut body = json!({"body": "x"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        api.send_message("plain", body)
            .await
            .error(400, "InvalidRequest");
    }
    // Too large for the queue (1 MiB by default).
    api.send_message("plain", json!({"body": "x".repeat(1_048_577)}))
        .await
        .error(400, "MessageTooLarge");
    let r = api
        .send_message("plain", json!({"body": "x".repeat(1_048_576)}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(api.stats("plain").await, (1, 0, 0));
}

#[tokio::test]
async fn peek_changes_nothing() {
    let s = start(&[]);
    let api = Console::new(&s.base);
    api.create("peeked").await;
    for body in ["m1", "m2", "m3"] {
        let r = api.send_message("peeked", json!({ "body": body })).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    for _ in 0..3 {
        let messages = api.peek("peeked", 100).await;
        let bodies: Vec<&str> = messages
            .iter()
            .map(|m| m["body"].as_str().unwrap())
            .collect();
        assert_eq!(bodies, ["m1", "m2", "m3"]);
        assert!(messages.iter().all(|m| m["receive_count"] == 0));
        assert_eq!(api.stats("peeked").await, (3, 0, 0));
    }
    assert_eq!(api.peek("peeked", 2).await.len(), 2);
    assert_eq!(api.peek("peeked", 1).await.len(), 1);
    // The default is 20.
    let r = api.get("/_polyq/api/queues/peeked/messages").await;
    assert_eq!(r.json()["messages"].as_array().unwrap().len(), 3);

    // Receive one for a short while: peek shows the other two.
    let url = format!("{}/000000000000/peeked", s.base);
    let got = api
        .sqs(
            "ReceiveMessage",
            json!({"QueueUrl": url, "MaxNumberOfMessages": 1, "VisibilityTimeout": 1,
                   "AttributeNames": ["ApproximateReceiveCount"]}),
        )
        .await;
    assert_eq!(got["Messages"][0]["Body"], "m1");
    assert_eq!(api.stats("peeked").await, (2, 1, 0));
    let bodies: Vec<Value> = api
        .peek("peeked", 100)
        .await
        .iter()
        .map(|m| m["body"].clone())
        .collect();
    assert_eq!(bodies, ["m2", "m3"]);

    // Once m1 is visible again it shows with one receive, however often it is peeked.
    let deadline = Instant::now() + Duration::from_secs(20);
    let messages = loop {
        let messages = api.peek("peeked", 100).await;
        if messages.len() == 3 {
            break messages;
        }
        assert!(Instant::now() < deadline, "m1 never became visible again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for _ in 0..3 {
        let again = api.peek("peeked", 100).await;
        assert_eq!(again, messages);
    }
    let m1 = messages.iter().find(|m| m["body"] == "m1").unwrap();
    assert_eq!(m1["receive_count"], 1);
    assert!(m1["first_receive_ms"].as_u64().is_some());
    assert_eq!(api.stats("peeked").await, (3, 0, 0));

    // SQS agrees: the peeks were no receives.
    let got = api
        .sqs(
            "ReceiveMessage",
            json!({"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 60,
                   "AttributeNames": ["ApproximateReceiveCount"]}),
        )
        .await;
    let mut counts: Vec<(String, String)> = got["Messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["Body"].as_str().unwrap().to_string(),
                m["Attributes"]["ApproximateReceiveCount"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    counts.sort();
    assert_eq!(
        counts,
        [
            ("m1".to_string(), "2".to_string()),
            ("m2".to_string(), "1".to_string()),
            ("m3".to_string(), "1".to_string())
        ]
    );
}

#[tokio::test]
async fn every_error_is_json_with_a_clear_status() {
    let s = start(&[]);
    let api = Console::new(&s.base);
    api.create("q").await;
    api.send_message("q", json!({"body": "keep"})).await;

    // 400: bad JSON, bad names, unknown or mistyped fields, out-of-range numbers.
    api.send("PUT", "/_polyq/api/queues/x", Some("{"))
        .await
        .error(400, "InvalidJson");
    api.send("PUT", "/_polyq/api/queues/x", Some("[]"))
        .await
        .error(400, "InvalidJson");
    api.send("PUT", "/_polyq/api/queues/x", Some(r#"{"fifo": true}"#))
        .await
        .error(400, "InvalidRequest");
    let long = "a".repeat(81);
    let fifo_long = format!("{}.fifo", "a".repeat(76));
    for name in [
        "bad%20name",
        "dot.name",
        ".fifo",
        "%C3%A9",
        long.as_str(),
        fifo_long.as_str(),
        "~mine",
    ] {
        api.send("PUT", &format!("/_polyq/api/queues/{name}"), None)
            .await
            .error(400, "InvalidQueueName");
    }
    for name in [
        "a".repeat(80),
        format!("{}.fifo", "a".repeat(75)),
        "A-b_9".into(),
    ] {
        let r = api
            .send("PUT", &format!("/_polyq/api/queues/{name}"), None)
            .await;
        assert_eq!(r.status, 201, "{name}: {}", r.text);
    }
    api.get("/_polyq/api/queues/bad%ZZ")
        .await
        .error(400, "InvalidQueueName");
    for max in ["0", "101", "abc", "-1", ""] {
        let msg = api
            .get(&format!("/_polyq/api/queues/q/messages?max={max}"))
            .await
            .error(400, "OutOfRange");
        assert!(msg.contains("1 to 100"), "{msg}");
    }
    for delay in [json!(901), json!(-1)] {
        api.send_message("q", json!({"body": "x", "delay_seconds": delay}))
            .await
            .error(400, "OutOfRange");
    }
    for body in [
        json!({}),
        json!({"body": 5}),
        json!({"body": "x", "delay_seconds": 1.5}),
        json!({"body": "x", "priority": 1}),
    ] {
        api.send_message("q", body)
            .await
            .error(400, "InvalidRequest");
    }
    api.send("POST", "/_polyq/api/queues/q/messages", Some("not json"))
        .await
        .error(400, "InvalidJson");
    api.send(
        "POST",
        "/_polyq/api/queues/q/purge",
        Some(r#"{"all":true}"#),
    )
    .await
    .error(400, "InvalidRequest");
    assert_eq!(api.stats("q").await, (1, 0, 0));

    // 404: missing queues on every route, unknown routes.
    api.get("/_polyq/api/queues/nope")
        .await
        .error(404, "QueueNotFound");
    api.get("/_polyq/api/queues/nope/messages")
        .await
        .error(404, "QueueNotFound");
    api.send_message("nope", json!({"body": "x"}))
        .await
        .error(404, "QueueNotFound");
    api.send("POST", "/_polyq/api/queues/nope/purge", None)
        .await
        .error(404, "QueueNotFound");
    api.send("DELETE", "/_polyq/api/queues/nope", None)
        .await
        .error(404, "QueueNotFound");
    for path in [
        "/_polyq/api/nothing",
        "/_polyq/api/queues/q/other",
        "/_polyq/api/queues/q/messages/1",
        "/_polyq/api/",
    ] {
        api.get(path).await.error(404, "NotFound");
    }

    // 405 with Allow.
    for (method, path, allow) in [
        ("POST", "/_polyq/api/queues", "GET"),
        ("DELETE", "/_polyq/api/queues", "GET"),
        ("PATCH", "/_polyq/api/queues/q", "GET, PUT, DELETE"),
        ("POST", "/_polyq/api/queues/q", "GET, PUT, DELETE"),
        ("GET", "/_polyq/api/queues/q/purge", "POST"),
        ("DELETE", "/_polyq/api/queues/q/messages", "GET, POST"),
        ("OPTIONS", "/_polyq/api/queues/q", "GET, PUT, DELETE"),
    ] {
        let r = api.call(method, path, Some(JSON), None, &[]).await;
        r.error(405, "MethodNotAllowed");
        assert_eq!(r.header("allow"), Some(allow), "{method} {path}");
    }

    // 415: state changes need a JSON content type, and change nothing without one.
    let form = Some("application/x-www-form-urlencoded");
    for (method, path, ct, body) in [
        ("PUT", "/_polyq/api/queues/made", None, None),
        (
            "PUT",
            "/_polyq/api/queues/made",
            Some("text/plain"),
            Some("{}"),
        ),
        ("DELETE", "/_polyq/api/queues/q", None, None),
        ("DELETE", "/_polyq/api/queues/q", form, None),
        ("POST", "/_polyq/api/queues/q/purge", None, None),
        (
            "POST",
            "/_polyq/api/queues/q/purge",
            Some("text/plain"),
            Some("{}"),
        ),
        (
            "POST",
            "/_polyq/api/queues/q/messages",
            form,
            Some("body=x"),
        ),
        (
            "POST",
            "/_polyq/api/queues/q/messages",
            Some("text/plain"),
            Some(r#"{"body":"x"}"#),
        ),
        (
            "POST",
            "/_polyq/api/queues/q/messages",
            Some("multipart/form-data; boundary=x"),
            Some("--x--"),
        ),
    ] {
        let r = api.call(method, path, ct, body, &[]).await;
        let msg = r.error(415, "UnsupportedMediaType");
        assert!(msg.contains("application/json"), "{msg}");
    }
    api.get("/_polyq/api/queues/made")
        .await
        .error(404, "QueueNotFound");
    assert_eq!(api.stats("q").await, (1, 0, 0));

    // No CORS: a cross-site page gets no permission to read or write.
    let origin = [("origin", "http://evil.example")];
    let r = api
        .call("GET", "/_polyq/api/queues", None, None, &origin)
        .await;
    assert_eq!(r.status, 200);
    let preflight = api
        .call(
            "OPTIONS",
            "/_polyq/api/queues/q",
            None,
            None,
            &[
                ("origin", "http://evil.example"),
                ("access-control-request-method", "DELETE"),
                ("access-control-request-headers", "content-type"),
            ],
        )
        .await;
    assert_eq!(preflight.status, 405, "{}", preflight.text);
    for reply in [&r, &preflight] {
        assert!(
            !reply
                .headers
                .keys()
                .any(|k| k.as_str().starts_with("access-control-")),
            "{:?}",
            reply.headers
        );
    }
}

#[tokio::test]
async fn queues_named_back_and_front_are_reachable() {
    // The 2007 SQS REST API claims paths ending in /back or /front; the console's paths are
    // detected before it, plain or %-escaped.
    let s = start(&[]);
    let api = Console::new(&s.base);
    for (name, escaped) in [("back", "back"), ("front", "%66ront")] {
        let r = api
            .send("PUT", &format!("/_polyq/api/queues/{escaped}"), None)
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.json()["name"], name);
        assert_eq!(api.queue(escaped).await["name"], name);
        let sent = api.send_message(name, json!({"body": name})).await;
        assert_eq!(sent.status, 201, "{}", sent.text);
        assert_eq!(api.peek(name, 5).await[0]["body"], name);
        let r = api
            .send("DELETE", &format!("/_polyq/api/queues/{escaped}"), None)
            .await;
        assert_eq!(r.status, 204, "{}", r.text);
    }
}

#[tokio::test]
async fn internal_queues_are_never_listed_or_reachable() {
    let s = start(&[]);
    let api = Console::new(&s.base);
    api.create("visible").await;
    let date = httpdate::fmt_http_date(SystemTime::now());
    let mns = [
        ("x-mns-version", "2015-06-06"),
        ("authorization", "MNS a:b"),
        ("date", date.as_str()),
    ];
    let topic = api
        .call("PUT", "/topics/t", Some("text/xml"), None, &mns)
        .await;
    assert_eq!(topic.status, 201, "{}", topic.text);

    assert_eq!(api.names().await, ["visible"]);
    let list = api.get("/_polyq/api/queues").await;
    assert!(!list.text.contains('~'), "{}", list.text);

    for name in ["~mns-topic~t", "%7Emns-topic~t", "%7emns-topic%7Et"] {
        let path = format!("/_polyq/api/queues/{name}");
        api.get(&path).await.error(404, "QueueNotFound");
        api.get(&format!("{path}/messages"))
            .await
            .error(404, "QueueNotFound");
        api.send("POST", &format!("{path}/messages"), Some(r#"{"body":"x"}"#))
            .await
            .error(404, "QueueNotFound");
        api.send("POST", &format!("{path}/purge"), None)
            .await
            .error(404, "QueueNotFound");
        api.send("DELETE", &path, None)
            .await
            .error(404, "QueueNotFound");
        // Not a name a queue can be created with either.
        api.send("PUT", &path, None)
            .await
            .error(400, "InvalidQueueName");
    }
    // The topic is untouched.
    let date = httpdate::fmt_http_date(SystemTime::now());
    let mns = [
        ("x-mns-version", "2015-06-06"),
        ("authorization", "MNS a:b"),
        ("date", date.as_str()),
    ];
    let topic = api.call("GET", "/topics/t", None, None, &mns).await;
    assert_eq!(topic.status, 200, "{}", topic.text);
}

#[tokio::test]
async fn enforce_mode_turns_the_console_off() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::enforce_config(dir.path());
    let s = start(&["--config", config.to_str().unwrap(), "--auth", "enforce"]);
    assert!(
        !s.banner.iter().any(|l| l.contains("/_polyq/console")),
        "{:?}",
        s.banner
    );
    let api = Console::new(&s.base);
    for (method, path, ct) in [
        ("GET", "/_polyq/console", None),
        ("GET", "/_polyq", None),
        ("GET", "/_polyq/api/queues", None),
        ("PUT", "/_polyq/api/queues/sneaky", Some(JSON)),
        ("POST", "/_polyq/api/queues/sneaky/messages", Some(JSON)),
    ] {
        let r = api
            .call(method, path, ct, Some(r#"{"body":"x"}"#), &[])
            .await;
        assert_eq!(r.status, 403, "{method} {path}: {}", r.text);
        assert!(r.text.contains("enforce"), "{}", r.text);
    }
    // The MNS push signing certificate is public: served in every mode, and only to GET.
    let cert = api
        .call("GET", "/_polyq/mns-signing-cert.pem", None, None, &[])
        .await;
    assert_eq!(cert.status, 200, "{}", cert.text);
    assert!(
        cert.text.starts_with("-----BEGIN CERTIFICATE-----\n"),
        "{}",
        cert.text
    );
    assert!(cert.text.trim_end().ends_with("-----END CERTIFICATE-----"));
    let post = api
        .call(
            "POST",
            "/_polyq/mns-signing-cert.pem",
            Some(JSON),
            Some("{}"),
            &[],
        )
        .await;
    assert_eq!(post.status, 405);
}
