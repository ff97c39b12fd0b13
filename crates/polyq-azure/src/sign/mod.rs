//! Azure Storage signatures: SharedKey and SharedKeyLite strings-to-sign, the HMAC-SHA256 over
//! them, and the account / service SAS strings-to-sign. Pure functions over request parts, so
//! tests (and the integration suite's client side) use the same code with known vectors.

use std::borrow::Cow;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, HeaderName, HeaderValue};
use percent_encoding::percent_decode_str;
use sha2::Sha256;

/// `base64(HMAC-SHA256(key, text))`.
pub fn hmac_b64(key: &[u8], text: &str) -> String {
    KeyedMac::new(key).sign_b64(text)
}

/// HMAC-SHA256 with the key already absorbed: keying hashes the padded key twice, which is a
/// third of the work of signing a short string, so an account keeps one and clones it.
#[derive(Clone)]
pub struct KeyedMac(Hmac<Sha256>);

impl KeyedMac {
    pub fn new(key: &[u8]) -> Self {
        KeyedMac(Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length"))
    }

    /// `base64(HMAC-SHA256(key, text))`, the same as [`hmac_b64`].
    pub fn sign_b64(&self, text: &str) -> String {
        let mut mac = self.0.clone();
        mac.update(text.as_bytes());
        STANDARD.encode(mac.finalize().into_bytes())
    }
}

/// Decodes an account key; `None` when it is not base64.
pub fn decode_key(key_b64: &str) -> Option<Vec<u8>> {
    STANDARD.decode(key_b64.trim()).ok()
}

/// Query parameters percent-decoded without turning `+` into a space (Azure's rule, which
/// keeps base64 `+` in SAS signatures and pop receipts intact).
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k).into_owned(), decode(v).into_owned())
        })
        .collect()
}

/// Percent-decodes (invalid UTF-8 replaced), borrowing when there is nothing to decode (the
/// usual case). Strict decoding first: the lossy one walks the text in chunks even when it is
/// all valid, which showed up in profiles.
pub(crate) fn decode(s: &str) -> Cow<'_, str> {
    percent_decode_str(s)
        .decode_utf8()
        .unwrap_or_else(|_| percent_decode_str(s).decode_utf8_lossy())
}

fn header<'a>(headers: &'a HeaderMap, name: &HeaderName) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Every `x-ms-*` header, lowercased and sorted, `name:value\n` each (values trimmed; repeated
/// headers comma-joined).
pub fn canonical_headers(headers: &HeaderMap) -> String {
    let mut out = String::new();
    canonical_headers_into(&mut out, headers);
    out
}

fn canonical_headers_into(out: &mut String, headers: &HeaderMap) {
    // One pass over the map; the stable sort keeps each name's values in their order.
    let mut ms: Vec<(&str, &HeaderValue)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .filter(|(k, _)| k.starts_with("x-ms-"))
        .collect();
    ms.sort_by(|a, b| a.0.cmp(b.0));
    let mut current: Option<&str> = None;
    let mut wrote_value = false;
    for (name, value) in ms {
        if current != Some(name) {
            if current.is_some() {
                out.push('\n');
            }
            out.push_str(name);
            out.push(':');
            current = Some(name);
            wrote_value = false;
        }
        // Bytes outside visible ASCII are read as Latin-1, as Azure's front end reads them (its
        // string-to-sign in azure-storage-blob-go#24): what Python's http.client puts on the
        // wire for a value the SDK signed as text (`München` → 0xFC) then matches.
        if wrote_value {
            out.push(',');
        }
        match value.to_str() {
            Ok(text) => out.push_str(text.trim()),
            Err(_) => {
                let text: String = value.as_bytes().iter().map(|&b| char::from(b)).collect();
                out.push_str(text.trim());
            }
        }
        wrote_value = true;
    }
    if current.is_some() {
        out.push('\n');
    }
}

/// `/{account}{path}` then `\nname:value` for each query parameter (names lowercased and
/// sorted, values decoded, repeated names comma-joined in sorted order).
pub fn canonical_resource(account: &str, path: &str, query: &str) -> String {
    let mut out = String::new();
    canonical_resource_into(&mut out, account, path, query);
    out
}

fn canonical_resource_into(out: &mut String, account: &str, path: &str, query: &str) {
    out.push('/');
    out.push_str(account);
    out.push_str(path);
    let mut params: Vec<(Cow<str>, Cow<str>)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let k = match decode(k) {
                Cow::Borrowed(k) if !k.bytes().any(|b| b.is_ascii_uppercase()) => Cow::Borrowed(k),
                k => Cow::Owned(k.to_ascii_lowercase()),
            };
            (k, decode(v))
        })
        .collect();
    params.sort_unstable();
    let mut previous: Option<&str> = None;
    for (name, value) in &params {
        if previous == Some(name) {
            out.push(',');
        } else {
            out.push('\n');
            out.push_str(name);
            out.push(':');
        }
        out.push_str(value);
        previous = Some(name);
    }
}

/// The SharedKey string-to-sign (version 2009-09-19 and later; Content-Length empty when 0
/// from 2015-02-21).
pub fn shared_key_string(
    method: &str,
    account: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
) -> String {
    let mut out = shared_key_head(method, headers);
    canonical_resource_into(&mut out, account, path, query);
    out
}

/// The SharedKey string-to-sign up to the canonical resource: what does not depend on which
/// form of the path the client signed, so it is built once when several forms are tried.
pub fn shared_key_head(method: &str, headers: &HeaderMap) -> String {
    use http::header;
    // The standard lines in order; each takes the first value of its header. Found in one
    // pass over the (small) map rather than eleven lookups.
    const LINES: [HeaderName; 11] = [
        header::CONTENT_ENCODING,
        header::CONTENT_LANGUAGE,
        header::CONTENT_LENGTH,
        CONTENT_MD5,
        header::CONTENT_TYPE,
        header::DATE,
        header::IF_MODIFIED_SINCE,
        header::IF_MATCH,
        header::IF_NONE_MATCH,
        header::IF_UNMODIFIED_SINCE,
        header::RANGE,
    ];
    let mut lines: [Option<&str>; 11] = [None; 11];
    for (name, value) in headers {
        if let Some(i) = LINES.iter().position(|l| l == name) {
            lines[i].get_or_insert(value.to_str().unwrap_or(""));
        }
    }
    // Content-Length is empty when 0 from version 2015-02-21; earlier versions sign the "0"
    // (Azure's "Authorize with Shared Key" page; the 2015-era SDKs send x-ms-version
    // 2014-02-14 and sign it).
    if lines[2] == Some("0") && !signs_zero_length(headers) {
        lines[2] = None;
    }
    let mut out = String::with_capacity(256);
    out.push_str(method);
    for line in lines {
        out.push('\n');
        out.push_str(line.unwrap_or(""));
    }
    out.push('\n');
    canonical_headers_into(&mut out, headers);
    out
}

/// Whether the request's `x-ms-version` predates 2015-02-21, when a zero Content-Length was
/// still signed as `0`. Dates compare as text; a request without the header is current.
fn signs_zero_length(headers: &HeaderMap) -> bool {
    headers
        .get("x-ms-version")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() < "2015-02-21")
}

/// The SharedKey string-to-sign for a head from [`shared_key_head`] and one form of the path.
pub fn shared_key_with_head(head: &str, account: &str, path: &str, query: &str) -> String {
    let mut out = String::with_capacity(head.len() + account.len() + path.len() + query.len() + 8);
    out.push_str(head);
    canonical_resource_into(&mut out, account, path, query);
    out
}

const CONTENT_MD5: HeaderName = HeaderName::from_static("content-md5");

/// The SharedKeyLite string-to-sign: only `comp` of the query is part of the resource.
pub fn shared_key_lite_string(
    method: &str,
    account: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
) -> String {
    let mut resource = format!("/{account}{path}");
    if let Some((_, comp)) = parse_query(query)
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("comp"))
    {
        resource.push_str("?comp=");
        resource.push_str(&comp);
    }
    format!(
        "{}\n{}\n{}\n{}\n{}{}",
        method,
        header(headers, &CONTENT_MD5),
        header(headers, &http::header::CONTENT_TYPE),
        header(headers, &http::header::DATE),
        canonical_headers(headers),
        resource
    )
}

/// SAS fields as they appear in the query (absent fields are empty strings).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SasFields {
    pub sv: String,
    pub ss: String,
    pub srt: String,
    pub sp: String,
    pub st: String,
    pub se: String,
    pub sip: String,
    pub spr: String,
    pub ses: String,
    pub si: String,
    pub sig: String,
}

impl SasFields {
    pub fn from_query(query: &[(String, String)]) -> Self {
        let get = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        SasFields {
            sv: get("sv"),
            ss: get("ss"),
            srt: get("srt"),
            sp: get("sp"),
            st: get("st"),
            se: get("se"),
            sip: get("sip"),
            spr: get("spr"),
            ses: get("ses"),
            si: get("si"),
            sig: get("sig"),
        }
    }

    /// Account SAS: `account\nsp\nss\nsrt\nst\nse\nsip\nspr\nsv\n`, plus `ses\n` from 2020-12-06.
    pub fn account_string(&self, account: &str) -> String {
        let mut s = format!(
            "{account}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
            self.sp, self.ss, self.srt, self.st, self.se, self.sip, self.spr, self.sv
        );
        if self.sv.as_str() >= "2020-12-06" {
            s.push_str(&self.ses);
            s.push('\n');
        }
        s
    }

    /// Queue service SAS, in the layout of its `sv` (Azure's "Create a service SAS" page):
    /// from 2015-04-05 `sp\nst\nse\n/queue/{account}/{queue}\nsi\nsip\nspr\nsv`; before it
    /// without `sip` and `spr`; and before 2015-02-21 also without the service name in the
    /// resource (`/{account}/{queue}`), as the 2015-era SDKs sign their `sv=2014-02-14` tokens.
    pub fn service_string(&self, account: &str, queue: &str) -> String {
        let (sp, st, se, si, sv) = (&self.sp, &self.st, &self.se, &self.si, &self.sv);
        if sv.as_str() >= "2015-04-05" {
            format!(
                "{sp}\n{st}\n{se}\n/queue/{account}/{queue}\n{si}\n{}\n{}\n{sv}",
                self.sip, self.spr
            )
        } else if sv.as_str() >= "2015-02-21" {
            format!("{sp}\n{st}\n{se}\n/queue/{account}/{queue}\n{si}\n{sv}")
        } else {
            format!("{sp}\n{st}\n{se}\n/{account}/{queue}\n{si}\n{sv}")
        }
    }
}

#[cfg(test)]
mod tests;
