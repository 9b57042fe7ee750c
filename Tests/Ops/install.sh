#!/usr/bin/env bash
# `make install` into a temporary DESTDIR, then checks what docs/install.md promises:
#   - the five tools are in $DESTDIR$PREFIX/bin and ldd shows no libswift (and nothing missing);
#   - they run with the Swift toolchain hidden (a private mount namespace with an empty tmpfs
#     over the toolchain's usr/; without unshare, a copy run under env -i) and give the same
#     output as the build's binaries on the bundled examples;
#   - LD_DEBUG=libs shows no library loaded from the toolchain, dlopen'd ones included;
#   - bash, zsh and fish completions and man pages are where the shells and man look for them;
#   - DESTDIR is honoured: nothing is written to PREFIX itself.
# Usage: Tests/Ops/install.sh [BIN_DIR]   (BIN_DIR: the release build, default .build/release)
set -u
cd "$(dirname "$0")/../.."
bin="$(cd "${1:-.build/release}" && pwd)"
export LC_ALL=C TZ=UTC
passed=0
failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
prefix="/opt/tsfm-install-test-$$"
stage="$tmp/stage"
tools="tsfm-prep tsfm-forecast tsfm-post tsfm-conformal tsfm-eval"

if make -s install PREFIX="$prefix" DESTDIR="$stage" RELEASE_BIN="$bin" >"$tmp/install.log" 2>&1; then ok
else fail "make install exited $?"; cat "$tmp/install.log"; fi
root="$stage$prefix"
if [ -e "$prefix" ]; then fail "DESTDIR ignored: $prefix exists"; else ok; fi

if cmp -s ops/models.json "$root/share/tsfm/models.json"; then ok; else fail "share/tsfm/models.json missing or not ops/models.json"; fi

# The toolchain: the usr/ directory holding the swift driver (e.g. /opt/swift/usr).
swift_path="$(readlink -f "$(command -v swift)")"
toolchain="$(dirname "$(dirname "$swift_path")")"

for t in $tools; do
  f="$root/bin/$t"
  if [ -x "$f" ]; then ok; else fail "$f missing or not executable"; continue; fi
  ldd "$f" >"$tmp/ldd" 2>&1
  if grep -q 'libswift' "$tmp/ldd"; then fail "$t: ldd shows libswift:"; grep libswift "$tmp/ldd"
  elif grep -q 'not found' "$tmp/ldd"; then fail "$t: ldd shows a missing library:"; grep 'not found' "$tmp/ldd"
  elif grep -qF "$toolchain" "$tmp/ldd"; then fail "$t: ldd shows a library from $toolchain"
  else ok; fi
  for shell in bash zsh fish; do
    case $shell in
      bash) c="$root/share/bash-completion/completions/$t"; want="complete -o filenames -F _$t $t" ;;
      zsh) c="$root/share/zsh/site-functions/_$t"; want="#compdef $t" ;;
      fish) c="$root/share/fish/vendor_completions.d/$t.fish"; want="complete -c '$t'" ;;
    esac
    if [ -s "$c" ] && grep -qF -- "$want" "$c"; then ok; else fail "$t: $shell completion $c missing or without '$want'"; fi
  done
  if bash -c "source '$root/share/bash-completion/completions/$t' && complete -p $t" >/dev/null 2>&1; then ok
  else fail "$t: the bash completion does not register with bash"; fi
  m="$root/share/man/man1/$t.1"
  if [ -s "$m" ] && grep -q "^\.Dt $(tr a-z A-Z <<<"$t") 1" "$m" && grep -q '^\.Sh SYNOPSIS' "$m"; then ok
  else fail "$t: man page $m missing or not an mdoc page for $t"; fi
  if command -v man >/dev/null; then
    if MANWIDTH=100 man -l "$m" 2>/dev/null | grep -q "^NAME"; then ok; else fail "$t: man -l cannot render $m"; fi
  fi
done

# The same small pipeline through the build's binaries and the installed ones.
pipeline() {
  local d="$1"
  "$d/tsfm-prep" --backtest --order time --stride 12 --future-steps 12 --markets examples/markets.ndjson examples/quotes.ndjson \
    | "$d/tsfm-forecast" --runtime baseline --deterministic | "$d/tsfm-post" | "$d/tsfm-eval" --group-by band_source
  "$d/tsfm-conformal" fit --report --min-samples 150 examples/conformal/scored.ndjson
  for t in $tools; do "$d/$t" --version; done
}
export -f pipeline
export tools
pipeline "$bin" >"$tmp/expected" 2>"$tmp/expected.err" || { fail "the pipeline fails with the build's binaries:"; head -5 "$tmp/expected.err"; }
[ -s "$tmp/expected" ] || fail "the pipeline wrote nothing"

# Hide the toolchain: an empty tmpfs over its usr/ in a private mount namespace.
hidden="$tmp/hidden.out"
if unshare -m --propagation private true 2>/dev/null; then
  how="unshare: tmpfs over $toolchain"
  unshare -m --propagation private bash -c '
    mount -t tmpfs none "$1" || exit 90
    [ -e "$1/bin/swift" ] && exit 91
    cd "$2" && env -i PATH=/usr/bin:/bin LC_ALL=C TZ=UTC tools="$tools" bash -c "$(declare -f pipeline); pipeline \"\$0\"" "$3"
  ' _ "$toolchain" "$PWD" "$root/bin" >"$hidden" 2>"$tmp/hidden.err"
  status=$?
else
  how="env -i from a copy (unshare unavailable: the toolchain stays mounted)"
  cp -r "$root/bin" "$tmp/copy"
  env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH= LC_ALL=C TZ=UTC tools="$tools" \
    bash -c "$(declare -f pipeline); pipeline \"\$0\"" "$tmp/copy" >"$hidden" 2>"$tmp/hidden.err"
  status=$?
fi
echo "toolchain hidden by $how"
case $status in
  0) ok ;;
  90) fail "could not mount a tmpfs over $toolchain" ;;
  91) fail "$toolchain/bin/swift still visible after hiding it" ;;
  *) fail "the installed tools failed with the toolchain hidden (exit $status):"; head -5 "$tmp/hidden.err" ;;
esac
if cmp -s "$tmp/expected" "$hidden"; then ok; else fail "installed tools' output differs from the build's:"; diff "$tmp/expected" "$hidden" | head -10; fi

# Every library the dynamic loader opens, dlopen'd ones included.
LD_DEBUG=libs "$root/bin/tsfm-forecast" --runtime baseline --deterministic examples/requests.ndjson >/dev/null 2>"$tmp/lddebug" || true
if grep -q 'calling init:' "$tmp/lddebug"; then ok; else fail "LD_DEBUG=libs printed nothing (glibc's loader expected)"; fi
if grep -E 'calling init: .*(libswift|'"$toolchain"')' "$tmp/lddebug"; then fail "a Swift runtime library was loaded at run time"; else ok; fi

echo "install: $passed passed, $failed failed"
[ "$failed" = 0 ]
