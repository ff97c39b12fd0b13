#!/usr/bin/env bash
# Runs the same `polyq bench` scenarios against polyq, Azurite (Azure dialect), moto's server
# (SQS) and a bare-HTTP baseline on polyq's own HTTP stack, all on loopback, in one run, and
# prints a side-by-side table with ratios.
#
#   bash bench/compare.sh                 # 10 s per scenario
#   DURATION=20s bash bench/compare.sh
#   JSON_DIR=/tmp/results bash bench/compare.sh   # keep every run's JSON report
#
# Azurite (npm, 3.35.0: the last release that runs on Node.js 20) and moto[server] (PyPI, in a
# venv) are installed into a throwaway directory, removed at exit with everything started here.
# Set WORK_DIR to reuse an install between runs (it is then kept).
set -euo pipefail

DURATION=${DURATION:-10s}
AZURITE_VERSION=${AZURITE_VERSION:-3.35.0}
MOTO_SPEC=${MOTO_SPEC:-moto[server]}
HOST=127.0.0.1
PORT_POLYQ=${PORT_POLYQ:-19324}
PORT_AZURITE=${PORT_AZURITE:-19401}
PORT_MOTO=${PORT_MOTO:-19500}
PORT_BASE=${PORT_BASE:-19600}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [[ -n "${WORK_DIR:-}" ]]; then
    WORK=$WORK_DIR
    KEEP_WORK=1
    mkdir -p "$WORK"
else
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/polyq-compare.XXXXXX")
    KEEP_WORK=0
fi
RESULTS=${JSON_DIR:-$WORK/results}
mkdir -p "$RESULTS"
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    # Azurite may take long to stop after a load run: give everything 5 s, then SIGKILL.
    for _ in $(seq 1 50); do
        local alive=0
        for pid in "${PIDS[@]}"; do
            kill -0 "$pid" 2>/dev/null && alive=1
        done
        [[ $alive == 0 ]] && break
        sleep 0.1
    done
    for pid in "${PIDS[@]}"; do
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ $KEEP_WORK == 0 ]]; then
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

log() { echo "compare: $*" >&2; }

# ---------------------------------------------------------------- build and install
log "building polyq (release)"
(cd "$ROOT" && cargo build --release -p polyq --quiet)
POLYQ="$WORK/polyq"
# CARGO_TARGET_DIR moves the build out of the tree.
cp "${CARGO_TARGET_DIR:-$ROOT/target}/release/polyq" "$POLYQ"

if [[ ! -x "$WORK/azurite/node_modules/.bin/azurite-queue" ]]; then
    log "installing azurite@$AZURITE_VERSION (npm) into $WORK/azurite"
    npm install --silent --no-audit --no-fund --prefix "$WORK/azurite" "azurite@$AZURITE_VERSION" >&2
fi
if [[ ! -x "$WORK/venv/bin/moto_server" ]]; then
    log "installing $MOTO_SPEC (PyPI) into $WORK/venv"
    python3 -m venv "$WORK/venv"
    "$WORK/venv/bin/pip" install --quiet --disable-pip-version-check "$MOTO_SPEC" >&2
fi

# ---------------------------------------------------------------- start the servers
# A port already taken would have the scenarios measure whatever holds it (a leftover polyq
# answering as "Azurite" once gave a ratio of 1x): refuse to run instead.
for port in "$PORT_POLYQ" "$PORT_AZURITE" "$PORT_MOTO" "$PORT_BASE"; do
    if (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then
        log "port $HOST:$port is already in use; stop what listens there or set PORT_POLYQ / PORT_AZURITE / PORT_MOTO / PORT_BASE"
        exit 1
    fi
done

wait_http() { # name url: bounded wait until the url answers at all
    for _ in $(seq 1 150); do
        if curl -s -o /dev/null "$2"; then
            return 0
        fi
        sleep 0.2
    done
    log "$1 did not come up at $2"
    exit 1
}

"$POLYQ" serve --store memory --listen "$HOST:$PORT_POLYQ" --log warn >"$WORK/polyq.log" 2>&1 &
PIDS+=($!)
# In memory (no --location: Azurite refuses both), telemetry off (it would try to reach the
# internet); started in $WORK so nothing lands elsewhere.
(cd "$WORK" && exec "$WORK/azurite/node_modules/.bin/azurite-queue" --queueHost "$HOST" \
    --queuePort "$PORT_AZURITE" --inMemoryPersistence --loose --skipApiVersionCheck --disableTelemetry --silent) \
    >"$WORK/azurite.log" 2>&1 &
PIDS+=($!)
"$WORK/venv/bin/moto_server" -H "$HOST" -p "$PORT_MOTO" >"$WORK/moto.log" 2>&1 &
PIDS+=($!)
"$POLYQ" bench --baseline-server "$HOST:$PORT_BASE" --duration 1h >"$WORK/baseline.log" 2>&1 &
PIDS+=($!)

wait_http polyq "http://$HOST:$PORT_POLYQ/health"
wait_http azurite "http://$HOST:$PORT_AZURITE/"
wait_http moto "http://$HOST:$PORT_MOTO/"
wait_http baseline "http://$HOST:$PORT_BASE/"
for pid in "${PIDS[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
        log "a server exited at start (see the logs in $WORK)"
        exit 1
    fi
done

# ---------------------------------------------------------------- scenarios
# name | dialect | bench arguments
SQS_CYCLE="--mode cycle --producers 2 --consumers 4 --batch 10 --wait-seconds 1"
AZ_CYCLE="--mode cycle --producers 12 --consumers 4 --wait-seconds 0"
SEND_ONE="--mode send --producers 8 --batch 1"

run() { # label server-url dialect args...
    local label=$1 url=$2 dialect=$3
    shift 3
    log "$label: $dialect $* against $url for $DURATION"
    # shellcheck disable=SC2068
    "$POLYQ" bench --endpoint "$url" --dialect "$dialect" --duration "$DURATION" --json --quiet $@ \
        >"$RESULTS/$label.json"
}

P="http://$HOST:$PORT_POLYQ"
run sqs-cycle-polyq "$P" sqs-json $SQS_CYCLE
run sqs-cycle-moto "http://$HOST:$PORT_MOTO" sqs-json $SQS_CYCLE
run azure-cycle-polyq "$P" azure $AZ_CYCLE
run azure-cycle-azurite "http://$HOST:$PORT_AZURITE" azure $AZ_CYCLE
run send1-polyq "$P" sqs-json $SEND_ONE
run send1-baseline "http://$HOST:$PORT_BASE" sqs-json $SEND_ONE

# ---------------------------------------------------------------- table
python3 - "$RESULTS" <<'EOF'
import json, sys, os
d = sys.argv[1]
def load(name):
    with open(os.path.join(d, name + ".json")) as f:
        return json.load(f)
rows = [
    ("SQS JSON full cycle, msgs deleted/s", "sqs-cycle-polyq", "sqs-cycle-moto", "moto", "deleted_per_s"),
    ("Azure full cycle, msgs deleted/s", "azure-cycle-polyq", "azure-cycle-azurite", "Azurite", "deleted_per_s"),
    ("SQS JSON SendMessage x1, requests/s", "send1-polyq", "send1-baseline", "bare HTTP", "requests_per_s"),
]
print()
print(f"{'scenario':<40} {'polyq':>11} {'other':>11} {'vs':<10} {'polyq/other':>11}  p50 ms polyq / other   errors polyq / other")
for title, a, b, other, key in rows:
    ra, rb = load(a), load(b)
    va, vb = ra[key], rb[key]
    ratio = f"{va / vb:.2f}x" if vb else "inf"
    p50 = lambda r, k: r["latency_us"].get(k, {}).get("p50", 0) / 1000
    lat = "send" if key == "requests_per_s" else "receive"
    errs = lambda r: sum(r["errors"].values())
    print(f"{title:<40} {va:>11.1f} {vb:>11.1f} {other:<10} {ratio:>11}  {p50(ra, lat):>6.2f} / {p50(rb, lat):<8.2f}  {errs(ra)} / {errs(rb)}")
    for r in (ra, rb):
        if r["errors"]:
            print(f"    errors at {r['endpoint']}: {r['errors']}")
print()
print(f"(each scenario ran for the same duration on loopback; JSON reports in {d})")
EOF
