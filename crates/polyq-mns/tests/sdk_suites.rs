//! Wire details behind Alibaba's own SDK suites and samples that the SDKs hide from their
//! callers: which handle a ChangeMessageVisibility leaves usable (PHP `Tests/QueueTest.php`),
//! the handle a delayed send hands out (Java `TransactionQueue`), and the MD5 of the Python
//! fixtures' text. The compat suite `compat/mns/test_sdk_suites.py` replays the same cases
//! through the Python SDK.

mod common;

use common::{start_dev, Form, Server};

const FORMS: [Form; 2] = [Form::Mns, Form::Mqs];

async fn status_of(s: &Server, form: Form, method: &str, target: String) -> (u16, Option<String>) {
    let r = s.req(form, method, target, "").await;
    (r.status, r.code())
}

#[tokio::test]
async fn the_receive_handle_deletes_after_a_visibility_change() {
    let s = start_dev().await;
    for form in FORMS {
        let q = format!("php-walk-{form:?}");
        s.create(form, &q).await;
        s.send_body(form, &q, "dGVzdA==").await;
        let got = s.req(form, "GET", form.messages(&q), "").await;
        let handle = got.field("ReceiptHandle").unwrap();
        let changed = s
            .req(
                form,
                "PUT",
                format!(
                    "{}?ReceiptHandle={handle}&VisibilityTimeout=18",
                    form.messages(&q)
                ),
                "",
            )
            .await;
        assert_eq!(changed.status, 200, "{}", changed.body);
        // The answer names a handle that works too; ours is the same lease.
        assert_eq!(changed.field("ReceiptHandle"), Some(handle.clone()));
        assert_eq!(
            status_of(
                &s,
                form,
                "DELETE",
                format!("{}?ReceiptHandle={handle}", form.messages(&q))
            )
            .await,
            (204, None)
        );
        // Deleted: the same handle now finds no message.
        assert_eq!(
            status_of(
                &s,
                form,
                "DELETE",
                format!("{}?ReceiptHandle={handle}", form.messages(&q))
            )
            .await,
            (404, Some("MessageNotExist".into()))
        );
    }
}

#[tokio::test]
async fn a_delayed_send_handle_commits_and_rolls_back() {
    let s = start_dev().await;
    let form = Form::Mns;
    let q = "java-trans";
    let r = s
        .req(
            form,
            "PUT",
            form.queue(q),
            "<Queue><DelaySeconds>600</DelaySeconds></Queue>",
        )
        .await;
    assert_eq!(r.status, 201);

    // Commit: the send answer's handle moves the prepared message to visible in 1 s.
    let sent = s.send_body(form, q, "commit").await;
    let handle = sent
        .field("ReceiptHandle")
        .expect("delayed sends carry a handle");
    let r = s
        .req(
            form,
            "PUT",
            format!(
                "{}?ReceiptHandle={handle}&VisibilityTimeout=1",
                form.messages(q)
            ),
            "",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = s
        .req(
            form,
            "GET",
            format!("{}?waitseconds=5", form.messages(q)),
            "",
        )
        .await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(
        (got.field("MessageBody"), got.field("DequeueCount")),
        (Some("commit".into()), Some("1".into()))
    );
    // The committed message's receive retired the send handle.
    assert_eq!(
        status_of(
            &s,
            form,
            "DELETE",
            format!("{}?ReceiptHandle={handle}", form.messages(q))
        )
        .await,
        (400, Some("ReceiptHandleError".into()))
    );

    // Rollback: deleting through the send handle removes the still-delayed message; a second
    // rollback is MessageNotExist, which the SDK treats as done.
    let sent = s.send_body(form, q, "rollback").await;
    let handle = sent.field("ReceiptHandle").unwrap();
    let delete = format!("{}?ReceiptHandle={handle}", form.messages(q));
    assert_eq!(
        status_of(&s, form, "DELETE", delete.clone()).await,
        (204, None)
    );
    assert_eq!(
        status_of(&s, form, "DELETE", delete).await,
        (404, Some("MessageNotExist".into()))
    );
    let attrs = s.req(form, "GET", form.queue(q), "").await;
    assert_eq!(attrs.field("DelayMessages").as_deref(), Some("0"));
}

#[tokio::test]
async fn python_fixture_md5s_are_of_the_text_as_sent() {
    let s = start_dev().await;
    let form = Form::Mns;
    s.create(form, "py-fixture").await;
    // The raw UTF-8 text and its base64 form, as in test_receive_message.py's live answers.
    for (body, md5) in [
        ("I am 测试字符串.", "9D75198CAA17528AB23790C1861987AF"),
        (
            "SSBhbSDmtYvor5XlrZfnrKbkuLIu",
            "A9B134C465C384F49EB89A6E3870D996",
        ),
    ] {
        let sent = s.send_body(form, "py-fixture", body).await;
        assert_eq!(sent.field("MessageBodyMD5").as_deref(), Some(md5));
        let got = s.req(form, "GET", form.messages("py-fixture"), "").await;
        assert_eq!(got.field("MessageBody").as_deref(), Some(body));
        assert_eq!(got.field("MessageBodyMD5").as_deref(), Some(md5));
        let first: u64 = got.field("FirstDequeueTime").unwrap().parse().unwrap();
        let next: u64 = got.field("NextVisibleTime").unwrap().parse().unwrap();
        assert_eq!(next - first, 30_000, "the queue's VisibilityTimeout, in ms");
        let handle = got.field("ReceiptHandle").unwrap();
        let r = s
            .req(
                form,
                "DELETE",
                format!("{}?ReceiptHandle={handle}", form.messages("py-fixture")),
                "",
            )
            .await;
        assert_eq!(r.status, 204);
    }
}
