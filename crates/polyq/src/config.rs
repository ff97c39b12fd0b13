//! Settings from, in order of precedence: command-line flags, `POLYQ_*` environment variables,
//! the config file (`--config`), built-in defaults. See `polyq.toml` at the repository root for
//! every key.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use polyq_http::auth::{AuthMode, Credential};
use serde::Deserialize;

pub const DEFAULT_LISTEN: &[&str] = &["127.0.0.1:9324", "127.0.0.1:10001"];

#[derive(Args, Debug, Default)]
pub struct ServeArgs {
    /// TOML config file (keys as in the shipped polyq.toml).
    #[arg(long, env = "POLYQ_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on; repeat for several. Every listener speaks every dialect.
    /// [default: 127.0.0.1:9324 and 127.0.0.1:10001]
    #[arg(long, env = "POLYQ_LISTEN", value_delimiter = ',')]
    pub listen: Vec<String>,
    /// Where queues live: a directory for the durable embedded store, `memory` (nothing
    /// survives a restart), or `postgres://user@host/db[?schema=NAME]` (several polyq nodes
    /// share one database). [default: ./polyq-data]
    #[arg(long, env = "POLYQ_STORE")]
    pub store: Option<String>,
    /// `dev` (signatures of SQS/MNS not checked) or `enforce` (every request must be signed by a
    /// configured credential). [default: dev]
    #[arg(long, env = "POLYQ_AUTH")]
    pub auth: Option<String>,
    /// Account id in SQS queue URLs and ARNs. [default: 000000000000]
    #[arg(long, env = "POLYQ_ACCOUNT_ID")]
    pub account_id: Option<String>,
    /// Region in SQS ARNs. [default: us-east-1]
    #[arg(long, env = "POLYQ_REGION")]
    pub region: Option<String>,
    /// Log filter (tracing syntax), e.g. `info` or `polyq_sqs=debug`. [default: info]
    #[arg(long, env = "POLYQ_LOG")]
    pub log: Option<String>,
    /// Refuse to create an SQS queue under a name deleted less than 60 s ago
    /// (`QueueDeletedRecently`), as AWS does; `--sqs-queue-deleted-recently` alone means true
    /// (values: true/false, 1/0, yes/no, on/off). [default: false]
    #[arg(
        long,
        env = "POLYQ_SQS_QUEUE_DELETED_RECENTLY",
        num_args = 0..=1,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new(),
        hide_possible_values = true
    )]
    pub sqs_queue_deleted_recently: Option<bool>,
    /// Serve HTTPS with this certificate chain (PEM: the server's certificate first, then any
    /// intermediates); needs --tls-key. Every listener then speaks HTTPS only.
    #[arg(long, env = "POLYQ_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "POLYQ_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// CA certificates (PEM) trusted for MNS pushes to `https://` endpoints, beside the
    /// built-in Mozilla roots: for receivers with a private or self-signed certificate.
    #[arg(long, env = "POLYQ_MNS_PUSH_CA")]
    pub mns_push_ca: Option<PathBuf>,
    /// Require `Authorization: Bearer <token>` on /metrics, which names every queue (prefer the
    /// environment variable or the config file: a flag shows in the process list).
    #[arg(long, env = "POLYQ_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<Vec<String>>,
    store: Option<String>,
    auth: Option<String>,
    account_id: Option<String>,
    region: Option<String>,
    log: Option<String>,
    sqs_queue_deleted_recently: Option<bool>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    mns_push_ca: Option<PathBuf>,
    metrics_token: Option<String>,
    #[serde(default)]
    credentials: Vec<FileCredential>,
    #[serde(default)]
    azure_accounts: Vec<FileAzureAccount>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct FileAzureAccount {
    name: String,
    key: String,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct FileCredential {
    access_key_id: String,
    secret_access_key: String,
}

pub const DEFAULT_DATA_DIR: &str = "./polyq-data";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChoice {
    Memory,
    /// The durable embedded store in this directory.
    Embedded(PathBuf),
    /// PostgreSQL, shared by several polyq nodes.
    Postgres(String),
}

/// The resolved settings the server runs with.
#[derive(Debug)]
pub struct Settings {
    pub listen: Vec<String>,
    pub store: StoreChoice,
    pub auth: AuthMode,
    pub credentials: Vec<Credential>,
    /// Azure storage accounts (name, base64 key); the development account when none is configured.
    pub azure_accounts: Vec<(String, String)>,
    pub account_id: String,
    pub region: String,
    pub log: String,
    /// SQS `QueueDeletedRecently` enforced (see [`polyq_sqs::SqsConfig`]).
    pub sqs_queue_deleted_recently: bool,
    /// Certificate chain and key files: every listener speaks HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Extra CA certificates for MNS pushes to `https://` endpoints.
    pub mns_push_ca: Option<PathBuf>,
    /// The bearer token /metrics requires, if any.
    pub metrics_token: Option<String>,
}

impl Settings {
    pub fn resolve(args: ServeArgs) -> anyhow::Result<Settings> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read config file {}", path.display()))?;
                toml::from_str::<FileConfig>(&text)
                    .with_context(|| format!("invalid config file {}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let listen: Vec<String> = if !args.listen.is_empty() {
            // `POLYQ_LISTEN="a, b"`: the space after the comma is not part of the address.
            args.listen.iter().map(|a| a.trim().to_string()).collect()
        } else {
            file.listen
                .unwrap_or_else(|| DEFAULT_LISTEN.iter().map(|s| s.to_string()).collect())
        };
        if listen.is_empty() {
            bail!("no listen address: give --listen ADDR (e.g. 127.0.0.1:9324)");
        }
        for (i, addr) in listen.iter().enumerate() {
            if listen[..i].contains(addr) {
                bail!("listen address {addr} is given twice; give each address once");
            }
            // `:9324` (no host); `::1:9324` is an IPv6 address missing its brackets.
            let no_host = addr
                .strip_prefix(':')
                .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
            // `9324`, `localhost`, `host:port-name`: refused here, before a data directory is
            // made for a server that cannot start.
            let no_port = addr
                .rsplit_once(':')
                .is_none_or(|(_, port)| port.parse::<u16>().is_err());
            if addr.contains("://") || no_host || no_port {
                bail!(
                    "listen address {addr:?}: give HOST:PORT, e.g. 127.0.0.1:9324 or 0.0.0.0:9324 \
                     (no scheme; neither the host nor the port may be left out)"
                );
            }
        }
        let store = store_choice(
            args.store
                .or(file.store)
                .as_deref()
                .unwrap_or(DEFAULT_DATA_DIR),
        )?;
        let auth: AuthMode = args
            .auth
            .or(file.auth)
            .as_deref()
            .unwrap_or("dev")
            .parse()
            .map_err(anyhow::Error::msg)?;
        let credentials: Vec<Credential> = file
            .credentials
            .into_iter()
            .map(|c| Credential {
                access_key_id: c.access_key_id,
                secret: c.secret_access_key,
            })
            .collect();
        let tls = match (
            args.tls_cert.or(file.tls_cert),
            args.tls_key.or(file.tls_key),
        ) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            (Some(_), None) => {
                bail!("a TLS certificate needs its private key: give --tls-key FILE")
            }
            (None, Some(_)) => {
                bail!("a TLS private key needs its certificate: give --tls-cert FILE")
            }
        };
        let mut azure_accounts = Vec::new();
        for a in file.azure_accounts {
            use base64::Engine;
            if base64::engine::general_purpose::STANDARD
                .decode(&a.key)
                .is_err()
            {
                bail!("azure account {:?}: key is not valid base64", a.name);
            }
            azure_accounts.push((a.name, a.key));
        }
        // One kind is enough: an Azure-only deployment has no SQS or MNS key to give, and
        // SQS and MNS then refuse every request, as enforce mode should.
        if auth == AuthMode::Enforce && credentials.is_empty() && azure_accounts.is_empty() {
            bail!(
                "--auth enforce needs at least one [[credentials]] entry (SQS and MNS keys) or \
                 [[azure_accounts]] entry (Azure) in the config file"
            );
        }
        let account_id = args
            .account_id
            .or(file.account_id)
            .unwrap_or_else(|| "000000000000".into());
        // It is a path segment of every SQS queue URL and a field of every ARN.
        if !url_token(&account_id, b"-_") {
            bail!(
                "--account-id {account_id:?}: 1 to 64 letters, digits, `-` or `_` \
                 (AWS account ids are 12 digits, e.g. 000000000000)"
            );
        }
        let region = args
            .region
            .or(file.region)
            .unwrap_or_else(|| "us-east-1".into());
        if !url_token(&region, b"-") {
            bail!("--region {region:?}: 1 to 64 letters, digits or `-` (e.g. us-east-1)");
        }
        let log = args.log.or(file.log).unwrap_or_else(|| "info".into());
        check_log_filter(&log)?;
        let metrics_token = args.metrics_token.or(file.metrics_token);
        if let Some(t) = &metrics_token {
            // It travels in a header: visible ASCII, no spaces, or scrapers could not send it.
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_graphic()) {
                bail!("metrics_token: 1 or more visible ASCII characters without spaces");
            }
        }
        Ok(Settings {
            listen,
            azure_accounts,
            store,
            auth,
            credentials,
            account_id,
            region,
            log,
            sqs_queue_deleted_recently: args
                .sqs_queue_deleted_recently
                .or(file.sqs_queue_deleted_recently)
                .unwrap_or(false),
            tls,
            mns_push_ca: args.mns_push_ca.or(file.mns_push_ca),
            metrics_token,
        })
    }
}

/// Whether `value` can stand in URLs and ARNs as is: 1 to 64 ASCII letters and digits, plus
/// the bytes in `extra`.
fn url_token(value: &str, extra: &[u8]) -> bool {
    (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

/// Reads `--store`: `memory` (another casing is refused with a hint), a `postgres://` URL, or
/// a directory. A value that
/// looks like a URL of another scheme is a mistake (`postgress://…`), not a directory to
/// create and keep data in.
fn store_choice(value: &str) -> anyhow::Result<StoreChoice> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        bail!("--store needs a value: a directory, `memory`, or a postgres:// URL");
    }
    if trimmed == "memory" {
        return Ok(StoreChoice::Memory);
    }
    // `memroy`, `Memory`: a misspelt `memory` would otherwise become a durable store in a
    // new directory of that name. An existing directory of such a name is taken as given.
    let near_memory = trimmed.eq_ignore_ascii_case("memory")
        || (!trimmed.contains(['/', '\\'])
            && edit_distance(&trimmed.to_ascii_lowercase(), "memory") <= 2
            && !std::path::Path::new(trimmed).exists());
    if near_memory {
        bail!(
            "--store {value:?}: did you mean `memory` (nothing kept after exit)? For a data \
             directory of that name, write it as a path: ./{trimmed}"
        );
    }
    if let Some((scheme, _)) = trimmed.split_once("://") {
        if scheme.eq_ignore_ascii_case("postgres") || scheme.eq_ignore_ascii_case("postgresql") {
            return Ok(StoreChoice::Postgres(trimmed.to_string()));
        }
        bail!(
            "--store {value:?}: unknown scheme `{scheme}://`; give a directory, `memory`, or a \
             postgres://user@host/db URL"
        );
    }
    if trimmed != value {
        bail!("--store {value:?}: leading or trailing spaces; give the directory without them");
    }
    Ok(StoreChoice::Embedded(home_expanded(
        value,
        std::env::var_os("HOME"),
    )?))
}

/// `~` and `~/…` as a shell would expand them: a config file or `POLYQ_STORE` gets no shell,
/// and a directory literally named `~` in the working directory is never what was meant.
fn home_expanded(value: &str, home: Option<std::ffi::OsString>) -> anyhow::Result<PathBuf> {
    let rest = match value.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest.trim_start_matches('/'),
        Some(_) => bail!(
            "--store {value:?}: `~user` paths are not expanded; give the directory's full path"
        ),
        None => return Ok(PathBuf::from(value)),
    };
    match home.filter(|h| !h.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(rest)),
        None => bail!("--store {value:?}: HOME is not set, so `~` cannot be expanded"),
    }
}

/// Levenshtein distance, for telling a misspelt level from a target name.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

/// Refuses a log filter that would silently log nothing useful: one that does not parse, or a
/// bare word that is not a level (`infoo` would be read as a target name and hide every line).
fn check_log_filter(filter: &str) -> anyhow::Result<()> {
    const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];
    if filter.trim().is_empty() {
        bail!("--log needs a value: a level (error, warn, info, debug, trace, off) or a filter such as `info,polyq_sqs=debug`");
    }
    if let Err(e) = tracing_subscriber::EnvFilter::try_new(filter) {
        bail!(
            "--log {filter:?} is not a valid filter: {e} (e.g. `info` or `info,polyq_sqs=debug`)"
        );
    }
    for directive in filter.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        // A bare word is a level or a target (`tower_http` logs that crate at every level);
        // one a letter or two from a level is a misspelt level, which as a target would hide
        // every line.
        let bare = !directive.contains(['=', '[', ':']);
        let lower = directive.to_ascii_lowercase();
        // Other tools' level words, which tracing would also take for target names.
        const OTHER_TOOLS: [&str; 8] = [
            "verbose", "quiet", "silent", "fatal", "critical", "all", "none", "notice",
        ];
        let misspelt = OTHER_TOOLS.contains(&lower.as_str())
            || !LEVELS.contains(&lower.as_str())
                && LEVELS.iter().any(|l| {
                    let near = if lower.len() >= 5 { 2 } else { 1 };
                    edit_distance(l, &lower) <= near
                        || lower.starts_with(l)
                        || l.starts_with(&lower)
                });
        if bare && misspelt {
            bail!(
                "--log {filter:?}: unknown level `{directive}`; levels are off, error, warn, \
                 info, debug and trace, and TARGET=LEVEL sets one module's (e.g. \
                 `info,polyq_sqs=debug`)"
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_flags_and_file_layer_in_order() {
        let s = Settings::resolve(ServeArgs::default()).unwrap();
        assert_eq!(s.listen, DEFAULT_LISTEN);
        assert_eq!(s.store, StoreChoice::Embedded(DEFAULT_DATA_DIR.into()));
        assert_eq!(s.auth, AuthMode::Dev);
        assert!(!s.sqs_queue_deleted_recently);
        let s = Settings::resolve(ServeArgs {
            store: Some("memory".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.store, StoreChoice::Memory);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("polyq.toml");
        std::fs::write(
            &path,
            "listen = [\"127.0.0.1:7000\"]\nregion = \"eu-west-1\"\nauth = \"enforce\"\nsqs_queue_deleted_recently = true\n[[credentials]]\naccess_key_id = \"AK\"\nsecret_access_key = \"S\"\n",
        )
        .unwrap();
        let s = Settings::resolve(ServeArgs {
            config: Some(path.clone()),
            region: Some("ap-south-1".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.listen, ["127.0.0.1:7000"]);
        assert_eq!(s.region, "ap-south-1", "a flag beats the file");
        assert_eq!(s.auth, AuthMode::Enforce);
        assert_eq!(s.credentials[0].access_key_id, "AK");
        assert!(s.sqs_queue_deleted_recently, "from the file");
        let s = Settings::resolve(ServeArgs {
            config: Some(path.clone()),
            sqs_queue_deleted_recently: Some(false),
            ..Default::default()
        })
        .unwrap();
        assert!(!s.sqs_queue_deleted_recently, "a flag beats the file");
    }

    #[test]
    fn a_metrics_token_must_fit_in_a_header() {
        for bad in ["", "two words", "tab\there", "caf\u{e9}"] {
            let e = Settings::resolve(ServeArgs {
                metrics_token: Some(bad.into()),
                ..Default::default()
            })
            .unwrap_err();
            assert!(e.to_string().contains("metrics_token"), "{bad:?}: {e}");
        }
        let s = Settings::resolve(ServeArgs {
            metrics_token: Some("Zm9v-bar_1".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.metrics_token.as_deref(), Some("Zm9v-bar_1"));
    }

    #[test]
    fn the_deleted_recently_switch_takes_boolish_values() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: ServeArgs,
        }
        let parse = |extra: &[&str]| {
            let argv = std::iter::once("polyq").chain(extra.iter().copied());
            <Cli as clap::Parser>::try_parse_from(argv).map(|c| c.args.sqs_queue_deleted_recently)
        };
        assert_eq!(parse(&[]).unwrap(), None);
        assert_eq!(
            parse(&["--sqs-queue-deleted-recently"]).unwrap(),
            Some(true)
        );
        for (value, want) in [
            ("1", true),
            ("on", true),
            ("yes", true),
            ("true", true),
            ("0", false),
            ("off", false),
        ] {
            let got = parse(&["--sqs-queue-deleted-recently", value]).unwrap();
            assert_eq!(got, Some(want), "{value}");
        }
        assert!(parse(&["--sqs-queue-deleted-recently", "maybe"]).is_err());
    }

    #[test]
    fn mistyped_stores_log_filters_and_ids_are_refused() {
        let resolve = |args: ServeArgs| Settings::resolve(args).map_err(|e| e.to_string());
        for memory in ["memory", " memory "] {
            let s = resolve(ServeArgs {
                store: Some(memory.into()),
                ..Default::default()
            })
            .unwrap();
            assert_eq!(s.store, StoreChoice::Memory, "{memory:?}");
        }
        // Another spelling is neither taken for `memory` nor for a directory (which would
        // keep data where the user meant to keep none, or the other way round).
        for near in ["MEMORY", "Memory", "memroy", "memry", "mem0ry"] {
            let e = resolve(ServeArgs {
                store: Some(near.into()),
                ..Default::default()
            })
            .unwrap_err();
            assert!(e.contains("did you mean `memory`"), "{near}: {e}");
        }
        let s = resolve(ServeArgs {
            store: Some("./Memory".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.store, StoreChoice::Embedded("./Memory".into()));
        // No shell expands `~` in a config file or `POLYQ_STORE`.
        let home = Some(std::ffi::OsString::from("/home/q"));
        for (given, dir) in [
            ("~", "/home/q/"),
            ("~/", "/home/q/"),
            ("~/polyq-data", "/home/q/polyq-data"),
            ("./~/x", "./~/x"),
            ("a~b", "a~b"),
        ] {
            let got = home_expanded(given, home.clone()).unwrap();
            assert_eq!(got, PathBuf::from(dir), "{given}");
        }
        let e = home_expanded("~bob/data", home).unwrap_err().to_string();
        assert!(e.contains("`~user` paths are not expanded"), "{e}");
        let e = home_expanded("~/data", None).unwrap_err().to_string();
        assert!(e.contains("HOME is not set"), "{e}");
        for typo in [
            "postgress://postgres@127.0.0.1/test",
            "pg://x@y/z",
            "mysql://a",
        ] {
            let e = resolve(ServeArgs {
                store: Some(typo.into()),
                ..Default::default()
            })
            .unwrap_err();
            assert!(e.contains("unknown scheme"), "{typo}: {e}");
        }
        let e = resolve(ServeArgs {
            store: Some("data ".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.contains("spaces"), "{e}");
        let s = resolve(ServeArgs {
            store: Some("POSTGRESQL://postgres@h/db".into()),
            ..Default::default()
        })
        .unwrap();
        assert!(matches!(s.store, StoreChoice::Postgres(_)));
        for bad in [
            "infoo",
            "polyq=[[[",
            "eror",
            "warning",
            "verbose",
            "quiet",
            "debg,polyq_sqs=trace",
        ] {
            let e = resolve(ServeArgs {
                log: Some(bad.into()),
                ..Default::default()
            })
            .unwrap_err();
            assert!(e.contains("--log"), "{bad}: {e}");
        }
        for good in [
            "info",
            "WARN",
            "debug,hyper=warn",
            "polyq_sqs=trace",
            "polyq_http",
            "off",
            "tower_http",
            "hyper",
            "io",
            "3",
        ] {
            resolve(ServeArgs {
                log: Some(good.into()),
                ..Default::default()
            })
            .unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        for bad in ["", "12 34", "a/b", &"1".repeat(65)] {
            let e = resolve(ServeArgs {
                account_id: Some(bad.to_string()),
                ..Default::default()
            })
            .unwrap_err();
            assert!(e.contains("--account-id"), "{bad:?}: {e}");
        }
        let e = resolve(ServeArgs {
            region: Some("us east".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.contains("--region"), "{e}");
    }

    #[test]
    fn listen_addresses_of_the_wrong_shape_or_twice_are_refused() {
        for (listen, says) in [
            (vec!["http://127.0.0.1:9324"], "no scheme"),
            (vec![":9324"], "neither the host nor the port"),
            (vec!["19565"], "neither the host nor the port"),
            (vec!["localhost"], "neither the host nor the port"),
            (vec!["127.0.0.1:sqs"], "neither the host nor the port"),
            (vec!["127.0.0.1:70000"], "neither the host nor the port"),
            (vec!["127.0.0.1:9324", "127.0.0.1:9324"], "given twice"),
        ] {
            let e = Settings::resolve(ServeArgs {
                listen: listen.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            })
            .unwrap_err()
            .to_string();
            assert!(e.contains(says), "{listen:?}: {e}");
        }
        // An IPv6 address without brackets is not taken for a missing host (binding it says
        // what is wrong).
        Settings::resolve(ServeArgs {
            listen: vec!["::1:9324".into()],
            ..Default::default()
        })
        .unwrap();
    }

    #[test]
    fn bad_settings_are_refused_clearly() {
        let e = Settings::resolve(ServeArgs {
            store: Some(String::new()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("--store needs a value"), "{e}");
        let e = Settings::resolve(ServeArgs {
            log: Some(" ".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("--log needs a value"), "{e}");
        let s = Settings::resolve(ServeArgs {
            store: Some("postgres://postgres@127.0.0.1/test".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            s.store,
            StoreChoice::Postgres("postgres://postgres@127.0.0.1/test".into())
        );
        let e = Settings::resolve(ServeArgs {
            auth: Some("enforce".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("[[credentials]]"), "{e}");
        assert!(e.to_string().contains("[[azure_accounts]]"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let azure_only = dir.path().join("azure.toml");
        std::fs::write(
            &azure_only,
            "auth = \"enforce\"\n[[azure_accounts]]\nname = \"acct\"\nkey = \"a2V5\"\n",
        )
        .unwrap();
        let s = Settings::resolve(ServeArgs {
            config: Some(azure_only),
            ..Default::default()
        })
        .unwrap();
        assert_eq!((s.auth, s.credentials.len()), (AuthMode::Enforce, 0));
        assert_eq!(s.azure_accounts, vec![("acct".into(), "a2V5".into())]);
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "listn = []\n").unwrap();
        let e = Settings::resolve(ServeArgs {
            config: Some(path),
            ..Default::default()
        })
        .unwrap_err();
        assert!(format!("{e:#}").contains("unknown field"), "{e:#}");
    }
}
