#!/usr/bin/env bash
# `make bench`: generates synthetic inputs with tsfm-bench and times each tool over them.
# Each bench/<name>.sh is run in turn with BIN (the release build) and WORK (a scratch folder).
# Sizes can be raised with BENCH_SCALE (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
export BIN="$(cd "${1:-.build/release}" && pwd)"
export WORK="${BENCH_DIR:-$(mktemp -d)}"
export BENCH_SCALE="${BENCH_SCALE:-1}"
trap '[ -z "${BENCH_DIR:-}" ] && rm -rf "$WORK"' EXIT
source bench/lib.sh
for script in bench/[0-9]*.sh; do
  echo "== $(basename "$script" .sh)"
  bash "$script"
done
