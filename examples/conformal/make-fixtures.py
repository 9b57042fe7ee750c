#!/usr/bin/env python3
"""Regenerates the tsfm-conformal example fixtures (deterministic: fixed seed, stdlib only).

  scored.ndjson     1440 scored forecasts (16 markets x 90 hourly as-of times) with y_future
                    (14 values for a 12-step horizon, as prep's --future-steps writes), bands
                    deliberately miscalibrated per segment: HIGH too narrow, MEDIUM too wide.
                    One segment (MEDIUM|>30d|sports) has a single market, so with
                    --min-samples 150 it falls back to its prefix.
  forecasts.ndjson  live forecasts to calibrate (no y_future), including a segment never seen
                    in fitting (LOW), a tsfm_raw band and a pass-through field.
  bad.ndjson        forecasts with one malformed line, for --on-error skip.
Usage: python3 examples/conformal/make-fixtures.py   (from the repository root)
"""
import json
import math
import os
import random
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
START = datetime(2026, 11, 1, tzinfo=timezone.utc)
STEPS = 12
rng = random.Random(6)

# (liquidity, tte, category, band scale factor vs the true step size)
MARKETS = [
    ("HIGH", "1d-7d", "politics", 0.55), ("HIGH", "1d-7d", "politics", 0.55),
    ("HIGH", "1d-7d", "sports", 0.6), ("HIGH", "1d-7d", "sports", 0.6),
    ("HIGH", "7d-30d", "politics", 0.5), ("HIGH", "7d-30d", "politics", 0.5),
    ("HIGH", "7d-30d", "crypto", 0.6), ("HIGH", "7d-30d", "crypto", 0.6),
    ("MEDIUM", "1d-7d", "politics", 2.0), ("MEDIUM", "1d-7d", "politics", 2.0),
    ("MEDIUM", "1d-7d", "sports", 1.8), ("MEDIUM", "1d-7d", "sports", 1.8),
    ("MEDIUM", ">30d", "politics", 2.2), ("MEDIUM", ">30d", "politics", 2.2),
    ("MEDIUM", ">30d", "crypto", 2.0), ("MEDIUM", ">30d", "sports", 2.0),
]
SIGMA = 0.06


def ts(t):
    return (START + timedelta(hours=t)).strftime("%Y-%m-%dT%H:%M:%SZ")


def logistic(x):
    return 1 / (1 + math.exp(-x))


def r4(x):
    return round(min(max(x, 0.0001), 0.9999), 4)


def band(x0, scale):
    out = {}
    for level, z in (("0.1", -1.2816), ("0.5", 0.0), ("0.9", 1.2816)):
        out[level] = [r4(logistic(x0 + z * scale * SIGMA * math.sqrt(h))) for h in range(1, STEPS + 1)]
    return out


def record(m, t, x, with_future, source="baseline", extra=None):
    liq, tte, cat, scale = MARKETS[m] if m < len(MARKETS) else extra["segment"]
    r = {"market_id": f"mkt-{m:02d}", "as_of_ts": ts(t), "freq": "1h", "horizon_steps": STEPS,
         "quantiles": [0.1, 0.5, 0.9], "liquidity_bucket": liq, "tte_bucket": tte, "category": cat}
    if with_future:
        r["y_future"] = [r4(logistic(v)) for v in x[t + 1:t + 15]]
    r["yhat_q"] = band(x[t], scale)
    r["meta"] = {"runtime": "baseline", "model_name": "baseline:ewma", "warnings": [], "band_source": source}
    return r


paths = []
for m in range(len(MARKETS)):
    x = [rng.uniform(-1.5, 1.5)]
    for _ in range(130):
        step = SIGMA * rng.gauss(0, 1)
        if rng.random() < 0.02:
            step += 0.3 * rng.gauss(0, 1)
        x.append(x[-1] + step)
    paths.append(x)

with open(os.path.join(HERE, "scored.ndjson"), "w") as f:
    for t in range(90):
        for m in range(len(MARKETS)):
            f.write(json.dumps(record(m, t, paths[m], True), separators=(",", ":")) + "\n")

live = []
for m in (0, 4, 8, 12, 15):
    r = record(m, 110, paths[m], False, source="tsfm_raw" if m == 4 else "baseline")
    r["y"] = [r4(logistic(v)) for v in paths[m][104:111]]
    live.append(r)
low = record(99, 110, paths[3], False, extra={"segment": ("LOW", "<1d", "politics", 1.0)})
low["market_id"] = "mkt-low"
live.append(low)
with open(os.path.join(HERE, "forecasts.ndjson"), "w") as f:
    for r in live:
        f.write(json.dumps(r, separators=(",", ":")) + "\n")

with open(os.path.join(HERE, "bad.ndjson"), "w") as f:
    f.write(json.dumps(live[0], separators=(",", ":")) + "\n")
    f.write('{"market_id":"mkt-broken","as_of_ts":"2026-11-05T14:00:00Z","yhat_q":{"0.1":[0.2,\n')
    bad = dict(live[1])
    bad["yhat_q"] = {"0.1": [0.2], "0.9": "wide"}
    f.write(json.dumps(bad, separators=(",", ":")) + "\n")
    f.write(json.dumps(live[2], separators=(",", ":")) + "\n")
