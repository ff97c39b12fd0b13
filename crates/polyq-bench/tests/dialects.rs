//! `polyq bench` against an in-process polyq (memory store, `enforce` auth, so every request's
//! signature is really verified), about one second per dialect and mode. Checks that messages
//! flowed and that nothing failed; never asserts on timing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use polyq_bench::{BenchArgs, Report};
use polyq_core::{MemoryStore, QueueService, SystemClock};
use polyq_http::auth::{AuthConfig, AuthMode, Credential};
use polyq_http::{Router, ServerLimits};
use tokio::net::TcpListener;

const KEY: &str = "bench-key";
const SECRET: &str = "bench-secret";

async fn start_server() -> SocketAddr {
    let service = Arc::new(QueueService::new(
        Arc::new(MemoryStore::new()),
        Arc::new(SystemClock),
    ));
    let auth = AuthConfig {
        mode: AuthMode::Enforce,
        credentials: vec![Credential {
            access_key_id: KEY.into(),
            secret: SECRET.into(),
        }],
    };
    let sqs = polyq_sqs::dialect(
        service.clone(),
        polyq_sqs::SqsConfig {
            account: polyq_sqs::Account {
                account_id: "000000000000".into(),
                region: "us-east-1".into(),
            },
            auth: auth.clone(),
            ..Default::default()
        },
    );
    let azure = polyq_azure::dialect(
        service.clone(),
        polyq_azure::AzureConfig {
            enforce: true,
            ..Default::default()
        },
    );
    let mns = polyq_mns::dialect(
        service,
        polyq_mns::MnsConfig {
            auth,
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            push_tls: None,
        },
    );
    let router = Arc::new(Router::new(vec![azure, mns, sqs], ServerLimits::default()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _keep = _tx;
        let _ = polyq_http::serve(listener, router, rx).await;
    });
    addr
}

#[derive(Parser)]
#[command(args_override_self = true)]
struct Cli {
    #[command(flatten)]
    bench: BenchArgs,
}

async fn bench(addr: SocketAddr, extra: &[&str]) -> Report {
    let endpoint = format!("http://{addr}");
    let mut argv = vec![
        "bench",
        "--endpoint",
        &endpoint,
        "--access-key",
        KEY,
        "--secret-key",
        SECRET,
        "--duration",
        "1s",
        "--quiet",
        "--producers",
        "2",
        "--consumers",
        "2",
    ];
    argv.extend_from_slice(extra);
    let args = Cli::parse_from(argv).bench;
    // Bounded even if something hangs: the run itself stops at 1 s plus a 1 s long poll.
    tokio::time::timeout(Duration::from_secs(30), polyq_bench::run(&args))
        .await
        .expect("the run ends")
        .expect("the run succeeds")
}

fn assert_flowed(r: &Report, what: &str) {
    assert!(r.errors.is_empty(), "{what}: errors {:?}", r.errors);
    assert!(r.requests > 0, "{what}: no requests");
    match r.mode.as_str() {
        "send" => assert!(r.sent > 0, "{what}: nothing sent"),
        "receive" => assert!(r.received > 0, "{what}: nothing received"),
        _ => {
            assert!(
                r.sent > 0 && r.received > 0 && r.deleted > 0,
                "{what}: {r:?}"
            );
            assert!(r.latency_us.contains_key("end_to_end"), "{what}: no e2e");
        }
    }
    // A message may be received before its producer has counted the answer to its send, so
    // the counts at the stop may differ by the sends then in flight (one request per producer).
    let in_flight = (r.producers * r.batch) as u64;
    assert!(
        r.received <= r.sent + r.prefill_per_queue * r.queues as u64 + in_flight,
        "{what}: {r:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dialect_full_cycle_with_signatures_enforced() {
    let addr = start_server().await;
    for dialect in ["sqs-json", "sqs-query", "mns", "azure"] {
        let r = bench(addr, &["--dialect", dialect]).await;
        assert_flowed(&r, dialect);
        assert_eq!(r.dialect, dialect);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_only_receive_only_open_loop_and_counts() {
    let addr = start_server().await;
    let r = bench(
        addr,
        &[
            "--mode",
            "send",
            "--dialect",
            "mns",
            "--rate",
            "200",
            "--batch",
            "1",
        ],
    )
    .await;
    assert_flowed(&r, "mns send open loop");
    // The open loop caps the rate: about 200 requests in 1 s, never thousands.
    assert!(r.sent <= 400, "{r:?}");

    let r = bench(
        addr,
        &[
            "--mode",
            "receive",
            "--prefill",
            "300",
            "--queues",
            "2",
            "--wait-seconds",
            "0",
        ],
    )
    .await;
    assert_flowed(&r, "sqs receive with backlog");

    // A rate the mode cannot use is noted, and not reported as the run's pacing.
    let r = bench(
        addr,
        &[
            "--mode",
            "receive",
            "--prefill",
            "50",
            "--rate",
            "100",
            "--wait-seconds",
            "0",
        ],
    )
    .await;
    assert_eq!(r.rate, None, "{r:?}");
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("--rate") && n.contains("ignored")),
        "{r:?}"
    );

    let r = bench(
        addr,
        &[
            "--messages",
            "500",
            "--duration",
            "20s",
            "--dialect",
            "sqs-query",
        ],
    )
    .await;
    assert_flowed(&r, "sqs-query counted");
    assert!(r.deleted >= 500, "{r:?}");
    assert!(r.sent <= 500, "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baseline_server_answers_the_sqs_send_shape() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = tokio::time::sleep(Duration::from_secs(20));
    tokio::spawn(polyq_bench::baseline::serve(listener, stop));
    let r = bench(addr, &["--mode", "send", "--batch", "1"]).await;
    assert_flowed(&r, "baseline");
}

#[tokio::test]
async fn refuses_remote_endpoints_unless_allowed() {
    let args = Cli::parse_from(["bench", "--endpoint", "http://192.0.2.1:9324"]).bench;
    let err = polyq_bench::run(&args).await.unwrap_err();
    assert!(err.to_string().contains("--allow-remote"), "{err}");
}

#[tokio::test]
async fn refuses_a_long_poll_longer_than_sqs_allows() {
    for dialect in ["sqs-json", "sqs-query"] {
        let args = Cli::parse_from(["bench", "--dialect", dialect, "--wait-seconds", "30"]).bench;
        let err = polyq_bench::run(&args).await.unwrap_err();
        assert!(err.to_string().contains("0 to 20"), "{dialect}: {err}");
    }
}

#[tokio::test]
async fn refused_credentials_say_which_options_to_check() {
    let addr = start_server().await;
    let endpoint = format!("http://{addr}");
    for (dialect, flags, hint) in [
        (
            "sqs-json",
            ["--secret-key", "wrong"],
            "--access-key and --secret-key",
        ),
        (
            "mns",
            ["--secret-key", "wrong"],
            "--access-key and --secret-key",
        ),
        (
            "azure",
            ["--account", "nobody"],
            "--account and --account-key",
        ),
    ] {
        let mut argv = vec!["bench", "--endpoint", &endpoint, "--dialect", dialect];
        argv.extend_from_slice(&["--access-key", KEY, "--duration", "1s", "--quiet"]);
        argv.extend_from_slice(&flags);
        let args = Cli::parse_from(argv).bench;
        let err = tokio::time::timeout(Duration::from_secs(30), polyq_bench::run(&args))
            .await
            .expect("the run ends")
            .unwrap_err()
            .to_string();
        assert!(err.contains(hint), "{dialect}: {err}");
    }
}

/// A long poll still out when the run ends (nothing to receive, a wait longer than the run) is
/// not counted: its wait measured the end of the run, not the server (it made the receive
/// p99.9 of short long-poll runs equal to their wait). Nor is it waited for: a 1 s run with
/// 20 s long polls ends well before them (the bound is a hang check, not a speed target).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_poll_outliving_the_run_is_not_counted_nor_waited_for() {
    let addr = start_server().await;
    let run = bench(
        addr,
        &[
            "--mode",
            "receive",
            "--dialect",
            "sqs-json",
            "--wait-seconds",
            "20",
        ],
    );
    let r = tokio::time::timeout(Duration::from_secs(15), run)
        .await
        .expect("the run does not wait out its 20 s long polls");
    assert!(r.errors.is_empty(), "{r:?}");
    assert_eq!(r.received, 0, "{r:?}");
    assert!(!r.latency_us.contains_key("receive"), "{r:?}");
}
