//! Errors of the queue model. Dialects map each variant to their vendor's code with an
//! exhaustive `match` (no `_ =>`), so adding a variant forces every dialect to decide.

use thiserror::Error;

pub type CoreResult<T> = Result<T, CoreError>;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CoreError {
    /// No queue of that name.
    #[error("queue {0} does not exist")]
    QueueNotFound(String),
    /// The receipt handle / pop receipt cannot be decoded at all.
    #[error("receipt handle is malformed")]
    ReceiptInvalid,
    /// The receipt names a lease that has since been superseded (the message was leased again
    /// or its receipt was renewed).
    #[error("receipt handle is stale: the message was leased again since")]
    ReceiptStale,
    /// The message named by a receipt or id no longer exists (deleted, expired, moved).
    #[error("message does not exist")]
    MessageNotFound,
    /// A visibility change was asked for a message that is not currently leased.
    #[error("message is not in flight")]
    MessageNotInFlight,
    /// A visibility change would keep the message hidden longer after its receive than the
    /// cap it asked for ([`crate::VisibilityChange::max_total_seconds`], in seconds).
    #[error("total visibility timeout for the message is beyond the limit [{0} seconds]")]
    VisibilityBeyondLimit(u32),
    /// A request that is valid for the dialect but not for the queue model (e.g. a FIFO send
    /// without a group).
    #[error("{0}")]
    InvalidArgument(String),
    /// A message move task is already running for this source queue.
    #[error("{0}")]
    Conflict(String),
    /// The store failed (I/O, database). Maps to the dialect's 5xx error.
    #[error("storage failure: {0}")]
    Storage(String),
    /// The server is shutting down or the store is unreachable; retry later.
    #[error("service unavailable: {0}")]
    Unavailable(String),
}
