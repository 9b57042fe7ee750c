#!/usr/bin/env bash
# Rebuilds examples/eval/scored.ndjson from the bundled quotes with the toolbox itself: a
# backtest served by the baseline, made safe, and the same forecasts calibrated by conformal
# parameters fitted on them (two band sources over the same keys), plus a few forecasts whose
# future is not known yet. Run from the repository root with the tools on PATH.
set -euo pipefail
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
tsfm-prep --backtest --stride 24 --input-len 96 --future-steps 84 --markets examples/markets.ndjson examples/quotes.ndjson \
  | tsfm-forecast --runtime baseline --deterministic | tsfm-post > "$tmp/baseline.ndjson"
tsfm-conformal fit --min-samples 50 --out "$tmp/params.json" "$tmp/baseline.ndjson"
tsfm-conformal apply --params "$tmp/params.json" "$tmp/baseline.ndjson" > "$tmp/conformal.ndjson"
tsfm-prep --input-len 96 --markets examples/markets.ndjson examples/quotes.ndjson \
  | tsfm-forecast --runtime baseline --deterministic | tsfm-post | head -2 > "$tmp/live.ndjson"
cat "$tmp/baseline.ndjson" "$tmp/conformal.ndjson" "$tmp/live.ndjson" > examples/eval/scored.ndjson
