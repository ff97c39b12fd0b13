//! Connection settings: the libpq-style URL plus the two parameters polyq adds to it.
//!
//! `postgres://user@host:port/db?schema=NAME&pool_size=N&operation_timeout=S`: `schema`
//! (default: the server's `search_path`, usually `public`) is created if missing and becomes
//! the `search_path` of every connection, so each deployment or test can live in its own
//! schema of one database; `pool_size` (default 16) bounds the connections this node holds
//! besides its listener; `operation_timeout` (seconds, default 30) is how long one store
//! operation may take before its request fails. Every other parameter is tokio-postgres's
//! own (`connect_timeout`, `options`, ...).

use std::str::FromStr;
use std::time::Duration;

use polyq_core::CoreError;

/// Connections a node keeps at most (besides its listener) unless the url says `pool_size=N`.
pub const DEFAULT_POOL_SIZE: usize = 16;
/// How long one store operation may take unless the url says `operation_timeout=S`:
/// operations take milliseconds, waiting for a busy FIFO queue's lock or a pooled connection
/// seconds at most.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) struct Settings {
    pub pg: tokio_postgres::Config,
    pub schema: Option<String>,
    pub pool_size: usize,
    pub operation_timeout: Duration,
}

/// The URL parameters tokio-postgres reads (libpq's, as far as it supports them).
const DRIVER_PARAMETERS: &[&str] = &[
    "user",
    "password",
    "dbname",
    "options",
    "application_name",
    "sslmode",
    "sslnegotiation",
    "host",
    "hostaddr",
    "port",
    "connect_timeout",
    "tcp_user_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_retries",
    "target_session_attrs",
    "channel_binding",
    "load_balance_hosts",
];

/// Splits polyq's own query parameters off `url` and parses the rest with tokio-postgres.
pub(crate) fn parse(url: &str) -> Result<Settings, CoreError> {
    let bad = |why: String| CoreError::InvalidArgument(format!("postgres url: {why}"));
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => (url, ""),
    };
    let mut schema = None;
    let mut pool_size = DEFAULT_POOL_SIZE;
    let mut operation_timeout = DEFAULT_OPERATION_TIMEOUT;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "schema" => {
                if v.is_empty() || v.len() > 50 || !v.bytes().all(is_ident_byte) {
                    return Err(bad(format!(
                        "schema {v:?} must be 1..50 characters of [A-Za-z0-9_]"
                    )));
                }
                schema = Some(v.to_string());
            }
            "pool_size" => {
                pool_size = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| bad(format!("pool_size {v:?} must be 1..1000")))?;
            }
            "operation_timeout" => {
                operation_timeout = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=3600).contains(n))
                    .map(Duration::from_secs)
                    .ok_or_else(|| {
                        bad(format!("operation_timeout {v:?} must be 1..3600 (seconds)"))
                    })?;
            }
            _ => rest.push(pair),
        }
    }
    let base = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    // Checked before tokio-postgres reads the URL: it knows only disable/prefer/require and
    // calls the rest (verify-full, what managed databases' guides give) an invalid string.
    let ssl = rest.iter().find_map(|p| p.strip_prefix("sslmode="));
    if ssl.is_some_and(|m| !matches!(m, "disable" | "prefer")) {
        return Err(no_tls(ssl.unwrap_or_default()));
    }
    let mut pg = tokio_postgres::Config::from_str(&base).map_err(|e| {
        // The driver says only "invalid connection string": name the parameter it did not know.
        match rest
            .iter()
            .map(|p| p.split('=').next().unwrap_or(p))
            .find(|k| !DRIVER_PARAMETERS.contains(k))
        {
            Some(k) => bad(format!(
                "unknown parameter {k:?}; polyq's own are schema, pool_size and \
                 operation_timeout, the others those of libpq's URLs ({e})"
            )),
            None => bad(e.to_string()),
        }
    })?;
    // polyq's connections are plain TCP (or a Unix socket): a URL that insists on TLS is
    // refused here, with the way out, rather than at the first connection with "no TLS
    // implementation configured".
    if !matches!(
        pg.get_ssl_mode(),
        tokio_postgres::config::SslMode::Disable | tokio_postgres::config::SslMode::Prefer
    ) {
        return Err(no_tls("require"));
    }
    if pg.get_connect_timeout().is_none() {
        pg.connect_timeout(Duration::from_secs(5));
    }
    // A database whose network path goes dead must show as closed connections, which the
    // pool drops, rather than as requests waiting for ever: data unacknowledged for 20 s, or
    // an idle connection failing keepalive probes (30 s idle, then 3 probes 5 s apart).
    let given = |key: &str| rest.iter().any(|p| p.split('=').next() == Some(key));
    if pg.get_tcp_user_timeout().is_none() {
        pg.tcp_user_timeout(Duration::from_secs(20));
    }
    if !given("keepalives_idle") {
        pg.keepalives_idle(Duration::from_secs(30));
    }
    if !given("keepalives_interval") {
        pg.keepalives_interval(Duration::from_secs(5));
    }
    if !given("keepalives_retries") {
        pg.keepalives_retries(3);
    }
    if pg.get_application_name().is_none() {
        pg.application_name("polyq");
    }
    let mut extra = Vec::new();
    if let Some(s) = &schema {
        // Quoted: the name was checked above, so it cannot break out of the quotes.
        extra.push(format!("-c search_path=\"{s}\""));
    }
    // The server's NOTICEs ("schema … already exists, skipping" at every start) would be
    // logged as information; warnings and errors still come through.
    if !pg
        .get_options()
        .is_some_and(|o| o.contains("client_min_messages"))
    {
        extra.push("-c client_min_messages=warning".into());
    }
    if !extra.is_empty() {
        let options = match pg.get_options() {
            Some(o) if !o.is_empty() => format!("{o} {}", extra.join(" ")),
            _ => extra.join(" "),
        };
        pg.options(&options);
    }
    Ok(Settings {
        pg,
        schema,
        pool_size,
        operation_timeout,
    })
}

/// The refusal of an `sslmode` that asks for TLS.
fn no_tls(mode: &str) -> CoreError {
    CoreError::InvalidArgument(format!(
        "postgres url: sslmode={mode}: polyq connects to PostgreSQL without TLS, so it cannot \
         honour it; use sslmode=disable or prefer over a local socket, loopback or a private \
         network, or a TLS tunnel (e.g. stunnel, pgbouncer) on this machine"
    ))
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The NOTIFY channel of one schema: channels are per database, schemas share them, so the
/// schema is part of the name (hashed: channel names are at most 63 bytes).
pub(crate) fn channel_for(schema: &str) -> String {
    // FNV-1a: stable across builds and nodes, unlike std's randomly seeded hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in schema.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("polyq_{h:016x}")
}

/// A lock key for migrations, the same on every node for one schema.
pub(crate) fn migration_lock_key(schema: &str) -> i64 {
    let hex = &channel_for(schema)[6..];
    u64::from_str_radix(hex, 16).unwrap_or(0) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polyq_parameters_are_split_off() {
        let s = parse("postgres://postgres@127.0.0.1:5432/test?schema=abc_1&pool_size=4").unwrap();
        assert_eq!(s.schema.as_deref(), Some("abc_1"));
        assert_eq!(s.pool_size, 4);
        assert_eq!(s.pg.get_dbname(), Some("test"));
        assert!(s
            .pg
            .get_options()
            .unwrap()
            .contains("search_path=\"abc_1\""));
        assert!(s
            .pg
            .get_options()
            .unwrap()
            .contains("-c client_min_messages=warning"));
        let s =
            parse("postgres://postgres@h/test?options=-c%20client_min_messages%3Dnotice").unwrap();
        assert_eq!(s.pg.get_options(), Some("-c client_min_messages=notice"));
        let s = parse("postgres://postgres@localhost/test?connect_timeout=2").unwrap();
        assert_eq!(s.schema, None);
        assert_eq!(s.pool_size, DEFAULT_POOL_SIZE);
        assert!(parse("postgres://x@h/d?schema=a;drop").is_err());
        assert!(parse("postgres://x@h/d?pool_size=0").is_err());
    }

    /// The driver's own error names no parameter ("invalid connection string").
    #[test]
    fn an_unknown_parameter_is_named() {
        for (url, named) in [
            ("postgres://x@h/d?poolsize=4", "\"poolsize\""),
            (
                "postgres://x@h/d?schema=a&timeout=3&connect_timeout=2",
                "\"timeout\"",
            ),
        ] {
            match parse(url) {
                Err(CoreError::InvalidArgument(m)) => {
                    assert!(m.contains(named) && m.contains("pool_size"), "{m}")
                }
                other => panic!("{url}: {:?}", other.map(|s| s.pool_size)),
            }
        }
        // Parameters the driver knows pass.
        parse("postgres://x@h/d?keepalives=1&target_session_attrs=read-write").unwrap();
    }

    #[test]
    fn a_url_that_insists_on_tls_is_refused_with_the_way_out() {
        for mode in ["require", "verify-ca", "verify-full", "allow"] {
            match parse(&format!("postgres://x@h/d?sslmode={mode}")) {
                Err(CoreError::InvalidArgument(m)) => {
                    assert!(m.contains("without TLS") && m.contains(mode), "{m}")
                }
                Err(other) => panic!("{mode}: {other:?}"),
                Ok(_) => panic!("sslmode={mode} accepted"),
            }
        }
        for mode in ["disable", "prefer"] {
            assert!(
                parse(&format!("postgres://x@h/d?sslmode={mode}")).is_ok(),
                "{mode}"
            );
        }
    }

    #[test]
    fn channels_differ_per_schema() {
        assert_ne!(channel_for("a"), channel_for("b"));
        assert!(channel_for(&"x".repeat(50)).len() < 64);
    }
}
