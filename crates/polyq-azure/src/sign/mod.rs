//! Azure Storage signatures: SharedKey and SharedKeyLite strings-to-sign, the HMAC-SHA256 over
//! them, and the account / service SAS strings-to-sign. Pure functions over request parts, so
//! tests (and the integration suite's client side) use the same code with known vectors.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use http::HeaderMap;
use percent_encoding::percent_decode_str;
use sha2::Sha256;

/// `base64(HMAC-SHA256(key, text))`.
pub fn hmac_b64(key: &[u8], text: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(text.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
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
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Every `x-ms-*` header, lowercased and sorted, `name:value\n` each (values trimmed; repeated
/// headers comma-joined).
pub fn canonical_headers(headers: &HeaderMap) -> String {
    let mut names: Vec<&str> = headers
        .keys()
        .map(|k| k.as_str())
        .filter(|k| k.starts_with("x-ms-"))
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut out = String::new();
    for name in names {
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::trim)
            .collect();
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out
}

/// `/{account}{path}` then `\nname:value` for each query parameter (names lowercased and
/// sorted, values decoded, repeated names comma-joined in sorted order).
pub fn canonical_resource(account: &str, path: &str, query: &str) -> String {
    let mut out = format!("/{account}{path}");
    let mut params: Vec<(String, String)> = parse_query(query)
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    params.sort();
    let mut i = 0;
    while i < params.len() {
        let name = params[i].0.clone();
        let mut values = Vec::new();
        while i < params.len() && params[i].0 == name {
            values.push(params[i].1.clone());
            i += 1;
        }
        out.push('\n');
        out.push_str(&name);
        out.push(':');
        out.push_str(&values.join(","));
    }
    out
}

/// The SharedKey string-to-sign (version 2009-09-19 and later; Content-Length empty when 0).
pub fn shared_key_string(
    method: &str,
    account: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
) -> String {
    let content_length = match header(headers, "content-length") {
        "0" => "",
        other => other,
    };
    let lines = [
        method,
        header(headers, "content-encoding"),
        header(headers, "content-language"),
        content_length,
        header(headers, "content-md5"),
        header(headers, "content-type"),
        header(headers, "date"),
        header(headers, "if-modified-since"),
        header(headers, "if-match"),
        header(headers, "if-none-match"),
        header(headers, "if-unmodified-since"),
        header(headers, "range"),
    ];
    format!(
        "{}\n{}{}",
        lines.join("\n"),
        canonical_headers(headers),
        canonical_resource(account, path, query)
    )
}

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
        header(headers, "content-md5"),
        header(headers, "content-type"),
        header(headers, "date"),
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

    /// Queue service SAS (2015-04-05 and later): `sp\nst\nse\n/queue/{account}/{queue}\nsi\nsip\nspr\nsv`.
    pub fn service_string(&self, account: &str, queue: &str) -> String {
        format!(
            "{}\n{}\n{}\n/queue/{account}/{queue}\n{}\n{}\n{}\n{}",
            self.sp, self.st, self.se, self.si, self.sip, self.spr, self.sv
        )
    }
}

#[cfg(test)]
mod tests;
