//! Test plumbing: finding the server (or skipping), one fresh schema per test, dropped after.
//!
//! `POLYQ_TEST_POSTGRES_URL` overrides the server (default
//! `postgres://postgres@127.0.0.1:5432/test`). Without a reachable server the tests print why
//! they skip and pass, unless `POLYQ_REQUIRE_POSTGRES=1`, when they fail instead.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use polyq_core::waiters::Waiters;
use polyq_core::*;
use polyq_store_postgres::PostgresStore;

pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub fn base_url() -> String {
    std::env::var("POLYQ_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_string())
}

/// A schema of its own for one test; dropped (best effort) when this goes.
pub struct Schema {
    pub name: String,
    base: String,
}

impl Schema {
    /// The url of this schema, with extra `&key=value` parameters.
    pub fn url(&self, extra: &str) -> String {
        url_with(&self.base, &format!("schema={}{extra}", self.name))
    }
}

pub fn url_with(base: &str, params: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{params}")
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        // Drop runs inside the test's runtime: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok((client, conn)) = connect(&base).await {
                    tokio::spawn(conn);
                    let _ = client
                        .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"))
                        .await;
                }
            });
        })
        .join();
    }
}

async fn connect(
    url: &str,
) -> Result<
    (
        tokio_postgres::Client,
        impl std::future::Future<Output = Result<(), tokio_postgres::Error>>,
    ),
    String,
> {
    let fut = tokio_postgres::connect(url, tokio_postgres::NoTls);
    match tokio::time::timeout(Duration::from_secs(5), fut).await {
        Ok(Ok(pair)) => Ok(pair),
        Ok(Err(e)) => Err(match std::error::Error::source(&e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        }),
        Err(_) => Err("timed out after 5 s".into()),
    }
}

/// A connection of its own to the test server (another node's, or a test's side channel),
/// driven by a task of its own.
pub async fn side_connection() -> tokio_postgres::Client {
    let (client, conn) = connect(&base_url()).await.expect("a side connection");
    tokio::spawn(conn);
    client
}

/// A fresh, empty schema on the test server, or `None` (after saying why) when there is no
/// server and it is not required.
pub async fn fresh_schema() -> Option<Schema> {
    static N: AtomicU64 = AtomicU64::new(0);
    let base = base_url();
    if let Err(e) = connect(&base).await {
        if std::env::var("POLYQ_REQUIRE_POSTGRES").as_deref() == Ok("1") {
            panic!("POLYQ_REQUIRE_POSTGRES=1 but PostgreSQL at {base} is unreachable: {e}");
        }
        eprintln!(
            "SKIPPED: PostgreSQL at {base} is unreachable ({e}); set POLYQ_TEST_POSTGRES_URL"
        );
        return None;
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!(
        "pqt_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    Some(Schema { name, base })
}

/// A store on a fresh schema; the schema goes with it.
pub struct TestStore {
    pub store: PostgresStore,
    _schema: Schema,
}

pub async fn fresh_store() -> Option<TestStore> {
    let schema = fresh_schema().await?;
    let store = PostgresStore::connect(&schema.url("&pool_size=4"))
        .await
        .expect("connect to the test server");
    Some(TestStore {
        store,
        _schema: schema,
    })
}

#[async_trait]
impl QueueStore for TestStore {
    async fn create_queue(&self, n: &str, c: QueueConfig, now: u64) -> CoreResult<CreateOutcome> {
        self.store.create_queue(n, c, now).await
    }
    async fn delete_queue(&self, n: &str) -> CoreResult<()> {
        self.store.delete_queue(n).await
    }
    async fn get_queue(&self, n: &str, now: u64) -> CoreResult<QueueInfo> {
        self.store.get_queue(n, now).await
    }
    async fn list_queues(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
        now: u64,
    ) -> CoreResult<Vec<QueueInfo>> {
        self.store.list_queues(prefix, after, limit, now).await
    }
    async fn update_queue(&self, n: &str, u: QueueUpdate, now: u64) -> CoreResult<QueueInfo> {
        self.store.update_queue(n, u, now).await
    }
    async fn purge_queue(&self, n: &str, now: u64) -> CoreResult<u64> {
        self.store.purge_queue(n, now).await
    }
    async fn send(
        &self,
        q: &str,
        m: Vec<NewMessage>,
        now: u64,
    ) -> CoreResult<Vec<CoreResult<Sent>>> {
        self.store.send(q, m, now).await
    }
    async fn lease(&self, q: &str, r: LeaseRequest, now: u64) -> CoreResult<LeaseOutcome> {
        self.store.lease(q, r, now).await
    }
    async fn peek(&self, q: &str, max: usize, now: u64) -> CoreResult<Vec<Message>> {
        self.store.peek(q, max, now).await
    }
    async fn get_message(&self, q: &str, id: &str, now: u64) -> CoreResult<Message> {
        self.store.get_message(q, id, now).await
    }
    async fn delete_receipts(
        &self,
        q: &str,
        r: &[Receipt],
        leased_only: bool,
        now: u64,
    ) -> CoreResult<Vec<CoreResult<()>>> {
        self.store.delete_receipts(q, r, leased_only, now).await
    }
    async fn change_visibility(
        &self,
        q: &str,
        c: &[VisibilityChange],
        now: u64,
    ) -> CoreResult<Vec<CoreResult<Relet>>> {
        self.store.change_visibility(q, c, now).await
    }
    async fn update_message(
        &self,
        q: &str,
        c: VisibilityChange,
        body: Option<bytes::Bytes>,
        now: u64,
    ) -> CoreResult<Relet> {
        self.store.update_message(q, c, body, now).await
    }
    async fn move_messages(
        &self,
        from: &str,
        to: Option<&str>,
        max: usize,
        now: u64,
    ) -> CoreResult<u64> {
        self.store.move_messages(from, to, max, now).await
    }
    fn attach_waiters(&self, w: Arc<Waiters>) {
        self.store.attach_waiters(w)
    }
}
