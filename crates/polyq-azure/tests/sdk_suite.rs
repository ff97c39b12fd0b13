//! Behaviours the official SDKs' own test suites (azure-storage-queue's tests/ and
//! @azure/storage-queue's test/, recorded against the live service) rely on, each found to
//! differ once: control characters in a plain-text message, retention days out of 1..=365, an
//! identifier stored without a policy, Clear Messages through a queue SAS, the wording of an
//! expired SAS that has no start time, and the answer to an (unverifiable) bearer token.

mod common;

use common::{dev, message_body, service_sas, Auth};

const A: &str = "/devstoreaccount1";
const PROPS: &str = "/devstoreaccount1/?restype=service&comp=properties";

#[tokio::test]
async fn control_characters_in_message_text_are_invalid_xml() {
    let s = dev().await;
    s.ok("PUT", &format!("{A}/ctlq"), "").await;
    // Raw, as the Python SDK sends U+0001, and as a character reference.
    for text in ["\u{1}", "a&#1;b", "x\u{8}y"] {
        let r = s
            .ok("POST", &format!("{A}/ctlq/messages"), &message_body(text))
            .await;
        assert_eq!(
            (r.status, r.code()),
            (400, "InvalidXmlDocument"),
            "{text:?}"
        );
        assert!(r
            .elem("Message")
            .starts_with("XML specified is not syntactically valid."));
        assert_eq!(r.elem("Reason"), "Error parsing Xml content");
    }
    // Tab, line feed and non-ASCII text stay valid.
    let r = s
        .ok(
            "POST",
            &format!("{A}/ctlq/messages"),
            &message_body("  mess\t age1\n㚈"),
        )
        .await;
    assert_eq!(r.status, 201);
    let r = s
        .ok("GET", &format!("{A}/ctlq/messages?peekonly=true"), "")
        .await;
    assert_eq!(r.elem("MessageText"), "  mess\t age1\n㚈");

    // Update Message refuses the same text and keeps the old one.
    let r = s.ok("GET", &format!("{A}/ctlq/messages"), "").await;
    let (id, receipt) = (r.elem("MessageId"), common::enc(&r.elem("PopReceipt")));
    let path = format!("{A}/ctlq/messages/{id}?popreceipt={receipt}&visibilitytimeout=0");
    let r = s.ok("PUT", &path, &message_body("\u{1}")).await;
    assert_eq!((r.status, r.code()), (400, "InvalidXmlDocument"));
    let r = s
        .ok("GET", &format!("{A}/ctlq/messages?peekonly=true"), "")
        .await;
    assert_eq!(
        r.all("MessageText"),
        Vec::<String>::new(),
        "still invisible"
    );
}

fn metrics(days: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><StorageServiceProperties><MinuteMetrics><Version>1.0</Version><Enabled>true</Enabled><IncludeAPIs>true</IncludeAPIs><RetentionPolicy><Enabled>true</Enabled>{days}</RetentionPolicy></MinuteMetrics></StorageServiceProperties>")
}

#[tokio::test]
async fn retention_days_outside_one_year_are_refused() {
    let s = dev().await;
    for days in ["<Days>366</Days>", "<Days>0</Days>", ""] {
        let r = s.ok("PUT", PROPS, &metrics(days)).await;
        assert_eq!((r.status, r.code()), (400, "InvalidXmlDocument"), "{days}");
        assert_eq!(
            r.elem("Reason"),
            "Retention days must be greater than 0 and less than or equal to 365 days."
        );
    }
    let logging = "<StorageServiceProperties><Logging><Version>1.0</Version><Read>true</Read><Write>false</Write><Delete>false</Delete><RetentionPolicy><Enabled>true</Enabled><Days>400</Days></RetentionPolicy></Logging></StorageServiceProperties>";
    assert_eq!(
        s.ok("PUT", PROPS, logging).await.code(),
        "InvalidXmlDocument"
    );
    // Nothing of a refused body is kept.
    let r = s.ok("GET", PROPS, "").await;
    assert!(!r.body.contains("<Days>"), "{}", r.body);
    assert_eq!(
        s.ok("PUT", PROPS, &metrics("<Days>365</Days>"))
            .await
            .status,
        202
    );
    assert!(s
        .ok("GET", PROPS, "")
        .await
        .body
        .contains("<Days>365</Days>"));
}

#[tokio::test]
async fn identifier_without_policy_comes_back_without_access_policy() {
    let s = dev().await;
    s.ok("PUT", &format!("{A}/aclq"), "").await;
    let body = "<?xml version='1.0' encoding='utf-8'?>\n<SignedIdentifiers><SignedIdentifier><Id>empty</Id></SignedIdentifier><SignedIdentifier><Id>blank</Id><AccessPolicy /></SignedIdentifier><SignedIdentifier><Id>r</Id><AccessPolicy><Permission>r</Permission></AccessPolicy></SignedIdentifier></SignedIdentifiers>";
    assert_eq!(
        s.ok("PUT", &format!("{A}/aclq?comp=acl"), body)
            .await
            .status,
        204
    );
    let r = s.ok("GET", &format!("{A}/aclq?comp=acl"), "").await;
    assert!(r.body.contains(
        "<SignedIdentifiers><SignedIdentifier><Id>empty</Id></SignedIdentifier><SignedIdentifier><Id>blank</Id></SignedIdentifier><SignedIdentifier><Id>r</Id><AccessPolicy><Permission>r</Permission></AccessPolicy></SignedIdentifier></SignedIdentifiers>"
    ), "{}", r.body);
}

#[tokio::test]
async fn queue_sas_cannot_clear_messages() {
    let s = dev().await;
    s.ok("PUT", &format!("{A}/sasclr"), "").await;
    s.ok("POST", &format!("{A}/sasclr/messages"), &message_body("m"))
        .await;
    let sas = service_sas("sasclr", "raup", "2099-01-01T00:00:00Z", "");
    let r = s
        .send(
            "DELETE",
            &format!("{A}/sasclr/messages?{sas}"),
            &[],
            "",
            Auth::None,
        )
        .await;
    // No queue SAS can grant Clear, so Azure's generic AuthorizationFailure (as for Create
    // Queue with "raup", recorded in the Go and .NET SDK suites).
    assert_eq!((r.status, r.code()), (403, "AuthorizationFailure"));
    // The same token still processes messages, and the message is still there.
    let r = s
        .send(
            "GET",
            &format!("{A}/sasclr/messages?{sas}"),
            &[],
            "",
            Auth::None,
        )
        .await;
    assert_eq!((r.status, r.elem("MessageText")), (200, "m".to_string()));
}

#[tokio::test]
async fn bearer_tokens_get_azure_s_invalid_token_answer() {
    let s = dev().await;
    let r = s
        .send(
            "GET",
            &format!("{A}/?comp=list"),
            &[],
            "",
            Auth::Raw("Bearer eyJ0eXAiOiJKV1QifQ.e30.c2ln"),
        )
        .await;
    assert_eq!((r.status, r.code()), (401, "InvalidAuthenticationInfo"));
    assert!(r
        .header("www-authenticate")
        .starts_with("Bearer authorization_uri="));
    assert!(r
        .elem("AuthenticationErrorDetail")
        .contains("polyq does not verify OAuth bearer tokens"));
}
