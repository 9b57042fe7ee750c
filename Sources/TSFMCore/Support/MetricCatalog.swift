/// Every metric family a tool may write, with its type and HELP text exactly as docs/metrics.md
/// lists them. node_exporter refuses a family whose HELP or TYPE differs between the files of its
/// directory, so these strings are part of the contract (Tests/Ops/check.py compares real outputs
/// with the doc's tables).
public enum MetricCatalog {
    public enum MetricType: String, Sendable {
        case counter, gauge, histogram
    }

    public struct Family: Sendable {
        public let type: MetricType
        public let help: String
    }

    /// The buckets of both histograms, in seconds (dense around the 300 ms objective).
    public static let durationBuckets: [Double] = [
        0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10,
    ]

    /// The order labels are written in (`le` last, for buckets).
    public static let labelOrder = ["tool", "pipeline", "band_source", "pair", "step", "reason", "le"]

    public static let families: [String: Family] = [
        "tsfm_runs_total": Family(type: .counter, help: "Runs of the tool that wrote this file, whatever their exit status."),
        "tsfm_run_failures_total": Family(type: .counter, help: "Runs of the tool that exited with a non-zero status."),
        "tsfm_last_run_timestamp_seconds": Family(type: .gauge, help: "Unix time at which the latest run ended."),
        "tsfm_last_run_duration_seconds": Family(type: .gauge, help: "Wall-clock duration of the latest run in seconds."),
        "tsfm_last_run_exit_code": Family(type: .gauge, help: "Exit status of the latest run (0 success, see docs/exit-codes.md)."),
        "tsfm_last_success_timestamp_seconds": Family(type: .gauge, help: "Unix time at which the latest run with exit status 0 ended; 0 if none has."),
        "tsfm_records_in_total": Family(type: .counter, help: "Input records read, not counting bad lines and error records from earlier stages."),
        "tsfm_records_out_total": Family(type: .counter, help: "Records written to standard output, error records included."),
        "tsfm_bad_lines_total": Family(type: .counter, help: "Input lines rejected as bad (exit 65, or error records with --on-error skip)."),
        "tsfm_error_records_passed_total": Family(type: .counter, help: "Error records from earlier stages passed through (or, by tsfm-eval, counted)."),
        "tsfm_prep_ineligible_requests_total": Family(type: .counter, help: "Requests marked TSFM-ineligible (baseline only), by the first reason."),
        "tsfm_forecast_requests_total": Family(type: .counter, help: "Forecasts written, by meta.band_source."),
        "tsfm_forecast_model_requests_total": Family(type: .counter, help: "Requests the policy sent toward the model (eligible and liquid, or all with --runtime tollama), however they were served."),
        "tsfm_forecast_fallbacks_total": Family(type: .counter, help: "Requests served by a baseline with fallback_used true, by meta.fallback_reason."),
        "tsfm_forecast_degenerate_series_total": Family(type: .counter, help: "Forecasts given a flat band because no baseline was valid (warning degenerate_series)."),
        "tsfm_forecast_request_duration_seconds": Family(type: .histogram, help: "Time from reading a request to its forecast (meta.latency_ms), by band source."),
        "tsfm_tollama_calls_total": Family(type: .counter, help: "HTTP forecast calls sent to tollama, each retry counted."),
        "tsfm_tollama_call_errors_total": Family(type: .counter, help: "Failed tollama forecast calls, by reason."),
        "tsfm_tollama_call_duration_seconds": Family(type: .histogram, help: "Duration of tollama forecast calls, from sending to the answer or the failure."),
        "tsfm_tollama_retries_total": Family(type: .counter, help: "Tollama forecast calls repeated after a failure that can pass."),
        "tsfm_tollama_series_sent_total": Family(type: .counter, help: "Series sent to tollama in forecast calls (a call carries up to --batch-size)."),
        "tsfm_tollama_cache_lookups_total": Family(type: .counter, help: "Model-bound requests looked up in the response cache."),
        "tsfm_tollama_cache_hits_total": Family(type: .counter, help: "Model-bound requests answered from the response cache."),
        "tsfm_tollama_config_problems_total": Family(type: .counter, help: "Runs that found a configuration problem the operator must fix (exit 78), by kind."),
        "tsfm_tollama_breaker_open": Family(type: .gauge, help: "1 if the circuit breaker was open or half-open when the run ended, else 0."),
        "tsfm_tollama_breaker_consecutive_failures": Family(type: .gauge, help: "Consecutive failed tollama calls recorded by the breaker when the run ended."),
        "tsfm_tollama_breaker_opened_timestamp_seconds": Family(type: .gauge, help: "Unix time at which the open breaker opened; 0 when closed."),
        "tsfm_tollama_breaker_opens_total": Family(type: .counter, help: "Times a run of this pipeline opened the circuit breaker."),
        "tsfm_tollama_baseline_only_mode": Family(type: .gauge, help: "1 if baseline-only mode was on when the run ended, else 0."),
        "tsfm_tollama_baseline_only_since_timestamp_seconds": Family(type: .gauge, help: "Unix time at which baseline-only mode began; 0 when off."),
        "tsfm_tollama_recent_fallback_ratio": Family(type: .gauge, help: "Share of model-bound requests that fell back over --baseline-only-window, as baseline-only mode counts them."),
        "tsfm_tollama_recent_model_requests": Family(type: .gauge, help: "Model-bound requests over --baseline-only-window, as baseline-only mode counts them."),
        "tsfm_band_steps_total": Family(type: .counter, help: "Horizon steps of bands checked by the guards."),
        "tsfm_band_values_clipped_total": Family(type: .counter, help: "Quantile values clipped into [0, 1]."),
        "tsfm_band_crossings_fixed_total": Family(type: .counter, help: "Horizon steps whose crossing quantiles were sorted."),
        "tsfm_band_widths_expanded_total": Family(type: .counter, help: "Horizon steps whose outer band was widened to the minimum width."),
        "tsfm_band_widths_clamped_total": Family(type: .counter, help: "Horizon steps whose outer band was narrowed to the maximum width."),
        "tsfm_conformal_adjusted_records_total": Family(type: .counter, help: "Records calibrated at every horizon step."),
        "tsfm_conformal_partially_adjusted_records_total": Family(type: .counter, help: "Records calibrated at some horizon steps only (warning conformal_insufficient_samples)."),
        "tsfm_conformal_unadjusted_records_total": Family(type: .counter, help: "Records left unchanged because no group had parameters for any step."),
        "tsfm_conformal_outcomes_counted_total": Family(type: .counter, help: "Realized outcomes counted by online adaptation (--adapt)."),
        "tsfm_conformal_outcomes_pending": Family(type: .gauge, help: "Outcomes not yet due, kept in the adaptation state when the run ended."),
        "tsfm_conformal_params_as_of_timestamp_seconds": Family(type: .gauge, help: "Unix time of the as_of of the conformal parameters used or written."),
        "tsfm_conformal_fit_records": Family(type: .gauge, help: "Records with at least one sample in the calibration window of the latest fit."),
        "tsfm_conformal_groups": Family(type: .gauge, help: "Segment groups with parameters in the latest fit."),
        "tsfm_conformal_groups_below_min_samples": Family(type: .gauge, help: "Segment groups seen with too few samples at every step in the latest fit."),
        "tsfm_conformal_holdout_coverage_ratio": Family(type: .gauge, help: "Holdout coverage of the global group's outer pair over all steps, on the bands apply would write."),
        "tsfm_conformal_target_coverage_ratio": Family(type: .gauge, help: "Target coverage of the latest fit (--target)."),
        "tsfm_conformal_refit_refusals_total": Family(type: .counter, help: "Fits that the refit check refused to promote to latest (exit 75)."),
        "tsfm_conformal_promotions_total": Family(type: .counter, help: "Fits written and promoted to latest (--out-dir), forced ones included."),
        "tsfm_eval_coverage_ratio": Family(type: .gauge, help: "Empirical coverage of the pair over all horizon steps in the latest evaluation."),
        "tsfm_eval_coverage_by_step_ratio": Family(type: .gauge, help: "Empirical coverage of the pair at one horizon step in the latest evaluation."),
        "tsfm_eval_nominal_coverage_ratio": Family(type: .gauge, help: "Nominal coverage of the pair (upper level minus lower level)."),
        "tsfm_eval_target_coverage_ratio": Family(type: .gauge, help: "Conformal target coverage of the calibrated outer pair."),
        "tsfm_eval_scored_steps": Family(type: .gauge, help: "Horizon steps scored for the pair's coverage in the latest evaluation."),
        "tsfm_eval_mean_width_probability": Family(type: .gauge, help: "Mean width of the pair's band in probability units."),
        "tsfm_eval_winkler_score_probability": Family(type: .gauge, help: "Mean Winkler interval score of the pair in probability units."),
        "tsfm_eval_breach_ratio": Family(type: .gauge, help: "Share of scored steps whose realized value left the outer band."),
        "tsfm_eval_followthrough_ratio": Family(type: .gauge, help: "Share of decided breaches followed by a meaningful move in the breach's direction."),
        "tsfm_eval_scored_records": Family(type: .gauge, help: "Records scored in the latest evaluation."),
        "tsfm_eval_data_end_timestamp_seconds": Family(type: .gauge, help: "Unix time of the latest as_of_ts among the scored records."),
    ]
}
