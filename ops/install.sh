#!/usr/bin/env bash
# `make install`: copies the five tools of a release build (Swift standard library linked
# statically, see the Makefile's `release` target) into $DESTDIR$PREFIX/bin, with bash, zsh and
# fish completions and man pages. Nothing installed needs a Swift toolchain at run time.
# Usage: ops/install.sh [--prefix DIR] [--destdir DIR] [BIN_DIR]
#   BIN_DIR   the release build (default .build/release)
# The man pages are made by swift-argument-parser's generate-manual (the tool its
# generate-manual plugin runs), built here from the package's own dependency.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=/usr/local
destdir=
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --destdir) destdir="$2"; shift 2 ;;
    -*) echo "install.sh: unknown option $1" >&2; exit 64 ;;
    *) break ;;
  esac
done
bin="${1:-.build/release}"
tools="tsfm-prep tsfm-forecast tsfm-post tsfm-conformal tsfm-eval"
case "$prefix" in /*) ;; *) echo "install.sh: PREFIX must be an absolute path: $prefix" >&2; exit 64 ;; esac
root="$destdir$prefix"

for t in $tools; do
  [ -x "$bin/$t" ] || { echo "install.sh: $bin/$t is missing: run make release" >&2; exit 66; }
  # A dynamically linked build would need the toolchain's libswift*.so on the target machine.
  if ldd "$bin/$t" | grep -q 'libswift'; then
    echo "install.sh: $bin/$t links the Swift runtime dynamically; build with swift build -c release --static-swift-stdlib" >&2
    exit 78
  fi
done

# generate-manual, from the swift-argument-parser checkout the package already resolved.
swift_cmd="${SWIFT:-swift}"
$swift_cmd build -c release --static-swift-stdlib --product generate-manual >/dev/null
genman="$($swift_cmd build -c release --static-swift-stdlib --show-bin-path)/generate-manual"
# The manual's date: the last commit's, so an install of the same commit gives the same pages.
date="$(git log -1 --format=%cs 2>/dev/null || date -u +%F)"

install -d "$root/bin" "$root/share/tsfm" "$root/share/man/man1" "$root/share/bash-completion/completions" \
  "$root/share/zsh/site-functions" "$root/share/fish/vendor_completions.d"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for t in $tools; do
  install -m 0755 "$bin/$t" "$root/bin/$t"
  "$bin/$t" --generate-completion-script bash > "$tmp/$t.bash"
  "$bin/$t" --generate-completion-script zsh > "$tmp/_$t"
  "$bin/$t" --generate-completion-script fish > "$tmp/$t.fish"
  install -m 0644 "$tmp/$t.bash" "$root/share/bash-completion/completions/$t"
  install -m 0644 "$tmp/_$t" "$root/share/zsh/site-functions/_$t"
  install -m 0644 "$tmp/$t.fish" "$root/share/fish/vendor_completions.d/$t.fish"
  "$genman" "$bin/$t" --date "$date" --output-directory "$tmp"
  # generate-manual leaves blank lines between paragraphs, which mdoc warns about: make them
  # paragraph breaks.
  sed 's/^$/.Pp/' "$tmp/$t.1" > "$tmp/$t.1.fixed"
  install -m 0644 "$tmp/$t.1.fixed" "$root/share/man/man1/$t.1"
done
# The model registry the licence guard reads (docs/models.md).
install -m 0644 ops/models.json "$root/share/tsfm/models.json"
echo "installed $tools into $root/bin, completions and man pages into $root/share"
