//! Wire details that the Go (`azqueue`), .NET (`Azure.Storage.Queues`) and Java
//! (`azure-storage-queue`) SDK suites show of the live service and that the SDKs themselves
//! hide: how empty elements are written, `Cache-Control` on reads, what List Queues' markers
//! name, how a malformed pop receipt differs from an unknown one, the empty metadata key, and
//! the code a queue SAS gets for an operation no queue SAS can grant.

mod common;

use common::{dev, message_body, service_sas, Auth};

const A: &str = "/devstoreaccount1";

#[tokio::test]
async fn empty_elements_are_closed_in_place() {
    let s = dev().await;
    s.ok("PUT", &format!("{A}/emptyq"), "").await;
    // Java "enqueue empty message": `<MessageText />` on peek (and get).
    s.ok("POST", &format!("{A}/emptyq/messages"), &message_body(""))
        .await;
    let r = s
        .ok("GET", &format!("{A}/emptyq/messages?peekonly=true"), "")
        .await;
    assert!(
        r.body
            .contains("<DequeueCount>0</DequeueCount><MessageText /></QueueMessage>"),
        "{}",
        r.body
    );
    let r = s.ok("GET", &format!("{A}/emptyq/messages"), "").await;
    assert!(
        r.body.contains("<MessageText /></QueueMessage>"),
        "{}",
        r.body
    );
    // Nothing visible: the list closes in place too.
    let r = s.ok("GET", &format!("{A}/emptyq/messages"), "").await;
    assert!(r.body.ends_with("?><QueueMessagesList />"), "{}", r.body);
    // Java "get access policy" of a new queue: `<SignedIdentifiers />`.
    let r = s.ok("GET", &format!("{A}/emptyq?comp=acl"), "").await;
    assert_eq!(
        r.body,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><SignedIdentifiers />"
    );
    // Go's recorded Get Service Properties: `<Cors />` without rules.
    let r = s
        .ok("GET", &format!("{A}/?restype=service&comp=properties"), "")
        .await;
    assert!(
        r.body.ends_with("<Cors /></StorageServiceProperties>"),
        "{}",
        r.body
    );
    // A listing with nothing in it, and a queue without metadata.
    let r = s
        .ok("GET", &format!("{A}/?comp=list&prefix=nothing"), "")
        .await;
    assert!(
        r.body
            .contains("<Prefix>nothing</Prefix><Queues /><NextMarker />"),
        "{}",
        r.body
    );
    let r = s
        .ok(
            "GET",
            &format!("{A}/?comp=list&prefix=emptyq&include=metadata"),
            "",
        )
        .await;
    assert!(
        r.body
            .contains("<Queue><Name>emptyq</Name><Metadata /></Queue>"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn reads_carry_cache_control_no_cache() {
    let s = dev().await;
    let r = s.ok("PUT", &format!("{A}/cacheq"), "").await;
    assert_eq!((r.status, r.header("cache-control")), (201, ""));
    let r = s
        .ok("POST", &format!("{A}/cacheq/messages"), &message_body("m"))
        .await;
    assert_eq!((r.status, r.header("cache-control")), (201, ""));
    for path in [
        format!("{A}/?comp=list"),
        format!("{A}/?restype=service&comp=properties"),
        format!("{A}/?restype=service&comp=stats"),
        format!("{A}/cacheq?comp=acl"),
        format!("{A}/cacheq?comp=metadata"),
        format!("{A}/cacheq/messages?peekonly=true"),
        format!("{A}/cacheq/messages"),
    ] {
        let r = s.ok("GET", &path, "").await;
        assert_eq!(
            (r.status, r.header("cache-control")),
            (200, "no-cache"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn list_markers_name_the_next_queue_and_start_there() {
    let s = dev().await;
    for q in ["lmq-a", "lmq-b", "lmq-c"] {
        s.ok("PUT", &format!("{A}/{q}"), "").await;
    }
    // Java "list queues" (maxresults=2): NextMarker is the first queue NOT returned.
    let r = s
        .ok(
            "GET",
            &format!("{A}/?comp=list&prefix=lmq-&maxresults=2"),
            "",
        )
        .await;
    assert_eq!(r.all("Name"), ["lmq-a", "lmq-b"]);
    assert_eq!(r.elem("NextMarker"), "/devstoreaccount1/lmq-c");
    // ... and the next page starts at it, echoing it as Marker.
    let r = s
        .ok(
            "GET",
            &format!("{A}/?comp=list&prefix=lmq-&maxresults=2&marker=/devstoreaccount1/lmq-c"),
            "",
        )
        .await;
    assert_eq!(r.all("Name"), ["lmq-c"]);
    assert_eq!(r.elem("Marker"), "/devstoreaccount1/lmq-c");
    assert!(r.body.contains("<NextMarker />"));
    // A marker naming a queue includes it; one naming no queue starts after it.
    let r = s
        .ok(
            "GET",
            &format!("{A}/?comp=list&prefix=lmq-&marker=/devstoreaccount1/lmq-b"),
            "",
        )
        .await;
    assert_eq!(r.all("Name"), ["lmq-b", "lmq-c"]);
    let r = s
        .ok(
            "GET",
            &format!("{A}/?comp=list&prefix=lmq-&marker=/devstoreaccount1/lmq-bb"),
            "",
        )
        .await;
    assert_eq!(r.all("Name"), ["lmq-c"]);
}

#[tokio::test]
async fn malformed_and_unknown_pop_receipts() {
    let s = dev().await;
    s.ok("PUT", &format!("{A}/prq"), "").await;
    let r = s
        .ok("POST", &format!("{A}/prq/messages"), &message_body("m"))
        .await;
    let (id, receipt) = (r.elem("MessageId"), r.elem("PopReceipt"));
    // Java `invalidArgsSupplier` [0]: a receipt that is not base64 is malformed, with the
    // details Azure recorded.
    let bad = format!("{receipt}Random");
    for (method, vis) in [("DELETE", ""), ("PUT", "&visibilitytimeout=1")] {
        let r = s
            .ok(
                method,
                &format!("{A}/prq/messages/{id}?popreceipt={bad}{vis}"),
                "",
            )
            .await;
        assert_eq!(
            (r.status, r.code()),
            (400, "InvalidQueryParameterValue"),
            "{method}"
        );
        assert_eq!(r.elem("QueryParameterName"), "popreceipt");
        assert_eq!(r.elem("QueryParameterValue"), bad);
        assert_eq!(r.elem("Reason"), "Invalid pop receipt format");
        // [2]: both wrong is still the malformed receipt.
        let r = s
            .ok(
                method,
                &format!("{A}/prq/messages/{id}Random?popreceipt={bad}{vis}"),
                "",
            )
            .await;
        assert_eq!(
            (r.status, r.code()),
            (400, "InvalidQueryParameterValue"),
            "{method}"
        );
        // [1]: a good receipt with an unknown id.
        let r = s
            .ok(
                method,
                &format!("{A}/prq/messages/{id}Random?popreceipt={receipt}{vis}"),
                "",
            )
            .await;
        assert_eq!((r.status, r.code()), (404, "MessageNotFound"), "{method}");
        // .NET DeleteMessagAsync_Error / UpdateMessageAsync_Error: a random id with a random
        // 20-letter word (valid base64, but no receipt of ours) is not found.
        let r = s
            .ok(
                method,
                &format!("{A}/prq/messages/0b6d1c8e-2f4a-4e0b-9d3c-5a7e8f9a0b1c?popreceipt=qwertyuiopasdfghjklz{vis}"),
                "",
            )
            .await;
        assert_eq!((r.status, r.code()), (404, "MessageNotFound"), "{method}");
        assert!(r
            .body
            .contains("<Message>The specified message does not exist.\nRequestId:"));
    }
    // The message is untouched by all of it.
    let r = s
        .ok("GET", &format!("{A}/prq/messages?peekonly=true"), "")
        .await;
    assert_eq!(r.elem("MessageId"), id);
}

#[tokio::test]
async fn an_empty_metadata_name_has_its_own_code() {
    let s = dev().await;
    let empty = [("x-ms-meta-", "value")];
    let r = s
        .send("PUT", &format!("{A}/metaq"), &empty, "", Auth::SharedKey)
        .await;
    assert_eq!((r.status, r.code()), (400, "EmptyMetadataKey"));
    assert!(r
        .elem("Message")
        .starts_with("The key for one of the metadata key-value pairs is empty."));
    // Azure names the value whose key is missing (Java `setInvalidMetadata[3]` recording).
    assert_eq!(r.elem("MetadataValue"), "value");
    s.ok("PUT", &format!("{A}/metaq"), "").await;
    let r = s
        .send(
            "PUT",
            &format!("{A}/metaq?comp=metadata"),
            &empty,
            "",
            Auth::SharedKey,
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "EmptyMetadataKey"));
    // Java `setInvalidMetadataSupplier`: not an identifier → InvalidMetadata.
    for name in ["x-ms-meta-invalid-meta", "x-ms-meta-12345"] {
        let r = s
            .send(
                "PUT",
                &format!("{A}/metaq?comp=metadata"),
                &[(name, "v")],
                "",
                Auth::SharedKey,
            )
            .await;
        assert_eq!((r.status, r.code()), (400, "InvalidMetadata"), "{name}");
    }
}

#[tokio::test]
async fn a_queue_sas_cannot_manage_its_queue() {
    let s = dev().await;
    s.ok("PUT", &format!("{A}/sasmq"), "").await;
    // Go TestQueueGetSASURL2 and .NET CreateAsync_WithQueueServiceSas: even "raup" cannot
    // create (or delete, or reconfigure) the queue; Azure answers AuthorizationFailure.
    let all = service_sas("sasmq", "raup", "2099-01-01T00:00:00Z", "");
    for (method, query) in [
        ("PUT", String::new()),
        ("DELETE", String::new()),
        ("PUT", "comp=metadata&".to_string()),
        ("PUT", "comp=acl&".to_string()),
    ] {
        let r = s
            .send(
                method,
                &format!("{A}/sasmq?{query}{all}"),
                &[],
                "",
                Auth::None,
            )
            .await;
        assert_eq!(
            (r.status, r.code()),
            (403, "AuthorizationFailure"),
            "{method} {query}"
        );
        assert!(r
            .elem("Message")
            .starts_with("This request is not authorized to perform this operation.\n"));
    }
    // A grantable operation without its letter stays a permission mismatch (Go: properties
    // with "a" only).
    let add = service_sas("sasmq", "a", "2099-01-01T00:00:00Z", "");
    let r = s
        .send(
            "GET",
            &format!("{A}/sasmq?comp=metadata&{add}"),
            &[],
            "",
            Auth::None,
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (403, "AuthorizationPermissionMismatch")
    );
    let r = s.ok("GET", &format!("{A}/sasmq?comp=metadata"), "").await;
    assert_eq!(r.status, 200, "the queue is still there");
}
