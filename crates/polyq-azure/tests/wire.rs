//! Every operation over raw HTTP against an in-process server: status codes, headers and XML
//! documents as Azure defines them.

mod common;

use common::{dev, message_body, Auth, Reply, Server};

const A: &str = "/devstoreaccount1";

#[tokio::test]
async fn common_headers_on_success_and_error() {
    let s = dev().await;
    let r = s
        .send(
            "PUT",
            &format!("{A}/hdrq"),
            &[("x-ms-client-request-id", "abc-123")],
            "",
            Auth::SharedKey,
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.header("x-ms-client-request-id"), "abc-123");
    assert_eq!(r.header("x-ms-version"), "2026-02-06");
    assert!(!r.header("x-ms-request-id").is_empty());
    assert!(r.header("date").ends_with(" GMT"));
    let r = s.ok("GET", &format!("{A}/nosuchq?comp=metadata"), "").await;
    assert_eq!((r.status, r.code()), (404, "QueueNotFound"));
    assert_eq!(r.elem("Code"), "QueueNotFound");
    let message = r.elem("Message");
    assert!(message.starts_with("The specified queue does not exist.\nRequestId:"));
    assert!(message.contains(&format!("RequestId:{}\nTime:", r.header("x-ms-request-id"))));
    assert!(r.header("content-type").starts_with("application/xml"));
}

#[tokio::test]
async fn create_delete_and_metadata() {
    let s = dev().await;
    let meta = [("x-ms-meta-color", "blue")];
    assert_eq!(
        s.send("PUT", &format!("{A}/metaq"), &meta, "", Auth::SharedKey)
            .await
            .status,
        201
    );
    assert_eq!(
        s.send("PUT", &format!("{A}/metaq"), &meta, "", Auth::SharedKey)
            .await
            .status,
        204
    );
    let r = s
        .send(
            "PUT",
            &format!("{A}/metaq"),
            &[("x-ms-meta-color", "red")],
            "",
            Auth::SharedKey,
        )
        .await;
    assert_eq!((r.status, r.code()), (409, "QueueAlreadyExists"));
    s.ok("POST", &format!("{A}/metaq/messages"), &message_body("x"))
        .await;
    let r = s.ok("HEAD", &format!("{A}/metaq?comp=metadata"), "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-ms-approximate-messages-count"), "1");
    assert_eq!(r.header("x-ms-meta-color"), "blue");
    let r = s
        .send(
            "PUT",
            &format!("{A}/metaq?comp=metadata"),
            &[("x-ms-meta-a", "1")],
            "",
            Auth::SharedKey,
        )
        .await;
    assert_eq!(r.status, 204);
    let r = s.ok("GET", &format!("{A}/metaq?comp=metadata"), "").await;
    assert_eq!(
        (r.header("x-ms-meta-a"), r.header("x-ms-meta-color")),
        ("1", "")
    );
    let r = s
        .send(
            "PUT",
            &format!("{A}/metaq?comp=metadata"),
            &[("x-ms-meta-1bad", "1")],
            "",
            Auth::SharedKey,
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "InvalidMetadata"));
    assert_eq!(s.ok("DELETE", &format!("{A}/metaq"), "").await.status, 204);
    assert_eq!(
        s.ok("DELETE", &format!("{A}/metaq"), "").await.code(),
        "QueueNotFound"
    );
    for (name, code) in [
        ("ab", "OutOfRangeInput"),
        ("Abc", "InvalidResourceName"),
        ("a--b", "InvalidResourceName"),
    ] {
        let r = s.ok("PUT", &format!("{A}/{name}"), "").await;
        assert_eq!((r.status, r.code()), (400, code), "{name}");
    }
}

/// List Queues of the case test's queue, with its metadata.
const CASEQ_LISTING: &str = "/devstoreaccount1/?comp=list&prefix=caseq&include=metadata";

#[tokio::test]
async fn metadata_names_keep_the_case_they_were_set_with() {
    let s = dev().await;
    let r = s
        .raw(
            "PUT",
            &format!("{A}/caseq"),
            &[("x-ms-meta-MyKey", "1"), ("X-Ms-Meta-Other", "2")],
        )
        .await;
    assert!(r.starts_with("HTTP/1.1 201"), "{r}");
    for (method, query) in [("GET", "comp=metadata"), ("HEAD", "comp=metadata")] {
        let r = s.raw(method, &format!("{A}/caseq?{query}"), &[]).await;
        assert!(
            r.contains("\r\nx-ms-meta-MyKey: 1\r\n"),
            "{method} {query}: {r}"
        );
        // Whatever spelling arrives is kept: `X-Ms-Meta-Other` is stored as `Other`.
        assert!(
            r.contains("\r\nx-ms-meta-Other: 2\r\n"),
            "{method} {query}: {r}"
        );
        // The names hyper writes itself stay as they were.
        assert!(r.contains("\r\nx-ms-request-id: "), "{r}");
    }
    let r = s.ok("GET", CASEQ_LISTING, "").await;
    assert!(
        r.body
            .contains("<Metadata><MyKey>1</MyKey><Other>2</Other></Metadata>"),
        "{}",
        r.body
    );
    // Names are case-insensitive: creating it again with them spelled otherwise is a no-op.
    let r = s
        .raw(
            "PUT",
            &format!("{A}/caseq"),
            &[("x-ms-meta-mykey", "1"), ("x-ms-meta-OTHER", "2")],
        )
        .await;
    assert!(r.starts_with("HTTP/1.1 204"), "{r}");
    // Two spellings of one name in one request are one name set twice.
    let r = s
        .raw(
            "PUT",
            &format!("{A}/caseq?comp=metadata"),
            &[("x-ms-meta-Dup", "1"), ("x-ms-meta-dup", "2")],
        )
        .await;
    assert!(r.starts_with("HTTP/1.1 400"), "{r}");
    assert!(r.contains("x-ms-error-code: InvalidMetadata"), "{r}");
    // Listed by name without regard to case, as Azure lists them.
    let r = s
        .raw(
            "PUT",
            &format!("{A}/caseq?comp=metadata"),
            &[
                ("x-ms-meta-Zeta", "z"),
                ("x-ms-meta-alpha", "a"),
                ("x-ms-meta-Beta", "b"),
            ],
        )
        .await;
    assert!(r.starts_with("HTTP/1.1 204"), "{r}");
    let r = s.ok("GET", CASEQ_LISTING, "").await;
    assert!(
        r.body
            .contains("<Metadata><alpha>a</alpha><Beta>b</Beta><Zeta>z</Zeta></Metadata>"),
        "{}",
        r.body
    );
    let r = s.raw("GET", &format!("{A}/caseq?comp=metadata"), &[]).await;
    let alpha = r.find("x-ms-meta-alpha").unwrap();
    let beta = r.find("x-ms-meta-Beta").unwrap();
    let zeta = r.find("x-ms-meta-Zeta").unwrap();
    assert!(alpha < beta && beta < zeta, "{r}");
}

#[tokio::test]
async fn x_ms_version_must_be_a_service_version() {
    let s = dev().await;
    for bad in [
        "abc",
        "2008-01-01",
        "2009-09-18",
        "2021-13-01",
        "2021-02-30x",
        "2021-2-3",
    ] {
        let r = s
            .send(
                "PUT",
                &format!("{A}/verq"),
                &[("x-ms-version", bad)],
                "",
                Auth::SharedKey,
            )
            .await;
        assert_eq!((r.status, r.code()), (400, "InvalidHeaderValue"), "{bad}");
        assert!(
            r.body.contains("<HeaderName>x-ms-version</HeaderName>"),
            "{}",
            r.body
        );
        assert!(
            r.body
                .contains(&format!("<HeaderValue>{bad}</HeaderValue>")),
            "{}",
            r.body
        );
        // Not echoed, as Azure leaves the version header off this answer.
        assert_eq!(r.header("x-ms-version"), "", "{bad}");
    }
    // The oldest version, and versions newer than any polyq knows (next year's SDKs), work.
    for good in ["2009-09-19", "2026-02-06", "3025-01-01"] {
        let r = s
            .send(
                "PUT",
                &format!("{A}/verq"),
                &[("x-ms-version", good)],
                "",
                Auth::SharedKey,
            )
            .await;
        assert!(
            matches!(r.status, 201 | 204),
            "{good}: {} {}",
            r.status,
            r.body
        );
    }
}

#[tokio::test]
async fn list_queues_with_paging_and_metadata() {
    let s = dev().await;
    for n in ["lq-a", "lq-b", "lq-c", "other"] {
        s.send(
            "PUT",
            &format!("{A}/{n}"),
            &[("x-ms-meta-n", n)],
            "",
            Auth::SharedKey,
        )
        .await;
    }
    let r = s
        .ok(
            "GET",
            &format!("{A}/?comp=list&prefix=lq-&maxresults=2&include=metadata"),
            "",
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r
        .body
        .contains("<EnumerationResults ServiceEndpoint=\"http://127.0.0.1:"));
    assert_eq!(r.all("Name"), ["lq-a", "lq-b"]);
    assert!(r.body.contains("<Metadata><n>lq-a</n></Metadata>"));
    assert_eq!(r.elem("MaxResults"), "2");
    let marker = r.elem("NextMarker");
    assert!(!marker.is_empty());
    let r = s
        .ok(
            "GET",
            &format!(
                "{A}/?comp=list&prefix=lq-&maxresults=2&marker={}",
                common::enc(&marker)
            ),
            "",
        )
        .await;
    assert_eq!(r.all("Name"), ["lq-c"]);
    assert!(r.body.contains("<NextMarker />"));
    assert!(!r.body.contains("<Metadata>"));
    let r = s
        .ok("GET", &format!("{A}/?comp=list&maxresults=0"), "")
        .await;
    assert_eq!(r.code(), "OutOfRangeQueryParameterValue");
    // A marker polyq could not have given (not `/{account}/{queue}`): Azure's 400.
    for bad in ["garbage", "lq-b", "/otheraccount/lq-b"] {
        let r = s
            .ok(
                "GET",
                &format!("{A}/?comp=list&marker={}", common::enc(bad)),
                "",
            )
            .await;
        assert_eq!((r.status, r.code()), (400, "OutOfRangeInput"), "{bad}");
    }
}

#[tokio::test]
async fn put_get_peek_update_delete_clear() {
    let s = dev().await;
    let q = format!("{A}/msgq");
    s.ok("PUT", &q, "").await;
    let r = s
        .ok(
            "POST",
            &format!("{q}/messages?messagettl=-1"),
            &message_body("a &amp; &lt;b&gt;"),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.elem("ExpirationTime"), "Fri, 31 Dec 9999 23:59:59 GMT");
    let id = r.elem("MessageId");
    let put_receipt = r.elem("PopReceipt");
    assert_eq!(r.elem("InsertionTime"), r.elem("TimeNextVisible"));

    let r = s
        .ok(
            "GET",
            &format!("{q}/messages?peekonly=true&numofmessages=32"),
            "",
        )
        .await;
    assert_eq!(r.elem("MessageText"), "a &amp; &lt;b&gt;");
    assert_eq!(r.elem("DequeueCount"), "0");
    assert!(!r.body.contains("PopReceipt"));

    let r = s
        .ok(
            "GET",
            &format!("{q}/messages?numofmessages=5&visibilitytimeout=60"),
            "",
        )
        .await;
    assert_eq!(r.all("QueueMessage").len(), 1);
    assert_eq!(r.elem("DequeueCount"), "1");
    let receipt = r.elem("PopReceipt");
    assert_ne!(receipt, put_receipt);
    // Invisible now: an empty list.
    let r = s.ok("GET", &format!("{q}/messages"), "").await;
    assert_eq!(
        r.body,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessagesList />"
    );

    // Update with new content; the old receipt is stale afterwards.
    let r = s
        .ok(
            "PUT",
            &format!("{q}/messages/{id}?popreceipt={receipt}&visibilitytimeout=0"),
            &message_body("new"),
        )
        .await;
    assert_eq!(r.status, 204);
    let receipt2 = r.header("x-ms-popreceipt").to_string();
    assert!(r.header("x-ms-time-next-visible").ends_with("GMT"));
    let r = s
        .ok(
            "DELETE",
            &format!("{q}/messages/{id}?popreceipt={receipt}"),
            "",
        )
        .await;
    assert_eq!((r.status, r.code()), (404, "MessageNotFound"));
    let r = s
        .ok("GET", &format!("{q}/messages?peekonly=true"), "")
        .await;
    assert_eq!(r.elem("MessageText"), "new");
    assert_eq!(
        s.ok(
            "DELETE",
            &format!("{q}/messages/{id}?popreceipt={receipt2}"),
            ""
        )
        .await
        .status,
        204
    );

    for i in 0..3 {
        s.ok(
            "POST",
            &format!("{q}/messages"),
            &message_body(&i.to_string()),
        )
        .await;
    }
    assert_eq!(
        s.ok("DELETE", &format!("{q}/messages"), "").await.status,
        204
    );
    let r = s.ok("GET", &format!("{q}?comp=metadata"), "").await;
    assert_eq!(r.header("x-ms-approximate-messages-count"), "0");
}

#[tokio::test]
async fn message_parameter_errors() {
    let s = dev().await;
    let q = format!("{A}/errq");
    s.ok("PUT", &q, "").await;
    let cases = [
        (
            "GET",
            "messages?numofmessages=0",
            400,
            "OutOfRangeQueryParameterValue",
        ),
        (
            "GET",
            "messages?numofmessages=33",
            400,
            "OutOfRangeQueryParameterValue",
        ),
        (
            "GET",
            "messages?visibilitytimeout=0",
            400,
            "OutOfRangeQueryParameterValue",
        ),
        (
            "GET",
            "messages?visibilitytimeout=604801",
            400,
            "OutOfRangeQueryParameterValue",
        ),
        (
            "GET",
            "messages?numofmessages=x",
            400,
            "InvalidQueryParameterValue",
        ),
        (
            "POST",
            "messages?visibilitytimeout=-1",
            400,
            "OutOfRangeQueryParameterValue",
        ),
        (
            "POST",
            "messages?messagettl=0",
            400,
            "InvalidQueryParameterValue",
        ),
        (
            "POST",
            "messages?visibilitytimeout=10&messagettl=10",
            400,
            "InvalidQueryParameterValue",
        ),
        (
            "DELETE",
            "messages/00000000-0000-4000-8000-000000000001",
            400,
            "MissingRequiredQueryParameter",
        ),
        (
            "DELETE",
            "messages/00000000-0000-4000-8000-000000000001?popreceipt=zzz",
            400,
            "InvalidQueryParameterValue",
        ),
        ("PATCH", "messages", 405, "UnsupportedHttpVerb"),
    ];
    for (method, rest, status, code) in cases {
        let r = s
            .ok(method, &format!("{q}/{rest}"), &message_body("x"))
            .await;
        assert_eq!(
            (r.status, r.code()),
            (status, code),
            "{method} {rest}: {}",
            r.body
        );
    }
    let r = s
        .ok(
            "POST",
            &format!("{q}/messages"),
            "<QueueMessage></QueueMessage>",
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "InvalidXmlDocument"));
    let r = s.ok("POST", &format!("{q}/messages"), "not xml").await;
    assert_eq!(r.code(), "InvalidXmlDocument");
    let big = "a".repeat(65_537);
    let r = s
        .ok("POST", &format!("{q}/messages"), &message_body(&big))
        .await;
    assert_eq!((r.status, r.code()), (413, "RequestBodyTooLarge"));
    assert_eq!(r.elem("MaxLimit"), "65536");
    assert_eq!(
        s.ok("POST", &format!("{q}/messages"), &message_body(&big[1..]))
            .await
            .status,
        201
    );
    // The body is checked first, against 128.5 KiB (Azure's recorded `MaxLimit` 131584): a
    // text of 30,000 bytes escaped to 150,000 is refused, and so is a 200,000-byte text.
    for text in ["&amp;".repeat(30_000), "a".repeat(200_000)] {
        let body = format!("<QueueMessage><MessageText>{text}</MessageText></QueueMessage>");
        let r = s.ok("POST", &format!("{q}/messages"), &body).await;
        assert_eq!((r.status, r.code()), (413, "RequestBodyTooLarge"));
        assert_eq!(r.elem("MaxLimit"), "131584");
    }
    // Over the server's own limit (8 MiB) the body is not even read: the same answer, and the
    // connection closed (the rest of the body may still be on its way).
    let huge = format!(
        "<QueueMessage><MessageText>{}</MessageText></QueueMessage>",
        "a".repeat(9 << 20)
    );
    let r = s.ok("POST", &format!("{q}/messages"), &huge).await;
    assert_eq!(
        (r.status, r.code()),
        (413, "RequestBodyTooLarge"),
        "{}",
        r.body
    );
    assert_eq!(r.elem("MaxLimit"), "131584");
    assert_eq!(r.header("connection"), "close");
    assert!(!r.header("x-ms-request-id").is_empty());
    // Escaped text whose body stays within the limit is measured decoded.
    let escaped = "&amp;".repeat(26_000);
    let r = s
        .ok(
            "POST",
            &format!("{q}/messages"),
            &format!("<QueueMessage><MessageText>{escaped}</MessageText></QueueMessage>"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // A receipt of another message: PopReceiptMismatch; update without visibility: missing.
    let a = s
        .ok("POST", &format!("{q}/messages"), &message_body("a"))
        .await;
    let b = s
        .ok("POST", &format!("{q}/messages"), &message_body("b"))
        .await;
    let r = s
        .ok(
            "DELETE",
            &format!(
                "{q}/messages/{}?popreceipt={}",
                a.elem("MessageId"),
                b.elem("PopReceipt")
            ),
            "",
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "PopReceiptMismatch"));
    // ... but with a message id that names no message, the message is not found (every
    // recorded wrong-id case of the SDKs' suites is a 404).
    let r = s
        .ok(
            "DELETE",
            &format!(
                "{q}/messages/00000000-1111-2222-3333-444444444444?popreceipt={}",
                b.elem("PopReceipt")
            ),
            "",
        )
        .await;
    assert_eq!((r.status, r.code()), (404, "MessageNotFound"));
    let r = s
        .ok(
            "PUT",
            &format!(
                "{q}/messages/{}?popreceipt={}",
                a.elem("MessageId"),
                a.elem("PopReceipt")
            ),
            "",
        )
        .await;
    assert_eq!(r.code(), "MissingRequiredQueryParameter");
    let r = s.ok("GET", &format!("{A}/nope/messages"), "").await;
    assert_eq!((r.status, r.code()), (404, "QueueNotFound"));
}

#[tokio::test]
async fn queue_acl_round_trip_and_limits() {
    let s = dev().await;
    let q = format!("{A}/aclq");
    s.ok("PUT", &q, "").await;
    let doc = "<?xml version=\"1.0\" encoding=\"utf-8\"?><SignedIdentifiers><SignedIdentifier><Id>p1</Id><AccessPolicy><Start>2024-01-01T00:00:00Z</Start><Expiry>2099-01-01T00:00:00Z</Expiry><Permission>raup</Permission></AccessPolicy></SignedIdentifier></SignedIdentifiers>";
    assert_eq!(s.ok("PUT", &format!("{q}?comp=acl"), doc).await.status, 204);
    let r = s.ok("GET", &format!("{q}?comp=acl"), "").await;
    // Times come back in Azure's seven-digit form.
    let answered = doc.replace(":00Z<", ":00.0000000Z<");
    assert_eq!((r.status, r.body.as_str()), (200, answered.as_str()));
    let six = format!(
        "<SignedIdentifiers>{}</SignedIdentifiers>",
        "<SignedIdentifier><Id>x</Id><AccessPolicy><Permission>r</Permission></AccessPolicy></SignedIdentifier>".repeat(6)
    );
    let r = s.ok("PUT", &format!("{q}?comp=acl"), &six).await;
    assert_eq!((r.status, r.code()), (400, "InvalidXmlDocument"));
}

#[tokio::test]
async fn service_properties_stats_and_cors() {
    let s = dev().await;
    let r = s
        .ok("GET", &format!("{A}/?restype=service&comp=properties"), "")
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<Logging><Version>1.0</Version>"));
    assert!(r.body.contains("<Cors />") || r.body.contains("<Cors></Cors>"));
    let set = "<StorageServiceProperties><Cors><CorsRule><AllowedOrigins>http://app.example</AllowedOrigins><AllowedMethods>GET,PUT</AllowedMethods><AllowedHeaders>x-ms-*</AllowedHeaders><ExposedHeaders>x-ms-request-id</ExposedHeaders><MaxAgeInSeconds>60</MaxAgeInSeconds></CorsRule></Cors></StorageServiceProperties>";
    assert_eq!(
        s.ok("PUT", &format!("{A}/?restype=service&comp=properties"), set)
            .await
            .status,
        202
    );
    let r = s
        .ok("GET", &format!("{A}/?restype=service&comp=properties"), "")
        .await;
    assert_eq!(r.elem("AllowedOrigins"), "http://app.example");

    let r = s
        .ok("GET", &format!("{A}/?restype=service&comp=stats"), "")
        .await;
    assert_eq!(r.elem("Status"), "live");

    // Preflight: no signature needed.
    let pre = |origin: &'static str, method: &'static str| {
        s.client
            .request(reqwest::Method::OPTIONS, format!("{}{A}/anyq", s.base))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", method)
            .header("Access-Control-Request-Headers", "x-ms-version,x-ms-date")
            .send()
    };
    let r = pre("http://app.example", "PUT").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "http://app.example"
    );
    assert_eq!(r.headers()["access-control-max-age"], "60");
    let r = pre("http://evil.example", "PUT").await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["x-ms-error-code"], "CorsPreflightFailure");
    // An actual request from an allowed origin gets the CORS headers.
    let r = s
        .send(
            "GET",
            &format!("{A}/?comp=list"),
            &[("origin", "http://app.example")],
            "",
            Auth::SharedKey,
        )
        .await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        "http://app.example"
    );
    assert_eq!(r.header("access-control-expose-headers"), "x-ms-request-id");
    assert_eq!(r.header("vary"), "Origin");
}

/// Put Message on queue path `q` (`query` after `/messages`) as a client of service `version`.
async fn put_as(s: &Server, q: &str, query: String, version: &'static str) -> Reply {
    s.send(
        "POST",
        &format!("{q}/messages{query}"),
        &[("x-ms-version", version)],
        &message_body("m"),
        Auth::SharedKey,
    )
    .await
}

#[tokio::test]
async fn before_2017_07_29_a_message_lives_at_most_seven_days() {
    // Put Message's reference: "Prior to version 2017-07-29, the maximum time-to-live allowed
    // is 7 days"; -1 came with 2017-07-29. The storage emulator's recorded answer to 691200
    // under 2014-02-14 is this 400.
    let s = dev().await;
    let q = format!("{A}/oldttl");
    s.ok("PUT", &q, "").await;
    let put = |version, ttl| put_as(&s, &q, format!("?messagettl={ttl}"), version);
    for ttl in ["-1", "604801"] {
        let r = put("2017-04-17", ttl).await;
        assert_eq!(
            (r.status, r.code()),
            (400, "OutOfRangeQueryParameterValue"),
            "{ttl}"
        );
        assert_eq!(r.elem("QueryParameterName"), "messagettl");
        assert_eq!(r.elem("MaximumAllowed"), "604800");
    }
    assert_eq!(put("2017-04-17", "604800").await.status, 201);
    assert_eq!(put("2017-07-29", "-1").await.status, 201);
    assert_eq!(put("2017-07-29", "604801").await.status, 201);
}

#[tokio::test]
async fn before_2016_05_31_put_message_answers_without_a_body() {
    // Put Message's reference: the message (id, pop receipt, times) is in the answer's body
    // from 2016-05-31; earlier clients get 201 alone. The message is stored either way.
    let s = dev().await;
    let q = format!("{A}/oldput");
    s.ok("PUT", &q, "").await;
    let put = |version| put_as(&s, &q, String::new(), version);
    for version in ["2013-08-15", "2015-12-11"] {
        let r = put(version).await;
        assert_eq!((r.status, r.body.as_str()), (201, ""), "{version}");
    }
    let r = put("2016-05-31").await;
    assert_eq!(r.status, 201);
    assert!(!r.elem("PopReceipt").is_empty(), "{}", r.body);
    let peeked = s
        .ok(
            "GET",
            &format!("{q}/messages?peekonly=true&numofmessages=32"),
            "",
        )
        .await;
    assert_eq!(
        peeked.body.matches("<QueueMessage>").count(),
        3,
        "{}",
        peeked.body
    );
}
