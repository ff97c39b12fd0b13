//! One benchmark run: build the client, create the queues, pre-fill, start the workers, stop
//! them at the deadline or the message count, and add up the report.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;

use crate::args::{BenchArgs, Dialect, Mode};
use crate::client::{azure::Azure, mns::Mns, sqs::Sqs, Client};
use crate::progress::Progress;
use crate::sign::{SharedKey, SigV4};
use crate::stats::{rate, Counters, Latencies, Percentiles, Report};
use crate::transport::{Endpoint, Transport};
use crate::workers::{consumer, prefill, producer, Schedule, Shared};

/// Longest a pre-fill may take before the run gives up.
const PREFILL_LIMIT: Duration = Duration::from_secs(600);

pub fn dialect_name(d: Dialect) -> &'static str {
    match d {
        Dialect::SqsJson => "sqs-json",
        Dialect::SqsQuery => "sqs-query",
        Dialect::Mns => "mns",
        Dialect::Azure => "azure",
    }
}

fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Send => "send",
        Mode::Receive => "receive",
        Mode::Cycle => "cycle",
    }
}

fn workers(args: &BenchArgs) -> (usize, usize) {
    let producers = if args.mode == Mode::Receive {
        0
    } else {
        args.producers
    };
    let consumers = if args.mode == Mode::Send {
        0
    } else {
        args.consumers
    };
    (producers, consumers)
}

/// The client for `args`, over a pool of `connections` connections.
pub fn build_client(args: &BenchArgs, connections: usize) -> anyhow::Result<Client> {
    let endpoint = Endpoint::parse_trusting(&args.endpoint, args.ca_cert.as_deref())?;
    if !endpoint.addr.ip().is_loopback() && !args.allow_remote {
        anyhow::bail!(
            "endpoint {} is not a loopback address; pass --allow-remote to load another machine",
            args.endpoint
        );
    }
    let transport = Arc::new(Transport::new(endpoint, connections, args.timeout));
    Ok(match args.dialect {
        Dialect::SqsJson | Dialect::SqsQuery => Client::Sqs(Sqs::new(
            transport,
            SigV4::new(&args.access_key, &args.secret_key, &args.region, "sqs"),
            args.dialect == Dialect::SqsJson,
        )),
        Dialect::Mns => Client::Mns(Mns::new(transport, &args.access_key, &args.secret_key)),
        Dialect::Azure => Client::Azure(Azure::new(
            transport,
            SharedKey::new(&args.account, &args.account_key)?,
        )),
    })
}

/// What to check when a vendor refused the credentials (the codes alone do not say which
/// option is wrong).
fn credentials_hint(dialect: Dialect, error: &str) -> &'static str {
    const AUTH_CODES: [&str; 7] = [
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "AccessDenied",
        "AuthenticationFailed",
        "NoAuthenticationInformation",
        "ResourceNotFound",
    ];
    if !AUTH_CODES.iter().any(|c| error.contains(c)) {
        return "";
    }
    match dialect {
        Dialect::SqsJson | Dialect::SqsQuery | Dialect::Mns => {
            " (check --access-key and --secret-key: they must be credentials the server accepts)"
        }
        Dialect::Azure => {
            " (check --account and --account-key: the server must serve that account with that key)"
        }
    }
}

/// Runs the benchmark described by `args` and returns its report.
pub async fn run(args: &BenchArgs) -> anyhow::Result<Report> {
    let (producers, consumers) = workers(args);
    if producers + consumers == 0 {
        anyhow::bail!("nothing to do: no producers and no consumers for this mode");
    }
    let connections = if args.connections == 0 {
        producers + consumers
    } else {
        args.connections
    };
    if matches!(args.dialect, Dialect::SqsJson | Dialect::SqsQuery) && args.wait_seconds > 20 {
        anyhow::bail!(
            "--wait-seconds {} is more than SQS allows (0 to 20)",
            args.wait_seconds
        );
    }
    let client = build_client(args, connections)?;
    let mut notes = Vec::new();
    if args.rate.is_some() && consumers > 0 && producers == 0 {
        notes.push("--rate paces sends, and this mode sends nothing: ignored".into());
    }
    if args.receive_rate.is_some() && consumers == 0 {
        notes.push("--receive-rate paces receives, and this mode receives nothing: ignored".into());
    }
    let send_batch = args.batch.clamp(1, client.max_send_batch());
    let receive_batch = args.batch.clamp(1, client.max_receive());
    let receive_batch = if args.dialect == Dialect::Azure {
        client.max_receive()
    } else {
        receive_batch
    };
    if args.dialect == Dialect::Azure {
        notes.push("Azure has no batch send: one Put Message per request (parallelism = producers); receives ask for 32; deletes are one request per message, issued in parallel".into());
        if args.wait_seconds > 0 {
            notes.push(
                "Azure has no long polling: consumers back off 2 ms after an empty receive".into(),
            );
        }
    } else if send_batch < args.batch {
        notes.push(format!(
            "batch clamped to the dialect's maximum of {send_batch}"
        ));
    }

    let tag = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
        % 1_000_000_000;
    let mut queues = Vec::new();
    for i in 0..args.queues.max(1) {
        let name = format!("{}-{tag}-{i}", args.queue_prefix);
        let q = client.create_queue(&name).await.map_err(|e| {
            let e = e.to_string();
            anyhow::anyhow!(
                "creating queue {name} at {}: {e}{}",
                args.endpoint,
                credentials_hint(args.dialect, &e)
            )
        })?;
        queues.push(q);
    }
    let budget = match (args.mode, args.messages) {
        (Mode::Send | Mode::Cycle, Some(n)) => n as i64,
        _ => i64::MAX,
    };
    let shared = Arc::new(Shared {
        client,
        queues,
        counters: Counters::default(),
        stop: AtomicBool::new(false),
        halted: tokio::sync::Notify::new(),
        send_budget: AtomicI64::new(budget),
        message_size: args.message_size,
        send_batch,
        receive_batch,
        wait_seconds: if args.dialect == Dialect::Azure {
            0
        } else {
            args.wait_seconds
        },
        delete: args.mode == Mode::Cycle,
    });

    let result = measure(
        args,
        shared.clone(),
        producers,
        consumers,
        connections,
        notes,
    )
    .await;
    if !args.keep_queues {
        for q in &shared.queues {
            let _ = shared.client.delete_queue(q).await;
        }
    }
    result
}

async fn measure(
    args: &BenchArgs,
    shared: Arc<Shared>,
    producers: usize,
    consumers: usize,
    connections: usize,
    notes: Vec<String>,
) -> anyhow::Result<Report> {
    let progress = Progress::new(args.quiet, args.duration);
    if args.prefill > 0 {
        progress.line(&format!(
            "pre-filling {} messages into each of {} queue(s)",
            args.prefill,
            shared.queues.len()
        ));
        let t = Instant::now();
        let n = prefill(
            shared.clone(),
            args.prefill,
            connections,
            Instant::now() + PREFILL_LIMIT,
        )
        .await
        .context("pre-fill")?;
        progress.line(&format!(
            "pre-filled {n} messages in {:.1} s",
            t.elapsed().as_secs_f64()
        ));
    }

    let requests_before = shared.client.transport().requests.load(Ordering::Relaxed);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..producers {
        let schedule = args
            .rate
            .and_then(|r| Schedule::new(r / producers as f64, stagger(i, producers, r)));
        tasks.push(tokio::spawn(producer(shared.clone(), i, schedule)));
    }
    for i in 0..consumers {
        let schedule = args
            .receive_rate
            .and_then(|r| Schedule::new(r / consumers as f64, stagger(i, consumers, r)));
        tasks.push(tokio::spawn(consumer(shared.clone(), i, schedule)));
    }

    // Stop condition: the deadline, or the message count reached.
    let deadline = start + args.duration;
    let target = args.messages;
    let mut ticker = tokio::time::interval(Duration::from_millis(20));
    // A signal ends the run like its deadline: the report is printed and the queues deleted.
    let interrupt = crate::interrupted();
    tokio::pin!(interrupt);
    let mut interrupted = false;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = &mut interrupt, if !interrupted => {
                interrupted = true;
                // A second signal does not wait for the report and the clean-up.
                tokio::spawn(async {
                    crate::interrupted().await;
                    eprintln!("polyq bench: second signal; exiting without cleaning up");
                    std::process::exit(130);
                });
            }
        }
        let s = shared.counters.snapshot();
        progress.tick(
            start.elapsed(),
            s,
            shared.client.transport().requests.load(Ordering::Relaxed),
        );
        let done_by_count = target.is_some_and(|n| match args.mode {
            Mode::Send => s.sent >= n,
            Mode::Receive => s.received >= n,
            Mode::Cycle => s.deleted >= n,
        });
        if interrupted
            || Instant::now() >= deadline
            || done_by_count
            || tasks.iter().all(|t| t.is_finished())
        {
            break;
        }
    }
    let elapsed = start.elapsed();
    let mut notes = notes;
    if interrupted {
        notes.push(
            "interrupted by a signal before its stop condition: the figures cover what ran".into(),
        );
    }
    let at_stop = shared.counters.snapshot();
    let requests = shared.client.transport().requests.load(Ordering::Relaxed) - requests_before;
    shared.halt();
    progress.finish();

    let mut lat = Latencies::default();
    // Workers finish their send or delete in progress; receives still out were abandoned.
    for t in tasks {
        lat.merge(&t.await.context("a worker panicked")?);
    }
    let mut latency_us = std::collections::BTreeMap::new();
    for (name, h) in [
        ("send", &lat.send),
        ("receive", &lat.receive),
        ("delete", &lat.delete),
        ("end_to_end", &lat.end_to_end),
    ] {
        if let Some(p) = Percentiles::of(h) {
            latency_us.insert(name.to_string(), p);
        }
    }
    Ok(Report {
        dialect: dialect_name(args.dialect).into(),
        endpoint: args.endpoint.clone(),
        mode: mode_name(args.mode).into(),
        queues: shared.queues.len(),
        producers,
        consumers,
        connections,
        batch: shared.send_batch,
        message_bytes: args.message_size.max(23),
        wait_seconds: shared.wait_seconds,
        // A rate the mode ignores (noted above) is not reported as if it had paced the run.
        rate: args.rate.filter(|_| producers > 0),
        receive_rate: args.receive_rate.filter(|_| consumers > 0),
        prefill_per_queue: args.prefill,
        elapsed_s: (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
        sent: at_stop.sent,
        received: at_stop.received,
        deleted: at_stop.deleted,
        requests,
        empty_receives: shared.counters.empty_receives.load(Ordering::Relaxed),
        sent_per_s: rate(at_stop.sent, elapsed),
        received_per_s: rate(at_stop.received, elapsed),
        deleted_per_s: rate(at_stop.deleted, elapsed),
        requests_per_s: rate(requests, elapsed),
        errors: shared.counters.error_codes(),
        latency_us,
        notes,
        interrupted,
    })
}

/// Spreads open-loop workers over one interval so their requests do not all fire together.
fn stagger(i: usize, workers: usize, total_rate: f64) -> Duration {
    if total_rate <= 0.0 {
        return Duration::ZERO;
    }
    Duration::from_secs_f64(i as f64 / total_rate).min(Duration::from_secs(1))
        * (workers > 1) as u32
}
