//! polyq-store-postgres: the [`QueueStore`](polyq_core::QueueStore) that keeps all state in
//! PostgreSQL, so several stateless polyq nodes behind a load balancer can share one database.
//!
//! Every operation is atomic in the database (a receive leases with one
//! `FOR UPDATE SKIP LOCKED … RETURNING` statement; FIFO queues serialise sends and leases on
//! their queue row), time is the caller's `now` (never the database clock), long polls are woken
//! across nodes with LISTEN/NOTIFY plus a timed fallback, and expired rows are cleaned up once
//! per period across all nodes. Schema migrations run at [`PostgresStore::connect`]. See
//! ARCHITECTURE.md ("polyq-store-postgres — design notes") for the schema, vacuum and
//! portability reasoning.
//!
//! This crate depends on `polyq-core` only (no dialect, no other store).

mod clock;
mod config;
mod error;
mod lease;
mod listen;
mod maintenance;
mod messages;
mod queues;
mod rows;
mod schema;
mod send;
mod store;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use polyq_core::waiters::Waiters;
use polyq_core::CoreError;
use tokio::task::JoinHandle;
use tokio_postgres::NoTls;

pub use config::{DEFAULT_OPERATION_TIMEOUT, DEFAULT_POOL_SIZE};

/// A PostgreSQL-backed queue store; one per node. Dropping it stops its background tasks
/// (listener, cleanup) and closes its connections.
pub struct PostgresStore {
    inner: Arc<Inner>,
    _tasks: TaskGuard,
}

/// What the store's methods and its background tasks share.
pub(crate) struct Inner {
    pool: Pool,
    /// Salt of message ids, the same for every node (kept in `polyq_meta`).
    prefix: u64,
    /// The NOTIFY channel of this schema, or `None` where the engine has no LISTEN/NOTIFY.
    channel: Option<String>,
    waiters: Mutex<Vec<Arc<Waiters>>>,
    /// The latest `now` any caller passed: the background cleanup's notion of time, so that
    /// it agrees with the clock the requests use (a test's manual clock included).
    last_now: AtomicU64,
    listening: AtomicBool,
    operation_timeout: Duration,
}

struct TaskGuard(Vec<JoinHandle<()>>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

impl PostgresStore {
    /// Connects to `url`, applies pending migrations, and starts the listener and cleanup
    /// tasks (so it must be called inside a tokio runtime).
    ///
    /// `url` is a libpq-style URL, e.g. `postgres://postgres@127.0.0.1:5432/test`, with two
    /// optional polyq parameters: `schema=NAME` (`[A-Za-z0-9_]`, created if missing; every
    /// table lives there, so several deployments or tests can share a database) and
    /// `pool_size=N` (default [`DEFAULT_POOL_SIZE`]), and `operation_timeout=S` (seconds, default
    /// [`DEFAULT_OPERATION_TIMEOUT`]). Fails with `Unavailable` when the
    /// database cannot be reached and `InvalidArgument` for a bad URL; the message says which.
    pub async fn connect(url: &str) -> Result<PostgresStore, CoreError> {
        let settings = config::parse(url)?;
        let target = describe(&settings.pg);
        let unreachable = |e: tokio_postgres::Error| {
            CoreError::Unavailable(format!("postgres at {target}: {}", error::chain(&e)))
        };
        // `connect_timeout` bounds the TCP connect only: a server (or proxy) that accepts
        // the connection and never completes the startup must not hang the start for ever.
        let startup = settings
            .pg
            .get_connect_timeout()
            .copied()
            .unwrap_or_default()
            .max(Duration::from_secs(1))
            * 3;
        let (mut client, conn) = tokio::time::timeout(startup, settings.pg.connect(NoTls))
            .await
            .map_err(|_| {
                CoreError::Unavailable(format!(
                    "postgres at {target}: the server accepted the connection but did not \
                     complete the startup within {} s",
                    startup.as_secs()
                ))
            })?
            .map_err(unreachable)?;
        let conn = tokio::spawn(async move {
            let _ = conn.await;
        });
        let schema = match &settings.schema {
            Some(s) => s.clone(),
            None => {
                let row = client
                    .query_one("SELECT current_schema()", &[])
                    .await
                    .map_err(error::db)?;
                row.get::<_, Option<String>>(0).ok_or_else(|| {
                    CoreError::InvalidArgument(format!(
                        "postgres at {target}: search_path names no existing schema; \
                         add ?schema=NAME to the url"
                    ))
                })?
            }
        };
        let now = now_ms();
        let lock = config::migration_lock_key(&schema);
        schema::migrate(&mut client, settings.schema.as_deref(), lock, now).await?;
        let prefix = schema::id_prefix(&client).await?;
        maintenance::init(&client).await?;
        let clock_in_step = clock::check(&client, true).await;
        let channel = config::channel_for(&schema);
        let notify_works = client
            .execute("SELECT pg_notify($1, '')", &[&channel])
            .await
            .is_ok();
        if !notify_works {
            tracing::warn!("postgres has no LISTEN/NOTIFY: long polls re-check every second");
        }
        drop(client);
        conn.abort();

        // The database ends a statement of a pooled connection a little before the operation
        // timeout: dropping a timed-out operation does not stop its statement on the server,
        // which would go on (and may still commit) while the pool hands its busy connection
        // to the next request. Migrations and the listener use their own connections.
        let mut pooled = settings.pg.clone();
        let options = pooled_options(pooled.get_options(), settings.operation_timeout);
        pooled.options(&options);
        let manager = Manager::from_config(
            pooled,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(settings.pool_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(10)))
            .create_timeout(Some(Duration::from_secs(5)))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| CoreError::Storage(format!("postgres pool: {e}")))?;
        let inner = Arc::new(Inner {
            pool,
            prefix,
            channel: notify_works.then_some(channel),
            waiters: Mutex::new(Vec::new()),
            last_now: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            operation_timeout: settings.operation_timeout,
        });
        let tasks = vec![
            tokio::spawn(listen::run(inner.clone(), settings.pg)),
            tokio::spawn(maintenance::run(inner.clone(), clock_in_step)),
        ];
        Ok(PostgresStore {
            inner,
            _tasks: TaskGuard(tasks),
        })
    }

    /// True while this node's LISTEN connection is up (wakeups from other nodes arrive within
    /// milliseconds); while false, long polls are woken once a second instead.
    pub fn is_listening(&self) -> bool {
        self.inner.listening.load(Ordering::Relaxed)
    }

    /// Deletes expired messages, deduplication records and receive attempts as of `now` (the
    /// periodic cleanup does this on one node per period; exposed for tests and tools).
    pub async fn cleanup(&self, now: u64) -> Result<u64, CoreError> {
        maintenance::cleanup(&self.inner, now).await
    }
}

impl Inner {
    pub(crate) async fn client(&self) -> Result<deadpool_postgres::Object, CoreError> {
        self.pool.get().await.map_err(error::pool)
    }

    pub(crate) fn touch(&self, now: u64) {
        self.last_now.fetch_max(now, Ordering::Relaxed);
    }

    pub(crate) fn wake(&self, queue: &str) {
        for w in self.waiters.lock().expect("waiters lock").iter() {
            w.wake(queue);
        }
    }

    /// A message of `queue` becomes visible at `visible_ms` (another node's delayed send or
    /// shortened visibility timeout): wakes the receivers that planned to look later.
    pub(crate) fn wake_at(&self, queue: &str, visible_ms: u64) {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        for w in self.waiters.lock().expect("waiters lock").iter() {
            w.wake_if_sooner(queue, visible_ms, now_ms);
        }
    }

    pub(crate) fn wake_all(&self) {
        for w in self.waiters.lock().expect("waiters lock").iter() {
            w.wake_all();
        }
    }
}

fn describe(pg: &tokio_postgres::Config) -> String {
    let host = match pg.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = pg.get_ports().first().copied().unwrap_or(5432);
    format!("{host}:{port}/{}", pg.get_dbname().unwrap_or(""))
}

/// The session options of pooled connections: the URL's, then (unless it sets them) a
/// statement timeout a little under the operation timeout, and the same bound on a transaction
/// left idle. The latter frees the locks of a node that went silent inside a transaction (a
/// paused process, a frozen network path): a FIFO queue's row lock held so would stop that
/// queue on every node until the server's TCP keepalive noticed, hours later.
fn pooled_options(url: Option<&str>, operation_timeout: Duration) -> String {
    let statement_ms = (operation_timeout.as_millis() * 9 / 10).max(500);
    let idle_ms = operation_timeout.as_millis().max(1000);
    let mut options = url.unwrap_or("").trim().to_string();
    for (name, ms) in [
        ("statement_timeout", statement_ms),
        ("idle_in_transaction_session_timeout", idle_ms),
    ] {
        if !options.contains(name) {
            if !options.is_empty() {
                options.push(' ');
            }
            options.push_str(&format!("-c {name}={ms}"));
        }
    }
    options
}

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::pooled_options;
    use std::time::Duration;

    #[test]
    fn pooled_sessions_bound_statements_and_idle_transactions() {
        let thirty = Duration::from_secs(30);
        assert_eq!(
            pooled_options(None, thirty),
            "-c statement_timeout=27000 -c idle_in_transaction_session_timeout=30000"
        );
        // The URL's own options come first, and its own setting of either wins.
        assert_eq!(
            pooled_options(Some("-c work_mem=8MB"), thirty),
            "-c work_mem=8MB -c statement_timeout=27000 -c idle_in_transaction_session_timeout=30000"
        );
        assert_eq!(
            pooled_options(Some("-c statement_timeout=5s"), Duration::from_secs(1)),
            "-c statement_timeout=5s -c idle_in_transaction_session_timeout=1000"
        );
        assert_eq!(
            pooled_options(Some("-c idle_in_transaction_session_timeout=0"), thirty),
            "-c idle_in_transaction_session_timeout=0 -c statement_timeout=27000"
        );
    }
}
