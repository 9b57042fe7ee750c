/// The seam between tsfm-forecast's policy (which request goes where, baselines, output) and a
/// model runtime (tollama). The forecaster hands the runtime chunks of eligible requests; the
/// runtime answers each with a band or a reason, and never throws for the daemon's trouble.

/// One request for the model, with the id sent as `x-request-id`.
public struct ModelCall: Sendable {
    public var request: ForecastRequest
    public var requestId: String
    /// The model to ask for: the record's `model.model_name`, else `--model`.
    public var modelName: String
    /// The model-family options (the record's `model.params`, else empty) as compact JSON text,
    /// written once: what is sent, and part of the batch and cache keys.
    public let optionsJSON: String

    public init(request: ForecastRequest, requestId: String, modelName: String) {
        self.request = request
        self.requestId = requestId
        self.modelName = modelName
        optionsJSON = (try? JSONValue.object(request.modelParams ?? JSONObject()).jsonText()) ?? "{}"
    }
}

/// A model's answer, mapped back to probabilities (not yet post-processed: it may cross).
public struct ModelForecast: Sendable {
    public var band: QuantileBand
    public var modelName: String
    public var modelVersion: String?
    public var latencyMs: Double
    /// Warning codes or daemon warnings to append to `meta.warnings`.
    public var warnings: [String]
    /// True when answered from the response cache.
    public var cached: Bool

    public init(band: QuantileBand, modelName: String, modelVersion: String? = nil, latencyMs: Double,
                warnings: [String] = [], cached: Bool = false) {
        self.band = band
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.latencyMs = latencyMs
        self.warnings = warnings
        self.cached = cached
    }
}

public enum ModelOutcome: Sendable {
    case success(ModelForecast)
    /// The model could not serve this request: the forecaster uses a baseline with this reason.
    case failure(FallbackReason, detail: String)
}

public protocol ModelRuntime: AnyObject {
    /// How many requests the forecaster should collect before calling `forecast` (e.g.
    /// concurrency × batch size). Output order never depends on it.
    var chunkSize: Int { get }

    /// Answers every call, one outcome per call, in the same order.
    func forecast(_ calls: [ModelCall]) -> [ModelOutcome]

    /// The model asked for when a request names none (`model.model_name`), i.e. `--model`.
    /// Has a default (below), so a runtime need not implement it.
    var defaultModelName: String { get }

    /// Called once after the last `forecast` of a run (to save what the runtime keeps across
    /// runs). Has a default that does nothing.
    func finish()

    /// What the run should exit with for the runtime's sake: `.config` (78) when the daemon
    /// refused calls for a problem only the user can fix (a missing token, a model not
    /// installed), so cron notices although every record was written. Default `.success`.
    var exitStatus: ExitStatus { get }
}

extension ModelRuntime {
    /// The model asked for when a request names none (`model.model_name`): the runtime's
    /// `--model`. A runtime overrides it; this default is DESIGN.md's default model.
    public var defaultModelName: String { "chronos2" }

    public func finish() {}

    public var exitStatus: ExitStatus { .success }
}
