//! Dev mode's guard against web pages.
//!
//! In dev mode polyq checks no SQS or MNS signature (and Azure's development key is public), so
//! a web page open in a browser on the developer's machine could drive a polyq listening on
//! loopback through that browser: an HTML form or an image needs no CORS preflight, and SQS
//! answers every origin's preflight (its browser SDK needs that). So, in dev mode, on a loopback
//! connection, a request a browser made for a page of another site is refused:
//! - one with an `Origin` that is not local, when a browser marked it (`Sec-Fetch-Site`, which
//!   browsers send to localhost and loopback addresses) or it addressed polyq as `0.0.0.0`
//!   (browsers send no `Sec-Fetch-*` there); a client that sets `Origin` itself, as the vendors'
//!   CORS tests do against 127.0.0.1 or localhost, is served as before;
//! - one without an `Origin` that a browser marked `cross-site` (an image, a link).
//!
//! Not covered: DNS rebinding (a foreign name made to resolve to 127.0.0.1 gives the attacker's
//! page the same origin as polyq, and browsers send no `Sec-Fetch-*` to such names); telling it
//! from a tunnel or a port forward under a custom name needs a list of allowed names.

use std::net::IpAddr;

use crate::Request;

/// Why dev mode refuses `req`, if it does: a message naming the page and the way out.
pub fn foreign_page(req: &Request) -> Option<String> {
    // `::ffff:127.0.0.1` is how a dual-stack listener sees an IPv4 loopback client.
    if !req
        .remote
        .is_some_and(|r| r.ip().to_canonical().is_loopback())
    {
        // Reached over the network: dev mode there is the operator's explicit choice.
        return None;
    }
    let site = req
        .header("sec-fetch-site")
        .filter(|s| !s.eq_ignore_ascii_case("none"));
    // polyq's own page (the console, under whatever name it was opened by) calling polyq.
    if site.is_some_and(|s| s.eq_ignore_ascii_case("same-origin")) {
        return None;
    }
    let page = match req.header("origin") {
        Some(o) if !local_origin(o) && (site.is_some() || unspecified_host(req)) => o.to_string(),
        // Forms and images of another site carry no `Origin` on GET, but are marked cross-site.
        None if site.is_some_and(|s| s.eq_ignore_ascii_case("cross-site")) => {
            "another site".to_string()
        }
        _ => return None,
    };
    Some(format!(
        "polyq in dev mode refuses requests made by a web page of {page}: with no credentials to check, any site open in a browser on this machine could use your queues. Serve the page from localhost, or run polyq with --auth enforce."
    ))
}

/// `Origin` of a page served from this machine: `http(s)://` and a localhost name, a loopback
/// address or the unspecified one (`0.0.0.0`, which dev servers print). `null` (sandboxed
/// frames, files) is no such page.
fn local_origin(origin: &str) -> bool {
    let Some(authority) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let name = host_name(authority);
    is_localhost_name(name)
        || parse_ip(name).is_some_and(|ip| {
            let ip = ip.to_canonical();
            ip.is_loopback() || ip.is_unspecified()
        })
}

/// Whether the request addressed polyq as `0.0.0.0` or `[::]`.
fn unspecified_host(req: &Request) -> bool {
    parse_ip(host_name(req.host().unwrap_or(""))).is_some_and(|ip| ip.is_unspecified())
}

fn is_localhost_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// The host of `host[:port]` or `[v6]:port`, brackets kept off.
fn host_name(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    authority.split(':').next().unwrap_or("")
}

fn parse_ip(name: &str) -> Option<IpAddr> {
    name.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(remote: &str, headers: &[(&str, &str)]) -> Request {
        let mut map = http::HeaderMap::new();
        for (k, v) in headers {
            map.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        Request {
            method: http::Method::POST,
            uri: "/".parse().unwrap(),
            headers: map,
            body: bytes::Bytes::new(),
            remote: Some(remote.parse().unwrap()),
            request_id: "r".into(),
            header_case: Default::default(),
            tls: false,
        }
    }

    const LOOP: &str = "127.0.0.1:50000";

    #[test]
    fn clients_that_are_not_browsers_pass() {
        assert_eq!(
            foreign_page(&req(LOOP, &[("host", "127.0.0.1:9324")])),
            None
        );
        // Whatever name they use: SDKs pointed at custom names never send browser headers.
        assert_eq!(
            foreign_page(&req(LOOP, &[("host", "sqs.dev.test:9324")])),
            None
        );
        // A URL the user typed into the browser.
        let typed = [("host", "localhost:9324"), ("sec-fetch-site", "none")];
        assert_eq!(foreign_page(&req(LOOP, &typed)), None);
        // A client (a CORS test, say) that sets Origin itself is no browser.
        let cors_test = [
            ("host", "127.0.0.1:9324"),
            ("origin", "http://evil.example"),
        ];
        assert_eq!(foreign_page(&req(LOOP, &cors_test)), None);
    }

    #[test]
    fn local_pages_pass() {
        for origin in [
            "http://localhost:3000",
            "https://app.localhost",
            "http://127.0.0.1:5173",
            "http://[::1]:8080",
        ] {
            let h = [
                ("host", "127.0.0.1:9324"),
                ("origin", origin),
                ("sec-fetch-site", "cross-site"),
            ];
            assert_eq!(foreign_page(&req(LOOP, &h)), None, "{origin}");
        }
        // The console's own calls: same origin, addressed by a local name.
        let h = [
            ("host", "localhost:9324"),
            ("sec-fetch-site", "same-origin"),
        ];
        assert_eq!(foreign_page(&req(LOOP, &h)), None);
        let h = [("host", "[::1]:9324"), ("sec-fetch-site", "same-origin")];
        assert_eq!(foreign_page(&req(LOOP, &h)), None);
    }

    #[test]
    fn foreign_pages_are_refused_with_the_way_out() {
        for origin in [
            "http://evil.example",
            "null",
            "http://localhost.evil.example",
            "http://10.0.0.8",
        ] {
            let h = [
                ("host", "127.0.0.1:9324"),
                ("origin", origin),
                ("sec-fetch-site", "cross-site"),
            ];
            let why = foreign_page(&req(LOOP, &h)).expect(origin);
            assert!(
                why.contains(origin) && why.contains("--auth enforce"),
                "{why}"
            );
        }
        // An image or a link of another site: no Origin, marked cross-site.
        let h = [("host", "127.0.0.1:9324"), ("sec-fetch-site", "cross-site")];
        assert!(foreign_page(&req(LOOP, &h))
            .unwrap()
            .contains("another site"));
    }

    #[test]
    fn browsers_reaching_polyq_as_0_0_0_0_are_refused_without_fetch_metadata() {
        // Browsers send no Sec-Fetch-* to 0.0.0.0 (not a trustworthy origin); some let pages
        // reach it.
        let h = [("host", "0.0.0.0:9324"), ("origin", "http://evil.example")];
        assert!(foreign_page(&req(LOOP, &h)).is_some());
        // A page served as http://0.0.0.0:3000 by a dev server is this machine's.
        let h = [
            ("host", "localhost:9324"),
            ("origin", "http://0.0.0.0:3000"),
            ("sec-fetch-site", "cross-site"),
        ];
        assert_eq!(foreign_page(&req(LOOP, &h)), None);
    }

    #[test]
    fn custom_names_of_this_machine_are_served() {
        // A tunnel or port forward under its own name: same-origin pages, no rebinding check.
        let h = [
            ("host", "polyq.dev.test:9324"),
            ("origin", "http://polyq.dev.test:9324"),
        ];
        assert_eq!(foreign_page(&req(LOOP, &h)), None);
        let h = [
            ("host", "polyq.dev.test"),
            ("sec-fetch-site", "same-origin"),
        ];
        assert_eq!(foreign_page(&req(LOOP, &h)), None);
        // Over HTTPS (a trustworthy origin), the console's POSTs carry Origin and metadata.
        let h = [
            ("host", "polyq.dev.test"),
            ("origin", "https://polyq.dev.test"),
            ("sec-fetch-site", "same-origin"),
        ];
        assert_eq!(foreign_page(&req(LOOP, &h)), None);
    }

    #[test]
    fn ipv4_loopback_clients_of_a_dual_stack_listener_are_guarded() {
        let h = [
            ("host", "127.0.0.1:9324"),
            ("origin", "http://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ];
        assert!(foreign_page(&req("[::ffff:127.0.0.1]:50000", &h)).is_some());
    }

    #[test]
    fn connections_from_the_network_are_left_alone() {
        let h = [
            ("host", "queue.example:9324"),
            ("origin", "http://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ];
        assert_eq!(foreign_page(&req("192.0.2.7:50000", &h)), None);
    }
}
