//! polyq-sqs: the Amazon SQS dialect (API version 2012-11-05).
//!
//! Two wire protocols over one operation model: AWS JSON 1.0 (`X-Amz-Target: AmazonSQS.*`,
//! current SDKs) and the query protocol (`Action=...`, XML answers, older SDKs). Both decode to
//! the JSON-protocol input shape, run the same action in [`ops`], and encode the same output
//! shape back, so the two can never drift apart. SigV4 is verified in `enforce` mode.
//!
//! Depends on polyq-core and polyq-http only; never on a store or another dialect.

pub mod body;
mod cors;
pub mod error;
pub mod handle;
mod input;
pub mod msg_attrs;
pub mod names;
pub mod ops;
mod policy;
pub mod query;
pub mod queue_attrs;
pub mod regions;
pub mod rest2007;
pub mod sigv4;
mod sixty_seconds;
pub mod sts;
mod wire;

use std::sync::Arc;

use polyq_core::QueueService;
use polyq_http::auth::AuthConfig;
use polyq_http::{Dialect, Request, Response};

pub use names::Account;

/// How the SQS dialect is set up.
#[derive(Debug, Clone)]
pub struct SqsConfig {
    pub account: Account,
    pub auth: AuthConfig,
    /// Refuse to create a queue under a name deleted less than 60 seconds ago
    /// (`QueueDeletedRecently`), as AWS does. Off by default: test suites that delete and
    /// create fixed names would otherwise wait a minute between tests (LocalStack has the same
    /// default and switch).
    pub queue_deleted_recently: bool,
}

impl Default for SqsConfig {
    fn default() -> Self {
        SqsConfig {
            account: Account {
                account_id: "000000000000".into(),
                region: "us-east-1".into(),
            },
            auth: AuthConfig::default(),
            queue_deleted_recently: false,
        }
    }
}

pub struct SqsDialect {
    service: Arc<QueueService>,
    config: SqsConfig,
    recent: sixty_seconds::Recent,
}

pub fn dialect(service: Arc<QueueService>, config: SqsConfig) -> Arc<dyn Dialect> {
    let recent = sixty_seconds::Recent::new(config.queue_deleted_recently);
    Arc::new(SqsDialect {
        service,
        config,
        recent,
    })
}

#[async_trait::async_trait]
impl Dialect for SqsDialect {
    fn name(&self) -> &'static str {
        "SQS"
    }

    fn detect(&self, req: &Request) -> bool {
        if req
            .header("x-amz-target")
            .is_some_and(|t| t.starts_with("AmazonSQS."))
        {
            return true;
        }
        if has_action(req.query())
            || rest2007::detect(req)
            || cors::is_preflight(req, &self.config.account.account_id)
        {
            return true;
        }
        // A form with a byte that is no UTF-8 is still SQS's: its error says what is wrong.
        is_form(req) && body_has_action(&req.body)
    }

    async fn handle(&self, req: Request) -> Response {
        if rest2007::detect(&req) {
            return rest2007::handle(&self.service, &self.config, req).await;
        }
        // OPTIONS is safe (RFC 9110 §9.3.7): a preflight, or any OPTIONS, runs no action
        // whatever its query names.
        if req.method == http::Method::OPTIONS {
            return cors::preflight(&req);
        }
        let origin = req.headers.get(http::header::ORIGIN).cloned();
        let resp = wire::handle(&self.service, &self.config, &self.recent, req).await;
        match origin {
            Some(_) => cors::decorate_for_origin(resp),
            None => resp,
        }
    }

    fn undetected(&self, req: &Request) -> Option<Response> {
        let account_id = &self.config.account.account_id;
        unknown_operation(req, account_id).or_else(|| missing_action(req, account_id))
    }

    fn describe(&self, base: &str) -> Vec<String> {
        vec![format!(
            "SQS     {base}   (aws --endpoint-url {base} sqs list-queues; boto3.client(\"sqs\", endpoint_url=\"{base}\"); any region and keys in dev mode)"
        )]
    }
}

/// Whether the body is a query-protocol form (media types compare without regard to case,
/// RFC 9110 §8.3.1).
pub(crate) fn is_form(req: &Request) -> bool {
    const FORM: &str = "application/x-www-form-urlencoded";
    req.header("content-type").is_some_and(|c| {
        c.get(..FORM.len())
            .is_some_and(|t| t.eq_ignore_ascii_case(FORM))
    })
}

fn has_action(params: &str) -> bool {
    params.split('&').any(|p| p.starts_with("Action="))
}

/// [`has_action`] of a body, read as bytes (it may hold bytes that are no UTF-8).
fn body_has_action(body: &[u8]) -> bool {
    body.split(|&b| b == b'&')
        .any(|p| p.starts_with(b"Action="))
}

/// Whether `path` has the queue-URL shape `/{account}/{queue}` with an account that is ours
/// or all digits, as AWS account ids are (not `/devstoreaccount1/q` or `/queues/q`).
fn queue_url_path(path: &str, account_id: &str) -> bool {
    let mut segments = path.trim_start_matches('/').split('/');
    let (Some(account), Some(queue), None) = (segments.next(), segments.next(), segments.next())
    else {
        return false;
    };
    !queue.is_empty()
        && (account == account_id
            || (!account.is_empty() && account.bytes().all(|b| b.is_ascii_digit())))
}

/// AWS's answer to a `GET` on a queue URL that names no operation (no `Action`, no
/// `X-Amz-Target`): `404` with the bare document `<UnknownOperationException/>`. Only a path of
/// the queue-URL shape `/{account}/{queue}` whose account is ours or all digits, as AWS account
/// ids are, so that requests of other vendors' shapes (`/devstoreaccount1/q`, `/queues/q`) keep
/// polyq's "could not tell" answer.
/// The query protocol's answer to a `POST` without `Action` (nor `X-Amz-Target`) to the
/// endpoint or a queue URL: `400 MissingAction` (AWS's common error; ElasticMQ's suite checks
/// it on `POST /queue/lol`), not polyq's plain-text "could not tell". Only the endpoint's root,
/// the queue-URL shape of [`queue_url_path`] and ElasticMQ's `/queue/{name}`; a JSON body
/// keeps the plain answer.
fn missing_action(req: &Request, account_id: &str) -> Option<Response> {
    let path = req.uri.path();
    let sqs_path = path == "/"
        || queue_url_path(path, account_id)
        || path
            .strip_prefix("/queue/")
            .is_some_and(|name| !name.is_empty() && !name.contains('/'));
    let json = req
        .header("content-type")
        .is_some_and(|c| c.to_ascii_lowercase().contains("json"));
    if req.method != http::Method::POST || !sqs_path || json {
        return None;
    }
    // A form sent without its Content-Type is not read as one: say so rather than that no
    // Action was given.
    let message = if body_has_action(&req.body) {
        "The request is missing an action or a required parameter: the body names an Action \
         but is not sent as Content-Type: application/x-www-form-urlencoded."
    } else {
        "The request is missing an action or a required parameter: no Action parameter \
         (query protocol) nor X-Amz-Target header (JSON protocol)."
    };
    let e = error::SqsError::new(error::ErrorCode::MissingAction, message);
    Some(wire::render_error(
        wire::Protocol::Query,
        &e,
        &req.request_id,
    ))
}

fn unknown_operation(req: &Request, account_id: &str) -> Option<Response> {
    if req.method != http::Method::GET || !queue_url_path(req.uri.path(), account_id) {
        return None;
    }
    Some(wire::with_request_id(
        polyq_http::response(404, "text/xml", "<UnknownOperationException/>"),
        &req.request_id,
    ))
}
