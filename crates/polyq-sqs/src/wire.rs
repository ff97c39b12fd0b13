//! From HTTP to an action and back: protocol choice, authentication, error rendering.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use polyq_core::QueueService;
use polyq_http::auth::AuthMode;
use polyq_http::{response, Request, Response};
use serde_json::{json, Value};

use crate::error::{ErrorCode, SqsError};
use crate::ops::{self, Ctx};
use crate::sigv4::{self, SigError, SigRequest};
use crate::{query, SqsConfig};

const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.0";
/// The query protocol's text for `AWS.SimpleQueueService.NonExistentQueue`.
const QUERY_NO_QUEUE_MESSAGE: &str = "The specified queue does not exist for this wsdl version.";
const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    Json,
    Query,
    /// A query request that asks for `Accept: application/json`: parsed as the query protocol,
    /// answered with the same documents in JSON (as AWS does).
    QueryJson,
}

pub async fn handle(
    service: &std::sync::Arc<QueueService>,
    config: &SqsConfig,
    recent: &crate::sixty_seconds::Recent,
    req: Request,
) -> Response {
    let protocol = if req.header("x-amz-target").is_some() {
        Protocol::Json
    } else if wants_json(&req) {
        Protocol::QueryJson
    } else {
        Protocol::Query
    };
    // Actions come by POST, or GET (AWS's "Making query API requests"; a GET with the JSON
    // protocol's header is served too, as before): a HEAD (a safe method, RFC 9110 §9.2.1),
    // PUT, DELETE or any other must not run one.
    if !matches!(req.method, http::Method::GET | http::Method::POST) {
        let e = SqsError::new(
            ErrorCode::InvalidAction,
            format!(
                "SQS actions are sent by POST (or GET with the query protocol), not by {}.",
                req.method
            ),
        );
        return render_error(protocol, &e, &req.request_id);
    }
    let (action, input) = match decode(protocol, &req) {
        Ok(x) => x,
        Err(e) => return render_error(protocol, &e, &req.request_id),
    };
    let mut resp = answer(service, config, recent, &req, protocol, action, &input).await;
    polyq_http::metrics::tag(&mut resp, action);
    resp
}

/// The served action of this name, as the `'static` name the metrics label it with.
fn known_action(name: &str) -> Option<&'static str> {
    ops::ACTIONS.iter().find(|a| **a == name).copied()
}

/// Authenticates and runs one decoded action.
async fn answer(
    service: &std::sync::Arc<QueueService>,
    config: &SqsConfig,
    recent: &crate::sixty_seconds::Recent,
    req: &Request,
    protocol: Protocol,
    action: &str,
    input: &Value,
) -> Response {
    let caller = match authenticate(config, req) {
        Ok(c) => c,
        Err(e) => return render_error(protocol, &e, &req.request_id),
    };
    // ARNs name the region the client signs for, as AWS's do (the queues themselves are
    // shared by every region's clients; only `ListQueues` is scoped, see `crate::regions`).
    let account = config.account.in_region(caller.region.as_deref());
    if action == crate::sts::GET_CALLER_IDENTITY {
        let r = if protocol == Protocol::QueryJson {
            let json = crate::sts::caller_identity_json(&account, &req.request_id);
            response(200, "application/json", json)
        } else {
            let xml = crate::sts::caller_identity_xml(&account, &req.request_id);
            response(200, "text/xml", xml)
        };
        return with_request_id(r, &req.request_id);
    }
    let sender = caller.access_key_id;
    let origin = req.origin("localhost");
    let ctx = Ctx {
        service,
        account: &account,
        origin: &origin,
        path: req.uri.path(),
        sender_id: &sender,
        recent,
        trace_header: req.header("x-amzn-trace-id").filter(|v| !v.is_empty()),
        // Only a region `in_region` took (one of a region's shape) scopes listings.
        client_region: caller
            .region
            .as_deref()
            .filter(|r| *r == account.region)
            .map(|_| account.region.as_str()),
    };
    match ops::dispatch(action, &ctx, input).await {
        Ok(output) => render_ok(protocol, action, &output, &req.request_id),
        Err(e) => {
            if e.code.status() >= 500 {
                tracing::error!(action, request_id = %req.request_id, error = %e.message, "SQS action failed");
            }
            render_error(protocol, &e, &req.request_id)
        }
    }
}

fn decode(protocol: Protocol, req: &Request) -> Result<(&'static str, Value), SqsError> {
    match protocol {
        Protocol::Json => {
            let target = req.header("x-amz-target").unwrap_or("");
            let action = known_action(target.strip_prefix("AmazonSQS.").unwrap_or(""))
                .ok_or_else(|| SqsError::new(
                    ErrorCode::InvalidAction,
                    format!("The action or operation requested is invalid: {target:?}. Expected X-Amz-Target: AmazonSQS.<Action>."),
                ))?;
            if req.body.iter().all(u8::is_ascii_whitespace) {
                return Ok((action, json!({})));
            }
            let input: Value = serde_json::from_slice(&req.body).map_err(|e| {
                match crate::body::first_lone_surrogate_escape(&req.body) {
                    Some(unit) => crate::body::invalid_char_error(unit),
                    None => SqsError::new(
                        ErrorCode::SerializationException,
                        format!("The request body is not valid JSON: {e}"),
                    ),
                }
            })?;
            if !input.is_object() {
                return Err(SqsError::new(
                    ErrorCode::SerializationException,
                    "The request body must be a JSON object.",
                ));
            }
            Ok((action, input))
        }
        Protocol::Query | Protocol::QueryJson => {
            let body =
                (crate::is_form(req) && req.method == http::Method::POST).then_some(&req.body[..]);
            let params = query::parse_params(req.query(), body).map_err(query_error)?;
            let name = params
                .iter()
                .find(|(k, _)| k == "Action")
                .map(|(_, v)| v.as_str())
                .ok_or_else(|| SqsError::missing("Action"))?;
            if name == crate::sts::GET_CALLER_IDENTITY {
                return Ok((crate::sts::GET_CALLER_IDENTITY, json!({})));
            }
            // AWS answers InvalidAction both for unknown actions and for account-level actions
            // (CreateQueue, ListQueues) sent to a queue's URL.
            let action = known_action(name)
                .filter(|a| {
                    !(crate::names::is_queue_path(req.uri.path()) && QUEUE_LESS_ACTIONS.contains(a))
                })
                .ok_or_else(|| invalid_action(name))?;
            let input = query::input_to_json(action, &params).map_err(query_error)?;
            Ok((action, input))
        }
    }
}

/// Whether a query request asks for a JSON answer: an `Accept` naming `application/json` and
/// no XML type (a client that accepts both gets the XML every SDK parses).
fn wants_json(req: &Request) -> bool {
    req.header("accept").is_some_and(|a| {
        let a = a.to_ascii_lowercase();
        a.contains("application/json") && !a.contains("xml")
    })
}

/// Actions that address the account, not a queue: AWS refuses them on a queue URL.
const QUEUE_LESS_ACTIONS: &[&str] = &["CreateQueue", "ListQueues"];

/// AWS's wording for an action the endpoint does not serve.
pub(crate) fn invalid_action(action: &str) -> SqsError {
    SqsError::new(
        ErrorCode::InvalidAction,
        format!("The action {action} is not valid for this endpoint."),
    )
}

fn query_error(e: query::QueryInputError) -> SqsError {
    let code = match e.code {
        "MissingParameter" => ErrorCode::MissingParameter,
        "MalformedQueryString" => ErrorCode::MalformedQueryString,
        _ => ErrorCode::InvalidParameterValue,
    };
    SqsError::new(code, e.message)
}

/// Who signed a request: the access key id (`SenderId`) and the region of its credential
/// scope, when it names them.
struct Caller {
    access_key_id: String,
    region: Option<String>,
}

/// Checks the signature in `enforce` mode; returns the caller either way (in `dev` mode as
/// claimed, the account id when the request is unsigned).
fn authenticate(config: &SqsConfig, req: &Request) -> Result<Caller, SqsError> {
    if config.auth.mode == AuthMode::Dev {
        if let Some(why) = polyq_http::browser::foreign_page(req) {
            return Err(SqsError::new(ErrorCode::AccessDenied, why));
        }
        let scope = claimed_scope(req);
        return Ok(Caller {
            access_key_id: scope
                .as_ref()
                .map_or_else(|| config.account.account_id.clone(), |s| s.0.clone()),
            region: scope.and_then(|s| s.1),
        });
    }
    let mut headers = req.headers.clone();
    if !headers.contains_key(http::header::HOST) {
        // HTTP/2 carries the host in :authority; SigV4 signs it as `host`.
        if let Some(v) = req
            .uri
            .authority()
            .and_then(|a| http::HeaderValue::from_str(a.as_str()).ok())
        {
            headers.insert(http::header::HOST, v);
        }
    }
    let sig = SigRequest {
        method: req.method.as_str(),
        path: req.uri.path(),
        query: req.query(),
        headers: &headers,
        body: &req.body,
    };
    let verified = sigv4::verify(
        &sig,
        &|k| config.auth.secret_for(k),
        SystemTime::now(),
        MAX_SKEW,
    )
    .map_err(|e| {
        let code = match e {
            SigError::MissingAuthenticationToken => ErrorCode::MissingAuthenticationToken,
            SigError::IncompleteSignature(_) => ErrorCode::IncompleteSignature,
            SigError::InvalidClientTokenId => ErrorCode::InvalidClientTokenId,
            SigError::SignatureDoesNotMatch(_) => ErrorCode::SignatureDoesNotMatch,
            SigError::RequestExpired(_) => ErrorCode::RequestExpired,
        };
        SqsError::new(code, e.message())
    })?;
    Ok(Caller {
        access_key_id: verified.access_key_id,
        region: Some(verified.region),
    })
}

/// The access key id and scope region a request claims (Authorization `Credential=` or a
/// presigned `X-Amz-Credential`: `AKID/date/region/service/aws4_request`). Signature V2
/// requests name a key but no region.
fn claimed_scope(req: &Request) -> Option<(String, Option<String>)> {
    let credential = req
        .header("authorization")
        .and_then(|a| {
            let cred = a.split("Credential=").nth(1)?;
            Some(cred.split([',', ' ']).next()?.to_string())
        })
        .or_else(|| {
            req.query().split('&').find_map(|p| {
                let v = p.strip_prefix("X-Amz-Credential=")?;
                Some(
                    percent_encoding::percent_decode_str(v)
                        .decode_utf8_lossy()
                        .into_owned(),
                )
            })
        })?;
    let parts: Vec<&str> = credential.split('/').collect();
    let region = (parts.len() >= 5).then(|| parts[parts.len() - 3].to_string());
    Some((parts.first()?.to_string(), region))
}

/// `r` with SQS's request-id header.
pub(crate) fn with_request_id(mut r: Response, request_id: &str) -> Response {
    if let Ok(v) = http::HeaderValue::from_str(request_id) {
        r.headers_mut().insert("x-amzn-requestid", v);
    }
    r
}

fn render_ok(protocol: Protocol, action: &str, output: &Value, request_id: &str) -> Response {
    let r = match protocol {
        // An action whose output shape is empty (the same actions whose query answer has no
        // `<…Result>`) is answered with no body at all over JSON: `Content-Length: 0`, as real
        // SQS sessions record and Smithy's awsJson1_0 test "No output serializes no payload".
        // Other actions answer `{}` when every member is absent.
        Protocol::Json if !query::has_result_element(action) => {
            response(200, JSON_CONTENT_TYPE, Bytes::new())
        }
        Protocol::Json => response(200, JSON_CONTENT_TYPE, Bytes::from(output.to_string())),
        Protocol::Query => response(
            200,
            "text/xml",
            query::output_to_xml(action, output, request_id),
        ),
        Protocol::QueryJson => response(
            200,
            "application/json",
            query::output_to_json(action, output, request_id),
        ),
    };
    with_request_id(r, request_id)
}

pub(crate) fn render_error(protocol: Protocol, e: &SqsError, request_id: &str) -> Response {
    let status = e.code.status();
    let mut r = match protocol {
        Protocol::Json => {
            let body = json!({"__type": format!("com.amazonaws.sqs#{}", e.code.json_name()), "message": e.message});
            response(status, JSON_CONTENT_TYPE, Bytes::from(body.to_string()))
        }
        Protocol::Query | Protocol::QueryJson => {
            // The query protocol keeps the older wording of this one message (recorded AWS
            // answer: "... does not exist for this wsdl version.").
            let message = if e.code == ErrorCode::QueueDoesNotExist {
                QUERY_NO_QUEUE_MESSAGE
            } else {
                e.message.as_str()
            };
            let (fault, code) = (e.code.sender_fault(), e.code.query_code());
            if protocol == Protocol::QueryJson {
                let body = query::error_to_json(fault, code, message, request_id);
                response(status, "application/json", body)
            } else {
                let body = query::error_to_xml(fault, code, message, request_id);
                response(status, "text/xml", body)
            }
        }
    };
    let fault = if e.code.sender_fault() {
        "Sender"
    } else {
        "Receiver"
    };
    if let Ok(v) = http::HeaderValue::from_str(&format!("{};{fault}", e.code.query_code())) {
        r.headers_mut().insert("x-amzn-query-error", v);
    }
    with_request_id(r, request_id)
}
