//! polyq-store-embedded: the default, durable single-node store (`polyq serve` without
//! `--store memory`).
//!
//! The in-memory engine of polyq-core stays authoritative at run time; this crate attaches a
//! [`Journal`](polyq_core::memory::Journal) to it, appends every change to a log of segment
//! files in the data directory through one writer thread that commits many requests per fsync
//! (group commit), answers a state-changing request only once its change is on disk, deletes
//! old segments once nothing in them is live, and rebuilds the engine from the log on start.
//! ARCHITECTURE.md ("Embedded store") has the format, the failure model and the measurements
//! that made a log preferable to SQLite here.
//!
//! This crate depends on `polyq-core` only, never on a dialect, the HTTP layer or the binary.

mod catalog;
mod dir;
mod error;
mod log;
mod record;
mod recover;
mod segment;
mod store;
mod supersede;
mod tracker;
mod waiters;
mod writer;

pub use error::OpenError;
pub use log::SEGMENT_BYTES;
pub use segment::{segment_name, FORMAT_VERSION};
pub use store::EmbeddedStore;
