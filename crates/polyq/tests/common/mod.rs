//! Starting the built `polyq` binary for integration tests.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub struct Server {
    pub child: Child,
    pub base: String,
    /// Start-up lines up to and shortly after the first "listening on" line.
    pub banner: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `polyq serve --listen 127.0.0.1:0 --store memory EXTRA...` and reads its base URL
/// from the "listening on" line.
pub fn start(extra: &[&str]) -> Server {
    start_with_store("memory", extra)
}

/// Like [`start`], with `--store STORE` (a directory for the durable store).
pub fn start_with_store(store: &str, extra: &[&str]) -> Server {
    start_from(Command::new(env!("CARGO_BIN_EXE_polyq")), store, extra)
}

/// Like [`start`], run by `nohup` (SIGHUP ignored from the start).
pub fn start_nohup(extra: &[&str]) -> Server {
    let mut nohup = Command::new("nohup");
    nohup.arg(env!("CARGO_BIN_EXE_polyq"));
    start_from(nohup, "memory", extra)
}

fn start_from(mut command: Command, store: &str, extra: &[&str]) -> Server {
    let mut child = command
        .args(["serve", "--listen", "127.0.0.1:0", "--store", store])
        .args(extra)
        .env_remove("POLYQ_LISTEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn polyq");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                // Keep draining so the server never blocks on a full pipe.
                continue;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut banner = Vec::new();
    let base = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .expect("polyq printed no listening line in time");
        banner.push(line.clone());
        if let Some(url) = line.strip_prefix("listening on ") {
            break url.trim().to_string();
        }
    };
    // The dialect lines are printed right after the listening line.
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(300)) {
        banner.push(line);
    }
    Server {
        child,
        base,
        banner,
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The body of a plain GET of `url`, as text.
pub async fn get_text(c: &reqwest::Client, url: &str) -> String {
    c.get(url).send().await.unwrap().text().await.unwrap()
}

/// A config file in `dir` that turns on `--auth enforce` with one credential, polyq /
/// polyq-secret, and nothing else (no `[[azure_accounts]]`).
pub fn enforce_config(dir: &std::path::Path) -> std::path::PathBuf {
    let config = dir.join("enforce.toml");
    std::fs::write(
        &config,
        "auth = \"enforce\"\n[[credentials]]\naccess_key_id = \"polyq\"\nsecret_access_key = \"polyq-secret\"\n",
    )
    .unwrap();
    config
}
