#!/usr/bin/env bash
# The licence guard (docs/models.md): --profile prod refuses research-only and unlisted models
# before any call (exit 78 naming the model and its licence), for --model and for a request's
# model.model_name; check-config gives CI the same verdict; the registry is read strictly.
# Usage: Tests/Ops/licence-guard.sh BIN. Ends with 'licence-guard: N passed, M failed'.
set -u
cd "$(dirname "$0")/../.."
BIN="$(cd "$1" && pwd)"
. Tests/Ops/lib.sh
export XDG_STATE_HOME="$tmp/state"
unset TSFM_MODEL_REGISTRY
R=ops/models.json
# Nothing listens on port 9: a call would fail fast, and a refusal must come before any call.
F=("$BIN/tsfm-forecast" --tollama-url http://127.0.0.1:9 --model-registry "$R")

"$BIN/tsfm-forecast" check-config --profile prod --model-registry "$R" > "$tmp/out" 2> "$tmp/err"; s=$?
check "check-config --profile prod accepts chronos2 (exit 0)" '[ $s = 0 ] && grep -qx "ok: chronos2 (Apache-2.0) allowed in production" "$tmp/out"'
"$BIN/tsfm-forecast" check-config --profile prod --model-registry "$R" --model moirai-2.0-R-small > "$tmp/out" 2> "$tmp/err"; s=$?
check "check-config --profile prod refuses moirai-2.0-R-small (exit 78, model and licence named)" \
  '[ $s = 78 ] && grep -q "model .moirai-2.0-R-small. (CC-BY-NC-4.0) is not allowed in production" "$tmp/err" && [ ! -s "$tmp/out" ]'
"$BIN/tsfm-forecast" check-config --profile prod --model-registry "$R" --model no-such-model 2> "$tmp/err"; s=$?
check "an unlisted model is refused in prod (exit 78)" '[ $s = 78 ] && grep -q "not in the model registry" "$tmp/err"'
"$BIN/tsfm-forecast" check-config --model-registry "$R" --model moirai-2.0-R-small > /dev/null 2>&1; s=$?
check "the dev profile does not refuse it (exit 0)" '[ $s = 0 ]'

"${F[@]}" --profile prod --model moirai-2.0-R-small --metrics-file "$tmp/f.prom" examples/requests.ndjson > "$tmp/out" 2> "$tmp/err"; s=$?
check "forecast --profile prod --model moirai-2.0-R-small: exit 78 before any output" '[ $s = 78 ] && [ ! -s "$tmp/out" ] && grep -q "CC-BY-NC-4.0" "$tmp/err"'
check "… and made no tollama call" 'grep -q "^tsfm_tollama_calls_total{tool=\"tsfm-forecast\",pipeline=\"default\"} 0$" "$tmp/f.prom" && grep -q "^tsfm_last_run_exit_code{tool=\"tsfm-forecast\",pipeline=\"default\"} 78$" "$tmp/f.prom"'
"${F[@]}" --profile prod --runtime baseline --model moirai-2.0-R-small examples/requests.ndjson > "$tmp/out" 2>/dev/null; s=$?
check "--runtime baseline asks no model: nothing checked (exit 0)" '[ $s = 0 ] && [ -s "$tmp/out" ]'
"${F[@]}" --profile prod --retries 0 examples/requests.ndjson > "$tmp/out" 2>/dev/null; s=$?
check "forecast --profile prod accepts chronos2 (the run goes on; exit 0 with the daemon down)" '[ $s = 0 ] && [ "$(wc -l < "$tmp/out")" = "$(wc -l < examples/requests.ndjson)" ]'

# A request naming a refused model: a configuration error at its line.
python3 -c '
import json, sys
lines = open("examples/requests.ndjson").read().splitlines()
for i, l in enumerate(lines):
    r = json.loads(l)
    if r.get("quality", {}).get("tsfm_eligible") and r.get("liquidity_bucket") != "LOW" and r.get("volume_24h", 1e9) >= 5000:
        r["model"] = {"model_name": "moirai-2.0-R-small"}
        lines[i] = json.dumps(r)
        print(i + 1, file=sys.stderr)
        break
open(sys.argv[1], "w").write("\n".join(lines) + "\n")' "$tmp/req.ndjson" 2> "$tmp/line"
line="$(cat "$tmp/line")"
"${F[@]}" --profile prod "$tmp/req.ndjson" > /dev/null 2> "$tmp/err"; s=$?
check "a request whose model.model_name is research-only: exit 78 at its line ($line)" \
  '[ $s = 78 ] && grep -q "req.ndjson:$line: model .moirai-2.0-R-small. (CC-BY-NC-4.0)" "$tmp/err"'
"${F[@]}" --retries 0 "$tmp/req.ndjson" > /dev/null 2>&1; s=$?
check "… the same input under dev is forecast (exit 0)" '[ $s = 0 ]'

"$BIN/tsfm-forecast" check-config --profile prod > /dev/null 2> "$tmp/err"; s=$?
check "prod without any registry refuses (exit 78)" '[ $s = 78 ] && grep -q "no model registry" "$tmp/err"'
TSFM_MODEL_REGISTRY="$R" "$BIN/tsfm-forecast" check-config --profile prod > /dev/null 2>&1; s=$?
check "\$TSFM_MODEL_REGISTRY is read (exit 0)" '[ $s = 0 ]'
python3 -c 'import json; d = json.load(open("ops/models.json")); d["models"][0]["producton"] = True; json.dump(d, open("'"$tmp"'/bad.json", "w"))'
"$BIN/tsfm-forecast" check-config --profile prod --model-registry "$tmp/bad.json" > /dev/null 2> "$tmp/err"; s=$?
check "a registry with an unknown key: exit 78 naming the file and the key" '[ $s = 78 ] && grep -q "bad.json: models\[0\]: unknown key .producton." "$tmp/err"'
"$BIN/tsfm-forecast" check-config --model-registry "$tmp/missing.json" > /dev/null 2>&1; s=$?
check "a named registry that is missing: exit 78 even under dev" '[ $s = 78 ]'

echo "licence-guard: $passed passed, $failed failed"
[ "$failed" = 0 ]
