//! A `GET` on a queue URL that names no operation: what AWS answers (404 with the bare
//! `<UnknownOperationException/>`), given through `Dialect::undetected` so that the router asks
//! only after every dialect's detection said no.

mod common;

use common::{dialect, request};

#[tokio::test]
async fn get_on_a_queue_url_without_an_action_is_an_unknown_operation() {
    let d = dialect();
    for uri in [
        "/000000000000/myqueue",
        "/123456789012/other-queue.fifo",
        "/000000000000/myqueue?Foo=bar",
    ] {
        let req = request("GET", uri, &[], "");
        assert!(!d.detect(&req), "{uri}: must stay undetected");
        let resp = d.undetected(&req).expect(uri);
        assert_eq!(resp.status().as_u16(), 404, "{uri}");
        assert_eq!(resp.headers()["content-type"], "text/xml", "{uri}");
        assert_eq!(resp.headers()["x-amzn-requestid"], "req-1", "{uri}");
        assert_eq!(&resp.body()[..], b"<UnknownOperationException/>", "{uri}");
    }
}

#[tokio::test]
async fn requests_of_other_shapes_get_no_sqs_answer() {
    let d = dialect();
    for (method, uri) in [
        // Other methods, and paths that are not `/{account}/{queue}`.
        ("DELETE", "/000000000000/myqueue"),
        ("POST", "/devstoreaccount1/myqueue/messages"),
        ("POST", "/queues/myqueue/messages"),
        ("POST", "/queue/a/b"),
        ("GET", "/"),
        ("GET", "/000000000000"),
        ("GET", "/000000000000/"),
        ("GET", "/000000000000/myqueue/extra"),
        // Azure and MNS shapes (their own detection needs their headers; without them the
        // request stays polyq's "could not tell" 400).
        ("GET", "/devstoreaccount1/myqueue?comp=metadata"),
        ("GET", "/devstoreaccount1/myqueue/messages"),
        ("GET", "/queues/myqueue"),
    ] {
        let req = request(method, uri, &[], "");
        assert!(d.undetected(&req).is_none(), "{method} {uri}");
    }
}

#[tokio::test]
async fn post_without_an_action_is_missing_action() {
    // ElasticMQ's suite: `POST /queue/lol` with nothing → 400 with `<Code>MissingAction</Code>`.
    let d = dialect();
    for (uri, headers) in [
        ("/queue/lol", vec![]),
        ("/", vec![]),
        ("/000000000000/myqueue", vec![]),
        (
            "/123456789012/q.fifo",
            vec![("content-type", "application/x-www-form-urlencoded")],
        ),
    ] {
        let req = request("POST", uri, &headers, "Version=2012-11-05");
        assert!(!d.detect(&req), "{uri}: must stay undetected");
        let resp = d.undetected(&req).expect(uri);
        assert_eq!(resp.status().as_u16(), 400, "{uri}");
        assert_eq!(resp.headers()["content-type"], "text/xml", "{uri}");
        assert_eq!(resp.headers()["x-amzn-requestid"], "req-1", "{uri}");
        assert_eq!(
            resp.headers()["x-amzn-query-error"],
            "MissingAction;Sender",
            "{uri}"
        );
        let body = String::from_utf8(resp.body().to_vec()).unwrap();
        assert!(body.contains("<Code>MissingAction</Code>"), "{uri}: {body}");
        assert!(body.contains("<Type>Sender</Type>"), "{uri}: {body}");
    }
    // A form without its Content-Type: the message says that, not that Action is missing.
    let req = request("POST", "/", &[], "Action=ListQueues&Version=2012-11-05");
    let body = String::from_utf8(d.undetected(&req).unwrap().body().to_vec()).unwrap();
    assert!(body.contains("x-www-form-urlencoded"), "{body}");
    // A JSON body without X-Amz-Target keeps polyq's plain answer.
    let req = request(
        "POST",
        "/",
        &[("content-type", "application/x-amz-json-1.0")],
        "{}",
    );
    assert!(d.undetected(&req).is_none());
}
