//! What the log-capturing tests share: a `GET` request as the server would pass it on, and the
//! log lines the code under test writes, captured (a subscriber set for the calling thread
//! only, so `current_thread` tests, writing into memory).

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use polyq_http::Request;

pub fn get(uri: &str) -> Request {
    Request {
        method: http::Method::GET,
        uri: uri.parse().unwrap(),
        headers: http::HeaderMap::new(),
        body: Bytes::new(),
        remote: None,
        request_id: "req-1".into(),
        header_case: Default::default(),
        tls: false,
    }
}

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Lines at `level` and above, for as long as this lives.
pub struct Capture {
    sink: Sink,
    _guard: tracing::subscriber::DefaultGuard,
}

impl Capture {
    pub fn text(&self) -> String {
        String::from_utf8(self.sink.0.lock().unwrap().clone()).unwrap()
    }
}

pub fn capture(level: tracing::Level) -> Capture {
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    Capture {
        sink,
        _guard: tracing::subscriber::set_default(subscriber),
    }
}
