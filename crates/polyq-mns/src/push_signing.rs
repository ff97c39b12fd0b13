//! Signatures of HTTP pushes, as MNS signs them: `Authorization` holds the base64 RSA-SHA1
//! (PKCS#1 v1.5) signature of
//!
//! ```text
//! POST\n{Content-MD5}\n{Content-Type}\n{Date}\n{x-mns-* headers as "name:value", sorted, one per line}\n{path and query}
//! ```
//!
//! and `x-mns-signing-cert-url` the base64 of the URL of the X.509 certificate whose key
//! verifies it; receivers download that certificate (the SDKs' endpoint samples do). polyq has
//! no Alibaba certificate: it makes its own key and self-signed certificate, once per process,
//! and serves the certificate at [`CERT_PATH`] on every listener, so a receiver that follows
//! the URL verifies polyq's pushes as it verifies MNS's.

use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use sha1::Sha1;
use sha2::Sha256;
use x509_cert::builder::{profile, Builder, CertificateBuilder};
use x509_cert::der::{pem::LineEnding, EncodePem};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{EncodePublicKey, SubjectPublicKeyInfoOwned};
use x509_cert::time::Validity;

/// Where every listener serves the certificate (answered by the binary's own endpoints).
pub const CERT_PATH: &str = "/_polyq/mns-signing-cert.pem";

/// The process's signing key and its certificate (PEM).
pub struct PushSigner {
    key: SigningKey<Sha1>,
    cert_pem: String,
}

static SIGNER: OnceLock<Result<PushSigner, String>> = OnceLock::new();

/// The process's signer, made on first use (a 2048-bit key takes tens of milliseconds).
pub fn signer() -> Result<&'static PushSigner, &'static str> {
    SIGNER
        .get_or_init(PushSigner::generate)
        .as_ref()
        .map_err(String::as_str)
}

/// The certificate receivers verify pushes with, in PEM.
pub fn certificate_pem() -> Result<&'static str, &'static str> {
    signer().map(|s| s.cert_pem.as_str())
}

impl PushSigner {
    fn generate() -> Result<Self, String> {
        let key = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048)
            .map_err(|e| format!("cannot make the push signing key: {e}"))?;
        let spki_der = key
            .to_public_key()
            .to_public_key_der()
            .map_err(|e| format!("cannot encode the push signing key: {e}"))?;
        let spki = SubjectPublicKeyInfoOwned::try_from(spki_der.as_bytes())
            .map_err(|e| format!("cannot read back the push signing key: {e}"))?;
        let subject = Name::from_str("CN=polyq MNS push signing,O=polyq,C=US")
            .map_err(|e| format!("bad certificate subject: {e}"))?;
        let profile = profile::cabf::Root::new(false, subject)
            .map_err(|e| format!("bad certificate profile: {e}"))?;
        let validity = Validity::from_now(Duration::from_secs(10 * 365 * 86_400))
            .map_err(|e| format!("bad certificate validity: {e}"))?;
        let cert = CertificateBuilder::new(profile, SerialNumber::from(1u32), validity, spki)
            .map_err(|e| format!("cannot start the certificate: {e}"))?
            .build::<_, rsa::pkcs1v15::Signature>(&SigningKey::<Sha256>::new(key.clone()))
            .map_err(|e| format!("cannot sign the certificate: {e}"))?;
        let cert_pem = cert
            .to_pem(LineEnding::LF)
            .map_err(|e| format!("cannot encode the certificate: {e}"))?;
        Ok(PushSigner {
            key: SigningKey::new(key),
            cert_pem,
        })
    }

    /// The `Authorization` value for a push with these headers (`(name, value)`, names in any
    /// case) to `target` (path and query).
    pub fn authorization(&self, headers: &[(&str, &str)], target: &str) -> String {
        let signature = self.key.sign(string_to_sign(headers, target).as_bytes());
        base64::engine::general_purpose::STANDARD.encode(signature.to_bytes())
    }
}

/// What a push's signature covers (see the module doc).
pub fn string_to_sign(headers: &[(&str, &str)], target: &str) -> String {
    // Names are matched without regard to case: the push writes `Content-md5`, receivers
    // often see them lower-cased.
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| *v)
    };
    let mut vendor: Vec<String> = headers
        .iter()
        .filter(|(k, _)| k.to_ascii_lowercase().starts_with("x-mns-"))
        .map(|(k, v)| format!("{k}:{v}"))
        .collect();
    vendor.sort();
    format!(
        "POST\n{}\n{}\n{}\n{}\n{target}",
        get("content-md5"),
        get("content-type"),
        get("date"),
        vendor.join("\n")
    )
}

/// The `x-mns-signing-cert-url` value for a server reachable at `base` (`http://host:port`).
pub fn cert_url_header(base: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{base}{CERT_PATH}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::VerifyingKey;
    use rsa::signature::Verifier;
    use x509_cert::der::referenced::OwnedToRef;
    use x509_cert::der::DecodePem;
    use x509_cert::Certificate;

    #[test]
    fn string_to_sign_sorts_the_mns_headers() {
        let headers = [
            ("content-type", "text/xml;charset=utf-8"),
            ("x-mns-version", "2015-06-06"),
            ("date", "Sun, 06 Dec 2026 17:00:00 GMT"),
            ("x-mns-message-id", "ID"),
            ("content-md5", "ABC"),
            ("user-agent", "ignored"),
        ];
        assert_eq!(
            string_to_sign(&headers, "/notifications?a=b"),
            "POST\nABC\ntext/xml;charset=utf-8\nSun, 06 Dec 2026 17:00:00 GMT\nx-mns-message-id:ID\nx-mns-version:2015-06-06\n/notifications?a=b"
        );
    }

    #[test]
    fn the_served_certificate_verifies_the_signature() {
        let signer = signer().unwrap();
        let headers = [("date", "d"), ("x-mns-request-id", "R")];
        let authorization = signer.authorization(&headers, "/p");
        let cert = Certificate::from_pem(certificate_pem().unwrap()).unwrap();
        let spki = cert.tbs_certificate().subject_public_key_info();
        let public = rsa::PublicKey::try_from(spki.owned_to_ref()).unwrap();
        let signature = rsa::pkcs1v15::Signature::try_from(
            base64::engine::general_purpose::STANDARD
                .decode(authorization)
                .unwrap()
                .as_slice(),
        )
        .unwrap();
        let verifier = VerifyingKey::<Sha1>::new(public);
        verifier
            .verify(string_to_sign(&headers, "/p").as_bytes(), &signature)
            .unwrap();
        assert!(verifier
            .verify(string_to_sign(&headers, "/other").as_bytes(), &signature)
            .is_err());
    }

    #[test]
    fn cert_url_is_base64_of_the_served_path() {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(cert_url_header("http://127.0.0.1:9324"))
            .unwrap();
        assert_eq!(
            String::from_utf8(decoded).unwrap(),
            "http://127.0.0.1:9324/_polyq/mns-signing-cert.pem"
        );
    }
}
