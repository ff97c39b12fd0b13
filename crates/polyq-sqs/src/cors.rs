//! CORS for SQS, so that the AWS SDK for JavaScript can call polyq from a browser page, as it
//! calls SQS (the SDK's service table marks SQS as allowing CORS). A preflight (`OPTIONS` with
//! `Origin` or `Access-Control-Request-Method`) on the service root or a queue URL is answered
//! 200 and runs no action; answers to requests that carry an `Origin` allow any origin and
//! expose the headers the SDK reads (the request id, the query-compatible error code).
//! AWS's exact header values are not recorded anywhere we could find: these are the ones a
//! browser needs, for every origin, as SQS serves every origin.

use polyq_http::{Request, Response};

/// Headers of SQS answers a browser script may read.
const EXPOSED: &str = "x-amzn-RequestId, x-amzn-query-error, x-amz-crc32, Date";
/// How long a browser may keep a preflight's answer.
const MAX_AGE_SECONDS: &str = "86400";

/// Whether `req` is a CORS preflight addressed to SQS: `OPTIONS` with a CORS header, on the
/// root or on a path of the queue-URL shape (Azure's preflights, on its account's paths, are
/// claimed by the Azure dialect first).
pub fn is_preflight(req: &Request, account_id: &str) -> bool {
    req.method == http::Method::OPTIONS
        && (req.headers.contains_key(http::header::ORIGIN)
            || req
                .headers
                .contains_key(http::header::ACCESS_CONTROL_REQUEST_METHOD))
        && (req.uri.path() == "/" || crate::queue_url_path(req.uri.path(), account_id))
}

/// The answer to a preflight: any origin, the methods SQS's protocols use, the headers asked
/// for. No action runs, whatever the query says.
pub fn preflight(req: &Request) -> Response {
    let mut resp = polyq_http::response(200, "", "");
    resp.headers_mut().remove(http::header::CONTENT_TYPE);
    let h = resp.headers_mut();
    h.insert(
        http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
        http::HeaderValue::from_static("*"),
    );
    h.insert(
        http::header::ACCESS_CONTROL_ALLOW_METHODS,
        http::HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    if let Some(asked) = req
        .headers
        .get(http::header::ACCESS_CONTROL_REQUEST_HEADERS)
    {
        h.insert(http::header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    h.insert(
        http::header::ACCESS_CONTROL_MAX_AGE,
        http::HeaderValue::from_static(MAX_AGE_SECONDS),
    );
    crate::wire::with_request_id(resp, &req.request_id)
}

/// Adds the CORS headers of an actual answer to a request that came from a page (`Origin`).
pub fn decorate_for_origin(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
        http::HeaderValue::from_static("*"),
    );
    h.insert(
        http::header::ACCESS_CONTROL_EXPOSE_HEADERS,
        http::HeaderValue::from_static(EXPOSED),
    );
    resp
}
