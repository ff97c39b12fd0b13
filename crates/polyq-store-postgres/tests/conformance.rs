//! The core's store conformance suite against a real PostgreSQL, each case in a fresh schema.
//! Skips (and says so) without a server, unless `POLYQ_REQUIRE_POSTGRES=1`.

mod support;

polyq_core::store_conformance_tests!(match support::fresh_store().await {
    Some(store) => std::future::ready(store),
    None => return,
});
