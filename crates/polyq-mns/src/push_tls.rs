//! TLS for pushes to `https://` endpoints: the server certificate is verified against the
//! Mozilla root certificates (`webpki-roots`, built in, so a container without a system CA
//! bundle works too) and any CA certificates given with `--mns-push-ca FILE` (for endpoints
//! with a private or self-signed certificate, e.g. a local receiver under test).

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::ClientConfig;

/// The client configuration pushes use: the built-in roots, plus the CA certificates in `ca`
/// (PEM, one or more). A file that cannot be read or holds no certificate is an error, named.
pub fn client_config(ca: Option<&Path>) -> Result<Arc<ClientConfig>, String> {
    polyq_http::tls::client_config(ca).map_err(|e| format!("MNS push: {e}"))
}

/// The configuration with the built-in roots only, built once: for dialects set up without
/// one (tests, embedders).
pub fn default_config() -> Arc<ClientConfig> {
    static DEFAULT: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    DEFAULT
        .get_or_init(|| client_config(None).expect("the built-in roots make a valid config"))
        .clone()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A one-shot HTTPS receiver on 127.0.0.1 with a fresh self-signed certificate for
    /// `localhost`: its port, its CA file, and the request it saw (or why none).
    pub(crate) async fn receiver() -> (
        u16,
        tempfile::TempDir,
        tokio::task::JoinHandle<Result<String, String>>,
    ) {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), cert.cert.pem()).unwrap();
        let key =
            rustls::pki_types::PrivateKeyDer::try_from(cert.signing_key.serialize_der()).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(polyq_http::tls::ring_provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.cert.der().clone()], key)
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut tls = tokio_rustls::TlsAcceptor::from(Arc::new(config))
                .accept(tcp)
                .await
                .map_err(|e| e.to_string())?;
            let mut seen = Vec::new();
            let mut chunk = [0u8; 1024];
            // The head, then as many body bytes as it announces.
            let complete = |seen: &[u8]| {
                let text = String::from_utf8_lossy(seen);
                let Some((head, body)) = text.split_once("\r\n\r\n") else {
                    return false;
                };
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                body.len() >= length
            };
            while !complete(&seen) {
                let n = tls.read(&mut chunk).await.map_err(|e| e.to_string())?;
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&chunk[..n]);
            }
            tls.write_all(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
                .await
                .map_err(|e| e.to_string())?;
            tls.shutdown().await.ok();
            Ok(String::from_utf8(seen).unwrap())
        });
        (port, dir, task)
    }

    #[tokio::test]
    async fn an_https_endpoint_gets_the_push_over_verified_tls() {
        let (port, dir, seen) = receiver().await;
        let config = client_config(Some(&dir.path().join("ca.pem"))).unwrap();
        let headers = [("Content-md5", "AB".to_string())];
        let authority = format!("localhost:{port}");
        let status = crate::push_http::post(
            "localhost",
            port,
            &authority,
            "/n",
            &headers,
            b"body",
            Some(config),
        )
        .await
        .unwrap();
        assert_eq!(status, 201);
        let seen = seen.await.unwrap().unwrap();
        assert!(seen.starts_with("POST /n HTTP/1.1\r\n"), "{seen}");
        assert!(seen.contains("\r\nContent-md5: AB\r\n"), "{seen}");
    }

    #[tokio::test]
    async fn an_untrusted_certificate_fails_the_push() {
        let (port, _dir, seen) = receiver().await;
        let authority = format!("localhost:{port}");
        let err = crate::push_http::post(
            "localhost",
            port,
            &authority,
            "/n",
            &[],
            b"body",
            Some(default_config()),
        )
        .await
        .unwrap_err();
        assert!(err.contains("TLS"), "{err}");
        // The receiver never got a request.
        assert!(seen.await.unwrap().is_err());
    }

    #[test]
    fn a_bad_ca_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.pem");
        let err = client_config(Some(&missing)).unwrap_err();
        assert!(err.contains("none.pem"), "{err}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no pem here\n").unwrap();
        let err = client_config(Some(&empty)).unwrap_err();
        assert!(
            err.contains("no certificate") && err.contains("empty.pem"),
            "{err}"
        );
    }
}
