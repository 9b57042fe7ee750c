#!/usr/bin/env bash
# The configuration file (docs/configuration.md): values reach the tools exactly as the flags
# would, flags and environment override it, unknown keys and wrong types exit 78 naming the key
# and the file, --print-config says where each value came from, and its defaults agree with --help.
# Usage: Tests/Ops/config.sh BIN. Ends with 'config: N passed, M failed'.
set -u
cd "$(dirname "$0")/../.."
BIN="$(cd "$1" && pwd)"
. Tests/Ops/lib.sh
export XDG_STATE_HOME="$tmp/state"
unset TSFM_CONFIG TOLLAMA_BASE_URL TSFM_MODEL_REGISTRY
cat > "$tmp/c.json" <<'JSON'
{"min_width": 0.1, "max_width": 0.5, "model": "moirai-2.0-R-small", "profile": "prod", "model_registry": "ops/models.json",
 "tollama_url": "http://127.0.0.1:9", "retries": 0, "metrics_pipeline": "cycle"}
JSON
F=examples/forecasts.ndjson

"$BIN/tsfm-post" --min-width 0.1 --max-width 0.5 "$F" > "$tmp/flags.ndjson"
"$BIN/tsfm-post" --config "$tmp/c.json" "$F" > "$tmp/file.ndjson"
"$BIN/tsfm-post" "$F" > "$tmp/default.ndjson"
check "tsfm-post: the file's min_width/max_width act as the flags do" 'cmp -s "$tmp/flags.ndjson" "$tmp/file.ndjson" && ! cmp -s "$tmp/file.ndjson" "$tmp/default.ndjson"'
TSFM_CONFIG="$tmp/c.json" "$BIN/tsfm-post" "$F" > "$tmp/env.ndjson"
check "\$TSFM_CONFIG names the file" 'cmp -s "$tmp/flags.ndjson" "$tmp/env.ndjson"'
"$BIN/tsfm-post" --config "$tmp/c.json" --min-width 0.02 --max-width 0.6 "$F" > "$tmp/override.ndjson"
check "flags override the file" 'cmp -s "$tmp/default.ndjson" "$tmp/override.ndjson"'
"$BIN/tsfm-post" --config "$tmp/c.json" --metrics-file "$tmp/post.prom" "$F" > /dev/null
check "metrics_pipeline from the file labels the metrics" 'grep -q "pipeline=\"cycle\"" "$tmp/post.prom"'

"$BIN/tsfm-forecast" --config "$tmp/c.json" examples/requests.ndjson > /dev/null 2> "$tmp/err"; s=$?
check "profile/model/model_registry from the file: the licence guard refuses (exit 78)" '[ $s = 78 ] && grep -q "moirai-2.0-R-small" "$tmp/err"'
"$BIN/tsfm-forecast" --config "$tmp/c.json" --model chronos2 examples/requests.ndjson > /dev/null 2>&1; s=$?
check "… and --model chronos2 overrides the file's model (exit 0)" '[ $s = 0 ]'
"$BIN/tsfm-forecast" check-config --config "$tmp/c.json" > /dev/null 2>&1; s=$?
check "check-config validates the file's model for prod (exit 78)" '[ $s = 78 ]'

"$BIN/tsfm-forecast" --config "$tmp/c.json" --timeout 3 --print-config > "$tmp/print"; s=$?
check "--print-config exits 0" '[ $s = 0 ]'
check "--print-config: a flag's source is 'flag'" 'grep -Eq "^timeout +3 +flag$" "$tmp/print"'
check "--print-config: the file's values name the file" 'grep -Eq "^model +moirai-2.0-R-small +config file $tmp/c.json$" "$tmp/print"'
check "--print-config: defaults say so" 'grep -Eq "^batch_size +50 +default$" "$tmp/print"'
TOLLAMA_BASE_URL=http://127.0.0.1:8 "$BIN/tsfm-forecast" --config "$tmp/c.json" --print-config > "$tmp/print2"
check "--print-config: the environment beats the file" 'grep -Eq "^tollama_url +http://127.0.0.1:8 +env \\\$TOLLAMA_BASE_URL$" "$tmp/print2"'

echo '{"min_width": 0.1, "modle": "x"}' > "$tmp/unknown.json"
"$BIN/tsfm-post" --config "$tmp/unknown.json" "$F" > "$tmp/out" 2> "$tmp/err"; s=$?
check "an unknown key: exit 78 naming the key and the file, nothing written" '[ $s = 78 ] && grep -q "$tmp/unknown.json: unknown key .modle." "$tmp/err" && [ ! -s "$tmp/out" ]'
echo '{"retries": "two"}' > "$tmp/type.json"
"$BIN/tsfm-forecast" --config "$tmp/type.json" --print-config > /dev/null 2> "$tmp/err"; s=$?
check "a value of the wrong type: exit 78 naming the key" '[ $s = 78 ] && grep -q "retries. must be an integer" "$tmp/err"'
echo '[1,2]' > "$tmp/array.json"
"$BIN/tsfm-eval" --config "$tmp/array.json" < /dev/null > /dev/null 2>&1; s=$?
check "a file that is not a JSON object: exit 78" '[ $s = 78 ]'
"$BIN/tsfm-post" --config "$tmp/missing.json" < /dev/null > /dev/null 2>&1; s=$?
check "a missing file: exit 78" '[ $s = 78 ]'

# The defaults --print-config shows are the options' own (as --help prints them).
for cmd in "tsfm-forecast forecast" "tsfm-forecast health" "tsfm-post" "tsfm-conformal apply" "tsfm-prep requests" "tsfm-eval score"; do
  set -- $cmd
  "$BIN/$1" ${2:+$2} --help > "$tmp/help" 2>&1
  "$BIN/$1" ${2:+$2} --print-config > "$tmp/print" 2>&1
  out="$(python3 - "$tmp/help" "$tmp/print" <<'PY'
import re, sys
help_text = open(sys.argv[1]).read()
blocks = re.split(r"\n(?=  --)", help_text)
defaults = {}
for b in blocks:
    m = re.match(r"  (--[a-z-]+)", b)
    d = re.search(r"default: ([^)]*)\)\s*$", " ".join(b.split()))
    if m and d:
        defaults[m.group(1)] = d.group(1)
compared, bad = 0, []
for line in open(sys.argv[2]):
    if line.startswith("#"):
        continue
    key, value, source = line.split(None, 2)
    flag = "--" + key.replace("_", "-")
    if source.strip() == "default" and flag in defaults:
        compared += 1
        if defaults[flag] != value:
            bad.append(f"{key}: {value} vs --help {defaults[flag]}")
print(compared, "; ".join(bad))
PY
)"
  n="${out%% *}"; rest="${out#* }"
  check "$cmd: --print-config defaults match --help ($n compared)" '[ "${n:-0}" -gt 0 ] && [ -z "${rest// /}" ]' || echo "   differ: $rest"
done

echo "config: $passed passed, $failed failed"
[ "$failed" = 0 ]
