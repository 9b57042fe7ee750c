import ArgumentParser
import TSFMCommandLine
import TSFMCore

@main
struct TsfmConformal: ParsableCommand {
    /// `--help` and `--version` to a full disk exit 74, not 0.
    static func main() {
        ToolMain.checkStandardOutputAtExit()
        main(ToolConfig.arguments(tool: "tsfm-conformal"))
    }

    static let configuration = CommandConfiguration(
        commandName: "tsfm-conformal",
        abstract: "Rolling conformal calibration of forecast bands: fit parameters on scored history, apply them to new forecasts.",
        discussion: """
            fit    reads forecasts that carry realized values (y_future) and writes
                   a versioned parameter file: per segment group (full key, each
                   prefix, global), quantile pair and horizon step, how much to
                   widen or narrow the band to reach --target coverage.
            apply  reads forecasts and a parameter file, keeps the band as
                   yhat_q_raw and writes the calibrated band to yhat_q.

            Example pipeline:
              tsfm-prep --backtest quotes.ndjson | tsfm-forecast | tsfm-post \\
                > scored.ndjson
              tsfm-conformal fit --out-dir params/ scored.ndjson
              tsfm-prep quotes.ndjson | tsfm-forecast | tsfm-post \\
                | tsfm-conformal apply --params params/ > calibrated.ndjson

            See docs/tsfm-conformal.md for the file format and the rules.
            """,
        version: TSFM.version,
        subcommands: [Fit.self, Apply.self]
    )
}

enum ReportFormat: String, CaseIterable, ExpressibleByArgument {
    case ndjson
    case table
}

struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit conformal parameters on scored forecasts (with y_future) and write a parameter file.",
        discussion: """
            Uses the records whose as_of_ts lies in [as-of - window, as-of], both
            ends included (as-of defaults to the latest as_of_ts among records
            with y_future).
            Records without y_future are skipped and counted (--summary); only the
            first horizon_steps values of y_future count. A group with fewer than
            --min-samples samples at a step gets no parameters of its own there:
            apply falls back to the next coarser group, then global.

            Methods:
              cqr     additive adjustment = the ceil((n+1)*target)-th smallest
                      score max(lo - y, y - hi); negative narrows an over-wide band
              scaled  median-residual centre shift and a width scale
              aci     adaptive conformal inference: an online miscoverage level
                      (step --gamma) run over the window in time order; the
                      level at the window's end is kept
            When ceil((n+1)*target) > n (tiny groups) the largest score is used
            and the step is marked "capped" in the file. A record that carries
            yhat_q_raw (calibrated before) is scored on that raw band.

            --out-dir never makes things worse unattended: a refit with fewer
            groups with parameters than the current latest, or whose holdout
            coverage (the --report holdout, scored on the bands apply writes) is
            off the target by more than --tolerance, exits 75 and changes nothing
            (--force overrides). Each fit gets its own file (<date>.json, then
            <date>-2.json, ...).

            Examples:
              tsfm-conformal fit --out params.json scored.ndjson
              tsfm-conformal fit --out-dir params/ --method aci scored.ndjson
              tsfm-conformal fit --report --format table scored.ndjson
              tsfm-conformal fit --exclude-latest 0.2 --out-dir params/ scored.ndjson
              tsfm-conformal fit --partial shard-1.ndjson > part-1.ndjson
              tsfm-conformal fit --merge --out params.json part-*.ndjson
              tsfm-conformal fit --segment-by liquidity_bucket,band_source \\
                --all-pairs --out params.json scored.ndjson
            """
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var stateDirOption: StateDirOption

    @Option(help: "Write the parameter file here (atomically).")
    var out: String?

    @Option(help: "Write DIR/<as_of date>.json and point DIR/latest at it (atomically).")
    var outDir: String?

    @Option(help: "Calibration method: cqr, scaled or aci.")
    var method: ConformalMethod = .cqr

    @Option(help: "Space of scores and adjustments: logit (bands stay inside (0,1)) or prob.")
    var space: ConformalSpace = .logit

    @Option(help: "Target coverage of the outermost quantile pair.")
    var target: Double = 0.9

    @Option(help: "ACI step size.")
    var gamma: Double = 0.005

    @Option(help: "Length of the calibration window before --as-of (e.g. 14d, 36h; at most 3660d).")
    var window = DurationArgument(seconds: 14 * 86_400, text: "14d")

    @Option(help: "End of the window: an RFC 3339 UTC time, or 'now'. Default: the latest as_of_ts among records with y_future.")
    var asOf: AsOfArgument?

    @Option(help: "Fewest samples a group needs at a step to get parameters of its own (1 to 100000000).")
    var minSamples: Int = 500

    @Option(help: "Segment keys, coarsest first, from: liquidity_bucket, tte_bucket, category, event_id, market_id, band_source; every prefix and global are fitted too. 'band_source' reads meta.band_source. Empty: global only.",
            transform: NameList<SegmentKey>.parse)
    var segmentBy = NameList<SegmentKey>(SegmentKey.standard)

    @Flag(help: "Also calibrate every symmetric inner pair (each to its nominal coverage hi − lo).")
    var allPairs = false

    @Flag(help: "Hold out the latest 20% of the window, fit on the rest, and report holdout coverage before/after per group and step on stdout.")
    var report = false

    @Option(help: "Report format: ndjson or table.")
    var format: ReportFormat = .ndjson

    @Option(help: "Accepted distance of the report's coverage from the target (also the --out-dir refit check).")
    var tolerance: Double = 0.03

    @Option(help: "Leave out the latest fraction F of distinct as_of_ts (0 < F < 1): the window ends before them, so 'tsfm-eval --split time:F' scores exactly the records the fit never saw.")
    var excludeLatest: Double?

    @Flag(help: "With --out-dir: replace latest even when the new fit has fewer groups with parameters or misses the target on its holdout.")
    var force = false

    @Flag(help: "Write this input's calibration history (scores, times, bands) as a partial on stdout instead of fitting, for 'fit --merge' (docs/scale-out.md).")
    var partial = false

    @Flag(help: "The inputs are partials from 'fit --partial': fit the union, exactly as one fit over all their inputs.")
    var merge = false

    func validate() throws {
        guard out == nil || outDir == nil else { throw ValidationError("give --out or --out-dir, not both") }
        if partial {
            guard out == nil, outDir == nil, !report, excludeLatest == nil, !merge else {
                throw ValidationError("--partial writes the history to stdout: give --out, --out-dir, --report and --exclude-latest to the 'fit --merge' of the partials")
            }
        } else {
            guard out != nil || outDir != nil || report else { throw ValidationError("fit needs --out FILE, --out-dir DIR or --report") }
        }
        guard target > 0, target < 1 else { throw ValidationError("--target must be in (0, 1)") }
        guard gamma > 0, gamma < 1 else { throw ValidationError("--gamma must be in (0, 1)") }
        try window.check("--window", 0...DurationText.maxSeconds, openBelow: true)
        try FlagRange.check("--min-samples", minSamples, 1...100_000_000)
        guard tolerance >= 0, tolerance < 1 else { throw ValidationError("--tolerance must be in [0, 1)") }
        if let f = excludeLatest {
            guard f > 0, f < 1 else { throw ValidationError("--exclude-latest must be in (0, 1)") }
            guard asOf == nil else { throw ValidationError("give --as-of or --exclude-latest, not both") }
        }
    }

    func run() throws {
        let tool = "tsfm-conformal"
        common.run(tool: tool, metricsName: "tsfm-conformal fit", stateDir: stateDirOption.path,
                   withMetrics: !(partial || merge)) { output, log, metrics in
            if let out { try AtomicFile.checkWritable(out) }
            var settings = FitSettings()
            settings.method = method
            settings.space = space
            settings.target = target
            settings.gamma = gamma
            settings.window = window
            settings.asOf = asOf?.timestamp
            settings.minSamples = minSamples
            settings.segments = SegmentKeys(segmentBy.names.map(\.rawValue))
            settings.allPairs = allPairs
            // A partial keeps the bands whatever the merge will be asked for.
            settings.keepBands = report || outDir != nil || partial
            let history = CalibrationSet(settings: settings)
            let stream = common.stream(tool: tool, output: output)
            var fit = FitMetrics()
            fit.target = target
            var reportRows = 0
            metrics?.collect { m, status in
                m.stream(stream.totals)
                m.add("tsfm_records_out_total", [], reportRows)
                fit.refused = status == .refitRefused
                fit.report(to: m)
            }
            var merged: CalibrationPartial.Totals?
            if merge {
                let paths = common.files.isEmpty ? ["-"] : common.files
                try NDJSONInput(paths: paths).checkReadable()
                do { merged = try CalibrationPartial.merge(paths: paths, into: history) } catch let e as CalibrationPartial.PartialError {
                    throw e.toolError
                }
                if method == .aci && merged!.partials > 1 {
                    log.info("aci keeps input order among equal as-of times: the merge equals one fit only when the partials are consecutive pieces of the input, given in order")
                }
            } else {
                try stream.forEach { record, _ in try history.add(record) }
            }
            if partial {
                try CalibrationPartial.write(history, totals: stream.totals) { try output.write(line: $0) }
                return stream.exitStatus
            }
            let badLines = merged?.badLines ?? stream.totals.badLines
            if let excludeLatest, let cutoff = TimeSplit.cutoff(history.sampledTimes(), fraction: excludeLatest) {
                guard let last = history.sampledTimes().filter({ $0 < cutoff }).max() else {
                    throw ToolError(.noInput, "--exclude-latest \(excludeLatest) leaves no as_of_ts to fit on")
                }
                history.settings.asOf = Timestamp(millis: last)
            }
            guard history.window() != nil else {
                // Under --on-error skip, bad lines (written as error records) are what left
                // nothing to fit: that is bad data (65), not missing input (66).
                if badLines > 0 {
                    Logger.writeStderr("\(tool): every record with y_future was a bad line: nothing to fit\n")
                    return .dataError
                }
                throw ToolError(.noInput, "no record with y_future and as_of_ts in the input: nothing to fit (score forecasts first: tsfm-prep --backtest, or tsfm-prep actuals)")
            }
            let holdout = report || outDir != nil ? history.report(tolerance: tolerance) : nil
            fit.holdout = holdout
            fit.records = history.recordsInWindow()
            fit.asOf = history.window()?.asOf
            if report, let holdout {
                switch format {
                case .ndjson:
                    try output.write(bytes: try holdout.ndjson())
                    reportRows = holdout.rows.count
                case .table: try output.write(bytes: Array(holdout.table().utf8))
                }
            }
            var written: ConformalParameters?
            if out != nil || outDir != nil, let parameters = history.parameters() {
                fit.groups = parameters.groups.count
                fit.belowMinSamples = parameters.belowMinSamples.count
                fit.asOf = parameters.asOf
                if let out { try ParameterStore.write(parameters, to: out) }
                if let outDir {
                    // A first fit has nothing to protect: what it misses is a warning, not a refusal.
                    let current = try ParameterStore.current(inDirectory: outDir)
                    let problems = RefitCheck.problems(new: parameters, current: current, report: holdout, tolerance: tolerance)
                    if !problems.isEmpty && !force && current != nil {
                        throw ToolError(.refitRefused, "refit refused, \(outDir)/latest and every file in it left as they were: "
                                        + problems.joined(separator: "; ") + " (--force replaces it anyway)")
                    }
                    let path = try ParameterStore.write(parameters, toDirectory: outDir)
                    fit.promoted = true
                    for problem in problems { log.warning(current == nil ? "first fit in \(outDir): \(problem)" : "--force: \(problem)") }
                    log.info("parameters written", [("file", .string(path))])
                }
                if parameters.groups.isEmpty {
                    log.warning("no group reached --min-samples: apply will pass every band through unchanged",
                                [("min_samples", .int(minSamples))])
                }
                written = parameters
            }
            if common.summary {
                let c = history.counts
                let inWindow = history.recordsInWindow()
                var fields: [(String, JSONValue)] = [
                    ("in_window", .int(inWindow)),
                    ("skipped_without_y_future", .int(c.withoutFuture)),
                    ("outside_window", .int(c.outsideWindow + c.sampled - inWindow)),
                    ("without_realized_steps", .int(c.withoutSteps)),
                ]
                if let w = history.window() {
                    fields += [("as_of", .string(w.asOf.rfc3339)), ("window_start", .string(w.start.rfc3339))]
                }
                if let written {
                    fields += [("groups_with_params", .int(written.groups.count)),
                               ("groups_below_min_samples", .int(written.belowMinSamples.count))]
                }
                if let merged { fields.append(("partials", .int(merged.partials))) }
                log.summary(records: merged?.records ?? stream.totals.records, fields,
                            errorRecordsPassed: merged?.errorRecordsPassed ?? stream.totals.errorRecordsPassed, badLines: badLines)
            }
            return badLines > 0 ? .dataError : .success
        }
    }
}

struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Calibrate forecast bands with a fitted parameter file.",
        discussion: """
            For each forecast and horizon step, the parameters of the most specific
            group that has them are used (full segment key, then each coarser
            prefix, then global). The band as it came is kept as yhat_q_raw; the
            adjusted band goes to yhat_q: lower levels move down and upper levels
            up by the step's adjustment in the file's space, never past the median
            (except for scaled's centre shift); then tsfm-post's rules are
            enforced again: values clipped into [0,1], order repaired, the outer
            width kept within [--min-width, --max-width], with tsfm-post's warning
            codes. meta.conformal records params_version, group, method, target,
            space; meta.band_source becomes tsfm_conformal or baseline_conformal.
            Steps without parameters stay unadjusted and warn
            conformal_insufficient_samples. A missing, unreadable or wrong-version
            parameter file is a configuration error (exit 78).

            --adapt follows drift: per group and step, a rolling window of the
            latest realized scores re-fits the adjustment, and quantile tracking
            corrects what the window misses. Outcomes come from records with
            y_future in the input (records must be in as_of_ts order; an outcome
            counts only once as_of_ts + h*freq has passed) and from --outcomes.
            The state is kept in --state (default DIR/adapt-state.json).

            Examples:
              tsfm-conformal apply --params params/latest forecasts.ndjson
              tsfm-post raw.ndjson | tsfm-conformal apply --params params/ --summary
              tsfm-prep --backtest --order time quotes.ndjson | tsfm-forecast \\
                | tsfm-post | tsfm-conformal apply --adapt --params params/
              tsfm-conformal apply --adapt --params params/ \\
                --outcomes actuals.ndjson live.ndjson
            """
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var stateDirOption: StateDirOption

    @Option(help: "Parameter file, a parameter directory, or its 'latest' pointer.")
    var params: String

    @Option(help: "Minimum width of the outer band after calibration (tsfm-post's guard).")
    var minWidth: Double = BandGuard.defaultMinWidth

    @Option(help: "Maximum width of the outer band after calibration (tsfm-post's guard).")
    var maxWidth: Double = BandGuard.defaultMaxWidth

    @Flag(help: "Adapt each group's adjustment online as outcomes become known (records with y_future in the input, in as_of_ts order, and --outcomes).")
    var adapt = false

    @Option(help: "With --adapt: the rate eta of the update offset += eta * w * (miss - (1 - target)).")
    var adaptRate: Double = OnlineCalibration.defaultRate

    @Option(help: "With --adapt: how many of the latest realized scores per group and step the rolling window keeps (its quantile replaces the stored adjustment from 50 on).")
    var adaptWindow: Int = OnlineCalibration.defaultWindow

    @Option(help: "With --adapt: the adaptation state file (default: DIR/adapt-state.json when --params names a directory or its latest; none otherwise).")
    var state: String?

    @Option(help: "With --adapt: earlier calibrated forecasts with their realized y_future (e.g. from tsfm-prep actuals); their outcomes update the adaptation before the input is read. Not written to stdout.")
    var outcomes: String?

    func validate() throws {
        guard maxWidth > 0, maxWidth <= 1 else { throw ValidationError("--max-width must be in (0, 1]") }
        guard minWidth >= 0, minWidth <= maxWidth else { throw ValidationError("--min-width must be in [0, --max-width]") }
        guard adaptRate > 0, adaptRate <= 1 else { throw ValidationError("--adapt-rate must be in (0, 1]") }
        guard adaptWindow >= OnlineCalibration.minimumOutcomes, adaptWindow <= 100_000 else {
            throw ValidationError("--adapt-window must be between \(OnlineCalibration.minimumOutcomes) and 100000")
        }
        if !adapt && (state != nil || outcomes != nil) { throw ValidationError("--state and --outcomes go with --adapt") }
    }

    func run() throws {
        let tool = "tsfm-conformal"
        common.run(tool: tool, metricsName: "tsfm-conformal apply", stateDir: stateDirOption.path) { output, log, metrics in
            let parameters = try ParameterStore.load(params)
            var adaptation: OnlineCalibration?
            let statePath = adapt ? (state ?? ParameterStore.defaultStatePath(params: params)) : nil
            if adapt {
                var fresh = OnlineCalibration(parameters: parameters, rate: adaptRate, window: adaptWindow)
                if let statePath, let bytes = try ParameterStore.readState(statePath) {
                    do {
                        if !(try fresh.restore(bytes)) {
                            log.info("adaptation state belongs to other parameters: starting afresh", [("state", .string(statePath))])
                        }
                    } catch {
                        throw ToolError(.config, "adaptation state \(statePath) is damaged (\(error)); remove it to start the adaptation afresh")
                    }
                }
                adaptation = fresh
            }
            var applier = ConformalApplier(parameters: parameters, minWidth: minWidth, maxWidth: maxWidth, adaptation: adaptation)
            var sideBadLines = 0
            if let outcomes {
                let side = RecordStream(input: NDJSONInput(paths: [outcomes]), output: output, onError: common.onError)
                var known: [OnlineCalibration.Outcome] = []
                try side.forEach { record, _ in known += try applier.outcomes(of: record) }
                applier.adaptation!.countNow(known)
                sideBadLines = side.totals.badLines
            }
            let stream = common.stream(tool: tool, output: output)
            metrics?.collect { m, _ in
                m.stream(stream.totals)
                m.conformalApply(applier.totals, paramsAsOf: parameters.asOf, adaptation: applier.adaptation)
            }
            try stream.map { record, _ in try applier.process(&record) }
            if let statePath, let adaptation = applier.adaptation {
                try ParameterStore.writeState(try adaptation.encoded(), to: statePath)
            }
            if common.summary {
                let t = applier.totals
                var fields: [(String, JSONValue)] = [
                    ("params_version", .string(parameters.version)),
                    ("adjusted", .int(t.adjusted)), ("partially_adjusted", .int(t.partial)),
                    ("unadjusted", .int(t.unadjusted)), ("clipped", .int(t.guards.clipped)),
                    ("crossing_fixed", .int(t.guards.crossingsFixed)), ("expanded", .int(t.guards.expanded)),
                    ("clamped", .int(t.guards.clamped)),
                ]
                if let a = applier.adaptation {
                    fields += [("outcomes_counted", .int(a.counted)), ("outcomes_pending", .int(a.pending.count)),
                               ("outcomes_counted_before", .int(a.duplicates))]
                }
                log.summary(stream.totals, fields)
            }
            return sideBadLines + stream.totals.badLines > 0 ? .dataError : .success
        }
    }
}
