#!/usr/bin/env bash
# tsfm-post over forecasts with a 288-value pass-through `y` (issue 2: >= 100 MB/s).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
n=$((100000 * BENCH_SCALE))
f="$WORK/forecasts.ndjson"
[ -f "$f" ] || "$BIN/tsfm-bench" forecasts "$n" >"$f"
measure "tsfm-post ($n forecasts)" "$(stat -c %s "$f")" "$n" -- "$BIN/tsfm-post" "$f"
# The memory check of issue 2 (peak RSS under 50 MB for a 1 GB input): BENCH_BIG=1 make bench.
if [ "${BENCH_BIG:-0}" = 1 ]; then
  big="$WORK/forecasts-1g.ndjson"
  [ -f "$big" ] || for _ in 1 2 3 4; do cat "$f"; done >"$big"
  measure "tsfm-post (1 GB, $((4 * n)) forecasts)" "$(stat -c %s "$big")" "$((4 * n))" -- "$BIN/tsfm-post" "$big"
fi
