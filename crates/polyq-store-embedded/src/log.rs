//! The log as the writer thread owns it: the open newest segment, commits (one frame, one
//! `write`, one `fdatasync`), rotation to a new segment, and deletion of old segments.
//!
//! Space is reclaimed oldest segment first, and only oldest first: a segment can hold lease
//! and removal records of messages put in older segments, so deleting it while an older one
//! stays would bring those messages back in an older state on replay. The oldest segment goes
//! once none of its messages is live and its deduplication records have expired. A few
//! long-lived messages must not pin the whole log behind them, so when the oldest segment is
//! mostly dead weight (or the log is much larger than the live data), the writer asks the
//! engine to write those messages again ([`polyq_core::MemoryStore::rejournal`]); their new
//! copies land in the newest segment, and the oldest one empties.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use polyq_core::memory::Change;

use crate::catalog::Catalog;
use crate::record;
use crate::segment::{begin_frame, finish_frame, frame_is_empty, header, segment_name};
use crate::supersede::superseded;
use crate::tracker::Tracker;

/// A segment is closed and a new one started once it reaches this size.
pub const SEGMENT_BYTES: u64 = 64 << 20;
/// Messages copied forward per compaction step (bounds how long a queue lock is held).
const RELOCATE_BATCH: usize = 20_000;

pub(crate) struct Log {
    dir: PathBuf,
    file: File,
    number: u64,
    id_prefix: u64,
    segment_bytes: u64,
    catalog: Catalog,
    tracker: Tracker,
    buf: Vec<u8>,
    /// The segments up to this one have a durable `Collected` record (so a deletion that
    /// failed and is retried does not write another).
    collected_recorded: u64,
    /// What the path of the segment being written named when it was made (see
    /// [`Log::still_in_place`]).
    identity: FileIdentity,
}

/// A file as its path names it: device and inode (nothing on other systems). Both sides of a
/// comparison are read by path: some file systems (overlayfs on older kernels) give an open
/// file another device number than its path.
type FileIdentity = (u64, u64);

fn identity(path: &Path) -> io::Result<FileIdentity> {
    let meta = std::fs::metadata(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Ok((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        Ok((0, 0))
    }
}

/// Makes directory entry changes (a new or deleted segment) durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Log {
    /// Starts segment `number` (replacing a file of that name, which recovery found to hold
    /// nothing) and continues the log there.
    pub fn start(
        dir: &Path,
        number: u64,
        id_prefix: u64,
        segment_bytes: u64,
        catalog: Catalog,
        tracker: Tracker,
    ) -> io::Result<Log> {
        let mut buf = Vec::new();
        let chain = chain_from(&tracker, number);
        let file = create_segment(dir, number, id_prefix, &catalog, chain, &mut buf)?;
        let mut log = Log {
            dir: dir.to_path_buf(),
            file,
            number,
            id_prefix,
            segment_bytes,
            catalog,
            tracker,
            buf,
            collected_recorded: 0,
            identity: identity(&dir.join(segment_name(number)))?,
        };
        log.tracker.add_segment(number, log.file.metadata()?.len());
        Ok(log)
    }

    /// Writes `changes` as one frame and makes it durable. An error leaves the file with at
    /// most a cut-short frame at its end, which recovery cuts off.
    pub fn commit(&mut self, changes: &[Change], fail: bool) -> io::Result<()> {
        // A full segment is replaced before this commit's frame, not after it: a replacement
        // that fails (no room for the new file, the directory gone) then fails a commit that
        // wrote nothing, rather than one whose changes are already on disk (its requests would
        // be told 500 for a message that is kept and delivered after a restart).
        if self.tracker.segment(self.number).map_or(0, |s| s.size) >= self.segment_bytes {
            self.rotate()?;
        }
        let skip = superseded(changes);
        self.buf.clear();
        begin_frame(&mut self.buf);
        for (change, skip) in changes.iter().zip(skip) {
            // Noted even when skipped: the sequence mark must cover every id handed out.
            let keep = self.catalog.note(change);
            if skip || !keep {
                continue;
            }
            let start = self.buf.len();
            record::encode(change, &mut self.buf);
            let len = self.buf.len() - start;
            self.tracker.apply(change, self.number, len, &self.catalog);
        }
        if frame_is_empty(&self.buf) {
            return Ok(());
        }
        if fail {
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "injected failure: no space left on device (disk is full)",
            ));
        }
        finish_frame(&mut self.buf);
        self.file.write_all(&self.buf)?;
        self.file.sync_data()?;
        self.tracker.grow(self.number, self.buf.len() as u64);
        Ok(())
    }

    /// Fails when the segment being written is no longer the file at its path in the data
    /// directory: the directory was moved or removed (or the file replaced) while polyq runs.
    /// Commits would then go to a file no restart will read.
    pub fn still_in_place(&self) -> io::Result<()> {
        let path = self.dir.join(segment_name(self.number));
        let gone = |what: &str| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "the data directory no longer holds the segment being written ({}: {what}); \
                     it was moved or removed while polyq ran, and what is written now would not \
                     be found at the next start",
                    path.display()
                ),
            )
        };
        match identity(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(gone(&e.to_string())),
            // Another error (a permission changed, a network file system's hiccup) says
            // nothing of where the writes go: looked at again a second later.
            Err(_) => Ok(()),
            Ok(now) if now != self.identity => Err(gone("another file now has its name")),
            Ok(_) => Ok(()),
        }
    }

    fn rotate(&mut self) -> io::Result<()> {
        let number = self.number + 1;
        let file = create_segment(
            &self.dir,
            number,
            self.id_prefix,
            &self.catalog,
            chain_from(&self.tracker, number),
            &mut self.buf,
        )?;
        self.tracker.add_segment(number, file.metadata()?.len());
        self.identity = identity(&self.dir.join(segment_name(number)))?;
        self.file = file;
        self.number = number;
        tracing::debug!(segment = number, "new log segment");
        Ok(())
    }

    /// Deletes the oldest segments while nothing in them is needed, once a record saying so
    /// is durable in the newest one (recovery refuses a segment missing without one). An
    /// error writing that record is the log's (the store stops writing, as after a failed
    /// commit); a failed deletion is logged and retried later: it costs space, not
    /// correctness. `true` when the log's files changed (a record written, a segment gone).
    pub fn collect(&mut self) -> io::Result<bool> {
        let now = now_ms();
        let Some(upto) = self.tracker.collectable(self.number, now) else {
            return Ok(false);
        };
        let mut changed = false;
        if upto > self.collected_recorded {
            self.buf.clear();
            begin_frame(&mut self.buf);
            record::encode_collected(upto, &mut self.buf);
            finish_frame(&mut self.buf);
            self.file.write_all(&self.buf)?;
            self.file.sync_data()?;
            self.tracker.grow(self.number, self.buf.len() as u64);
            self.collected_recorded = upto;
            changed = true;
        }
        while let Some((n, usage)) = self.tracker.oldest() {
            if n > upto {
                break;
            }
            let path = self.dir.join(segment_name(n));
            // The directory is synced after each deletion so that a crash can never leave a
            // gap (a newer segment gone, an older one back), which recovery would refuse.
            match std::fs::remove_file(&path).and_then(|()| sync_dir(&self.dir)) {
                Ok(()) => {
                    self.tracker.forget_segment(n);
                    changed = true;
                    tracing::debug!(segment = n, bytes = usage.size, "log segment deleted");
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "deleting an old log segment failed; will retry");
                    break;
                }
            }
        }
        Ok(changed)
    }

    /// The live messages to copy forward so that the oldest segment can go, when that is
    /// worth it: the oldest segment is mostly dead, or the log is more than twice the live
    /// data plus two segments. Empty when nothing is to be done.
    pub fn to_relocate(&self) -> BTreeMap<Arc<str>, Vec<u64>> {
        let Some((oldest, usage)) = self.tracker.oldest() else {
            return BTreeMap::new();
        };
        let bloated =
            self.tracker.disk_bytes() > 2 * self.tracker.live_bytes() + 2 * self.segment_bytes;
        if oldest == self.number
            || usage.live == 0
            || !(usage.live_bytes * 4 < usage.size || bloated)
        {
            return BTreeMap::new();
        }
        self.tracker.pinning(oldest, RELOCATE_BATCH)
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Number of segment files and their total size.
    pub fn disk_usage(&self) -> (usize, u64) {
        (self.tracker.segment_count(), self.tracker.disk_bytes())
    }
}

/// What segment `number`'s start records of the log before it: the size of segment
/// `number - 1` (0 when there is none) and the oldest segment kept.
fn chain_from(tracker: &Tracker, number: u64) -> (u64, u64) {
    let previous_len = number
        .checked_sub(1)
        .and_then(|n| tracker.segment(n))
        .map_or(0, |s| s.size);
    let oldest = tracker.oldest().map_or(number, |(n, _)| n.min(number));
    (previous_len, oldest)
}

/// Creates segment `number` holding its header and start frame (the catalog and the chain
/// record, see [`record::Record::SegmentStart`]), durable, with its directory entry durable
/// too.
fn create_segment(
    dir: &Path,
    number: u64,
    id_prefix: u64,
    catalog: &Catalog,
    (previous_len, oldest): (u64, u64),
    buf: &mut Vec<u8>,
) -> io::Result<File> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(dir.join(segment_name(number)))?;
    buf.clear();
    buf.extend_from_slice(&header(number, id_prefix));
    let mut frame = Vec::new();
    begin_frame(&mut frame);
    catalog.encode_start(&mut frame);
    record::encode_segment_start(previous_len, oldest, &mut frame);
    finish_frame(&mut frame);
    buf.extend_from_slice(&frame);
    file.write_all(buf)?;
    file.sync_all()?;
    sync_dir(dir)?;
    Ok(file)
}
