//! The `polyq bench` command line.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, ValueEnum};

/// The Azure Storage emulator's well-known development account key.
pub const DEV_ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Dialect {
    /// Amazon SQS, JSON 1.0 protocol (X-Amz-Target), SigV4.
    SqsJson,
    /// Amazon SQS, query protocol (form Action=, XML answers), SigV4.
    SqsQuery,
    /// Alibaba Cloud MNS 2015-06-06, HMAC-SHA1 `MNS` signature.
    Mns,
    /// Azure Queue Storage (path-style /{account}/{queue}), SharedKey.
    Azure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Producers only.
    Send,
    /// Consumers only, receiving without deleting (use --prefill for a backlog).
    Receive,
    /// Producers and consumers: send → receive → delete.
    Cycle,
}

/// Load generator: a signed client of SQS (JSON, query), MNS and Azure Queue Storage that
/// reports throughput, errors by code and HDR latency percentiles.
#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Server to load (http://host:port or https://host:port). Only loopback unless
    /// --allow-remote.
    #[arg(long, default_value = "http://127.0.0.1:9324")]
    pub endpoint: String,
    /// CA certificates (PEM) trusted for an https:// endpoint, beside the built-in Mozilla
    /// roots: for a server with a private or self-signed certificate (polyq --tls-cert).
    #[arg(long)]
    pub ca_cert: Option<std::path::PathBuf>,
    #[arg(long, value_enum, default_value_t = Dialect::SqsJson)]
    pub dialect: Dialect,
    #[arg(long, value_enum, default_value_t = Mode::Cycle)]
    pub mode: Mode,
    /// SQS/MNS access key id.
    #[arg(long, default_value = "polyq", env = "POLYQ_BENCH_ACCESS_KEY")]
    pub access_key: String,
    /// SQS/MNS secret.
    #[arg(
        long,
        default_value = "polyq",
        env = "POLYQ_BENCH_SECRET_KEY",
        hide_env_values = true
    )]
    pub secret_key: String,
    /// SigV4 region.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// Azure storage account (first path segment).
    #[arg(long, default_value = "devstoreaccount1")]
    pub account: String,
    /// Azure account key (base64); the emulator's development key by default.
    #[arg(long, default_value = DEV_ACCOUNT_KEY, env = "POLYQ_BENCH_ACCOUNT_KEY", hide_default_value = true, hide_env_values = true)]
    pub account_key: String,
    /// Number of queues; workers are spread over them round-robin.
    #[arg(long, default_value_t = 1, value_parser = at_least_one)]
    pub queues: usize,
    #[arg(long, default_value_t = 4)]
    pub producers: usize,
    #[arg(long, default_value_t = 4)]
    pub consumers: usize,
    /// HTTP connections in the pool (0: one per worker).
    #[arg(long, default_value_t = 0)]
    pub connections: usize,
    /// Messages per send and per receive request (clamped to the dialect's maximum: SQS 10,
    /// MNS 16; Azure sends one message per request and receives up to 32).
    #[arg(long, default_value_t = 10, value_parser = at_least_one)]
    pub batch: usize,
    /// Body size in bytes (at least 23: the send timestamp).
    #[arg(long, default_value_t = 100, value_parser = message_size)]
    pub message_size: usize,
    /// How long to measure (e.g. 10s, 500ms, 2m); also the cap when --messages is given.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Stop after this many messages (sent in send mode, received in receive mode, deleted in
    /// cycle mode), or at --duration, whichever comes first.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub messages: Option<u64>,
    /// Long-poll wait of each receive in seconds; 0 turns long polling off (SQS allows up
    /// to 20, MNS up to 30).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=30))]
    pub wait_seconds: u32,
    /// Messages sent to each queue before measuring (backlog).
    #[arg(long, default_value_t = 0)]
    pub prefill: u64,
    /// Open loop: send requests per second in total, scheduled at fixed intervals; latency is
    /// measured from the scheduled time (no coordinated omission).
    #[arg(long, value_parser = positive_rate)]
    pub rate: Option<f64>,
    /// Open loop for receive requests per second in total (as --rate).
    #[arg(long, value_parser = positive_rate)]
    pub receive_rate: Option<f64>,
    /// Print the report as JSON on stdout (progress stays on stderr).
    #[arg(long)]
    pub json: bool,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
    /// Queue names are `PREFIX-<run id>-<n>`.
    #[arg(long, default_value = "pqbench")]
    pub queue_prefix: String,
    /// Leave the queues on the server after the run.
    #[arg(long)]
    pub keep_queues: bool,
    /// Allow an endpoint that is not a loopback address.
    #[arg(long)]
    pub allow_remote: bool,
    /// Per-request timeout (long polls add their wait).
    #[arg(long, default_value = "30s", value_parser = positive_duration)]
    pub timeout: Duration,
    /// Async worker threads of the load generator (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Instead of loading a server, serve a bare HTTP baseline on ADDR (hyper, as polyq
    /// serves): every request gets a fixed 200 shaped like an SQS JSON answer. Runs until
    /// SIGINT/SIGTERM or --duration, whichever comes first.
    #[arg(long, value_name = "ADDR")]
    pub baseline_server: Option<SocketAddr>,
}

/// A count that must be at least 1 (`--queues`, `--batch`).
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{s:?} is not a count: {e}")),
    }
}

/// The smallest body that holds the send timestamp (end-to-end latency travels in it).
const MIN_MESSAGE_SIZE: usize = 23;

fn message_size(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n < MIN_MESSAGE_SIZE => Err(format!(
            "must be at least {MIN_MESSAGE_SIZE} bytes: every body carries its send time"
        )),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{s:?} is not a size in bytes: {e}")),
    }
}

/// Requests per second of an open loop: a positive, finite number.
fn positive_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        Ok(_) => Err(
            "must be a positive number of requests per second (leave it out for a closed loop)"
                .into(),
        ),
        Err(e) => Err(format!("{s:?} is not a number: {e}")),
    }
}

/// A duration that is not zero (`--timeout 0s` would fail every request).
fn positive_duration(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d.is_zero() {
        return Err("must be longer than 0".into());
    }
    Ok(d)
}

/// `10s`, `250ms`, `2m`, `1h` or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("bad duration {s:?}"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("bad duration unit in {s:?} (use ms, s, m or h)")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("bad duration {s:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5d").is_err());
    }

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        bench: BenchArgs,
    }

    fn parse(args: &[&str]) -> Result<BenchArgs, String> {
        use clap::Parser;
        Cli::try_parse_from(std::iter::once("bench").chain(args.iter().copied()))
            .map(|c| c.bench)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn options_that_cannot_work_are_refused() {
        for bad in [
            &["--queues", "0"][..],
            &["--batch", "0"],
            &["--message-size", "5"],
            &["--messages", "0"],
            &["--wait-seconds", "31"],
            &["--rate", "0"],
            &["--rate=-3"],
            &["--receive-rate", "nan"],
            &["--timeout", "0s"],
        ] {
            let e = parse(bad).expect_err(&format!("{bad:?} accepted"));
            let flag = bad[0].split('=').next().unwrap();
            assert!(e.contains(flag), "{bad:?}: {e}");
        }
        let ok = parse(&[
            "--message-size",
            "23",
            "--wait-seconds",
            "30",
            "--rate",
            "0.5",
        ])
        .unwrap();
        assert_eq!(
            (ok.message_size, ok.wait_seconds, ok.rate),
            (23, 30, Some(0.5))
        );
    }
}
