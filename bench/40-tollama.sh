#!/usr/bin/env bash
# tsfm-forecast against a tollama stand-in (Tests/Support/tollama_standin.py, `mock` model), and
# against the real daemon when `make test-daemon` has installed it (.build/tollama-venv).
# 1. The top-N cycle of issue 5: 200 requests, a daemon that answers in 100 ms; defaults
#    (batches of 50, adaptive concurrency up to 8) and --batch-size 1. Targets: <= 1 s and <= 5 s.
# 2. Client overhead: 2,000 calls to an instant local daemon, one in flight. The stand-in is
#    Python, so wall time mostly measures it; the client's own cost is its CPU time (user +
#    sys) per call. Target: <= 1 ms per call (>= 1,000 calls/s on one core).
# 3. The real daemon (tollama 0.1.0 serves one call at a time): the 200-request cycle with
#    defaults (goal <= 1 s), by batch size, and one series per call at --concurrency 64.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

daemon() { # daemon DELAY_MS: starts a stand-in, sets URL and DAEMON_PID
  local port="$WORK/.port-$1"
  rm -f "$port"
  python3 "$ROOT/Tests/Support/tollama_standin.py" --delay-ms "$1" >"$port" &
  DAEMON_PID=$!
  for _ in $(seq 1 200); do [ -s "$port" ] && break; sleep 0.1; done
  [ -s "$port" ] || { echo "the stand-in daemon did not start"; exit 1; }
  URL="http://127.0.0.1:$(cat "$port")"
}
trap 'kill "${DAEMON_PID:-}" 2>/dev/null || true' EXIT

f="$WORK/cycle-200.ndjson"
"$BIN/tsfm-bench" requests 200 >"$f"
opts=(--runtime tollama --model mock --no-cache --baseline-only-share 1 --state-dir "$WORK/state")

check() { # every request must have been served by the model, or the timing means nothing
  local served; served=$("$@" | grep -c '"runtime":"tollama"' || true)
  [ "$served" -eq "$expect" ] || { echo "only $served of $expect requests were served by the stand-in"; exit 1; }
}

daemon 100
expect=200
check "$BIN/tsfm-forecast" "${opts[@]}" --tollama-url "$URL" "$f"
measure "cycle 200 req, 100 ms, defaults" "$(stat -c %s "$f")" 200 -- "$BIN/tsfm-forecast" "${opts[@]}" --tollama-url "$URL" "$f"
measure "cycle 200 req, 100 ms, batch 1" "$(stat -c %s "$f")" 200 -- "$BIN/tsfm-forecast" "${opts[@]}" --tollama-url "$URL" --batch-size 1 "$f"
kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true

n=2000
g="$WORK/overhead-$n.ndjson"
"$BIN/tsfm-bench" requests "$n" >"$g"
daemon 0
expect=$n
check "$BIN/tsfm-forecast" "${opts[@]}" --tollama-url "$URL" --concurrency 1 --batch-size 1 "$g"
rows=()
for _ in 1 2 3; do
  /usr/bin/time -f "%e %U %S" -o "$WORK/.time" "$BIN/tsfm-forecast" "${opts[@]}" --tollama-url "$URL" --concurrency 1 --batch-size 1 "$g" >/dev/null
  rows+=("$(tail -1 "$WORK/.time")")
done
printf '%s\n' "${rows[@]}" | sort -g -k1 | sed -n 2p | awk -v n="$n" '{
  printf "%-32s %8.3f s  %12.0f calls/s  client CPU %.3f ms/call (%.0f calls/s per core)\n",
    "overhead " n " calls, instant", $1, n / $1, ($2 + $3) * 1000 / n, n / ($2 + $3) }'
kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=

# 3. The real daemon, when installed (make test-daemon puts it in .build/tollama-venv).
TOLLAMA="${TOLLAMA_BIN:-$ROOT/.build/tollama-venv/bin/tollama}"
if [ ! -x "$TOLLAMA" ]; then
  echo "real tollama daemon: not installed (run make test-daemon first, or set TOLLAMA_BIN); skipped"
  exit 0
fi
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
URL="http://127.0.0.1:$PORT"
TOLLAMA_HOME="$WORK/tollama-home" setsid "$TOLLAMA" serve --host 127.0.0.1 --port "$PORT" >"$WORK/tollama.log" 2>&1 &
DAEMON_PID=$!
# The daemon and its runner share the process group setsid gave it.
trap 'kill -KILL -- "-${DAEMON_PID:-0}" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  s=0; "$BIN/tsfm-forecast" health --tollama-url "$URL" --model mock >/dev/null 2>&1 || s=$?
  [ "$s" != 69 ] && break; sleep 0.1
done
python3 - "$URL" <<'EOF'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/api/pull", data=json.dumps({"model": "mock", "stream": False}).encode(),
                             headers={"Content-Type": "application/json"})
urllib.request.urlopen(req, timeout=60).read()
EOF
expect=200
check "$BIN/tsfm-forecast" "${opts[@]}" --tollama-url "$URL" "$f"
measure "real daemon, 200 req, defaults" "$(stat -c %s "$f")" 200 -- "$BIN/tsfm-forecast" "${opts[@]}" --tollama-url "$URL" "$f"
for b in 10 25 100 200; do
  measure "real daemon, 200 req, batch $b" "$(stat -c %s "$f")" 200 -- "$BIN/tsfm-forecast" "${opts[@]}" --tollama-url "$URL" --batch-size "$b" "$f"
done
check "$BIN/tsfm-forecast" "${opts[@]}" --tollama-url "$URL" --batch-size 1 --concurrency 64 "$f"
measure "real daemon, batch 1, conc. 64" "$(stat -c %s "$f")" 200 -- "$BIN/tsfm-forecast" "${opts[@]}" --tollama-url "$URL" --batch-size 1 --concurrency 64 "$f"
