#!/usr/bin/env bash
# `make demo`: the whole job on the bundled examples, end to end:
#   quotes → prep → forecast → post → conformal (fit on a backtest, apply live) → eval → gate.
# It runs without a daemon (baselines). When tollama answers on the default address (or
# TOLLAMA_BASE_URL), tsfm-forecast uses it for the eligible markets, asking for the model in
# TSFM_MODEL (default chronos2): `tollama pull mock`, then `TSFM_MODEL=mock make demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(cd "${1:-.build/release}" && pwd)"
export PATH="$BIN:$PATH"
OUT="${DEMO_OUT:-examples/out}"
rm -rf "$OUT" && mkdir -p "$OUT"
export XDG_STATE_HOME="$(cd "$OUT" && pwd)/state"
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

step "1. Backtest history: requests every 30 min with 6h of realized future, in time order (tsfm-prep --backtest)"
tsfm-prep --backtest --order time --stride 6 --future-steps 84 --markets "$M" --summary --log-format text "$Q" > "$OUT/backtest.requests.ndjson"

step "2. Forecast the backtest, make the bands safe (tsfm-forecast | tsfm-post)"
forecast --summary --log-format text "$OUT/backtest.requests.ndjson" | tsfm-post > "$OUT/backtest.forecasts.ndjson"

step "3. Fit conformal calibration on the first 80% of the backtest (tsfm-conformal fit --exclude-latest 0.2)"
tsfm-conformal fit --min-samples 100 --exclude-latest 0.2 --out-dir "$OUT/params" --summary --log-format text "$OUT/backtest.forecasts.ndjson"
echo "parameters: $OUT/params/$(cat "$OUT/params/latest")"

step "4. Calibrate the backtest in time order with online adaptation (tsfm-conformal apply --adapt): outcomes count only once due"
tsfm-conformal apply --adapt --params "$OUT/params/latest" --summary --log-format text "$OUT/backtest.forecasts.ndjson" > "$OUT/backtest.calibrated.ndjson"

step "5. Validation: raw vs calibrated bands on the latest 20%, which the fit never saw (tsfm-eval --split time:0.2)"
# Model and baseline bands cover different markets, so a paired comparison of all four sources
# has no key in common: each runtime's raw bands are compared with their calibrated version.
reports=()
verdicts=()
for runtime in tollama baseline; do
  grep -h "\"runtime\":\"$runtime\"" "$OUT/backtest.forecasts.ndjson" "$OUT/backtest.calibrated.ndjson" > "$OUT/eval.$runtime.ndjson" || true
  [ -s "$OUT/eval.$runtime.ndjson" ] || continue
  echo "-- $runtime bands"
  tsfm-eval --group-by band_source --split time:0.2 --format table --report "$OUT/report.$runtime.html" "$OUT/eval.$runtime.ndjson"
  tsfm-eval --group-by band_source --split time:0.2 "$OUT/eval.$runtime.ndjson" > "$OUT/eval.$runtime.rows.ndjson"
  reports+=("$OUT/report.$runtime.html")
  while IFS= read -r row; do
    case "$row" in *'"target"'*) ;; *) continue ;; esac
    src=$(grep -o '"band_source":"[^"]*"' <<<"$row" | cut -d'"' -f4)
    cov=$(grep -o '"empirical":[0-9.e-]*' <<<"$row" | head -1 | cut -d: -f2)
    tgt=$(grep -o '"target":[0-9.e-]*' <<<"$row" | head -1 | cut -d: -f2)
    meets=$(grep -o '"meets_target":[a-z]*' <<<"$row" | head -1 | cut -d: -f2)
    verdicts+=("$(printf '%-20s validation coverage %.3f, target %.2f ± 0.03: %s' "$src" "$cov" "$tgt" "$([ "$meets" = true ] && echo meets || echo MISSES)")")
  done < "$OUT/eval.$runtime.rows.ndjson"
done
echo
for v in "${verdicts[@]}"; do echo "$v"; done

step "6. Live cycle: one request per market, forecast, post, calibrate (the adaptation continues from step 4's state)"
tsfm-prep --markets "$M" "$Q" \
  | forecast --log-format text \
  | tsfm-post \
  | tsfm-conformal apply --adapt --params "$OUT/params/latest" > "$OUT/live.forecasts.ndjson"
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

step "7. The alert gate on an earlier live cycle (as of 16:00, 8h before the quotes end), judged against the prices that followed (tsfm-gate alerts --quotes)"
# The latest cycle has no realized future yet; this one has its hour and the 6h after it, so each
# alert also says whether the move followed. No rollout is recorded in the demo's state dir, so
# the phase is shadow: baseline-band alerts are live, TSFM-band alerts are written beside them as
# shadows (a market a baseline served falls back to the baseline band: band_source_fallback).
tsfm-prep --as-of 2026-11-23T16:00:00Z --markets "$M" "$Q" \
  | forecast --log-format text \
  | tsfm-post \
  | tsfm-conformal apply --params "$OUT/params/latest" > "$OUT/earlier.forecasts.ndjson"
tsfm-gate alerts --quotes "$Q" --summary --log-format text "$OUT/earlier.forecasts.ndjson" > "$OUT/alerts.ndjson"
tsfm-gate status
echo "market            breach time           dir    y       band (lo / hi)     source               arm       shadow follow-through"
while IFS= read -r line; do
  field() { grep -o "\"$1\":[^,}]*" <<<"$line" | head -1 | cut -d: -f2- | tr -d '"'; }
  printf '%-17s %-21s %-6s %-7s %.4f / %.4f    %-20s %-9s %-6s %s\n' "$(field market_id)" "$(field breach_ts)" "$(field direction)" \
    "$(field y)" "$(field lo)" "$(field hi)" "$(field band_source)" "$(field arm)" "$(field shadow)" "$(field followthrough)"
done < "$OUT/alerts.ndjson"
echo
echo "All outputs are in $OUT/ (reports: ${reports[*]}; alerts: $OUT/alerts.ndjson)."
