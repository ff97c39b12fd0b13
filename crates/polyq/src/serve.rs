//! Starting the server: store, service, dialects, listeners; then waiting for a signal.

use std::sync::Arc;

use anyhow::Context;
use polyq_core::{MemoryStore, QueueService, QueueStore, SystemClock};
use polyq_http::auth::AuthConfig;
use polyq_http::metrics::RequestMetrics;
use polyq_http::{Router, ServerLimits};
use tokio::net::TcpListener;

use crate::config::{Settings, StoreChoice};

pub fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(quiet_dependencies(filter))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a terminal: piped into a file or a collector, escape codes are noise.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi)
        .try_init();
}

/// `filter` with the PostgreSQL driver held at `info` unless the filter names it: at `debug`
/// it logs every statement with its parameters, message bodies included, which `--log debug`
/// (meant for polyq's own lines) must not put into logs.
fn quiet_dependencies(filter: &str) -> String {
    const QUIET: [&str; 2] = ["tokio_postgres", "postgres_protocol"];
    // Only a global level above info needs the cap; under a stricter one (warn, error, off,
    // or no global level at all) the driver already logs less than info.
    let verbose = filter
        .split(',')
        .map(str::trim)
        .any(|d| d.eq_ignore_ascii_case("debug") || d.eq_ignore_ascii_case("trace"));
    let mut out = filter.to_string();
    for target in QUIET {
        if verbose && !filter.contains(target) {
            out.push_str(&format!(",{target}=info"));
        }
    }
    out
}

/// What to do about a listen address that could not be bound, by the kind of failure.
fn listen_hint(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::AddrInUse => format!(
            "{e}; is another polyq (or another server) using it? Pick another address with --listen"
        ),
        ErrorKind::AddrNotAvailable => {
            format!("{e}; this machine has no such address (127.0.0.1 or 0.0.0.0 always work)")
        }
        ErrorKind::PermissionDenied => {
            format!("{e}; ports below 1024 need privileges: pick a port above 1024")
        }
        // Not an address at all: `notanaddr`, a missing or out-of-range port, a URL.
        ErrorKind::InvalidInput | ErrorKind::Other | ErrorKind::NotFound => format!(
            "{e}; give HOST:PORT, e.g. 127.0.0.1:9324 or 0.0.0.0:9324 (no scheme, port 1-65535)"
        ),
        _ => e.to_string(),
    }
}

pub async fn run(settings: Settings) -> anyhow::Result<()> {
    // Before anything is announced: a signal from then on stops the server gracefully.
    let mut signals = Signals::install()?;
    let store: Arc<dyn QueueStore> = match &settings.store {
        StoreChoice::Memory => Arc::new(MemoryStore::new()),
        StoreChoice::Embedded(dir) => {
            let dir = dir.clone();
            // Opening reads the whole store into memory: keep it off the async workers.
            let store =
                tokio::task::spawn_blocking(move || polyq_store_embedded::EmbeddedStore::open(dir))
                    .await
                    .context("opening the data directory panicked")?
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            Arc::new(store)
        }
        StoreChoice::Postgres(url) => Arc::new(
            polyq_store_postgres::PostgresStore::connect(url)
                .await
                .map_err(|e| anyhow::anyhow!("cannot use PostgreSQL store: {e}"))?,
        ),
    };
    let service = Arc::new(QueueService::new(store, Arc::new(SystemClock)));
    let auth = AuthConfig {
        mode: settings.auth,
        credentials: settings.credentials.clone(),
    };
    let sqs = polyq_sqs::dialect(
        service.clone(),
        polyq_sqs::SqsConfig {
            account: polyq_sqs::Account {
                account_id: settings.account_id.clone(),
                region: settings.region.clone(),
            },
            auth: auth.clone(),
            queue_deleted_recently: settings.sqs_queue_deleted_recently,
        },
    );
    let mut azure_config = polyq_azure::AzureConfig {
        enforce: settings.auth == polyq_http::auth::AuthMode::Enforce,
        ..Default::default()
    };
    if settings.azure_accounts.is_empty() && azure_config.enforce {
        // The development account's key is published by Microsoft: under enforce it would
        // let anyone in through Azure (and, queues being shared, to every dialect's queues).
        azure_config.accounts.clear();
    } else if !settings.azure_accounts.is_empty() {
        azure_config.accounts = settings
            .azure_accounts
            .iter()
            .map(|(name, key)| polyq_azure::AzureAccount {
                name: name.clone(),
                key: key.clone(),
            })
            .collect();
    }
    let azure = polyq_azure::dialect(service.clone(), azure_config);
    let push_tls = polyq_mns::push_tls::client_config(settings.mns_push_ca.as_deref())
        .map_err(anyhow::Error::msg)?;
    let mns = polyq_mns::dialect(
        service.clone(),
        polyq_mns::MnsConfig {
            auth: auth.clone(),
            account_id: settings.account_id.clone(),
            region: settings.region.clone(),
            push_tls: Some(push_tls),
        },
    );
    let metrics = Arc::new(RequestMetrics::default());
    let admin = crate::admin::dialect(
        service.clone(),
        metrics.clone(),
        settings.auth == polyq_http::auth::AuthMode::Dev,
        settings.metrics_token.clone(),
    );
    // Detection order: polyq's own paths (metrics, console; none a vendor can use), then the
    // most specific markers first; SQS query (Action=) is the broadest.
    let router = Arc::new(
        Router::new(vec![admin, azure, mns, sqs], ServerLimits::default())
            .with_metrics(metrics)
            .with_health(Arc::new(crate::admin::StoreHealth(service.clone()))),
    );

    let tls = match &settings.tls {
        Some((cert, key)) => {
            Some(polyq_http::tls::acceptor(cert, key).map_err(anyhow::Error::msg)?)
        }
        None => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let mut listeners = Vec::new();
    for addr in &settings.listen {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {}", listen_hint(&e)))?;
        listeners.push(listener);
    }
    let store_name = match &settings.store {
        StoreChoice::Memory => "memory (nothing is kept after exit)".to_string(),
        StoreChoice::Embedded(dir) => format!("embedded, durable, in {}", dir.display()),
        StoreChoice::Postgres(url) => format!("postgres, shared, at {}", redact(url)),
    };
    println!(
        "polyq {} ready; store: {store_name}; auth: {}",
        env!("CARGO_PKG_VERSION"),
        match settings.auth {
            polyq_http::auth::AuthMode::Dev => {
                "dev (SQS and MNS signatures not checked; Azure's are, as on Azure)"
            }
            polyq_http::auth::AuthMode::Enforce => "enforce",
        }
    );
    if settings.auth == polyq_http::auth::AuthMode::Dev {
        let addrs = listeners
            .iter()
            .map(|l| l.local_addr())
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(warning) = dev_exposure_warning(&addrs) {
            println!("{warning}");
        }
    } else if settings.metrics_token.is_none() {
        println!(
            "note: /metrics answers without credentials (queue names and counts); set metrics_token (--metrics-token, POLYQ_METRICS_TOKEN) to require a bearer token"
        );
    }
    for l in &listeners {
        let base = format!("{scheme}://{}", l.local_addr()?);
        println!("listening on {base}");
        for line in router.describe(&base) {
            println!("  {line}");
        }
    }

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    for l in listeners {
        tasks.push(tokio::spawn(polyq_http::serve_with_tls(
            l,
            router.clone(),
            stop_rx.clone(),
            tls.clone(),
        )));
    }
    signals.next().await;
    tracing::info!(
        "shutting down: no new connections; finishing requests in progress (at most 30 s; \
         a second signal exits at once)"
    );
    service.begin_shutdown();
    let _ = stop_tx.send(true);
    let finish = async {
        for t in tasks {
            t.await.context("listener task failed")??;
        }
        // MNS pushes in progress: their notifications are deleted once delivered, rather than
        // pushed again after the restart (each push ends within its 5 s timeout).
        let pushes = service.background_idle();
        if tokio::time::timeout(std::time::Duration::from_secs(10), pushes)
            .await
            .is_err()
        {
            tracing::warn!("MNS pushes still in progress after 10 s; stopping without them");
        }
        anyhow::Ok(())
    };
    tokio::select! {
        done = finish => done?,
        signal = signals.next() => {
            // What was acknowledged is on disk already (answers wait for it); requests still in
            // progress were not answered, so their clients retry or see an error.
            tracing::warn!("second signal: exiting without waiting for requests in progress");
            std::process::exit(128 + signal);
        }
    }
    // Dropping the last handles to the store (here and, for those background tasks hold, as
    // the runtime ends) flushes and closes it and frees the directory lock.
    drop(router);
    drop(service);
    tracing::info!("stopped");
    Ok(())
}

/// The signals that stop the server: SIGINT, SIGTERM and SIGHUP (a closed terminal: stopped as
/// gently as the others, not killed mid-request), unless SIGHUP was ignored when polyq
/// started (`nohup`), which it then stays. Installed once, before serving, so that no signal
/// falls between two waits.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hangup: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn install() -> anyhow::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let hangup = if hangup_ignored() {
                None
            } else {
                Some(signal(SignalKind::hangup()).context("cannot handle SIGHUP")?)
            };
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
                terminate: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
                hangup,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// The next signal's number (128 + it is the exit status of a second one).
    async fn next(&mut self) -> i32 {
        #[cfg(unix)]
        {
            let hangup = async {
                match self.hangup.as_mut() {
                    Some(h) => {
                        h.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = self.interrupt.recv() => 2,
                _ = self.terminate.recv() => 15,
                () = hangup => 1,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            2
        }
    }
}

/// Whether SIGHUP was ignored when polyq started (`nohup`): Linux shows it in
/// `/proc/self/status` (`SigIgn`, a hex mask whose lowest bit is signal 1). Elsewhere, taken as
/// not ignored.
#[cfg(unix)]
fn hangup_ignored() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let mask = status.lines().find_map(|l| l.strip_prefix("SigIgn:"))?;
            u64::from_str_radix(mask.trim(), 16).ok()
        })
        .is_some_and(|mask| mask & 1 == 1)
}

/// The banner's warning when dev mode listens beyond loopback: there, anyone who reaches the
/// port can use every queue without credentials, and the web console is on.
fn dev_exposure_warning(addrs: &[std::net::SocketAddr]) -> Option<String> {
    let open: Vec<String> = addrs
        .iter()
        .filter(|a| !a.ip().is_loopback())
        .map(|a| a.to_string())
        .collect();
    (!open.is_empty()).then(|| {
        format!(
            "warning: dev auth on {}, which is not loopback: anyone who can reach it can read, send and delete messages without credentials and use the web console. Use --auth enforce (with [[credentials]] in --config) for a shared server.",
            open.join(", ")
        )
    })
}

/// The URL without a password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dev_mode_beyond_loopback_is_warned_about() {
        let on = |a: &[&str]| {
            let addrs: Vec<std::net::SocketAddr> = a.iter().map(|s| s.parse().unwrap()).collect();
            super::dev_exposure_warning(&addrs)
        };
        assert_eq!(on(&["127.0.0.1:9324", "[::1]:10001"]), None);
        let w = on(&["127.0.0.1:9324", "0.0.0.0:10001"]).unwrap();
        assert!(
            w.contains("0.0.0.0:10001") && !w.contains("127.0.0.1"),
            "{w}"
        );
        assert!(w.contains("--auth enforce"), "{w}");
        assert!(on(&["192.0.2.4:9324"]).is_some());
    }

    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("postgres://h/db"), "postgres://h/db");
    }

    #[test]
    fn debug_logging_keeps_the_database_driver_quiet() {
        let f = super::quiet_dependencies("debug");
        assert_eq!(f, "debug,tokio_postgres=info,postgres_protocol=info");
        let filter = tracing_subscriber::EnvFilter::try_new(&f).unwrap();
        assert!(
            filter.to_string().contains("tokio_postgres=info"),
            "{filter}"
        );
        // Asked for by name, the driver logs as asked.
        assert_eq!(
            super::quiet_dependencies("debug,tokio_postgres=trace"),
            "debug,tokio_postgres=trace,postgres_protocol=info"
        );
        // Stricter filters are left alone: the cap would raise the driver above them.
        for strict in ["info", "warn", "off", "polyq=debug", "warn,polyq_sqs=debug"] {
            assert_eq!(super::quiet_dependencies(strict), strict);
        }
    }
}
