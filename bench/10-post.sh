#!/usr/bin/env bash
# tsfm-post over forecasts with a 288-value pass-through `y` (issue 2: >= 100 MB/s).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
n=$((100000 * BENCH_SCALE))
f="$WORK/forecasts.ndjson"
[ -f "$f" ] || "$BIN/tsfm-bench" forecasts "$n" >"$f"
measure "tsfm-post ($n forecasts)" "$(stat -c %s "$f")" "$n" -- "$BIN/tsfm-post" "$f"
