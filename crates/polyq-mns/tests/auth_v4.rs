//! V4 signatures (`MNS4-HMAC-SHA256`, as the Java SDK 2.x sends with `SignVersion.V4`) in
//! enforce mode, over raw HTTP. The canonical request is written out here, independently of
//! the server's code; only the HMAC chain is shared (it is pinned by the Java SDK's vectors).

mod common;

use std::time::{Duration, SystemTime};

use common::{enforce, start, Resp, AK, SECRET};
use polyq_mns::{sign_v4, V4Variant};

/// `yyyyMMdd'T'HHmmss'Z'` from an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT").
fn basic(imf: &str) -> String {
    let f: Vec<&str> = imf.split([' ', ':']).collect();
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = months.iter().position(|m| *m == f[2]).unwrap() + 1;
    format!("{}{month:02}{}T{}{}{}Z", f[3], f[1], f[4], f[5], f[6])
}

struct V4<'a> {
    method: &'a str,
    /// Path as sent (plain characters only here).
    path: String,
    /// Query as sent, and its canonical form (lower-case keys, sorted, RFC 3986 encoding).
    query: &'a str,
    canonical_query: &'a str,
    body: &'a str,
    date: String,
}

async fn send(s: &common::Server, v: &V4<'_>, key_id: &str, secret: &str) -> Resp {
    let content_type = "text/xml;charset=UTF-8";
    let canonical = format!(
        "{}\n{}\n{}\ncontent-type:{content_type}\nx-mns-version:2015-06-06\n\n",
        v.method, v.path, v.canonical_query
    );
    let datetime = basic(&v.date);
    let signature = sign_v4(
        V4Variant::Aliyun,
        secret,
        "cn-hangzhou",
        &datetime,
        &canonical,
    );
    let authorization = format!(
        "MNS4-HMAC-SHA256 Credential={key_id}/{}/cn-hangzhou/mns/aliyun_v4_request,Signature={signature}",
        &datetime[..8]
    );
    let url = if v.query.is_empty() {
        format!("{}{}", s.base, v.path)
    } else {
        format!("{}{}?{}", s.base, v.path, v.query)
    };
    let r = reqwest::Client::new()
        .request(v.method.parse().unwrap(), url)
        .header("date", &v.date)
        .header("x-mns-version", "2015-06-06")
        .header("content-type", content_type)
        .header("authorization", authorization)
        .body(v.body.to_string())
        .send()
        .await
        .unwrap();
    Resp::read(r).await
}

fn call<'a>(method: &'a str, path: String, query: &'a str, canonical_query: &'a str) -> V4<'a> {
    V4 {
        method,
        path,
        query,
        canonical_query,
        body: "",
        date: common::now_date(),
    }
}

#[tokio::test]
async fn v4_signed_requests_are_served() {
    let s = start(enforce()).await;
    let r = send(&s, &call("PUT", "/queues/v4q".into(), "", ""), AK, SECRET).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let mut post = call("POST", "/queues/v4q/messages".into(), "", "");
    post.body = "<Message><MessageBody>v4</MessageBody></Message>";
    assert_eq!(send(&s, &post, AK, SECRET).await.status, 201);
    // Query keys are lower-cased and sorted in the canonical form.
    let got = send(
        &s,
        &call(
            "GET",
            "/queues/v4q/messages".into(),
            "waitseconds=1&numOfMessages=2",
            "numofmessages=2&waitseconds=1",
        ),
        AK,
        SECRET,
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.body);
    let handle = got.field("ReceiptHandle").unwrap();
    let query = format!("ReceiptHandle={handle}");
    let canonical = format!("receipthandle={handle}");
    let del = send(
        &s,
        &call("DELETE", "/queues/v4q/messages".into(), &query, &canonical),
        AK,
        SECRET,
    )
    .await;
    assert_eq!(del.status, 204, "{}", del.body);
}

#[tokio::test]
async fn v4_failures_use_mns_codes() {
    let s = start(enforce()).await;
    let get = || call("GET", "/queues/v4-missing".into(), "", "");
    let r = send(&s, &get(), AK, "wrong-secret").await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (403, Some("SignatureDoesNotMatch"))
    );
    let r = send(&s, &get(), "nobody", SECRET).await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (403, Some("InvalidAccessKeyId"))
    );
    let mut old = get();
    old.date = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(20 * 60));
    let r = send(&s, &old, AK, SECRET).await;
    assert_eq!((r.status, r.code().as_deref()), (408, Some("TimeExpired")));
    // A correctly signed request for a missing queue gets past authentication.
    let r = send(&s, &get(), AK, SECRET).await;
    assert_eq!(
        (r.status, r.code().as_deref()),
        (404, Some("QueueNotExist"))
    );
    // A malformed credential scope.
    let r = reqwest::Client::new()
        .get(format!("{}/queues/v4-missing", s.base))
        .header("date", common::now_date())
        .header("x-mns-version", "2015-06-06")
        .header("authorization", "MNS4-HMAC-SHA256 Credential=x,Signature=y")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("<Code>InvalidAuthorizationHeader</Code>"));
}
