/// What each tool reports in its `--metrics-file`, from the totals it already keeps for
/// `--summary` (docs/metrics.md, one section per tool). The executables register these with
/// `MetricsRun.collect`; the names and labels are the contract's.
extension RunMetrics {
    /// tsfm-post and tsfm-conformal apply: the band guards' counts.
    public func bandGuards(_ t: PostProcessor.Totals) {
        add("tsfm_band_steps_total", [], t.steps)
        add("tsfm_band_values_clipped_total", [], t.clipped)
        add("tsfm_band_crossings_fixed_total", [], t.crossingsFixed)
        add("tsfm_band_widths_expanded_total", [], t.expanded)
        add("tsfm_band_widths_clamped_total", [], t.clamped)
    }

    /// tsfm-conformal apply: records by how much was calibrated, the parameters' as-of, and with
    /// `--adapt` the online adaptation's outcomes.
    public func conformalApply(_ t: ConformalApplier.Totals, paramsAsOf: Timestamp?, adaptation: OnlineCalibration?) {
        bandGuards(t.guards)
        add("tsfm_conformal_adjusted_records_total", [], t.adjusted)
        add("tsfm_conformal_partially_adjusted_records_total", [], t.partial)
        add("tsfm_conformal_unadjusted_records_total", [], t.unadjusted)
        if let asOf = paramsAsOf { set("tsfm_conformal_params_as_of_timestamp_seconds", [], Double(asOf.millis) / 1000) }
        if let a = adaptation {
            add("tsfm_conformal_outcomes_counted_total", [], a.counted)
            set("tsfm_conformal_outcomes_pending", [], Double(a.pending.count))
        }
    }

    /// tsfm-forecast: forecasts by band source, model-bound requests, fallbacks by reason (the
    /// eleven fixed codes always, `tollama_http_<status>` from its first occurrence), flat bands.
    public func forecaster(_ t: Forecaster.Totals, fixedReasons: [FallbackReason] = FallbackReason.metricCodes) {
        add("tsfm_forecast_requests_total", [("band_source", BandSource.tsfmRaw.rawValue)], t.model)
        add("tsfm_forecast_requests_total", [("band_source", BandSource.baseline.rawValue)], t.baseline)
        add("tsfm_forecast_model_requests_total", [], t.modelBound)
        add("tsfm_forecast_degenerate_series_total", [], t.degenerate)
        for reason in fixedReasons { add("tsfm_forecast_fallbacks_total", [("reason", reason.rawValue)], 0) }
        for (reason, n) in t.fallbackReasons { add("tsfm_forecast_fallbacks_total", [("reason", reason.rawValue)], n) }
        for source in [BandSource.tsfmRaw, .baseline] {
            declareHistogram("tsfm_forecast_request_duration_seconds", [("band_source", source.rawValue)])
        }
    }
}

/// tsfm-conformal fit's gauges and counters: what the latest fit made, whether it was promoted.
public struct FitMetrics {
    public var records: Int?
    public var groups: Int?
    public var belowMinSamples: Int?
    public var holdout: CalibrationReport?
    public var target: Double?
    public var asOf: Timestamp?
    public var promoted = false
    public var refused = false

    public init() {}

    /// Holdout coverage of the global group's outer pair over all steps (after calibration), or
    /// nil when the holdout had no sample.
    public var holdoutCoverage: Double? {
        guard let rows = holdout?.rows.filter({ $0.group == SegmentKeys.globalGroup && $0.pair.outer }) else { return nil }
        let n = rows.reduce(0) { $0 + $1.n }
        guard n > 0 else { return nil }
        return Double(rows.reduce(0) { $0 + $1.coveredAfter }) / Double(n)
    }

    public func report(to m: RunMetrics) {
        m.add("tsfm_conformal_refit_refusals_total", [], refused ? 1 : 0)
        m.add("tsfm_conformal_promotions_total", [], promoted ? 1 : 0)
        m.set("tsfm_conformal_fit_records", [], records.map(Double.init))
        m.set("tsfm_conformal_groups", [], groups.map(Double.init))
        m.set("tsfm_conformal_groups_below_min_samples", [], belowMinSamples.map(Double.init))
        m.set("tsfm_conformal_holdout_coverage_ratio", [], holdoutCoverage)
        m.set("tsfm_conformal_target_coverage_ratio", [], target)
        m.set("tsfm_conformal_params_as_of_timestamp_seconds", [], asOf.map { Double($0.millis) / 1000 })
    }
}

extension FallbackReason {
    /// The fallback reasons every tsfm-forecast metrics file shows, 0 or not: the policy's and
    /// the runtime's fixed codes (`tollama_http_<status>` appear with their first occurrence).
    public static let metricCodes: [FallbackReason] = [
        .ineligibleGapTooLong, .ineligibleStale, .ineligibleOther, .tooShort, .illiquid,
        .tollamaTimeout, .tollamaUnreachable, .tollamaInvalidResponse, .circuitOpen, .modelNotInstalled, .baselineOnlyMode,
    ]
}

extension RunMetrics {
    /// tsfm-eval: per band source over all steps (and per step for coverage), whatever
    /// `--group-by` says; the validation part under `--split`. Undefined values are left out.
    /// Rounded to 1e-9 as the rows are, so the file and the rows agree.
    public func evaluation(_ e: Evaluator) {
        func r(_ x: Double) -> Double { (x * 1e9).rounded() / 1e9 }
        for (source, acc) in e.bySource {
            let s = [("band_source", source)]
            set("tsfm_eval_scored_records", s, Double(acc.records))
            set("tsfm_eval_breach_ratio", s, acc.count(.breachN) > 0 ? r(Double(acc.count(.breaches)) / Double(acc.count(.breachN))) : nil)
            set("tsfm_eval_followthrough_ratio", s, acc.count(.ftN) > 0 ? r(Double(acc.count(.ft)) / Double(acc.count(.ftN))) : nil)
            for (k, p) in acc.pairStats(e.slots).enumerated() {
                let l = s + [("pair", p.name)]
                set("tsfm_eval_coverage_ratio", l, r(Double(p.covered) / Double(p.n)))
                set("tsfm_eval_nominal_coverage_ratio", l, r(p.nominal))
                set("tsfm_eval_scored_steps", l, Double(p.n))
                set("tsfm_eval_mean_width_probability", l, r(p.widthSum / Double(p.n)))
                set("tsfm_eval_winkler_score_probability", l, r(p.winklerSum / Double(p.n)))
                if k == 0, let target = acc.target, !acc.targetMixed {
                    set("tsfm_eval_target_coverage_ratio", l, r(target))
                }
            }
            for (step, stepAcc) in e.bySourceStep[source] ?? [:] {
                for p in stepAcc.pairStats(e.slots) {
                    set("tsfm_eval_coverage_by_step_ratio", s + [("pair", p.name), ("step", String(step))], r(Double(p.covered) / Double(p.n)))
                }
            }
        }
        if let end = e.latestAsOfMs { set("tsfm_eval_data_end_timestamp_seconds", [], Double(end) / 1000) }
    }
}
