#!/usr/bin/env bash
# The tools' real --metrics-file outputs (issue 15): the bundled examples through the whole
# pipeline, with a metrics file on every tool, twice; then:
#   - promtool check metrics on every file, and Tests/Ops/check.py --outputs (the same rules as
#     the fixtures: names, HELP, TYPE, labels, order, always-written series, numbers);
#   - counters add up across runs (runs_total 2, records_in doubled), the run's end and success;
#   - a failed run still writes its file (exit code, failures_total) and keeps the last success;
#   - a metrics file that cannot be written changes no exit status (one warning);
#   - tsfm-forecast's per-request log events carry the fields docs/records.md lists.
# Usage: Tests/Ops/metrics-pipeline.sh BIN. Prints 'ok …'/'FAIL …' and 'metrics-pipeline: N passed, M failed'.
set -u
cd "$(dirname "$0")/../.."
BIN="$(cd "$1" && pwd)"
. Tests/Ops/lib.sh
export XDG_STATE_HOME="$tmp/state"
M="$tmp/metrics"
mkdir -p "$M"
# Port 9 (discard) refuses connections: tollama is "down", so the client's families move too.
URL=http://127.0.0.1:9
value() { sed -n "s/^$2 \(.*\)$/\1/p" "$M/$1"; }

pipeline() {
  "$BIN/tsfm-prep" --backtest --order time --stride 6 --future-steps 84 --markets examples/markets.ndjson \
      --metrics-file "$M/tsfm-prep.prom" --metrics-pipeline calibrate examples/quotes.ndjson > "$tmp/bt.ndjson" &&
  "$BIN/tsfm-forecast" --tollama-url "$URL" --retries 0 --metrics-file "$M/tsfm-forecast.prom" --metrics-pipeline calibrate \
      "$tmp/bt.ndjson" 2>/dev/null > "$tmp/raw.ndjson" &&
  "$BIN/tsfm-post" --metrics-file "$M/tsfm-post.prom" --metrics-pipeline calibrate "$tmp/raw.ndjson" > "$tmp/safe.ndjson" &&
  "$BIN/tsfm-conformal" fit --min-samples 100 --exclude-latest 0.2 --out-dir "$tmp/params" --force \
      --metrics-file "$M/tsfm-conformal-fit.prom" --metrics-pipeline calibrate "$tmp/safe.ndjson" 2>/dev/null &&
  "$BIN/tsfm-conformal" apply --params "$tmp/params/latest" --metrics-file "$M/tsfm-conformal-apply.prom" \
      --metrics-pipeline calibrate "$tmp/safe.ndjson" > "$tmp/cal.ndjson" &&
  "$BIN/tsfm-eval" --split time:0.2 --metrics-file "$M/tsfm-eval.prom" --metrics-pipeline calibrate "$tmp/cal.ndjson" > /dev/null &&
  "$BIN/tsfm-prep" actuals --quotes examples/quotes.ndjson --metrics-file "$M/tsfm-prep-actuals.prom" \
      --metrics-pipeline calibrate "$tmp/safe.ndjson" > /dev/null &&
  "$BIN/tsfm-gate" alerts --state-dir "$XDG_STATE_HOME/tsfm" --metrics-file "$M/tsfm-gate-alerts.prom" \
      --metrics-pipeline calibrate "$tmp/cal.ndjson" > /dev/null
}

check "the pipeline runs with --metrics-file on every tool" pipeline
first_in="$(value tsfm-post.prom 'tsfm_records_in_total{tool="tsfm-post",pipeline="calibrate"}')"
check "the pipeline runs a second time" pipeline
check "eight metrics files written" '[ "$(ls "$M"/*.prom | wc -l)" = 8 ]'
for f in "$M"/*.prom; do
  if promtool check metrics < "$f" > "$tmp/out" 2>&1; then ok "promtool check metrics $(basename "$f")"
  else fail "promtool check metrics $(basename "$f")"; cat "$tmp/out"; fi
done
python3 Tests/Ops/check.py --outputs "$M" > "$tmp/check" 2>&1; grep FAIL "$tmp/check"
check "Tests/Ops/check.py accepts every tool output" '! grep -q "^FAIL" "$tmp/check" && [ "$(grep -c "metrics tool output" "$tmp/check")" = 8 ]'

for f in "$M"/*.prom; do
  tool="$(sed -n 's/^tsfm_runs_total{tool="\([^"]*\)".*/\1/p' "$f")"
  check "$(basename "$f"): runs_total counts both runs" "[ \"\$(value $(basename "$f") 'tsfm_runs_total{tool=\"$tool\",pipeline=\"calibrate\"}')\" = 2 ]"
  check "$(basename "$f"): the last run ended with status 0 and succeeded then" \
    "[ \"\$(value $(basename "$f") 'tsfm_last_run_exit_code{tool=\"$tool\",pipeline=\"calibrate\"}')\" = 0 ] && \
     [ \"\$(value $(basename "$f") 'tsfm_last_success_timestamp_seconds{tool=\"$tool\",pipeline=\"calibrate\"}')\" = \
       \"\$(value $(basename "$f") 'tsfm_last_run_timestamp_seconds{tool=\"$tool\",pipeline=\"calibrate\"}')\" ]"
done
second_in="$(value tsfm-post.prom 'tsfm_records_in_total{tool="tsfm-post",pipeline="calibrate"}')"
check "records_in_total doubles over two runs ($first_in, $second_in)" '[ -n "$first_in" ] && [ "$first_in" -gt 0 ] && [ "$second_in" = $((2 * first_in)) ]'
check "tsfm-forecast counted tollama calls and their errors" \
  'c="$(value tsfm-forecast.prom "tsfm_tollama_calls_total{tool=\"tsfm-forecast\",pipeline=\"calibrate\"}")"; e="$(value tsfm-forecast.prom "tsfm_tollama_call_errors_total{tool=\"tsfm-forecast\",pipeline=\"calibrate\",reason=\"tollama_unreachable\"}")"; [ "$c" -gt 0 ] && [ "$c" = "$e" ]'
check "tsfm-forecast: model-bound requests are all fallbacks of the runtime's reasons" \
  'grep -q "tsfm_tollama_breaker_open{tool=\"tsfm-forecast\",pipeline=\"calibrate\"} 1" "$M/tsfm-forecast.prom"'

# A failed run: one bad line, exit 65; its file says so and keeps the previous success.
before="$(value tsfm-post.prom 'tsfm_last_success_timestamp_seconds{tool="tsfm-post",pipeline="calibrate"}')"
echo 'not json' | "$BIN/tsfm-post" --metrics-file "$M/tsfm-post.prom" --metrics-pipeline calibrate > /dev/null 2>&1
status=$?
check "a bad line still exits 65 with --metrics-file" '[ "$status" = 65 ]'
check "the failed run's file: exit code 65, failures 1, runs 3, last success unchanged" \
  '[ "$(value tsfm-post.prom "tsfm_last_run_exit_code{tool=\"tsfm-post\",pipeline=\"calibrate\"}")" = 65 ] &&
   [ "$(value tsfm-post.prom "tsfm_run_failures_total{tool=\"tsfm-post\",pipeline=\"calibrate\"}")" = 1 ] &&
   [ "$(value tsfm-post.prom "tsfm_runs_total{tool=\"tsfm-post\",pipeline=\"calibrate\"}")" = 3 ] &&
   [ "$(value tsfm-post.prom "tsfm_last_success_timestamp_seconds{tool=\"tsfm-post\",pipeline=\"calibrate\"}")" = "$before" ]'
check "no temporary file is left beside the metrics files" '[ -z "$(ls -A "$M" | grep -v "\.prom$")" ]'

# A metrics file that cannot be written: exit status unchanged, one warning naming the path.
"$BIN/tsfm-post" --metrics-file "$tmp/missing-dir/post.prom" "$tmp/raw.ndjson" > /dev/null 2> "$tmp/err"
status=$?
check "an unwritable metrics file leaves exit 0" '[ "$status" = 0 ]'
check "… and warns once, naming the path" '[ "$(grep -c "cannot write metrics file $tmp/missing-dir/post.prom" "$tmp/err")" = 1 ]'
check "--metrics-pipeline is checked (exit 64)" '"$BIN/tsfm-post" --metrics-pipeline Bad-Name < /dev/null > /dev/null 2>&1; [ $? = 64 ]'

# Per-request log events (docs/records.md, "Per-request log").
head -20 "$tmp/bt.ndjson" | "$BIN/tsfm-forecast" --runtime baseline --log-level info > /dev/null 2> "$tmp/log"
python3 - "$tmp/log" <<'PY' && ok "tsfm-forecast --log-level info: one 'forecast' event per request with every documented field" || fail "per-request log events"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
fc = [e for e in events if e.get("msg") == "forecast"]
want = ["level", "tool", "msg", "market_id", "as_of_ts", "model", "model_version", "input_len", "missing_ratio", "warnings",
        "runtime", "band_source", "fallback_reason", "cached", "latency_ms", "request_id"]
assert len(fc) == 20, len(fc)
for e in fc:
    assert list(e) == want, list(e)
    assert e["level"] == "info" and e["runtime"] == "baseline" and isinstance(e["latency_ms"], (int, float))
    assert isinstance(e["warnings"], list) and isinstance(e["input_len"], int)
PY
check "the default log level (warning) writes no per-request event" \
  '[ "$(head -20 "$tmp/bt.ndjson" | "$BIN/tsfm-forecast" --runtime baseline 2>&1 >/dev/null | grep -c "\"msg\":\"forecast\"")" = 0 ]'

echo "metrics-pipeline: $passed passed, $failed failed"
[ "$failed" = 0 ]
