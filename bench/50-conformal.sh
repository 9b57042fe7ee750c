#!/usr/bin/env bash
# tsfm-conformal (issue 6):
#   apply over forecasts with a 288-value pass-through `y`: >= 100 MB/s;
#   fit over 1 million scored forecasts (12 steps): < 10 s and < 1 GB peak RSS.
# The 1M fit runs by default (~7 s a run here, 666 MB of input in $WORK); BENCH_SCALE multiplies
# the apply input only.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
n=$((100000 * BENCH_SCALE))
f="$WORK/forecasts.ndjson"
[ -f "$f" ] || "$BIN/tsfm-bench" forecasts "$n" >"$f"
scored="$WORK/scored-1m.ndjson"
[ -f "$scored" ] || "$BIN/tsfm-bench" scored 1000000 >"$scored"
params="$WORK/conformal-params.json"
measure "tsfm-conformal fit (1M scored)" "$(stat -c %s "$scored")" 1000000 -- \
  "$BIN/tsfm-conformal" fit --out "$params" "$scored"
measure "tsfm-conformal apply ($n forecasts)" "$(stat -c %s "$f")" "$n" -- \
  "$BIN/tsfm-conformal" apply --params "$params" "$f"
