//! polyq-store-embedded: the default, durable single-node store (`polyq serve` without
//! `--store memory`).
//!
//! The in-memory engine of polyq-core stays authoritative at run time; this crate attaches a
//! [`Journal`](polyq_core::memory::Journal) to it, writes every change to a SQLite database in
//! the data directory through one writer thread that commits many requests per fsync (group
//! commit), answers a state-changing request only once its change is on disk, and rebuilds the
//! engine from the database on start. See `DESIGN-NOTES.md` beside this crate for the format,
//! the failure model and the measurements.
//!
//! This crate depends on `polyq-core` only, never on a dialect, the HTTP layer or the binary.

mod codec;
mod dir;
mod error;
mod load;
mod schema;
mod sql;
mod store;
mod writer;

pub use error::OpenError;
pub use schema::{DB_FILE, FORMAT_VERSION};
pub use store::EmbeddedStore;
