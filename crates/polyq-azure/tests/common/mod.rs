//! An in-process polyq with only the Azure dialect over a memory store on 127.0.0.1:0, and a
//! raw HTTP client that signs like the SDKs do (SharedKey over the emulator path).

#![allow(dead_code)]

use std::sync::Arc;
use std::time::SystemTime;

use http::{HeaderMap, HeaderName, HeaderValue};
use polyq_azure::{sign, AzureConfig, DEV_ACCOUNT, DEV_KEY};
use polyq_core::{MemoryStore, QueueService, SystemClock};

pub struct Server {
    pub base: String,
    pub client: reqwest::Client,
    _shutdown: tokio::sync::watch::Sender<bool>,
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn code(&self) -> &str {
        self.header("x-ms-error-code")
    }

    /// Text of the first `<name>` element of the body.
    pub fn elem(&self, name: &str) -> String {
        let open = format!("<{name}>");
        let start = self
            .body
            .find(&open)
            .map(|i| i + open.len())
            .unwrap_or_else(|| panic!("no {name} in {}", self.body));
        let end = self.body[start..].find(&format!("</{name}>")).unwrap() + start;
        self.body[start..end].to_string()
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        let open = format!("<{name}>");
        self.body
            .split(&open)
            .skip(1)
            .map(|s| s.split(&format!("</{name}>")).next().unwrap().to_string())
            .collect()
    }
}

pub async fn start(config: AzureConfig) -> Server {
    start_on(memory_service(), config).await
}

pub fn memory_service() -> Arc<QueueService> {
    Arc::new(QueueService::new(
        Arc::new(MemoryStore::new()),
        Arc::new(SystemClock),
    ))
}

/// A server over `service`: two of them over one service are two nodes sharing a store.
pub async fn start_on(service: Arc<QueueService>, config: AzureConfig) -> Server {
    let dialect = polyq_azure::dialect(service, config);
    let router = Arc::new(polyq_http::Router::new(vec![dialect], Default::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(polyq_http::serve(listener, router, rx));
    Server {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        _shutdown: tx,
    }
}

pub async fn dev() -> Server {
    start(AzureConfig::default()).await
}

pub fn now_rfc1123() -> String {
    httpdate::fmt_http_date(SystemTime::now())
}

pub enum Auth<'a> {
    SharedKey,
    SharedKeyLite,
    /// No Authorization header (a SAS may be in the query).
    None,
    WrongKey,
    Raw(&'a str),
}

impl Server {
    /// Sends `method path?query` signed as the SDKs sign (path-style, account in the path).
    pub async fn send(
        &self,
        method: &str,
        path_and_query: &str,
        extra: &[(&str, &str)],
        body: &str,
        auth: Auth<'_>,
    ) -> Reply {
        let headers = signed_headers(method, path_and_query, extra, body, auth);
        let req = self
            .client
            .request(
                method.parse().unwrap(),
                format!("{}{}", self.base, path_and_query),
            )
            .headers(headers)
            .body(body.to_string());
        let resp = req.send().await.unwrap();
        Reply {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            body: resp.text().await.unwrap(),
        }
    }

    /// Sends a SharedKey-signed request over a plain socket, each `extra` header name spelled
    /// exactly as given, and returns the raw answer (head and body) as the server wrote it.
    pub async fn raw(&self, method: &str, path_and_query: &str, extra: &[(&str, &str)]) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let headers = signed_headers(method, path_and_query, extra, "", Auth::SharedKey);
        let mut out = format!("{method} {path_and_query} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (name, value) in &headers {
            if !extra
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case(name.as_str()))
            {
                out.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
            }
        }
        for (name, value) in extra {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str("Content-Length: 0\r\nConnection: close\r\n\r\n");
        let mut stream = tokio::net::TcpStream::connect(self.base.trim_start_matches("http://"))
            .await
            .unwrap();
        stream.write_all(out.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        String::from_utf8(raw).unwrap()
    }

    pub async fn ok(&self, method: &str, path_and_query: &str, body: &str) -> Reply {
        self.send(method, path_and_query, &[], body, Auth::SharedKey)
            .await
    }
}

/// The headers the SDKs send for this request, signed per `auth` (path-style).
fn signed_headers(
    method: &str,
    path_and_query: &str,
    extra: &[(&str, &str)],
    body: &str,
    auth: Auth<'_>,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("x-ms-version", HeaderValue::from_static("2026-02-06"));
    headers.insert("x-ms-date", HeaderValue::from_str(&now_rfc1123()).unwrap());
    // An extra replaces a default header of its name; a name given twice is sent twice.
    for (i, (k, v)) in extra.iter().enumerate() {
        let name = HeaderName::from_bytes(k.as_bytes()).unwrap();
        let value = HeaderValue::from_str(v).unwrap();
        if extra[..i].iter().any(|(e, _)| e.eq_ignore_ascii_case(k)) {
            headers.append(name, value);
        } else {
            headers.insert(name, value);
        }
    }
    if !body.is_empty() {
        headers.insert(
            "content-length",
            HeaderValue::from_str(&body.len().to_string()).unwrap(),
        );
        headers
            .entry("content-type")
            .or_insert(HeaderValue::from_static("application/xml"));
    }
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let key = sign::decode_key(DEV_KEY).unwrap();
    let value = match auth {
        Auth::SharedKey | Auth::WrongKey => {
            let sts = sign::shared_key_string(method, DEV_ACCOUNT, path, query, &headers);
            let key = if matches!(auth, Auth::WrongKey) {
                vec![7u8; 64]
            } else {
                key
            };
            Some(format!(
                "SharedKey {DEV_ACCOUNT}:{}",
                sign::hmac_b64(&key, &sts)
            ))
        }
        Auth::SharedKeyLite => {
            let sts = sign::shared_key_lite_string(method, DEV_ACCOUNT, path, query, &headers);
            Some(format!(
                "SharedKeyLite {DEV_ACCOUNT}:{}",
                sign::hmac_b64(&key, &sts)
            ))
        }
        Auth::Raw(v) => Some(v.to_string()),
        Auth::None => None,
    };
    if let Some(v) = value {
        headers.insert("authorization", HeaderValue::from_str(&v).unwrap());
    }
    headers.remove("content-length");
    headers
}

pub fn message_body(text: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessage><MessageText>{text}</MessageText></QueueMessage>")
}

/// A SAS token signed with the development key.
pub fn account_sas(sp: &str, srt: &str, st: &str, se: &str) -> String {
    let f = sign::SasFields {
        sv: "2026-02-06".into(),
        ss: "q".into(),
        srt: srt.into(),
        sp: sp.into(),
        st: st.into(),
        se: se.into(),
        ..Default::default()
    };
    let sig = sign::hmac_b64(
        &sign::decode_key(DEV_KEY).unwrap(),
        &f.account_string(DEV_ACCOUNT),
    );
    format!(
        "sv={}&ss=q&srt={srt}&sp={sp}&st={st}&se={se}&sig={}",
        f.sv,
        enc(&sig)
    )
}

pub fn service_sas(queue: &str, sp: &str, se: &str, si: &str) -> String {
    let f = sign::SasFields {
        sv: "2026-02-06".into(),
        sp: sp.into(),
        se: se.into(),
        si: si.into(),
        ..Default::default()
    };
    let sig = sign::hmac_b64(
        &sign::decode_key(DEV_KEY).unwrap(),
        &f.service_string(DEV_ACCOUNT, queue),
    );
    format!("sv={}&sp={sp}&se={se}&si={si}&sig={}", f.sv, enc(&sig))
}

pub fn enc(s: &str) -> String {
    s.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}
