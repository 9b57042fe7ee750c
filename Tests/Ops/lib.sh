# Shared by the Tests/Ops scripts (sourced after `cd` to the repository root): pass/fail
# counters, `ok`, `fail`, `check NAME EXPR`, and a scratch directory `$tmp` removed at exit.
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
