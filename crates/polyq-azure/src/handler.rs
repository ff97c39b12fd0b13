//! One request from start to finish: find the account, answer CORS preflights, authenticate,
//! route, authorize, run the operation, and dress the answer with Azure's common headers
//! (`x-ms-request-id`, `x-ms-version`, `Date`, echoed `x-ms-client-request-id`, CORS).

use std::net::IpAddr;

use http::{HeaderName, HeaderValue, Method};
use polyq_http::{Request, Response};

use crate::acl;
use crate::auth::{self, AuthInput, Grant};
use crate::error::{AzError, AzResult};
use crate::props::ServiceProps;
use crate::route::{self, check_queue_name, Op};
use crate::sign::{decode, parse_query};
use crate::time::{iso8601, rfc1123, rfc1123_into};
use crate::AzureDialect;

/// Version reported when the client sent none (any version a client sends is echoed back).
pub const DEFAULT_VERSION: &str = "2026-02-06";

const SERVER: &str = "Windows-Azure-Queue/1.0 Microsoft-HTTPAPI/2.0 (polyq)";
const X_MS_REQUEST_ID: HeaderName = HeaderName::from_static("x-ms-request-id");
const X_MS_VERSION: HeaderName = HeaderName::from_static("x-ms-version");
const X_MS_CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("x-ms-client-request-id");

/// What an operation needs to know about its request.
pub(crate) struct Ctx {
    pub account: String,
    pub queue: String,
    pub message_id: String,
    pub query: Vec<(String, String)>,
    pub now_ms: u64,
    /// `ServiceEndpoint` of List Queues: `http://host/account/` (empty for other operations).
    pub endpoint: String,
    /// The request's `x-ms-version` (`YYYY-MM-DD`, checked), empty when absent: some limits
    /// depend on it.
    pub version: String,
}

impl Ctx {
    /// A query parameter by case-insensitive name.
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A successful answer before the common headers.
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl Reply {
    pub fn empty(status: u16) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn xml(status: u16, body: String) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Some(body),
        }
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// Whether a path-style account-level request (`comp=list`, `restype=service`) came by one of
/// two detours SDKs take, which Azurite serves at the account root: azure-core before 1.8.1
/// joins a SAS client's paths as `/{account}//?comp=list` (an empty segment), and the v12 SDKs
/// send a path-style secondary's calls to `/{account}-secondary/{account}/?restype=service&…`
/// (the primary's path kept). Neither is a queue operation, whatever the queue's name.
fn is_account_level_detour(segments: &[String], account: &str, query: &str) -> bool {
    let account_level = query
        .split('&')
        .any(|pair| pair == "comp=list" || pair == "restype=service");
    account_level && matches!(segments, [only] if only.is_empty() || only == account)
}

struct Located {
    account: String,
    path_style: bool,
    segments: Vec<String>,
}

impl AzureDialect {
    fn locate(&self, req: &Request) -> AzResult<Located> {
        let mut segments: Vec<String> = req
            .uri
            .path()
            .trim_start_matches('/')
            .split('/')
            .map(|s| decode(s).into_owned())
            .collect();
        if segments.last().is_some_and(String::is_empty) {
            segments.pop();
        }
        let first = segments.first().cloned().unwrap_or_default();
        let base = first
            .strip_suffix("-secondary")
            .unwrap_or(&first)
            .to_string();
        let (account, path_style) = if self.account(&base).is_some() {
            segments.remove(0);
            (base, true)
        } else {
            // Host style: `{account}.queue.example` (not an IP address, has a dot).
            let host = req.host().unwrap_or("");
            let host = host.rsplit_once(':').map_or(host, |(h, p)| {
                if p.bytes().all(|b| b.is_ascii_digit()) {
                    h
                } else {
                    host
                }
            });
            let label = host.split('.').next().unwrap_or("");
            let label = label.strip_suffix("-secondary").unwrap_or(label);
            if host.contains('.')
                && host.parse::<IpAddr>().is_err()
                && self.account(label).is_some()
            {
                (label.to_string(), false)
            } else {
                return Err(AzError::resource_not_found());
            }
        };
        if path_style && is_account_level_detour(&segments, &account, req.query()) {
            segments.clear();
        }
        if segments.iter().any(String::is_empty) {
            return Err(AzError::new(
                400,
                "InvalidUri",
                "The requested URI does not represent any resource on the server.",
            ));
        }
        Ok(Located {
            account,
            path_style,
            segments,
        })
    }

    pub(crate) async fn serve(&self, req: Request) -> Response {
        let now = self.service.now_ms();
        let mut op = None;
        let (result, props) = match self.locate(&req) {
            Ok(loc) => {
                let props = self.props.get(&self.service, &loc.account).await;
                (
                    self.process(&req, loc, &props, now, &mut op).await,
                    Some(props),
                )
            }
            Err(e) => (Err(e), None),
        };
        let mut resp = self.finish(&req, result, props.as_deref(), now);
        let name = match (op, req.method == Method::OPTIONS) {
            (Some(op), _) => op.name(),
            (None, true) => Op::PreflightQueueRequest.name(),
            (None, false) => polyq_http::metrics::NO_OPERATION,
        };
        polyq_http::metrics::tag(&mut resp, name);
        resp
    }

    /// The answer to a request whose body is over the server's limit (far over any Azure
    /// request's): 413 `RequestBodyTooLarge`, as for a message over Azure's limit.
    pub(crate) fn refuse_too_large(&self, req: &Request) -> Response {
        let now = self.service.now_ms();
        let too_large = crate::messages::too_large(crate::messages::MAX_BODY_BYTES);
        self.finish(req, Err(too_large), None, now)
    }

    /// Serves one located request; `op` is set once the operation is known.
    async fn process(
        &self,
        req: &Request,
        loc: Located,
        props: &ServiceProps,
        now: u64,
        op_out: &mut Option<Op>,
    ) -> AzResult<Reply> {
        let account = self
            .account(&loc.account)
            .ok_or_else(|| AzError::internal("account vanished"))?;
        let query = parse_query(req.query());
        if req.method == Method::OPTIONS {
            return preflight(req, props);
        }
        let q = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let routed = route::route(&req.method, &loc.segments, &q);
        let input = AuthInput {
            method: req.method.as_str(),
            raw_path: req.uri.path(),
            raw_query: req.query(),
            headers: &req.headers,
            query: &query,
            account,
            path_style: loc.path_style,
            queue: loc.segments.first().map(String::as_str),
            now_ms: now,
            remote: req.remote.map(|r| r.ip()),
            tls: req.tls,
            enforce: self.enforce,
        };
        // Named before authenticating, so refused requests count under their operation too.
        if let Ok((op, _)) = &routed {
            *op_out = Some(*op);
        }
        // In dev mode the development key is public, so a signature proves nothing about who
        // made a browser's request.
        if !self.enforce {
            if let Some(why) = polyq_http::browser::foreign_page(req) {
                return Err(AzError::new(403, "AuthorizationFailure", why));
            }
        }
        let grant = auth::authenticate(&input)?;
        let version = check_version(req)?;
        let (op, target) = routed?;
        // Only List Queues reports the endpoint: other requests skip building it.
        let endpoint = match (op, loc.path_style, req.host()) {
            (Op::ListQueues, true, Some(h)) => format!("{}://{h}/{}/", req.scheme(), loc.account),
            (Op::ListQueues, _, Some(h)) => format!("{}://{h}/", req.scheme()),
            (Op::ListQueues, _, None) => {
                format!("{}://127.0.0.1:10001/{}/", req.scheme(), loc.account)
            }
            _ => String::new(),
        };
        let ctx = Ctx {
            account: loc.account,
            queue: target.queue.unwrap_or_default(),
            message_id: target.message_id.unwrap_or_default(),
            query,
            now_ms: now,
            endpoint,
            version: version.to_string(),
        };
        if !ctx.queue.is_empty() {
            check_queue_name(&ctx.queue)?;
        }
        match &grant {
            Grant::Owner => {}
            Grant::AccountSas(f) => auth::check_account_sas(f, op)?,
            Grant::ServiceSas(f) => {
                let policy = if f.si.is_empty() {
                    None
                } else {
                    let info = self.service.get_queue(&ctx.queue).await?;
                    acl::from_extra(info.config.extras.get(acl::EXTRAS_KEY))
                        .into_iter()
                        .find(|s| s.id == f.si)
                        .map(|s| s.policy)
                };
                auth::check_service_sas(f, policy.as_ref(), op, now)?;
            }
        }
        let reply = self.run(op, &ctx, req, props).await?;
        // Azure marks every read it answers with a document `Cache-Control: no-cache` (recorded
        // in the Java and Go SDK suites: list, service properties, ACL, get and peek; Get
        // Queue Metadata adds its own).
        Ok(match op {
            Op::ListQueues
            | Op::GetQueueServiceProperties
            | Op::GetQueueServiceStats
            | Op::GetQueueAcl
            | Op::GetMessages
            | Op::PeekMessages => reply.header("Cache-Control", "no-cache"),
            _ => reply,
        })
    }

    async fn run(&self, op: Op, ctx: &Ctx, req: &Request, props: &ServiceProps) -> AzResult<Reply> {
        match op {
            Op::ListQueues => self.list_queues(ctx).await,
            Op::GetQueueServiceProperties => Ok(Reply::xml(200, props.render())),
            Op::SetQueueServiceProperties => {
                self.props
                    .set(&self.service, &ctx.account, &req.body)
                    .await?;
                Ok(Reply::empty(202))
            }
            Op::GetQueueServiceStats => Ok(Reply::xml(
                200,
                format!(
                    "{}<StorageServiceStats><GeoReplication><Status>live</Status><LastSyncTime>{}</LastSyncTime></GeoReplication></StorageServiceStats>",
                    crate::xml::DECL,
                    rfc1123(ctx.now_ms)
                ),
            )),
            Op::PreflightQueueRequest => preflight(req, props),
            Op::CreateQueue => self.create_queue(ctx, req).await,
            Op::DeleteQueue => self.delete_queue(ctx).await,
            Op::GetQueueMetadata => self.get_metadata(ctx).await,
            Op::SetQueueMetadata => self.set_metadata(ctx, req).await,
            Op::GetQueueAcl => self.get_acl(ctx).await,
            Op::SetQueueAcl => self.set_acl(ctx, req).await,
            Op::PutMessage => self.put_message(ctx, req).await,
            Op::GetMessages => self.get_messages(ctx).await,
            Op::PeekMessages => self.peek_messages(ctx).await,
            Op::DeleteMessage => self.delete_message(ctx).await,
            Op::ClearMessages => self.clear_messages(ctx).await,
            Op::UpdateMessage => self.update_message(ctx, req).await,
        }
    }

    fn finish(
        &self,
        req: &Request,
        result: AzResult<Reply>,
        props: Option<&ServiceProps>,
        now: u64,
    ) -> Response {
        let head = req.method == Method::HEAD;
        // A refused `x-ms-version` is not echoed: Azure's answer has no version header then
        // (the JS SDK's recording of `3025-01-01`).
        let bad_version = matches!(&result, Err(e) if e.code == "InvalidHeaderValue"
            && e.details.iter().any(|(k, v)| *k == "HeaderName" && v == "x-ms-version"));
        let (status, headers, body) = match result {
            Ok(r) => (r.status, r.headers, r.body),
            Err(e) => {
                let version = req
                    .headers
                    .get(&X_MS_VERSION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(DEFAULT_VERSION);
                let e = e.for_version(version);
                let mut headers = vec![("x-ms-error-code".to_string(), e.code.to_string())];
                if e.status == 401 {
                    headers.push((
                        "WWW-Authenticate".into(),
                        "Bearer authorization_uri=https://login.microsoftonline.com/common/oauth2/authorize resource_id=https://storage.azure.com".into(),
                    ));
                }
                (
                    e.status,
                    headers,
                    Some(e.to_xml(&req.request_id, &iso8601(now))),
                )
            }
        };
        let (content_type, body) = match body {
            Some(b) if !head => ("application/xml", b),
            _ => ("", String::new()),
        };
        let mut resp = polyq_http::response(status, content_type, body);
        if content_type.is_empty() {
            resp.headers_mut().remove(http::header::CONTENT_TYPE);
        }
        // Metadata names keep the case they were set with (hyper would lower-case them).
        let cased: Vec<String> = headers
            .iter()
            .filter(|(k, _)| {
                k.starts_with("x-ms-meta-") && k.bytes().any(|b| b.is_ascii_uppercase())
            })
            .map(|(k, _)| k.clone())
            .collect();
        if !cased.is_empty() {
            resp.extensions_mut()
                .insert(polyq_http::ResponseHeaderCase(cased.clone()));
        }
        let out = resp.headers_mut();
        append_pairs(out, headers);
        // The common headers, in this order on the wire, built without parsing their names
        // (they are on every response; the operation's own headers above are few and rare).
        if let Ok(id) = HeaderValue::from_str(&req.request_id) {
            out.append(X_MS_REQUEST_ID, id);
        }
        let version = match req.headers.get(&X_MS_VERSION) {
            Some(v) if v.to_str().is_ok() => Some(v.clone()),
            Some(_) => None,
            None => Some(HeaderValue::from_static(DEFAULT_VERSION)),
        };
        if let Some(version) = version.filter(|_| !bad_version) {
            out.append(X_MS_VERSION, version);
        }
        let mut date = String::with_capacity(29);
        rfc1123_into(&mut date, now);
        if let Ok(date) = HeaderValue::from_str(&date) {
            out.append(http::header::DATE, date);
        }
        out.append(http::header::SERVER, HeaderValue::from_static(SERVER));
        if let Some(id) = req.headers.get(&X_MS_CLIENT_REQUEST_ID) {
            if id.to_str().is_ok() && id.len() <= 1024 {
                out.append(X_MS_CLIENT_REQUEST_ID, id.clone());
            }
        }
        if let Some(props) = props.filter(|_| req.method != Method::OPTIONS) {
            let mut cors = props.actual_response_headers(req.header("origin"), req.method.as_str());
            if let Some((_, exposed)) = cors
                .iter_mut()
                .find(|(k, _)| k == "Access-Control-Expose-Headers")
            {
                // Spelled as written on the wire (the case-kept metadata names included), plus
                // the length header hyper adds after this.
                let mut names: Vec<&str> = out
                    .keys()
                    .map(|k| {
                        cased
                            .iter()
                            .find(|c| c.eq_ignore_ascii_case(k.as_str()))
                            .map_or(k.as_str(), String::as_str)
                    })
                    .collect();
                names.push("content-length");
                *exposed = crate::props::expand_exposed(exposed, &names);
            }
            append_pairs(out, cors);
        }
        resp
    }
}

/// The oldest Queue service version (its SharedKey scheme starts there).
const OLDEST_VERSION: &str = "2009-09-19";

/// `x-ms-version`, when given, must be a service version: a `YYYY-MM-DD` date no older than
/// [`OLDEST_VERSION`] (Azure: 400 `InvalidHeaderValue`, which the SDKs turn into "The provided
/// service version is not enabled"). Newer dates than any polyq knows are accepted, so that
/// each new SDK release keeps working (Azurite's most reported problem is refusing them).
/// Returns the version, empty when none was sent.
fn check_version(req: &Request) -> AzResult<&str> {
    let Some(value) = req.headers.get(&X_MS_VERSION) else {
        return Ok("");
    };
    let text = value.to_str().unwrap_or("");
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let well_formed = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(0..4)
        && digits(5..7)
        && digits(8..10)
        && (1..=12).contains(&text[5..7].parse::<u8>().unwrap_or(0))
        && (1..=31).contains(&text[8..10].parse::<u8>().unwrap_or(0));
    // Same-width ASCII dates compare as text.
    if well_formed && text >= OLDEST_VERSION {
        Ok(text)
    } else {
        Err(AzError::invalid_header("x-ms-version", text))
    }
}

/// Answers a CORS preflight (`OPTIONS`) by the account's rules.
fn preflight(req: &Request, props: &ServiceProps) -> AzResult<Reply> {
    let origin = req
        .header("origin")
        .ok_or_else(|| cors_header_missing("Origin"))?;
    let method = req
        .header("access-control-request-method")
        .ok_or_else(|| cors_header_missing("Access-Control-Request-Method"))?;
    let wanted = req.header("access-control-request-headers").unwrap_or("");
    let headers = props.preflight(origin, method, wanted)?;
    let mut reply = Reply::empty(200);
    reply.headers = headers;
    Ok(reply)
}

/// A preflight without one of its required headers: Azure's 400 `InvalidHeaderValue` with its
/// own CORS wording (not the generic "not in the correct format").
fn cors_header_missing(name: &str) -> AzError {
    AzError::new(
        400,
        "InvalidHeaderValue",
        "A required CORS header is not present.",
    )
    .detail("HeaderName", name)
}

/// Appends text header pairs, skipping any that are not valid in HTTP.
fn append_pairs(out: &mut http::HeaderMap, pairs: Vec<(String, String)>) {
    for (k, v) in pairs {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            out.append(k, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_pairs_keep_their_order_and_skip_invalid_ones() {
        let mut map = http::HeaderMap::new();
        append_pairs(
            &mut map,
            vec![
                ("x-ms-b".into(), "2".into()),
                ("bad name".into(), "x".into()),
                ("x-ms-a".into(), "bad\nvalue".into()),
                ("X-Ms-B".into(), "3".into()),
            ],
        );
        let got: Vec<_> = map
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_str().unwrap()))
            .collect();
        assert_eq!(got, [("x-ms-b", "2"), ("x-ms-b", "3")]);
    }
}
