/// tsfm-forecast's work: reads requests, routes each to the model runtime or a baseline by the
/// policy, and writes forecasts (the request record plus `yhat_q` and `meta`) in input order.
///
/// Without a runtime every record is done and written as it is read. With one, the records
/// bound for the model are collected until `runtime.chunkSize` of them are waiting (or the
/// input ends), the runtime is called once for all of them, and the held records (the model's,
/// baseline ones read in between, error records, bad lines) are written in input order and the
/// output flushed. Memory is bounded by the chunk, and output never depends on the chunk size.
public final class Forecaster {
    public struct Totals: Sendable, Equatable {
        /// What the record stream counted: requests read (good or bad, not error records),
        /// error records passed through, bad lines written as error records.
        public var stream = StreamTotals()
        /// Forecasts the model made.
        public var model = 0
        /// Of those, the ones answered from the response cache.
        public var cached = 0
        /// Forecasts a baseline made (asked for or as a fallback).
        public var baseline = 0
        /// Flat bands (`degenerate_series`).
        public var degenerate = 0
        /// Fallbacks by reason code.
        public var fallbackReasons: [FallbackReason: Int] = [:]
        /// Requests the policy sent toward the model, however they were served.
        public var modelBound = 0
        public init() {}

        public var records: Int { stream.records }
        public var errorRecordsPassed: Int { stream.errorRecordsPassed }
        public var badLines: Int { stream.badLines }
        public var fallbacks: Int { fallbackReasons.values.reduce(0, +) }
    }

    public let policy: ForecastPolicy
    public let settings: BaselineSettings
    public let runtime: ModelRuntime?
    public let deterministic: Bool
    let logger: Logger
    let clock: () -> UInt64
    var ids: RequestIdSource
    public private(set) var totals = Totals()
    /// The run's metrics (`--metrics-file`): each forecast's duration by band source.
    public var metrics: RunMetrics?
    /// The licence guard for the model a request asks for (`model.model_name`): throws (exit 78)
    /// at that line before anything is sent.
    public var modelGuard: ((String, SourceLocation) throws -> Void)?

    /// Records held while a chunk is being collected.
    enum Held {
        case ready(RecordStream.Output)
        case model(Record, ForecastRequest, started: UInt64)
    }

    var held: [Held] = []
    var calls: [ModelCall] = []
    let chunkSize: Int
    /// Most records held at once, model-bound or not.
    let holdLimit: Int

    /// - Parameters:
    ///   - clock: monotonic nanoseconds, for `latency_ms` (injectable for tests).
    ///   - idSeed: seeds random request ids (tests); by default the system's generator.
    public init(policy: ForecastPolicy, settings: BaselineSettings, runtime: ModelRuntime?, deterministic: Bool,
                logger: Logger, clock: @escaping () -> UInt64 = System.monotonicNanoseconds, idSeed: UInt64? = nil) {
        self.policy = policy
        self.settings = settings
        self.runtime = runtime
        self.deterministic = deterministic
        self.logger = logger
        self.clock = clock
        ids = RequestIdSource(deterministic: deterministic, seed: idSeed)
        chunkSize = max(runtime?.chunkSize ?? 1, 1)
        holdLimit = max(4 * chunkSize, 256)
    }

    // MARK: - The stream

    /// Forecasts every record of `input` onto `output`. Bad lines follow `onError` as in
    /// `RecordStream` (stop with a located error, or an error record and exit 65 at the end);
    /// error records from earlier stages pass through unchanged, in their place.
    public func run(input: NDJSONInput, output: OutputSink, onError: OnErrorPolicy, progress: ProgressMeter? = nil) throws {
        defer { runtime?.finish() }
        let stream = RecordStream(input: input, output: output, onError: onError, progress: progress)
        // The stream's own writes (error records, bad lines) wait behind the held records.
        stream.deferWrites = { [unowned self] entry in try self.hold(.ready(entry), stream) }
        defer { totals.stream = stream.totals }
        try stream.forEach { record, location in
            let started = clock()
            let request = try ForecastRequest(record: record)
            let requestId = ids.next(for: record.line)
            switch policy.route(request, runtimeAvailable: runtime != nil) {
            case .model:
                totals.modelBound += 1
                let modelName = request.modelName ?? runtime!.defaultModelName
                if let modelGuard, request.modelName != nil { try modelGuard(modelName, location) }
                calls.append(ModelCall(request: request, requestId: requestId, modelName: modelName))
                held.append(.model(record, request, started: started))
                if calls.count >= chunkSize || held.count >= holdLimit { try flushChunk(stream) }
            case .baseline(let reason):
                try finishByBaseline(&record, request, requestId: requestId, reason: reason, started: started)
                try hold(.ready(.record(record)), stream)
            }
        }
        try flushChunk(stream)
    }

    /// The exit status the run calls for: 65 when any line was bad, else 78 when the runtime
    /// met a configuration problem (every record was still written).
    public var exitStatus: ExitStatus {
        if totals.badLines > 0 { return .dataError }
        return runtime?.exitStatus ?? .success
    }

    /// Writes a finished entry now when nothing is waiting for the model, else queues it behind
    /// the waiting ones. A bad line under `--on-error fail` ends the chunk at once, so the
    /// records before it are still written before the run stops.
    func hold(_ entry: Held, _ stream: RecordStream) throws {
        guard case .ready(let output) = entry else { preconditionFailure("model-bound records are held by run") }
        if held.isEmpty {
            try stream.emit(output)
            return
        }
        held.append(entry)
        var mustFlush = held.count >= holdLimit
        if case .rejected = output, stream.onError == .fail { mustFlush = true }
        if mustFlush { try flushChunk(stream) }
    }

    /// Calls the runtime for the waiting requests and writes everything held, in input order.
    func flushChunk(_ stream: RecordStream) throws {
        guard !held.isEmpty else { return }
        var outcomes: [ModelOutcome] = []
        if !calls.isEmpty, let runtime {
            outcomes = runtime.forecast(calls)
            guard outcomes.count == calls.count else {
                throw ToolError(.software, "the model runtime answered \(outcomes.count) outcomes for \(calls.count) requests")
            }
        }
        let entries = held
        let chunkCalls = calls
        held.removeAll(keepingCapacity: true)
        calls.removeAll(keepingCapacity: true)
        var next = 0
        for entry in entries {
            switch entry {
            case .model(var record, let request, let started):
                try finishByModel(&record, request, call: chunkCalls[next], outcome: outcomes[next], started: started)
                next += 1
                try stream.emit(.record(record))
            case .ready(let output):
                try stream.emit(output)
            }
        }
        try stream.output.flush()
    }

    // MARK: - One record

    /// Serves a request by a baseline and fills `yhat_q` and `meta`. `reason` nil means the
    /// baseline was asked for (not a fallback).
    func finishByBaseline(_ record: inout Record, _ request: ForecastRequest, requestId: String,
                          reason: FallbackReason?, started: UInt64) throws {
        let forecast = BaselineForecaster.forecast(y: request.y, horizon: request.horizonSteps, levels: request.quantiles,
                                                   transform: request.transform, settings: settings)
        totals.baseline += 1
        if !forecast.failures.isEmpty && logger.isEnabled(.debug) {
            logger.debug("baselines that could not fit the series", [
                ("market_id", .string(request.marketId)), ("request_id", .string(requestId)),
                ("failures", .array(forecast.failures.map { .string("\($0.kind.rawValue): \($0.reason.rawValue)") })),
            ])
        }
        if let reason { totals.fallbackReasons[reason, default: 0] += 1 }
        var warnings: [String] = []
        if forecast.isDegenerate {
            totals.degenerate += 1
            warnings.append(WarningCode.degenerateSeries.rawValue)
        }
        let meta = ForecastMeta(
            runtime: .baseline, modelName: forecast.kind.modelName, latencyMs: latency(since: started),
            inputLength: request.y.count, transform: request.transform, fallbackUsed: reason != nil,
            fallbackReason: reason, warnings: warnings, requestId: requestId, bandSource: .baseline)
        try forecast.band.store(in: &record, field: FieldName.yhatQ)
        record.set(FieldName.meta, encoded: try meta.encoded())
        requestDone(request, meta, seconds: Double(clock() &- started) / 1e9)
    }

    /// Uses the model's band, or a baseline with the outcome's reason when the model failed or
    /// answered with a band that does not fit the request.
    func finishByModel(_ record: inout Record, _ request: ForecastRequest, call: ModelCall, outcome: ModelOutcome,
                       started: UInt64) throws {
        switch outcome {
        case .failure(let reason, let detail):
            logger.debug("model fallback", [("market_id", .string(request.marketId)), ("request_id", .string(call.requestId)),
                                            ("reason", .string(reason.rawValue)), ("detail", .string(detail))])
            try finishByBaseline(&record, request, requestId: call.requestId, reason: reason, started: started)
        case .success(let forecast):
            if let problem = Self.mismatch(forecast.band, request) {
                logger.warning("model answer does not fit the request", [
                    ("market_id", .string(request.marketId)), ("request_id", .string(call.requestId)), ("detail", .string(problem)),
                ])
                try finishByBaseline(&record, request, requestId: call.requestId, reason: .tollamaInvalidResponse, started: started)
                return
            }
            totals.model += 1
            if forecast.cached { totals.cached += 1 }
            var meta = ForecastMeta(
                runtime: .tollama, modelName: forecast.modelName, modelVersion: forecast.modelVersion,
                latencyMs: deterministic ? nil : (forecast.latencyMs * 1000).rounded() / 1000,
                inputLength: request.y.count, transform: request.transform, fallbackUsed: false, fallbackReason: nil,
                warnings: forecast.warnings, requestId: call.requestId, bandSource: .tsfmRaw, cached: forecast.cached)
            try forecast.band.store(in: &record, field: FieldName.yhatQ)
            // The baseline's band travels beside the model's (microseconds a record), so the
            // alert gate can compare the arms and roll back at once (docs/tsfm-gate.md).
            let baseline = BaselineForecaster.forecast(y: request.y, horizon: request.horizonSteps, levels: request.quantiles,
                                                       transform: request.transform, settings: settings)
            try baseline.band.store(in: &record, field: FieldName.yhatQBaseline)
            meta.baselineModelName = baseline.kind.modelName
            record.set(FieldName.meta, encoded: try meta.encoded())
            requestDone(request, meta, seconds: forecast.cached ? 0 : forecast.latencyMs / 1000)
        }
    }

    /// Why a model band cannot be used for a request (other levels, another horizon, non-finite
    /// values), or nil.
    static func mismatch(_ band: QuantileBand, _ request: ForecastRequest) -> String? {
        guard band.levels.count == request.quantiles.count,
              zip(band.levels, request.quantiles).allSatisfy({ abs($0 - $1) < 1e-12 }) else {
            return "levels \(band.levels) instead of \(request.quantiles)"
        }
        for row in band.values {
            guard row.count == request.horizonSteps else {
                return "\(row.count) steps instead of \(request.horizonSteps)"
            }
            guard allFinite(row) else { return "non-finite values" }
        }
        return nil
    }

    /// Milliseconds since `started`, to the microsecond; nil under `--deterministic`.
    func latency(since started: UInt64) -> Double? {
        guard !deterministic else { return nil }
        let elapsed = clock() &- started
        return (Double(elapsed) / 1000).rounded() / 1000
    }
}
