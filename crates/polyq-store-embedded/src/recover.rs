//! Rebuilding the engine from the log on start: every segment, oldest first, every record in
//! order, applied with the same rules the writer used (so a message put into a queue that was
//! deleted is dropped the same way). Messages keep their stored state, lease generation,
//! receive count and times; the engine applies timers and expiry on first use as it always
//! does, so nothing here is decided from the wall clock (tests drive time themselves).
//!
//! Nothing is changed on disk here: a cut-short write found at the end of the newest segment
//! is reported as a [`Repair`] for the caller to apply once everything else checked out.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polyq_core::memory::{Change, DedupRecord, RestoredQueue, Restorer};
use polyq_core::Message;

use crate::catalog::Catalog;
use crate::error::OpenError;
use crate::record::{self, Record};
use crate::segment::{self, ScanError, FORMAT_VERSION};
use crate::tracker::Tracker;

/// The cut-short end of the newest segment, to be cut off before writing resumes.
pub(crate) struct Repair {
    pub path: PathBuf,
    /// Bytes to keep (0: remove the file, not even its header was complete).
    pub keep: u64,
    pub what: String,
}

pub(crate) struct Recovered {
    pub restorer: Restorer,
    pub catalog: Catalog,
    pub tracker: Tracker,
    /// The store's id salt, from the segment headers (`None`: a new store).
    pub id_prefix: Option<u64>,
    /// Number of the newest segment (0 when there is none).
    pub newest: u64,
    pub messages: u64,
    pub repair: Option<Repair>,
}

struct Live {
    queue: Arc<str>,
    message: Message,
}

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// The state as replay builds it up.
#[derive(Default)]
struct Replay {
    catalog: Catalog,
    tracker: Tracker,
    /// Live messages in the order they were first put (the restorer takes any order; this
    /// avoids moving the large values around in a map or a sort), removed ones `None`.
    messages: Vec<Option<Live>>,
    /// Index into `messages` by sequence number.
    index: FastMap<u64, usize>,
    dedup: FastMap<(Arc<str>, String), DedupRecord>,
    /// Each segment's chain record (format 4 on): the previous segment's size and the oldest
    /// segment kept when it began.
    starts: BTreeMap<u64, (u64, u64)>,
    /// Segments up to this one were deleted as unneeded (0: none).
    collected: u64,
}

impl Replay {
    fn apply(&mut self, segment: u64, record: Record, len: usize) {
        let change = match record {
            Record::NextSeq(n) => {
                self.catalog.next_seq = self.catalog.next_seq.max(n);
                return;
            }
            Record::SegmentStart {
                previous_len,
                oldest,
            } => {
                self.starts.insert(segment, (previous_len, oldest));
                return;
            }
            Record::Collected(upto) => {
                self.collected = self.collected.max(upto);
                return;
            }
            Record::Change(change) => change,
        };
        if !self.catalog.note(&change) {
            return;
        }
        self.tracker.apply(&change, segment, len, &self.catalog);
        match change {
            Change::QueueDelete { name } => {
                self.drop_queue(&name);
                self.dedup.retain(|(q, _), _| **q != *name);
            }
            Change::QueuePurge { name } => self.drop_queue(&name),
            Change::MessagePut { queue, message } => {
                let queue = self.catalog.name(&queue).expect("noted as live");
                let seq = message.seq;
                let live = Some(Live { queue, message });
                match self.index.get(&seq) {
                    Some(&i) => self.messages[i] = live,
                    None => {
                        self.index.insert(seq, self.messages.len());
                        self.messages.push(live);
                    }
                }
            }
            Change::MessageLease {
                seq,
                lease,
                receive_count,
                first_receive_ms,
                last_receive_ms,
                visible_ms,
                state,
            } => {
                let slot = self.index.get(&seq).map(|&i| &mut self.messages[i]);
                if let Some(Some(Live { message: m, .. })) = slot {
                    m.lease = lease;
                    m.receive_count = receive_count;
                    m.first_receive_ms = first_receive_ms;
                    m.last_receive_ms = last_receive_ms;
                    m.visible_ms = visible_ms;
                    m.state = state;
                }
            }
            Change::MessageRemove { seq } => {
                if let Some(i) = self.index.remove(&seq) {
                    self.messages[i] = None;
                }
            }
            Change::Dedup { queue, record } => {
                let queue = self.catalog.name(&queue).expect("noted as live");
                self.dedup.insert((queue, record.key.clone()), record);
            }
            Change::QueuePut { .. } => {}
        }
    }

    fn drop_queue(&mut self, queue: &str) {
        let messages = &mut self.messages;
        self.index.retain(|_, i| {
            let gone = messages[*i].as_ref().is_some_and(|l| *l.queue == *queue);
            if gone {
                messages[*i] = None;
            }
            !gone
        });
    }

    fn into_restorer(self) -> (Restorer, Catalog, Tracker, u64) {
        let mut restorer = Restorer::new();
        for (name, d) in &self.catalog.queues {
            restorer.queue(RestoredQueue {
                name: name.clone(),
                created_ms: d.created_ms,
                modified_ms: d.modified_ms,
                config: d.config.clone(),
            });
        }
        let count = self.index.len() as u64;
        for live in self.messages.into_iter().flatten() {
            restorer.message(&live.queue, live.message);
        }
        let mut dedup: Vec<_> = self.dedup.into_iter().collect();
        dedup.sort_unstable_by_key(|((_, key), r)| (r.expires_ms, key.clone()));
        for ((queue, _), record) in dedup {
            restorer.dedup(&queue, record);
        }
        (restorer, self.catalog, self.tracker, count)
    }
}

/// The segment numbers in `dir`, oldest first; they must be consecutive, since segments are
/// only ever deleted oldest first.
fn list_segments(dir: &Path) -> Result<Vec<u64>, OpenError> {
    let io = |source| OpenError::Io {
        dir: dir.to_path_buf(),
        source,
    };
    let mut numbers = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let name = entry.map_err(io)?.file_name();
        if let Some(n) = name.to_str().and_then(segment::parse_name) {
            check_regular_file(&dir.join(&name))?;
            numbers.push(n);
        }
    }
    numbers.sort_unstable();
    for pair in numbers.windows(2) {
        if pair[1] != pair[0] + 1 {
            return Err(OpenError::Corrupt {
                path: dir.join(segment::segment_name(pair[0] + 1)),
                size: 0,
                detail: format!(
                    "segment {} is missing between {} and {}: segments are only ever deleted \
                     oldest first, so a file was removed by hand or lost",
                    pair[0] + 1,
                    pair[0],
                    pair[1]
                ),
            });
        }
    }
    Ok(numbers)
}

/// A segment's name on anything but a regular file (a directory, a pipe, which would hold the
/// start for ever, a device, a dangling link) is refused by name before it is opened.
fn check_regular_file(path: &Path) -> Result<(), OpenError> {
    let refuse = |what: &str| OpenError::Corrupt {
        path: path.to_path_buf(),
        size: 0,
        detail: format!("{what}; a segment must be a regular file written by polyq"),
    };
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(m) if m.is_dir() => Err(refuse("is a directory")),
        Ok(_) => Err(refuse("is not a regular file (a pipe, socket or device)")),
        Err(e) => Err(refuse(&format!("cannot be read ({e}): a dangling link?"))),
    }
}

/// Holds the segments found to what their successors' chain records say: a segment is as
/// long as it was when the next one began (an older segment cut at a frame boundary passes
/// every checksum), and the segments before the oldest one found were deleted by polyq
/// (only after a [`Record::Collected`] record), not removed by hand or lost.
fn check_chain(
    dir: &Path,
    sizes: &BTreeMap<u64, u64>,
    starts: &BTreeMap<u64, (u64, u64)>,
    collected: u64,
) -> Result<(), OpenError> {
    for (&number, &(previous_len, _)) in starts {
        let Some(previous) = number.checked_sub(1) else {
            continue;
        };
        if let Some(&size) = sizes.get(&previous) {
            if size != previous_len {
                return Err(OpenError::Corrupt {
                    path: dir.join(segment::segment_name(previous)),
                    size,
                    detail: format!(
                        "it is {size} bytes long, but segment {number} began when it was \
                         {previous_len} bytes long: it was cut or added to after it was closed"
                    ),
                });
            }
        }
    }
    let Some((&first, _)) = sizes.first_key_value() else {
        return Ok(());
    };
    if let Some(&(_, oldest)) = starts.get(&first) {
        if oldest < first && collected < first - 1 {
            return Err(OpenError::Corrupt {
                path: dir.join(segment::segment_name(first - 1)),
                size: 0,
                detail: format!(
                    "segment {} is missing: segment {first} began when segments from {oldest} \
                     on were kept, and the log records no deletion of it (polyq deletes old \
                     segments only after saying so in the log), so a file was removed by hand \
                     or lost",
                    first - 1
                ),
            });
        }
    }
    Ok(())
}

pub(crate) fn recover(dir: &Path) -> Result<Recovered, OpenError> {
    let numbers = list_segments(dir)?;
    let mut replay = Replay::default();
    let mut id_prefix = None;
    let mut repair = None;
    // Size of each segment replayed (after cutting a torn end).
    let mut sizes = BTreeMap::new();
    for (i, &number) in numbers.iter().enumerate() {
        let path = dir.join(segment::segment_name(number));
        let data = std::fs::read(&path).map_err(|source| OpenError::Io {
            dir: dir.to_path_buf(),
            source,
        })?;
        let corrupt = |detail: String| OpenError::Corrupt {
            path: path.clone(),
            size: data.len() as u64,
            detail,
        };
        let newest = i + 1 == numbers.len();
        let scanned = segment::scan(&data, newest).map_err(|e| match e {
            ScanError::Version(found) => OpenError::IncompatibleVersion {
                path: path.clone(),
                found: i64::from(found),
                supported: i64::from(FORMAT_VERSION),
            },
            ScanError::Corrupt(detail) => corrupt(detail),
        })?;
        let mut kept = data.len() as u64;
        if let Some(torn) = scanned.torn {
            kept = torn.keep;
            repair = Some(Repair {
                path: path.clone(),
                keep: torn.keep,
                what: torn.what,
            });
            if torn.keep == 0 {
                continue;
            }
        }
        if scanned.number != number {
            return Err(corrupt(format!(
                "its header says it is segment {}",
                scanned.number
            )));
        }
        match id_prefix {
            None => id_prefix = Some(scanned.id_prefix),
            Some(p) if p != scanned.id_prefix => {
                return Err(corrupt(
                    "it belongs to another store (its id salt differs from the older \
                     segments')"
                        .into(),
                ))
            }
            Some(_) => {}
        }
        replay.tracker.add_segment(number, kept);
        sizes.insert(number, kept);
        for frame in scanned.frames {
            let offset = frame.start;
            record::decode_each(&data[frame], |record, len| {
                replay.apply(number, record, len)
            })
            .map_err(|e| {
                corrupt(format!(
                    "a record in the frame at offset {offset} is unreadable although its \
                     checksum holds: {e}"
                ))
            })?;
        }
    }
    check_chain(dir, &sizes, &replay.starts, replay.collected)?;
    let (restorer, catalog, tracker, messages) = replay.into_restorer();
    Ok(Recovered {
        restorer,
        catalog,
        tracker,
        id_prefix,
        newest: numbers.last().copied().unwrap_or(0),
        messages,
        repair,
    })
}
