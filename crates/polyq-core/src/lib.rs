//! polyq-core: the one queue model every dialect speaks and every store keeps.
//!
//! It holds the superset semantics (priority, delay, visibility, expiry, receive counts,
//! dead-letter redrive, FIFO groups and deduplication), the [`QueueService`] that dialects
//! call, the object-safe [`QueueStore`] seam that storage engines implement, the in-memory
//! engine, the [`Clock`] abstraction, and the store conformance suite.
//!
//! This crate must not depend on any other polyq crate: dialects and stores depend on it.

pub mod clock;
pub mod conformance;
pub mod error;
pub mod faults;
pub mod ids;
pub mod memory;
pub mod model;
pub mod move_tasks;
pub mod service;
pub mod store;
pub mod waiters;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{CoreError, CoreResult};
pub use ids::Receipt;
pub use memory::MemoryStore;
pub use model::*;
pub use service::{Internal, QueueService, ReceiveOptions};
pub use store::{QueueStore, QueueUpdate};
