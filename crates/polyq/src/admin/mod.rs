//! polyq's own endpoints beside the vendor APIs: Prometheus metrics (`GET /metrics`) and the
//! web console (`/_polyq/console`, its JSON API under `/_polyq/api/`).
//!
//! They are served as the first "dialect" of the router, on paths no vendor request can have:
//! `/_polyq…` (no SQS account id, Azure account or MNS queue name may start with `_`) and a
//! `GET /metrics` that carries none of the vendors' headers (an Azure account named `metrics`
//! still reaches Azure). Being first, they are never taken by a broader vendor rule (the 2007
//! SQS REST API claims any path ending in `/back` or `/front`).
//!
//! [`StoreHealth`] is the check behind the router's `GET /health` (answered by the router
//! itself, for any request no vendor claims, whatever headers a probe sends).

mod console;
mod console_api;
mod metrics;

use std::sync::Arc;

use async_trait::async_trait;
use polyq_core::QueueService;
use polyq_http::metrics::RequestMetrics;
use polyq_http::{Dialect, HealthCheck, Request, Response};
use polyq_mns::push_signing;

/// Prefix of the console and its API.
pub const CONSOLE_PREFIX: &str = "/_polyq";

pub fn dialect(
    service: Arc<QueueService>,
    metrics: Arc<RequestMetrics>,
    console_enabled: bool,
    metrics_token: Option<String>,
) -> Arc<dyn Dialect> {
    Arc::new(Admin {
        service,
        metrics,
        console_enabled,
        metrics_token,
    })
}

struct Admin {
    service: Arc<QueueService>,
    metrics: Arc<RequestMetrics>,
    /// Off in enforce mode: the console's API would bypass request signing.
    console_enabled: bool,
    /// When set, `/metrics` (which names every queue) answers only a scrape presenting it:
    /// `Authorization: Bearer <token>` (Prometheus's `authorization` setting) or basic auth
    /// with the token as the password.
    metrics_token: Option<String>,
}

impl Admin {
    /// `None` when the scrape may read the metrics, else the 401 to answer.
    fn metrics_refusal(&self, req: &Request) -> Option<Response> {
        let token = self.metrics_token.as_deref()?;
        if scrape_credential(req)
            .is_some_and(|g| polyq_http::auth::constant_time_eq(g.as_bytes(), token.as_bytes()))
        {
            return None;
        }
        let mut r = polyq_http::response(
            401,
            "text/plain; charset=utf-8",
            "/metrics needs the metrics token: send `Authorization: Bearer <token>` (Prometheus: `authorization: { credentials: <token> }` in the scrape config), or basic auth with the token as the password.\n",
        );
        r.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Bearer realm=\"polyq metrics\""),
        );
        Some(r)
    }
}

fn is_console_path(path: &str) -> bool {
    path == CONSOLE_PREFIX || path.starts_with("/_polyq/")
}

/// A link to the console page followed from elsewhere: a top-level `GET` of the page (frames
/// say `iframe`, and stay refused).
fn is_console_navigation(req: &Request) -> bool {
    (req.method == http::Method::GET || req.method == http::Method::HEAD)
        && req.uri.path() == console::PAGE_PATH
        && req
            .header("sec-fetch-dest")
            .is_some_and(|d| d.eq_ignore_ascii_case("document"))
}

/// The token a scrape presents: a bearer token, or the password of basic auth (any user).
fn scrape_credential(req: &Request) -> Option<String> {
    use base64::Engine;
    // Authentication schemes are case-insensitive (RFC 9110 §11.1).
    let (scheme, value) = req.header("authorization")?.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(value.trim().to_string());
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    let pair = String::from_utf8(decoded).ok()?;
    pair.split_once(':')
        .map(|(_, password)| password.to_string())
}

/// A `GET` (or `HEAD`, answered as `GET` without the body, RFC 9110 §9.3.2) with no query
/// and none of the vendors' markers (a bearer or basic `Authorization` is a scrape's, see
/// `metrics_token`): what a Prometheus scrape sends.
fn is_plain_get(req: &Request) -> bool {
    const VENDOR_HEADERS: &[&str] = &[
        "x-amz-target",
        "x-ms-version",
        "x-mns-version",
        "x-mqs-version",
    ];
    (req.method == http::Method::GET || req.method == http::Method::HEAD)
        && req.uri.query().is_none_or(str::is_empty)
        && !VENDOR_HEADERS.iter().any(|h| req.headers.contains_key(*h))
        && req
            .headers
            .get(http::header::AUTHORIZATION)
            .is_none_or(|a| {
                let scheme = a
                    .as_bytes()
                    .split(|b| *b == b' ')
                    .next()
                    .unwrap_or_default();
                scheme.eq_ignore_ascii_case(b"bearer") || scheme.eq_ignore_ascii_case(b"basic")
            })
}

/// The router's `GET /health` check: the store takes writes (it fails for the embedded store
/// after a failed write, and for PostgreSQL out of reach).
pub struct StoreHealth(pub Arc<QueueService>);

#[async_trait]
impl HealthCheck for StoreHealth {
    async fn check(&self) -> Result<(), String> {
        self.0.health().await.map_err(|e| e.to_string())
    }
}

/// The certificate MNS push receivers download to verify polyq's pushes: served in every
/// auth mode (it is public by nature), unlike the console.
fn signing_certificate(req: &Request) -> Response {
    if req.method != http::Method::GET {
        let mut r = polyq_http::response(405, "text/plain; charset=utf-8", "use GET\n");
        r.headers_mut()
            .insert(http::header::ALLOW, http::HeaderValue::from_static("GET"));
        return r;
    }
    match push_signing::certificate_pem() {
        Ok(pem) => polyq_http::response(200, "application/x-pem-file", pem),
        Err(e) => polyq_http::response(
            503,
            "text/plain; charset=utf-8",
            format!("no signing certificate: {e}\n"),
        ),
    }
}

impl Admin {
    /// The answer, and the operation's name for the metrics.
    async fn answer(&self, req: Request) -> (&'static str, Response) {
        // The console is on only in dev mode, where no signature guards it: another site's page
        // must not use its API, nor read the queue names of the metrics. Opening the page itself
        // from a link elsewhere (a top-level navigation, not a frame) does nothing.
        if self.console_enabled
            && req.uri.path() != push_signing::CERT_PATH
            && !is_console_navigation(&req)
        {
            if let Some(why) = polyq_http::browser::foreign_page(&req) {
                let resp = if req.uri.path().starts_with("/_polyq/api") {
                    console_api::refused(&why)
                } else {
                    polyq_http::response(403, "text/plain; charset=utf-8", format!("{why}\n"))
                };
                return ("Console", resp);
            }
        }
        match req.uri.path() {
            "/metrics" => {
                if let Some(refusal) = self.metrics_refusal(&req) {
                    return ("Metrics", refusal);
                }
                return (
                    "Metrics",
                    metrics::render(
                        &self.service,
                        &self.metrics,
                        req.headers
                            .get(http::header::ACCEPT)
                            .and_then(|v| v.to_str().ok()),
                    )
                    .await,
                );
            }
            push_signing::CERT_PATH => return ("SigningCertificate", signing_certificate(&req)),
            _ => {}
        }
        if !self.console_enabled {
            return (
                "Console",
                polyq_http::response(
                    403,
                    "text/plain; charset=utf-8",
                    "The web console is off in enforce mode: its API would let requests past signature checks. Run with --auth dev (on loopback) to use it.\n",
                ),
            );
        }
        ("Console", console::handle(&self.service, req).await)
    }
}

#[async_trait]
impl Dialect for Admin {
    fn name(&self) -> &'static str {
        "polyq"
    }

    fn detect(&self, req: &Request) -> bool {
        let path = req.uri.path();
        is_console_path(path) || (path == "/metrics" && is_plain_get(req))
    }

    async fn handle(&self, req: Request) -> Response {
        let (operation, mut resp) = self.answer(req).await;
        polyq_http::metrics::tag(&mut resp, operation);
        resp
    }

    fn describe(&self, base: &str) -> Vec<String> {
        let mut lines = vec![format!("Metrics {base}/metrics   (Prometheus text format)")];
        if self.console_enabled {
            lines.push(format!("Console {base}{}", console::PAGE_PATH));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polyq_core::{QueueConfig, SystemClock};
    use polyq_store_embedded::EmbeddedStore;

    fn get(path: &str) -> Request {
        Request {
            method: http::Method::GET,
            uri: path.parse().unwrap(),
            headers: http::HeaderMap::new(),
            body: Default::default(),
            remote: None,
            request_id: "r".into(),
            header_case: Default::default(),
            tls: false,
        }
    }

    #[tokio::test]
    async fn metrics_answer_get_and_head() {
        let service = Arc::new(QueueService::new(
            Arc::new(polyq_core::MemoryStore::new()),
            Arc::new(SystemClock),
        ));
        let admin = dialect(service, Arc::default(), true, None);
        let mut head = get("/metrics");
        head.method = http::Method::HEAD;
        for req in [get("/metrics"), head] {
            assert!(admin.detect(&req), "{}", req.method);
            assert_eq!(admin.handle(req).await.status(), 200);
        }
        let mut post = get("/metrics");
        post.method = http::Method::POST;
        assert!(!admin.detect(&post));
    }

    /// A store that hangs is not waited for: the scrape answers with the request metrics and
    /// `polyq_store_up` when the listing does not come (paused time: the 3 s pass at once).
    #[tokio::test(start_paused = true)]
    async fn a_hanging_store_does_not_hold_the_scrape() {
        let store = Arc::new(polyq_core::faults::FaultyStore::new(Arc::new(
            polyq_core::MemoryStore::new(),
        )));
        let service = Arc::new(QueueService::new(store.clone(), Arc::new(SystemClock)));
        service
            .create_queue("counted", QueueConfig::default())
            .await
            .unwrap();
        let admin = dialect(service, Arc::default(), true, None);
        let text = |r: Response| String::from_utf8_lossy(r.body()).into_owned();
        let before = text(admin.handle(get("/metrics")).await);
        assert!(
            before.contains("polyq_queue_messages{queue=\"counted\""),
            "{before}"
        );
        store.delay_listings(std::time::Duration::from_secs(3600));
        let started = tokio::time::Instant::now();
        let scrape = admin.handle(get("/metrics")).await;
        assert!(started.elapsed() < std::time::Duration::from_secs(60));
        assert_eq!(scrape.status(), 200);
        let after = text(scrape);
        assert!(after.lines().any(|l| l == "polyq_store_up 1"), "{after}");
        assert!(!after.contains("polyq_queue_messages"), "{after}");
        // A store that is down is not asked at all.
        store.set_failing(true);
        let down = text(admin.handle(get("/metrics")).await);
        assert!(down.lines().any(|l| l == "polyq_store_up 0"), "{down}");
    }

    #[tokio::test]
    async fn health_follows_the_store_whoever_asks() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(EmbeddedStore::open_disposable(dir.path().join("data")).unwrap());
        let service = Arc::new(QueueService::new(store.clone(), Arc::new(SystemClock)));
        let admin = dialect(service.clone(), Arc::default(), true, None);
        let router = polyq_http::Router::new(vec![admin.clone()], Default::default())
            .with_health(Arc::new(StoreHealth(service.clone())));
        // A probe may carry credentials (a Kubernetes probe with a bearer token): it is still
        // the health check, answered by the router, not the console.
        let mut with_token = get("/health");
        with_token.headers.insert(
            "authorization",
            http::HeaderValue::from_static("Bearer abc"),
        );
        let probes = [get("/health"), get("/healthz"), with_token];
        for probe in &probes {
            assert!(!admin.detect(probe));
            let r = router.dispatch(probe.clone()).await;
            assert_eq!(r.status(), 200, "{}", probe.uri);
            assert_eq!(r.body().as_ref(), b"ok\n");
        }

        store.inject_write_failure();
        assert!(service
            .create_queue("q", QueueConfig::default())
            .await
            .is_err());
        for probe in probes {
            let r = router.dispatch(probe).await;
            assert_eq!(r.status(), 503);
            let text = String::from_utf8_lossy(r.body()).into_owned();
            assert!(
                text.starts_with("unhealthy: ") && text.contains("read-only"),
                "{text}"
            );
        }
        // The metrics say so too.
        let scrape = admin.handle(get("/metrics")).await;
        let text = String::from_utf8_lossy(scrape.body()).into_owned();
        assert!(text.lines().any(|l| l == "polyq_store_up 0"), "{text}");
    }
}
