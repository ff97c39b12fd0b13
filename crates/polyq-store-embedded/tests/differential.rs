//! The core's differential test against the embedded store: seeded random operations given
//! alike to the memory engine and to an embedded store that restarts at random, with log
//! segments of 4 KiB so that rotation, compaction and segment deletion run all the time.
//! Every answer, and after each restart every queue and message, must be the same (see
//! `polyq_core::conformance::differential`; `POLYQ_DIFF_SEEDS=N` runs more seeds).

use polyq_core::conformance::differential::{differential, seeds};
use polyq_core::QueueStore;
use polyq_store_embedded::EmbeddedStore;

/// Segments this small rotate every few commits.
const SEGMENT: u64 = 4 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_embedded_store_answers_as_the_memory_engine() {
    for seed in seeds() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        differential(seed, || {
            let store = EmbeddedStore::open_with(&data, SEGMENT).expect("open the store");
            std::future::ready(Box::new(store) as Box<dyn QueueStore>)
        })
        .await;
    }
}
