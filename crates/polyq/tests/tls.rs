//! HTTPS end to end: `polyq serve --tls-cert --tls-key` with a throwaway self-signed
//! certificate, a TLS client that trusts only it, and the URLs in answers using `https`.
//! Also: bad certificate settings stop the server with a message naming the file.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

struct Cert {
    _dir: tempfile::TempDir,
    cert: String,
    key: String,
    der: rustls::pki_types::CertificateDer<'static>,
}

fn self_signed() -> Cert {
    let generated =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();
    Cert {
        cert: cert.display().to_string(),
        key: key.display().to_string(),
        der: generated.cert.der().clone(),
        _dir: dir,
    }
}

/// One HTTP/1.1 exchange over TLS (trusting only `trusted`); returns the raw answer.
async fn https(addr: &str, trusted: &Cert, request: &str) -> String {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(trusted.der.clone()).unwrap();
    #[allow(deprecated)] // ring, as the server uses (see polyq-http tls.rs)
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .expect("TLS handshake with polyq");
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    // polyq closes after answering `Connection: close`; a TLS close_notify may be missing.
    let _ = tls.read_to_end(&mut raw).await;
    String::from_utf8(raw).unwrap()
}

/// `GET /health` over TLS.
async fn get_health(addr: &str, trusted: &Cert) -> String {
    https(
        addr,
        trusted,
        "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await
}

#[tokio::test]
async fn serves_https_and_answers_https_urls() {
    let cert = self_signed();
    let s = common::start(&["--tls-cert", &cert.cert, "--tls-key", &cert.key]);
    let addr = s
        .base
        .strip_prefix("https://")
        .expect("https base")
        .to_string();
    // The start-up lines give HTTPS endpoints (no UseDevelopmentStorage=true: that is http).
    let azure = s
        .banner
        .iter()
        .find(|l| l.trim_start().starts_with("Azure"))
        .expect("Azure line");
    assert!(azure.contains("DefaultEndpointsProtocol=https"), "{azure}");
    assert!(!azure.contains("UseDevelopmentStorage"), "{azure}");

    let health = get_health(&addr, &cert).await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");

    let body = r#"{"QueueName":"tls-q"}"#;
    let created = https(
        &addr,
        &cert,
        &format!(
            "POST / HTTP/1.1\r\nHost: localhost:{port}\r\nX-Amz-Target: AmazonSQS.CreateQueue\r\n\
             Content-Type: application/x-amz-json-1.0\r\nContent-Length: {len}\r\n\
             Connection: close\r\n\r\n{body}",
            port = addr.rsplit(':').next().unwrap(),
            len = body.len()
        ),
    )
    .await;
    assert!(created.starts_with("HTTP/1.1 200"), "{created}");
    let expected = format!(
        "\"QueueUrl\":\"https://localhost:{}/000000000000/tls-q\"",
        addr.rsplit(':').next().unwrap()
    );
    assert!(created.contains(&expected), "{created}");

    // MNS: the queue's Location says https too.
    let mns = https(
        &addr,
        &cert,
        &format!(
            "PUT /queues/tls-mq HTTP/1.1\r\nHost: localhost:{port}\r\nx-mns-version: 2015-06-06\r\n\
             Date: {date}\r\nContent-Type: text/xml\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            port = addr.rsplit(':').next().unwrap(),
            date = httpdate::fmt_http_date(std::time::SystemTime::now()),
        ),
    )
    .await;
    assert!(mns.starts_with("HTTP/1.1 201"), "{mns}");
    let location = format!(
        "location: https://localhost:{}/queues/tls-mq",
        addr.rsplit(':').next().unwrap()
    );
    assert!(mns.to_ascii_lowercase().contains(&location), "{mns}");

    // Plain HTTP on a TLS listener gets a plain 400 saying why.
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    tcp.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut raw = Vec::new();
    let _ = tcp.read_to_end(&mut raw).await;
    let raw = String::from_utf8_lossy(&raw);
    assert!(raw.starts_with("HTTP/1.1 400"), "{raw}");
    assert!(raw.contains("speaks HTTPS"), "{raw}");

    // And the listener still serves TLS clients after that failed handshake.
    let again = get_health(&addr, &cert).await;
    assert!(again.starts_with("HTTP/1.1 200"), "{again}");
}

fn serve_fails(extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_polyq"))
        .args(["serve", "--listen", "127.0.0.1:0", "--store", "memory"])
        .args(extra)
        .output()
        .unwrap();
    assert!(!out.status.success(), "polyq started with {extra:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_tls_settings_stop_the_server_with_the_reason() {
    let cert = self_signed();
    let other = self_signed();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.pem").display().to_string();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a pem file\n").unwrap();
    let empty = empty.display().to_string();

    let err = serve_fails(&["--tls-cert", &cert.cert]);
    assert!(err.contains("--tls-key"), "{err}");
    let err = serve_fails(&["--tls-cert", &missing, "--tls-key", &cert.key]);
    assert!(err.contains(&missing), "{err}");
    let err = serve_fails(&["--tls-cert", &empty, "--tls-key", &cert.key]);
    assert!(
        err.contains("no certificate") && err.contains(&empty),
        "{err}"
    );
    let err = serve_fails(&["--tls-cert", &cert.cert, "--tls-key", &empty]);
    assert!(err.contains(&empty), "{err}");
    // A key that belongs to another certificate.
    let err = serve_fails(&["--tls-cert", &cert.cert, "--tls-key", &other.key]);
    assert!(err.contains("does not go with"), "{err}");
    assert!(Path::new(&cert.cert).exists());
    // The CA file for MNS pushes to https:// endpoints is read at start too.
    let err = serve_fails(&["--mns-push-ca", &missing]);
    assert!(err.contains(&missing), "{err}");
    let err = serve_fails(&["--mns-push-ca", &empty]);
    assert!(
        err.contains("no certificate") && err.contains(&empty),
        "{err}"
    );
}

#[tokio::test]
async fn the_certificate_and_key_may_come_from_flag_and_config_file() {
    let cert = self_signed();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("polyq.toml");
    std::fs::write(&config, format!("tls_key = {:?}\n", cert.key)).unwrap();
    let s = common::start(&[
        "--config",
        &config.display().to_string(),
        "--tls-cert",
        &cert.cert,
    ]);
    let addr = s
        .base
        .strip_prefix("https://")
        .expect("https base")
        .to_string();
    let health = get_health(&addr, &cert).await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
}

/// A self-signed certificate marked as a CA, as `openssl req -x509` makes them (and the
/// README's recipe): webpki alone refuses it as a server's own certificate.
fn self_signed_ca_flagged() -> Cert {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let generated = params.self_signed(&key).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    let key_file = dir.path().join("key.pem");
    std::fs::write(&cert, generated.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    Cert {
        cert: cert.display().to_string(),
        key: key_file.display().to_string(),
        der: generated.der().clone(),
        _dir: dir,
    }
}

#[test]
fn the_load_generator_speaks_https() {
    let cert = self_signed_ca_flagged();
    let s = common::start(&["--tls-cert", &cert.cert, "--tls-key", &cert.key]);
    let port = s.base.rsplit(':').next().unwrap().to_string();
    let endpoint = format!("https://localhost:{port}");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_polyq"))
            .args(["bench", "--endpoint", &endpoint, "--dialect", "sqs-json"])
            .args(["--mode", "cycle", "--producers", "2", "--consumers", "2"])
            .args(["--messages", "200", "--duration", "20", "--quiet", "--json"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&["--ca-cert", &cert.cert]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["deleted"], 200, "{report}");
    assert_eq!(report["errors"], serde_json::json!({}), "{report}");
    // Without the CA the certificate is not trusted: nothing goes through.
    let out = run(&[]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !out.status.success() || text.contains("ConnectFailed"),
        "{text}"
    );
}
