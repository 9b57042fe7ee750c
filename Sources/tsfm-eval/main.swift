import ArgumentParser
import TSFMCommandLine
import TSFMCore

@main
struct TsfmEval: ParsableCommand {
    /// `--help` and `--version` to a full disk exit 74, not 0.
    static func main() {
        ToolMain.checkStandardOutputAtExit()
        main(ToolConfig.arguments(tool: "tsfm-eval"))
    }

    static let configuration = CommandConfiguration(
        commandName: "tsfm-eval",
        abstract: "Score forecast bands against realized values and compare band sources.",
        discussion: """
            Without a subcommand, scores (see `tsfm-eval score --help`). `merge` turns
            partials (`tsfm-eval --partial`) from several machines into the rows of the
            union (docs/scale-out.md).

            Examples:
              tsfm-eval --format table scored.ndjson
              tsfm-eval --partial shard-1.ndjson > part-1.ndjson
              tsfm-eval merge --format table part-*.ndjson
            """,
        version: TSFM.version,
        subcommands: [Score.self, Merge.self],
        defaultSubcommand: Score.self
    )
}

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score forecast bands against realized values and compare band sources.",
        discussion: """
            Reads forecasts carrying y_future (backtest output, or live forecasts joined
            by `tsfm-prep actuals`) and writes one metric row per group: coverage,
            mean width and Winkler score per symmetric level pair, pinball loss per
            level, WIS, MAE/RMSE of the median, breach and follow-through rates, each
            with its n. Records without y_future are skipped and counted. stdout
            carries only metric rows; error records and (with --on-error skip) bad
            lines are counted in --summary. See docs/tsfm-eval.md.

            With more than one band source, only (market_id, as_of_ts) keys scored by
            every source are compared (--paired, the default then): the input is read
            twice (stdin is spooled to a temporary file) and only keys are kept in
            memory. --no-paired without --split is one streaming pass.

            Follow-through needs the realized path after the horizon (y_future longer
            than horizon_steps: tsfm-prep --backtest --future-steps M); a breach is
            judged only when its whole --followthrough window is in y_future, otherwise
            the rate is null with n = 0.

            Examples:
              tsfm-eval --format table scored.ndjson
              cat baseline.ndjson conformal.ndjson | tsfm-eval --group-by band_source
              tsfm-eval --split event:0.2 --seed 7 --both --format csv scored.ndjson
              tsfm-eval --report report.html scored.ndjson > metrics.ndjson
              tsfm-eval --partial shard-1.ndjson > part-1.ndjson     # on each machine
              tsfm-eval merge part-*.ndjson                          # rows of the union
            """,
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var state: StateDirOption

    @Option(help: "Group rows by any of: band_source, runtime, model, step, liquidity_bucket, tte_bucket, category, market_id.",
            transform: NameList<EvalGroupKey>.parse)
    var groupBy = NameList<EvalGroupKey>([.bandSource, .step])

    @Option(help: "Output: ndjson, table or csv.")
    var format: Format = .ndjson

    @OptionGroup var followThrough: FollowThroughOptions

    @Flag(inversion: .prefixedNo, help: "Compare only keys every band source scored (default: on when several sources are present).")
    var paired: Bool?

    @Option(help: "Validation split: time:F (latest F of as-of times) or event:F (F of events per category).",
            transform: EvalSplit.parse)
    var split: EvalSplit?

    @Option(help: "Seed of the event split.")
    var seed: UInt64 = 0

    @Flag(help: "With --split, also report the train part.")
    var both = false

    @Option(help: "Also write a self-contained HTML report here.")
    var report: String?

    @Option(help: "Accepted distance of a calibrated band's coverage from its conformal target (the 'meets' column).")
    var tolerance: Double = 0.03

    @Flag(help: "Write the sums and counts behind the rows (NDJSON) instead of the rows, for 'tsfm-eval merge' (see docs/scale-out.md).")
    var partial = false

    enum Format: String, ExpressibleByArgument, CaseIterable { case ndjson, table, csv }

    func validate() throws {
        if both && split == nil { throw ValidationError("--both needs --split") }
        guard tolerance >= 0, tolerance < 1 else { throw ValidationError("--tolerance must be in [0, 1)") }
        if partial {
            if split != nil { throw ValidationError("--split cannot be merged exactly (it needs every as-of time or event of the union): run the split over the whole input, or merge unsplit partials") }
            if report != nil { throw ValidationError("--report describes one run's records; it cannot be combined with --partial") }
            if format != .ndjson { throw ValidationError("--partial writes NDJSON; give --format to 'tsfm-eval merge'") }
        }
    }

    func run() throws {
        // A partial is half a job: the merge that completes it reports (docs/metrics.md).
        common.run(tool: "tsfm-eval", stateDir: state.path, withMetrics: !partial) { output, log, metrics in
            var settings = EvalSettings()
            settings.forMetrics = metrics != nil
            settings.groupBy = groupBy.names
            settings.move = followThrough.move
            settings.followThroughSeconds = followThrough.seconds
            settings.paired = paired
            settings.split = split
            settings.seed = seed
            settings.both = both
            settings.tolerance = tolerance
            let run = EvalRun(settings: settings, onError: common.onError, logger: log, reportPath: report)
            metrics?.collect { m, status in
                m.stream(StreamTotals(records: run.records, errorRecordsPassed: run.errorRecords, badLines: run.badLines))
                if status != .noInput { m.evaluation(run.evaluator) }
            }
            try run.execute(stream: common.stream(tool: "tsfm-eval", output: output))
            if partial {
                var counts = EvalPartial.Counts()
                counts.records = run.records
                counts.withoutFuture = run.withoutFuture
                counts.errorRecords = run.errorRecords
                counts.badLines = run.badLines
                counts.scored = run.evaluator.scored
                counts.unpaired = run.evaluator.unpaired
                for line in try EvalPartial.lines(run.evaluator, counts: counts) { try output.write(line: line) }
                return run.badLines > 0 ? .dataError : .success
            }
            // Nothing scored is an answer to act on, not an empty table (the report says so too).
            if run.evaluator.scored == 0 && run.badLines == 0 { throw ToolError(.noInput, run.nothingScoredReason) }
            for line in try EvalOutput.render(run.evaluator.rows(), format: EvalFormat(rawValue: format.rawValue)!,
                                              groupNames: settings.groupBy.map(\.rawValue)) {
                try output.write(line: line)
            }
            if common.summary {
                log.summary(records: run.records, [
                    ("scored", .int(run.evaluator.scored)),
                    ("without_y_future", .int(run.withoutFuture)), ("paired", .bool(run.evaluator.isPaired)),
                    ("unpaired_left_out", .int(run.evaluator.unpaired)),
                ], errorRecordsPassed: run.errorRecords, badLines: run.badLines)
            }
            return run.badLines > 0 ? .dataError : .success
        }
    }
}

/// `tsfm-eval merge`: rows from partials, identical to one run over the union of their inputs.
struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge partials written by 'tsfm-eval --partial' into the rows one run over the union would print.",
        discussion: """
            Every partial must come from the same --group-by, --move, --followthrough,
            --paired and --tolerance. Sums are exact (fixed point), so the rows equal
            one run over the union to the last digit, in any order of the partials.
            A paired comparison merges when every (market_id, as_of_ts) key was scored
            within one partial (split the input by market: tsfm-prep --shard i/n);
            otherwise the merge is refused (exit 65). See docs/scale-out.md.

            Example:
              parallel 'tsfm-eval --partial {} > {.}.part' ::: shard-*.ndjson
              tsfm-eval merge --format table shard-*.part
            """
    )

    @Argument(help: "Partial files ('-' is standard input).")
    var partials: [String] = []

    @Option(help: "Output: ndjson, table or csv.")
    var format: Score.Format = .ndjson

    @Flag(help: "Totals on stderr, as tsfm-eval --summary prints them (plus the number of partials).")
    var summary = false

    @Option(help: "Log format on stderr: json or text.")
    var logFormat: Logger.Format = .json

    @Option(help: "Least severe log level shown: debug, info, warning, error.")
    var logLevel: Logger.Level = .warning

    func run() throws {
        let output = OutputSink()
        let log = Logger(tool: "tsfm-eval", format: logFormat, level: logLevel)
        ToolMain.run(tool: "tsfm-eval", output: output) {
            try NDJSONInput(paths: partials.isEmpty ? ["-"] : partials).checkReadable()
            let merged: EvalPartial.Merged
            do { merged = try EvalPartial.merge(paths: partials.isEmpty ? ["-"] : partials) } catch let e as EvalPartial.PartialError {
                throw e.toolError
            }
            let c = merged.counts
            if c.scored == 0 && c.badLines == 0 {
                throw ToolError(.noInput, c.records == 0 ? "the partials hold no forecast records: nothing to score"
                    : c.withoutFuture == c.records ? "no record has y_future (realized values): nothing to score"
                    : merged.isPaired && c.unpaired > 0 ? "pairing left nothing to score: no (market, as-of) key was scored by every band source; compare fewer sources or use --no-paired"
                    : "no realized value fell inside any forecast's horizon: nothing to score")
            }
            let settings = merged.evaluator.settings
            for line in try EvalOutput.render(merged.evaluator.rows(), format: EvalFormat(rawValue: format.rawValue)!,
                                              groupNames: settings.groupBy.map(\.rawValue)) {
                try output.write(line: line)
            }
            if summary {
                log.summary(records: c.records, [
                    ("partials", .int(merged.partials)), ("scored", .int(c.scored)),
                    ("without_y_future", .int(c.withoutFuture)), ("paired", .bool(merged.isPaired)),
                    ("unpaired_left_out", .int(c.unpaired)),
                ], errorRecordsPassed: c.errorRecords, badLines: c.badLines)
            }
            return c.badLines > 0 ? .dataError : .success
        }
    }
}
