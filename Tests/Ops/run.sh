#!/usr/bin/env bash
# The operations checks of `make test` (also `make test-ops`):
#   1. promtool check rules ops/alerts.yml;
#   2. promtool test rules on each Tests/Ops/*.test.yml (every alert fires on one input and stays
#      quiet on another);
#   3. mutants: each rule with a threshold, window or filter changed must make its test file
#      fail, so no test passes whatever the rule says;
#   4. promtool check metrics on each fixture Tests/Ops/metrics/*.prom;
#   5. Tests/Ops/check.py: the fixtures against docs/metrics.md, the rules' metric names and
#      runbook anchors, ops/models.json against docs/models.md and the vendored tollama registry;
#   6. with the tools built (BIN, default .build/debug): Tests/Ops/metrics-pipeline.sh, the tools'
#      real --metrics-file outputs through promtool and check.py, and the per-request log;
#   7. with the tools built: examples/ops (make cycle calibrate) in a temporary directory.
# Usage: Tests/Ops/run.sh [BIN]
# Installs promtool (Debian package prometheus, needs root) when it is missing.
# Ends with 'ops: N passed, M failed'.
set -u
cd "$(dirname "$0")/../.."
BIN="${1:-.build/debug}"
if ! command -v promtool >/dev/null; then
  echo "installing promtool (Debian package prometheus; needs root)"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  # The package's service is not started: policy-rc.d in containers, and promtool needs none.
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null \
    || { echo "ops: cannot install promtool"; echo "ops: 0 passed, 1 failed"; exit 1; }
fi
command -v python3 >/dev/null || { echo "ops: python3 is missing (make test-deps installs it)"; echo "ops: 0 passed, 1 failed"; exit 1; }
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if promtool check rules ops/alerts.yml >"$tmp/out" 2>&1; then ok "promtool check rules ops/alerts.yml"
else fail "promtool check rules ops/alerts.yml"; cat "$tmp/out"; fi

for t in Tests/Ops/*.test.yml; do
  if promtool test rules "$t" >"$tmp/out" 2>&1; then ok "promtool test rules $t"
  else fail "promtool test rules $t"; cat "$tmp/out"; fi
done

# Mutants: (test file, exact text in ops/alerts.yml, replacement). Each must make its test fail.
python3 - "$tmp" <<'MUTANTS' || failed=$((failed + 1))
import os, shutil, subprocess, sys
tmp = sys.argv[1]
mutants = [
    ("latency.test.yml", "p95_rate10m > 0.3", "p95_rate10m > 0.5"),
    ("latency.test.yml", "p95_rate10m > 0.3", "p95_rate10m > 0.2"),
    ("latency.test.yml", "histogram_quantile(0.95,", "histogram_quantile(0.5,"),
    ("errors.test.yml", "ratio_rate10m > 0.05", "ratio_rate10m > 0.07"),
    ("errors.test.yml", "ratio_rate10m > 0.05", "ratio_rate10m > 0.03"),
    ("errors.test.yml", "ratio_rate10m > 0.05\n        for: 10m", "ratio_rate10m > 0.05\n        for: 2m"),
    ("fallback.test.yml", "fallbacks:ratio_rate10m > 0.5", "fallbacks:ratio_rate10m > 0.7"),
    ("fallback.test.yml", '{reason!~"illiquid|too_short|ineligible_.*"}', ""),
    ("coverage.test.yml", "tsfm_eval_target_coverage_ratio) > 0.03", "tsfm_eval_target_coverage_ratio) > 0.06"),
    ("coverage.test.yml", "tsfm_eval_target_coverage_ratio) > 0.03", "tsfm_eval_target_coverage_ratio) > 0.02"),
    ("coverage.test.yml", "abs(tsfm_eval_coverage_ratio - tsfm_eval_target_coverage_ratio)", "(tsfm_eval_target_coverage_ratio - tsfm_eval_coverage_ratio)"),
    ("cycle.test.yml", '{pipeline="cycle"} > 900', '{pipeline="cycle"} > 1200'),
    ("cycle.test.yml", 'tsfm_last_success_timestamp_seconds{pipeline="cycle"} > 900', "tsfm_last_success_timestamp_seconds > 900"),
    ("cycle.test.yml", 'absent(tsfm_last_run_timestamp_seconds{pipeline="cycle"})\n        for: 15m', 'absent(tsfm_last_run_timestamp_seconds{pipeline="cycle"})\n        for: 25m'),
    ("breaker.test.yml", "\n            and on (tool, pipeline) (time() - tsfm_last_run_timestamp_seconds < 900)", ""),
    ("breaker.test.yml", "for: 7m", "for: 2m"),
    ("breaker.test.yml", "for: 7m", "for: 12m"),
    ("crossing.test.yml", "ratio_rate30m > 0.02", "ratio_rate30m > 0.002"),
    ("crossing.test.yml", "> 3 * (avg_over_time", "> 20 * (avg_over_time"),
    ("crossing.test.yml", "> 3 * (avg_over_time", "> 0.5 * (avg_over_time"),
    ("crossing.test.yml", 'sum by (pipeline) (rate(tsfm_band_crossings_fixed_total{tool="tsfm-post"}[30m]))', "sum by (pipeline) (rate(tsfm_band_crossings_fixed_total[30m]))"),
]
rules = open("ops/alerts.yml").read()
os.makedirs(f"{tmp}/m/ops", exist_ok=True)
os.makedirs(f"{tmp}/m/Tests/Ops", exist_ok=True)
bad = 0
for test, old, new in mutants:
    shutil.copy(f"Tests/Ops/{test}", f"{tmp}/m/Tests/Ops/{test}")
    what = f"{old!r} -> {new!r}"
    if old not in rules:
        print(f"FAIL mutant: {old!r} is not in ops/alerts.yml"); bad += 1; continue
    open(f"{tmp}/m/ops/alerts.yml", "w").write(rules.replace(old, new, 1))
    r = subprocess.run(["promtool", "test", "rules", f"{tmp}/m/Tests/Ops/{test}"], capture_output=True)
    if r.returncode == 0:
        print(f"FAIL mutant not caught by {test}: {what}"); bad += 1
    else:
        print(f"ok   mutant caught by {test}: {what}")
open(f"{tmp}/mutants", "w").write(f"{len(mutants) - bad} {bad}\n")
sys.exit(0)
MUTANTS
if [ -f "$tmp/mutants" ]; then
  read -r p f <"$tmp/mutants"
  passed=$((passed + p)); failed=$((failed + f))
fi

for f in Tests/Ops/metrics/*.prom; do
  if promtool check metrics <"$f" >"$tmp/out" 2>&1; then ok "promtool check metrics $f"
  else fail "promtool check metrics $f"; cat "$tmp/out"; fi
done

tarball="$(ls ../shared/vendor/tollama-*.tar.gz 2>/dev/null | head -1)"
python3 Tests/Ops/check.py ${tarball:+"$tarball"} >"$tmp/check" 2>&1
grep -v '^ok ' "$tmp/check" | grep -v '^checks:'
read -r p f < <(sed -n 's/^checks: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$tmp/check")
if [ -n "${p:-}" ]; then passed=$((passed + p)); failed=$((failed + f)); else fail "Tests/Ops/check.py did not finish"; tail -5 "$tmp/check"; fi

if [ -x "$BIN/tsfm-forecast" ]; then
  for script in Tests/Ops/metrics-pipeline.sh Tests/Ops/licence-guard.sh Tests/Ops/config.sh Tests/Ops/workflow.sh; do
    [ -x "$script" ] || continue
    "$script" "$BIN" >"$tmp/out" 2>&1
    grep -v '^ok ' "$tmp/out" | grep -v ': [0-9]* passed, [0-9]* failed$'
    read -r p f < <(sed -n 's/^[a-z-]*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$tmp/out" | tail -1)
    if [ -n "${p:-}" ]; then passed=$((passed + p)); failed=$((failed + f)); else fail "$script did not finish"; tail -5 "$tmp/out"; fi
    unset p f
  done
else
  echo "skip the tools' metrics outputs and examples/ops: no tools in $BIN (make build first)"
fi

echo "ops: $passed passed, $failed failed"
[ "$failed" = 0 ]
