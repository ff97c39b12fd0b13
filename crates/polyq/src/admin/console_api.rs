//! The console's JSON API, under `/_polyq/api/`:
//!
//! | route | answer |
//! |---|---|
//! | `GET queues` | `{"queues": [queue...], "now_ms"}` |
//! | `GET queues/{name}` | the queue |
//! | `PUT queues/{name}` | creates it with SQS's defaults (`.fifo`: FIFO): 201 new, 200 exists |
//! | `DELETE queues/{name}` | 204 |
//! | `POST queues/{name}/purge` | `{"purged": n}` |
//! | `GET queues/{name}/messages?max=N` | peek, 1..=100 (20): `{"messages": [...], "now_ms"}` |
//! | `POST queues/{name}/messages` | `{"body", "delay_seconds", "group_id", "dedup_id"}`: 201 `{"id", ...}` (200 when FIFO dedup kept the first; without `dedup_id`, a queue with ContentBasedDeduplication uses SQS's id, the body's SHA-256) |
//!
//! Errors are `{"error": "<Code>", "message": "..."}`. A request that changes state must say
//! `Content-Type: application/json`, which an HTML form cannot send, so another site cannot make
//! a visitor's browser post here (no CORS headers are sent either). Internal queues (see
//! [`polyq_core::is_internal_queue`]) are never listed, and every route answers 404 for them.

use http::{header, HeaderValue, Method, StatusCode};
use polyq_core::{
    is_internal_queue, AttributeValue, Attributes, CoreError, CreateOutcome, Message, MessageState,
    NewMessage, QueueInfo, QueueService,
};
use polyq_http::{Request, Response};
use serde::Deserialize;
use serde_json::{json, Value};

const DEFAULT_PEEK: usize = 20;
const MAX_PEEK: usize = 100;
/// SQS's longest per-message delay.
const MAX_DELAY_SECONDS: i64 = 900;
/// SQS's limit on group and deduplication ids.
const MAX_ID_LEN: usize = 128;
/// `SenderId` of the messages the console sends.
const SENDER_ID: &str = "polyq-console";

/// An error answer: status, code, text, and for a 405 the methods the route takes.
#[derive(Debug)]
struct ApiError {
    status: u16,
    code: &'static str,
    message: String,
    allow: Option<&'static str>,
}

type ApiResult<T = Response> = Result<T, ApiError>;

impl ApiError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            allow: None,
        }
    }

    fn bad(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(400, code, message)
    }

    fn no_queue(name: &str) -> Self {
        ApiError::new(404, "QueueNotFound", format!("no queue named {name:?}"))
    }

    fn method(req: &Request, allow: &'static str) -> Self {
        ApiError {
            allow: Some(allow),
            ..ApiError::new(
                405,
                "MethodNotAllowed",
                format!("{} is not allowed here; use {allow}", req.method),
            )
        }
    }

    fn into_response(self) -> Response {
        let mut r = json_response(
            self.status,
            &json!({"error": self.code, "message": self.message}),
        );
        if let Some(allow) = self.allow {
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        r
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        let text = e.to_string();
        match e {
            CoreError::QueueNotFound(name) => ApiError::no_queue(&name),
            CoreError::InvalidArgument(_) | CoreError::VisibilityBeyondLimit(_) => {
                ApiError::bad("InvalidArgument", text)
            }
            CoreError::MessageNotFound => ApiError::new(404, "MessageNotFound", text),
            CoreError::ReceiptInvalid | CoreError::ReceiptStale | CoreError::MessageNotInFlight => {
                ApiError::bad("InvalidReceipt", text)
            }
            CoreError::Conflict(_) => ApiError::new(409, "Conflict", text),
            CoreError::Storage(_) => ApiError::new(500, "StorageError", text),
            CoreError::Unavailable(_) => ApiError::new(503, "ServiceUnavailable", text),
        }
    }
}

/// The API's refusal of a web page's request in dev mode (see [`polyq_http::browser`]).
pub fn refused(why: &str) -> Response {
    ApiError::new(403, "ForeignPage", why).into_response()
}

fn json_response(status: u16, value: &Value) -> Response {
    let mut r = polyq_http::response(status, "application/json", value.to_string());
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Serves `req`, whose path is `/_polyq/api/{rest}`.
pub async fn handle(service: &QueueService, req: &Request, rest: &str) -> Response {
    match route(service, req, rest).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn route(service: &QueueService, req: &Request, rest: &str) -> ApiResult {
    let segments: Vec<&str> = rest.split('/').collect();
    match segments.as_slice() {
        ["queues"] | ["queues", ""] => match req.method {
            Method::GET => list(service).await,
            _ => Err(ApiError::method(req, "GET")),
        },
        ["queues", name] => match req.method {
            Method::GET => {
                let name = existing_name(name)?;
                Ok(json_response(
                    200,
                    &queue_json(&service.get_queue(&name).await?),
                ))
            }
            Method::PUT => {
                require_json(req)?;
                create(service, req, name).await
            }
            Method::DELETE => {
                require_json(req)?;
                let name = existing_name(name)?;
                service.delete_queue(&name).await?;
                let mut r = Response::new(Default::default());
                *r.status_mut() = StatusCode::NO_CONTENT;
                Ok(r)
            }
            _ => Err(ApiError::method(req, "GET, PUT, DELETE")),
        },
        ["queues", name, "purge"] => match req.method {
            Method::POST => {
                require_json(req)?;
                let name = existing_name(name)?;
                no_fields(req)?;
                let purged = service.purge_queue(&name).await?;
                Ok(json_response(200, &json!({ "purged": purged })))
            }
            _ => Err(ApiError::method(req, "POST")),
        },
        ["queues", name, "messages"] => match req.method {
            Method::GET => peek(service, req, name).await,
            Method::POST => {
                require_json(req)?;
                send(service, req, name).await
            }
            _ => Err(ApiError::method(req, "GET, POST")),
        },
        _ => Err(ApiError::new(
            404,
            "NotFound",
            format!(
                "no console API at {}; see /_polyq/api/queues",
                req.uri.path()
            ),
        )),
    }
}

/// 415 unless the request says `Content-Type: application/json` (parameters allowed).
fn require_json(req: &Request) -> ApiResult<()> {
    let essence = req
        .header("content-type")
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase());
    if essence.as_deref() == Some("application/json") {
        return Ok(());
    }
    Err(ApiError::new(
        415,
        "UnsupportedMediaType",
        "requests that change state must be sent with Content-Type: application/json",
    ))
}

/// The request body as JSON; an empty body is `{}`.
fn json_body(req: &Request) -> ApiResult<Value> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    let value: Value = serde_json::from_slice(&req.body)
        .map_err(|e| ApiError::bad("InvalidJson", format!("the body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::bad(
            "InvalidJson",
            "the body must be a JSON object",
        ));
    }
    Ok(value)
}

/// For routes that take no parameters: an empty body or `{}`.
fn no_fields(req: &Request) -> ApiResult<()> {
    match json_body(req)?.as_object() {
        Some(fields) if !fields.is_empty() => {
            let names: Vec<&str> = fields.keys().map(String::as_str).collect();
            Err(ApiError::bad(
                "InvalidRequest",
                format!(
                    "this request takes no fields (got {}); send an empty body or {{}}",
                    names.join(", ")
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// The queue name in a path segment, percent-decoded; a `%` not followed by two hex digits
/// is refused rather than taken literally.
fn decode_name(segment: &str) -> ApiResult<String> {
    let bad_escape = segment.split('%').skip(1).any(|after| {
        !after
            .get(..2)
            .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
    });
    if bad_escape {
        return Err(ApiError::bad(
            "InvalidQueueName",
            "the queue name in the path has a bad %-escape",
        ));
    }
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map(|name| name.into_owned())
        .map_err(|_| ApiError::bad("InvalidQueueName", "the queue name is not UTF-8"))
}

/// The name of a queue to look up: any name but an internal one (queues created through MNS
/// or Azure follow their own naming rules, so SQS's rule is not applied here).
fn existing_name(segment: &str) -> ApiResult<String> {
    let name = decode_name(segment)?;
    if name.is_empty() || is_internal_queue(&name) {
        return Err(ApiError::no_queue(&name));
    }
    Ok(name)
}

async fn list(service: &QueueService) -> ApiResult {
    // `list_queues` never lists internal queues.
    let queues = service.list_queues("", None, usize::MAX).await?;
    let queues: Vec<Value> = queues.iter().map(queue_json).collect();
    Ok(json_response(
        200,
        &json!({"queues": queues, "now_ms": service.now_ms()}),
    ))
}

async fn create(service: &QueueService, req: &Request, segment: &str) -> ApiResult {
    let name = decode_name(segment)?;
    // SQS's rule: 1 to 80 characters of `[A-Za-z0-9_-]`, a FIFO queue's ending in `.fifo`.
    if polyq_sqs::names::validate_queue_name(&name, name.ends_with(".fifo")).is_err() {
        return Err(ApiError::bad(
            "InvalidQueueName",
            format!("{name:?} is not a valid queue name: use 1 to 80 letters, digits, hyphens or underscores; end a FIFO queue's name with .fifo"),
        ));
    }
    no_fields(req)?;
    // Exactly what SQS's CreateQueue makes of a bare name (its defaults, SSE-SQS on), so the
    // queue looks the same whichever way it was made.
    let mut attrs = std::collections::BTreeMap::new();
    if name.ends_with(".fifo") {
        attrs.insert("FifoQueue".to_string(), "true".to_string());
    }
    let config = polyq_sqs::queue_attrs::for_create(&name, &attrs)
        .map_err(|e| ApiError::bad("InvalidQueueName", e.message))?;
    Ok(match service.create_queue(&name, config).await? {
        CreateOutcome::Created(q) => json_response(201, &queue_json(&q)),
        CreateOutcome::Exists(q) => json_response(200, &queue_json(&q)),
    })
}

async fn peek(service: &QueueService, req: &Request, segment: &str) -> ApiResult {
    let mut max = DEFAULT_PEEK;
    for pair in req.query().split('&') {
        if let Some(value) = pair.strip_prefix("max=") {
            max = value
                .parse()
                .ok()
                .filter(|n| (1..=MAX_PEEK).contains(n))
                .ok_or_else(|| {
                    ApiError::bad(
                        "OutOfRange",
                        format!("max must be a whole number from 1 to {MAX_PEEK} (got {value:?})"),
                    )
                })?;
        }
    }
    let name = existing_name(segment)?;
    let messages: Vec<Value> = service
        .peek(&name, max)
        .await?
        .iter()
        .map(message_json)
        .collect();
    Ok(json_response(
        200,
        &json!({"messages": messages, "now_ms": service.now_ms()}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendRequest {
    body: String,
    delay_seconds: Option<i64>,
    group_id: Option<String>,
    dedup_id: Option<String>,
}

async fn send(service: &QueueService, req: &Request, segment: &str) -> ApiResult {
    let name = existing_name(segment)?;
    let send: SendRequest = serde_json::from_value(json_body(req)?)
        .map_err(|e| ApiError::bad("InvalidRequest", format!("{e}; expected {{\"body\": \"text\", \"delay_seconds\": 0, \"group_id\": \"FIFO only\", \"dedup_id\": \"FIFO only\"}}")))?;
    let delay = match send.delay_seconds {
        Some(d) if !(0..=MAX_DELAY_SECONDS).contains(&d) => {
            return Err(ApiError::bad(
                "OutOfRange",
                format!("delay_seconds must be from 0 to {MAX_DELAY_SECONDS} (got {d})"),
            ))
        }
        Some(d) => Some(d as u32),
        None => None,
    };
    for (field, value) in [("group_id", &send.group_id), ("dedup_id", &send.dedup_id)] {
        if let Some(v) = value {
            if v.is_empty() || v.len() > MAX_ID_LEN || !v.chars().all(|c| c.is_ascii_graphic()) {
                return Err(ApiError::bad(
                    "InvalidRequest",
                    format!("{field} must be 1 to {MAX_ID_LEN} letters, digits or punctuation"),
                ));
            }
        }
    }
    let queue = service.get_queue(&name).await?;
    if send.body.len() as u64 > u64::from(queue.config.max_message_size) {
        return Err(ApiError::bad(
            "MessageTooLarge",
            format!(
                "the body is {} bytes; queue {name:?} takes at most {}",
                send.body.len(),
                queue.config.max_message_size
            ),
        ));
    }
    let (group_id, dedup_id) = if queue.config.fifo {
        if send.group_id.is_none() {
            return Err(ApiError::bad(
                "MissingGroupId",
                format!("{name:?} is a FIFO queue: give a group_id (dedup_id is optional)"),
            ));
        }
        if delay.is_some_and(|d| d != 0) {
            return Err(ApiError::bad(
                "InvalidRequest",
                "a FIFO queue takes no per-message delay_seconds (its own delay applies)",
            ));
        }
        // Without an id: SQS's content-based id when the queue has ContentBasedDeduplication,
        // else the request id, unique, so each send is a new message.
        let dedup = match send.dedup_id {
            Some(d) => d,
            None if queue.config.content_based_dedup => {
                polyq_sqs::ops::content_dedup_id(&send.body)
            }
            None => req.request_id.clone(),
        };
        (send.group_id, Some(dedup))
    } else {
        if send.group_id.is_some() || send.dedup_id.is_some() {
            return Err(ApiError::bad(
                "InvalidRequest",
                format!("group_id and dedup_id are for FIFO queues; {name:?} is a standard queue"),
            ));
        }
        (None, None)
    };
    let message = NewMessage {
        body: send.body.into(),
        delay_seconds: if queue.config.fifo { None } else { delay },
        group_id,
        dedup_id,
        sender_id: Some(SENDER_ID.to_string()),
        ..NewMessage::default()
    };
    let sent = service
        .send(&name, vec![message])
        .await?
        .pop()
        .ok_or_else(|| ApiError::new(500, "InternalError", "the store reported no send"))??;
    Ok(json_response(
        if sent.deduplicated { 200 } else { 201 },
        &json!({
            "id": sent.id,
            "enqueued_ms": sent.enqueued_ms,
            "visible_ms": sent.visible_ms,
            "sequence_number": sent.sequence_number,
            "deduplicated": sent.deduplicated,
        }),
    ))
}

fn queue_json(q: &QueueInfo) -> Value {
    let c = &q.config;
    json!({
        "name": q.name,
        "created_ms": q.created_ms,
        "modified_ms": q.modified_ms,
        "stats": {
            "visible": q.stats.visible,
            "in_flight": q.stats.in_flight,
            "delayed": q.stats.delayed,
        },
        "config": {
            "fifo": c.fifo,
            "content_based_dedup": c.content_based_dedup,
            "visibility_timeout": c.visibility_timeout,
            "retention_seconds": c.retention_seconds,
            "delay_seconds": c.delay_seconds,
            "max_message_size": c.max_message_size,
            "receive_wait_seconds": c.receive_wait_seconds,
            "dead_letter": c.redrive.as_ref().map(|r| json!({
                "queue": r.dead_letter_queue,
                "max_receive_count": r.max_receive_count,
            })),
        },
    })
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Text as is; anything else base64, with the encoding saying which.
fn bytes_json(bytes: &[u8]) -> (String, &'static str) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_string(), "text"),
        Err(_) => (base64(bytes), "base64"),
    }
}

fn attributes_json(attributes: &Attributes) -> Value {
    attributes
        .iter()
        .map(|(name, a)| {
            let (value, encoding) = match &a.value {
                AttributeValue::String(s) => (s.clone(), "text"),
                AttributeValue::Binary(b) => (base64(b), "base64"),
            };
            (
                name.clone(),
                json!({"type": a.data_type, "value": value, "encoding": encoding}),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn message_json(m: &Message) -> Value {
    let (body, body_encoding) = bytes_json(&m.body);
    json!({
        "id": m.id,
        "body": body,
        "body_encoding": body_encoding,
        "attributes": attributes_json(&m.attributes),
        "system_attributes": attributes_json(&m.system_attributes),
        "state": match m.state {
            MessageState::Ready => "ready",
            MessageState::Delayed => "delayed",
            MessageState::InFlight => "in_flight",
        },
        "receive_count": m.receive_count,
        "enqueued_ms": m.enqueued_ms,
        "visible_ms": m.visible_ms,
        "expires_ms": m.expires_ms,
        "first_receive_ms": m.first_receive_ms,
        "priority": m.priority,
        "group_id": m.group_id,
        "dedup_id": m.dedup_id,
        "sequence_number": m.sequence_number,
        "sender_id": m.sender_id,
        "dead_letter_source": m.dead_letter_source,
    })
}
