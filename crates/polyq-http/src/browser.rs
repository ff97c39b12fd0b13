//! Dev mode's guard against web pages.
//!
//! In dev mode polyq checks no SQS or MNS signature (and Azure's development key is public), so
//! a web page open in a browser on the developer's machine could drive a polyq listening on
//! loopback through that browser: an HTML form or an image needs no CORS preflight, SQS answers
//! every origin's preflight (its browser SDK needs that), and DNS rebinding makes a foreign page
//! look same-origin. So, in dev mode, a request that a page made over a loopback connection is
//! refused unless the page and the name it addressed polyq by are both local. A page's request
//! is told by `Sec-Fetch-Site` (other than `none`, a URL the developer typed), which every
//! current browser sends and no SDK does: clients that set `Origin` themselves, as the vendors'
//! CORS tests do, are served as before. LocalStack refuses foreign origins in the same way.

use std::net::IpAddr;

use crate::Request;

/// Why dev mode refuses `req`, if it does: a message naming the page and the way out.
pub fn foreign_page(req: &Request) -> Option<String> {
    if !req.remote.is_some_and(|r| r.ip().is_loopback()) {
        // Reached over the network: dev mode there is the operator's explicit choice.
        return None;
    }
    let site = req
        .header("sec-fetch-site")
        .filter(|s| !s.eq_ignore_ascii_case("none"))?;
    let page = match req.header("origin") {
        Some(o) if !local_origin(o) => Some(o.to_string()),
        Some(_) => None,
        // Forms and images of another site carry no `Origin` on GET, but are marked cross-site.
        None if site.eq_ignore_ascii_case("cross-site") => Some("another site".to_string()),
        None => None,
    };
    if let Some(page) = page {
        return Some(format!(
            "polyq in dev mode refuses requests made by a web page of {page}: dev mode checks no signature, so any site open in a browser on this machine could use your queues. Serve the page from localhost, or run polyq with --auth enforce."
        ));
    }
    // A page of the same origin as a host name that is not local is a rebinding attack's
    // shape: a foreign name made to resolve to 127.0.0.1.
    let host = req.host().unwrap_or("");
    if !local_host(host_name(host)) {
        return Some(format!(
            "polyq in dev mode refuses requests a web page made through the name {host:?}: only localhost names and IP addresses are served to browsers, so a foreign name pointed at this machine (DNS rebinding) cannot reach your queues. Open polyq as http://localhost:PORT or http://127.0.0.1:PORT, or run it with --auth enforce."
        ));
    }
    None
}

/// `Origin` of a page served from this machine: `http(s)://` and a localhost name or a
/// loopback address. `null` (sandboxed frames, files) is no such page.
fn local_origin(origin: &str) -> bool {
    let Some(authority) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let name = host_name(authority);
    is_localhost_name(name) || parse_ip(name).is_some_and(|ip| ip.is_loopback())
}

/// A `Host` a browser on this machine may use: a localhost name or any IP address (rebinding
/// needs a DNS name; an address is what the user typed).
fn local_host(name: &str) -> bool {
    is_localhost_name(name) || parse_ip(name).is_some()
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
    fn rebinding_is_refused() {
        let h = [
            ("host", "rebind.attacker.test:9324"),
            ("origin", "http://rebind.attacker.test:9324"),
            ("sec-fetch-site", "same-origin"),
        ];
        let why = foreign_page(&req(LOOP, &h)).unwrap();
        assert!(why.contains("rebind.attacker.test"), "{why}");
        let h = [
            ("host", "rebind.attacker.test:9324"),
            ("sec-fetch-site", "same-origin"),
        ];
        assert!(foreign_page(&req(LOOP, &h)).is_some());
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
