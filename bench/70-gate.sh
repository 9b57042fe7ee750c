#!/usr/bin/env bash
# tsfm-gate alerts (issue 16: >= 100 MB/s of forecast NDJSON), in the shadow phase (both arms'
# bands decoded and checked for every record).
#   forecasts:  tsfm-bench's baseline-served forecasts with a 288-value `y` and 12-value
#               `y_future` (the TSFM arm falls back to the baseline band).
#   calibrated: the same lines made model-served and calibrated, carrying yhat_q_raw and the
#               baseline copy yhat_q_baseline, as tsfm-conformal apply writes them (the widest
#               records the gate reads).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
n=$((100000 * BENCH_SCALE))
f="$WORK/forecasts.ndjson"
[ -f "$f" ] || "$BIN/tsfm-bench" forecasts "$n" >"$f"
export XDG_STATE_HOME="$WORK/gate-state"
measure "tsfm-gate alerts ($n forecasts)" "$(stat -c %s "$f")" "$n" -- "$BIN/tsfm-gate" alerts --rollout shadow "$f"
c="$WORK/calibrated.ndjson"
[ -f "$c" ] || sed -E \
  -e 's/"yhat_q":(\{[^}]*\})/"yhat_q":\1,"yhat_q_raw":\1,"yhat_q_baseline":\1/' \
  -e 's/"runtime":"baseline","model_name":"baseline:ewma"/"runtime":"tollama","model_name":"chronos2","model_version":"2.0"/' \
  -e 's/"band_source":"baseline"\}/"band_source":"tsfm_conformal","conformal":{"params_version":"bench","group":"global","method":"cqr","target":0.9,"space":"logit"},"baseline_band":{"model_name":"baseline:ewma","band_source":"baseline_conformal"}}/' \
  "$f" >"$c"
measure "tsfm-gate alerts ($n calibrated)" "$(stat -c %s "$c")" "$n" -- "$BIN/tsfm-gate" alerts --rollout shadow "$c"
measure "tsfm-gate alerts ($n calibrated, --all)" "$(stat -c %s "$c")" "$n" -- "$BIN/tsfm-gate" alerts --rollout shadow --all "$c"
