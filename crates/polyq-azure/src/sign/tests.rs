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

    // The pre-2015 layout, from the Python SDK of 2015 (azure 0.11.1,
    // `generate_shared_access_signature`): no service name in the resource, no sip/spr.
    let token = "st=2024-01-01T00%3A00%3A00Z&se=2030-01-01T00%3A00%3A00Z&sp=r&sv=2014-02-14&sig=%2BCIah1EiUzmaBQ4nKej0IXwg3LbA/JTkpZ/ktH2OhAE=";
    let f = SasFields::from_query(&parse_query(token));
    let sts = f.service_string("devstoreaccount1", "myqueue");
    assert_eq!(
        sts,
        "r\n2024-01-01T00:00:00Z\n2030-01-01T00:00:00Z\n/devstoreaccount1/myqueue\n\n2014-02-14"
    );
    assert_eq!(hmac_b64(&key(), &sts), f.sig);
    // 2015-02-21 has the service name but not yet sip/spr.
    let f = SasFields {
        sv: "2015-02-21".into(),
        sp: "r".into(),
        ..Default::default()
    };
    assert_eq!(
        f.service_string("a", "q"),
        "r\n\n\n/queue/a/q\n\n2015-02-21"
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

#[test]
fn decoding_borrows_plain_text_and_replaces_bad_utf8() {
    assert!(matches!(
        decode("plain"),
        std::borrow::Cow::Borrowed("plain")
    ));
    assert_eq!(decode("a%2Bb%20c"), "a+b c");
    assert_eq!(decode("x%FFy"), "x\u{fffd}y");
    assert_eq!(decode("%E2%82%AC+"), "€+");
}

#[test]
fn keyed_mac_and_split_string_to_sign_match_the_plain_ones() {
    let h = sdk_headers(&[("Content-Type", "application/xml")], "id-1");
    let path = "/devstoreaccount1/myqueue/messages";
    let query = "visibilitytimeout=5&MessageTTL=-1&b=2&b=1";
    let whole = shared_key_string("POST", "devstoreaccount1", path, query, &h);
    let head = shared_key_head("POST", &h);
    assert_eq!(
        shared_key_with_head(&head, "devstoreaccount1", path, query),
        whole
    );
    assert!(whole.ends_with("/devstoreaccount1/devstoreaccount1/myqueue/messages\nb:1,2\nmessagettl:-1\nvisibilitytimeout:5"));
    assert_eq!(canonical_resource("a", "/p", ""), "/a/p");
    assert_eq!(
        KeyedMac::new(&key()).sign_b64(&whole),
        hmac_b64(&key(), &whole)
    );
}

/// The string-to-sign head as first written (one lookup per line, `get_all` per `x-ms-*`
/// name), to hold the one-pass version to the same output.
fn reference_head(method: &str, headers: &HeaderMap) -> String {
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let length = match get("content-length") {
        "0" if get("x-ms-version") >= "2015-02-21" || get("x-ms-version").is_empty() => "",
        other => other,
    };
    let lines = [
        method,
        get("content-encoding"),
        get("content-language"),
        length,
        get("content-md5"),
        get("content-type"),
        get("date"),
        get("if-modified-since"),
        get("if-match"),
        get("if-none-match"),
        get("if-unmodified-since"),
        get("range"),
    ];
    let mut names: Vec<&str> = headers
        .keys()
        .map(|k| k.as_str())
        .filter(|k| k.starts_with("x-ms-"))
        .collect();
    names.sort_unstable();
    let mut ms = String::new();
    for name in names {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|v| {
                v.as_bytes()
                    .iter()
                    .map(|&b| char::from(b))
                    .collect::<String>()
            })
            .map(|v| v.trim().to_string())
            .collect();
        ms.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    format!("{}\n{ms}", lines.join("\n"))
}

#[test]
fn header_lines_take_first_values_and_join_repeated_ms_headers() {
    let mut h = headers(&[
        ("Content-Length", "0"),
        ("Range", "bytes=0-1"),
        ("Range", "bytes=5-6"),
        ("x-ms-b", " 2 "),
        ("x-ms-a", "1"),
        ("x-ms-b", "3"),
        ("x-ms-c", "z"),
    ]);
    h.append("x-ms-c", HeaderValue::from_bytes(b"\xff").unwrap());
    h.append("x-ms-d", HeaderValue::from_bytes(b"\xff").unwrap());
    h.append("x-ms-d", HeaderValue::from_static("ok"));
    h.append("x-ms-e", HeaderValue::from_bytes(b"\xfe").unwrap());
    h.append("date", HeaderValue::from_bytes(b"\xfe").unwrap());
    h.append("date", HeaderValue::from_static("later"));
    let ours = shared_key_head("GET", &h);
    assert_eq!(ours, reference_head("GET", &h));
    // Bytes outside ASCII are read as Latin-1 (0xFF is ÿ, 0xFE þ), as Azure reads them.
    assert!(
        ours.ends_with("\nbytes=0-1\nx-ms-a:1\nx-ms-b:2,3\nx-ms-c:z,ÿ\nx-ms-d:ÿ,ok\nx-ms-e:þ\n")
    );
    assert_eq!(canonical_headers(&HeaderMap::new()), "");
    for h in [
        headers(&[("Content-Length", "12"), ("Content-MD5", "m")]),
        sdk_headers(&[("Content-Type", "application/xml")], "id-2"),
        HeaderMap::new(),
    ] {
        assert_eq!(shared_key_head("PUT", &h), reference_head("PUT", &h));
    }
}

#[test]
fn zero_content_length_is_signed_before_2015_02_21_and_empty_from_then() {
    let head = |version: &str| {
        let mut pairs = vec![("Content-Length", "0"), ("x-ms-date", DATE)];
        if !version.is_empty() {
            pairs.push(("x-ms-version", version));
        }
        let h = headers(&pairs);
        let ours = shared_key_head("PUT", &h);
        assert_eq!(ours, reference_head("PUT", &h), "{version}");
        ours
    };
    // Method, Content-Encoding, Content-Language, then Content-Length.
    for old in ["2009-09-19", "2013-08-15", "2014-02-14"] {
        assert!(head(old).starts_with("PUT\n\n\n0\n"), "{old}");
    }
    for current in ["2015-02-21", "2026-02-06", ""] {
        assert!(head(current).starts_with("PUT\n\n\n\n"), "{current}");
    }
    // A non-zero length is signed whatever the version.
    let h = headers(&[("Content-Length", "7"), ("x-ms-version", "2026-02-06")]);
    assert!(shared_key_head("PUT", &h).starts_with("PUT\n\n\n7\n"));
}
