#!/usr/bin/env bash
# Measures polyq against the targets of docs/benchmarks.md: full-cycle throughput per dialect,
# single SendMessage against the bare-HTTP baseline, receive latency with a backlog of 1k and
# 1M messages, long-poll wake-up latency, and resident memory per stored message. Everything
# on loopback, each run bounded.
#
#   bash bench/targets.sh              # 10 s per scenario
#   DURATION=20s bash bench/targets.sh
#   MEM_MESSAGES=100000 bash bench/targets.sh   # smaller memory scenario (default 1,000,000)
set -euo pipefail

DURATION=${DURATION:-10s}
HOST=127.0.0.1
PORT=${PORT:-19334}
PORT_BASE=${PORT_BASE:-19634}
MEM_PORT=${MEM_PORT:-19335}
MEM_MESSAGES=${MEM_MESSAGES:-1000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${JSON_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/polyq-targets.XXXXXX")}
mkdir -p "$OUT"

(cd "$ROOT" && cargo build --release -p polyq --quiet)
BIN=$(mktemp "${TMPDIR:-/tmp}/polyq-bin.XXXXXX")
# CARGO_TARGET_DIR moves the build out of the tree.
cp "${CARGO_TARGET_DIR:-$ROOT/target}/release/polyq" "$BIN"
chmod +x "$BIN"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -f "$BIN"
}
trap cleanup EXIT

# A port already taken would have the scenarios measure whatever holds it: refuse instead.
for port in "$PORT" "$PORT_BASE" "$MEM_PORT"; do
    if (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then
        echo "targets: port $HOST:$port is already in use; stop what listens there or set PORT / PORT_BASE / MEM_PORT" >&2
        exit 1
    fi
done

"$BIN" serve --store memory --listen "$HOST:$PORT" --log warn >/dev/null 2>&1 &
PIDS+=($!)
"$BIN" bench --baseline-server "$HOST:$PORT_BASE" --duration 1h >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://$HOST:$PORT/health" && curl -s -o /dev/null "http://$HOST:$PORT_BASE/" && break
    sleep 0.1
done

run() { # label endpoint-port args...
    local label=$1 port=$2
    shift 2
    echo "targets: $label: $*" >&2
    # shellcheck disable=SC2068
    "$BIN" bench --endpoint "http://$HOST:$port" --json --quiet $@ >"$OUT/$label.json"
}

CYCLE="--mode cycle --producers 2 --consumers 4 --batch 10 --wait-seconds 1 --duration $DURATION"
run cycle-sqs-json "$PORT" --dialect sqs-json $CYCLE
run cycle-sqs-query "$PORT" --dialect sqs-query $CYCLE
run cycle-mns "$PORT" --dialect mns $CYCLE
run cycle-azure "$PORT" --dialect azure --mode cycle --producers 12 --consumers 4 --duration "$DURATION"
SEND1="--dialect sqs-json --mode send --producers 8 --batch 1 --duration $DURATION"
run send1-polyq "$PORT" $SEND1
run send1-baseline "$PORT_BASE" $SEND1
# Constant backlog: open loops of 200 send and 200 receive requests/s (2,000 messages/s each way).
BACKLOG="--dialect sqs-json --mode cycle --producers 2 --consumers 2 --batch 10 --rate 200 --receive-rate 200 --wait-seconds 0 --duration $DURATION"
run backlog-1k "$PORT" $BACKLOG --prefill 1000
run backlog-1m "$PORT" $BACKLOG --prefill 1000000
# Long-poll wake-up: 100 single sends/s, consumers parked in 20 s long polls.
run wakeup "$PORT" --dialect sqs-json --mode cycle --producers 1 --consumers 2 --batch 1 --rate 100 \
    --wait-seconds 20 --duration "$DURATION"

# Memory: a fresh server's resident set before and after MEM_MESSAGES 100-byte messages are
# sent to it (and kept); the growth per message minus the body is the overhead.
"$BIN" serve --store memory --listen "$HOST:$MEM_PORT" --log warn >/dev/null 2>&1 &
MEM_PID=$!
PIDS+=("$MEM_PID")
for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://$HOST:$MEM_PORT/health" && break
    sleep 0.1
done
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; } # kB
RSS_BEFORE=$(rss "$MEM_PID")
run memory-send "$MEM_PORT" --dialect sqs-json --mode send --producers 8 --batch 10 --message-size 100 \
    --messages "$MEM_MESSAGES" --duration 300s --keep-queues
RSS_AFTER=$(rss "$MEM_PID")
echo "{\"rss_before_kb\": $RSS_BEFORE, \"rss_after_kb\": $RSS_AFTER}" >"$OUT/memory.json"
kill "$MEM_PID"

python3 - "$OUT" <<'EOF'
import json, os, sys
d = sys.argv[1]
r = {f[:-5]: json.load(open(os.path.join(d, f))) for f in os.listdir(d) if f.endswith(".json")}
ms = lambda rep, k, q: rep["latency_us"].get(k, {}).get(q, 0) / 1000
errs = lambda rep: sum(rep["errors"].values())
print(f"\n{'scenario':<16} {'sent/s':>10} {'recv/s':>10} {'deleted/s':>10} {'req/s':>10} {'recv p50':>9} {'e2e p50':>9} {'e2e p99':>9} errors")
for name in ["cycle-sqs-json", "cycle-sqs-query", "cycle-mns", "cycle-azure", "send1-polyq", "send1-baseline", "backlog-1k", "backlog-1m", "wakeup"]:
    x = r[name]
    print(f"{name:<16} {x['sent_per_s']:>10.0f} {x['received_per_s']:>10.0f} {x['deleted_per_s']:>10.0f} {x['requests_per_s']:>10.0f} "
          f"{ms(x, 'receive', 'p50'):>9.3f} {ms(x, 'end_to_end', 'p50'):>9.3f} {ms(x, 'end_to_end', 'p99'):>9.3f} {errs(x)}")
base = r["cycle-sqs-json"]["deleted_per_s"]
print(f"\nfull cycle, SQS JSON: {base:.0f} msg/s (target >= 50,000)")
for k in ["cycle-mns", "cycle-azure"]:
    v = r[k]["deleted_per_s"]
    print(f"  {k}: {v:.0f} msg/s = {v / base * 100:.0f}% of SQS JSON (target >= 75%)")
s, b = r["send1-polyq"]["requests_per_s"], r["send1-baseline"]["requests_per_s"]
print(f"SendMessage x1: {s:.0f} req/s vs bare HTTP {b:.0f} = {s / b * 100:.0f}% (target >= 50%)")
a, z = ms(r["backlog-1k"], "receive", "p50"), ms(r["backlog-1m"], "receive", "p50")
print(f"receive p50 with 1M waiting / with 1k waiting: {z:.3f} / {a:.3f} ms = {z / a:.2f}x (target <= 1.5x)")
print(f"long-poll wake-up (send -> delivered) p99: {ms(r['wakeup'], 'end_to_end', 'p99'):.3f} ms (target < 5 ms)")
m, n = r["memory"], r["memory-send"]["sent"]
body = r["memory-send"]["message_bytes"]
per = (m["rss_after_kb"] - m["rss_before_kb"]) * 1024 / max(n, 1)
print(f"memory: RSS {m['rss_before_kb'] / 1024:.1f} MiB -> {m['rss_after_kb'] / 1024:.1f} MiB with {n:,} messages of {body} bytes: "
      f"{per:.0f} bytes per message, {per - body:.0f} beyond the body (target <= 300)")
print(f"\nJSON reports in {d}")
EOF
