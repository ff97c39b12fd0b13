//! Signature verification in enforce mode, over raw HTTP, in both forms.

mod common;

use std::time::{Duration, SystemTime};

use common::{enforce, start, Call, Form, AK, SECRET};

#[tokio::test]
async fn signed_requests_pass_in_both_forms() {
    let s = start(enforce()).await;
    for form in [Form::Mns, Form::Mqs] {
        let q = format!("auth-{form:?}");
        let r = s
            .send(Call::new(form, "PUT", form.queue(&q)).signed(AK, SECRET))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        // Python's Content-MD5 (base64 of the hex digest) and a user request id are both signed.
        let body = "<Message><MessageBody>x</MessageBody></Message>";
        let r = s
            .send(
                Call::new(form, "POST", form.messages(&q))
                    .body(body)
                    .header(
                        "content-md5",
                        "ZjY4MTQ1NDg5Y2FmZWNjNzFlNzAwMTNkM2RhYTRlM2M=",
                    )
                    .header(&format!("{}user-request-id", form.prefix()), "abc")
                    .signed(AK, SECRET),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let got = s
            .send(
                Call::new(form, "GET", format!("{}?waitseconds=1", form.messages(&q)))
                    .signed(AK, SECRET),
            )
            .await;
        let handle = got.field("ReceiptHandle").unwrap();
        let del = s
            .send(
                Call::new(
                    form,
                    "DELETE",
                    format!("{}?ReceiptHandle={handle}", form.messages(&q)),
                )
                .signed(AK, SECRET),
            )
            .await;
        assert_eq!(del.status, 204, "{}", del.body);
    }
}

/// The signature covers `Content-MD5`, not the body: a signed send replayed with another body
/// is refused for its digest, and nothing is sent. Every form clients write is accepted.
#[tokio::test]
async fn a_body_not_matching_its_signed_content_md5_is_refused() {
    let s = start(enforce()).await;
    for form in [Form::Mns, Form::Mqs] {
        let q = format!("digest-{form:?}");
        let r = s
            .send(Call::new(form, "PUT", form.queue(&q)).signed(AK, SECRET))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let body = "<Message><MessageBody>x</MessageBody></Message>";
        // base64 of the hex digest (Python, Go, Node), base64 of the digest, the hex digest.
        for md5 in [
            "ZjY4MTQ1NDg5Y2FmZWNjNzFlNzAwMTNkM2RhYTRlM2M=",
            "9oFFSJyv7McecAE9PapOPA==",
            "f68145489cafecc71e70013d3daa4e3c",
        ] {
            let send = |body: &str| {
                Call::new(form, "POST", form.messages(&q))
                    .body(body)
                    .header("content-md5", md5)
                    .signed(AK, SECRET)
            };
            let r = s.send(send(body)).await;
            assert_eq!(r.status, 201, "{md5}: {}", r.body);
            let swapped = "<Message><MessageBody>y</MessageBody></Message>";
            let r = s.send(send(swapped)).await;
            assert_eq!(
                (r.status, r.code().as_deref()),
                (400, Some("InvalidDegist")),
                "{md5}: {}",
                r.body
            );
        }
        // An empty Content-MD5 claims nothing: taken as none.
        let r = s
            .send(
                Call::new(form, "POST", form.messages(&q))
                    .body(body)
                    .header("content-md5", "")
                    .signed(AK, SECRET),
            )
            .await;
        assert_eq!(r.status, 201, "empty Content-MD5: {}", r.body);
        let attrs = s
            .send(Call::new(form, "GET", form.queue(&q)).signed(AK, SECRET))
            .await;
        assert_eq!(
            attrs.field("ActiveMessages").as_deref(),
            Some("4"),
            "{}",
            attrs.body
        );
    }
}

#[tokio::test]
async fn bad_signatures_are_refused() {
    let s = start(enforce()).await;
    for form in [Form::Mns, Form::Mqs] {
        let target = form.queue("refused");
        let r = s
            .send(Call::new(form, "GET", target.clone()).signed(AK, "wrong-secret"))
            .await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (403, Some("SignatureDoesNotMatch")),
            "{}",
            r.body
        );
        assert!(r.header("x-mns-request-id").is_some());
        let r = s
            .send(Call::new(form, "GET", target.clone()).signed("someone-else", SECRET))
            .await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (403, Some("InvalidAccessKeyId"))
        );
        let old = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(16 * 60));
        let r = s
            .send(
                Call::new(form, "GET", target.clone())
                    .header("date", old)
                    .signed(AK, SECRET),
            )
            .await;
        assert_eq!((r.status, r.code().as_deref()), (408, Some("TimeExpired")));
        let r = s
            .send(
                Call::new(form, "GET", target.clone())
                    .header("date", "not a date")
                    .signed(AK, SECRET),
            )
            .await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (400, Some("InvalidDateHeader"))
        );
        // Signing one query and sending another fails: the resource is signed as received.
        let date = common::now_date();
        let (vh, v, scheme) = if form == Form::Mns {
            ("x-mns-version", "2015-06-06", "MNS")
        } else {
            ("x-mqs-version", "2014-07-08", "MQS")
        };
        let headers = vec![
            ("date".to_string(), date.clone()),
            (vh.to_string(), v.to_string()),
        ];
        let signed_for = format!("{}?waitseconds=1", form.messages("refused"));
        let sig = polyq_mns::sign(
            SECRET,
            &common::canonical("GET", &headers, &signed_for, form.prefix()),
        );
        let r = reqwest::Client::new()
            .get(format!(
                "{}{}?waitseconds=2",
                s.base,
                form.messages("refused")
            ))
            .header("date", date)
            .header(vh, v)
            .header("authorization", format!("{scheme} {AK}:{sig}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("<Code>SignatureDoesNotMatch</Code>"));
    }
    // No Authorization at all (detected by the version header alone).
    let c = reqwest::Client::new();
    let r = c
        .get(format!("{}/queues/x", s.base))
        .header("x-mns-version", "2015-06-06")
        .header("date", common::now_date())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("<Code>MissingAuthorizationHeader</Code>"));
}

#[tokio::test]
async fn dev_mode_checks_nothing() {
    let s = common::start_dev().await;
    let r = s
        .send(Call::new(Form::Mns, "PUT", "/queues/dev").signed("any", "thing"))
        .await;
    assert_eq!(r.status, 201);
    let r = s
        .send(
            Call::new(Form::Mns, "GET", "/queues/dev")
                .header("date", "Thu, 09 Jul 2015 03:01:34 GMT"),
        )
        .await;
    assert_eq!(r.status, 200);
}
