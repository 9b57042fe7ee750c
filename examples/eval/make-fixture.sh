#!/usr/bin/env bash
# Rebuilds examples/eval/scored.ndjson from the bundled quotes with the toolbox itself: a
# backtest (levels 0.05 0.1 0.5 0.9 0.95, y_future running 84 steps past each as-of time) served
# by the baseline and made safe, the same forecasts calibrated by conformal parameters fitted on
# them (two band sources over the same keys), then, deterministically:
#   - every 7th calibrated forecast is left out, so some keys are scored by the baseline only
#     (what --paired leaves out);
#   - the forecasts of every 4th as-of key carry y_future cut to the horizon (no realized path
#     after it: their breaches' follow-through is undecided);
#   - a few live forecasts whose future is not known yet (no y_future: skipped and counted).
# Run from the repository root with the tools on PATH.
set -euo pipefail
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
tsfm-prep --backtest --stride 24 --input-len 96 --future-steps 84 --quantiles 0.05,0.1,0.5,0.9,0.95 \
    --markets examples/markets.ndjson examples/quotes.ndjson \
  | tsfm-forecast --runtime baseline --deterministic | tsfm-post > "$tmp/baseline.ndjson"
tsfm-conformal fit --min-samples 50 --all-pairs --out "$tmp/params.json" "$tmp/baseline.ndjson"
tsfm-conformal apply --params "$tmp/params.json" "$tmp/baseline.ndjson" | awk 'NR % 7 != 0' > "$tmp/conformal.ndjson"
tsfm-prep --input-len 96 --quantiles 0.05,0.1,0.5,0.9,0.95 --markets examples/markets.ndjson examples/quotes.ndjson \
  | tsfm-forecast --runtime baseline --deterministic | tsfm-post | head -2 > "$tmp/live.ndjson"
# Cut y_future to horizon_steps for every 4th (market_id, as_of_ts) key, in both sources alike.
jq -c --slurpfile keys <(jq -c '[.market_id, .as_of_ts]' "$tmp/baseline.ndjson" | awk 'NR % 4 == 0') '
  if ([.market_id, .as_of_ts] | IN($keys[])) then .y_future |= .[0:$ARGS.named.h] else . end' \
  --argjson h 12 "$tmp/baseline.ndjson" "$tmp/conformal.ndjson" > "$tmp/scored.ndjson"
cat "$tmp/scored.ndjson" "$tmp/live.ndjson" > examples/eval/scored.ndjson
