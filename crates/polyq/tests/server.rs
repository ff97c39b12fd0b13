//! The built binary, end to end: start-up lines, health, dialect detection, an SQS round
//! trip over real HTTP, clear refusals of bad settings, and graceful shutdown on SIGTERM.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{client, start};

#[tokio::test]
async fn serves_health_detection_and_sqs() {
    let s = start(&[]);
    assert!(
        s.banner.iter().any(|l| l.contains("aws --endpoint-url")),
        "{:?}",
        s.banner
    );
    // Dev mode does not check SQS and MNS signatures, but Azure's always are: the banner
    // must not say "signatures not checked" as if it were all of them.
    assert!(
        s.banner
            .iter()
            .any(|l| l.contains("auth: dev (SQS and MNS signatures not checked; Azure's are")),
        "{:?}",
        s.banner
    );
    // The development account's key is public: its connection string is printed whole.
    assert!(
        s.banner
            .iter()
            .any(|l| l.contains("AccountName=devstoreaccount1;AccountKey=Eby8vdM02x")),
        "{:?}",
        s.banner
    );
    let c = client();
    let health = c.get(format!("{}/health", s.base)).send().await.unwrap();
    assert_eq!(health.status(), 200);

    let unknown = c
        .post(format!("{}/", s.base))
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    let text = unknown.text().await.unwrap();
    assert!(text.contains("X-Amz-Target"), "{text}");
    // A browser's GET of the root names the console page, and the page is there.
    let root = c.get(format!("{}/", s.base)).send().await.unwrap();
    assert_eq!(root.status(), 400);
    let text = root.text().await.unwrap();
    assert!(text.contains("/_polyq/console"), "{text}");
    let page = c
        .get(format!("{}/_polyq/console", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);

    let call = |action: &str, body: String| {
        c.post(format!("{}/", s.base))
            .header("x-amz-target", format!("AmazonSQS.{action}"))
            .header("content-type", "application/x-amz-json-1.0")
            .body(body)
            .send()
    };
    let created = call("CreateQueue", r#"{"QueueName":"it"}"#.into())
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let v: serde_json::Value = serde_json::from_str(&created.text().await.unwrap()).unwrap();
    let url = v["QueueUrl"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&s.base),
        "queue URL follows the Host header: {url}"
    );
    let sent = call(
        "SendMessage",
        format!(r#"{{"QueueUrl":"{url}","MessageBody":"ping"}}"#),
    )
    .await
    .unwrap();
    assert_eq!(sent.status(), 200);
    let got = call(
        "ReceiveMessage",
        format!(r#"{{"QueueUrl":"{url}","WaitTimeSeconds":1}}"#),
    )
    .await
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&got.text().await.unwrap()).unwrap();
    assert_eq!(v["Messages"][0]["Body"], "ping");
}

#[tokio::test]
async fn long_poll_is_woken_by_a_send() {
    let s = start(&[]);
    let c = client();
    let base = s.base.clone();
    let call = move |c: reqwest::Client, action: &'static str, body: String| {
        let base = base.clone();
        async move {
            let r = c
                .post(format!("{base}/"))
                .header("x-amz-target", format!("AmazonSQS.{action}"))
                .body(body)
                .send()
                .await
                .unwrap();
            serde_json::from_str::<serde_json::Value>(&r.text().await.unwrap()).unwrap()
        }
    };
    let url = call(c.clone(), "CreateQueue", r#"{"QueueName":"lp"}"#.into()).await["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    let waiter = tokio::spawn(call(
        c.clone(),
        "ReceiveMessage",
        format!(r#"{{"QueueUrl":"{url}","WaitTimeSeconds":20}}"#),
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    call(
        c.clone(),
        "SendMessage",
        format!(r#"{{"QueueUrl":"{url}","MessageBody":"wake"}}"#),
    )
    .await;
    // Bounded: the waiter must answer with the message, long before its 20 s wait ends.
    let got = tokio::time::timeout(Duration::from_secs(15), waiter)
        .await
        .expect("long poll not woken")
        .unwrap();
    assert_eq!(got["Messages"][0]["Body"], "wake");
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    stops_cleanly_on("-TERM");
}

/// SIGHUP (the terminal closed) killed the server at once, without finishing requests in
/// progress or closing the store; it now stops as gently as SIGTERM.
#[test]
fn sighup_stops_the_server_cleanly() {
    stops_cleanly_on("-HUP");
}

/// Under `nohup` (SIGHUP ignored when polyq starts), SIGHUP stays ignored: a server started so
/// outlives the terminal, as before polyq handled SIGHUP.
#[test]
fn sighup_is_left_ignored_under_nohup() {
    let mut s = common::start_nohup(&[]);
    let pid = s.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap()
        .success());
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        s.child.try_wait().unwrap().is_none(),
        "stopped by SIGHUP under nohup"
    );
    // Still serving.
    let addr = s.base.trim_start_matches("http://").to_string();
    assert!(std::net::TcpStream::connect(addr).is_ok());
}

fn stops_cleanly_on(signal: &str) {
    let mut s = start(&[]);
    // A client that connected and sent nothing must not hold up the shutdown (the grace period
    // for requests in progress is 30 s, beyond this test's deadline).
    let _silent = std::net::TcpStream::connect(s.base.trim_start_matches("http://")).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let pid = s.child.id().to_string();
    assert!(Command::new("kill")
        .args([signal, &pid])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            assert!(status.success(), "{signal}: exit status {status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "polyq did not stop after {signal}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A second signal ends the shutdown's wait for requests in progress (up to 30 s): here a
/// request whose body never comes.
#[test]
fn a_second_signal_exits_at_once() {
    use std::io::Write;
    let mut s = start(&[]);
    let mut stalled = std::net::TcpStream::connect(s.base.trim_start_matches("http://")).unwrap();
    stalled
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let pid = s.child.id().to_string();
    let signal = || {
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success())
    };
    signal();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        s.child.try_wait().unwrap().is_none(),
        "still waiting for the stalled request"
    );
    signal();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            // 128 + SIGTERM, as a shell reports a process killed by it.
            assert_eq!(status.code(), Some(143), "exit status {status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the second signal did not end it"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn bad_settings_exit_with_a_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_polyq"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--store",
            "memory",
            "--auth",
            "strict",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown auth mode"));

    // A port already taken is named in the error.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_polyq"))
        .args(["serve", "--listen", &addr, "--store", "memory"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(&addr));
}

#[tokio::test]
async fn the_default_store_keeps_messages_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let send = |base: String| async move {
        let c = client();
        let call = |action: &str, body: String| {
            c.post(format!("{base}/"))
                .header("x-amz-target", format!("AmazonSQS.{action}"))
                .body(body)
                .send()
        };
        let v: serde_json::Value = serde_json::from_str(
            &call("CreateQueue", r#"{"QueueName":"durable"}"#.into())
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        )
        .unwrap();
        let url = v["QueueUrl"].as_str().unwrap().to_string();
        let r = call(
            "SendMessage",
            format!(r#"{{"QueueUrl":"{url}","MessageBody":"kept"}}"#),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 200);
    };
    {
        let s = common::start_with_store(data, &[]);
        assert!(
            s.banner.iter().any(|l| l.contains("embedded, durable")),
            "{:?}",
            s.banner
        );
        send(s.base.clone()).await;
        // A second server on the same directory is refused, naming it.
        let out = Command::new(env!("CARGO_BIN_EXE_polyq"))
            .args(["serve", "--listen", "127.0.0.1:0", "--store", data])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(data) && err.contains("in use"), "{err}");
        // Drop kills the server with SIGKILL: the acknowledged send must survive that.
    }
    let s = common::start_with_store(data, &[]);
    let c = client();
    let got = c
        .post(format!("{}/", s.base))
        .header("x-amz-target", "AmazonSQS.ReceiveMessage")
        .body(format!(
            r#"{{"QueueUrl":"{}/000000000000/durable","WaitTimeSeconds":1}}"#,
            s.base
        ))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&got.text().await.unwrap()).unwrap();
    assert_eq!(v["Messages"][0]["Body"], "kept");
}

/// One raw MNS request in dev mode (no signature is checked).
async fn mns(base: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let r = client()
        .request(method.parse().unwrap(), format!("{base}{path}"))
        .header("x-mns-version", "2015-06-06")
        .header("authorization", "MNS any:any")
        .header(
            "date",
            httpdate::fmt_http_date(std::time::SystemTime::now()),
        )
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn mns_topics_survive_a_kill_and_stay_hidden_from_queue_listings() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    {
        let s = common::start_with_store(data, &[]);
        assert_eq!(mns(&s.base, "PUT", "/queues/inbox", "").await.0, 201);
        assert_eq!(mns(&s.base, "PUT", "/topics/news", "").await.0, 201);
        let sub = "<Subscription><Endpoint>acs:mns:cn-hangzhou:000000000000:queues/inbox</Endpoint><NotifyContentFormat>SIMPLIFIED</NotifyContentFormat></Subscription>";
        let (status, body) = mns(&s.base, "PUT", "/topics/news/subscriptions/s", sub).await;
        assert_eq!(status, 201, "{body}");
        // Drop kills the server with SIGKILL.
    }
    let s = common::start_with_store(data, &[]);
    let (status, body) = mns(&s.base, "GET", "/topics/news/subscriptions/s", "").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("<NotifyContentFormat>SIMPLIFIED</NotifyContentFormat>"),
        "{body}"
    );
    let publish = "<Message><MessageBody>after restart</MessageBody></Message>";
    let (status, body) = mns(&s.base, "POST", "/topics/news/messages", publish).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = mns(&s.base, "GET", "/queues/inbox/messages", "").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("<MessageBody>after restart</MessageBody>"),
        "{body}"
    );

    // The topic's and subscription's internal queues are no dialect's queues.
    let listed = client()
        .post(format!("{}/", s.base))
        .header("x-amz-target", "AmazonSQS.ListQueues")
        .body("{}")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(
        v["QueueUrls"],
        serde_json::json!([format!("{}/000000000000/inbox", s.base)])
    );
    let (_, queues) = mns(&s.base, "GET", "/queues", "").await;
    assert_eq!(queues.matches("<QueueURL>").count(), 1, "{queues}");
    let hidden = client()
        .post(format!("{}/", s.base))
        .header("x-amz-target", "AmazonSQS.GetQueueAttributes")
        .body(format!(
            r#"{{"QueueUrl":"{}/000000000000/~mns-topic~news"}}"#,
            s.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), 400);
    let hidden = hidden.text().await.unwrap();
    assert!(hidden.contains("QueueDoesNotExist"), "{hidden}");
}

#[tokio::test]
async fn metrics_count_requests_and_messages() {
    let s = common::start(&[]);
    let c = client();
    let sqs = |action: &str, body: String| {
        c.post(format!("{}/", s.base))
            .header("x-amz-target", format!("AmazonSQS.{action}"))
            .body(body)
            .send()
    };
    let created = sqs("CreateQueue", r#"{"QueueName":"counted"}"#.into())
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    for body in ["one", "two"] {
        let r = sqs(
            "SendMessage",
            format!(r#"{{"QueueUrl":"counted","MessageBody":"{body}"}}"#),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = sqs(
        "ReceiveMessage",
        r#"{"QueueUrl":"counted","MaxNumberOfMessages":1,"VisibilityTimeout":300}"#.into(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let missing = sqs("GetQueueUrl", r#"{"QueueName":"nope"}"#.into())
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);
    assert_eq!(mns(&s.base, "PUT", "/queues/mq", "").await.0, 201);
    // An MNS topic is an internal queue: not a queue the metrics list.
    assert_eq!(mns(&s.base, "PUT", "/topics/t", "").await.0, 201);
    let undetected = c.get(format!("{}/nothing", s.base)).send().await.unwrap();
    assert_eq!(undetected.status(), 400);
    // Refused for its size before any dialect sees it: still counted.
    let too_big = c
        .post(format!("{}/", s.base))
        .body(vec![b'x'; 8 * 1024 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status(), 413);

    // Prometheus asks for OpenMetrics; a scraper that does not gets the 0.0.4 text format,
    // with the same samples.
    let r = c
        .get(format!("{}/metrics", s.base))
        .header(
            "accept",
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = r.text().await.unwrap();
    let plain = c.get(format!("{}/metrics", s.base)).send().await.unwrap();
    assert_eq!(
        plain.headers()["content-type"].to_str().unwrap(),
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let plain = plain.text().await.unwrap();
    assert!(
        plain.contains("# TYPE polyq_requests_total counter\n"),
        "{plain}"
    );
    assert!(!plain.contains("# EOF"), "{plain}");
    assert!(plain.lines().any(|l| l == "polyq_store_up 1"), "{plain}");
    for line in [
        r#"polyq_requests_total{dialect="SQS",operation="CreateQueue",code="200"} 1"#,
        r#"polyq_requests_total{dialect="SQS",operation="SendMessage",code="200"} 2"#,
        r#"polyq_requests_total{dialect="SQS",operation="ReceiveMessage",code="200"} 1"#,
        r#"polyq_requests_total{dialect="SQS",operation="GetQueueUrl",code="400"} 1"#,
        r#"polyq_requests_total{dialect="MNS",operation="CreateQueue",code="201"} 1"#,
        r#"polyq_requests_total{dialect="MNS",operation="CreateTopic",code="201"} 1"#,
        r#"polyq_requests_total{dialect="none",operation="-",code="400"} 1"#,
        r#"polyq_requests_total{dialect="none",operation="-",code="413"} 1"#,
        r#"polyq_request_duration_seconds_count{dialect="SQS",operation="SendMessage"} 2"#,
        "polyq_queues 2",
        "polyq_store_up 1",
        r#"polyq_queue_messages{queue="counted",state="visible"} 1"#,
        r#"polyq_queue_messages{queue="counted",state="in_flight"} 1"#,
        r#"polyq_queue_messages{queue="counted",state="delayed"} 0"#,
        r#"polyq_queue_messages{queue="mq",state="visible"} 0"#,
    ] {
        assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
    }
    assert!(!text.contains("~mns-topic~"), "{text}");
    assert!(text.ends_with("# EOF\n"));
    // With a vendor's marker, /metrics is that vendor's path (here Azure's account "metrics").
    let azure = c
        .get(format!("{}/metrics?comp=list", s.base))
        .header("x-ms-version", "2021-12-02")
        .send()
        .await
        .unwrap();
    assert_ne!(azure.status(), 200);
    assert!(azure.headers().contains_key("x-ms-request-id"));
    let put = c
        .put(format!("{}/devstoreaccount1/azq", s.base))
        .header("x-ms-version", "2021-12-02")
        .send()
        .await
        .unwrap();
    // Refused (no credentials), but still counted under its operation.
    assert_eq!(put.status(), 401);
    // The scrape itself is counted once it is answered.
    let again = common::get_text(&c, &format!("{}/metrics", s.base)).await;
    assert!(
        // The two scrapes above (OpenMetrics and plain text).
        again.contains(r#"polyq_requests_total{dialect="polyq",operation="Metrics",code="200"} 2"#),
        "{again}"
    );
    assert!(
        again.contains(
            r#"polyq_requests_total{dialect="Azure",operation="CreateQueue",code="401"} 1"#
        ),
        "{again}"
    );
}

/// `--auth enforce` without `[[azure_accounts]]` serves no Azure account: the development
/// account's key is public, and with it anyone could reach every dialect's queues. A request
/// signed with that key is refused, and the banner says why.
#[tokio::test]
async fn enforce_without_azure_accounts_serves_no_azure_account() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::enforce_config(dir.path());
    let s = start(&["--config", config.to_str().unwrap()]);
    assert!(
        s.banner
            .iter()
            .any(|l| l.contains("Azure") && l.contains("not served")),
        "{:?}",
        s.banner
    );
    assert!(
        !s.banner.iter().any(|l| l.contains("devstoreaccount1")),
        "{:?}",
        s.banner
    );
    let key = polyq_bench::sign::SharedKey::new("devstoreaccount1", polyq_azure::DEV_KEY).unwrap();
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let headers = [("x-ms-date", date.as_str()), ("x-ms-version", "2021-12-02")];
    let sts = key.string_to_sign("PUT", 0, "", &headers, "/devstoreaccount1/open-door", &[]);
    let put = client()
        .put(format!("{}/devstoreaccount1/open-door", s.base))
        .header("x-ms-date", &date)
        .header("x-ms-version", "2021-12-02")
        .header("content-length", "0")
        .header("authorization", key.authorization(&sts))
        .send()
        .await
        .unwrap();
    let status = put.status().as_u16();
    let text = put.text().await.unwrap();
    assert!(status == 403 || status == 404, "{status}: {text}");
    assert!(text.contains("<Error><Code>"), "{text}");
    // Nothing was made (/metrics needs no signature).
    let metrics = common::get_text(&client(), &format!("{}/metrics", s.base)).await;
    assert!(metrics.lines().any(|l| l == "polyq_queues 0"), "{metrics}");
}

#[tokio::test]
async fn a_metrics_token_guards_the_metrics_and_enforce_says_when_there_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::enforce_config(dir.path());
    let open = start(&["--config", config.to_str().unwrap()]);
    assert!(
        open.banner
            .iter()
            .any(|l| l.contains("/metrics answers without credentials")),
        "{:?}",
        open.banner
    );
    drop(open);

    let s = start(&["--metrics-token", "s3cret-t0ken"]);
    let c = client();
    let url = format!("{}/metrics", s.base);
    // Basic auth with the token as the user name, not the password: refused.
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("Basic czNjcmV0LXQwa2VuOg=="),
    ] {
        let mut r = c.get(&url);
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), 401, "{auth:?}");
        assert_eq!(
            r.headers()["www-authenticate"],
            "Bearer realm=\"polyq metrics\""
        );
        assert!(r.text().await.unwrap().contains("Authorization: Bearer"));
    }
    for auth in [
        "Bearer s3cret-t0ken",
        // The scheme in any case (RFC 9110).
        "bearer s3cret-t0ken",
        // Basic auth, any user, the token as the password ("prometheus:s3cret-t0ken").
        "Basic cHJvbWV0aGV1czpzM2NyZXQtdDBrZW4=",
    ] {
        let r = c
            .get(&url)
            .header("authorization", auth)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{auth}");
        assert!(r.text().await.unwrap().contains("polyq_queues 0"));
    }
}

#[cfg(target_os = "linux")]
#[test]
fn the_server_runs_without_transparent_huge_pages() {
    // Kernels since 5.0 report the process's THP switch; older ones have no such line.
    let own = std::fs::read_to_string("/proc/self/status").unwrap();
    if !own.contains("THP_enabled:") {
        eprintln!("skipped: this kernel does not report THP_enabled in /proc/PID/status");
        return;
    }
    let s = start(&[]);
    let status = std::fs::read_to_string(format!("/proc/{}/status", s.child.id())).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("THP_enabled:"))
        .unwrap();
    assert!(line.ends_with('0'), "{line}");
}
