//! Authentication over the wire: SharedKey, SharedKeyLite, account and service SAS, anonymous
//! requests (refused in every mode) and the clock check of enforce mode.

mod common;

use common::{account_sas, dev, message_body, service_sas, start, Auth};
use polyq_azure::AzureConfig;

const A: &str = "/devstoreaccount1";

#[tokio::test]
async fn shared_key_variants() {
    let s = dev().await;
    assert_eq!(
        s.send("PUT", &format!("{A}/skq"), &[], "", Auth::SharedKey)
            .await
            .status,
        201
    );
    let r = s
        .send(
            "GET",
            &format!("{A}/skq?comp=metadata"),
            &[],
            "",
            Auth::SharedKeyLite,
        )
        .await;
    assert_eq!(r.status, 200);
    let r = s
        .send(
            "GET",
            &format!("{A}/skq?comp=metadata"),
            &[],
            "",
            Auth::WrongKey,
        )
        .await;
    assert_eq!((r.status, r.code()), (403, "AuthenticationFailed"));
    assert!(r
        .elem("AuthenticationErrorDetail")
        .contains("/devstoreaccount1/devstoreaccount1/skq\ncomp:metadata"));
    let r = s
        .send(
            "GET",
            &format!("{A}/skq?comp=metadata"),
            &[],
            "",
            Auth::Raw("Basic abc"),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "InvalidAuthenticationInfo"));
    let r = s
        .send(
            "GET",
            &format!("{A}/skq?comp=metadata"),
            &[],
            "",
            Auth::Raw("SharedKey other:abc"),
        )
        .await;
    assert_eq!(r.code(), "AuthenticationFailed");
    // Unknown account in the path.
    let r = s
        .send(
            "GET",
            "/someoneelse/skq?comp=metadata",
            &[],
            "",
            Auth::SharedKey,
        )
        .await;
    assert_eq!((r.status, r.code()), (404, "ResourceNotFound"));
}

/// Clients of x-ms-version 2014-02-14 and earlier (the 2015-era SDKs) sign a zero
/// Content-Length as `0`; later ones as an empty line. Both are accepted for their version.
/// (Over a plain socket: the request must carry the `Content-Length: 0` it signed.)
#[tokio::test]
async fn zero_content_length_is_signed_as_the_version_says() {
    let s = dev().await;
    let status = |raw: &str| raw.split(' ').nth(1).unwrap_or("").to_string();
    let old = [("x-ms-version", "2014-02-14"), ("Content-Length", "0")];
    let r = s.raw("PUT", &format!("{A}/oldq"), &old).await;
    assert_eq!(status(&r), "201", "{r}");
    let r = s.raw("DELETE", &format!("{A}/oldq"), &old).await;
    assert_eq!(status(&r), "204", "{r}");
    // The same request signed the current way is refused for the old version...
    let r = s
        .raw(
            "PUT",
            &format!("{A}/oldq"),
            &[("x-ms-version", "2014-02-14")],
        )
        .await;
    assert_eq!(status(&r), "403", "{r}");
    // ...and is how a current version signs it.
    let r = s.raw("PUT", &format!("{A}/newq"), &[]).await;
    assert_eq!(status(&r), "201", "{r}");
}

/// A `+` in the query: signed as a literal `+` by most SDKs, as a space by clients whose URL
/// library writes spaces as `+` (the Rust `azure_storage` crate). Both are accepted.
#[tokio::test]
async fn a_plus_in_the_query_is_signed_either_way() {
    let s = dev().await;
    let query = "comp=list&prefix=a+b";
    let literal = s
        .send("GET", &format!("{A}?{query}"), &[], "", Auth::SharedKey)
        .await;
    assert_eq!(literal.status, 200, "{}", literal.body);
    // Signed with the space, sent with `+`.
    let date = common::now_rfc1123();
    let mut headers = http::HeaderMap::new();
    headers.insert("x-ms-version", "2026-02-06".parse().unwrap());
    headers.insert("x-ms-date", date.parse().unwrap());
    let sts = polyq_azure::sign::shared_key_string(
        "GET",
        polyq_azure::DEV_ACCOUNT,
        A,
        "comp=list&prefix=a%20b",
        &headers,
    );
    let key = polyq_azure::sign::decode_key(polyq_azure::DEV_KEY).unwrap();
    let auth = format!(
        "SharedKey {}:{}",
        polyq_azure::DEV_ACCOUNT,
        polyq_azure::sign::hmac_b64(&key, &sts)
    );
    let extra = [("x-ms-date", date.as_str())];
    let spaced = s
        .send("GET", &format!("{A}?{query}"), &extra, "", Auth::Raw(&auth))
        .await;
    assert_eq!(spaced.status, 200, "{}", spaced.body);
    // Anything else still fails.
    let wrong = s
        .send(
            "GET",
            &format!("{A}?comp=list&prefix=a+c"),
            &extra,
            "",
            Auth::Raw(&auth),
        )
        .await;
    assert_eq!((wrong.status, wrong.code()), (403, "AuthenticationFailed"));
}

#[tokio::test]
async fn anonymous_requests_of_versions_before_2019_12_12_are_resource_not_found() {
    // Recorded by azure-sdk-for-net under 2018-11-09 (GetPropertiesAsync_Error,
    // ExistsAsync_Error): 404 ResourceNotFound, no bearer challenge; re-recorded under
    // 2024-08-04 as 401 NoAuthenticationInformation.
    let s = dev().await;
    for path in [
        format!("{A}/?restype=service&comp=properties"),
        format!("{A}/anonq?comp=metadata"),
    ] {
        let r = s
            .send(
                "GET",
                &path,
                &[("x-ms-version", "2018-11-09")],
                "",
                Auth::None,
            )
            .await;
        assert_eq!((r.status, r.code()), (404, "ResourceNotFound"), "{path}");
        assert!(r.headers.get("www-authenticate").is_none(), "{path}");
        let r = s
            .send(
                "GET",
                &path,
                &[("x-ms-version", "2019-12-12")],
                "",
                Auth::None,
            )
            .await;
        assert_eq!(
            (r.status, r.code()),
            (401, "NoAuthenticationInformation"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn anonymous_refused_in_dev_and_enforce() {
    let s = dev().await;
    let r = s
        .send("PUT", &format!("{A}/anonq"), &[], "", Auth::None)
        .await;
    assert_eq!((r.status, r.code()), (401, "NoAuthenticationInformation"));
    let s = start(AzureConfig {
        enforce: true,
        ..AzureConfig::default()
    })
    .await;
    let r = s
        .send("PUT", &format!("{A}/anonq"), &[], "", Auth::None)
        .await;
    assert_eq!((r.status, r.code()), (401, "NoAuthenticationInformation"));
    assert!(r.header("www-authenticate").starts_with("Bearer"));
    assert_eq!(
        s.send("PUT", &format!("{A}/anonq"), &[], "", Auth::SharedKey)
            .await
            .status,
        201
    );
    let stale = [("x-ms-date", "Mon, 01 Jan 2024 00:00:00 GMT")];
    let r = s
        .send(
            "GET",
            &format!("{A}/anonq?comp=metadata"),
            &stale,
            "",
            Auth::SharedKey,
        )
        .await;
    assert_eq!((r.status, r.code()), (403, "AuthenticationFailed"));
}

#[tokio::test]
async fn account_sas_checks() {
    let s = dev().await;
    s.ok("PUT", &format!("{A}/sasq"), "").await;
    let good = account_sas(
        "rlap",
        "sco",
        "2024-01-01T00:00:00Z",
        "2099-01-01T00:00:00Z",
    );
    let r = s
        .send(
            "GET",
            &format!("{A}/?comp=list&{good}"),
            &[],
            "",
            Auth::None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = s
        .send(
            "POST",
            &format!("{A}/sasq/messages?{good}"),
            &[],
            &message_body("x"),
            Auth::None,
        )
        .await;
    assert_eq!(r.status, 201);
    let r = s
        .send("DELETE", &format!("{A}/sasq?{good}"), &[], "", Auth::None)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (403, "AuthorizationPermissionMismatch")
    );
    let r = s
        .send(
            "GET",
            &format!("{A}/sasq?comp=acl&{good}"),
            &[],
            "",
            Auth::None,
        )
        .await;
    assert_eq!(r.status, 403);
    let objects_only = account_sas("rl", "o", "", "2099-01-01T00:00:00Z");
    let r = s
        .send(
            "GET",
            &format!("{A}/?comp=list&{objects_only}"),
            &[],
            "",
            Auth::None,
        )
        .await;
    assert_eq!(r.code(), "AuthorizationResourceTypeMismatch");
    // Clients of 2024-08-04 and later are told which resource type is missing.
    assert_eq!(
        r.elem("ExtendedErrorDetail"),
        "SignedResourceTypes 's' is required to perform this operation."
    );
    for (version, shown) in [("2024-08-04", true), ("2023-11-03", false)] {
        let r = s
            .send(
                "GET",
                &format!("{A}/?comp=list&{objects_only}"),
                &[("x-ms-version", version)],
                "",
                Auth::None,
            )
            .await;
        assert_eq!(r.code(), "AuthorizationResourceTypeMismatch");
        assert_eq!(
            r.body.contains("<ExtendedErrorDetail>"),
            shown,
            "{version}: {}",
            r.body
        );
    }
    let expired = account_sas("rl", "s", "", "2020-01-01T00:00:00Z");
    let r = s
        .send(
            "GET",
            &format!("{A}/?comp=list&{expired}"),
            &[],
            "",
            Auth::None,
        )
        .await;
    assert_eq!((r.status, r.code()), (403, "AuthenticationFailed"));
    assert!(r.elem("AuthenticationErrorDetail").starts_with(
        "Signed expiry time [Wed, 01 Jan 2020 00:00:00 GMT] has to be after signed start time ["
    ));
    let future = account_sas("rl", "s", "2098-01-01T00:00:00Z", "2099-01-01T00:00:00Z");
    assert_eq!(
        s.send(
            "GET",
            &format!("{A}/?comp=list&{future}"),
            &[],
            "",
            Auth::None
        )
        .await
        .status,
        403
    );
    let tampered = good.replace("sp=rlap", "sp=rwdlacup");
    let r = s
        .send(
            "DELETE",
            &format!("{A}/sasq?{tampered}"),
            &[],
            "",
            Auth::None,
        )
        .await;
    assert_eq!(r.code(), "AuthenticationFailed");
    let r = s
        .send(
            "GET",
            &format!("{A}/?comp=list&{good}&spr=https"),
            &[],
            "",
            Auth::None,
        )
        .await;
    assert_eq!(
        r.code(),
        "AuthenticationFailed",
        "spr is signed, so adding it breaks the signature"
    );
    let twice = format!("{good}&sig=abc");
    assert_eq!(
        s.send(
            "GET",
            &format!("{A}/?comp=list&{twice}"),
            &[],
            "",
            Auth::None
        )
        .await
        .code(),
        "AuthenticationFailed"
    );
}

#[tokio::test]
async fn service_sas_inline_and_stored_policy() {
    let s = dev().await;
    let q = format!("{A}/svcq");
    s.ok("PUT", &q, "").await;
    let add = service_sas("svcq", "a", "2099-01-01T00:00:00Z", "");
    let r = s
        .send(
            "POST",
            &format!("{q}/messages?{add}"),
            &[],
            &message_body("x"),
            Auth::None,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = s
        .send("GET", &format!("{q}/messages?{add}"), &[], "", Auth::None)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (403, "AuthorizationPermissionMismatch")
    );
    // The same token on another queue fails the signature (the queue is signed).
    s.ok("PUT", &format!("{A}/otherq"), "").await;
    let r = s
        .send(
            "POST",
            &format!("{A}/otherq/messages?{add}"),
            &[],
            &message_body("x"),
            Auth::None,
        )
        .await;
    assert_eq!(r.code(), "AuthenticationFailed");

    let acl = "<SignedIdentifiers><SignedIdentifier><Id>readers</Id><AccessPolicy><Expiry>2099-01-01T00:00:00Z</Expiry><Permission>rp</Permission></AccessPolicy></SignedIdentifier></SignedIdentifiers>";
    s.ok("PUT", &format!("{q}?comp=acl"), acl).await;
    let readers = service_sas("svcq", "", "", "readers");
    let r = s
        .send(
            "GET",
            &format!("{q}/messages?{readers}"),
            &[],
            "",
            Auth::None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.elem("MessageText"), "x");
    let r = s
        .send(
            "POST",
            &format!("{q}/messages?{readers}"),
            &[],
            &message_body("x"),
            Auth::None,
        )
        .await;
    assert_eq!(r.code(), "AuthorizationPermissionMismatch");
    let unknown = service_sas("svcq", "", "", "nobody");
    let r = s
        .send(
            "GET",
            &format!("{q}/messages?{unknown}"),
            &[],
            "",
            Auth::None,
        )
        .await;
    assert_eq!((r.status, r.code()), (403, "AuthenticationFailed"));
}
