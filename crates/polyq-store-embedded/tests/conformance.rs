//! The core's store conformance suite against the embedded store, one fresh data directory
//! per case.

use polyq_store_embedded::EmbeddedStore;

polyq_core::store_conformance_tests!(async {
    let dir = tempfile::tempdir().expect("temp dir").keep();
    EmbeddedStore::open_disposable(dir).expect("open store")
});
