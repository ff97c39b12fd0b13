//! The core's differential test against PostgreSQL: seeded random operations given alike to the
//! memory engine and to a PostgreSQL store (one schema per seed) that reconnects at random
//! moments. Every answer, and after each reconnect every queue and message, must be the same
//! (see `polyq_core::conformance::differential`; `POLYQ_DIFF_SEEDS=N` runs more seeds). Skips
//! (and says so) without a server, unless `POLYQ_REQUIRE_POSTGRES=1`.

mod support;

use polyq_core::conformance::differential::{differential, seeds};
use polyq_core::QueueStore;
use polyq_store_postgres::PostgresStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_answers_as_the_memory_engine() {
    for seed in seeds() {
        let Some(schema) = support::fresh_schema().await else {
            return;
        };
        let url = schema.url("&pool_size=2");
        differential(seed, || {
            let url = url.clone();
            async move {
                let store = PostgresStore::connect(&url).await.expect("connect");
                Box::new(store) as Box<dyn QueueStore>
            }
        })
        .await;
    }
}
