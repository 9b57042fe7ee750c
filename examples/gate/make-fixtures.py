#!/usr/bin/env python3
"""Writes the crafted inputs of the tsfm-gate golden cases (run from anywhere; test data only).

forecasts.ndjson: calibrated 1h forecasts (horizon 3, y_future of 9 points, so the 6h
follow-through window of a breach is known) of markets chosen by their rollout hash
(docs/tsfm-gate.md): senate-control 0.033 and oscars-best-picture 0.058 are in the 10% canary,
pres-2028-dem 0.354 and mars-landing 0.399 join at 50%, the others stay out.
review-*.ndjson: alert sets for tsfm-gate review at --now 2026-11-24T12:00:00Z.
"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))


def band(lo, hi):
    return {"0.1": lo, "0.5": [round((a + b) / 2, 4) for a, b in zip(lo, hi)], "0.9": hi}


def forecast(mid, future, yq, source, runtime="tollama", raw=None, copy=None, copy_source="baseline_conformal",
             model="chronos2", fallback=None):
    r = {"market_id": mid, "as_of_ts": "2026-11-24T00:00:00Z", "freq": "1h", "horizon_steps": 3,
         "quantiles": [0.1, 0.5, 0.9], "y": [0.5, 0.5, 0.5]}
    if future is not None:
        r["y_future"] = future
    r["yhat_q"] = band(*yq)
    if raw:
        r["yhat_q_raw"] = band(*raw)
    if copy:
        r["yhat_q_baseline"] = band(*copy)
        r["yhat_q_baseline_raw"] = band(*copy)
    meta = {"runtime": runtime, "model_name": model if runtime == "tollama" else "baseline:ewma",
            "model_version": "2.0" if runtime == "tollama" else None, "input_len": 3,
            "fallback_used": fallback is not None, "fallback_reason": fallback, "warnings": [], "band_source": source}
    if source.endswith("conformal"):
        meta["conformal"] = {"params_version": "2026-11-20", "group": "global", "method": "cqr", "target": 0.9, "space": "logit"}
    if copy:
        meta["baseline_band"] = {"model_name": "baseline:ewma", "band_source": copy_source}
    r["meta"] = meta
    return r


flat = lambda v: [v, v, v]
records = [
    # In the canary: calibrated band breached above at step 2, and the move followed (+0.05).
    forecast("senate-control", [0.52, 0.61, 0.62, 0.63, 0.66, 0.66, 0.65, 0.64, 0.64],
             (flat(0.45), flat(0.58)), "tsfm_conformal", raw=(flat(0.47), flat(0.56)), copy=(flat(0.40), flat(0.65))),
    # In the canary, not calibrated (apply found no parameters): the raw band, not_calibrated.
    forecast("oscars-best-picture", [0.30, 0.29, 0.22, 0.22, 0.21, 0.20, 0.20, 0.20, 0.20],
             (flat(0.25), flat(0.35)), "tsfm_raw", raw=(flat(0.25), flat(0.35)), copy=(flat(0.20), flat(0.40)), copy_source="baseline"),
    # Joins at 50%: breach below at step 1, no follow-through (the price comes back).
    forecast("pres-2028-dem", [0.39, 0.41, 0.42, 0.43, 0.43, 0.42, 0.42, 0.41, 0.41],
             (flat(0.40), flat(0.46)), "tsfm_conformal", raw=(flat(0.41), flat(0.45)), copy=(flat(0.38), flat(0.48))),
    # Joins at 50%, served by a baseline (tollama timed out): baseline_served in the TSFM arm.
    forecast("mars-landing", [0.12, 0.13, 0.19, 0.19, 0.2, 0.2, 0.21, 0.21, 0.21],
             (flat(0.10), flat(0.16)), "baseline_conformal", runtime="baseline", raw=(flat(0.11), flat(0.15)),
             fallback="tollama_timeout"),
    # Out of the ramp: the calibrated band holds, the narrower baseline band is breached at step 3.
    forecast("fed-cut-dec", [0.70, 0.71, 0.74, 0.75, 0.75, 0.76, 0.77, 0.78, 0.79],
             (flat(0.65), flat(0.76)), "tsfm_conformal", raw=(flat(0.66), flat(0.75)), copy=(flat(0.68), flat(0.73))),
    # No realized path yet: counted, no alert.
    forecast("btc-100k-dec", None, (flat(0.40), flat(0.50)), "tsfm_conformal", raw=(flat(0.41), flat(0.49)),
             copy=(flat(0.40), flat(0.50))),
    # Made before tsfm-forecast wrote the baseline copy: its baseline arm has no band.
    forecast("gdp-q4", [0.5, 0.5, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9], (flat(0.45), flat(0.55)), "tsfm_conformal",
             raw=(flat(0.46), flat(0.54))),
]
with open(os.path.join(HERE, "forecasts.ndjson"), "w") as f:
    for r in records:
        f.write(json.dumps(r, separators=(",", ":")) + "\n")


def alerts(name, tsfm, tsfm_followed, baseline, baseline_followed, undecided=0, old=0):
    """tsfm/baseline: decided alerts per arm, of which *_followed were followed; undecided:
    extra alerts per arm with followthrough null; old: per arm, breached before the window."""
    rows = []
    def add(arm, i, followed, hours_ago):
        h = 12 - hours_ago
        day = 24 + (h // 24 if h < 0 else 0)
        ts = f"2026-11-{day:02d}T{h % 24:02d}:{(i * 5) % 60:02d}:00Z"
        rows.append({"alert_id": f"{arm}-{i:04d}", "market_id": f"m{i % 17}", "as_of_ts": ts, "freq": "5m",
                     "breach_ts": ts, "step": 1, "direction": "above", "y": 0.6, "lo": 0.4, "hi": 0.58, "pair": "0.1-0.9",
                     "band_source": "tsfm_conformal" if arm == "tsfm" else "baseline", "band_source_fallback": None,
                     "fallback_used": False, "fallback_reason": None, "model_name": "chronos2", "model_version": None,
                     "params_version": None, "phase": "canary", "arm": arm, "shadow": False, "followthrough": followed})
    for arm, n, k in (("tsfm", tsfm, tsfm_followed), ("baseline", baseline, baseline_followed)):
        for i in range(n):
            add(arm, i, i < k, 1 + i % 60)
        for i in range(n, n + undecided):
            add(arm, i, None, 1)
        for i in range(n + undecided, n + undecided + old):
            add(arm, i, True, 80)
    # Each alert read twice (overlapping alert files): counted once.
    with open(os.path.join(HERE, name), "w") as f:
        for r in rows + rows[:5]:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")


alerts("review-worse.ndjson", 40, 16, 40, 24, undecided=3, old=5)   # 0.40 vs 0.60: rollback
alerts("review-on-par.ndjson", 40, 22, 40, 24, undecided=3, old=5)  # 0.55 vs 0.60: keep
alerts("review-few.ndjson", 12, 2, 40, 24, undecided=30, old=40)    # 12 decided in the tsfm arm: too few
