//! Behaviours Azurite's queue suite and Microsoft's documentation pin down, each found to differ
//! once: anonymous requests refused in every mode, an empty queue name, the wording of a
//! preflight missing its CORS headers, the origin a preflight echoes, the CORS headers of actual
//! responses (Azure's Vary / Allow-Origin table) and the `include` values of List Queues.

mod common;

use common::{dev, Auth, Reply, Server};

const A: &str = "/devstoreaccount1";
const PROPS: &str = "/devstoreaccount1/?restype=service&comp=properties";

#[tokio::test]
async fn anonymous_requests_are_refused_in_dev_mode() {
    let s = dev().await;
    for (method, path) in [
        ("PUT", format!("{A}/anonq")),
        ("GET", format!("{A}/?comp=list")),
        ("POST", format!("{A}/anonq/messages")),
    ] {
        let r = s.send(method, &path, &[], "", Auth::None).await;
        assert_eq!(
            (r.status, r.code()),
            (401, "NoAuthenticationInformation"),
            "{method} {path}"
        );
        assert!(r.elem("Message").starts_with(
            "Server failed to authenticate the request. Please refer to the information in the www-authenticate header."
        ));
        assert!(r.header("www-authenticate").starts_with("Bearer"));
    }
    // Nothing was created on the way.
    let r = s.ok("GET", &format!("{A}/anonq?comp=metadata"), "").await;
    assert_eq!((r.status, r.code()), (404, "QueueNotFound"));
}

#[tokio::test]
async fn empty_queue_name_is_an_invalid_resource_name() {
    let s = dev().await;
    for method in ["PUT", "DELETE"] {
        let r = s.ok(method, &format!("{A}/"), "").await;
        assert_eq!(
            (r.status, r.code()),
            (400, "InvalidResourceName"),
            "{method}"
        );
        assert!(r
            .elem("Message")
            .starts_with("The specifed resource name contains invalid characters."));
    }
    let r = s.ok("GET", &format!("{A}/"), "").await;
    assert_eq!((r.status, r.code()), (400, "InvalidUri"));
}

#[tokio::test]
async fn account_level_requests_by_an_sdks_detour_are_served_at_the_root() {
    // azure-core before 1.8.1 (SAS clients) doubles the slash; the v12 SDKs keep the primary's
    // path under a path-style secondary. Azurite serves both at the account root.
    let s = dev().await;
    assert_eq!(s.ok("PUT", &format!("{A}/detourq"), "").await.status, 201);
    let r = s.ok("GET", &format!("{A}//?comp=list"), "").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<Name>detourq</Name>"), "{}", r.body);
    let r = s
        .ok("GET", &format!("{A}//?restype=service&comp=properties"), "")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = s
        .ok(
            "GET",
            "/devstoreaccount1-secondary/devstoreaccount1/?restype=service&comp=stats",
            "",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<GeoReplication>"), "{}", r.body);
    // Anywhere else an empty segment is still no resource, and a queue path is a queue path.
    let r = s.ok("GET", &format!("{A}//messages"), "").await;
    assert_eq!((r.status, r.code()), (400, "InvalidUri"));
    let r = s.ok("GET", &format!("{A}/detourq?comp=list"), "").await;
    assert_ne!(r.status, 200, "{}", r.body);
}

async fn set_cors(s: &Server, rules: &str) {
    let body = format!("<StorageServiceProperties><Cors>{rules}</Cors></StorageServiceProperties>");
    assert_eq!(s.ok("PUT", PROPS, &body).await.status, 202);
}

fn rule(origins: &str, methods: &str) -> String {
    format!("<CorsRule><AllowedOrigins>{origins}</AllowedOrigins><AllowedMethods>{methods}</AllowedMethods><AllowedHeaders>header</AllowedHeaders><ExposedHeaders>*</ExposedHeaders><MaxAgeInSeconds>8888</MaxAgeInSeconds></CorsRule>")
}

async fn preflight(s: &Server, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = s
        .client
        .request(reqwest::Method::OPTIONS, format!("{}{A}/", s.base));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn preflight_without_a_required_header_is_400_with_azures_wording() {
    let s = dev().await;
    set_cors(&s, &rule("test", "GET")).await;
    for (headers, missing) in [
        (vec![("Origin", "test")], "Access-Control-Request-Method"),
        (vec![("Access-Control-Request-Method", "GET")], "Origin"),
    ] {
        let r = preflight(&s, &headers).await;
        assert_eq!(r.status(), 400);
        assert_eq!(r.headers()["x-ms-error-code"], "InvalidHeaderValue");
        let body = r.text().await.unwrap();
        assert!(
            body.contains("<Message>A required CORS header is not present."),
            "{body}"
        );
        assert!(
            body.contains(&format!("<HeaderName>{missing}</HeaderName>")),
            "{body}"
        );
    }
    let r = preflight(
        &s,
        &[
            ("Origin", "other"),
            ("Access-Control-Request-Method", "GET"),
        ],
    )
    .await;
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert!(body.contains("CORS not enabled or no matching rule found for this request."));
}

async fn get_props(s: &Server, origin: Option<&str>) -> Reply {
    let headers: Vec<(&str, &str)> = origin.map(|o| ("origin", o)).into_iter().collect();
    let r = s.send("GET", PROPS, &headers, "", Auth::SharedKey).await;
    assert_eq!(r.status, 200);
    r
}

#[tokio::test]
async fn actual_responses_follow_azures_cors_table() {
    let s = dev().await;
    // No rules: no CORS headers at all.
    let r = get_props(&s, Some("anyOrigin")).await;
    assert!(r.headers.get("access-control-allow-origin").is_none());
    assert!(r.headers.get("vary").is_none());

    // Rules, none matching: only Vary, with or without an Origin header.
    set_cors(&s, &rule("test", "GET")).await;
    for origin in [Some("anyOrigin"), None] {
        let r = get_props(&s, origin).await;
        assert_eq!(r.header("vary"), "Origin", "{origin:?}");
        assert!(r.headers.get("access-control-allow-origin").is_none());
        assert!(r.headers.get("access-control-expose-headers").is_none());
    }
    // The method must match too.
    let r = s
        .send(
            "PUT",
            PROPS,
            &[("origin", "test")],
            &format!(
                "<StorageServiceProperties><Cors>{}</Cors></StorageServiceProperties>",
                rule("test", "GET")
            ),
            Auth::SharedKey,
        )
        .await;
    assert_eq!(r.status, 202);
    assert!(r.headers.get("access-control-allow-origin").is_none());

    // An exact origin, checked before a later "*" rule: that origin, credentials, Vary.
    set_cors(&s, &(rule("exactOrigin", "GET") + &rule("*", "GET"))).await;
    let r = get_props(&s, Some("exactOrigin")).await;
    assert_eq!(r.header("access-control-allow-origin"), "exactOrigin");
    assert_eq!(r.header("access-control-allow-credentials"), "true");
    // `*` spelled out as the answer's own names, as Azure does: with credentials a browser
    // takes a literal `*` as no name at all.
    let exposed = r.header("access-control-expose-headers");
    for name in ["x-ms-request-id", "x-ms-version", "date", "content-length"] {
        assert!(exposed.split(',').any(|h| h == name), "{name}: {exposed}");
    }
    assert!(!exposed.contains('*'), "{exposed}");
    assert_eq!(r.header("vary"), "Origin");

    // "*": Allow-Origin "*" and the exposed headers, no Vary, even without an Origin header.
    for origin in [Some("anyOrigin"), None] {
        let r = get_props(&s, origin).await;
        assert_eq!(r.header("access-control-allow-origin"), "*", "{origin:?}");
        assert!(r.headers.get("vary").is_none(), "{origin:?}");
        assert!(r.headers.get("access-control-allow-credentials").is_none());
        let exposed = r.header("access-control-expose-headers");
        assert!(
            exposed.split(',').any(|h| h == "x-ms-request-id"),
            "{exposed}"
        );
    }
    // Error responses carry them as well (a browser must be able to read the error).
    let r = s
        .send(
            "GET",
            &format!("{A}/nosuchq?comp=metadata"),
            &[("origin", "x")],
            "",
            Auth::SharedKey,
        )
        .await;
    assert_eq!(
        (r.status, r.header("access-control-allow-origin")),
        (404, "*")
    );
}

#[tokio::test]
async fn list_queues_include_accepts_only_metadata() {
    let s = dev().await;
    assert_eq!(s.ok("PUT", &format!("{A}/incq"), "").await.status, 201);
    for ok in ["metadata", "Metadata", ""] {
        let r = s
            .ok("GET", &format!("{A}/?comp=list&include={ok}"), "")
            .await;
        assert_eq!(r.status, 200, "{ok}");
        assert_eq!(r.all("Name"), ["incq"]);
    }
    let r = s
        .ok("GET", &format!("{A}/?comp=list&include=foo"), "")
        .await;
    assert_eq!((r.status, r.code()), (400, "InvalidQueryParameterValue"));
    assert_eq!(r.elem("QueryParameterName"), "include");
    assert_eq!(r.elem("QueryParameterValue"), "foo");
    assert_eq!(
        r.elem("Reason"),
        "Only metadata can be included when listing queues"
    );
}

#[tokio::test]
async fn preflight_echoes_the_origin_even_under_a_wildcard_rule() {
    let s = dev().await;
    set_cors(&s, &rule("*", "GET")).await;
    let headers = [
        ("Origin", "anyOrigin"),
        ("Access-Control-Request-Method", "GET"),
    ];
    let r = preflight(&s, &headers).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], "anyOrigin");
    assert_eq!(r.headers()["access-control-allow-methods"], "GET");
    assert_eq!(r.headers()["access-control-max-age"], "8888");
}
