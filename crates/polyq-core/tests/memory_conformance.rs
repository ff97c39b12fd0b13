//! The store conformance suite on the in-memory engine.

use polyq_core::MemoryStore;

polyq_core::store_conformance_tests!(async { MemoryStore::new() });
