//! The letter case of header names, as clients send them and as answers carry them.
//!
//! HTTP/1 header names are case-insensitive, and the `http` crate keeps them lower-cased. Azure
//! Queue Storage is the exception that matters: a metadata name keeps the case it was set with
//! (`x-ms-meta-MyKey`), and the Python, .NET and Java SDKs hand it back exactly as the answer
//! spells it, so an application reading `metadata["MyKey"]` needs the original case on the wire.
//!
//! hyper can do both halves, but only inside its own HTTP/1 codec: with `preserve_header_case`
//! it records the received case of each name in a private request extension, and it writes an
//! answer's names in the case such an extension holds. Neither is reachable through its API, so
//! this module runs that codec over an in-memory pipe: `received_names` lets hyper write the
//! recorded case back out and reads it; `case_extensions` lets hyper parse the wanted names and
//! keeps the extension it records. Each costs one in-process HTTP exchange, so the server asks
//! for them only when a request or answer holds a name the dialect marked ([`CASED_PREFIX`]).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Extensions, HeaderMap, HeaderName};
use http_body_util::Empty;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Header names whose case is kept: Azure's metadata headers.
pub const CASED_PREFIX: &str = "x-ms-meta-";

/// Upper bound on one in-memory exchange; past it the names stay lower-cased.
const EXCHANGE_LIMIT: Duration = Duration::from_secs(2);

/// Names of a request's [`CASED_PREFIX`] headers as the client spelled them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderCase(Vec<String>);

impl HeaderCase {
    pub fn new(names: Vec<String>) -> Self {
        HeaderCase(names)
    }

    /// The spelling the client used for the (lower-case) `name`, or `name` itself.
    pub fn original<'a>(&'a self, name: &'a str) -> &'a str {
        self.0
            .iter()
            .find(|n| n.eq_ignore_ascii_case(name))
            .map_or(name, |n| n.as_str())
    }
}

/// A response extension a dialect sets: header names to write in exactly this case (each must
/// start with [`CASED_PREFIX`], and the response must hold the header).
#[derive(Debug, Clone, Default)]
pub struct ResponseHeaderCase(pub Vec<String>);

/// Whether `headers` holds a name whose case `received_names` would recover.
pub(crate) fn has_cased(headers: &HeaderMap) -> bool {
    headers.keys().any(|n| n.as_str().starts_with(CASED_PREFIX))
}

/// The [`CASED_PREFIX`] header names of a request in the case hyper recorded when it parsed
/// them (`extensions` are the request's, with the server's `preserve_header_case` on). Empty
/// if the exchange fails: the names then stay lower-cased, as before this existed.
pub(crate) async fn received_names(extensions: Extensions, headers: &HeaderMap) -> HeaderCase {
    let mut answer = http::Response::new(Empty::<Bytes>::new());
    for (name, value) in headers {
        if name.as_str().starts_with(CASED_PREFIX) {
            answer.headers_mut().append(name.clone(), value.clone());
        }
    }
    *answer.extensions_mut() = extensions;
    let Some((_, head)) = exchange(b"GET / HTTP/1.1\r\nhost: polyq\r\n\r\n".to_vec(), answer).await
    else {
        tracing::warn!("could not recover the case of x-ms-meta-* names; kept lower-cased");
        return HeaderCase::default();
    };
    // Room for every name sent back plus the few hyper adds (date, content-length).
    let mut parsed = vec![httparse::EMPTY_HEADER; headers.len() + 8];
    let mut response = httparse::Response::new(&mut parsed);
    if !matches!(response.parse(&head), Ok(httparse::Status::Complete(_))) {
        return HeaderCase::default();
    }
    HeaderCase(
        response
            .headers
            .iter()
            .filter(|h| h.name.to_ascii_lowercase().starts_with(CASED_PREFIX))
            .map(|h| h.name.to_string())
            .collect(),
    )
}

/// Response extensions that make hyper write each of `names` in exactly its case. Names that
/// are not valid header names are left out (they stay lower-cased). Kept per name list, since
/// a queue's metadata is read far more often than it changes.
pub(crate) async fn case_extensions(names: &[String]) -> Extensions {
    static CACHE: LazyLock<Mutex<HashMap<Vec<String>, Extensions>>> = LazyLock::new(Mutex::default);
    /// Past this many different name lists the cache starts afresh (a bound, not a policy).
    const CACHE_LIMIT: usize = 1024;
    if let Some(hit) = CACHE.lock().unwrap_or_else(|e| e.into_inner()).get(names) {
        return hit.clone();
    }
    let built = build_case_extensions(names).await;
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= CACHE_LIMIT {
        cache.clear();
    }
    cache.insert(names.to_vec(), built.clone());
    built
}

async fn build_case_extensions(names: &[String]) -> Extensions {
    let mut request = b"GET / HTTP/1.1\r\nhost: polyq\r\n".to_vec();
    for name in names {
        if HeaderName::from_bytes(name.as_bytes()).is_ok() {
            request.extend_from_slice(name.as_bytes());
            request.extend_from_slice(b": x\r\n");
        }
    }
    request.extend_from_slice(b"\r\n");
    let answer = http::Response::new(Empty::<Bytes>::new());
    match exchange(request, answer).await {
        Some((extensions, _)) => extensions,
        None => {
            tracing::warn!("could not build the case of x-ms-meta-* names; sent lower-cased");
            Extensions::new()
        }
    }
}

/// Serves one request (`request`, raw bytes) on hyper's HTTP/1 codec over an in-memory pipe,
/// answering `answer`. Returns the extensions hyper gave the parsed request and the raw bytes
/// of the answer it wrote.
async fn exchange(
    request: Vec<u8>,
    answer: http::Response<Empty<Bytes>>,
) -> Option<(Extensions, Vec<u8>)> {
    let (mut client, server) = tokio::io::duplex(64 * 1024);
    let answer = Mutex::new(Some(answer));
    let seen = Mutex::new(None);
    let svc = service_fn(|mut req: http::Request<hyper::body::Incoming>| {
        *seen.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(std::mem::take(req.extensions_mut()));
        let reply = answer.lock().unwrap_or_else(|e| e.into_inner()).take();
        async move { reply.ok_or("answered twice") }
    });
    let conn = http1::Builder::new()
        .preserve_header_case(true)
        .keep_alive(false)
        // More than the listener itself accepts (`MAX_REQUEST_HEADERS`), so no name is lost here.
        .max_headers(1024)
        .serve_connection(TokioIo::new(server), svc);
    let talk = async {
        client.write_all(&request).await?;
        let mut raw = Vec::new();
        client.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let (served, raw) = tokio::time::timeout(EXCHANGE_LIMIT, async { tokio::join!(conn, talk) })
        .await
        .ok()?;
    served.ok()?;
    let raw = raw.ok()?;
    let extensions = seen.into_inner().unwrap_or_else(|e| e.into_inner())?;
    Some((extensions, raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn original_falls_back_to_the_lower_case_name() {
        let case = HeaderCase::new(vec!["x-ms-meta-MyKey".into()]);
        assert_eq!(case.original("x-ms-meta-mykey"), "x-ms-meta-MyKey");
        assert_eq!(case.original("x-ms-meta-other"), "x-ms-meta-other");
    }

    #[tokio::test]
    async fn case_extensions_make_hyper_write_the_given_case() {
        let ext = case_extensions(&["x-ms-meta-MyKey".into(), "x-ms-meta-UPPER".into()]).await;
        let mut headers = HeaderMap::new();
        headers.insert("x-ms-meta-mykey", "1".parse().unwrap());
        headers.insert("x-ms-meta-upper", "2".parse().unwrap());
        headers.insert("x-ms-meta-plain", "3".parse().unwrap());
        // Reading them back goes through the same codec: the round trip is the whole feature.
        let back = received_names(ext, &headers).await;
        let mut names = back.0.clone();
        names.sort();
        assert_eq!(
            names,
            ["x-ms-meta-MyKey", "x-ms-meta-UPPER", "x-ms-meta-plain"]
        );
        // The second time the same names come from the cache, to the same effect.
        let again = case_extensions(&["x-ms-meta-MyKey".into(), "x-ms-meta-UPPER".into()]).await;
        let mut names = received_names(again, &headers).await.0;
        names.sort();
        assert_eq!(
            names,
            ["x-ms-meta-MyKey", "x-ms-meta-UPPER", "x-ms-meta-plain"]
        );
    }

    #[tokio::test]
    async fn many_names_keep_their_case() {
        let names: Vec<String> = (0..200).map(|i| format!("x-ms-meta-Key{i}")).collect();
        let ext = case_extensions(&names).await;
        let mut headers = HeaderMap::new();
        for n in &names {
            headers.insert(
                HeaderName::from_bytes(n.as_bytes()).unwrap(),
                "v".parse().unwrap(),
            );
        }
        let mut back = received_names(ext, &headers).await.0;
        back.sort();
        let mut want = names.clone();
        want.sort();
        assert_eq!(back, want);
    }

    #[tokio::test]
    async fn invalid_names_are_left_out_not_fatal() {
        let ext = case_extensions(&["x-ms-meta-Bad Name".into(), "x-ms-meta-Ok".into()]).await;
        let mut headers = HeaderMap::new();
        headers.insert("x-ms-meta-ok", "1".parse().unwrap());
        assert_eq!(received_names(ext, &headers).await.0, ["x-ms-meta-Ok"]);
    }

    #[tokio::test]
    async fn without_recorded_case_names_come_back_lower_cased() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ms-meta-mykey", "1".parse().unwrap());
        headers.insert("x-ms-version", "2026-10-06".parse().unwrap());
        let back = received_names(Extensions::new(), &headers).await;
        assert_eq!(back.0, ["x-ms-meta-mykey"]);
    }
}
