//! Message operations over raw HTTP, in both forms.

mod common;

use std::time::{Duration, Instant};

use common::{start_dev, Form};

const FORMS: [Form; 2] = [Form::Mns, Form::Mqs];

fn msg(body: &str, extra: &str) -> String {
    format!("<Message><MessageBody>{body}</MessageBody>{extra}</Message>")
}

#[tokio::test]
async fn send_receive_delete_with_every_field() {
    let s = start_dev().await;
    for form in FORMS {
        let q = format!("m-{form:?}");
        s.create(form, &q).await;
        let sent = s
            .req(form, "POST", form.messages(&q), &msg("aGVsbG8=", ""))
            .await;
        assert_eq!(sent.status, 201, "{}", sent.body);
        let id = sent.field("MessageId").unwrap();
        assert_eq!(
            sent.field("MessageBodyMD5").as_deref(),
            Some("0733351879B2FA9BD05C7CA3061529C0")
        );

        let before = s.service.now_ms();
        let got = s
            .req(
                form,
                "GET",
                format!("{}?waitseconds=0", form.messages(&q)),
                "",
            )
            .await;
        assert_eq!(got.status, 200, "{}", got.body);
        assert!(got.body.contains("<Message xmlns="));
        assert_eq!(got.field("MessageId"), Some(id));
        assert_eq!(got.field("MessageBody").as_deref(), Some("aGVsbG8="));
        assert_eq!(
            got.field("MessageBodyMD5").as_deref(),
            Some("0733351879B2FA9BD05C7CA3061529C0")
        );
        assert_eq!(got.field("DequeueCount").as_deref(), Some("1"));
        assert_eq!(got.field("Priority").as_deref(), Some("8"));
        let next: u64 = got.field("NextVisibleTime").unwrap().parse().unwrap();
        assert!(
            next >= before + 29_000 && next <= before + 31_000,
            "ms, 30 s ahead: {next}"
        );
        let enq: u64 = got.field("EnqueueTime").unwrap().parse().unwrap();
        let first: u64 = got.field("FirstDequeueTime").unwrap().parse().unwrap();
        assert!(enq <= first && first >= before);
        let handle = got.field("ReceiptHandle").unwrap();

        let empty = s
            .req(
                form,
                "GET",
                format!("{}?waitseconds=0", form.messages(&q)),
                "",
            )
            .await;
        assert_eq!(
            (empty.status, empty.code().as_deref()),
            (404, Some("MessageNotExist"))
        );

        let del = s
            .req(
                form,
                "DELETE",
                format!("{}?ReceiptHandle={handle}", form.messages(&q)),
                "",
            )
            .await;
        assert_eq!(del.status, 204, "{}", del.body);
        let again = s
            .req(
                form,
                "DELETE",
                format!("{}?ReceiptHandle={handle}", form.messages(&q)),
                "",
            )
            .await;
        assert_eq!(again.status, 404);
        let bad = s
            .req(
                form,
                "DELETE",
                format!("{}?ReceiptHandle=1-ODU4OTkz+/==", form.messages(&q)),
                "",
            )
            .await;
        assert_eq!(
            (bad.status, bad.code().as_deref()),
            (400, Some("ReceiptHandleError"))
        );
        let missing = s.req(form, "DELETE", form.messages(&q), "").await;
        assert_eq!(
            (missing.status, missing.code().as_deref()),
            (400, Some("MissingReceiptHandle"))
        );
    }
}

#[tokio::test]
async fn priority_orders_receives_and_delay_overrides_queue() {
    let s = start_dev().await;
    for form in FORMS {
        let q = format!("p-{form:?}");
        s.create(form, &q).await;
        for (body, prio) in [("low", 16), ("mid", 8), ("high", 1)] {
            let r = s
                .req(
                    form,
                    "POST",
                    form.messages(&q),
                    &msg(body, &format!("<Priority>{prio}</Priority>")),
                )
                .await;
            assert_eq!(r.status, 201);
        }
        let got = s
            .req(
                form,
                "GET",
                format!("{}?numOfMessages=16&waitseconds=0", form.messages(&q)),
                "",
            )
            .await;
        assert!(got.body.contains("<Messages xmlns="), "{}", got.body);
        assert_eq!(got.fields("MessageBody"), ["high", "mid", "low"]);
        assert_eq!(got.fields("Priority"), ["1", "8", "16"]);

        // Queue delay 30 s; a message with DelaySeconds 0 overrides it, one without inherits it.
        let dq = format!("d-{form:?}");
        s.req(
            form,
            "PUT",
            form.queue(&dq),
            "<Queue><DelaySeconds>30</DelaySeconds></Queue>",
        )
        .await;
        let delayed = s
            .req(form, "POST", form.messages(&dq), &msg("later", ""))
            .await;
        assert!(
            delayed.field("ReceiptHandle").is_some(),
            "delayed sends return a handle: {}",
            delayed.body
        );
        s.req(
            form,
            "POST",
            form.messages(&dq),
            &msg("now", "<DelaySeconds>0</DelaySeconds>"),
        )
        .await;
        let attrs = s.req(form, "GET", form.queue(&dq), "").await;
        assert_eq!(attrs.field("DelayMessages").as_deref(), Some("1"));
        assert_eq!(attrs.field("ActiveMessages").as_deref(), Some("1"));
        let got = s
            .req(
                form,
                "GET",
                format!("{}?numOfMessages=16&waitseconds=0", form.messages(&dq)),
                "",
            )
            .await;
        assert_eq!(got.fields("MessageBody"), ["now"]);
        let attrs = s.req(form, "GET", form.queue(&dq), "").await;
        assert_eq!(attrs.field("InactiveMessages").as_deref(), Some("1"));
    }
}

#[tokio::test]
async fn send_errors() {
    let s = start_dev().await;
    for form in FORMS {
        let q = format!("e-{form:?}");
        s.req(
            form,
            "PUT",
            form.queue(&q),
            "<Queue><MaximumMessageSize>1024</MaximumMessageSize></Queue>",
        )
        .await;
        let cases = [
            (
                msg("x", "<Priority>17</Priority>"),
                "The value of Priority should between 1 and 16.",
            ),
            (
                msg("x", "<DelaySeconds>604801</DelaySeconds>"),
                "The value of DelaySeconds should between 0 and 604800 seconds.",
            ),
            (
                msg(&"x".repeat(1025), ""),
                "The value of MessageBody should between 1 and 1024 bytes.",
            ),
        ];
        for (doc, text) in cases {
            let r = s.req(form, "POST", form.messages(&q), &doc).await;
            assert_eq!(
                (r.status, r.code().as_deref(), r.field("Message").as_deref()),
                (400, Some("InvalidArgument"), Some(text))
            );
        }
        let r = s
            .req(
                form,
                "POST",
                form.messages(&q),
                "<Message><MessageBody>x</Message>",
            )
            .await;
        assert_eq!((r.status, r.code().as_deref()), (400, Some("MalformedXML")));
        let r = s.send_body(form, "nope", "x").await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (404, Some("QueueNotExist"))
        );
        let r = s
            .req(
                form,
                "GET",
                format!("{}?waitseconds=31", form.messages(&q)),
                "",
            )
            .await;
        assert_eq!(
            r.field("Message").as_deref(),
            Some("The value of waitseconds should between 0 and 30 seconds.")
        );
        let r = s
            .req(
                form,
                "GET",
                format!("{}?numOfMessages=17", form.messages(&q)),
                "",
            )
            .await;
        assert_eq!(r.code().as_deref(), Some("InvalidArgument"));
        let r = s.req(form, "GET", form.messages("nope"), "").await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (404, Some("QueueNotExist"))
        );
    }
}

#[tokio::test]
async fn batch_send_full_and_partial() {
    let s = start_dev().await;
    for form in FORMS {
        let q = format!("b-{form:?}");
        s.create(form, &q).await;
        let doc = format!(
            "<Messages xmlns=\"http://mns.aliyuncs.com/doc/v1/\">{}{}</Messages>",
            msg("one", "<Priority>1</Priority>"),
            msg("two", "")
        );
        let r = s.req(form, "POST", form.messages(&q), &doc).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.fields("MessageId").len(), 2);
        assert_eq!(r.fields("MessageBodyMD5").len(), 2);

        let doc = format!(
            "<Messages>{}{}{}</Messages>",
            msg("ok", ""),
            msg("bad", "<Priority>99</Priority>"),
            msg("ok2", "")
        );
        let r = s.req(form, "POST", form.messages(&q), &doc).await;
        assert_eq!(r.status, 500, "{}", r.body);
        assert_eq!(r.fields("MessageId").len(), 2);
        assert_eq!(r.fields("ErrorCode"), ["InvalidArgument"]);
        // Entries stay in input order: id, error, id.
        let entries: Vec<&str> = r.body.split("<Message>").skip(1).collect();
        assert!(
            entries[0].starts_with("<MessageId>")
                && entries[1].starts_with("<ErrorCode>")
                && entries[2].starts_with("<MessageId>")
        );

        let seventeen = format!("<Messages>{}</Messages>", msg("x", "").repeat(17));
        let r = s.req(form, "POST", form.messages(&q), &seventeen).await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (400, Some("InvalidArgument"))
        );
        let big = format!(
            "<Messages>{}</Messages>",
            msg(&"x".repeat(40_000), "").repeat(2)
        );
        let r = s.req(form, "POST", form.messages(&q), &big).await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (400, Some("InvalidArgument"))
        );
        let attrs = s.req(form, "GET", form.queue(&q), "").await;
        assert_eq!(attrs.field("ActiveMessages").as_deref(), Some("4"));
    }
}

#[tokio::test]
async fn peek_and_batch_peek_change_nothing() {
    let s = start_dev().await;
    for form in FORMS {
        let q = format!("pk-{form:?}");
        s.create(form, &q).await;
        let none = s
            .req(
                form,
                "GET",
                format!("{}?peekonly=true", form.messages(&q)),
                "",
            )
            .await;
        assert_eq!(
            (none.status, none.code().as_deref()),
            (404, Some("MessageNotExist"))
        );
        s.send_body(form, &q, "a").await;
        s.send_body(form, &q, "b").await;
        let one = s
            .req(
                form,
                "GET",
                format!("{}?peekonly=true", form.messages(&q)),
                "",
            )
            .await;
        assert_eq!(one.status, 200);
        assert_eq!(one.field("MessageBody").as_deref(), Some("a"));
        assert_eq!(one.field("FirstDequeueTime").as_deref(), Some("0"));
        assert_eq!(one.field("DequeueCount").as_deref(), Some("0"));
        assert!(one.field("ReceiptHandle").is_none() && one.field("NextVisibleTime").is_none());
        let many = s
            .req(
                form,
                "GET",
                format!("{}?peekonly=true&numOfMessages=16", form.messages(&q)),
                "",
            )
            .await;
        assert_eq!(many.fields("MessageBody"), ["a", "b"]);
        let attrs = s.req(form, "GET", form.queue(&q), "").await;
        assert_eq!(attrs.field("ActiveMessages").as_deref(), Some("2"));
    }
}

#[tokio::test]
async fn batch_delete_with_partial_failure() {
    let s = start_dev().await;
    for form in FORMS {
        let q = format!("bd-{form:?}");
        s.create(form, &q).await;
        for b in ["1", "2", "3"] {
            s.send_body(form, &q, b).await;
        }
        let got = s
            .req(
                form,
                "GET",
                format!("{}?numOfMessages=3", form.messages(&q)),
                "",
            )
            .await;
        let handles = got.fields("ReceiptHandle");
        assert_eq!(handles.len(), 3);
        let doc = format!(
            "<ReceiptHandles xmlns=\"http://mns.aliyuncs.com/doc/v1/\"><ReceiptHandle>{}</ReceiptHandle><ReceiptHandle>{}</ReceiptHandle></ReceiptHandles>",
            handles[0], handles[1]
        );
        assert_eq!(
            s.req(form, "DELETE", form.messages(&q), &doc).await.status,
            204
        );

        let doc = format!(
            "<ReceiptHandles><ReceiptHandle>{}</ReceiptHandle><ReceiptHandle>garbage</ReceiptHandle><ReceiptHandle>{}</ReceiptHandle></ReceiptHandles>",
            handles[2], handles[0]
        );
        let r = s.req(form, "DELETE", form.messages(&q), &doc).await;
        assert_eq!(r.status, 404, "{}", r.body);
        assert!(r.body.contains("<Errors xmlns="));
        assert_eq!(
            r.fields("ReceiptHandle"),
            ["garbage".to_string(), handles[0].clone()]
        );
        assert_eq!(
            r.fields("ErrorCode"),
            ["ReceiptHandleError", "MessageNotExist"]
        );
        let attrs = s.req(form, "GET", form.queue(&q), "").await;
        assert_eq!(
            (
                attrs.field("ActiveMessages").as_deref(),
                attrs.field("InactiveMessages").as_deref()
            ),
            (Some("0"), Some("0"))
        );
    }
}

#[tokio::test]
async fn change_visibility_keeps_the_handle_usable() {
    let s = start_dev().await;
    for form in FORMS {
        let q = format!("cv-{form:?}");
        s.create(form, &q).await;
        s.send_body(form, &q, "x").await;
        let got = s.req(form, "GET", form.messages(&q), "").await;
        let old = got.field("ReceiptHandle").unwrap();
        let before = s.service.now_ms();
        let r = s
            .req(
                form,
                "PUT",
                format!(
                    "{}?ReceiptHandle={old}&VisibilityTimeout=100",
                    form.messages(&q)
                ),
                "",
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let root = if form == Form::Mns {
            "<ChangeVisibility xmlns="
        } else {
            "<Message xmlns="
        };
        assert!(r.body.contains(root), "{}", r.body);
        let new = r.field("ReceiptHandle").unwrap();
        let next: u64 = r.field("NextVisibleTime").unwrap().parse().unwrap();
        assert!(next >= before + 99_000 && next <= before + 101_000);
        // The receive's handle keeps working after the change (Alibaba's PHP suite deletes
        // with it); a second change through it is how SDK wrappers extend a lease.
        let again = s
            .req(
                form,
                "PUT",
                format!(
                    "{}?ReceiptHandle={old}&VisibilityTimeout=100",
                    form.messages(&q)
                ),
                "",
            )
            .await;
        assert_eq!(again.status, 200, "{}", again.body);
        let cases = [
            (
                format!("?ReceiptHandle={new}&VisibilityTimeout=0"),
                "InvalidArgument",
            ),
            (
                format!("?ReceiptHandle={new}&VisibilityTimeout=43201"),
                "InvalidArgument",
            ),
            (format!("?ReceiptHandle={new}"), "MissingVisibilityTimeout"),
            ("?VisibilityTimeout=10".to_string(), "MissingReceiptHandle"),
            (
                "?receiptHandle=zzz&visibilityTimeout=10".to_string(),
                "ReceiptHandleError",
            ),
        ];
        for (query, code) in cases {
            let r = s
                .req(form, "PUT", format!("{}{query}", form.messages(&q)), "")
                .await;
            assert_eq!(
                (r.status, r.code().as_deref()),
                (400, Some(code)),
                "{query}"
            );
        }
        // A 1-second lease makes it receivable again with DequeueCount 2.
        let r = s
            .req(
                form,
                "PUT",
                format!(
                    "{}?ReceiptHandle={new}&VisibilityTimeout=1",
                    form.messages(&q)
                ),
                "",
            )
            .await;
        assert_eq!(r.status, 200);
        let again = s
            .req(
                form,
                "GET",
                format!("{}?waitseconds=3", form.messages(&q)),
                "",
            )
            .await;
        assert_eq!(
            again.field("DequeueCount").as_deref(),
            Some("2"),
            "{}",
            again.body
        );
        // A new receive retires every earlier handle of the message.
        let stale = s
            .req(
                form,
                "DELETE",
                format!("{}?ReceiptHandle={new}", form.messages(&q)),
                "",
            )
            .await;
        assert_eq!(
            (stale.status, stale.code().as_deref()),
            (400, Some("ReceiptHandleError"))
        );
        assert_eq!(
            s.req(
                form,
                "DELETE",
                format!(
                    "{}?ReceiptHandle={}",
                    form.messages(&q),
                    again.field("ReceiptHandle").unwrap()
                ),
                ""
            )
            .await
            .status,
            204
        );
    }
}

#[tokio::test]
async fn long_poll_wakes_on_send_and_honours_queue_wait() {
    let s = start_dev().await;
    let q = "lp";
    s.create(Form::Mns, q).await;
    let base = s.base.clone();
    let sender = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let c = reqwest::Client::new();
        c.post(format!("{base}/queues/lp/messages"))
            .header("x-mns-version", "2015-06-06")
            .body("<Message><MessageBody>late</MessageBody></Message>")
            .send()
            .await
            .unwrap()
            .status()
    });
    let t = Instant::now();
    let got = s
        .req(Form::Mns, "GET", "/queues/lp/messages?waitseconds=10", "")
        .await;
    assert_eq!(
        got.field("MessageBody").as_deref(),
        Some("late"),
        "{}",
        got.body
    );
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(sender.await.unwrap(), 201);

    // The queue's PollingWaitSeconds applies when waitseconds is absent.
    s.req(
        Form::Mns,
        "PUT",
        "/queues/lp?metaoverride=true",
        "<Queue><PollingWaitSeconds>1</PollingWaitSeconds></Queue>",
    )
    .await;
    let t = Instant::now();
    let r = s.req(Form::Mns, "GET", "/queues/lp/messages", "").await;
    assert_eq!(r.code().as_deref(), Some("MessageNotExist"));
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn user_properties_round_trip() {
    let s = start_dev().await;
    s.create(Form::Mns, "props").await;
    let doc = msg(
        "x",
        "<UserProperties><PropertyValue><Name>k</Name><Value>v &amp; w</Value><Type>STRING</Type></PropertyValue>\
<PropertyValue><Name>n</Name><Value>42</Value><Type>NUMBER</Type></PropertyValue></UserProperties>",
    );
    assert_eq!(
        s.req(Form::Mns, "POST", "/queues/props/messages", &doc)
            .await
            .status,
        201
    );
    let got = s.req(Form::Mns, "GET", "/queues/props/messages", "").await;
    assert_eq!(got.fields("Name"), ["k", "n"]);
    assert_eq!(got.fields("Value"), ["v &amp; w", "42"]);
    assert_eq!(got.fields("Type"), ["STRING", "NUMBER"]);
}

#[tokio::test]
async fn message_group_ids_are_kept_and_shown_back() {
    let s = start_dev().await;
    let form = Form::Mns;
    assert_eq!(s.create(form, "groups").await.status, 201);
    let sent = s
        .req(
            form,
            "POST",
            form.messages("groups"),
            &msg("g", "<MessageGroupId>orders-7</MessageGroupId>"),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    assert_eq!(sent.field("MessageGroupId").as_deref(), Some("orders-7"));
    let plain = s
        .req(form, "POST", form.messages("groups"), &msg("p", ""))
        .await;
    assert_eq!(plain.status, 201);
    assert_eq!(plain.field("MessageGroupId"), None);

    let peek = s
        .req(
            form,
            "GET",
            format!("{}?peekonly=true&numOfMessages=16", form.messages("groups")),
            "",
        )
        .await;
    assert_eq!(peek.fields("MessageGroupId"), ["orders-7"], "{}", peek.body);
    let got = s
        .req(
            form,
            "GET",
            format!("{}?numOfMessages=16", form.messages("groups")),
            "",
        )
        .await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.fields("MessageGroupId"), ["orders-7"], "{}", got.body);

    let long = s
        .req(
            form,
            "POST",
            form.messages("groups"),
            &msg(
                "x",
                &format!("<MessageGroupId>{}</MessageGroupId>", "g".repeat(129)),
            ),
        )
        .await;
    assert_eq!(
        long.code().as_deref(),
        Some("InvalidArgument"),
        "{}",
        long.body
    );

    // A batch's 201 answer names each entry's group, as the SDKs' batch readers take it; a
    // partial failure (500) keeps Python's strict {MessageId, MessageBodyMD5} entries.
    let batch = format!(
        "<Messages>{}{}</Messages>",
        msg("b1", "<MessageGroupId>orders-8</MessageGroupId>"),
        msg("b2", "")
    );
    let r = s.req(form, "POST", form.messages("groups"), &batch).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let entries: Vec<&str> = r.body.split("<Message>").skip(1).collect();
    assert_eq!(entries.len(), 2, "{}", r.body);
    assert!(
        entries[0].contains("<MessageGroupId>orders-8</MessageGroupId>"),
        "{}",
        r.body
    );
    assert!(!entries[1].contains("MessageGroupId"), "{}", r.body);
    let mixed = format!(
        "<Messages>{}{}</Messages>",
        msg("b3", "<MessageGroupId>orders-9</MessageGroupId>"),
        msg("bad", "<Priority>99</Priority>")
    );
    let r = s.req(form, "POST", form.messages("groups"), &mixed).await;
    assert_eq!(r.status, 500, "{}", r.body);
    assert_eq!(
        r.fields("MessageGroupId"),
        Vec::<String>::new(),
        "{}",
        r.body
    );
}

fn property(name: &str, value: &str, kind: &str) -> String {
    format!("<PropertyValue><Name>{name}</Name><Value>{value}</Value><Type>{kind}</Type></PropertyValue>")
}

#[tokio::test]
async fn user_properties_limits() {
    let s = start_dev().await;
    let form = Form::Mns;
    // A 1 KiB queue: properties count toward the size limit.
    let created = s
        .req(
            form,
            "PUT",
            form.queue("plimits"),
            "<Queue><MaximumMessageSize>1024</MaximumMessageSize></Queue>",
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let send = |props: String, body: String| {
        let s = &s;
        async move {
            let doc = msg(&body, &format!("<UserProperties>{props}</UserProperties>"));
            s.req(form, "POST", form.messages("plimits"), &doc).await
        }
    };
    let fifty: String = (0..50)
        .map(|i| property(&format!("p{i}"), "v", "STRING"))
        .collect();
    assert_eq!(send(fifty.clone(), "x".into()).await.status, 201);
    let refused = [
        (
            fifty + &property("p50", "v", "STRING"),
            "x".to_string(),
            "count",
        ),
        (
            property(&"n".repeat(257), "v", "STRING"),
            "x".into(),
            "length of property name",
        ),
        (property("a b", "v", "STRING"), "x".into(), "a b is invalid"),
        (property(".a", "v", "STRING"), "x".into(), "is invalid"),
        (property("a.", "v", "STRING"), "x".into(), "is invalid"),
        (property("a..b", "v", "STRING"), "x".into(), "is invalid"),
        (
            property("k", "1", "STRING") + &property("k", "2", "STRING"),
            "x".into(),
            "duplicated",
        ),
        (
            property("big", &"v".repeat(4097), "STRING"),
            "x".into(),
            "value of property big",
        ),
        (
            property("flag", "yes", "BOOLEAN"),
            "x".into(),
            "true or false",
        ),
        (
            property("pad", &"v".repeat(200), "STRING"),
            "x".repeat(1000),
            "total size",
        ),
    ];
    for (props, body, says) in refused {
        let r = send(props, body).await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (400, Some("InvalidArgument")),
            "{says}: {}",
            r.body
        );
        assert!(r.body.contains(says), "{says}: {}", r.body);
    }
    // Allowed at the edges: 256-character names, 4096-character values, every allowed sign.
    let edge = property(&"n".repeat(256), &"v".repeat(4096), "STRING")
        + &property("a-b_c.d9", "true", "BOOLEAN");
    assert_eq!(
        send(edge.clone(), "x".into()).await.status,
        400,
        "over 1 KiB"
    );
    let roomy = s.req(form, "PUT", form.queue("proomy"), "<Queue/>").await;
    assert_eq!(roomy.status, 201);
    let doc = msg("x", &format!("<UserProperties>{edge}</UserProperties>"));
    let r = s.req(form, "POST", form.messages("proomy"), &doc).await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Exactly the queue's 1024 bytes with the body: name 1 + value 1 + type 6 + body 1016.
    let exact = property("k", "v", "STRING");
    assert_eq!(send(exact.clone(), "x".repeat(1016)).await.status, 201);
    assert_eq!(send(exact, "x".repeat(1017)).await.status, 400);
    // Nothing refused was stored.
    let attrs = s.req(form, "GET", form.queue("plimits"), "").await;
    assert_eq!(attrs.field("ActiveMessages").as_deref(), Some("2"));
}
