#!/usr/bin/env bash
# Runs every command block of README.md exactly as printed: each fenced block whose first line
# starts with a tsfm tool, in a scratch directory that sees the repository's examples/, with the
# built tools on PATH. Blocks of `make` and `tollama` commands are run by CI itself (`.ci/run`:
# make test, make test-daemon, make demo) and by the daemon test. Prints one line per block.
# Usage: Tests/readme.sh [BIN_DIR]
set -u
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$(cd "${1:-$root/.build/debug}" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
ln -s "$root/examples" "$work/examples"
export PATH="$bin:$PATH" XDG_STATE_HOME="$work/state"
python3 - "$root/README.md" "$work" <<'PY'
import sys, re, os
readme, work = sys.argv[1:]
blocks = re.findall(r"^```[^\n]*\n(.*?)^```", open(readme).read(), flags=re.S | re.M)
n = 0
for b in blocks:
    if not b.lstrip().startswith("tsfm-"):
        continue
    n += 1
    open(os.path.join(work, f"block{n}.sh"), "w").write(b)
open(os.path.join(work, "count"), "w").write(str(n))
PY
n=$(cat "$work/count")
failed=0
for i in $(seq 1 "$n"); do
  if (cd "$work" && bash -e -o pipefail "block$i.sh" >"out$i" 2>"err$i"); then
    echo "README block $i: ok ($(wc -l < "$work/block$i.sh") lines)"
  else
    failed=$((failed + 1))
    echo "README block $i: FAILED"; sed 's/^/  /' "$work/block$i.sh"; tail -5 "$work/err$i" | sed 's/^/  stderr: /'
  fi
done
[ "$n" -gt 0 ] || { echo "no tsfm command block found in README.md"; exit 1; }
[ "$failed" = 0 ]
