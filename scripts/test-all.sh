#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this).
# Needs: a Rust toolchain, python3 (venvs are created under compat/), network access to
# crates.io and PyPI on the first run. Takes ~15-25 minutes on a 2-core machine from clean.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s ===\n' "$*"; }

step "services"
# The PostgreSQL store's tests need the server on 127.0.0.1:5432. Start the local cluster if it
# is installed but down; in CI its tests must run, never skip.
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  fi
fi
if [ -n "${CI:-}" ]; then
  export POLYQ_REQUIRE_POSTGRES=1
fi
pg_isready -h 127.0.0.1 -p 5432 2>/dev/null || echo "PostgreSQL is not reachable: its tests will say they are skipped"

step "format"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "build"
cargo build --workspace --all-targets --quiet

step "rustdoc (no broken or private intra-doc links)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

step "unit, conformance, golden and integration tests"
# CARGO_TARGET_DIR moves the build out of the tree.
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
mkdir -p "$target_dir"
cargo test --workspace --quiet 2>&1 | tee "$target_dir/cargo-test.log"
grep -q "test result:" "$target_dir/cargo-test.log"

bin="$target_dir/debug/polyq"

step "SQS compatibility with the real AWS SDKs (boto3 JSON + query, AWS CLI)"
bash compat/run.sh "$bin"

for dialect in mns azure js; do
  if [ -f "compat/$dialect/run.sh" ]; then
    step "$dialect compatibility with the vendor SDKs"
    bash "compat/$dialect/run.sh" "$bin"
  fi
done

# The same SDK suites on the stores users run: the default embedded store (a fresh data
# directory per server) and PostgreSQL (a fresh schema per server, dropped afterwards).
stores=(embedded)
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  stores+=("postgres://postgres@127.0.0.1:5432/test")
elif [ -n "${CI:-}" ]; then
  echo "PostgreSQL is required in CI for the SDK suites on the PostgreSQL store" >&2
  exit 1
fi
drop_compat_schemas() {
  psql -q -h 127.0.0.1 -U postgres -d test -Atc "select 'drop schema if exists \"' || nspname || '\" cascade;' from pg_namespace where nspname like 'compat\_%'" \
    | PGOPTIONS="-c client_min_messages=warning" psql -q -h 127.0.0.1 -U postgres -d test >/dev/null
}
for store in "${stores[@]}"; do
  step "the SDK suites on the ${store%%:*} store"
  export POLYQ_COMPAT_STORE="$store"
  bash compat/run.sh "$bin"
  for dialect in mns azure js; do
    bash "compat/$dialect/run.sh" "$bin"
  done
  unset POLYQ_COMPAT_STORE
  if [[ "$store" == postgres* ]] && command -v psql >/dev/null 2>&1; then
    drop_compat_schemas
  fi
done

step "all suites passed"
