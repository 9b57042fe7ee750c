#if canImport(Glibc)
import Glibc
#endif

/// One tsfm-eval run over its inputs: pass one (with standard input spooled to a temporary file
/// when a second pass may be needed), pass two when a paired comparison or a split asks for it,
/// and the optional HTML report.
public final class EvalRun {
    public let evaluator: Evaluator
    let onError: OnErrorPolicy
    let logger: Logger
    let reportPath: String?
    /// The stream pass one reads (its policy and its totals of error records and bad lines).
    var stream: RecordStream?
    public private(set) var records = 0
    public private(set) var withoutFuture = 0
    /// Error records from an earlier stage: counted, not written (stdout carries metric rows).
    public var errorRecords: Int { stream?.totals.errorRecordsPassed ?? 0 }
    public var badLines: Int { stream?.totals.badLines ?? 0 }
    /// Forecasts for the report's fan charts (bounded): the first `sampleLimit` (market, as-of)
    /// keys of distinct markets, each with every band source that scored it, so the sources'
    /// bands can be compared on the same forecasts.
    public private(set) var samples: [ScoredForecast] = []
    static let sampleLimit = 4
    static let sourceLimit = 8

    func offerSample(_ f: ScoredForecast) {
        guard reportPath != nil else { return }
        if samples.contains(where: { $0.marketId == f.marketId && $0.asOfText == f.asOfText }) {
            let sources = samples.filter { $0.marketId == f.marketId && $0.asOfText == f.asOfText }.map(\.bandSource)
            if !sources.contains(f.bandSource) && sources.count < Self.sourceLimit { samples.append(f) }
            return
        }
        let keys = Set(samples.map(\.marketId))
        guard keys.count < Self.sampleLimit, !keys.contains(f.marketId) else { return }
        samples.append(f)
    }

    public init(settings: EvalSettings, onError: OnErrorPolicy, logger: Logger, reportPath: String?) {
        var settings = settings
        settings.forReport = reportPath != nil
        evaluator = Evaluator(settings: settings)
        self.onError = onError
        self.logger = logger
        self.reportPath = reportPath
    }

    /// Pass one reads `stream` (error records and bad lines are counted, never written: stdout
    /// carries metric rows), pass two re-reads its inputs when needed.
    public func execute(stream: RecordStream) throws {
        if let reportPath { try AtomicFile.checkWritable(reportPath) }
        stream.writesErrorRecords = false
        self.stream = stream
        let inputs = stream.input.paths
        // Standard input, kept for pass two in $TMPDIR: an unpredictable name created with
        // O_EXCL|O_NOFOLLOW, removed at the end or when SIGINT/SIGTERM/SIGHUP ends the run.
        var spool: (file: TempFile, sink: OutputSink)?
        if inputs.contains("-") && evaluator.settings.tracksKeys {
            let file = try TempFile(beside: (System.environment("TMPDIR") ?? "/tmp") + "/tsfm-eval-stdin")
            spool = (file, OutputSink(fd: file.fd))
        }
        defer {
            if let spool {
                close(spool.file.fd)
                spool.file.remove()
            }
        }
        try stream.forEachLine { bytes, location in
            if let spool, location.file == NDJSONInput.stdinName {
                try spool.sink.write(bytes: bytes)
                try spool.sink.write(bytes: [0x0A])
            }
            let (line, forecast) = try read(bytes, location)
            if let f = forecast {
                try evaluator.observe(f)
                offerSample(f)
            }
            return line
        }
        if evaluator.needsSecondPass {
            try spool?.sink.flush()
            let again = inputs.map { $0 == "-" ? spool!.file.path : $0 }
            evaluator.beginSecondPass()
            // Samples again, from the records the rows describe.
            samples = []
            let withdrawing = evaluator.secondPass == .withdrawUnpaired
            let paired = evaluator.isPaired
            // An over-long line was counted (or fatal) in pass one too.
            try NDJSONInput(paths: again).forEachLine(longLine: { _ in }) { bytes, _ in
                // Lines whose fate the key alone decides are not decoded: when withdrawing, a
                // paired line stays as pass one counted it (unless the report still wants
                // samples); when filtering a paired comparison, an unpaired line is left out.
                if paired, let key = ScoredForecast.scanKey(bytes) {
                    let pairedKey = evaluator.isPairedKey(key)
                    if withdrawing && pairedKey && (reportPath == nil || samples.count >= Self.sampleLimit) { return }
                    if !withdrawing && !pairedKey { return }
                }
                do {
                    guard let f = try ScoredForecast.read(line: bytes).forecast else { return }
                    if let placement = evaluator.rescore(f), placement != .part(.train) { offerSample(f) }
                } catch is RecordError {
                    // Already counted (or fatal) in pass one.
                }
            }
        }
        if let reportPath {
            try EvalReport(evaluator: evaluator, samples: samples, nothingScored: evaluator.scored == 0 ? nothingScoredReason : nil)
                .write(to: reportPath)
        }
    }

    /// What a line is, and its forecast when it is a scorable record. A bad line's
    /// `RecordError` goes to the stream (the `--on-error` policy), logged first under skip.
    func read(_ bytes: UnsafeBufferPointer<UInt8>, _ location: SourceLocation) throws -> (RecordStream.Line, ScoredForecast?) {
        do {
            switch ScoredForecast.scan(bytes) {
            case .forecast(let f):
                records += 1
                return (.used, f)
            case .withoutFuture:
                records += 1
                withoutFuture += 1
                return (.used, nil)
            case .undecided:
                let record = try Record(line: bytes)
                if record.isErrorRecord { return (.errorRecord(record), nil) }
                records += 1
                guard let f = try ScoredForecast(record: record) else {
                    withoutFuture += 1
                    return (.used, nil)
                }
                return (.used, f)
            }
        } catch let error as RecordError {
            if onError == .skip {
                logger.warning("skipped a bad line", [("at", .string(location.description)), ("reason", .string(error.description))])
            }
            throw error
        }
    }

    /// Why a run scored nothing, and what to do about it (tsfm-eval then exits 66).
    public var nothingScoredReason: String {
        if records == 0 {
            return errorRecords > 0 ? "every record was an error record from an earlier stage: nothing to score"
                                    : "no forecast records in the input: nothing to score"
        }
        if withoutFuture == records {
            return "no record has y_future (realized values): nothing to score; add them with 'tsfm-prep actuals --quotes QUOTES' or score a backtest from 'tsfm-prep --backtest'"
        }
        if evaluator.isPaired && !evaluator.hasPairedKey {
            return "pairing left nothing to score: no (market, as-of) key was scored by every band source; compare fewer sources or use --no-paired"
        }
        return "no realized value fell inside any forecast's horizon: nothing to score (y_future entries were null or the split left nothing)"
    }
}
