#!/usr/bin/env bash
# End-to-end golden tests: each case is a folder Tests/Golden/<tool>/<case>/ holding
#   cmd     a bash command line, run from the repository root with the built tools on PATH
#   expout  expected stdout, byte for byte
#   status  expected exit status (optional; default 0)
#   experr  expected stderr, byte for byte (optional; unchecked when absent)
# Usage: Tests/Golden/run.sh [--update] [BIN_DIR] [CASE_FILTER]
#   --update  re-records expout/status (and experr where it exists) from the current tools.
# Every case runs under a virtual-memory limit (GOLDEN_MEM_KB, default 1 GiB per process; the
# tools need under 50 MB on these inputs, measured with ulimit -v), so an unbounded allocation
# fails its case instead of taking the machine down.
set -u
cd "$(dirname "$0")/../.."
update=0
if [ "${1:-}" = "--update" ]; then update=1; shift; fi
bin="${1:-.build/debug}"
filter="${2:-}"
mem_kb="${GOLDEN_MEM_KB:-1048576}"
bin="$(cd "$bin" && pwd)"
export PATH="$bin:$PATH"
export LC_ALL=C TZ=UTC
unset TOLLAMA_BASE_URL TOLLAMA_API_KEY
# No daemon is reachable on this port; tools that would call one fall back deterministically.
passed=0
failed=0
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for dir in Tests/Golden/*/*/; do
  dir="${dir%/}"
  [ -f "$dir/cmd" ] || continue
  case "$dir" in *"$filter"*) ;; *) continue ;; esac
  export CASE_DIR="$dir" XDG_STATE_HOME="$tmp/state-$(basename "$dir")"
  (ulimit -v "$mem_kb" && exec bash -c "$(cat "$dir/cmd")") >"$tmp/out" 2>"$tmp/err"
  status=$?
  if [ "$update" = 1 ]; then
    cp "$tmp/out" "$dir/expout"
    if [ "$status" != 0 ]; then echo "$status" >"$dir/status"; else rm -f "$dir/status"; fi
    [ -f "$dir/experr" ] && cp "$tmp/err" "$dir/experr"
    echo "recorded $dir"
    continue
  fi
  want_status=0
  [ -f "$dir/status" ] && want_status="$(cat "$dir/status")"
  ok=1
  if ! cmp -s "$tmp/out" "$dir/expout"; then
    ok=0
    echo "FAIL $dir: stdout differs"
    diff "$dir/expout" "$tmp/out" | head -20
  fi
  if [ "$status" != "$want_status" ]; then
    ok=0
    echo "FAIL $dir: status $status, expected $want_status"
    head -5 "$tmp/err"
  fi
  if [ -f "$dir/experr" ] && ! cmp -s "$tmp/err" "$dir/experr"; then
    ok=0
    echo "FAIL $dir: stderr differs"
    diff "$dir/experr" "$tmp/err" | head -20
  fi
  if [ "$ok" = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
[ "$update" = 1 ] && exit 0
echo "golden: $passed passed, $failed failed"
[ "$failed" = 0 ]
