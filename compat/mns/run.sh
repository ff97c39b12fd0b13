#!/usr/bin/env bash
# Out-of-process compatibility suite for the MNS dialect, driven by the official Python SDK
# (PyPI aliyun-mns-sdk, module `mns`) against the built binary.
#
#   bash compat/mns/run.sh [path-to-polyq-binary]     (default: target/debug/polyq)
#
# Does not build Rust: build the binary first (cargo build -p polyq). Creates or refreshes
# compat/mns/.venv from the pinned requirements.txt, starts two servers on free loopback
# ports (dev mode, and enforce mode with credential polyq/polyq-secret), runs pytest, and
# stops them. Extra pytest arguments: COMPAT_PYTEST_ARGS (e.g. "-k batch -x").
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../store.sh
source "$HERE/../store.sh"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"
cd "$REPO_ROOT"

BIN=${1:-target/debug/polyq}
case "$BIN" in
    /*) ;;
    *) BIN="$REPO_ROOT/$BIN" ;;
esac
if [[ ! -x "$BIN" ]]; then
    echo "compat/mns: polyq binary not found or not executable: $BIN" >&2
    echo "compat/mns: build it first, e.g. 'cargo build -p polyq'" >&2
    exit 2
fi

PYTHON=${PYTHON:-python3}
VENV="$HERE/.venv"
REQ="$HERE/requirements.txt"
want="$(sha256sum "$REQ" | cut -d' ' -f1) $("$PYTHON" -c 'import sys;print(sys.version.split()[0])')"
have=""
[[ -f "$VENV/.requirements.sha256" ]] && have=$(cat "$VENV/.requirements.sha256")
if [[ ! -x "$VENV/bin/python" || "$have" != "$want" ]]; then
    echo "compat/mns: creating $VENV from $REQ"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --progress-bar off -r "$REQ"
    echo "$want" >"$VENV/.requirements.sha256"
fi
"$VENV/bin/python" -c 'import mns.account, mns.queue' # fail early if the SDK does not import

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    "$PYTHON" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'
}

# start_server LABEL VAR ARGS...: starts the binary on a free port and sets VAR to its
# endpoint (not via $(...): the server's pid must be recorded in this shell).
start_server() {
    local label=$1 var=$2 port
    shift 2
    port=$(free_port)
    store=$(compat_store "mns-$label" "$WORK")
    "$BIN" serve --listen "127.0.0.1:$port" --store "$store" "$@" >"$WORK/$label.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 150); do
        if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
            printf -v "$var" '%s' "http://127.0.0.1:$port"
            return 0
        fi
        sleep 0.2
    done
    echo "compat/mns: $label server did not become healthy; its log:" >&2
    tail -n 40 "$WORK/$label.log" >&2
    return 1
}

cat >"$WORK/enforce.toml" <<'TOML'
auth = "enforce"
[[credentials]]
access_key_id = "polyq"
secret_access_key = "polyq-secret"
TOML

DEV="" ENFORCE=""
start_server dev DEV
start_server enforce ENFORCE --config "$WORK/enforce.toml" --auth enforce

status=0
POLYQ_MNS_ENDPOINT="$DEV" POLYQ_MNS_ENFORCE_ENDPOINT="$ENFORCE" \
    "$VENV/bin/python" -m pytest -c "$HERE/pytest.ini" --rootdir "$HERE" --confcutdir "$HERE" \
    ${COMPAT_PYTEST_ARGS:-} "$HERE" || status=$?
if [[ $status -ne 0 ]]; then
    for label in dev enforce; do
        echo "---- compat/mns: last lines of the $label server log ----" >&2
        tail -n 30 "$WORK/$label.log" >&2 || true
    done
fi
exit $status
