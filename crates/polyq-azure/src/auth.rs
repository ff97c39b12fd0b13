//! Who may do what: SharedKey / SharedKeyLite verification (with the emulator's doubled account
//! segment), account and service SAS (signature, time window, IP, protocol, service, resource
//! type, permission, stored access policies), and the refusal of anonymous requests.
//!
//! Signatures are always verified, whatever the server's auth mode: Azure SDKs sign every
//! request with the (well-known) development key, so checking costs clients nothing.

use std::net::IpAddr;

use http::HeaderMap;
use polyq_http::auth::constant_time_eq;

use crate::acl::AccessPolicy;
use crate::error::{AzError, AzResult, EXTENDED_ERROR_DETAIL};
use crate::route::{account_sas_needs, service_sas_needs, Op};
use crate::sign::{self, SasFields};
use crate::time::{parse_iso8601, parse_rfc1123, rfc1123};

/// A configured account with its decoded key, ready to sign with.
#[derive(Clone)]
pub struct Account {
    pub name: String,
    pub mac: sign::KeyedMac,
}

/// What a request proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// SharedKey / SharedKeyLite: the account owner.
    Owner,
    /// A valid account SAS (time, IP and protocol already checked).
    AccountSas(SasFields),
    /// A service SAS with a valid signature; its policy, time and permission are checked by
    /// [`check_service_sas`] once the queue's stored policies are known.
    ServiceSas(SasFields),
}

/// The request parts authentication looks at.
pub struct AuthInput<'a> {
    pub method: &'a str,
    pub raw_path: &'a str,
    pub raw_query: &'a str,
    pub headers: &'a HeaderMap,
    pub query: &'a [(String, String)],
    pub account: &'a Account,
    /// The account came from the first path segment (emulator style), so the canonical
    /// resource holds it twice.
    pub path_style: bool,
    pub queue: Option<&'a str>,
    pub now_ms: u64,
    pub remote: Option<IpAddr>,
    /// The request came over HTTPS (a TLS listener).
    pub tls: bool,
    pub enforce: bool,
}

/// Allowed clock skew of `x-ms-date` / `Date` in enforce mode (Azure: 15 minutes).
const MAX_SKEW_MS: u64 = 15 * 60 * 1000;

pub fn authenticate(input: &AuthInput) -> AzResult<Grant> {
    if let Some(auth) = input.headers.get("authorization") {
        let auth = auth.to_str().unwrap_or("");
        return shared_key(input, auth);
    }
    let sigs = input.query.iter().filter(|(k, _)| k == "sig").count();
    if sigs > 1 {
        return Err(AzError::auth_failed(
            "The sig parameter is given more than once.",
        ));
    }
    if sigs == 1 {
        return sas(input);
    }
    // Azure has no anonymous access to queues, so neither has polyq, in any auth mode: an
    // application that forgot its credential must fail here as it would against Azure
    // (Azurite's suite checks this). Current API versions answer 401 with a bearer challenge.
    Err(AzError::new(
        401,
        "NoAuthenticationInformation",
        "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.",
    ))
}

fn invalid_auth_info() -> AzError {
    AzError::new(
        400,
        "InvalidAuthenticationInfo",
        "Authentication information is not given in the correct format. Check the value of Authorization header.",
    )
}

fn shared_key(input: &AuthInput, header: &str) -> AzResult<Grant> {
    let (scheme, rest) = header.split_once(' ').ok_or_else(invalid_auth_info)?;
    let lite = match scheme {
        "SharedKey" => false,
        "SharedKeyLite" => true,
        // polyq cannot verify Entra ID tokens, so it answers every one as Azure answers a token
        // it rejects (bad audience, expired): 401 InvalidAuthenticationInfo with the bearer
        // challenge, so the SDKs' challenge policies see Azure's shape (the JS SDK's "Bearer
        // token challenge" test expects 401).
        "Bearer" => {
            return Err(AzError::new(
                401,
                "InvalidAuthenticationInfo",
                "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.",
            )
            .detail(
                "AuthenticationErrorDetail",
                "polyq does not verify OAuth bearer tokens; sign with SharedKey or use a SAS.",
            ))
        }
        _ => return Err(invalid_auth_info()),
    };
    let (account, sig) = rest.trim().split_once(':').ok_or_else(invalid_auth_info)?;
    let base = input.account.name.as_str();
    if account != base {
        return Err(AzError::auth_failed(format!(
            "The account {account} in the Authorization header does not match the account {base} of the request."
        )));
    }
    if input.enforce {
        check_skew(input)?;
    }
    // The path as sent is what nearly every client signs: try it first and build the other
    // forms only when it does not match.
    let head = if lite {
        String::new()
    } else {
        sign::shared_key_head(input.method, input.headers)
    };
    let string_to_sign = |path: &str, query: &str| {
        if lite {
            sign::shared_key_lite_string(input.method, base, path, query, input.headers)
        } else {
            sign::shared_key_with_head(&head, base, path, query)
        }
    };
    let first = string_to_sign(input.raw_path, input.raw_query);
    if signature_matches(&input.account.mac, &first, sig) {
        return Ok(Grant::Owner);
    }
    let mut others = Vec::new();
    if input.path_style {
        // Clients that sign the production form of the resource (`/account/queue`).
        let single = input
            .raw_path
            .strip_prefix('/')
            .and_then(|p| p.split_once('/'))
            .map(|(_, r)| format!("/{r}"));
        others.extend(single);
    }
    let secondary = format!("/{base}-secondary");
    if input.raw_path.starts_with(&secondary) {
        others.push(input.raw_path.replacen(&secondary, &format!("/{base}"), 1));
    }
    // A `+` in the query read as a space too, as form encoding has it: clients built on URL
    // libraries send a space as `+` and sign the decoded space (the Rust `azure_storage`
    // crate), and Azure accepts that (Azurite#1696: "the same request to Azure proper
    // succeeds"); most sign a literal `+`, tried first.
    let spaced = input
        .raw_query
        .contains('+')
        .then(|| input.raw_query.replace('+', "%20"));
    for query in std::iter::once(input.raw_query).chain(spaced.as_deref()) {
        let paths = std::iter::once(input.raw_path).chain(others.iter().map(String::as_str));
        for path in paths {
            if (path, query) == (input.raw_path, input.raw_query) {
                continue; // `first`
            }
            if signature_matches(&input.account.mac, &string_to_sign(path, query), sig) {
                return Ok(Grant::Owner);
            }
        }
    }
    Err(AzError::auth_failed(format!(
        "The MAC signature found in the HTTP request '{sig}' is not the same as any computed signature. Server used following string to sign: '{first}'."
    )))
}

fn signature_matches(mac: &sign::KeyedMac, string_to_sign: &str, sig: &str) -> bool {
    constant_time_eq(mac.sign_b64(string_to_sign).as_bytes(), sig.as_bytes())
}

fn check_skew(input: &AuthInput) -> AzResult<()> {
    let date = input
        .headers
        .get("x-ms-date")
        .or_else(|| input.headers.get("date"))
        .and_then(|v| v.to_str().ok());
    let Some(date) = date else {
        return Err(AzError::auth_failed(
            "Request is missing the x-ms-date or Date header.",
        ));
    };
    let Some(at) = parse_rfc1123(date) else {
        return Err(AzError::invalid_header("x-ms-date", date));
    };
    if at.abs_diff(input.now_ms) > MAX_SKEW_MS {
        return Err(AzError::auth_failed(format!(
            "Request date header too old: '{date}'"
        )));
    }
    Ok(())
}

fn sas(input: &AuthInput) -> AzResult<Grant> {
    let f = SasFields::from_query(input.query);
    let account = input.account.name.as_str();
    let is_account_sas = !f.ss.is_empty() || !f.srt.is_empty();
    let sts = if is_account_sas {
        f.account_string(account)
    } else {
        let Some(queue) = input.queue else {
            return Err(AzError::auth_failed(
                "A service SAS can only be used on a queue; list and service operations need an account SAS.",
            ));
        };
        f.service_string(account, queue)
    };
    if !signature_matches(&input.account.mac, &sts, &f.sig) {
        return Err(AzError::auth_failed(format!(
            "Signature did not match. String to sign used was {}",
            sts.trim_end_matches('\n')
        )));
    }
    check_ip_and_protocol(&f, input.remote, input.tls)?;
    if is_account_sas {
        check_window(&f.st, &f.se, input.now_ms, true)?;
        if !f.ss.contains('q') {
            return Err(AzError::authorization(
                "AuthorizationServiceMismatch",
                "service",
            ));
        }
        Ok(Grant::AccountSas(f))
    } else {
        Ok(Grant::ServiceSas(f))
    }
}

fn check_ip_and_protocol(f: &SasFields, remote: Option<IpAddr>, tls: bool) -> AzResult<()> {
    let scheme = if tls { "https" } else { "http" };
    if !f.spr.is_empty() && !f.spr.split(',').any(|p| p == scheme) {
        // `spr=https` covers only a TLS listener; `https,http` covers both.
        return Err(AzError::authorization(
            "AuthorizationProtocolMismatch",
            "protocol",
        ));
    }
    if !f.sip.is_empty() {
        let ok = remote.is_some_and(|ip| ip_in_range(&f.sip, ip));
        if !ok {
            // The live service answers the generic refusal, not the `AuthorizationSourceIPMismatch`
            // its error-code table lists (C++ SDK recordings `QueueSasWithIP`, `ServiceSasWithIP`).
            return Err(AzError::new(
                403,
                "AuthorizationFailure",
                "This request is not authorized to perform this operation.",
            ));
        }
    }
    Ok(())
}

/// `sip` is one address or an inclusive `low-high` range.
fn ip_in_range(sip: &str, ip: IpAddr) -> bool {
    let (lo, hi) = sip.split_once('-').unwrap_or((sip, sip));
    match (lo.trim().parse::<IpAddr>(), hi.trim().parse::<IpAddr>()) {
        (Ok(lo), Ok(hi)) => lo <= ip && ip <= hi,
        _ => false,
    }
}

fn check_window(st: &str, se: &str, now: u64, expiry_required: bool) -> AzResult<()> {
    let start = if st.is_empty() {
        None
    } else {
        Some(
            parse_iso8601(st)
                .ok_or_else(|| AzError::auth_failed(format!("st is not a valid date: {st}")))?,
        )
    };
    let expiry = if se.is_empty() {
        if expiry_required {
            return Err(AzError::auth_failed("Signed expiry (se) is required."));
        }
        None
    } else {
        Some(
            parse_iso8601(se)
                .ok_or_else(|| AzError::auth_failed(format!("se is not a valid date: {se}")))?,
        )
    };
    if let (Some(s), Some(e)) = (start, expiry) {
        if e <= s {
            return Err(AzError::auth_failed(format!(
                "Signed expiry time [{}] has to be after signed start time [{}]",
                rfc1123(e),
                rfc1123(s)
            )));
        }
    }
    // Without `st` Azure takes the request time as the start, so an expired token fails the
    // start/expiry ordering check and is reported that way ("Signed expiry time [..] has to be
    // after signed start time [now]"), which the JS SDK's SAS tests look for.
    if let (None, Some(e)) = (start, expiry) {
        if now > e {
            return Err(AzError::auth_failed(format!(
                "Signed expiry time [{}] has to be after signed start time [{}]",
                rfc1123(e),
                rfc1123(now)
            )));
        }
    }
    if start.is_some_and(|s| now < s) || expiry.is_some_and(|e| now > e) {
        return Err(AzError::auth_failed(format!(
            "Signature not valid in the specified time frame: Start [{}] - Expiry [{}] - Current [{}]",
            start.map(rfc1123).unwrap_or_default(),
            expiry.map(rfc1123).unwrap_or_default(),
            rfc1123(now)
        )));
    }
    Ok(())
}

/// Checks an operation against an account SAS.
pub fn check_account_sas(f: &SasFields, op: Op) -> AzResult<()> {
    let Some((resource_type, perms)) = account_sas_needs(op) else {
        return Err(AzError::authorization(
            "AuthorizationPermissionMismatch",
            "permission",
        ));
    };
    if !f.srt.contains(resource_type) {
        // The detail names the letter the operation needs (C++ SDK's recording of the live
        // service, `AccountSasAuthorizationErrorDetail`); shown from version 2024-08-04.
        return Err(
            AzError::authorization("AuthorizationResourceTypeMismatch", "resource type").detail(
                EXTENDED_ERROR_DETAIL,
                format!(
                    "SignedResourceTypes '{resource_type}' is required to perform this operation."
                ),
            ),
        );
    }
    if !perms.chars().any(|p| f.sp.contains(p)) {
        return Err(AzError::authorization(
            "AuthorizationPermissionMismatch",
            "permission",
        ));
    }
    Ok(())
}

/// Checks an operation against a service SAS, filling start, expiry and permission from the
/// stored access policy `si` names (a field may come from the token or the policy).
pub fn check_service_sas(
    f: &SasFields,
    policy: Option<&AccessPolicy>,
    op: Op,
    now: u64,
) -> AzResult<()> {
    if !f.si.is_empty() && policy.is_none() {
        return Err(AzError::auth_failed(format!(
            "The specified signed identifier '{}' does not exist.",
            f.si
        )));
    }
    let pick = |own: &str, from_policy: Option<&String>| -> String {
        if own.is_empty() {
            from_policy.cloned().unwrap_or_default()
        } else {
            own.to_string()
        }
    };
    let st = pick(&f.st, policy.and_then(|p| p.start.as_ref()));
    let se = pick(&f.se, policy.and_then(|p| p.expiry.as_ref()));
    let sp = pick(&f.sp, policy.and_then(|p| p.permission.as_ref()));
    check_window(&st, &se, now, true)?;
    match service_sas_needs(op) {
        Some(letter) if sp.contains(letter) => Ok(()),
        Some(_) => Err(AzError::authorization(
            "AuthorizationPermissionMismatch",
            "permission",
        )),
        // An operation no queue SAS can grant (create or delete the queue, set metadata or
        // ACL, clear): Azure answers the generic AuthorizationFailure, whatever the
        // permissions (the Go and .NET SDK suites run Create with "raup" against Azure).
        None => Err(AzError::new(
            403,
            "AuthorizationFailure",
            "This request is not authorized to perform this operation.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_https_only_sas_covers_only_tls_listeners() {
        let https = SasFields {
            spr: "https".into(),
            ..Default::default()
        };
        let err = check_ip_and_protocol(&https, None, false).unwrap_err();
        assert_eq!(
            (err.status, err.code),
            (403, "AuthorizationProtocolMismatch")
        );
        assert!(check_ip_and_protocol(&https, None, true).is_ok());
        let both = SasFields {
            spr: "https,http".into(),
            ..Default::default()
        };
        assert!(check_ip_and_protocol(&both, None, false).is_ok());
        assert!(check_ip_and_protocol(&both, None, true).is_ok());
    }

    #[test]
    fn windows_and_ranges() {
        let now = parse_iso8601("2025-01-01T00:00:00Z").unwrap();
        assert!(check_window("2024-01-01", "2026-01-01", now, true).is_ok());
        assert!(check_window("", "2026-01-01T00:00:00Z", now, true).is_ok());
        assert!(check_window("2024-01-01", "", now, true).is_err());
        assert!(check_window("2025-06-01", "2026-01-01", now, true).is_err());
        assert!(check_window("2023-01-01", "2024-01-01", now, true).is_err());
        assert!(check_window("2026-01-01", "2024-01-01", now, true).is_err());
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(ip_in_range("127.0.0.1", ip));
        assert!(ip_in_range("127.0.0.0-127.0.0.255", ip));
        assert!(!ip_in_range("10.0.0.1", ip));
    }

    #[test]
    fn sas_permission_tables() {
        let f = SasFields {
            srt: "o".into(),
            sp: "r".into(),
            ..SasFields::default()
        };
        assert!(check_account_sas(&f, Op::PeekMessages).is_ok());
        assert_eq!(
            check_account_sas(&f, Op::GetMessages).unwrap_err().code,
            "AuthorizationPermissionMismatch"
        );
        assert_eq!(
            check_account_sas(&f, Op::ListQueues).unwrap_err().code,
            "AuthorizationResourceTypeMismatch"
        );
        assert!(check_account_sas(&f, Op::GetQueueAcl).is_err());
        let f = SasFields {
            sp: "a".into(),
            se: "2099-01-01".into(),
            ..SasFields::default()
        };
        assert!(check_service_sas(&f, None, Op::PutMessage, 0).is_ok());
        assert_eq!(
            check_service_sas(&f, None, Op::GetMessages, 0)
                .unwrap_err()
                .code,
            "AuthorizationPermissionMismatch"
        );
        let all = SasFields {
            sp: "raup".into(),
            ..f.clone()
        };
        for op in [
            Op::CreateQueue,
            Op::DeleteQueue,
            Op::ClearMessages,
            Op::SetQueueAcl,
        ] {
            assert_eq!(
                check_service_sas(&all, None, op, 0).unwrap_err().code,
                "AuthorizationFailure",
                "{op:?}"
            );
        }
        let pol = AccessPolicy {
            permission: Some("rp".into()),
            expiry: Some("2099-01-01T00:00:00Z".into()),
            start: None,
        };
        let f = SasFields {
            si: "p1".into(),
            ..SasFields::default()
        };
        assert!(check_service_sas(&f, Some(&pol), Op::GetMessages, 0).is_ok());
        assert!(check_service_sas(&f, None, Op::GetMessages, 0).is_err());
    }
}
