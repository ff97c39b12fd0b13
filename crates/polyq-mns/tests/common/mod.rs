//! A polyq server with only the MNS dialect on 127.0.0.1:0, and a raw HTTP client that speaks
//! either form and signs (with its own canonicalisation, not the server's) when given a key.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::SystemTime;

use polyq_core::{MemoryStore, QueueService, SystemClock};
use polyq_http::auth::{AuthConfig, AuthMode, Credential};
use polyq_http::{Router, ServerLimits};
use polyq_mns::{dialect, MnsConfig};
use tokio::sync::watch;

pub const AK: &str = "TestAccessID";
pub const SECRET: &str = "TestAccessSecret";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Form {
    Mns,
    Mqs,
}

impl Form {
    pub fn prefix(self) -> &'static str {
        match self {
            Form::Mns => "x-mns-",
            Form::Mqs => "x-mqs-",
        }
    }
    /// Path of queue `q` (and of its messages with `messages`).
    pub fn queue(self, q: &str) -> String {
        match self {
            Form::Mns => format!("/queues/{q}"),
            Form::Mqs => format!("/{q}"),
        }
    }
    pub fn messages(self, q: &str) -> String {
        format!("{}/messages", self.queue(q))
    }
    pub fn list(self) -> &'static str {
        match self {
            Form::Mns => "/queues",
            Form::Mqs => "/",
        }
    }
}

pub struct Server {
    pub base: String,
    pub service: Arc<QueueService>,
    shutdown: watch::Sender<bool>,
    client: reqwest::Client,
}

pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Resp {
    /// Reads a whole response.
    pub async fn read(r: reqwest::Response) -> Resp {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.text().await.unwrap();
        Resp {
            status,
            headers,
            body,
        }
    }

    /// Text of the first `<tag>` element.
    pub fn field(&self, tag: &str) -> Option<String> {
        field(&self.body, tag)
    }
    pub fn fields(&self, tag: &str) -> Vec<String> {
        let open = format!("<{tag}>");
        let close = format!("</{tag}>");
        self.body
            .split(&open)
            .skip(1)
            .filter_map(|s| s.split_once(&close).map(|(v, _)| v.to_string()))
            .collect()
    }
    pub fn code(&self) -> Option<String> {
        self.field("Code")
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub fn field(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{tag}>"))? + start;
    Some(body[start..end].to_string())
}

pub async fn start(auth: AuthConfig) -> Server {
    let service = Arc::new(QueueService::new(
        Arc::new(MemoryStore::new()),
        Arc::new(SystemClock),
    ));
    start_on(service, auth).await
}

/// A server over `service` (e.g. one whose store is a test double).
pub async fn start_on(service: Arc<QueueService>, auth: AuthConfig) -> Server {
    let config = MnsConfig {
        auth,
        account_id: "1234567890".into(),
        region: "cn-hangzhou".into(),
        push_tls: None,
    };
    let router = Arc::new(Router::new(
        vec![dialect(service.clone(), config)],
        ServerLimits::default(),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = watch::channel(false);
    tokio::spawn(polyq_http::serve(listener, router, rx));
    Server {
        base,
        service,
        shutdown: tx,
        client: reqwest::Client::new(),
    }
}

pub async fn start_dev() -> Server {
    start(AuthConfig::default()).await
}

pub fn enforce() -> AuthConfig {
    AuthConfig {
        mode: AuthMode::Enforce,
        credentials: vec![Credential {
            access_key_id: AK.into(),
            secret: SECRET.into(),
        }],
    }
}

pub fn now_date() -> String {
    httpdate::fmt_http_date(SystemTime::now())
}

/// The V2 string-to-sign, written out independently of the server's code.
pub fn canonical(method: &str, headers: &[(String, String)], target: &str, prefix: &str) -> String {
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut vendor: Vec<String> = headers
        .iter()
        .filter(|(k, _)| k.to_ascii_lowercase().starts_with(prefix))
        .map(|(k, v)| format!("{}:{}\n", k.to_ascii_lowercase(), v))
        .collect();
    vendor.sort();
    format!(
        "{method}\n{}\n{}\n{}\n{}{target}",
        get("content-md5"),
        get("content-type"),
        get("date"),
        vendor.concat()
    )
}

pub struct Call<'a> {
    pub form: Form,
    pub method: &'a str,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Sign with this (id, secret).
    pub key: Option<(&'a str, &'a str)>,
}

impl<'a> Call<'a> {
    pub fn new(form: Form, method: &'a str, target: impl Into<String>) -> Self {
        Call {
            form,
            method,
            target: target.into(),
            headers: Vec::new(),
            body: String::new(),
            key: None,
        }
    }
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = body.into();
        self
    }
    pub fn header(mut self, k: &str, v: impl Into<String>) -> Self {
        self.headers.push((k.to_string(), v.into()));
        self
    }
    pub fn signed(mut self, id: &'a str, secret: &'a str) -> Self {
        self.key = Some((id, secret));
        self
    }
}

impl Server {
    pub async fn send(&self, mut c: Call<'_>) -> Resp {
        let (version_header, version, scheme) = match c.form {
            Form::Mns => ("x-mns-version", "2015-06-06", "MNS"),
            Form::Mqs => ("x-mqs-version", "2014-07-08", "MQS"),
        };
        if !c.headers.iter().any(|(k, _)| k == "date") {
            c.headers.push(("date".into(), now_date()));
        }
        c.headers.push((version_header.into(), version.into()));
        if !c.body.is_empty() {
            c.headers
                .push(("content-type".into(), "text/xml;charset=UTF-8".into()));
        }
        let mut all = c.headers.clone();
        match c.key {
            Some((id, secret)) => {
                let sts = canonical(c.method, &c.headers, &c.target, c.form.prefix());
                all.push((
                    "authorization".into(),
                    format!("{scheme} {id}:{}", polyq_mns::sign(secret, &sts)),
                ));
            }
            None => all.push((
                "authorization".into(),
                format!("{scheme} anyid:anysignature"),
            )),
        }
        let url = format!("{}{}", self.base, c.target);
        let mut rb = self
            .client
            .request(c.method.parse().unwrap(), url)
            .body(c.body.clone());
        for (k, v) in all {
            rb = rb.header(k, v);
        }
        Resp::read(rb.send().await.unwrap()).await
    }

    pub async fn req(
        &self,
        form: Form,
        method: &str,
        target: impl Into<String>,
        body: &str,
    ) -> Resp {
        self.send(Call::new(form, method, target).body(body)).await
    }

    pub async fn create(&self, form: Form, q: &str) -> Resp {
        self.req(form, "PUT", form.queue(q), "").await
    }

    pub async fn send_body(&self, form: Form, q: &str, body: &str) -> Resp {
        let doc = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Message><MessageBody>{body}</MessageBody></Message>");
        self.req(form, "POST", form.messages(q), &doc).await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
