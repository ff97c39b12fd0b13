//! polyq-mns: the Alibaba Cloud MNS front end. It serves the queue operations of the MNS XML
//! REST API 2015-06-06 (`/queues/{q}[/messages]`, `x-mns-*` headers, `Authorization: MNS …`)
//! and of its predecessor MQS 2014-07-08 (`/{q}[/messages]`, `x-mqs-*`, `Authorization: MQS …`)
//! over [`polyq_core::QueueService`], so the official MNS SDKs work unchanged against polyq.
//!
//! It owns MNS's wire shapes, limits, error documents and signatures (V2 HMAC-SHA1, V4
//! HMAC-SHA256); the queue semantics live in the core. It must not depend on any store crate
//! or on another dialect.

mod account;
mod error;
mod form;
mod messages;
mod publish;
mod push;
mod push_http;
pub mod push_signing;
pub mod push_tls;
mod queues;
mod route;
mod send;
mod signature;
mod signature_v4;
mod subscriptions;
mod topics;
mod xml;

use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use polyq_core::{CreateOutcome, QueueInfo, QueueService};
use polyq_http::auth::AuthConfig;
use polyq_http::{Dialect, Request, Response};
use tokio::sync::Notify;

pub use error::MnsError;
pub use form::{Form, MNS_NAMESPACE, MQS_NAMESPACE};
pub use signature::{sign, string_to_sign};
pub use signature_v4::{sign_canonical as sign_v4, Variant as V4Variant};

use error::MnsResult;
use route::Route;

/// How the binary configures the MNS dialect.
#[derive(Debug, Clone)]
pub struct MnsConfig {
    pub auth: AuthConfig,
    /// Account id shown in host ids when the request names no Host.
    pub account_id: String,
    pub region: String,
    /// Verifies `https://` push endpoints ([`push_tls::client_config`]); `None`: the built-in
    /// roots only.
    pub push_tls: Option<Arc<rustls::ClientConfig>>,
}

/// The MNS dialect over `service`. Inside a Tokio runtime it also starts the task that pushes
/// topic notifications to HTTP subscriptions (the `push` module).
pub fn dialect(service: Arc<QueueService>, config: MnsConfig) -> Arc<dyn Dialect> {
    let push_wake = Arc::new(Notify::new());
    push::spawn(
        service.clone(),
        push_wake.clone(),
        config.account_id.clone(),
        config
            .push_tls
            .clone()
            .unwrap_or_else(push_tls::default_config),
    );
    Arc::new(MnsDialect {
        service,
        config,
        push_wake,
    })
}

struct MnsDialect {
    service: Arc<QueueService>,
    config: MnsConfig,
    /// Wakes the push task when a publish has queued notifications for HTTP endpoints.
    push_wake: Arc<Notify>,
}

/// A successful answer before the common headers are added.
pub(crate) struct Reply {
    pub status: u16,
    pub body: Option<String>,
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub fn empty(status: u16) -> Self {
        Reply {
            status,
            body: None,
            headers: Vec::new(),
        }
    }

    pub fn xml(status: u16, body: String) -> Self {
        Reply {
            status,
            body: Some(body),
            headers: Vec::new(),
        }
    }

    /// The answer to CreateQueue, CreateTopic and Subscribe: 201 for a new resource, 204 when
    /// it existed with the same attributes (`same`), else `conflict` (409). Both 2xx carry
    /// `Location`: Python reads it on every 2xx.
    pub fn created(
        outcome: CreateOutcome,
        same: impl FnOnce(&QueueInfo) -> bool,
        conflict: MnsError,
        location: String,
    ) -> MnsResult<Reply> {
        let status = match outcome {
            CreateOutcome::Created(_) => 201,
            CreateOutcome::Exists(existing) if same(&existing) => 204,
            CreateOutcome::Exists(_) => return Err(conflict),
        };
        let mut reply = Reply::empty(status);
        reply.headers.push(("location", location));
        Ok(reply)
    }
}

/// What every operation handler gets.
pub(crate) struct Ctx<'a> {
    pub service: &'a QueueService,
    pub config: &'a MnsConfig,
    pub push_wake: &'a Notify,
    pub form: Form,
    pub req: &'a Request,
}

/// One page of a ListQueue / ListTopic / ListSubscriptionByTopic, as its headers ask.
pub(crate) struct ListPage {
    pub prefix: String,
    /// The last name of the previous page; listing resumes after it.
    pub marker: Option<String>,
    pub limit: usize,
    pub with_meta: bool,
}

impl ListPage {
    /// How many entries to fetch: one past the page, to learn whether another page follows.
    pub fn fetch(&self) -> usize {
        self.limit + 1
    }

    /// The page's entries out of what [`ListPage::fetch`] got, and whether more follow.
    pub fn cut<T>(&self, mut fetched: Vec<T>) -> (Vec<T>, bool) {
        let more = fetched.len() > self.limit;
        fetched.truncate(self.limit);
        (fetched, more)
    }
}

impl Ctx<'_> {
    /// `{form}-prefix`, `-marker`, `-ret-number` (1..=1000, default 1000) and `-with-meta`.
    pub fn list_page(&self) -> MnsResult<ListPage> {
        let limit = match self.vendor_header("ret-number") {
            None => 1000,
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) if (1..=1000).contains(&n) => n,
                _ => {
                    return Err(MnsError::out_of_range(
                        &self.form.header("ret-number"),
                        1,
                        1000,
                        "",
                    ))
                }
            },
        };
        Ok(ListPage {
            prefix: self.vendor_header("prefix").unwrap_or("").to_string(),
            marker: self
                .vendor_header("marker")
                .filter(|m| !m.is_empty())
                .map(str::to_string),
            limit,
            with_meta: self
                .vendor_header("with-meta")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        })
    }

    pub fn topic_url(&self, topic: &str) -> String {
        format!("{}/topics/{topic}", self.base_url())
    }

    pub fn subscription_url(&self, topic: &str, subscription: &str) -> String {
        format!(
            "{}/topics/{topic}/subscriptions/{subscription}",
            self.base_url()
        )
    }

    /// `http(s)://{Host}` as the client addressed us; queue URLs are built on it.
    pub fn base_url(&self) -> String {
        self.req.origin("127.0.0.1")
    }

    pub fn queue_url(&self, name: &str) -> String {
        format!("{}{}/{}", self.base_url(), self.form.queues_path(), name)
    }

    /// The request id as MNS shows it (see [`mns_request_id`]).
    pub fn request_id(&self) -> String {
        mns_request_id(&self.req.request_id)
    }

    /// A vendor header of this form (`x-mns-{suffix}` or `x-mqs-{suffix}`).
    pub fn vendor_header(&self, suffix: &str) -> Option<&str> {
        self.req.header(&self.form.header(suffix))
    }
}

impl MnsDialect {
    /// Serves one request; `operation` is set to the operation's name once it is known.
    async fn serve(&self, ctx: &Ctx<'_>, operation: &mut &'static str) -> MnsResult<Reply> {
        signature::verify(ctx.req, &self.config.auth, SystemTime::now())?;
        // The signature covers this header, not the body: compared, a swapped body is caught.
        if polyq_http::content_md5::contradicted(ctx.req).is_some() {
            return Err(MnsError::new(
                400,
                "InvalidDegist",
                "The Content-MD5 you specified does not match the body received.",
            ));
        }
        let req = ctx.req;
        let route = route::route(ctx.form, &req.method, req.uri.path(), req.query())?;
        *operation = route.name();
        match route {
            Route::ListQueue => queues::list(ctx).await,
            Route::PutQueue {
                queue,
                set_attributes: false,
            } => queues::create(ctx, &queue).await,
            Route::PutQueue {
                queue,
                set_attributes: true,
            } => queues::set_attributes(ctx, &queue).await,
            Route::GetQueueAttributes { queue } => queues::get_attributes(ctx, &queue).await,
            Route::DeleteQueue { queue } => queues::delete(ctx, &queue).await,
            Route::Send { queue } => send::send(ctx, &queue).await,
            Route::Receive { queue, query } => messages::receive(ctx, &queue, &query).await,
            Route::Delete { queue, query } => messages::delete(ctx, &queue, &query).await,
            Route::ChangeMessageVisibility { queue, query } => {
                messages::change_visibility(ctx, &queue, &query).await
            }
            Route::ListTopic => topics::list(ctx).await,
            Route::PutTopic {
                topic,
                set_attributes: false,
            } => topics::create(ctx, &topic).await,
            Route::PutTopic {
                topic,
                set_attributes: true,
            } => topics::set_attributes(ctx, &topic).await,
            Route::GetTopicAttributes { topic } => topics::get_attributes(ctx, &topic).await,
            Route::DeleteTopic { topic } => topics::delete(ctx, &topic).await,
            Route::PublishMessage { topic } => publish::publish(ctx, &topic).await,
            Route::ListSubscriptionByTopic { topic } => subscriptions::list(ctx, &topic).await,
            Route::PutSubscription {
                topic,
                subscription,
                set_attributes: false,
            } => subscriptions::subscribe(ctx, &topic, &subscription).await,
            Route::PutSubscription {
                topic,
                subscription,
                set_attributes: true,
            } => subscriptions::set_attributes(ctx, &topic, &subscription).await,
            Route::GetSubscriptionAttributes {
                topic,
                subscription,
            } => subscriptions::get_attributes(ctx, &topic, &subscription).await,
            Route::Unsubscribe {
                topic,
                subscription,
            } => subscriptions::unsubscribe(ctx, &topic, &subscription).await,
            Route::GetAccountAttributes => account::attributes(ctx).await,
            Route::SetAccountAttributes => account::set_attributes(ctx).await,
            Route::OpenService => account::open_service(ctx),
        }
    }

    fn host_id(&self, req: &Request) -> String {
        match req.host() {
            Some(h) => format!("{}://{h}", req.scheme()),
            None => format!(
                "http://{}.mns.{}.aliyuncs.com",
                self.config.account_id, self.config.region
            ),
        }
    }
}

/// MNS request ids are 24 upper-case hex digits (`512B2A634403E52B1956****` in the docs; the
/// Node SDK's tests match `requestid: .{24}`). The server's id is a UUID of a per-process random
/// half and a counter half, so its first 12 and last 12 hex digits keep it unique, and the log
/// line of a request (which shows the UUID) is still found from the MNS id. Ids of any other
/// shape are shown unchanged.
pub(crate) fn mns_request_id(id: &str) -> String {
    let hex: String = id.chars().filter(char::is_ascii_hexdigit).collect();
    if hex.len() != 32 || hex.len() + 4 != id.len() {
        return id.to_string();
    }
    format!("{}{}", &hex[..12], &hex[20..]).to_ascii_uppercase()
}

fn header_value(s: &str) -> http::HeaderValue {
    http::HeaderValue::from_str(s).unwrap_or_else(|_| http::HeaderValue::from_static("-"))
}

#[async_trait]
impl Dialect for MnsDialect {
    fn name(&self) -> &'static str {
        "MNS"
    }

    fn detect(&self, req: &Request) -> bool {
        req.headers.contains_key("x-mns-version")
            || req.headers.contains_key("x-mqs-version")
            || req
                .header("authorization")
                .is_some_and(|a| a.starts_with("MNS ") || a.starts_with("MQS "))
    }

    async fn handle(&self, req: Request) -> Response {
        let form = Form::of(&req);
        let ctx = Ctx {
            service: &self.service,
            config: &self.config,
            push_wake: &self.push_wake,
            form,
            req: &req,
        };
        let request_id = ctx.request_id();
        let mut operation = polyq_http::metrics::NO_OPERATION;
        let mut error_code = None;
        let reply = match self.serve(&ctx, &mut operation).await {
            Ok(reply) => reply,
            Err(e) => {
                error_code = Some(e.code);
                Reply::xml(e.status, e.document(form, &request_id, &self.host_id(&req)))
            }
        };
        let mut resp = match reply.body {
            Some(body) => polyq_http::response(reply.status, "text/xml;charset=utf-8", body),
            None => polyq_http::response(reply.status, "text/xml;charset=utf-8", ""),
        };
        let headers = resp.headers_mut();
        // Python reads x-mns-request-id whatever the form, so MQS answers carry both names.
        headers.insert("x-mns-request-id", header_value(&request_id));
        headers.insert(
            http::HeaderName::from_static("x-mns-version"),
            header_value(form.version()),
        );
        if form == Form::Mqs2014 {
            headers.insert("x-mqs-request-id", header_value(&request_id));
            headers.insert("x-mqs-version", header_value(form.version()));
        }
        headers.insert(http::header::SERVER, header_value(form.server()));
        headers.insert(
            http::header::DATE,
            header_value(&httpdate::fmt_http_date(SystemTime::now())),
        );
        for (name, value) in reply.headers {
            headers.insert(name, header_value(&value));
        }
        polyq_http::metrics::tag(&mut resp, operation);
        if let Some(code) = error_code {
            polyq_http::metrics::tag_error(&mut resp, code);
        }
        resp
    }

    fn describe(&self, base: &str) -> Vec<String> {
        let creds = match self.config.auth.mode {
            polyq_http::auth::AuthMode::Dev => "any AccessKeyId/Secret in dev mode",
            polyq_http::auth::AuthMode::Enforce => "a configured AccessKeyId/Secret",
        };
        vec![format!(
            "MNS     {base}   (Alibaba Cloud MNS SDK: endpoint {base}, {creds})"
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::mns_request_id;

    #[test]
    fn request_ids_take_the_mns_shape() {
        assert_eq!(
            mns_request_id("4196cf2a-3a1b-4b62-8000-00000000002a"),
            "4196CF2A3A1B00000000002A"
        );
        assert_eq!(mns_request_id("not-a-uuid"), "not-a-uuid");
    }
}
