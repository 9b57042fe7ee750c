#!/usr/bin/env bash
# tsfm-eval, default grouping (issue 7: >= 100 MB/s of scored-forecast NDJSON on one core; memory
# independent of input size except for the keys that pairing and splits keep).
#   forecasts: one band source, a 288-value `y` pass-through field to skip.
#   scored:    compact records of two band sources whose keys never meet (tsfm-bench alternates
#              the source by as-of time): by default pairing leaves every record out, the worst
#              case (pass two decodes every line to take it back out); --no-paired scores them all.
#   paired:    the scored records with each line repeated under the other band source, so every
#              (market_id, as_of_ts) key is scored by both (pass two reads only the keys).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
n=$((100000 * BENCH_SCALE))
f="$WORK/forecasts.ndjson"
[ -f "$f" ] || "$BIN/tsfm-bench" forecasts "$n" >"$f"
measure "tsfm-eval ($n forecasts, 288-value y)" "$(stat -c %s "$f")" "$n" -- "$BIN/tsfm-eval" "$f"
s="$WORK/scored.ndjson"
ns=$((500000 * BENCH_SCALE))
[ -f "$s" ] || "$BIN/tsfm-bench" scored "$ns" >"$s"
# Two sources with no common key: pairing leaves nothing, and tsfm-eval exits 66 after reading it
# all (issue 11); measured with --no-paired below, which scores the same records.
measure "tsfm-eval ($ns scored, --no-paired)" "$(stat -c %s "$s")" "$ns" -- "$BIN/tsfm-eval" --no-paired "$s"
p="$WORK/scored-paired.ndjson"
[ -f "$p" ] || head -n $((ns / 2)) "$s" | awk '{ print
  if (sub(/"band_source":"baseline"/, "\"band_source\":\"tsfm_raw\"")) print
  else if (sub(/"band_source":"tsfm_raw"/, "\"band_source\":\"baseline\"")) print }' >"$p"
measure "tsfm-eval ($ns scored, all paired)" "$(stat -c %s "$p")" "$ns" -- "$BIN/tsfm-eval" "$p"
measure "tsfm-eval ($ns scored, paired, stdin)" "$(stat -c %s "$p")" "$ns" -- sh -c "\"$BIN/tsfm-eval\" < \"$p\""
measure "tsfm-eval ($ns scored, split time:0.2)" "$(stat -c %s "$p")" "$ns" -- "$BIN/tsfm-eval" --split time:0.2 "$p"
