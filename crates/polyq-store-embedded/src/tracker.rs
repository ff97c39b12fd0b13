//! Which segments still matter: for every live message, the segment holding its latest full
//! copy (the last `MessagePut`), and per segment how many such copies and bytes it holds.
//!
//! A segment whose live count is zero holds nothing needed any more, except that its lease and
//! removal records may refer to messages put in older segments; that is why segments are only
//! ever deleted oldest first (see [`crate::log`]). A FIFO deduplication record pins its segment
//! until it expires. Queue definitions never pin a segment: every segment starts with a copy.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use polyq_core::memory::Change;

use crate::catalog::Catalog;

/// Where the latest full copy of a live message is.
struct Loc {
    segment: u64,
    bytes: u32,
    queue: Arc<str>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SegmentUse {
    /// Size of the file.
    pub size: u64,
    /// Live messages whose latest copy is in this segment, and the bytes of those copies.
    pub live: u64,
    pub live_bytes: u64,
    /// Latest expiry of the deduplication records written to this segment.
    pub dedup_until: u64,
}

impl SegmentUse {
    /// Whether nothing in the segment is needed any more at time `now_ms` (given that every
    /// older segment is gone).
    pub fn unneeded(&self, now_ms: u64) -> bool {
        self.live == 0 && self.dedup_until <= now_ms
    }
}

#[derive(Default)]
pub(crate) struct Tracker {
    // foldhash: SipHash's DoS resistance is not needed for sequence numbers we assign.
    live: HashMap<u64, Loc, foldhash::fast::RandomState>,
    segments: BTreeMap<u64, SegmentUse>,
}

impl Tracker {
    /// A segment now exists (empty or, at start, with the size found on disk).
    pub fn add_segment(&mut self, number: u64, size: u64) {
        self.segments.entry(number).or_default().size = size;
    }

    pub fn grow(&mut self, number: u64, by: u64) {
        if let Some(s) = self.segments.get_mut(&number) {
            s.size += by;
        }
    }

    pub fn segment(&self, number: u64) -> Option<SegmentUse> {
        self.segments.get(&number).copied()
    }

    /// The oldest segment and its use.
    pub fn oldest(&self) -> Option<(u64, SegmentUse)> {
        self.segments.first_key_value().map(|(n, s)| (*n, *s))
    }

    /// The newest of the oldest segments that are no longer needed, in a row from the
    /// oldest, short of `newest` (which is written to): what can be deleted now.
    pub fn collectable(&self, newest: u64, now_ms: u64) -> Option<u64> {
        self.segments
            .iter()
            .take_while(|(n, s)| **n != newest && s.unneeded(now_ms))
            .last()
            .map(|(n, _)| *n)
    }

    pub fn forget_segment(&mut self, number: u64) {
        let gone = self.segments.remove(&number);
        debug_assert!(gone.is_none_or(|s| s.live == 0));
    }

    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// Total size of the segments.
    pub fn disk_bytes(&self) -> u64 {
        self.segments.values().map(|s| s.size).sum()
    }

    /// A full copy of message `seq` of `queue` was written to `segment`.
    pub fn put(&mut self, seq: u64, queue: Arc<str>, segment: u64, bytes: u32) {
        let loc = Loc {
            segment,
            bytes,
            queue,
        };
        if let Some(old) = self.live.insert(seq, loc) {
            self.release(&old);
        }
        let s = self.segments.entry(segment).or_default();
        s.live += 1;
        s.live_bytes += u64::from(bytes);
    }

    /// A deduplication record expiring at `expires_ms` was written to `segment`.
    pub fn dedup(&mut self, segment: u64, expires_ms: u64) {
        let s = self.segments.entry(segment).or_default();
        s.dedup_until = s.dedup_until.max(expires_ms);
    }

    /// Message `seq` is gone.
    pub fn remove(&mut self, seq: u64) {
        if let Some(old) = self.live.remove(&seq) {
            self.release(&old);
        }
    }

    /// Every message of `queue` is gone (purge, deletion).
    pub fn remove_queue(&mut self, queue: &str) {
        let mut gone = Vec::new();
        self.live.retain(|_, loc| {
            let keep = &*loc.queue != queue;
            if !keep {
                gone.push((loc.segment, loc.bytes));
            }
            keep
        });
        for (segment, bytes) in gone {
            self.release_at(segment, bytes);
        }
    }

    /// Bytes of the latest copies of all live messages.
    pub fn live_bytes(&self) -> u64 {
        self.segments.values().map(|s| s.live_bytes).sum()
    }

    /// Takes the effect of a record of `len` bytes just written to (or read from) `segment`
    /// whose change the catalog accepted (see [`Catalog::note`]).
    pub fn apply(&mut self, change: &Change, segment: u64, len: usize, catalog: &Catalog) {
        match change {
            Change::MessagePut { queue, message } => {
                if let Some(queue) = catalog.name(queue) {
                    let len = u32::try_from(len).unwrap_or(u32::MAX);
                    self.put(message.seq, queue, segment, len);
                }
            }
            Change::MessageRemove { seq } => self.remove(*seq),
            Change::QueueDelete { name } | Change::QueuePurge { name } => self.remove_queue(name),
            Change::Dedup { record, .. } => self.dedup(segment, record.expires_ms),
            Change::QueuePut { .. } | Change::MessageLease { .. } => {}
        }
    }

    /// The live messages whose latest copy is in `segment`, by queue, at most `max`.
    pub fn pinning(&self, segment: u64, max: usize) -> BTreeMap<Arc<str>, Vec<u64>> {
        let mut out: BTreeMap<Arc<str>, Vec<u64>> = BTreeMap::new();
        for (seq, loc) in self
            .live
            .iter()
            .filter(|(_, l)| l.segment == segment)
            .take(max)
        {
            out.entry(loc.queue.clone()).or_default().push(*seq);
        }
        out
    }

    fn release(&mut self, loc: &Loc) {
        self.release_at(loc.segment, loc.bytes);
    }

    fn release_at(&mut self, segment: u64, bytes: u32) {
        if let Some(s) = self.segments.get_mut(&segment) {
            s.live -= 1;
            s.live_bytes -= u64::from(bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_puts_moves_and_removals() {
        let mut t = Tracker::default();
        let q: Arc<str> = "q".into();
        let r: Arc<str> = "r".into();
        t.add_segment(1, 100);
        t.add_segment(2, 0);
        t.put(10, q.clone(), 1, 30);
        t.put(11, q.clone(), 1, 20);
        t.put(12, r.clone(), 1, 5);
        assert_eq!(t.segment(1).unwrap().live, 3);
        // A newer copy moves the message to segment 2.
        t.put(10, q.clone(), 2, 31);
        assert_eq!(
            (t.segment(1).unwrap().live, t.segment(1).unwrap().live_bytes),
            (2, 25)
        );
        assert_eq!(t.segment(2).unwrap().live_bytes, 31);
        let pins = t.pinning(1, 10);
        assert_eq!(pins[&q], [11]);
        assert_eq!(pins[&r], [12]);
        t.remove(11);
        t.remove(11);
        t.remove_queue("r");
        t.dedup(1, 500);
        let first = t.segment(1).unwrap();
        assert_eq!((first.size, first.live, first.live_bytes), (100, 0, 0));
        assert!(!first.unneeded(499), "a live deduplication record pins it");
        assert!(first.unneeded(500));
        assert_eq!(t.oldest().unwrap().0, 1);
        t.forget_segment(1);
        t.grow(2, 50);
        let second = t.oldest().unwrap();
        assert_eq!(
            (second.0, second.1.size, second.1.live, second.1.live_bytes),
            (2, 50, 1, 31)
        );
        assert!(!second.1.unneeded(u64::MAX));
        assert_eq!((t.segment_count(), t.disk_bytes()), (1, 50));
    }
}
