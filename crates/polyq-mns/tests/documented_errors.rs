//! Every failure path answers with the code, HTTP status and message text of MNS's error-code
//! catalogue (help.aliyun.com document 27501), in both forms, over raw HTTP.

mod common;

use std::time::{Duration, SystemTime};

use common::{enforce, start, start_dev, Call, Form, Resp, AK, SECRET};

const FORMS: [Form; 2] = [Form::Mns, Form::Mqs];

/// (status, Code, Message) of an error answer, after checking the document has all four parts
/// and that its RequestId is the header's, in MNS's shape (24 upper-case hex digits).
fn error(r: &Resp) -> (u16, String, String) {
    for tag in ["Code", "Message", "RequestId", "HostId"] {
        assert!(r.field(tag).is_some(), "no <{tag}> in {}", r.body);
    }
    let id = r.field("RequestId").unwrap();
    assert_eq!(Some(id.as_str()), r.header("x-mns-request-id"));
    assert!(
        id.len() == 24
            && id
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()),
        "{id}"
    );
    (
        r.status,
        r.code().unwrap_or_default(),
        r.field("Message").unwrap_or_default(),
    )
}

fn expect(status: u16, code: &str, message: &str) -> (u16, String, String) {
    (status, code.to_string(), message.to_string())
}

#[tokio::test]
async fn missing_parameters_use_the_catalogue_texts() {
    let s = start_dev().await;
    for form in FORMS {
        let q = format!("missing-{form:?}");
        s.create(form, &q).await;
        let messages = form.messages(&q);
        let required = expect(400, "MissingReceiptHandle", "ReceiptHandle is required.");
        for (method, target) in [
            ("DELETE", format!("{messages}?ReceiptHandle=")),
            ("DELETE", messages.clone()),
            ("PUT", format!("{messages}?VisibilityTimeout=10")),
        ] {
            let r = s.req(form, method, target.clone(), "").await;
            assert_eq!(error(&r), required, "{method} {target}");
        }
        let r = s
            .req(form, "PUT", format!("{messages}?ReceiptHandle=abc"), "")
            .await;
        assert_eq!(
            error(&r),
            expect(
                400,
                "MissingVisibilityTimeout",
                "VisibilityTimeout is required."
            )
        );
    }
}

#[tokio::test]
async fn queue_names_and_urls_use_the_catalogue_texts() {
    let s = start_dev().await;
    for form in FORMS {
        let r = s.create(form, "bad_name").await;
        assert_eq!(
            error(&r),
            expect(
                400,
                "InvalidQueueName",
                "The queue name you provided is invalid. QueueName should start with alpha and contain only alpha, digit or - ."
            )
        );
        let r = s.create(form, &"q".repeat(257)).await;
        assert_eq!(
            error(&r),
            expect(
                400,
                "QueueNameLengthError",
                "Queue name length should between 1 and 256."
            )
        );
    }
    let url = expect(400, "InvalidRequestURL", "Http request URL format invalid.");
    for (method, target) in [
        ("GET", "/queues/q/messages/extra"),
        ("POST", "/queues/q"),
        ("POST", "/topics/t"),
        ("GET", "/topics/t/other"),
        ("DELETE", "/queues"),
    ] {
        let r = s.req(Form::Mns, method, target, "").await;
        assert_eq!(error(&r), url, "{method} {target}");
    }
    let r = s.req(Form::Mqs, "POST", "/", "").await;
    assert_eq!(error(&r), url);
}

#[tokio::test]
async fn authentication_failures_use_the_catalogue_texts() {
    let s = start(enforce()).await;
    let client = reqwest::Client::new();
    let raw = |headers: Vec<(&'static str, String)>| {
        let mut rb = client
            .get(format!("{}/queues/auth-texts", s.base))
            .header("x-mns-version", "2015-06-06");
        for (k, v) in headers {
            rb = rb.header(k, v);
        }
        async move { Resp::read(rb.send().await.unwrap()).await }
    };
    let now = common::now_date();
    let r = raw(vec![("date", now.clone())]).await;
    assert_eq!(
        error(&r),
        expect(
            400,
            "MissingAuthorizationHeader",
            "Authorization header is required."
        )
    );
    let r = raw(vec![
        ("date", now.clone()),
        ("authorization", "Basic abc".into()),
    ])
    .await;
    assert_eq!(
        error(&r),
        expect(
            400,
            "InvalidAuthorizationHeader",
            "The Authorization header format is invalid."
        )
    );
    let r = raw(vec![("authorization", format!("MNS {AK}:sig"))]).await;
    assert_eq!(
        error(&r),
        expect(400, "MissingDateHeader", "Date header is required.")
    );
    let r = raw(vec![
        ("date", "yesterday".into()),
        ("authorization", format!("MNS {AK}:sig")),
    ])
    .await;
    assert_eq!(
        error(&r),
        expect(
            400,
            "InvalidDateHeader",
            "The Date header format is invalid."
        )
    );

    for form in FORMS {
        let target = form.queue("auth-texts");
        let r = s
            .send(Call::new(form, "GET", target.clone()).signed("nobody", SECRET))
            .await;
        assert_eq!(
            error(&r),
            expect(
                403,
                "InvalidAccessKeyId",
                "The access Id you provided is not exist."
            )
        );
        let r = s
            .send(Call::new(form, "GET", target.clone()).signed(AK, "wrong"))
            .await;
        assert_eq!(
            error(&r),
            expect(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. Check your key and signing method."
            )
        );
        let old = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(20 * 60));
        let r = s
            .send(
                Call::new(form, "GET", target)
                    .header("date", old)
                    .signed(AK, SECRET),
            )
            .await;
        assert_eq!(
            error(&r),
            expect(408, "TimeExpired", "The http request you sent is expired.")
        );
    }
}
