//! Known vectors captured from the official Python SDK (azure-storage-queue 12.18.1) signing
//! real requests with the development key, plus a SharedKeyLite vector computed by hand.

use http::{HeaderMap, HeaderName, HeaderValue};

use super::*;

const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const DATE: &str = "Mon, 23 Nov 2026 12:06:27 GMT";

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

fn sdk_headers(extra: &[(&str, &str)], client_id: &str) -> HeaderMap {
    let mut pairs = vec![
        ("x-ms-version", "2026-10-06"),
        ("Accept", "application/xml"),
        ("User-Agent", "azsdk-python-storage-queue/12.18.1"),
        ("x-ms-date", DATE),
        ("x-ms-client-request-id", client_id),
    ];
    pairs.extend_from_slice(extra);
    headers(&pairs)
}

fn key() -> Vec<u8> {
    decode_key(KEY).unwrap()
}

#[test]
fn shared_key_put_message_vector() {
    let h = sdk_headers(
        &[
            ("Content-Length", "106"),
            ("Content-Type", "application/xml"),
        ],
        "4faf40e6-e736-11f1-94b3-02fc00000001",
    );
    let sts = shared_key_string(
        "POST",
        "devstoreaccount1",
        "/devstoreaccount1/myqueue/messages",
        "visibilitytimeout=5&messagettl=-1",
        &h,
    );
    assert!(sts.ends_with(
        "/devstoreaccount1/devstoreaccount1/myqueue/messages\nmessagettl:-1\nvisibilitytimeout:5"
    ));
    assert_eq!(
        hmac_b64(&key(), &sts),
        "NeTIfFCJ6gFSKi6SpsRpiEwmhNfmJDroJyifZeYXePE="
    );
}

#[test]
fn shared_key_set_metadata_vector_lowercases_meta_names() {
    let h = headers(&[
        ("x-ms-meta-Color", "blue"),
        ("x-ms-meta-a", "1"),
        ("x-ms-version", "2026-10-06"),
        ("x-ms-date", DATE),
        (
            "x-ms-client-request-id",
            "4faf593c-e736-11f1-94b3-02fc00000001",
        ),
    ]);
    let sts = shared_key_string(
        "PUT",
        "devstoreaccount1",
        "/devstoreaccount1/myqueue",
        "comp=metadata",
        &h,
    );
    assert_eq!(
        hmac_b64(&key(), &sts),
        "wLxUqANaE56P7vBx5xaEzIjveMIIbbg1A6T9Cm6/fnI="
    );
}

#[test]
fn shared_key_get_messages_and_list_vectors() {
    let h = sdk_headers(&[], "4faf69ea-e736-11f1-94b3-02fc00000001");
    let sts = shared_key_string(
        "GET",
        "devstoreaccount1",
        "/devstoreaccount1/myqueue/messages",
        "numofmessages=3",
        &h,
    );
    assert_eq!(
        hmac_b64(&key(), &sts),
        "W4iz/tAgL18TBuI420zX3QI2Yc+tAiLtdjfXIAIrSnY="
    );

    let h = sdk_headers(&[], "4faf8268-e736-11f1-94b3-02fc00000001");
    let sts = shared_key_string(
        "GET",
        "devstoreaccount1",
        "/devstoreaccount1/",
        "prefix=my&include=metadata&comp=list",
        &h,
    );
    assert!(sts
        .ends_with("/devstoreaccount1/devstoreaccount1/\ncomp:list\ninclude:metadata\nprefix:my"));
    assert_eq!(
        hmac_b64(&key(), &sts),
        "OG8udgK6+wqB3pLnogVS4yOeWisc41x2mCooczrEOW4="
    );
}

#[test]
fn shared_key_lite_vector() {
    let h = headers(&[
        ("x-ms-meta-a", "1"),
        ("x-ms-version", "2026-10-06"),
        ("x-ms-date", DATE),
    ]);
    let sts = shared_key_lite_string(
        "PUT",
        "devstoreaccount1",
        "/devstoreaccount1/myqueue",
        "comp=metadata&timeout=30",
        &h,
    );
    assert_eq!(
        sts,
        "PUT\n\n\n\nx-ms-date:Mon, 23 Nov 2026 12:06:27 GMT\nx-ms-meta-a:1\nx-ms-version:2026-10-06\n/devstoreaccount1/devstoreaccount1/myqueue?comp=metadata"
    );
    assert_eq!(
        hmac_b64(&key(), &sts),
        "TiY4YhkjlG4+wqh1x2RL4/INMH5Zbfs9irbMOhMkusg="
    );
}

#[test]
fn account_sas_vector() {
    let token = "st=2024-01-01T00%3A00%3A00Z&se=2030-01-01T00%3A00%3A00Z&sp=rwlap&sv=2026-10-06&ss=q&srt=sco&sig=klBTlxL99CrhTzbtgKLB8m%2By/ot7GA40KKO8pRsLmko%3D";
    let f = SasFields::from_query(&parse_query(token));
    assert_eq!(f.st, "2024-01-01T00:00:00Z");
    assert_eq!(
        hmac_b64(&key(), &f.account_string("devstoreaccount1")),
        f.sig
    );
}

#[test]
fn service_sas_vectors() {
    let token = "st=2024-01-01T00%3A00%3A00Z&se=2030-01-01T00%3A00%3A00Z&sp=rap&sv=2026-10-06&sig=VmaLjlf4Gw5jrNgRwDIb5gl6NabH6LNR0iu8EDW014c%3D";
    let f = SasFields::from_query(&parse_query(token));
    assert_eq!(
        hmac_b64(&key(), &f.service_string("devstoreaccount1", "myqueue")),
        f.sig
    );

    let token = "sv=2026-10-06&si=pol1&sig=DuknGmbqPqQo18A6zMRk3lp4L7IifN%2Bt%2BzlKdiiwBHU%3D";
    let f = SasFields::from_query(&parse_query(token));
    assert_eq!(
        hmac_b64(&key(), &f.service_string("devstoreaccount1", "myqueue")),
        f.sig
    );
}

#[test]
fn query_keeps_plus_and_joins_repeats() {
    assert_eq!(
        parse_query("a=1+2&b=%2B"),
        vec![("a".into(), "1+2".into()), ("b".into(), "+".into())]
    );
    assert_eq!(
        canonical_resource("acc", "/acc/q", "B=2&a=1&b=1"),
        "/acc/acc/q\na:1\nb:1,2"
    );
}
