#!/usr/bin/env bash
# `make test-daemon`: tsfm-forecast against the real tollama daemon (not the stand-in), mock model.
#   Tests/Daemon/run.sh [BIN_DIR]
# The daemon comes from a tollama source: $TOLLAMA_SRC (a path or any pip requirement), else
# ../shared/vendor/tollama-*.tar.gz beside the repository. It is installed once into a virtual
# environment under .build/tollama-venv (dependencies from the package index), started on
# 127.0.0.1 on a free port with its own TOLLAMA_HOME, and stopped by this script. Without a
# source the test says so and skips (exit 0). Nothing here asserts on timings; `timeout` only
# turns a hang into a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="$(cd "${1:-.build/debug}" && pwd)"
export PATH="$BIN:$PATH"
unset TOLLAMA_API_KEY TOLLAMA_BASE_URL

SRC="${TOLLAMA_SRC:-}"
if [ -z "$SRC" ]; then
  for f in ../shared/vendor/tollama-*.tar.gz; do
    if [ -f "$f" ]; then SRC="$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"; fi
  done
fi
if [ -z "$SRC" ]; then
  echo "test-daemon: skipped: no tollama source (../shared/vendor/tollama-*.tar.gz is absent; set TOLLAMA_SRC to a path or pip requirement)"
  exit 0
fi

VENV=.build/tollama-venv
if [ ! -x "$VENV/bin/tollama" ] || [ "$(cat "$VENV/.source" 2>/dev/null)" != "$SRC" ]; then
  echo "test-daemon: installing tollama from $SRC into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "$SRC"
  echo "$SRC" >"$VENV/.source"
fi

WORK="$(mktemp -d)"
DAEMON_PID=
stop_daemon() {
  # The daemon and its runner processes share the process group setsid gave it.
  if [ -n "$DAEMON_PID" ]; then kill -KILL -- "-$DAEMON_PID" 2>/dev/null || true; wait "$DAEMON_PID" 2>/dev/null || true; fi
  DAEMON_PID=
}
SECOND_PID=
stop_second() {
  if [ -n "$SECOND_PID" ]; then kill -KILL -- "-$SECOND_PID" 2>/dev/null || true; wait "$SECOND_PID" 2>/dev/null || true; fi
  SECOND_PID=
}
trap 'stop_daemon; stop_second; rm -rf "$WORK"' EXIT
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
URL="http://127.0.0.1:$PORT"
export TOLLAMA_HOME="$WORK/home"

start_daemon() {
  setsid "$VENV/bin/tollama" serve --host 127.0.0.1 --port "$PORT" >>"$WORK/daemon.log" 2>&1 &
  DAEMON_PID=$!
  for _ in $(seq 1 300); do
    local s=0
    tsfm-forecast health --tollama-url "$URL" --model mock --state-dir "$WORK/health" >/dev/null 2>&1 || s=$?
    [ "$s" != 69 ] && return 0
    sleep 0.1
  done
  echo "FAIL the daemon did not start"; cat "$WORK/daemon.log"; exit 1
}
pull_mock() {
  python3 - "$URL" <<'EOF'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/api/pull", data=json.dumps({"model": "mock", "stream": False}).encode(),
                             headers={"Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req, timeout=60)).get("status"))
EOF
}

failed=0
# A check: `expect "what"` names it, then `{ CONDITION; } && pass || fail` (an && || list, so a
# failed condition does not end the script under set -e).
expect() { WHAT="$1"; }
pass() { echo "ok   $WHAT"; }
fail() { echo "FAIL $WHAT"; failed=$((failed + 1)); }
served() { grep -c '"runtime":"tollama"' "$1" || true; }
lines() { wc -l <"$1" | tr -d ' '; }
warnings() { grep -c ': warning: ' "$1" || true; }
# forecast NAME ARGS...: runs tsfm-forecast (bounded), keeps stdout, stderr and the status.
forecast() {
  local name="$1"; shift
  local s=0
  timeout 120 tsfm-forecast --tollama-url "$URL" --model mock --log-format text "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || s=$?
  echo "$s" >"$WORK/$name.status"
}
status() { cat "$WORK/$1.status"; }

REQ=examples/requests.ndjson          # 12 requests, 7 the policy sends to the model
tsfm-bench requests 200 >"$WORK/cycle.ndjson"
CYCLE="$WORK/cycle.ndjson"
STATE="$WORK/state"

start_daemon
echo "test-daemon: tollama $("$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('tollama'))") on $URL"

# 1. The model is not pulled: a configuration problem, not an outage.
forecast missing --state-dir "$STATE" "$REQ"
expect "model not pulled: exit 78"
{ [ "$(status missing)" = 78 ]; } && pass || fail
expect "model not pulled: every record written"
{ [ "$(lines "$WORK/missing.out")" = 12 ]; } && pass || fail
expect "model not pulled: model_not_installed for the 7 model-bound requests"
{ [ "$(grep -c '"fallback_reason":"model_not_installed"' "$WORK/missing.out")" = 7 ]; } && pass || fail
expect "model not pulled: one warning, with the fix"
{ [ "$(warnings "$WORK/missing.err")" = 1 ] && grep -q 'tollama pull mock' "$WORK/missing.err"; } && pass || fail
s=0; tsfm-forecast health --tollama-url "$URL" --model mock --state-dir "$STATE" >"$WORK/health1.out" 2>"$WORK/health1.err" || s=$?
expect "model not pulled: health exits 78 with the hint"
{ [ "$s" = 78 ] && grep -q 'tollama pull mock' "$WORK/health1.err"; } && pass || fail

pull_mock >/dev/null
forecast pulled --state-dir "$STATE" "$REQ"
expect "after tollama pull: served at once"
{ [ "$(served "$WORK/pulled.out")" = 7 ] && [ "$(status pulled)" = 0 ]; } && pass || fail

# 2. The pipeline on the bundled examples, served by the model.
tsfm-prep --markets examples/markets.ndjson examples/quotes.ndjson >"$WORK/live.requests"
forecast live --state-dir "$STATE" --no-cache "$WORK/live.requests"
tsfm-post <"$WORK/live.out" >"$WORK/live.post"
expect "pipeline: every record through prep, forecast and post"
{ [ "$(lines "$WORK/live.post")" = "$(lines "$WORK/live.requests")" ]; } && pass || fail
expect "pipeline: served by the model where the policy allows, no tollama failure"
{ [ "$(served "$WORK/live.out")" -gt 0 ] && ! grep -Eq '"fallback_reason":"(tollama|circuit|model_not|baseline_only)' "$WORK/live.out"; } && pass || fail
expect "pipeline: meta.model_version is the daemon's digest of mock"
{ [ "$(grep '"runtime":"tollama"' "$WORK/live.out" | grep -vc '"model_version":"local"')" = 0 ]; } && pass || fail
expect "pipeline: the logit round trip is exact (mock answers the last value)"
{ python3 - "$WORK/live.out" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["meta"]["runtime"] != "tollama":
        continue
    last = r["y"][-1]
    for values in r["yhat_q"].values():
        assert all(abs(v - last) <= 1e-12 * max(1.0, abs(last)) for v in values), (r["market_id"], last, values)
EOF
} && pass || fail

# 3. A cycle of 200 requests: defaults, a high --concurrency, and one series per call.
forecast cycle-defaults --runtime tollama --no-cache --state-dir "$STATE" "$CYCLE"
expect "200 requests, defaults: 200 served"
{ [ "$(served "$WORK/cycle-defaults.out")" = 200 ]; } && pass || fail
forecast cycle-c64 --runtime tollama --no-cache --state-dir "$STATE" --concurrency 64 "$CYCLE"
expect "200 requests, --concurrency 64: 200 served"
{ [ "$(served "$WORK/cycle-c64.out")" = 200 ]; } && pass || fail
forecast cycle-c64-b1 --runtime tollama --no-cache --state-dir "$STATE" --concurrency 64 --batch-size 1 "$CYCLE"
expect "200 requests, --concurrency 64 --batch-size 1: 200 served (no queue of timeouts)"
{ [ "$(served "$WORK/cycle-c64-b1.out")" = 200 ]; } && pass || fail

# 4. Auth on (the daemon re-reads its config.json): no token, then the token.
KEY="tsfm-test-$RANDOM$RANDOM"
printf '{"auth": {"api_keys": ["%s"]}}\n' "$KEY" >"$TOLLAMA_HOME/config.json"
forecast noauth --state-dir "$STATE" --no-cache "$REQ"
expect "token missing: exit 78"
{ [ "$(status noauth)" = 78 ]; } && pass || fail
expect "token missing: every record written, 401 for the model-bound ones"
{ [ "$(lines "$WORK/noauth.out")" = 12 ] && [ "$(grep -c '"fallback_reason":"tollama_http_401"' "$WORK/noauth.out")" = 7 ]; } && pass || fail
expect "token missing: one warning, naming TOLLAMA_API_KEY"
{ [ "$(warnings "$WORK/noauth.err")" = 1 ] && grep -q 'TOLLAMA_API_KEY' "$WORK/noauth.err"; } && pass || fail
s=0; tsfm-forecast health --tollama-url "$URL" --model mock --state-dir "$STATE" >/dev/null 2>"$WORK/health2.err" || s=$?
expect "token missing: health exits 78 with the hint"
{ [ "$s" = 78 ] && grep -q 'TOLLAMA_API_KEY' "$WORK/health2.err"; } && pass || fail
TOLLAMA_API_KEY="$KEY" forecast auth --state-dir "$STATE" --no-cache "$REQ"
expect "with the token: served at once"
{ [ "$(served "$WORK/auth.out")" = 7 ] && [ "$(status auth)" = 0 ]; } && pass || fail
expect "the token is in no log"
{ ! grep -q "$KEY" "$WORK"/*.err; } && pass || fail
rm -f "$TOLLAMA_HOME/config.json"

# 5. The daemon killed mid-run: every record, no hang.
(sleep 1; stop_daemon) &
killer=$!
forecast killed --runtime tollama --no-cache --state-dir "$STATE" --batch-size 1 --concurrency 1 "$CYCLE"
wait "$killer" || true
DAEMON_PID=
expect "killed mid-run: no hang, exit 0"
{ [ "$(status killed)" = 0 ]; } && pass || fail
expect "killed mid-run: all 200 records"
{ [ "$(lines "$WORK/killed.out")" = 200 ]; } && pass || fail
n="$(served "$WORK/killed.out")"
expect "killed mid-run: served before the kill ($n), baselines after"
{ [ "$n" -gt 0 ] && [ "$n" -lt 200 ]; } && pass || fail

# 6. Restarted on the same address: served again once the cool-down has passed.
start_daemon
sleep 2
forecast restarted --runtime tollama --no-cache --state-dir "$STATE" --breaker-cooldown 2s "$CYCLE"
expect "restarted: served again after the cool-down"
{ [ "$(served "$WORK/restarted.out")" = 200 ]; } && pass || fail

# 7. Two daemons (--tollama-url A,B): both serve; the second killed mid-run, the survivor takes
# its load (every batch it failed goes to the other), so every record is served by the model.
PORT2="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
URL2="http://127.0.0.1:$PORT2"
mkdir -p "$WORK/home2"
TOLLAMA_HOME="$WORK/home2" setsid "$VENV/bin/tollama" serve --host 127.0.0.1 --port "$PORT2" >>"$WORK/daemon2.log" 2>&1 &
SECOND_PID=$!
for _ in $(seq 1 300); do
  s=0; tsfm-forecast health --tollama-url "$URL2" --model mock --state-dir "$WORK/health" >/dev/null 2>&1 || s=$?
  [ "$s" != 69 ] && break
  sleep 0.1
done
URL="$URL2" pull_mock >/dev/null
s=0; tsfm-forecast health --tollama-url "$URL,$URL2" --model mock --state-dir "$WORK/two" >"$WORK/health-two.out" 2>/dev/null || s=$?
expect "two daemons: health reports each (two lines, both reachable), exit 0"
{ [ "$s" = 0 ] && [ "$(lines "$WORK/health-two.out")" = 2 ] && [ "$(grep -c '"reachable":true' "$WORK/health-two.out")" = 2 ] \
  && grep -q "$URL2" "$WORK/health-two.out"; } && pass || fail
two() { # name ARGS...
  local name="$1"; shift
  local s=0
  timeout 120 tsfm-forecast --tollama-url "$URL,$URL2" --model mock --runtime tollama --no-cache --log-level info "$@" \
    "$CYCLE" >"$WORK/$name.out" 2>"$WORK/$name.err" || s=$?
  echo "$s" >"$WORK/$name.status"
}
# The load each daemon served, from the run's closing info line: "served":[A,B].
shares() { grep '"tollama daemons"' "$WORK/$1.err" | python3 -c 'import json,sys; print(*json.loads(sys.stdin.readline())["served"])'; }
two both --state-dir "$WORK/two"
read -r a b <<<"$(shares both)"
expect "two daemons: 200 served, spread over both ($a + $b)"
{ [ "$(served "$WORK/both.out")" = 200 ] && [ "$a" -gt 0 ] && [ "$b" -gt 0 ]; } && pass || fail
(sleep 1; stop_second) &
killer=$!
two killed2 --state-dir "$WORK/two-killed" --batch-size 1 --concurrency 2
wait "$killer" || true
SECOND_PID=
read -r a b <<<"$(shares killed2)"
expect "second daemon killed mid-run: exit 0, all 200 records, every one served by the model"
{ [ "$(status killed2)" = 0 ] && [ "$(lines "$WORK/killed2.out")" = 200 ] && [ "$(served "$WORK/killed2.out")" = 200 ]; } && pass || fail
expect "second daemon killed mid-run: it served some before ($b), the survivor the rest ($a)"
{ [ "$b" -gt 0 ] && [ "$a" -gt "$b" ] && [ $((a + b)) = 200 ]; } && pass || fail

stop_second
stop_daemon
if [ "$failed" -gt 0 ]; then
  echo "test-daemon: $failed failed"; echo "--- daemon log (tail)"; tail -20 "$WORK/daemon.log"
  for f in "$WORK"/*.err; do echo "--- $f"; head -5 "$f"; done
  exit 1
fi
echo "test-daemon: all passed"

