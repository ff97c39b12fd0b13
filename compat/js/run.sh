#!/usr/bin/env bash
# The official JavaScript SDKs (AWS SDK v3, Azure Storage Queue, Alibaba MNS) against the
# built binary, every *.test.mjs here:  bash compat/js/run.sh [path-to-polyq]   (installs node_modules here itself)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-$here/../../target/debug/polyq}"
# Absolute: the server starts after the cd below.
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "compat/js: node and npm are needed; skipped"
  exit 0
fi
cd "$here"
if [ ! -d node_modules ] || ! cmp -s package-lock.json node_modules/.polyq-lock 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.polyq-lock
fi
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
log="$(mktemp -t polyq-js-compat.XXXXXX.log)"
# shellcheck source=../store.sh
source "$here/../store.sh"
data="$(mktemp -d -t polyq-js-compat-data.XXXXXX)"
# QueueDeletedRecently enforced as on AWS (the JS tests use a fresh name for every queue; the
# Python suites run with the default, where a deleted name is free at once).
"$bin" serve --listen "127.0.0.1:$port" --store "$(compat_store js "$data")" \
  --sqs-queue-deleted-recently >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done
status=0
POLYQ_ENDPOINT="http://127.0.0.1:$port" node --no-warnings --test ./*.test.mjs || status=$?
if [ "$status" -ne 0 ]; then echo "--- server log ---"; tail -n 50 "$log"; fi
exit "$status"
