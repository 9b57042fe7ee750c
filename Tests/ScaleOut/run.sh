#!/usr/bin/env bash
# Scale-out end to end (make test): the bundled backtest run as 4 shards by GNU parallel's local
# workers — tsfm-prep --shard → tsfm-forecast → tsfm-post → fit/eval partials → merge — must give
# the same parameter file, fit report and eval rows, byte for byte, as one process over all of it;
# and line-block tools under `parallel --pipe --keep-order` must equal their plain run.
# Usage: Tests/ScaleOut/run.sh [BIN_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="$(cd "${1:-.build/debug}" && pwd)"
export PATH="$bin:$PATH" LC_ALL=C TZ=UTC
unset TOLLAMA_BASE_URL TOLLAMA_API_KEY

# GNU parallel (Debian package `parallel`); moreutils ships another `parallel` under the same name.
if ! parallel --version 2>/dev/null | grep -q GNU; then
  echo "installing GNU parallel for the scale-out test (needs root)"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq parallel
  parallel --version 2>/dev/null | grep -q GNU || { echo "scale-out: 'parallel' is not GNU parallel (moreutils?)" >&2; exit 1; }
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export XDG_STATE_HOME="$tmp/state"
Q=examples/quotes.ndjson M=examples/markets.ndjson
failed=0
check() { # name expected actual
  if cmp -s "$2" "$3"; then echo "ok   $1"; else echo "FAIL $1"; diff "$2" "$3" | head -5; failed=$((failed + 1)); fi
}

# The pipeline of one shard (or of everything, without --shard). Baselines, deterministic.
pipeline() {
  tsfm-prep --backtest --stride 3 --future-steps 84 --markets "$M" "$@" "$Q" \
    | tsfm-forecast --runtime baseline --deterministic | tsfm-post
}
export -f pipeline; export Q M

# One process.
pipeline > "$tmp/all.ndjson"
tsfm-conformal fit --min-samples 50 --out "$tmp/single.json" "$tmp/all.ndjson"
tsfm-conformal fit --min-samples 50 --report "$tmp/all.ndjson" > "$tmp/single-report.ndjson"
tsfm-conformal apply --params "$tmp/single.json" "$tmp/all.ndjson" > "$tmp/all-cal.ndjson"
cat "$tmp/all.ndjson" "$tmp/all-cal.ndjson" | tsfm-eval > "$tmp/single-eval.ndjson"
tsfm-eval --group-by band_source,category,step --no-paired "$tmp/all.ndjson" > "$tmp/single-eval-segments.ndjson"

# 4 shards on 4 local workers: each writes its forecasts and partials.
parallel -j 4 --halt now,fail=1 'pipeline --shard {}/4 > '"$tmp"'/s{}.ndjson' ::: 1 2 3 4
parallel -j 4 --halt now,fail=1 "tsfm-conformal fit --partial $tmp/s{}.ndjson > $tmp/fit{}.part" ::: 1 2 3 4
parallel -j 4 --halt now,fail=1 "tsfm-conformal apply --params $tmp/single.json $tmp/s{}.ndjson > $tmp/c{}.ndjson" ::: 1 2 3 4
parallel -j 4 --halt now,fail=1 "cat $tmp/s{}.ndjson $tmp/c{}.ndjson | tsfm-eval --partial > $tmp/eval{}.part" ::: 1 2 3 4
parallel -j 4 --halt now,fail=1 "tsfm-eval --partial --group-by band_source,category,step --no-paired $tmp/s{}.ndjson > $tmp/seg{}.part" ::: 1 2 3 4

# The shards hold every request exactly once.
sort "$tmp/all.ndjson" > "$tmp/all.sorted"
cat "$tmp"/s[1-4].ndjson | sort > "$tmp/shards.sorted"
check "shards' union = unsharded output" "$tmp/all.sorted" "$tmp/shards.sorted"
nonempty=0; for i in 1 2 3 4; do [ -s "$tmp/s$i.ndjson" ] && nonempty=$((nonempty + 1)); done
[ "$nonempty" -ge 2 ] || { echo "FAIL fewer than two non-empty shards: the test would prove nothing"; failed=$((failed + 1)); }

# Merge, in an order other than the shards'.
tsfm-conformal fit --merge --min-samples 50 --out "$tmp/merged.json" "$tmp"/fit{3,1,4,2}.part
check "fit --merge parameter file = one fit" "$tmp/single.json" "$tmp/merged.json"
tsfm-conformal fit --merge --min-samples 50 --report "$tmp"/fit{2,4,1,3}.part > "$tmp/merged-report.ndjson"
check "fit --merge --report = one fit's report" "$tmp/single-report.ndjson" "$tmp/merged-report.ndjson"
tsfm-eval merge "$tmp"/eval{4,3,2,1}.part > "$tmp/merged-eval.ndjson"
check "eval merge (paired, two sources) = one run" "$tmp/single-eval.ndjson" "$tmp/merged-eval.ndjson"
grep -q '"paired":true' "$tmp/merged-eval.ndjson" || { echo "FAIL merged rows are not paired"; failed=$((failed + 1)); }
tsfm-eval merge "$tmp"/seg{2,1,3,4}.part > "$tmp/merged-eval-segments.ndjson"
check "eval merge (segments, --no-paired) = one run" "$tmp/single-eval-segments.ndjson" "$tmp/merged-eval-segments.ndjson"

# Pairing split across partials (one source per partial) cannot be merged exactly: refused.
tsfm-eval --partial "$tmp/all.ndjson" > "$tmp/raw.part"
tsfm-eval --partial "$tmp/all-cal.ndjson" > "$tmp/cal.part"
status=0; tsfm-eval merge "$tmp/raw.part" "$tmp/cal.part" > /dev/null 2> "$tmp/err" || status=$?
if [ "$status" = 65 ] && grep -q "cannot be merged exactly" "$tmp/err"; then echo "ok   split pairing refused (65)"; else
  echo "FAIL split pairing: status $status"; cat "$tmp/err"; failed=$((failed + 1)); fi

# Line-block tools under parallel --pipe --keep-order equal their plain run (small blocks, so
# the request file is cut into many pieces).
tsfm-prep --backtest --stride 1 --markets "$M" "$Q" > "$tmp/requests.ndjson"
tsfm-forecast --runtime baseline --deterministic "$tmp/requests.ndjson" > "$tmp/forecast-plain.ndjson"
parallel --pipe --keep-order -j 4 --block 256k tsfm-forecast --runtime baseline --deterministic \
  < "$tmp/requests.ndjson" > "$tmp/forecast-parallel.ndjson"
check "parallel --pipe --keep-order tsfm-forecast = plain ($(wc -l < "$tmp/requests.ndjson") requests)" \
  "$tmp/forecast-plain.ndjson" "$tmp/forecast-parallel.ndjson"
tsfm-post "$tmp/forecast-plain.ndjson" | tsfm-conformal apply --params "$tmp/single.json" > "$tmp/post-plain.ndjson"
parallel --pipe --keep-order -j 4 --block 256k 'tsfm-post | tsfm-conformal apply --params '"$tmp/single.json" \
  < "$tmp/forecast-plain.ndjson" > "$tmp/post-parallel.ndjson"
check "parallel --pipe --keep-order tsfm-post | apply = plain" "$tmp/post-plain.ndjson" "$tmp/post-parallel.ndjson"

echo "scale-out: $failed failed"
[ "$failed" = 0 ]
