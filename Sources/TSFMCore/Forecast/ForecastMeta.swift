/// A forecast's `meta` object (DESIGN.md, docs/tsfm-forecast.md), written with its keys in a
/// fixed order so output is byte-stable.
public struct ForecastMeta: Sendable, Equatable {
    public var runtime: RuntimeKind
    public var modelName: String
    public var modelVersion: String?
    /// Omitted under `--deterministic`.
    public var latencyMs: Double?
    public var inputLength: Int
    public var transform: Transform
    public var fallbackUsed: Bool
    public var fallbackReason: FallbackReason?
    public var warnings: [String]
    public var requestId: String
    public var bandSource: BandSource
    /// Written (as `true`) only when the runtime answered from its cache.
    public var cached: Bool
    /// The baseline behind `yhat_q_baseline` (model-served records only), written as
    /// `baseline_band: {model_name, band_source}`.
    public var baselineModelName: String?

    public init(runtime: RuntimeKind, modelName: String, modelVersion: String? = nil, latencyMs: Double?,
                inputLength: Int, transform: Transform, fallbackUsed: Bool, fallbackReason: FallbackReason?,
                warnings: [String], requestId: String, bandSource: BandSource, cached: Bool = false) {
        self.runtime = runtime
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.latencyMs = latencyMs
        self.inputLength = inputLength
        self.transform = transform
        self.fallbackUsed = fallbackUsed
        self.fallbackReason = fallbackReason
        self.warnings = warnings
        self.requestId = requestId
        self.bandSource = bandSource
        self.cached = cached
    }

    /// The object as compact JSON.
    public func encoded() throws -> [UInt8] {
        var w = JSONWriter(capacity: 320)
        w.raw("{\"")
        w.raw(MetaKey.runtime.utf8)
        w.raw("\":")
        w.string(runtime.rawValue)
        key(MetaKey.modelName, &w)
        w.string(modelName)
        key(MetaKey.modelVersion, &w)
        if let modelVersion { w.string(modelVersion) } else { w.raw("null") }
        if let latencyMs {
            key(MetaKey.latencyMs, &w)
            try w.double(latencyMs)
        }
        key(MetaKey.inputLen, &w)
        w.int(inputLength)
        key(MetaKey.transform, &w)
        switch transform {
        case .identity:
            w.raw("{\"space\":\"identity\"}")
        case .logit(let eps):
            w.raw("{\"space\":\"logit\",\"eps\":")
            try w.double(eps)
            w.byte(UInt8(ascii: "}"))
        }
        key(MetaKey.fallbackUsed, &w)
        w.bool(fallbackUsed)
        key(MetaKey.fallbackReason, &w)
        if let fallbackReason { w.string(fallbackReason.rawValue) } else { w.raw("null") }
        key(MetaKey.warnings, &w)
        w.byte(UInt8(ascii: "["))
        for (i, warning) in warnings.enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.string(warning)
        }
        w.byte(UInt8(ascii: "]"))
        key(MetaKey.requestId, &w)
        w.string(requestId)
        key(MetaKey.bandSource, &w)
        w.string(bandSource.rawValue)
        if cached {
            key(MetaKey.cached, &w)
            w.raw("true")
        }
        if let baselineModelName {
            key(MetaKey.baselineBand, &w)
            w.raw("{\"model_name\":")
            w.string(baselineModelName)
            w.raw(",\"band_source\":")
            w.string(BandSource.baseline.rawValue)
            w.byte(UInt8(ascii: "}"))
        }
        w.byte(UInt8(ascii: "}"))
        return w.bytes
    }

    @inline(__always)
    private func key(_ name: String, _ w: inout JSONWriter) {
        w.raw(",\"")
        w.raw(name.utf8)
        w.raw("\":")
    }
}
