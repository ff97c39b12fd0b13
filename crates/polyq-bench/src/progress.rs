//! Live progress on stderr: an indicatif bar with current rates on a terminal, a plain line
//! per second otherwise (CI logs, pipes), nothing with --quiet.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use parking_lot::Mutex;

use crate::stats::Snapshot;

enum Sink {
    Quiet,
    Bar(ProgressBar),
    Lines,
}

struct Last {
    at: Duration,
    snap: Snapshot,
    requests: u64,
}

pub struct Progress {
    sink: Sink,
    last: Mutex<Last>,
}

impl Progress {
    pub fn new(quiet: bool, duration: Duration) -> Progress {
        let sink = if quiet {
            Sink::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(duration.as_millis() as u64);
            bar.set_style(
                ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {msg}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            Sink::Bar(bar)
        } else {
            Sink::Lines
        };
        Progress {
            sink,
            last: Mutex::new(Last {
                at: Duration::ZERO,
                snap: Snapshot::default(),
                requests: 0,
            }),
        }
    }

    /// A one-off status line (pre-fill and the like).
    pub fn line(&self, text: &str) {
        match &self.sink {
            Sink::Quiet => {}
            Sink::Bar(bar) => bar.println(text),
            Sink::Lines => eprintln!("{text}"),
        }
    }

    /// Called often; redraws at most every 250 ms (bar) or prints every second (lines).
    pub fn tick(&self, elapsed: Duration, snap: Snapshot, requests: u64) {
        let every = match self.sink {
            Sink::Quiet => return,
            Sink::Bar(_) => Duration::from_millis(250),
            Sink::Lines => Duration::from_secs(1),
        };
        let mut last = self.last.lock();
        let dt = elapsed.saturating_sub(last.at);
        if dt < every {
            return;
        }
        let per_s = |now: u64, before: u64| (now.saturating_sub(before)) as f64 / dt.as_secs_f64();
        let text = format!(
            "sent {:.0}/s  received {:.0}/s  deleted {:.0}/s  requests {:.0}/s  errors {}",
            per_s(snap.sent, last.snap.sent),
            per_s(snap.received, last.snap.received),
            per_s(snap.deleted, last.snap.deleted),
            per_s(requests, last.requests),
            snap.errors
        );
        *last = Last {
            at: elapsed,
            snap,
            requests,
        };
        match &self.sink {
            Sink::Bar(bar) => {
                bar.set_position(elapsed.as_millis() as u64);
                bar.set_message(text);
            }
            Sink::Lines => eprintln!("[{:>6.1}s] {text}", elapsed.as_secs_f64()),
            Sink::Quiet => {}
        }
    }

    pub fn finish(&self) {
        if let Sink::Bar(bar) = &self.sink {
            bar.finish_and_clear();
        }
    }
}
