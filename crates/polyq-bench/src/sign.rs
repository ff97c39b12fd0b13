//! Client-side request signing for the three vendors, written from their specifications so the
//! bench can talk to any compatible server (it must not borrow the server's verifiers):
//!
//! * AWS Signature Version 4 (SQS JSON and query): `host`, `x-amz-date` and, for JSON,
//!   `x-amz-target` are signed; the payload hash is the hex SHA-256 of the body.
//! * MNS (HMAC-SHA1): `VERB\nContent-MD5\nContent-Type\nDate\n` + sorted `x-mns-*` headers +
//!   the request target as sent.
//! * Azure SharedKey (HMAC-SHA256 with the base64-decoded account key) over the 2009-09-19+
//!   string to sign: twelve standard header lines, sorted `x-ms-*` headers, canonical resource.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Basic ISO 8601 time `YYYYMMDDTHHMMSSZ` of `t` (what SigV4 puts in `x-amz-date`).
pub fn amz_date(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The derived signing key and the date it is for.
type KeyCache = std::sync::Arc<parking_lot::Mutex<Option<(String, Vec<u8>)>>>;

/// SigV4 credentials and scope, with the derived signing key cached for one date.
#[derive(Debug, Clone)]
pub struct SigV4 {
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
    pub service: String,
    cached: KeyCache,
}

impl SigV4 {
    pub fn new(access_key: &str, secret_key: &str, region: &str, service: &str) -> Self {
        SigV4 {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            region: region.into(),
            service: service.into(),
            cached: Default::default(),
        }
    }

    fn key_for(&self, date: &str) -> Vec<u8> {
        let mut cached = self.cached.lock();
        if let Some((d, k)) = cached.as_ref() {
            if d == date {
                return k.clone();
            }
        }
        let k_date = hmac_sha256(
            format!("AWS4{}", self.secret_key).as_bytes(),
            date.as_bytes(),
        );
        let k_region = hmac_sha256(&k_date, self.region.as_bytes());
        let k_service = hmac_sha256(&k_region, self.service.as_bytes());
        let key = hmac_sha256(&k_service, b"aws4_request");
        *cached = Some((date.to_string(), key.clone()));
        key
    }

    /// The `Authorization` header value. `headers` are the signed headers, names lower-case,
    /// values as sent; `path` is already URI-encoded; `query` is the canonical query string
    /// (sorted, encoded), usually empty for the bench's POST requests.
    pub fn authorization(
        &self,
        method: &str,
        path: &str,
        query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        amz_date: &str,
    ) -> String {
        let mut sorted: Vec<(&str, &str)> = headers.to_vec();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        let mut canonical = format!("{method}\n{path}\n{query}\n");
        for (name, value) in &sorted {
            canonical.push_str(name);
            canonical.push(':');
            canonical.push_str(value.trim());
            canonical.push('\n');
        }
        let signed: Vec<&str> = sorted.iter().map(|(n, _)| *n).collect();
        let signed = signed.join(";");
        canonical.push('\n');
        canonical.push_str(&signed);
        canonical.push('\n');
        canonical.push_str(&hex::encode(Sha256::digest(body)));
        let date = &amz_date[..8];
        let scope = format!("{date}/{}/{}/aws4_request", self.region, self.service);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let signature = hex::encode(hmac_sha256(&self.key_for(date), to_sign.as_bytes()));
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}",
            self.access_key
        )
    }
}

/// MNS `Authorization` value: `MNS id:base64(HMAC-SHA1(secret, string_to_sign))`.
pub fn mns_authorization(access_key: &str, secret: &str, string_to_sign: &str) -> String {
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    format!(
        "MNS {access_key}:{}",
        STANDARD.encode(mac.finalize().into_bytes())
    )
}

/// The MNS string to sign. `mns_headers` are the `x-mns-*` headers (lower-case names);
/// `resource` is path and query exactly as sent.
pub fn mns_string_to_sign(
    method: &str,
    content_md5: &str,
    content_type: &str,
    date: &str,
    mns_headers: &[(&str, &str)],
    resource: &str,
) -> String {
    let mut sorted = mns_headers.to_vec();
    sorted.sort();
    let mut out = format!("{method}\n{content_md5}\n{content_type}\n{date}\n");
    for (name, value) in sorted {
        out.push_str(name);
        out.push(':');
        out.push_str(value.trim());
        out.push('\n');
    }
    out.push_str(resource);
    out
}

/// Azure Storage SharedKey signer for one account.
#[derive(Clone)]
pub struct SharedKey {
    pub account: String,
    /// HMAC-SHA256 already keyed with the account key: keying costs two of the hash blocks
    /// signing a request takes, so it is done once and the state cloned per request.
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for SharedKey {
    // Never print the key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedKey")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl SharedKey {
    /// `key_b64` is the account key as the portal shows it (base64).
    pub fn new(account: &str, key_b64: &str) -> anyhow::Result<Self> {
        let key = STANDARD
            .decode(key_b64.trim())
            .map_err(|e| anyhow::anyhow!("the Azure account key is not base64: {e}"))?;
        Ok(SharedKey {
            account: account.into(),
            mac: Hmac::<Sha256>::new_from_slice(&key).expect("HMAC accepts keys of any length"),
        })
    }

    /// The SharedKey string to sign. `path` is the request path as sent (it starts with the
    /// account for path-style endpoints); `query` pairs are decoded values; `ms_headers` are the
    /// `x-ms-*` headers with lower-case names.
    #[allow(clippy::too_many_arguments)]
    pub fn string_to_sign(
        &self,
        method: &str,
        content_length: usize,
        content_type: &str,
        ms_headers: &[(&str, &str)],
        path: &str,
        query: &[(&str, &str)],
    ) -> String {
        let mut out = String::with_capacity(192 + path.len());
        // VERB, Content-Encoding, -Language, -Length, -MD5, -Type, Date, If-Modified-Since,
        // If-Match, If-None-Match, If-Unmodified-Since, Range.
        out.push_str(method);
        out.push_str("\n\n\n");
        if content_length > 0 {
            let _ = write!(out, "{content_length}");
        }
        out.push_str("\n\n");
        out.push_str(content_type);
        out.push_str("\n\n\n\n\n\n\n");
        let mut headers = ms_headers.to_vec();
        headers.sort_unstable();
        for (name, value) in headers {
            out.push_str(name);
            out.push(':');
            out.push_str(value.trim());
            out.push('\n');
        }
        out.push('/');
        out.push_str(&self.account);
        out.push_str(path);
        let mut params: Vec<(Cow<str>, &str)> = query
            .iter()
            .map(|(k, v)| {
                let k = if k.bytes().any(|b| b.is_ascii_uppercase()) {
                    Cow::Owned(k.to_ascii_lowercase())
                } else {
                    Cow::Borrowed(*k)
                };
                (k, *v)
            })
            .collect();
        params.sort_unstable();
        for (k, v) in params {
            out.push('\n');
            out.push_str(&k);
            out.push(':');
            out.push_str(v);
        }
        out
    }

    /// `SharedKey account:base64(HMAC-SHA256(key, string_to_sign))`.
    pub fn authorization(&self, string_to_sign: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(string_to_sign.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut out = String::with_capacity(self.account.len() + 56);
        out.push_str("SharedKey ");
        out.push_str(&self.account);
        out.push(':');
        STANDARD.encode_string(digest, &mut out);
        out
    }
}

#[cfg(test)]
#[path = "sign_tests.rs"]
mod tests;
