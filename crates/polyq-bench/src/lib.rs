//! polyq-bench: the load generator behind `polyq bench`.
//!
//! It is a real, signing client of every wire API polyq serves — Amazon SQS over JSON 1.0 and
//! the query protocol (SigV4), Alibaba Cloud MNS (HMAC-SHA1) and Azure Queue Storage
//! (SharedKey) — so it can load any compatible server (polyq, moto, Azurite, the clouds'
//! emulators), not only polyq. It reports messages/s sent, received and deleted, requests/s,
//! errors by vendor code, and HDR-histogram latency percentiles per call and end to end (the
//! send time travels in the body). `--rate` switches to an open loop scheduled at fixed
//! intervals, with latency measured from each request's scheduled time (no coordinated
//! omission). `--baseline-server` serves a bare hyper 200 instead, to show the HTTP ceiling.
//!
//! This crate must not depend on polyq's server crates (the dialect crates appear only as
//! dev-dependencies, to cross-check signatures and to run an in-process server in tests).

pub mod args;
pub mod baseline;
pub mod client;
pub mod http1;
mod progress;
pub mod run;
pub mod sign;
pub mod stats;
pub mod transport;
mod workers;
pub mod xml;

use std::fmt::Write as _;
use std::process::ExitCode;

pub use args::{BenchArgs, Dialect, Mode};
pub use run::run;
pub use stats::Report;

/// Entry point of `polyq bench`: builds a runtime, runs, prints the report.
/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub(crate) async fn interrupted() {
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut t) => {
                t.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

/// The exit code of a finished run: 0 when something was measured, 1 when no request
/// succeeded at all (a dead endpoint, wrong credentials: a script or CI job must notice), 130
/// when a signal cut the run short (its report is printed all the same).
fn exit_code(report: &Report) -> ExitCode {
    if report.interrupted {
        ExitCode::from(130)
    } else if report.sent + report.received + report.deleted == 0 && report.error_count() > 0 {
        eprintln!(
            "polyq bench: no request succeeded ({} errors); see \"errors\" in the report",
            report.error_count()
        );
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

pub fn main(args: BenchArgs) -> ExitCode {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Some(n) = args.threads {
        builder.worker_threads(n.max(1));
    }
    let runtime = match builder.build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("polyq bench: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(addr) = args.baseline_server {
        return match runtime.block_on(baseline::run(addr, args.duration)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("polyq bench: baseline server: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    match runtime.block_on(run(&args)) {
        Ok(report) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("reports serialise")
                );
            } else {
                print!("{}", render(&report));
            }
            exit_code(&report)
        }
        Err(e) => {
            eprintln!("polyq bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The human-readable report.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "polyq bench: {} {} against {} | {} queue(s), {} producer(s), {} consumer(s), {} connection(s), batch {}, {}-byte bodies, wait {} s{}{}",
        r.dialect,
        r.mode,
        r.endpoint,
        r.queues,
        r.producers,
        r.consumers,
        r.connections,
        r.batch,
        r.message_bytes,
        r.wait_seconds,
        r.rate.map(|x| format!(", open loop {x} send req/s")).unwrap_or_default(),
        if r.prefill_per_queue > 0 {
            format!(", backlog {} per queue", r.prefill_per_queue)
        } else {
            String::new()
        }
    );
    let _ = writeln!(out, "  elapsed     {:.2} s", r.elapsed_s);
    for (name, n, rate) in [
        ("sent", r.sent, r.sent_per_s),
        ("received", r.received, r.received_per_s),
        ("deleted", r.deleted, r.deleted_per_s),
        ("requests", r.requests, r.requests_per_s),
    ] {
        let _ = writeln!(out, "  {name:<10} {n:>10}  {rate:>10.1}/s");
    }
    let _ = writeln!(out, "  empty receives {}", r.empty_receives);
    if r.errors.is_empty() {
        let _ = writeln!(out, "  errors      none");
    } else {
        let list: Vec<String> = r.errors.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let _ = writeln!(out, "  errors      {}", list.join(", "));
    }
    let _ = writeln!(
        out,
        "  latency ms  {:>10} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "count", "p50", "p90", "p99", "p99.9", "max"
    );
    let ms = |us: u64| us as f64 / 1000.0;
    for (name, p) in &r.latency_us {
        let _ = writeln!(
            out,
            "  {name:<11} {:>10} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
            p.count,
            ms(p.p50),
            ms(p.p90),
            ms(p.p99),
            ms(p.p999),
            ms(p.max)
        );
    }
    for n in &r.notes {
        let _ = writeln!(out, "  note: {n}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_where_nothing_succeeded_fails_and_an_interrupted_one_says_so() {
        let dead = Report {
            errors: [("ConnectFailed".to_string(), 42_635)].into(),
            ..Default::default()
        };
        assert_eq!(exit_code(&dead), ExitCode::FAILURE);
        let some = Report {
            sent: 10,
            ..dead.clone()
        };
        assert_eq!(
            exit_code(&some),
            ExitCode::SUCCESS,
            "errors under load are reported, not fatal"
        );
        assert_eq!(exit_code(&Report::default()), ExitCode::SUCCESS);
        let cut = Report {
            interrupted: true,
            ..some
        };
        assert_eq!(exit_code(&cut), ExitCode::from(130));
    }
}
