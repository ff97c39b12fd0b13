//! Dev mode's guard against web pages, on the built binary: every dialect and the console refuse
//! a request another site's page made through a browser (also through 0.0.0.0, where browsers
//! send no fetch metadata), in the dialect's own error shape, and change nothing; local pages,
//! links to the console page, and clients that are not browsers are served as before.

mod common;

use common::{client, start};

const EVIL: &str = "http://evil.example";

/// `extra` plus what a browser adds to a request another site's page makes.
fn from_evil_page<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut h = extra.to_vec();
    h.extend([("origin", EVIL), ("sec-fetch-site", "cross-site")]);
    h
}

/// `(status, error code header or body, body)` of one request.
async fn call(
    c: &reqwest::Client,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut r = c.request(method.parse().unwrap(), url);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let r = r.body(body.to_string()).send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap())
}

async fn sqs_json(
    c: &reqwest::Client,
    base: &str,
    action: &str,
    body: &str,
    extra: &[(&str, &str)],
) -> (u16, String) {
    let target = format!("AmazonSQS.{action}");
    let mut h = vec![
        ("x-amz-target", target.as_str()),
        ("content-type", "application/x-amz-json-1.0"),
    ];
    h.extend_from_slice(extra);
    let (status, _, text) = call(c, "POST", &format!("{base}/"), &h, body).await;
    (status, text)
}

async fn sqs_queue_names(c: &reqwest::Client, base: &str) -> String {
    let (status, text) = sqs_json(c, base, "ListQueues", "{}", &[]).await;
    assert_eq!(status, 200, "{text}");
    text
}

#[tokio::test]
async fn sqs_refuses_foreign_pages_and_serves_local_ones() {
    let s = start(&[]);
    let c = client();
    let base = &s.base;
    let host = base.trim_start_matches("http://");

    // Another site's form (query protocol, Origin) and image (GET, marked cross-site).
    let form = from_evil_page(&[("content-type", "application/x-www-form-urlencoded")]);
    let (status, _, xml) = call(
        &c,
        "POST",
        &format!("{base}/"),
        &form,
        "Action=CreateQueue&QueueName=from-a-form",
    )
    .await;
    assert_eq!(status, 403, "{xml}");
    assert!(xml.contains("<Code>AccessDenied</Code>"), "{xml}");
    assert!(
        xml.contains(EVIL) && xml.contains("--auth enforce"),
        "{xml}"
    );
    let image = [
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-mode", "no-cors"),
    ];
    let url = format!("{base}/?Action=CreateQueue&QueueName=from-an-image");
    let (status, _, xml) = call(&c, "GET", &url, &image, "").await;
    assert_eq!(status, 403, "{xml}");
    assert!(xml.contains("another site"), "{xml}");

    // A script of another site (JSON protocol).
    let body = r#"{"QueueName":"from-a-script"}"#;
    let (status, text) = sqs_json(&c, base, "CreateQueue", body, &from_evil_page(&[])).await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("AccessDenied"), "{text}");
    // A browser reaching polyq as 0.0.0.0 sends no Sec-Fetch-* headers.
    let unspecified = [("host", "0.0.0.0"), ("origin", EVIL)];
    let (status, text) = sqs_json(&c, base, "CreateQueue", body, &unspecified).await;
    assert_eq!(status, 403, "{text}");
    let names = sqs_queue_names(&c, base).await;
    assert!(
        !names.contains("from-a"),
        "a refused request created a queue: {names}"
    );

    // A page of this machine, a URL typed into the browser, and SDKs under any host name.
    let local = [
        ("origin", "http://localhost:3000"),
        ("sec-fetch-site", "cross-site"),
    ];
    let (status, text) = sqs_json(
        &c,
        base,
        "CreateQueue",
        r#"{"QueueName":"local-page"}"#,
        &local,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let typed = [("sec-fetch-site", "none"), ("host", host)];
    let url = format!("{base}/?Action=ListQueues");
    let (status, _, xml) = call(&c, "GET", &url, &typed, "").await;
    assert_eq!(status, 200, "{xml}");
    // A client that sets Origin itself (the vendors' CORS tests do) is no browser.
    let cors_test = [("origin", EVIL)];
    let (status, text) = sqs_json(
        &c,
        base,
        "CreateQueue",
        r#"{"QueueName":"cors-test"}"#,
        &cors_test,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let sdk = [("host", "sqs.dev.test:9324")];
    let (status, text) = sqs_json(
        &c,
        base,
        "CreateQueue",
        r#"{"QueueName":"sdk-alias"}"#,
        &sdk,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let names = sqs_queue_names(&c, base).await;
    assert!(
        names.contains("local-page") && names.contains("sdk-alias"),
        "{names}"
    );
}

#[tokio::test]
async fn mns_azure_and_the_2007_api_refuse_foreign_pages() {
    let s = start(&[]);
    let c = client();
    let base = &s.base;

    let mns = from_evil_page(&[("x-mns-version", "2015-06-06")]);
    let (status, _, xml) = call(&c, "PUT", &format!("{base}/queues/mnsq"), &mns, "").await;
    assert_eq!(status, 403, "{xml}");
    assert!(
        xml.contains("<Code>AccessDenied</Code>") && xml.contains(EVIL),
        "{xml}"
    );
    let plain = [("x-mns-version", "2015-06-06")];
    let (status, _, xml) = call(&c, "GET", &format!("{base}/queues/mnsq"), &plain, "").await;
    assert_eq!(status, 404, "the refused PUT created the queue: {xml}");

    let azure = from_evil_page(&[("x-ms-version", "2021-12-02")]);
    let (status, headers, xml) = call(
        &c,
        "PUT",
        &format!("{base}/devstoreaccount1/azq"),
        &azure,
        "",
    )
    .await;
    assert_eq!(status, 403, "{xml}");
    assert_eq!(
        headers.get("x-ms-error-code").and_then(|v| v.to_str().ok()),
        Some("AuthorizationFailure"),
        "{xml}"
    );
    assert!(xml.contains(EVIL), "{xml}");

    let rest = from_evil_page(&[
        ("aws-version", "2007-05-01"),
        ("content-type", "text/plain"),
    ]);
    let (status, _, xml) = call(&c, "POST", &format!("{base}/?QueueName=q2007"), &rest, "").await;
    // The 2007 API's one authentication failure, as its guide gives it.
    assert_eq!(status, 401, "{xml}");
    assert!(xml.contains("AuthFailure") && xml.contains(EVIL), "{xml}");
    assert!(!sqs_queue_names(&c, base).await.contains("q2007"));
}

#[tokio::test]
async fn another_sites_page_may_link_to_the_console_but_not_use_it() {
    let s = start(&[]);
    let c = client();
    let url = |path: &str| format!("{}{path}", s.base);
    // Followed from a link elsewhere: the page opens.
    let link = [
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-dest", "document"),
    ];
    let (status, _, text) = call(&c, "GET", &url("/_polyq/console"), &link, "").await;
    assert_eq!(status, 200, "{text}");
    // Framed by another site, or its scripts reading the API or the metrics: refused.
    let framed = [
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-dest", "iframe"),
    ];
    let (status, _, text) = call(&c, "GET", &url("/_polyq/console"), &framed, "").await;
    assert_eq!(status, 403, "{text}");
    let script = from_evil_page(&[]);
    for path in ["/_polyq/api/queues", "/metrics"] {
        let (status, _, text) = call(&c, "GET", &url(path), &script, "").await;
        assert_eq!(status, 403, "{path}: {text}");
        assert!(text.contains(EVIL), "{path}: {text}");
    }
    // The page's own calls, and a tunnel's name for this machine.
    for host in ["localhost", "polyq.dev.test"] {
        let own = [("host", host), ("sec-fetch-site", "same-origin")];
        let (status, _, text) = call(&c, "GET", &url("/_polyq/api/queues"), &own, "").await;
        assert_eq!(status, 200, "{host}: {text}");
    }
}

#[tokio::test]
async fn enforce_mode_leaves_browsers_to_the_signature_check() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("polyq.toml");
    std::fs::write(
        &config,
        "[[credentials]]\naccess_key_id = \"AKID\"\nsecret_access_key = \"secret\"\n",
    )
    .unwrap();
    let s = start(&["--auth", "enforce", "--config", config.to_str().unwrap()]);
    let c = client();
    let (status, text) = sqs_json(&c, &s.base, "ListQueues", "{}", &from_evil_page(&[])).await;
    // Unsigned, so refused, but by the signature check: a signed page may use polyq.
    assert_eq!(status, 403, "{text}");
    assert!(!text.contains("dev mode"), "{text}");
}
