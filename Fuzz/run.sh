#!/usr/bin/env bash
# `make fuzz`: runs each libFuzzer target of the tsfm-fuzz binary for FUZZ_SECONDS, starting from
# its committed corpus Tests/Fuzz/corpus/<target>/ (replayed first, so every crasher kept there is
# a regression test). Fails on a crash, a broken property, a leak, a slow input (-timeout), an
# allocation over -malloc_limit_mb or a peak RSS over -rss_limit_mb. A failing input is copied
# into the corpus folder as crash-<sha1>, to be committed once the bug is fixed.
# Usage: Fuzz/run.sh BINARY SECONDS TARGET...
set -u
cd "$(dirname "$0")/.."
bin="$1"; seconds="$2"; shift 2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
for target in "$@"; do
  seeds="Tests/Fuzz/corpus/$target"
  mkdir -p "$work/$target" "$seeds"
  # New inputs go to the scratch corpus (first folder); the committed one is only read.
  # Swift's own crash backtracer would fight ASan over the crashing process: leave it to ASan.
  SWIFT_BACKTRACE=enable=no FUZZ_TARGET="$target" "$bin" "$work/$target" "$seeds" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -malloc_limit_mb=256 -max_len=16384 \
    -detect_leaks=1 -print_final_stats=1 -artifact_prefix="$work/$target-" >"$work/$target.log" 2>&1
  status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$target.log")
  if [ "$status" = 0 ]; then
    echo "fuzz $target: ok, ${execs:-?} runs in ${seconds}s (${rate:-?}/s)"
  else
    failed+=("$target")
    echo "fuzz $target: FAILED (status $status) after ${execs:-?} runs"
    grep -E '^(==[0-9]+==|SUMMARY|tsfm-fuzz:|Fatal error|.*error:)|#[0-9]+ 0x' "$work/$target.log" | head -40
    for artifact in "$work/$target"-*; do
      [ -f "$artifact" ] || continue
      name="$(basename "$artifact")"; name="${name#"$target"-}"
      cp "$artifact" "$seeds/$name"
      echo "  input kept as $seeds/$name; replay: FUZZ_TARGET=$target $bin $seeds/$name"
    done
  fi
done
[ "${#failed[@]}" = 0 ] || { echo "fuzz: failed: ${failed[*]}"; exit 1; }
