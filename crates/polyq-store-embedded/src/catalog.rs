//! The part of the state every segment starts with a full copy of: the queue definitions and
//! the sequence high-water mark. Both the writer and recovery keep it with the same rules
//! ([`Catalog::note`]), so what a segment's first frame says is what replaying everything
//! before it would have said.

use std::collections::BTreeMap;
use std::sync::Arc;

use polyq_core::memory::Change;
use polyq_core::QueueConfig;

use crate::record;

pub(crate) struct QueueDef {
    /// Shared with the tracker's entries for this queue's messages.
    pub name: Arc<str>,
    pub created_ms: u64,
    pub modified_ms: u64,
    pub config: QueueConfig,
}

#[derive(Default)]
pub(crate) struct Catalog {
    pub queues: BTreeMap<String, QueueDef>,
    /// Every sequence number below this one has been used.
    pub next_seq: u64,
}

impl Catalog {
    /// Takes the change's effect on queue definitions and the sequence mark. Returns `false`
    /// for a change that is to be dropped: a message or deduplication record (or purge) of a
    /// queue that does not exist, as when a move races the deletion of its target queue.
    pub fn note(&mut self, change: &Change) -> bool {
        match change {
            Change::QueuePut {
                name,
                created_ms,
                modified_ms,
                config,
            } => {
                let def = QueueDef {
                    name: self
                        .queues
                        .get(name)
                        .map_or_else(|| name.as_str().into(), |d| d.name.clone()),
                    created_ms: *created_ms,
                    modified_ms: *modified_ms,
                    config: config.clone(),
                };
                self.queues.insert(name.clone(), def);
                true
            }
            Change::QueueDelete { name } => {
                self.queues.remove(name);
                true
            }
            Change::QueuePurge { name } => self.queues.contains_key(name),
            Change::MessagePut { queue, message } => {
                self.saw_seq(message.seq);
                self.queues.contains_key(queue)
            }
            Change::MessageLease { seq, .. } | Change::MessageRemove { seq } => {
                self.saw_seq(*seq);
                true
            }
            Change::Dedup { queue, record } => {
                self.saw_seq(record.seq);
                self.queues.contains_key(queue)
            }
        }
    }

    pub fn saw_seq(&mut self, seq: u64) {
        self.next_seq = self.next_seq.max(seq.saturating_add(1));
    }

    /// The shared name of a live queue.
    pub fn name(&self, queue: &str) -> Option<Arc<str>> {
        self.queues.get(queue).map(|d| d.name.clone())
    }

    /// Appends the records a segment starts with.
    pub fn encode_start(&self, out: &mut Vec<u8>) {
        record::encode_next_seq(self.next_seq, out);
        for (name, d) in &self.queues {
            record::encode(
                &Change::QueuePut {
                    name: name.clone(),
                    created_ms: d.created_ms,
                    modified_ms: d.modified_ms,
                    config: d.config.clone(),
                },
                out,
            );
        }
    }
}
