#!/usr/bin/env bash
# tsfm-eval, default grouping (issue 7: >= 100 MB/s of scored-forecast NDJSON on one core).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
n=$((100000 * BENCH_SCALE))
f="$WORK/forecasts.ndjson"
[ -f "$f" ] || "$BIN/tsfm-bench" forecasts "$n" >"$f"
measure "tsfm-eval ($n forecasts, 288-value y)" "$(stat -c %s "$f")" "$n" -- "$BIN/tsfm-eval" "$f"
s="$WORK/scored.ndjson"
ns=$((500000 * BENCH_SCALE))
[ -f "$s" ] || "$BIN/tsfm-bench" scored "$ns" >"$s"
measure "tsfm-eval ($ns compact, paired)" "$(stat -c %s "$s")" "$ns" -- "$BIN/tsfm-eval" "$s"
measure "tsfm-eval ($ns compact, unpaired)" "$(stat -c %s "$s")" "$ns" -- "$BIN/tsfm-eval" --no-paired "$s"
