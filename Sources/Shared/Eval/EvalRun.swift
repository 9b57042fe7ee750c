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
    public private(set) var records = 0
    public private(set) var withoutFuture = 0
    public private(set) var errorRecords = 0
    public private(set) var badLines = 0
    /// A few forecasts of distinct markets for the report's fan chart (bounded).
    public private(set) var samples: [ScoredForecast] = []
    static let sampleLimit = 4

    /// Keeps `f` as a fan-chart sample when there is room: distinct markets, one band source.
    func offerSample(_ f: ScoredForecast) {
        guard reportPath != nil, samples.count < Self.sampleLimit, !samples.contains(where: { $0.marketId == f.marketId }),
              samples.first.map({ $0.bandSource == f.bandSource }) ?? true else { return }
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

    public func execute(paths: [String], progress: ProgressMeter?) throws {
        let inputs = paths.isEmpty ? ["-"] : paths
        var spool: (path: String, sink: OutputSink)?
        if inputs.contains("-") && evaluator.settings.tracksKeys {
            var template = Array("/tmp/tsfm-eval-XXXXXX".utf8CString)
            let fd = mkstemp(&template)
            guard fd >= 0 else { throw ToolError(.ioError, "cannot create a temporary file: \(String(cString: strerror(errno)))") }
            spool = (String(cString: template), OutputSink(fd: fd))
        }
        defer {
            if let spool {
                close(spool.sink.fd)
                unlink(spool.path)
            }
        }
        try NDJSONInput(paths: inputs).forEachLine { bytes, location in
            progress?.tick()
            if let spool, location.file == NDJSONInput.stdinName {
                try spool.sink.write(bytes: bytes)
                try spool.sink.write(bytes: [0x0A])
            }
            guard let f = try read(bytes, location) else { return }
            try evaluator.observe(f)
            offerSample(f)
        }
        progress?.finish()
        if evaluator.isPaired && !evaluator.hasPairedKey {
            logger.warning("pairing left nothing to compare: no (market, as-of) key was scored by every band source; compare fewer sources (e.g. one runtime's raw and calibrated bands) or use --no-paired",
                           [("band_sources", .int(evaluator.sourceCount))])
        }
        if evaluator.needsSecondPass {
            try spool?.sink.flush()
            let again = inputs.map { $0 == "-" ? spool!.path : $0 }
            evaluator.beginSecondPass()
            // Samples again, from the records the rows describe.
            samples = []
            let withdrawing = evaluator.secondPass == .withdrawUnpaired
            let paired = evaluator.isPaired
            try NDJSONInput(paths: again).forEachLine { bytes, _ in
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
                    if let part = evaluator.rescore(f), part != "train" { offerSample(f) }
                } catch is RecordError {
                    // Already counted (or fatal) in pass one.
                }
            }
        }
        if let reportPath {
            try EvalReport(evaluator: evaluator, samples: samples).write(to: reportPath)
        }
    }

    /// A good scorable record, or nil (error record, no y_future, or a bad line under skip).
    func read(_ bytes: UnsafeBufferPointer<UInt8>, _ location: SourceLocation) throws -> ScoredForecast? {
        do {
            switch ScoredForecast.scan(bytes) {
            case .forecast(let f):
                records += 1
                return f
            case .withoutFuture:
                records += 1
                withoutFuture += 1
                return nil
            case .undecided:
                let record = try Record(line: bytes)
                if record.isErrorRecord {
                    errorRecords += 1
                    return nil
                }
                records += 1
                guard let f = try ScoredForecast(record: record) else {
                    withoutFuture += 1
                    return nil
                }
                return f
            }
        } catch let error as RecordError {
            guard onError == .skip else { throw ToolError.data(error, at: location) }
            badLines += 1
            logger.warning("skipped a bad line", [("at", .string(location.description)), ("reason", .string(error.description))])
            return nil
        }
    }
}
