//! Queue operations over raw HTTP, in the 2015 MNS form and the 2014 MQS form.

mod common;

use common::{start_dev, Form};

const FORMS: [Form; 2] = [Form::Mns, Form::Mqs];

#[tokio::test]
async fn create_get_set_delete_queue() {
    let s = start_dev().await;
    for form in FORMS {
        let q = format!("q-{form:?}");
        let r = s.create(form, &q).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let location = r.header("location").unwrap().to_string();
        assert!(
            location.starts_with(&s.base) && location.ends_with(&form.queue(&q)),
            "{location}"
        );
        assert!(r.header("x-mns-request-id").is_some());
        assert_eq!(
            r.header("server"),
            Some(if form == Form::Mns {
                "AliyunMNS"
            } else {
                "AliyunMQS"
            })
        );

        // Same attributes again: 204 with Location; different: 409 QueueAlreadyExist.
        let again = s.create(form, &q).await;
        assert_eq!(again.status, 204);
        assert_eq!(again.header("location"), Some(location.as_str()));
        let other = s
            .req(
                form,
                "PUT",
                form.queue(&q),
                "<Queue><VisibilityTimeout>99</VisibilityTimeout></Queue>",
            )
            .await;
        assert_eq!(
            (other.status, other.code().as_deref()),
            (409, Some("QueueAlreadyExist"))
        );

        let attrs = s.req(form, "GET", form.queue(&q), "").await;
        assert_eq!(attrs.status, 200, "{}", attrs.body);
        let expect_ns = if form == Form::Mns {
            "http://mns.aliyuncs.com/doc/v1\""
        } else {
            "http://mqs.aliyuncs.com/doc/v1/\""
        };
        assert!(attrs.body.contains(expect_ns), "{}", attrs.body);
        assert_eq!(attrs.field("QueueName").as_deref(), Some(q.as_str()));
        for (k, v) in [
            ("DelaySeconds", "0"),
            ("MaximumMessageSize", "65536"),
            ("VisibilityTimeout", "30"),
            ("PollingWaitSeconds", "0"),
            ("ActiveMessages", "0"),
            ("InactiveMessages", "0"),
            ("DelayMessages", "0"),
            ("LoggingEnabled", "False"),
        ] {
            assert_eq!(attrs.field(k).as_deref(), Some(v), "{k}");
        }
        let retention = if form == Form::Mns {
            "345600"
        } else {
            "259200"
        };
        assert_eq!(
            attrs.field("MessageRetentionPeriod").as_deref(),
            Some(retention)
        );
        let created: u64 = attrs.field("CreateTime").unwrap().parse().unwrap();
        assert!(
            created > 1_600_000_000 && created < 10_000_000_000,
            "seconds, not ms: {created}"
        );
        assert!(attrs.field("LastModifyTime").is_some());

        let set = s
            .req(
                form,
                "PUT",
                format!("{}?metaoverride=true", form.queue(&q)),
                "<Queue xmlns=\"http://mns.aliyuncs.com/doc/v1/\"><VisibilityTimeout>60</VisibilityTimeout><PollingWaitSeconds>3</PollingWaitSeconds><LoggingEnabled>True</LoggingEnabled></Queue>",
            )
            .await;
        assert_eq!(set.status, 204, "{}", set.body);
        let attrs = s.req(form, "GET", form.queue(&q), "").await;
        assert_eq!(attrs.field("VisibilityTimeout").as_deref(), Some("60"));
        assert_eq!(attrs.field("PollingWaitSeconds").as_deref(), Some("3"));
        assert_eq!(attrs.field("LoggingEnabled").as_deref(), Some("True"));

        let bad = s
            .req(
                form,
                "PUT",
                format!("{}?metaoverride=true", form.queue(&q)),
                "<Queue><DelaySeconds>604801</DelaySeconds></Queue>",
            )
            .await;
        assert_eq!(
            (bad.status, bad.code().as_deref()),
            (400, Some("InvalidArgument"))
        );
        assert_eq!(
            bad.field("Message").as_deref(),
            Some("The value of DelaySeconds should between 0 and 604800 seconds.")
        );

        assert_eq!(s.req(form, "DELETE", form.queue(&q), "").await.status, 204);
        let gone = s.req(form, "GET", form.queue(&q), "").await;
        assert_eq!(
            (gone.status, gone.code().as_deref()),
            (404, Some("QueueNotExist"))
        );
        assert_eq!(
            gone.field("Message").as_deref(),
            Some("The queue name you provided is not exist.")
        );
        assert!(gone.field("RequestId").is_some() && gone.field("HostId").is_some());
        assert_eq!(
            gone.field("RequestId").as_deref(),
            gone.header("x-mns-request-id")
        );
        // Deleting again is still 204.
        assert_eq!(s.req(form, "DELETE", form.queue(&q), "").await.status, 204);
        let set_missing = s
            .req(
                form,
                "PUT",
                format!("{}?metaoverride=true", form.queue(&q)),
                "<Queue/>",
            )
            .await;
        assert_eq!(set_missing.code().as_deref(), Some("QueueNotExist"));
    }
}

#[tokio::test]
async fn create_queue_errors() {
    let s = start_dev().await;
    for form in FORMS {
        let r = s.create(form, "bad_name").await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (400, Some("InvalidQueueName"))
        );
        let long = "a".repeat(121);
        assert_eq!(
            s.create(form, &long).await.code().as_deref(),
            Some("QueueNameLengthError")
        );
        let r = s
            .req(
                form,
                "PUT",
                form.queue("okq"),
                "<Queue><VisibilityTimeout>1",
            )
            .await;
        assert_eq!((r.status, r.code().as_deref()), (400, Some("MalformedXML")));
        let r = s
            .req(
                form,
                "PUT",
                form.queue("okq"),
                "<Queue><MaximumMessageSize>100</MaximumMessageSize></Queue>",
            )
            .await;
        assert_eq!(
            r.field("Message").as_deref(),
            Some("The value of MaximumMessageSize should between 1024 and 65536 bytes.")
        );
        let r = s.req(form, "POST", form.queue("okq"), "").await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (400, Some("InvalidRequestURL"))
        );
    }
}

#[tokio::test]
async fn list_queue_pages_with_prefix_marker_and_meta() {
    let s = start_dev().await;
    for form in FORMS {
        let p = format!("list{form:?}-");
        for i in 0..5 {
            assert_eq!(s.create(form, &format!("{p}{i}")).await.status, 201);
        }
        s.create(form, "other").await;
        let page = |marker: Option<String>| {
            let mut c = common::Call::new(form, "GET", form.list())
                .header(&format!("{}prefix", form.prefix()), p.clone())
                .header(&format!("{}ret-number", form.prefix()), "2");
            if let Some(m) = marker {
                c = c.header(&format!("{}marker", form.prefix()), m);
            }
            s.send(c)
        };
        let first = page(None).await;
        assert_eq!(first.status, 200, "{}", first.body);
        assert!(first.body.contains("<Queues xmlns="));
        let urls = first.fields("QueueURL");
        assert_eq!(urls.len(), 2);
        assert!(urls[0].ends_with(&form.queue(&format!("{p}0"))), "{urls:?}");
        let mut marker = first.field("NextMarker");
        let mut seen = urls.len();
        for _ in 0..5 {
            let Some(m) = marker.take() else { break };
            let next = page(Some(m)).await;
            seen += next.fields("QueueURL").len();
            marker = next.field("NextMarker");
        }
        assert_eq!(seen, 5);

        let meta = s
            .send(
                common::Call::new(form, "GET", form.list())
                    .header(&format!("{}prefix", form.prefix()), p.clone())
                    .header(&format!("{}with-meta", form.prefix()), "true"),
            )
            .await;
        assert_eq!(meta.fields("QueueName").len(), 5);
        assert_eq!(meta.fields("VisibilityTimeout").len(), 5);
        assert!(meta.field("NextMarker").is_none());

        let bad = s
            .send(
                common::Call::new(form, "GET", form.list())
                    .header(&format!("{}ret-number", form.prefix()), "1001"),
            )
            .await;
        assert_eq!(
            (bad.status, bad.code().as_deref()),
            (400, Some("InvalidArgument"))
        );
    }
}

#[tokio::test]
async fn account_attributes_are_kept() {
    let s = start_dev().await;
    let get = || s.req(Form::Mns, "GET", "/?accountmeta=true", "");
    let r = get().await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("<LoggingBucket></LoggingBucket>"),
        "{}",
        r.body
    );
    let set = |body: &'static str| s.req(Form::Mns, "PUT", "/?accountmeta=true", body);
    assert_eq!(
        set("<Account><LoggingBucket>my-logs</LoggingBucket></Account>")
            .await
            .status,
        204
    );
    assert_eq!(
        get().await.field("LoggingBucket").as_deref(),
        Some("my-logs")
    );
    // Without the element (or an empty body) the setting stays; an empty one clears it.
    assert_eq!(set("<Account/>").await.status, 204);
    assert_eq!(set("").await.status, 204);
    assert_eq!(
        get().await.field("LoggingBucket").as_deref(),
        Some("my-logs")
    );
    assert_eq!(set("<Account><LoggingBucket/></Account>").await.status, 204);
    assert_eq!(get().await.field("LoggingBucket").as_deref(), Some(""));
    let bad = set("<Queue/>").await;
    assert_eq!(bad.code().as_deref(), Some("InvalidArgument"));
    assert_eq!(
        set("<Account>").await.code().as_deref(),
        Some("MalformedXML")
    );
    // The settings' internal queue is no queue of the user's.
    let list = s.req(Form::Mns, "GET", "/queues", "").await;
    assert!(!list.body.contains("mns-account"), "{}", list.body);
}

#[tokio::test]
async fn queues_created_elsewhere_are_shared() {
    // A queue made through another dialect (here: the core directly, with SQS's defaults).
    let s = start_dev().await;
    s.service
        .create_queue("from_sqs", polyq_core::QueueConfig::default())
        .await
        .unwrap();
    let msg = polyq_core::NewMessage {
        body: bytes::Bytes::from_static(b"sent elsewhere"),
        ..Default::default()
    };
    s.service.send("from_sqs", vec![msg]).await.unwrap();
    let attrs = s.req(Form::Mns, "GET", "/queues/from_sqs", "").await;
    assert_eq!(attrs.status, 200);
    assert_eq!(attrs.field("MaximumMessageSize").as_deref(), Some("65536"));
    let got = s
        .req(Form::Mns, "GET", "/queues/from_sqs/messages", "")
        .await;
    assert_eq!(got.field("MessageBody").as_deref(), Some("sent elsewhere"));
    assert_eq!(got.field("Priority").as_deref(), Some("8"));
    // And an MNS-created queue is a plain core queue with MNS's defaults.
    s.create(Form::Mns, "from-mns").await;
    let info = s.service.get_queue("from-mns").await.unwrap();
    assert_eq!(
        (info.config.max_message_size, info.config.retention_seconds),
        (65_536, 345_600)
    );
}
