//! Versioned schema migrations, applied at connect by whichever node gets there first.
//!
//! All migrations run in one transaction under a transaction-scoped advisory lock keyed by the
//! schema, so nodes starting together wait for each other instead of racing on `CREATE`; the
//! `polyq_schema_version` table records what is applied, so a restart applies nothing twice.
//! A migration is never edited once released: changes are new entries at the end.
//! See ARCHITECTURE.md ("polyq-store-postgres — design notes") for why the tables look the
//! way they do.

use tokio_postgres::Client;

use crate::error::db;
use polyq_core::CoreError;

/// (version, statements). Each statement is run as is, in order.
pub(crate) const MIGRATIONS: &[(i32, &[&str])] = &[
    (
        1,
        &[
            "CREATE TABLE polyq_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "CREATE SEQUENCE polyq_message_seq",
            "CREATE SEQUENCE polyq_queue_seq",
            // Names compare bytewise (COLLATE \"C\") so listing order is the same as the memory
            // engine's whatever the database's default collation is.
            "CREATE TABLE polyq_queues (
            id BIGINT PRIMARY KEY DEFAULT nextval('polyq_queue_seq'),
            name TEXT COLLATE \"C\" NOT NULL UNIQUE,
            created_ms BIGINT NOT NULL,
            modified_ms BIGINT NOT NULL,
            fifo BOOLEAN NOT NULL,
            dlq_name TEXT COLLATE \"C\",
            max_receives INT,
            config TEXT NOT NULL
        )",
            // Only (queue_id, priority, seq), (queue_id, group_id, seq) and expires_ms are indexed:
            // a lease or visibility change writes only unindexed columns, so with the fillfactor
            // headroom it is a HOT update (no new index entries, page-local pruning).
            "CREATE TABLE polyq_messages (
            seq BIGINT PRIMARY KEY,
            queue_id BIGINT NOT NULL,
            priority SMALLINT NOT NULL,
            enqueued_ms BIGINT NOT NULL,
            visible_ms BIGINT NOT NULL,
            expires_ms BIGINT,
            in_flight BOOLEAN NOT NULL DEFAULT FALSE,
            lease BIGINT NOT NULL DEFAULT 0,
            receive_count INT NOT NULL DEFAULT 0,
            first_receive_ms BIGINT,
            group_id TEXT,
            dedup_id TEXT,
            sequence_number BIGINT,
            sender_id TEXT,
            dead_letter_source TEXT,
            attrs TEXT,
            body BYTEA NOT NULL
        ) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.01,
                autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_delay = 1,
                autovacuum_analyze_scale_factor = 0.02)",
            "CREATE INDEX polyq_messages_order ON polyq_messages (queue_id, priority, seq)",
            "CREATE INDEX polyq_messages_group ON polyq_messages (queue_id, group_id, seq)
            WHERE group_id IS NOT NULL",
            "CREATE INDEX polyq_messages_expiry ON polyq_messages (expires_ms)
            WHERE expires_ms IS NOT NULL",
            "CREATE TABLE polyq_dedup (
            queue_id BIGINT NOT NULL,
            key TEXT NOT NULL,
            seq BIGINT NOT NULL,
            expires_ms BIGINT NOT NULL,
            PRIMARY KEY (queue_id, key)
        ) WITH (autovacuum_vacuum_scale_factor = 0.02)",
            "CREATE INDEX polyq_dedup_expiry ON polyq_dedup (expires_ms)",
            "CREATE TABLE polyq_attempts (
            queue_id BIGINT NOT NULL,
            attempt_id TEXT NOT NULL,
            seqs BIGINT[] NOT NULL,
            leases BIGINT[] NOT NULL,
            expires_ms BIGINT NOT NULL,
            PRIMARY KEY (queue_id, attempt_id)
        )",
            "CREATE INDEX polyq_attempts_expiry ON polyq_attempts (expires_ms)",
        ],
    ),
    // When the current (or latest) lease began, for SQS's cap on the total visibility timeout
    // of one receive. NULL for messages leased before this version: no cap is counted for
    // them until their next receive. Unindexed, like the other columns a lease writes (HOT).
    (
        2,
        &["ALTER TABLE polyq_messages ADD COLUMN last_receive_ms BIGINT"],
    ),
    // Version 3: when each message of a receive attempt was to become visible, as the attempt
    // (or its latest retry) left it: a retry replays only messages whose visibility nobody
    // changed since (AWS: "if none of the messages have been modified"). NULL for attempts
    // recorded before this version: those replay on the lease generation alone, as before.
    (
        3,
        &["ALTER TABLE polyq_attempts ADD COLUMN visibles BIGINT[]"],
    ),
];

/// Applies every migration not yet applied; returns the schema version now in force.
pub(crate) async fn migrate(
    client: &mut Client,
    schema: Option<&str>,
    lock_key: i64,
    now: u64,
) -> Result<i32, CoreError> {
    let tx = client.transaction().await.map_err(db)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock_key])
        .await
        .map_err(db)?;
    if let Some(s) = schema {
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{s}\""))
            .await
            .map_err(db)?;
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS polyq_schema_version (
            version INT PRIMARY KEY, applied_ms BIGINT NOT NULL)",
    )
    .await
    .map_err(db)?;
    let row = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM polyq_schema_version",
            &[],
        )
        .await
        .map_err(db)?;
    let applied: i32 = row.get(0);
    let mut current = applied;
    let known = MIGRATIONS.last().map(|m| m.0).unwrap_or(0);
    if applied > known {
        return Err(CoreError::Storage(format!(
            "postgres schema is at version {applied}, newer than this polyq knows ({known}); \
             upgrade polyq"
        )));
    }
    for (version, statements) in MIGRATIONS.iter().filter(|m| m.0 > applied) {
        for sql in statements.iter() {
            tx.batch_execute(sql).await.map_err(db)?;
        }
        tx.execute(
            "INSERT INTO polyq_schema_version (version, applied_ms) VALUES ($1, $2)",
            &[version, &(now as i64)],
        )
        .await
        .map_err(db)?;
        current = *version;
    }
    tx.commit().await.map_err(db)?;
    Ok(current)
}

/// Reads the id prefix every node of this database uses, creating it on first start.
pub(crate) async fn id_prefix(client: &Client) -> Result<u64, CoreError> {
    let fresh = random_u64().to_string();
    client
        .execute(
            "INSERT INTO polyq_meta (key, value) VALUES ('id_prefix', $1) ON CONFLICT DO NOTHING",
            &[&fresh],
        )
        .await
        .map_err(db)?;
    let row = client
        .query_one("SELECT value FROM polyq_meta WHERE key = 'id_prefix'", &[])
        .await
        .map_err(db)?;
    let text: String = row.get(0);
    text.parse().map_err(|_| crate::error::corrupt("id prefix"))
}

fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}
