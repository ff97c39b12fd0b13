//! The REST interface of SQS API version 2007-05-01, served over the same queues as every
//! other dialect.
//!
//! No `Action` parameter: the HTTP method and the resource path pick the operation
//! ([`route`]); a message is sent as the plain HTTP body of `PUT {queue}/back` and received
//! with `GET {queue}/front`; queue URLs handed out by the 2012 JSON/query protocols are the
//! queue resources here. Answers are the 2007 XML documents ([`xml`]) with the 2007 error codes
//! ([`error`]); the `AWS {AccessKeyId}:{Signature}` HMAC-SHA1 signature of that era is
//! verified in `enforce` mode ([`auth`]). See docs/compatibility-sqs2007.md.
//!
//! Grants (AddGrant/RemoveGrant/ListGrants) are not served: the 2007 documentation states
//! that its REST interface has no access control (only Query and SOAP had it).

pub mod auth;
pub mod error;
pub mod ops;
pub mod route;
pub mod xml;

use std::sync::Arc;
use std::time::SystemTime;

use polyq_core::QueueService;
use polyq_http::{Request, Response};

use crate::SqsConfig;
use error::{Code2007, RestError};

/// The only `AWS-Version` this module speaks.
pub const VERSION: &str = "2007-05-01";

/// Whether a request speaks the 2007 REST API.
///
/// Yes when it carries `AWS-Version`, or when its path ends in `/back` or `/front` below a
/// queue, or when it is a `PUT` with `VisibilityTimeout=`/`Attribute=` in the query, or a
/// queue-service call (`POST /?QueueName=`, `GET /?QueueNamePrefix=`). Never when it carries
/// the marks of another protocol: `X-Amz-Target`, an `Action` parameter (query string or form
/// body; the 2007 guide itself calls a request without `Action` a REST request), MNS/MQS or
/// Azure headers, their Authorization schemes, or an Azure SAS.
pub fn detect(req: &Request) -> bool {
    if foreign(req) {
        return false;
    }
    if req.header("aws-version").is_some() {
        return true;
    }
    let path = req.uri.path().trim_end_matches('/');
    let below_queue = path.trim_start_matches('/').contains('/');
    if below_queue && (path.ends_with("/back") || path.ends_with("/front")) {
        return true;
    }
    let query = req.query();
    let has = |name: &str| {
        query
            .split('&')
            .any(|p| p.strip_prefix(name).is_some_and(|r| r.starts_with('=')))
    };
    if req.method == http::Method::PUT && (has("VisibilityTimeout") || has("Attribute")) {
        return true;
    }
    path.is_empty()
        && ((req.method == http::Method::POST && has("QueueName"))
            || (req.method == http::Method::GET && has("QueueNamePrefix")))
}

fn has_action(params: &str) -> bool {
    params.split('&').any(|p| p.starts_with("Action="))
}

/// Marks of the SQS JSON/query protocols, MNS and Azure.
fn foreign(req: &Request) -> bool {
    const HEADERS: &[&str] = &[
        "x-amz-target",
        "x-mns-version",
        "x-mqs-version",
        "x-ms-version",
    ];
    if HEADERS.iter().any(|h| req.headers.contains_key(*h)) || has_action(req.query()) {
        return true;
    }
    if let Some(a) = req.header("authorization") {
        if ["MNS ", "MQS ", "SharedKey"]
            .iter()
            .any(|p| a.starts_with(p))
        {
            return true;
        }
    }
    let q = req.query();
    if q.split('&').any(|p| p.starts_with("sig=")) && q.split('&').any(|p| p.starts_with("sv=")) {
        return true;
    }
    let form = req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    form && std::str::from_utf8(&req.body).is_ok_and(has_action)
}

pub async fn handle(service: &Arc<QueueService>, config: &SqsConfig, req: Request) -> Response {
    let rid = req.request_id.clone();
    // The operation, once routed, names the request in the metrics.
    let mut op_name = None;
    let mut resp = match serve(service, config, &req, &mut op_name).await {
        Ok(body) => respond(200, body, &rid),
        Err(e) => {
            if e.code.status() >= 500 {
                tracing::error!(request_id = %rid, code = e.code.as_str(), error = %e.message, "SQS 2007 REST request failed");
            }
            let mut resp = respond(e.code.status(), xml::error(&e, &rid), &rid);
            polyq_http::metrics::tag_error(&mut resp, e.code.as_str());
            resp
        }
    };
    if let Some(name) = op_name {
        polyq_http::metrics::tag(&mut resp, name);
    }
    resp
}

async fn serve(
    service: &Arc<QueueService>,
    config: &SqsConfig,
    req: &Request,
    op_name: &mut Option<&'static str>,
) -> Result<String, RestError> {
    let sender = auth::authenticate(
        &config.auth,
        req,
        &config.account.account_id,
        SystemTime::now(),
    )?;
    // The signature covers this header, not the body: compared, a swapped body is caught.
    if let Some(md5) = polyq_http::content_md5::contradicted(req) {
        return Err(RestError::new(
            Code2007::InvalidParameterValue,
            format!("Value {md5} for header Content-MD5 is invalid. Reason: it is not the MD5 of the body received."),
        ));
    }
    if let Some(v) = req.header("aws-version") {
        if v.trim() != VERSION {
            return Err(RestError::new(
                Code2007::NoSuchVersion,
                format!("AWS-Version {v} is not served here; this interface speaks {VERSION}."),
            ));
        }
    }
    let params = route::Params::parse(req.query());
    let op = route::operation(&req.method, req.uri.path(), &params)?;
    *op_name = Some(op.name());
    let origin = req.origin("localhost");
    let ctx = ops::Ctx {
        service,
        account: &config.account,
        origin: &origin,
        sender_id: &sender,
        params: &params,
        body: &req.body,
    };
    ops::run(op, &ctx, &req.request_id).await
}

fn respond(status: u16, body: String, request_id: &str) -> Response {
    let mut r = polyq_http::response(status, "text/xml", body);
    if let Ok(v) = http::HeaderValue::from_str(request_id) {
        r.headers_mut().insert("x-amzn-requestid", v);
    }
    r
}
