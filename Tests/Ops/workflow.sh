#!/usr/bin/env bash
# examples/ops on the bundled data (issue 15): `make cycle calibrate` in a temporary directory,
# the metrics files through promtool and check.py, the feed and the promoted parameters; a
# calibration whose validation misses the target promotes nothing.
# Usage: Tests/Ops/workflow.sh BIN. Ends with 'workflow: N passed, M failed'.
set -u
cd "$(dirname "$0")/../.."
BIN="$(cd "$1" && pwd)"
. Tests/Ops/lib.sh
W="$tmp/work"
# No daemon in tests: the forecast step is served by baselines.
MK=(make -s -C examples/ops BIN="$BIN" WORK="$W" FORECAST_FLAGS="--runtime baseline")

"${MK[@]}" cycle > "$tmp/out" 2>&1; s=$?
check "cycle before any calibration publishes uncalibrated bands, saying so" \
  '[ $s = 0 ] && grep -q "no conformal parameters" "$tmp/out" && grep -q "\"band_source\":\"baseline\"" "$W/feed.ndjson" && ! grep -q "_conformal\"" "$W/feed.ndjson"'
rm -rf "$W"
"${MK[@]}" cycle calibrate > "$tmp/out" 2>&1; s=$?
check "make cycle calibrate: exit 0" '[ $s = 0 ]' || cat "$tmp/out"
"${MK[@]}" cycle > "$tmp/out" 2>&1; s=$?
check "the next cycle applies the new parameters (exit 0)" '[ $s = 0 ] && ! grep -q "no conformal parameters" "$tmp/out"' || cat "$tmp/out"
check "calibrate promoted validated parameters" '[ -s "$W/params/$(cat "$W/params/latest")" ] && [ -s "$W/calibrate/validation.ndjson" ]'
check "cycle published the feed: calibrated forecasts" '[ -s "$W/feed.ndjson" ] && grep -q "\"band_source\":\"baseline_conformal\"" "$W/feed.ndjson" && [ ! -e "$W/feed.ndjson.tmp" ]'
n="$(ls "$W/textfile"/*.prom 2>/dev/null | wc -l)"
check "ten metrics files: four of the cycle, six of the calibration ($n)" '[ "$n" = 10 ]'
for f in "$W/textfile"/*.prom; do
  if promtool check metrics < "$f" > "$tmp/p" 2>&1; then ok "promtool check metrics $(basename "$f")"; else fail "promtool check metrics $(basename "$f")"; cat "$tmp/p"; fi
done
python3 Tests/Ops/check.py --outputs "$W/textfile" > "$tmp/check" 2>&1
check "Tests/Ops/check.py accepts the workflow's metrics files" '! grep -q "^FAIL" "$tmp/check" && [ "$(grep -c "metrics tool output" "$tmp/check")" = 10 ]' || grep FAIL "$tmp/check"
check "the cycle's files carry pipeline=\"cycle\", the calibration's pipeline=\"calibrate\"" \
  '! grep -h "^tsfm_" "$W/textfile"/*-cycle.prom | grep -vq "pipeline=\"cycle\"" && ! grep -h "^tsfm_" "$W/textfile"/*-calibrate.prom | grep -vq "pipeline=\"calibrate\""'
check "the cycle's counters add up over the two cycles" 'grep -q "^tsfm_runs_total{tool=\"tsfm-post\",pipeline=\"cycle\"} 2$" "$W/textfile/tsfm-post-cycle.prom"'
"${MK[@]}" cycle > /dev/null 2>&1
check "… and a third (runs_total 3)" 'grep -q "^tsfm_runs_total{tool=\"tsfm-post\",pipeline=\"cycle\"} 3$" "$W/textfile/tsfm-post-cycle.prom"'

# A calibration that cannot meet its target promotes nothing.
before="$(cat "$W/params/latest")"
cp -a "$W/params" "$tmp/params-before"
"${MK[@]}" calibrate TARGET=0.99 TOLERANCE=0.005 > "$tmp/out" 2>&1; s=$?
check "calibrate with an unreachable target exits 75" '[ $s = 2 ] && grep -q "Error 75" "$tmp/out"' || cat "$tmp/out"
check "… and leaves the parameters as they were" '[ "$(cat "$W/params/latest")" = "$before" ] && diff -r "$tmp/params-before" "$W/params" > /dev/null'

echo "workflow: $passed passed, $failed failed"
[ "$failed" = 0 ]
