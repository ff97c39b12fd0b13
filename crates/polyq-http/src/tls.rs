//! HTTPS: the certificate chain and private key a listener presents (`polyq serve --tls-cert
//! FILE --tls-key FILE`), read once at start so a bad file stops the server with the reason.
//!
//! Only HTTP/1.1 is offered by ALPN: Azure Queue Storage answers HTTP/1.1, and HTTP/2 would
//! lower-case the metadata names polyq keeps in the client's case (see [`crate::header_case`]).
//! Plain-text HTTP/2 (h2c, prior knowledge) stays available on plain listeners.

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
pub use tokio_rustls::TlsAcceptor;

/// A TLS client configuration trusting the Mozilla root certificates (`webpki-roots`, built
/// in, so a container without a system CA bundle works too) and the CA certificates in `ca`
/// (PEM, one or more; for servers with a private or self-signed certificate). A file that
/// cannot be read or holds no certificate is an error that names it.
pub fn client_config(ca: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let mut pinned = Vec::new();
    if let Some(path) = ca {
        for cert in read_certificates(path, "CA file")? {
            roots
                .add(cert.clone())
                .map_err(|e| format!("a certificate in {} is not usable: {e}", path.display()))?;
            pinned.push(cert);
        }
    }
    let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        ring_provider(),
    )
    .build()
    .map_err(|e| format!("TLS setup failed: {e}"))?;
    let config = rustls::ClientConfig::builder_with_provider(ring_provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedOrWebPki { pinned, webpki }))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Verifies a server's certificate as browsers do (`webpki`), except that a certificate given
/// in the CA file itself is accepted as the server's own. `openssl req -x509` makes
/// self-signed certificates marked as CAs, which `webpki` refuses as a server's certificate
/// (`CaUsedAsEndEntity`) even when trusted; curl and OpenSSL accept them, and so does this.
/// The handshake signatures are still checked against the certificate's key.
#[derive(Debug)]
struct PinnedOrWebPki {
    pinned: Vec<CertificateDer<'static>>,
    webpki: Arc<rustls::client::WebPkiServerVerifier>,
}

impl rustls::client::danger::ServerCertVerifier for PinnedOrWebPki {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if self
            .pinned
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref())
        {
            return Ok(rustls::client::danger::ServerCertVerified::assertion());
        }
        self.webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// The certificates of a PEM file, at least one; errors name the file as the `what` it is.
fn read_certificates(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "no certificate (-----BEGIN CERTIFICATE-----) in the {what} {}",
            path.display()
        ));
    }
    Ok(certs)
}

/// *ring* rather than rustls's default aws-lc-rs: it builds from source in seconds with no
/// cmake, and a queue server's clients gain little from aws-lc-rs's post-quantum key
/// exchange (rustls 0.23.48 deprecated ring's provider for that reason alone).
pub fn ring_provider() -> Arc<rustls::crypto::CryptoProvider> {
    #[allow(deprecated)]
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the acceptor from PEM files: `cert` holds the server certificate first, then any
/// intermediates; `key` its private key (PKCS#8, PKCS#1 or SEC1).
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, String> {
    let chain = read_certificates(cert, "TLS certificate file")?;
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        format!(
            "cannot read a private key (-----BEGIN PRIVATE KEY-----, RSA or EC) from {}: {e} \
             (an encrypted key must be decrypted first, e.g. `openssl pkey -in KEY -out KEY.plain`)",
            key.display()
        )
    })?;
    let mut config = rustls::ServerConfig::builder_with_provider(ring_provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => format!(
                "the private key in {} does not go with the certificate in {} (the first \
                 certificate in the file must be the server's own, then its intermediates): {e}",
                key.display(),
                cert.display()
            ),
            other => format!("cannot use the private key in {}: {other}", key.display()),
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A connection, plain TCP or TLS over it (either end: the server's listeners, the load
/// generator's client), as one type so the code above it does not care which.
pub enum Stream {
    Plain(tokio::net::TcpStream),
    Tls(Box<tokio_rustls::TlsStream<tokio::net::TcpStream>>),
}

impl tokio::io::AsyncRead for Stream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => std::pin::Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl tokio::io::AsyncWrite for Stream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => std::pin::Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => std::pin::Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => std::pin::Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => std::pin::Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => std::pin::Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
