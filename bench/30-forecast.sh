#!/usr/bin/env bash
# tsfm-forecast, baseline runtime, over requests with a 288-point `y` (issue 4: >= 20,000
# requests/s on one core, end to end: parse, baseline chain, output). The default chain serves
# these by EWMA; the forced Kalman and rolling-quantile runs use a fifth of the requests.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
n=$((100000 * BENCH_SCALE))
f="$WORK/requests.ndjson"
[ -f "$f" ] || "$BIN/tsfm-bench" requests "$n" >"$f"
measure "tsfm-forecast baseline ($n req)" "$(stat -c %s "$f")" "$n" -- "$BIN/tsfm-forecast" --runtime baseline --deterministic "$f"
m=$((n / 5))
g="$WORK/requests-$m.ndjson"
head -n "$m" "$f" >"$g"
measure "tsfm-forecast kalman ($m req)" "$(stat -c %s "$g")" "$m" -- "$BIN/tsfm-forecast" --runtime baseline --baseline kalman --deterministic "$g"
measure "tsfm-forecast rolling ($m req)" "$(stat -c %s "$g")" "$m" -- "$BIN/tsfm-forecast" --runtime baseline --baseline rolling --deterministic "$g"
