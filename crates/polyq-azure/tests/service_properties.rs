//! Queue service properties (logging, metrics, CORS) live in the store: another node over the
//! same store, and the same server after a restart, serve what was set.

mod common;

use std::sync::Arc;

use common::{memory_service, start_on, Server};
use polyq_azure::AzureConfig;
use polyq_core::faults::FaultyStore;
use polyq_core::{MemoryStore, QueueService, SystemClock};
use polyq_store_embedded::EmbeddedStore;

const A: &str = "/devstoreaccount1";
const PROPS: &str = "/devstoreaccount1/?restype=service&comp=properties";
const RULE: &str = "<CorsRule><AllowedOrigins>http://app.example</AllowedOrigins><AllowedMethods>GET,PUT</AllowedMethods><AllowedHeaders>x-ms-meta-*</AllowedHeaders><ExposedHeaders>x-ms-request-id</ExposedHeaders><MaxAgeInSeconds>600</MaxAgeInSeconds></CorsRule>";
const LOGGING: &str = "<Logging><Version>1.0</Version><Read>true</Read><Write>true</Write><Delete>false</Delete><RetentionPolicy><Enabled>true</Enabled><Days>9</Days></RetentionPolicy></Logging>";

async fn set_rule_and_logging(s: &Server) {
    let body = format!(
        "<StorageServiceProperties>{LOGGING}<Cors>{RULE}</Cors></StorageServiceProperties>"
    );
    let r = s.ok("PUT", PROPS, &body).await;
    assert_eq!(r.status, 202, "{}", r.body);
}

/// List Queues as a page served from the rule's origin would send it.
async fn list_from_app_origin(s: &Server) -> common::Reply {
    let origin = [("origin", "http://app.example")];
    s.send(
        "GET",
        &format!("{A}/?comp=list"),
        &origin,
        "",
        common::Auth::SharedKey,
    )
    .await
}

/// What a server that never saw the Set must answer for the account set through another.
async fn assert_serves_what_was_set(s: &Server) {
    let r = s.ok("GET", PROPS, "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains(LOGGING), "{}", r.body);
    assert_eq!(r.all("CorsRule").len(), 1, "{}", r.body);
    assert_eq!(r.elem("AllowedOrigins"), "http://app.example");
    assert_eq!(r.elem("MaxAgeInSeconds"), "600");

    let preflight = s
        .client
        .request(reqwest::Method::OPTIONS, format!("{}{A}/q", s.base))
        .header("origin", "http://app.example")
        .header("access-control-request-method", "PUT")
        .header("access-control-request-headers", "x-ms-meta-color")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    assert_eq!(preflight.headers()["access-control-max-age"], "600");

    let actual = list_from_app_origin(s).await;
    assert_eq!(actual.status, 200, "{}", actual.body);
    assert_eq!(
        actual.header("access-control-allow-origin"),
        "http://app.example"
    );
    // The properties are no queue of the account.
    assert!(!actual.body.contains("azure"), "{}", actual.body);
}

#[tokio::test]
async fn a_second_node_over_the_same_store_serves_the_properties() {
    let service = memory_service();
    let first = start_on(service.clone(), AzureConfig::default()).await;
    set_rule_and_logging(&first).await;
    let second = start_on(service.clone(), AzureConfig::default()).await;
    assert_serves_what_was_set(&second).await;

    // A refused Set changes nothing anywhere.
    let bad = "<StorageServiceProperties><Cors><CorsRule><AllowedOrigins>*</AllowedOrigins><AllowedMethods>FETCH</AllowedMethods></CorsRule></Cors></StorageServiceProperties>";
    let r = first.ok("PUT", PROPS, bad).await;
    assert_eq!((r.status, r.code()), (400, "InvalidXmlDocument"));
    let third = start_on(service.clone(), AzureConfig::default()).await;
    assert_serves_what_was_set(&third).await;

    // No dialect lists the internal queue that holds them.
    let listed = service.list_queues("", None, 100).await.unwrap();
    assert!(listed.is_empty(), "{listed:?}");
}

#[tokio::test]
async fn the_properties_survive_a_restart_of_the_embedded_store() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Arc::new(EmbeddedStore::open(dir.path().join("data")).unwrap());
        let service = Arc::new(QueueService::new(store.clone(), Arc::new(SystemClock)));
        let s = start_on(service, AzureConfig::default()).await;
        set_rule_and_logging(&s).await;

        // A Set the disk refuses fails with Azure's 500 and leaves what was set in force.
        store.inject_write_failure();
        let clear = "<StorageServiceProperties><Cors /></StorageServiceProperties>";
        let r = s.ok("PUT", PROPS, clear).await;
        assert_eq!((r.status, r.code()), (500, "InternalError"), "{}", r.body);
        assert!(r.body.contains("<Message>"), "{}", r.body);
        assert_serves_what_was_set(&s).await;
        // Dropping the server stops serving; the store closes with the last reference.
    }
    // The previous server's tasks may still hold the store for a moment; the directory lock
    // is released when they finish.
    let mut attempts = 0;
    let store = loop {
        match EmbeddedStore::open(dir.path().join("data")) {
            Ok(store) => break store,
            Err(e) if attempts == 200 => panic!("the store stayed locked for 10 s: {e}"),
            Err(_) => attempts += 1,
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let service = Arc::new(QueueService::new(Arc::new(store), Arc::new(SystemClock)));
    let s = start_on(service, AzureConfig::default()).await;
    assert_serves_what_was_set(&s).await;
}

#[tokio::test]
async fn a_failing_store_leaves_the_last_known_properties_in_force() {
    let store = Arc::new(FaultyStore::new(Arc::new(MemoryStore::new())));
    let service = Arc::new(QueueService::new(store.clone(), Arc::new(SystemClock)));
    let s = start_on(service, AzureConfig::default()).await;
    set_rule_and_logging(&s).await;

    store.set_failing(true);
    // Past the node's one-second copy, so that the next requests ask the store again.
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let r = s.ok("GET", PROPS, "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.elem("AllowedOrigins"), "http://app.example");
    let listed = list_from_app_origin(&s).await;
    assert_eq!((listed.status, listed.code()), (503, "ServerBusy"));
    assert!(listed.body.contains("<Message>"), "{}", listed.body);
    assert_eq!(
        listed.header("access-control-allow-origin"),
        "http://app.example",
        "an error answer keeps the account's CORS headers"
    );
    let clear = "<StorageServiceProperties><Cors /></StorageServiceProperties>";
    let r = s.ok("PUT", PROPS, clear).await;
    assert_eq!((r.status, r.code()), (503, "ServerBusy"), "{}", r.body);

    store.set_failing(false);
    assert_serves_what_was_set(&s).await;
    assert_eq!(s.ok("PUT", PROPS, clear).await.status, 202);
    let r = s.ok("GET", PROPS, "").await;
    assert!(r.body.contains("<Cors />"), "{}", r.body);
}

#[tokio::test]
async fn refusals_say_where_azure_reader_stands() {
    let s = start_on(memory_service(), AzureConfig::default()).await;
    // Six CORS rules: judged after reading, no place (Rust SDK recording, 2026-04-06).
    let six = format!(
        "<StorageServiceProperties><Cors>{}</Cors></StorageServiceProperties>",
        RULE.repeat(6)
    );
    let r = s.ok("PUT", PROPS, &six).await;
    assert_eq!((r.status, r.code()), (400, "InvalidXmlDocument"));
    assert!(
        r.body.ends_with(
            "<LineNumber>0</LineNumber><LinePosition>0</LinePosition><Reason /></Error>"
        ),
        "{}",
        r.body
    );
    // Days 366: on the node after `</Days>`, counted in characters from 1.
    let long = "<StorageServiceProperties><HourMetrics><Version>1.0</Version><Enabled>false</Enabled><RetentionPolicy><Enabled>false</Enabled><Days>1</Days></RetentionPolicy></HourMetrics>\n<Logging><Version>1.0</Version><Read>false</Read><Write>false</Write><Delete>false</Delete><RetentionPolicy><Days>366</Days><Enabled>true</Enabled></RetentionPolicy></Logging></StorageServiceProperties>";
    let r = s.ok("PUT", PROPS, long).await;
    assert_eq!((r.status, r.code()), (400, "InvalidXmlDocument"));
    let position = long.lines().nth(1).unwrap().find("</Days>").unwrap() + "</Days><".len() + 1;
    assert_eq!(r.elem("LineNumber"), "2", "{}", r.body);
    assert_eq!(r.elem("LinePosition"), position.to_string(), "{}", r.body);
    assert_eq!(
        r.elem("Reason"),
        "Retention days must be greater than 0 and less than or equal to 365 days."
    );
}
