//! `Content-MD5` as the clients of the signed REST APIs (MNS, SQS 2007-05-01) send it.
//!
//! Their signatures cover the header but not the body, so a request whose body was swapped in
//! transit verifies unless the header is compared with the body. Clients write it in three
//! ways: RFC 1864's base64 of the digest (the newer MNS Python gateway), base64 of the digest's
//! hex text (the MNS Python, Go and Node SDKs, even for an empty GET body), or the hex text
//! itself. Any of them is accepted.

use base64::Engine;
use md5::{Digest, Md5};

/// The request's `Content-MD5` when it contradicts the body: present, not empty (an empty
/// value claims nothing) and no MD5 of the body in any accepted form.
pub fn contradicted(req: &crate::Request) -> Option<&str> {
    req.header("content-md5")
        .filter(|v| !v.trim().is_empty() && !matches(v, &req.body))
}

/// Whether `value` is an MD5 of `body` in one of the accepted forms.
pub fn matches(value: &str, body: &[u8]) -> bool {
    let digest = Md5::digest(body);
    let hex = hex_lower(&digest);
    let value = value.trim();
    if value.eq_ignore_ascii_case(&hex) {
        return true;
    }
    match base64::engine::general_purpose::STANDARD.decode(value) {
        Ok(raw) if raw.len() == 16 => raw[..] == digest[..],
        Ok(text) => text.eq_ignore_ascii_case(hex.as_bytes()),
        Err(_) => false,
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn every_form_clients_send_is_accepted() {
        // MD5("hello") = 5d41402abc4b2a76b9719d911017c592.
        let body = b"hello";
        assert!(
            matches("XUFAKrxLKna5cZ2REBfFkg==", body),
            "base64 of the digest"
        );
        assert!(
            matches("NWQ0MTQwMmFiYzRiMmE3NmI5NzE5ZDkxMTAxN2M1OTI=", body),
            "base64 of the hex text"
        );
        assert!(matches("5d41402abc4b2a76b9719d911017c592", body), "hex");
        assert!(
            matches(" 5D41402ABC4B2A76B9719D911017C592 ", body),
            "hex, upper case"
        );
        // Go's SDK sends the empty body's on a GET.
        assert!(matches("ZDQxZDhjZDk4ZjAwYjIwNGU5ODAwOTk4ZWNmODQyN2U=", b""));
    }

    #[test]
    fn another_body_or_garbage_is_refused() {
        for value in [
            "XUFAKrxLKna5cZ2REBfFkg==",
            "NWQ0MTQwMmFiYzRiMmE3NmI5NzE5ZDkxMTAxN2M1OTI=",
            "5d41402abc4b2a76b9719d911017c592",
            "",
            "not base64!",
            "AAAA",
        ] {
            assert!(!matches(value, b"hellO"), "{value:?}");
        }
    }
}
