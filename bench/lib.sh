# Helpers for bench scripts. measure NAME BYTES RECORDS -- CMD... runs CMD 3 times (stdout to
# /dev/null), and prints the median wall time, records/s, MB/s and the peak RSS.
measure() {
  local name="$1" bytes="$2" records="$3"; shift 4
  local times=() rss=0
  for run in 1 2 3; do
    local t0 t1
    t0=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$WORK/.rss" "$@" >/dev/null 2>"$WORK/.err" || { echo "$name: command failed"; cat "$WORK/.err"; return 1; }
    t1=$(date +%s.%N)
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')")
    local r; r=$(tail -1 "$WORK/.rss"); [ "$r" -gt "$rss" ] && rss=$r
  done
  local median; median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 2p)
  awk -v n="$name" -v t="$median" -v b="$bytes" -v r="$records" -v m="$rss" 'BEGIN {
    printf "%-32s %8.3f s  %12.0f records/s  %8.1f MB/s  peak %6.1f MB\n", n, t, r / t, b / t / 1e6, m / 1024 }'
}
export -f measure
