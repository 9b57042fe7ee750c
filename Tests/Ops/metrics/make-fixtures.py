#!/usr/bin/env python3
"""Writes the metrics fixtures Tests/Ops/metrics/*.prom: what each tool's --metrics-file holds
after many runs of the 5-minute cycle (and the nightly calibration), laid out as docs/metrics.md
specifies. HELP texts and types are read from docs/metrics.md's tables; the numbers are made up
but consistent (e.g. histogram buckets are cumulative, +Inf equals _count).
Tests/Ops/check-metrics.py checks the result against docs/metrics.md independently.
Usage: python3 Tests/Ops/metrics/make-fixtures.py"""
import os, re

here = os.path.dirname(os.path.abspath(__file__))
doc = open(os.path.join(here, "../../../docs/metrics.md"), encoding="utf-8").read()
families = {}
for m in re.finditer(r"^\| `(tsfm_[a-z0-9_]+)` \| (counter|gauge|histogram) \| ([a-z_, ]+) \| (.+) \|$", doc, re.M):
    families[m.group(1)] = (m.group(2), m.group(4))

LABEL_ORDER = ["tool", "pipeline", "band_source", "pair", "step", "reason", "le"]
BUCKETS = ["0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.15", "0.2", "0.25", "0.3", "0.4",
           "0.5", "0.75", "1", "1.5", "2", "3", "5", "10", "+Inf"]


def fmt(v):
    if isinstance(v, int):
        return str(v)
    s = repr(float(v))
    if "e" in s or "E" in s:
        raise ValueError(f"use plain notation: {v}")
    return s[:-2] if s.endswith(".0") else s


def label_text(labels):
    keys = sorted(labels, key=LABEL_ORDER.index)
    return "{" + ",".join(f'{k}="{labels[k]}"' for k in keys) + "}"


def sort_key(labels):
    out = []
    for k in LABEL_ORDER:
        if k not in labels:
            continue
        v = labels[k]
        if k in ("step",):
            out.append((0, int(v), ""))
        elif k == "le":
            out.append((0, float("inf") if v == "+Inf" else float(v), ""))
        else:
            out.append((1, 0, v))
    return out


def write(name, base, samples):
    """samples: family -> list of (extra labels, value) or, for histograms, (extra labels, buckets, sum)."""
    lines = []
    for fam in sorted(samples):
        typ, help_ = families[fam]
        lines.append(f"# HELP {fam} {help_}")
        lines.append(f"# TYPE {fam} {typ}")
        rows = sorted(samples[fam], key=lambda r: sort_key({**base, **r[0]}))
        for row in rows:
            labels = {**base, **row[0]}
            if typ == "histogram":
                counts, total = row[1], row[2]
                assert len(counts) == len(BUCKETS) and counts == sorted(counts)
                for le, c in zip(BUCKETS, counts):
                    lines.append(f"{fam}_bucket{label_text({**labels, 'le': le})} {c}")
                lines.append(f"{fam}_sum{label_text(labels)} {fmt(total)}")
                lines.append(f"{fam}_count{label_text(labels)} {counts[-1]}")
            else:
                lines.append(f"{fam}{label_text(labels)} {fmt(row[1])}")
    with open(os.path.join(here, name), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def common(records_in, records_out, runs, failures, end, duration, exit_code=0, last_success=None, bad=0, passed=0):
    return {
        "tsfm_runs_total": [({}, runs)],
        "tsfm_run_failures_total": [({}, failures)],
        "tsfm_last_run_timestamp_seconds": [({}, end)],
        "tsfm_last_run_duration_seconds": [({}, duration)],
        "tsfm_last_run_exit_code": [({}, exit_code)],
        "tsfm_last_success_timestamp_seconds": [({}, end if last_success is None else last_success)],
        "tsfm_records_in_total": [({}, records_in)],
        "tsfm_records_out_total": [({}, records_out)],
        "tsfm_bad_lines_total": [({}, bad)],
        "tsfm_error_records_passed_total": [({}, passed)],
    }


cycle = lambda tool: {"tool": tool, "pipeline": "cycle"}
calibrate = lambda tool: {"tool": tool, "pipeline": "calibrate"}
END = 1764590700.412  # 2025-12-01T12:05:00.412Z

# tsfm-prep: 1,152 cycles of the top 200.
prep = common(1152 * 5200, 1152 * 200, 1152, 0, END - 1.03, 0.61)
prep["tsfm_prep_ineligible_requests_total"] = [({"reason": r}, n) for r, n in
                                               [("gap_too_long", 5120), ("too_short", 96), ("illiquid", 41210), ("stale", 730)]]
write("tsfm-prep.prom", cycle("tsfm-prep"), prep)

# tsfm-forecast: the same cycles; it exited 78 once (a model not pulled) and is fine again.
fc = common(230400, 230400, 1152, 1, END - 0.72, 0.58)
fb = {"ineligible_gap_too_long": 5120, "ineligible_stale": 730, "ineligible_other": 0, "too_short": 96,
      "illiquid": 41210, "tollama_timeout": 214, "tollama_unreachable": 3050, "tollama_invalid_response": 2,
      "circuit_open": 1400, "model_not_installed": 200, "baseline_only_mode": 2600, "tollama_http_503": 50}
fc["tsfm_forecast_fallbacks_total"] = [({"reason": r}, n) for r, n in fb.items()]
model_requests = 230400 - 5120 - 730 - 96 - 41210
runtime_fb = sum(n for r, n in fb.items() if r not in ("ineligible_gap_too_long", "ineligible_stale", "ineligible_other", "too_short", "illiquid"))
fc["tsfm_forecast_model_requests_total"] = [({}, model_requests)]
fc["tsfm_forecast_requests_total"] = [({"band_source": "tsfm_raw"}, model_requests - runtime_fb),
                                      ({"band_source": "baseline"}, 230400 - (model_requests - runtime_fb))]
fc["tsfm_forecast_degenerate_series_total"] = [({}, 87)]
raw_n, base_n = model_requests - runtime_fb, 230400 - (model_requests - runtime_fb)
fc["tsfm_forecast_request_duration_seconds"] = [
    ({"band_source": "baseline"}, [int(base_n * f) for f in
      (0.97, 0.985, 0.99, 0.995, 0.996, 0.997, 0.998, 0.998, 0.999, 0.999, 0.999, 0.999, 0.999, 1, 1, 1, 1, 1, 1, 1)], 431.25),
    ({"band_source": "tsfm_raw"}, [int(raw_n * f) for f in
      (0.08, 0.12, 0.2, 0.41, 0.62, 0.78, 0.9, 0.95, 0.97, 0.985, 0.99, 0.995, 0.998, 0.999, 1, 1, 1, 1, 1, 1)], 13811.7),
]
calls = 4608
fc["tsfm_tollama_calls_total"] = [({}, calls)]
errors = {"tollama_timeout": 9, "tollama_unreachable": 61, "tollama_invalid_response": 1, "model_not_installed": 4, "tollama_http_503": 1}
fc["tsfm_tollama_call_errors_total"] = [({"reason": r}, n) for r, n in errors.items()]
fc["tsfm_tollama_call_duration_seconds"] = [({}, [int(calls * f) for f in
    (0, 0.002, 0.03, 0.21, 0.52, 0.74, 0.9, 0.95, 0.97, 0.982, 0.985, 0.987, 0.99, 0.992, 0.994, 0.996, 0.997, 0.998, 1, 1)], 317.52)]
fc["tsfm_tollama_retries_total"] = [({}, 58)]
fc["tsfm_tollama_series_sent_total"] = [({}, 176950)]
fc["tsfm_tollama_cache_lookups_total"] = [({}, model_requests - 1400 - 2600)]
fc["tsfm_tollama_cache_hits_total"] = [({}, 3120)]
fc["tsfm_tollama_config_problems_total"] = [({"reason": r}, n) for r, n in [("auth", 0), ("model_not_installed", 1), ("license_not_accepted", 0)]]
fc["tsfm_tollama_breaker_open"] = [({}, 0)]
fc["tsfm_tollama_breaker_consecutive_failures"] = [({}, 0)]
fc["tsfm_tollama_breaker_opened_timestamp_seconds"] = [({}, 0)]
fc["tsfm_tollama_breaker_opens_total"] = [({}, 3)]
fc["tsfm_tollama_baseline_only_mode"] = [({}, 0)]
fc["tsfm_tollama_baseline_only_since_timestamp_seconds"] = [({}, 0)]
fc["tsfm_tollama_recent_fallback_ratio"] = [({}, 0.02)]
fc["tsfm_tollama_recent_model_requests"] = [({}, 150)]
write("tsfm-forecast.prom", cycle("tsfm-forecast"), fc)

# tsfm-post.
post = common(230400, 230403, 1152, 2, END, 0.084, passed=3)
post["tsfm_band_steps_total"] = [({}, 230400 * 12)]
post["tsfm_band_values_clipped_total"] = [({}, 0)]
post["tsfm_band_crossings_fixed_total"] = [({}, 318)]
post["tsfm_band_widths_expanded_total"] = [({}, 90112)]
post["tsfm_band_widths_clamped_total"] = [({}, 41)]
write("tsfm-post.prom", cycle("tsfm-post"), post)

# tsfm-conformal apply --adapt.
ap = common(230400, 230400, 1152, 0, END + 0.31, 0.12)
ap["tsfm_band_steps_total"] = [({}, 230400 * 12)]
ap["tsfm_band_values_clipped_total"] = [({}, 0)]
ap["tsfm_band_crossings_fixed_total"] = [({}, 0)]
ap["tsfm_band_widths_expanded_total"] = [({}, 1204)]
ap["tsfm_band_widths_clamped_total"] = [({}, 7)]
ap["tsfm_conformal_adjusted_records_total"] = [({}, 226100)]
ap["tsfm_conformal_partially_adjusted_records_total"] = [({}, 1300)]
ap["tsfm_conformal_unadjusted_records_total"] = [({}, 3000)]
ap["tsfm_conformal_outcomes_counted_total"] = [({}, 2690000)]
ap["tsfm_conformal_outcomes_pending"] = [({}, 2400)]
ap["tsfm_conformal_params_as_of_timestamp_seconds"] = [({}, 1764547200)]
write("tsfm-conformal-apply.prom", cycle("tsfm-conformal apply"), ap)

# tsfm-conformal fit --out-dir in the nightly calibration; one refit was refused.
NIGHT = 1764556213.905  # 2025-12-01T02:30:13.905Z
fit = common(403200, 0, 30, 1, NIGHT, 6.31)
fit["tsfm_conformal_fit_records"] = [({}, 403200)]
fit["tsfm_conformal_groups"] = [({}, 41)]
fit["tsfm_conformal_groups_below_min_samples"] = [({}, 6)]
fit["tsfm_conformal_holdout_coverage_ratio"] = [({}, 0.8931)]
fit["tsfm_conformal_target_coverage_ratio"] = [({}, 0.9)]
fit["tsfm_conformal_refit_refusals_total"] = [({}, 1)]
fit["tsfm_conformal_promotions_total"] = [({}, 29)]
fit["tsfm_conformal_params_as_of_timestamp_seconds"] = [({}, 1764547200)]
write("tsfm-conformal-fit.prom", calibrate("tsfm-conformal fit"), fit)

# tsfm-eval --split time:0.2 on the nightly backtest: raw and calibrated baseline bands.
NIGHT_EVAL = 1764556221.337
ev = common(806400, 2 * 12, 30, 0, NIGHT_EVAL, 4.82)
cov = {"baseline": 0.8052, "baseline_conformal": 0.8917}
ev["tsfm_eval_coverage_ratio"] = [({"band_source": s, "pair": "0.1-0.9"}, c) for s, c in cov.items()]
ev["tsfm_eval_nominal_coverage_ratio"] = [({"band_source": s, "pair": "0.1-0.9"}, 0.8) for s in cov]
ev["tsfm_eval_target_coverage_ratio"] = [({"band_source": "baseline_conformal", "pair": "0.1-0.9"}, 0.9)]
ev["tsfm_eval_scored_steps"] = [({"band_source": s, "pair": "0.1-0.9"}, 967680) for s in cov]
ev["tsfm_eval_mean_width_probability"] = [({"band_source": "baseline", "pair": "0.1-0.9"}, 0.0721),
                                          ({"band_source": "baseline_conformal", "pair": "0.1-0.9"}, 0.0893)]
ev["tsfm_eval_winkler_score_probability"] = [({"band_source": "baseline", "pair": "0.1-0.9"}, 0.1188),
                                             ({"band_source": "baseline_conformal", "pair": "0.1-0.9"}, 0.1102)]
by_step = []
for s, c in cov.items():
    for step in range(1, 13):
        by_step.append(({"band_source": s, "pair": "0.1-0.9", "step": str(step)}, round(c + 0.004 * (6.5 - step) / 6.5, 4)))
ev["tsfm_eval_coverage_by_step_ratio"] = by_step
ev["tsfm_eval_breach_ratio"] = [({"band_source": "baseline"}, 0.1948), ({"band_source": "baseline_conformal"}, 0.1083)]
# Follow-through is defined only for the raw band here (the calibrated one's breaches were undecided):
# an undefined value is left out, not written as NaN.
ev["tsfm_eval_followthrough_ratio"] = [({"band_source": "baseline"}, 0.3125)]
ev["tsfm_eval_scored_records"] = [({"band_source": s}, 80640) for s in cov]
ev["tsfm_eval_data_end_timestamp_seconds"] = [({}, 1764547200)]
write("tsfm-eval.prom", calibrate("tsfm-eval"), ev)
