/// `tsfm-gate alerts`' work on one forecast: for each arm the rollout gives the market (the
/// live one, and in shadow the shadowed one), choose the arm's band, find the steps where the
/// realized price left it, and make an alert for the first (or, with `all`, every) breach.
public struct AlertGate {
    public let settings: AlertSettings

    public struct Totals: Equatable, Sendable {
        /// Forecasts read (not counting error records).
        public var records = 0
        /// Forecasts with a realized path (their own `y_future` or one built from `--quotes`).
        public var withFuture = 0
        /// Forecasts without one yet: no alert can be judged.
        public var withoutFuture = 0
        public var alerts = 0
        public var shadowAlerts = 0
        /// Alerts whose band is not the requested source, by `band_source_fallback` code.
        public var bandFallbacks: [String: Int] = [:]
        /// Baseline-arm forecasts served by the model that carry no `yhat_q_baseline`.
        public var withoutBaselineBand = 0
        public init() {}
    }

    public private(set) var totals = Totals()
    var buffer = JSONWriter(capacity: 1 << 12)

    public init(settings: AlertSettings) {
        self.settings = settings
    }

    /// Steps of `freq` in the follow-through window (as tsfm-eval converts it).
    func window(_ freq: Cadence) -> Int { Int(settings.followThroughSeconds / Double(freq.seconds)) }

    /// The alerts of one forecast, encoded, appended to `out`.
    public mutating func process(_ f: GateForecast, line: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) throws {
        totals.records += 1
        guard let future = f.yFuture, !future.isEmpty else {
            totals.withoutFuture += 1
            return
        }
        totals.withFuture += 1
        let arms = settings.rollout.arms(marketId: f.marketId)
        try emit(f, line: line, future: future, arm: arms.live, shadow: false, into: &out)
        if let shadowArm = arms.shadow {
            try emit(f, line: line, future: future, arm: shadowArm, shadow: true, into: &out)
        }
    }

    mutating func emit(_ f: GateForecast, line: UnsafeBufferPointer<UInt8>, future: [Double], arm: RolloutArm, shadow: Bool,
                       into out: inout [UInt8]) throws {
        let choice: BandChoice?
        switch arm {
        case .tsfm: choice = try f.tsfmBand(settings.bandSource)
        case .baseline: choice = try f.baselineBand()
        }
        guard let choice else {
            totals.withoutBaselineBand += 1
            return
        }
        let band = try GateForecast.band(line, choice.range, field: choice.field, horizon: f.horizon)
        guard let pair = try Self.pair(of: band, settings.pair, field: choice.field) else { return }
        let lows = band.values[pair.lowIndex], highs = band.values[pair.highIndex]
        let steps = min(band.horizon, future.count)
        let window = window(f.freq)
        var h = 0
        while h < steps {
            let y = future[h]
            let lo = lows[h], hi = highs[h]
            if y > hi || y < lo {
                let above = y > hi
                let alert = BreachAlert(
                    marketId: f.marketId, asOf: f.asOf, freq: f.freq, step: h + 1, above: above, y: y, lo: lo, hi: hi,
                    pair: pair.name, bandSource: choice.bandSource, bandSourceFallback: choice.fallback?.rawValue,
                    fallbackUsed: f.fallbackUsed, fallbackReason: f.fallbackReason, modelName: choice.modelName,
                    modelVersion: choice.modelVersion, paramsVersion: choice.paramsVersion, phase: settings.rollout.phase,
                    arm: arm, shadow: shadow,
                    followThrough: IntervalMetrics.followThrough(path: future, at: h, above: above, move: settings.move, window: window))
                buffer.bytes.removeAll(keepingCapacity: true)
                try alert.write(into: &buffer)
                out.append(contentsOf: buffer.bytes)
                if shadow { totals.shadowAlerts += 1 } else { totals.alerts += 1 }
                if let code = choice.fallback { totals.bandFallbacks[code.rawValue, default: 0] += 1 }
                if !settings.all { return }
            }
            h += 1
        }
    }

    /// The pair that is the band: the requested one, or the outermost symmetric pair. A band
    /// without the requested pair is the record's fault (named); one with no pair at all (a
    /// single level) cannot breach and gives nil.
    static func pair(of band: QuantileBand, _ requested: (low: Double, high: Double)?, field: String) throws -> IntervalMetrics.Pair? {
        let pairs = IntervalMetrics.pairs(band.levels)
        guard let requested else {
            guard let outer = pairs.first else {
                throw RecordError(field: field, "has no symmetric level pair (levels \(band.levels.map(QuantileLevel.key).joined(separator: ", ")))")
            }
            return outer
        }
        guard let p = pairs.first(where: { abs($0.lowLevel - requested.low) < 1e-9 && abs($0.highLevel - requested.high) < 1e-9 }) else {
            throw RecordError(field: field, "has no \(QuantileLevel.key(requested.low))-\(QuantileLevel.key(requested.high)) pair (levels \(band.levels.map(QuantileLevel.key).joined(separator: ", "))); choose another --pair")
        }
        return p
    }
}
