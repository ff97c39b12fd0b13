//! Differences found by running the Python SDK's own test suite (azure-storage-queue 12.18.1,
//! `tests/`) live against polyq and comparing the answers with the suite's recordings of the
//! live service.

mod common;

use common::{dev, message_body, Auth, Server};

const A: &str = "/devstoreaccount1";
const PROPS: &str = "/devstoreaccount1/?restype=service&comp=properties";

async fn set_rules(s: &Server, origins: &str, methods: &str) {
    let body = format!(
        "<StorageServiceProperties><Cors><CorsRule><AllowedOrigins>{origins}</AllowedOrigins>\
         <AllowedMethods>{methods}</AllowedMethods><AllowedHeaders>*</AllowedHeaders>\
         <ExposedHeaders>x-ms-*</ExposedHeaders><MaxAgeInSeconds>60</MaxAgeInSeconds></CorsRule>\
         </Cors></StorageServiceProperties>"
    );
    assert_eq!(s.ok("PUT", PROPS, &body).await.status, 202);
}

/// With CORS rules on the account, the recorded Create Queue and Put Message answers carry no
/// `Vary`, while the Get Messages beside them carries `Vary: Origin`: Azure varies only the
/// answers user agents may cache (GET and HEAD).
#[tokio::test]
async fn vary_origin_only_on_get_and_head_answers() {
    let s = dev().await;
    set_rules(&s, "http://app.example", "GET,HEAD,PUT,POST,DELETE").await;
    let q = format!("{A}/varyq");

    // No Origin: no rule matches.
    let r = s.ok("PUT", &q, "").await;
    assert_eq!(r.status, 201);
    assert!(r.headers.get("vary").is_none(), "Create Queue");
    let r = s
        .ok("POST", &format!("{q}/messages"), &message_body("m"))
        .await;
    assert_eq!(r.status, 201);
    assert!(r.headers.get("vary").is_none(), "Put Message");
    let r = s
        .ok("GET", &format!("{q}/messages?peekonly=true"), "")
        .await;
    assert_eq!((r.status, r.header("vary")), (200, "Origin"), "Peek");
    let r = s.ok("HEAD", &format!("{q}?comp=metadata"), "").await;
    assert_eq!((r.status, r.header("vary")), (200, "Origin"), "HEAD");

    // The exact origin: POST keeps the Allow-Origin headers but has no Vary; GET has both.
    let origin = [("origin", "http://app.example")];
    let r = s
        .send(
            "POST",
            &format!("{q}/messages"),
            &origin,
            &message_body("n"),
            Auth::SharedKey,
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        r.header("access-control-allow-origin"),
        "http://app.example"
    );
    assert_eq!(r.header("access-control-allow-credentials"), "true");
    assert_eq!(r.header("access-control-expose-headers"), "x-ms-*");
    assert!(r.headers.get("vary").is_none());
    let r = s
        .send(
            "GET",
            &format!("{q}/messages?peekonly=true"),
            &origin,
            "",
            Auth::SharedKey,
        )
        .await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        "http://app.example"
    );
    assert_eq!(r.header("vary"), "Origin");

    // Errors follow the same rule: a 404 on DELETE has no Vary, on GET it has.
    let r = s.ok("DELETE", &format!("{A}/nosuchq"), "").await;
    assert_eq!(r.status, 404);
    assert!(r.headers.get("vary").is_none());
    let r = s.ok("GET", &format!("{A}/nosuchq?comp=metadata"), "").await;
    assert_eq!((r.status, r.header("vary")), (404, "Origin"));

    let r = s.ok("DELETE", &format!("{q}/messages"), "").await;
    assert_eq!(r.status, 204);
    assert!(r.headers.get("vary").is_none(), "Clear Messages");
}
