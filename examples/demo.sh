#!/usr/bin/env bash
# `make demo`: the whole job on the bundled examples, end to end:
#   quotes → prep → forecast → post → conformal (fit on a backtest, apply live) → eval.
# It runs without a daemon (baselines). When tollama answers on the default address (or
# TOLLAMA_BASE_URL), tsfm-forecast uses it for the eligible markets, asking for the model in
# TSFM_MODEL (default chronos2): `tollama pull mock`, then `TSFM_MODEL=mock make demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(cd "${1:-.build/release}" && pwd)"
export PATH="$BIN:$PATH"
OUT="${DEMO_OUT:-examples/out}"
rm -rf "$OUT" && mkdir -p "$OUT"
export XDG_STATE_HOME="$PWD/$OUT/state"
MODEL="${TSFM_MODEL:-chronos2}"
step() { printf '\n== %s\n' "$*"; }
# tsfm-forecast exits 78 when the daemon refuses the model or the key (it has written every
# record, by baseline, and said what to fix): the demo goes on with those baselines.
forecast() {
  local s=0
  tsfm-forecast --model "$MODEL" "$@" || s=$?
  [ "$s" = 0 ] && return 0
  [ "$s" = 78 ] || return "$s"
  echo "(tsfm-forecast exited 78: see its warning above; the demo goes on with baselines)" >&2
}
Q=examples/quotes.ndjson
M=examples/markets.ndjson

step "1. Backtest history: requests every 30 min with 6h of realized future (tsfm-prep --backtest)"
tsfm-prep --backtest --stride 6 --future-steps 84 --markets "$M" --summary --log-format text "$Q" > "$OUT/backtest.requests.ndjson"

step "2. Forecast the backtest, make the bands safe (tsfm-forecast | tsfm-post)"
forecast --summary --log-format text "$OUT/backtest.requests.ndjson" | tsfm-post > "$OUT/backtest.forecasts.ndjson"

step "3. Fit conformal calibration on the scored history (tsfm-conformal fit)"
tsfm-conformal fit --min-samples 100 --out-dir "$OUT/params" --summary --log-format text "$OUT/backtest.forecasts.ndjson"
echo "parameters: $OUT/params/$(cat "$OUT/params/latest")"

step "4. Live cycle: one request per market, forecast, post, calibrate"
tsfm-prep --markets "$M" "$Q" \
  | forecast --log-format text \
  | tsfm-post \
  | tsfm-conformal apply --params "$OUT/params" > "$OUT/live.forecasts.ndjson"
echo "market            source               band at step 1 (0.1 / 0.5 / 0.9)   fallback"
while IFS= read -r line; do
  id=$(grep -o '"market_id":"[^"]*"' <<<"$line" | head -1 | cut -d'"' -f4)
  src=$(grep -o '"band_source":"[^"]*"' <<<"$line" | cut -d'"' -f4)
  lo=$(grep -o '"yhat_q":{"0.1":\[[^],]*' <<<"$line" | sed 's/.*\[//')
  mid=$(grep -o '"yhat_q":{[^}]*' <<<"$line" | grep -o '"0.5":\[[^],]*' | sed 's/.*\[//')
  hi=$(grep -o '"yhat_q":{[^}]*' <<<"$line" | grep -o '"0.9":\[[^],]*' | sed 's/.*\[//')
  fb=$(grep -o '"fallback_reason":[^,]*' <<<"$line" | head -1 | cut -d: -f2 | tr -d '"')
  printf '%-17s %-20s %.4f / %.4f / %.4f   %s\n' "$id" "$src" "$lo" "$mid" "$hi" "$fb"
done < "$OUT/live.forecasts.ndjson"

step "5. Evaluate raw vs calibrated bands on the backtest's latest 20% (tsfm-eval; in-sample: the parameters were fitted on this history)"
tsfm-conformal apply --params "$OUT/params" "$OUT/backtest.forecasts.ndjson" > "$OUT/backtest.calibrated.ndjson"
# Model and baseline bands cover different markets, so a paired comparison of all four sources
# has no key in common: each runtime's raw bands are compared with their calibrated version.
reports=()
for runtime in tollama baseline; do
  grep -h "\"runtime\":\"$runtime\"" "$OUT/backtest.forecasts.ndjson" "$OUT/backtest.calibrated.ndjson" > "$OUT/eval.$runtime.ndjson" || true
  [ -s "$OUT/eval.$runtime.ndjson" ] || continue
  echo "-- $runtime bands"
  tsfm-eval --group-by band_source --split time:0.2 --format table --report "$OUT/report.$runtime.html" "$OUT/eval.$runtime.ndjson"
  reports+=("$OUT/report.$runtime.html")
done
echo
echo "All outputs are in $OUT/ (reports: ${reports[*]})."
