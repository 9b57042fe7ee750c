#!/usr/bin/env bash
# tsfm-prep over quotes for 1,000 markets (issue 3: >= 1 million quote lines/s on one core;
# live mode under 200 MB peak for 1 GB of quotes: BENCH_BIG=1).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
n=$((2000000 * BENCH_SCALE))
q="$WORK/quotes.ndjson"
[ -f "$q" ] || "$BIN/tsfm-bench" quotes "$n" 1000 >"$q"
measure "tsfm-prep live ($n quotes)" "$(stat -c %s "$q")" "$n" -- "$BIN/tsfm-prep" "$q"
measure "tsfm-prep backtest stride 12" "$(stat -c %s "$q")" "$n" -- "$BIN/tsfm-prep" --backtest --stride 12 --input-len 96 "$q"
if [ "${BENCH_BIG:-0}" = 1 ]; then
  big="$WORK/quotes-1g.ndjson"
  nb=7500000
  [ -f "$big" ] || "$BIN/tsfm-bench" quotes "$nb" 1000 >"$big"
  measure "tsfm-prep live (1 GB, $nb quotes)" "$(stat -c %s "$big")" "$nb" -- "$BIN/tsfm-prep" "$big"
fi
