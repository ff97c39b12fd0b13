//! The store conformance suite: one set of behaviours every [`QueueStore`] must show, run by
//! each store crate through [`store_conformance_tests!`](crate::store_conformance_tests).
//!
//! Each case gets a fresh, empty store and drives time itself through the `now` argument, so no
//! case sleeps.

pub mod differential;

use bytes::Bytes;

use crate::error::CoreError;
use crate::model::*;
use crate::store::QueueStore;
use crate::Receipt;

/// A fixed start time (2023-11-14) so cases are reproducible.
pub const T0: u64 = 1_700_000_000_000;
pub(crate) const SEC: u64 = 1000;

/// Generates one `#[tokio::test]` per conformance case. `$factory` is an expression that
/// evaluates to a future yielding a fresh store (evaluated once per case).
#[macro_export]
macro_rules! store_conformance_tests {
    ($factory:expr) => {
        $crate::__conformance_cases!($factory;
            create_get_list_delete, create_existing_reports_it, list_prefix_and_paging,
            update_queue_config, send_lease_delete_roundtrip, priority_then_send_order,
            delay_hides_until_due, visibility_expiry_redelivers, stale_and_unknown_receipts,
            delete_leased_only_while_leased, change_visibility_semantics, visibility_total_cap,
            dead_letter_after_max_receives, fifo_group_blocking,
            fifo_group_turns, fifo_dead_letter_dedup_id, fifo_delay_is_retroactive,
            fifo_dedup_window, fifo_dedup_scope_change, expiry_and_ttl, purge_removes_everything, peek_and_get_message,
            move_messages_back_to_source, attempt_id_replays_lease, stats_track_states,
            missing_queue_errors, update_message_replaces_body
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cases {
    ($factory:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let store = $factory.await;
                $crate::conformance::$case(&store).await;
            }
        )*
    };
}

pub(crate) fn body(text: &str) -> NewMessage {
    NewMessage {
        body: Bytes::copy_from_slice(text.as_bytes()),
        ..Default::default()
    }
}

pub(crate) fn lease(max: usize, vis: u32) -> LeaseRequest {
    LeaseRequest {
        max_messages: max,
        visibility_seconds: Some(vis),
        attempt_id: None,
    }
}

pub(crate) fn texts(msgs: &[Message]) -> Vec<String> {
    msgs.iter()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect()
}

pub(crate) async fn make(store: &dyn QueueStore, name: &str, config: QueueConfig) {
    match store.create_queue(name, config, T0).await.unwrap() {
        CreateOutcome::Created(info) => assert_eq!(info.name, name),
        CreateOutcome::Exists(_) => panic!("queue {name} already existed in a fresh store"),
    }
}

pub(crate) async fn send_all(
    store: &dyn QueueStore,
    q: &str,
    msgs: Vec<NewMessage>,
    now: u64,
) -> Vec<Sent> {
    store
        .send(q, msgs, now)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.unwrap())
        .collect()
}

pub(crate) fn fifo() -> QueueConfig {
    QueueConfig {
        fifo: true,
        ..Default::default()
    }
}

pub(crate) fn grouped(text: &str, group: &str, dedup: &str) -> NewMessage {
    NewMessage {
        group_id: Some(group.into()),
        dedup_id: Some(dedup.into()),
        ..body(text)
    }
}

mod messages;
mod queues;
mod redrive_fifo;

pub use messages::*;
pub use queues::*;
pub use redrive_fifo::*;
