#!/usr/bin/env bash
# Runs the Azure Queue Storage compatibility suite (official Python SDK) against a built polyq.
# Usage: compat/azure/run.sh [path-to-polyq] [extra pytest args...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-$here/../../target/debug/polyq}"
shift || true
venv="$here/.venv"
if [ ! -x "$venv/bin/pytest" ] || ! cmp -s "$here/requirements.txt" "$venv/.requirements"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$venv/.requirements"
fi
port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
log="$(mktemp -t polyq-azure-compat.XXXXXX.log)"
# shellcheck source=../store.sh
source "$here/../store.sh"
data="$(mktemp -d -t polyq-azure-compat-data.XXXXXX)"
"$bin" serve --listen "127.0.0.1:$port" --store "$(compat_store azure "$data")" >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
"$venv/bin/python" - "$port" <<'PY'
import sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/health"
for _ in range(100):  # 10 s at most
    try:
        urllib.request.urlopen(url, timeout=1).read()
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit("polyq did not become healthy")
PY
key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
export POLYQ_AZURE_PORT="$port"
export POLYQ_BIN="$bin"
export POLYQ_AZURE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;QueueEndpoint=http://127.0.0.1:$port/devstoreaccount1;"
status=0
"$venv/bin/pytest" -c "$here/pytest.ini" --rootdir "$here" "$here" "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server log ($log) ---"; tail -n 50 "$log"
fi
exit "$status"
