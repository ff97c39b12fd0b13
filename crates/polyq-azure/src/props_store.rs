//! Where each account's queue service properties live: in the extras of an internal core queue
//! (see [`polyq_core::INTERNAL_QUEUE_PREFIX`]), so they are as durable as queues (a restart of
//! an embedded-store server keeps its CORS rules) and shared by the nodes of one PostgreSQL
//! store. Every response needs the account's CORS rules, so each node keeps a copy and reads
//! the store again once that copy is a second old: a change made through another node shows
//! here within a second, one made here at once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use polyq_core::{CoreError, QueueService};

use crate::error::AzResult;
use crate::props::ServiceProps;

/// The internal queue holding every account's service properties.
pub const SERVICE_QUEUE: &str = "~azure-service";
/// Extras key of one account's properties (the rendered `StorageServiceProperties` document).
const KEY_PREFIX: &str = "azure.service-properties.";
/// How long a node answers from its copy before reading the store again.
const FRESH_FOR: Duration = Duration::from_secs(1);

fn key(account: &str) -> String {
    format!("{KEY_PREFIX}{account}")
}

#[derive(Default)]
pub(crate) struct PropsStore {
    copies: Mutex<HashMap<String, (Arc<ServiceProps>, Instant)>>,
}

impl PropsStore {
    /// The account's properties. A store that cannot be read leaves the last copy (or the
    /// defaults) in use, logged: CORS headers must not turn a served request into an error.
    pub async fn get(&self, service: &QueueService, account: &str) -> Arc<ServiceProps> {
        if let Some((props, read)) = self.copies.lock().get(account) {
            if read.elapsed() < FRESH_FOR {
                return props.clone();
            }
        }
        match read(service, account).await {
            Ok(props) => self.keep(account, Arc::new(props)),
            Err(e) => {
                // Kept as if just read, so the store is asked (and this logged) at most once a
                // second while it fails, not on every request.
                tracing::warn!(account, error = %e, "reading Azure service properties failed; using the last known ones");
                let last = self.copies.lock().get(account).map(|(p, _)| p.clone());
                self.keep(account, last.unwrap_or_default())
            }
        }
    }

    /// Applies a Set Queue Service Properties body to the stored properties and stores the
    /// result. Nothing is stored when the body is refused.
    pub async fn set(&self, service: &QueueService, account: &str, body: &[u8]) -> AzResult<()> {
        let mut props = read(service, account).await?;
        props.apply(body)?;
        service
            .internal()
            .set_setting(SERVICE_QUEUE, &key(account), props.render())
            .await?;
        self.keep(account, Arc::new(props));
        Ok(())
    }

    /// Keeps `props` as this node's copy, fresh from now.
    fn keep(&self, account: &str, props: Arc<ServiceProps>) -> Arc<ServiceProps> {
        self.copies
            .lock()
            .insert(account.to_string(), (props.clone(), Instant::now()));
        props
    }
}

/// The stored properties of `account`, the defaults when none were ever set.
async fn read(service: &QueueService, account: &str) -> Result<ServiceProps, CoreError> {
    let stored = service
        .internal()
        .setting(SERVICE_QUEUE, &key(account))
        .await?;
    let mut props = ServiceProps::default();
    if let Some(document) = stored {
        if props.restore(document.as_bytes()).is_err() {
            // Only this module writes it, from `render`; a document it cannot read back is a
            // bug, not the user's input.
            tracing::error!(
                account,
                "stored Azure service properties do not parse; using the defaults"
            );
            props = ServiceProps::default();
        }
    }
    Ok(props)
}
