#!/usr/bin/env bash
# Runs moto's own SQS test files (from moto's source distribution on PyPI, unpacked into a
# throwaway directory; nothing of it is kept in this repository) against a polyq server, in
# moto's server mode. Not part of CI: moto's suite encodes some of moto's own answers where
# they differ from AWS (see docs/compatibility.md, "moto's own suite"), so it is a tool for
# finding differences, not a pass/fail gate.
#
# Usage: compat/moto_suite.sh [path-to-polyq] [--store memory|DIR] [extra pytest args...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-$here/../target/release/polyq}"
shift || true
store=memory
if [ "${1:-}" = "--store" ]; then store="$2"; shift 2; fi
moto_version=5.2.6
work="$(mktemp -d -t polyq-moto-suite.XXXXXX)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "moto[server]==$moto_version" pytest pytest-timeout freezegun
"$work/venv/bin/pip" download -q --no-binary :all: --no-deps -d "$work" "moto==$moto_version"
tar xzf "$work/moto-$moto_version.tar.gz" -C "$work"
port="$("$work/venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
# moto's tests expect its default account.
"$bin" serve --listen "127.0.0.1:$port" --store "$store" --account-id 123456789012 \
  >"$work/polyq.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
cd "$work/moto-$moto_version"
TEST_SERVER_MODE=true TEST_SERVER_MODE_ENDPOINT="http://127.0.0.1:$port" \
AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
  "$work/venv/bin/python" -m pytest -q -p no:cacheprovider --timeout 60 -rf \
  tests/test_sqs/test_sqs.py tests/test_sqs/test_server.py \
  tests/test_sqs/test_sqs_message_attributes.py tests/test_sqs/test_sqs_authentication.py "$@"
