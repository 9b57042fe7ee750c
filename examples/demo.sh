#!/usr/bin/env bash
# `make demo`: the whole job on the bundled examples, end to end, with whatever tools exist.
# Runs without a daemon (baselines); when tollama answers on the default address (or
# TOLLAMA_BASE_URL), tsfm-forecast uses it for eligible markets.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(cd "${1:-.build/release}" && pwd)"
export PATH="$BIN:$PATH"
OUT="${DEMO_OUT:-examples/out}"
mkdir -p "$OUT"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "tsfm-post: make the example forecasts' bands safe"
tsfm-post --summary --log-format text examples/forecasts.ndjson > "$OUT/forecasts.safe.ndjson"
echo "wrote $OUT/forecasts.safe.ndjson; first record's band:"
head -1 "$OUT/forecasts.safe.ndjson" | grep -o '"yhat_q":{[^}]*}'
