//! The web console: one self-contained page at `/_polyq/console` (`/_polyq` and `/_polyq/`
//! redirect there) and the JSON API it calls under `/_polyq/api/` (see [`super::console_api`]).
//! Served only in dev auth mode (the caller answers 403 otherwise).

use http::{header, HeaderValue, Method};
use polyq_core::QueueService;
use polyq_http::{Request, Response};

use super::{console_api, CONSOLE_PREFIX};

/// The page: HTML, CSS and script inline, nothing fetched from elsewhere.
const PAGE: &str = include_str!("console.html");

/// Inline script and style only; the page talks to its own origin and cannot be framed.
const CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                   connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

/// Where the page is served (`/_polyq` and `/_polyq/` redirect to it).
pub const PAGE_PATH: &str = "/_polyq/console";

pub async fn handle(service: &QueueService, req: Request) -> Response {
    let path = req.uri.path().to_string();
    if let Some(rest) = path.strip_prefix("/_polyq/api/") {
        return console_api::handle(service, &req, rest).await;
    }
    let is_root = path == CONSOLE_PREFIX || path == format!("{CONSOLE_PREFIX}/");
    if path != PAGE_PATH && !is_root {
        return not_found(&path);
    }
    if req.method != Method::GET {
        let mut r = polyq_http::response(
            405,
            "text/plain; charset=utf-8",
            format!("{} is not allowed here; use GET\n", req.method),
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET"));
        return r;
    }
    if is_root {
        let mut r = polyq_http::response(
            302,
            "text/plain; charset=utf-8",
            format!("the console is at {PAGE_PATH}\n"),
        );
        if let Ok(location) = HeaderValue::from_str(PAGE_PATH) {
            r.headers_mut().insert(header::LOCATION, location);
        }
        return r;
    }
    let mut r = polyq_http::response(200, "text/html; charset=utf-8", PAGE);
    let headers = r.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn not_found(path: &str) -> Response {
    let body = serde_json::json!({
        "error": "NotFound",
        "message": format!("nothing at {path}; the console is at {PAGE_PATH}"),
    });
    polyq_http::response(404, "application/json", body.to_string())
}
