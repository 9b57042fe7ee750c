/// `tsfm-conformal apply`'s work on one forecast: choose each step's parameters by the group
/// fallback order, adjust the band in the calibration space (an outer level never moves past
/// the median), re-enforce the guards tsfm-post enforces (bounds, order, outer width within
/// [min, max]) and record what was done in `meta`. With `adaptation`, each group's adjustment
/// also follows the outcomes of earlier forecasts as they become known (`OnlineCalibration`).
public struct ConformalApplier {
    public let parameters: ConformalParameters
    public var minWidth: Double
    public var maxWidth: Double
    /// Online adaptation of the adjustments; nil applies the stored parameters as they are.
    public var adaptation: OnlineCalibration?

    /// Totals over a run, for `--summary`.
    public struct Totals: Equatable, Sendable {
        public var records = 0
        /// Every step adjusted.
        public var adjusted = 0
        /// Some steps adjusted, some without parameters.
        public var partial = 0
        /// No step adjusted: the band passed through (guards still enforced).
        public var unadjusted = 0
        /// Steps the guards changed after calibration (tsfm-post's counters).
        public var guards = PostProcessor.Totals()
        public init() {}
    }

    public private(set) var totals = Totals()

    let groups: [String: GroupParameters]
    var lastValues: [String] = []
    var lastChain: [GroupParameters]?
    let segments: SegmentKeys
    let transform: Transform
    var rules: PostProcessor

    public init(parameters: ConformalParameters, minWidth: Double = BandGuard.defaultMinWidth,
                maxWidth: Double = BandGuard.defaultMaxWidth, adaptation: OnlineCalibration? = nil) {
        self.parameters = parameters
        self.minWidth = minWidth
        self.maxWidth = maxWidth
        self.adaptation = adaptation
        var groups: [String: GroupParameters] = [:]
        for g in parameters.groups { groups[g.group] = g }
        self.groups = groups
        segments = SegmentKeys(parameters.segmentBy)
        transform = parameters.space.transform
        rules = PostProcessor(minWidth: minWidth, maxWidth: maxWidth)
    }

    /// The groups, most specific first, that have parameters for a record's segment values.
    public func chain(_ values: [String]) -> [GroupParameters] {
        segments.chain(values).compactMap { groups[$0] }
    }

    /// Calibrates the record's band in place. A record that already carries `yhat_q_raw` (applied
    /// before) is recalibrated from that raw band, so apply can be re-run with new parameters.
    /// With adaptation on, a record carrying `y_future` also queues its outcomes, which count
    /// once a later record's `as_of_ts` has reached `as_of_ts + h·freq`.
    public mutating func process(_ record: inout Record) throws {
        let earlierRaw = record.rawValue(FieldName.yhatQRaw)
        let rawField = earlierRaw != nil && earlierRaw != Array("null".utf8) ? FieldName.yhatQRaw : FieldName.yhatQ
        guard let rawBytes = record.rawValue(rawField),
              let raw = try ForecastFields.band(record, field: rawField) else {
            throw RecordError.missing(FieldName.yhatQ)
        }
        // meta is edited member by member; members apply does not own keep their exact bytes.
        var meta = try record.nested(FieldName.meta) ?? Record()
        if try meta.string(MetaKey.yhatSpace) == "logit" {
            throw RecordError(field: "\(FieldName.meta).\(MetaKey.yhatSpace)", "the band is in logit space; run tsfm-post before tsfm-conformal apply")
        }
        var clock: (asOf: Timestamp, cadence: Cadence)?
        if adaptation != nil {
            clock = try Self.clock(of: record)
            try adaptation!.advance(to: clock!.asOf)
        }
        // Consecutive forecasts often share a segment: reuse the last fallback chain.
        let values = try segments.values(of: record)
        if values != lastValues || lastChain == nil {
            lastValues = values
            lastChain = chain(values)
        }
        var band = raw
        let outcome = calibrate(&band, chain: lastChain!)
        let adjustedSteps = outcome.used.compactMap { $0 }.count
        totals.records += 1
        if adjustedSteps == 0 { totals.unadjusted += 1 } else if adjustedSteps == outcome.used.count { totals.adjusted += 1 } else { totals.partial += 1 }

        var warnings = try meta.value(MetaKey.warnings)?.array ?? []
        func warn(_ code: WarningCode) {
            let value = JSONValue.string(code.rawValue)
            if !warnings.contains(value) { warnings.append(value) }
        }
        if adjustedSteps < outcome.used.count { warn(.conformalInsufficientSamples) }
        for code in PostProcessor.warnings(for: outcome.guards) { warn(code) }
        if band == raw {
            record.set(FieldName.yhatQ, encoded: rawBytes)
        } else {
            try band.store(in: &record, field: FieldName.yhatQ)
        }
        if adjustedSteps > 0, let source = try meta.string(MetaKey.bandSource) {
            switch BandSource(rawValue: source) {
            case .tsfmRaw?: try meta.set(MetaKey.bandSource, .string(BandSource.tsfmConformal.rawValue))
            case .baseline?: try meta.set(MetaKey.bandSource, .string(BandSource.baselineConformal.rawValue))
            default: break
            }
        }
        if rawField == FieldName.yhatQ { record.set(FieldName.yhatQRaw, encoded: rawBytes) }
        try meta.set(MetaKey.warnings, .array(warnings))
        try meta.set(MetaKey.conformal, conformalMeta(outcome.used))
        try calibrateBaselineCopy(&record, meta: &meta, values: values)
        record.set(FieldName.meta, encoded: meta.objectBytes)

        if let clock, let future = try ForecastFields.realized(record) {
            adaptation!.observe(raw: raw, written: band, used: outcome.used, future: future,
                                asOf: clock.asOf, cadence: clock.cadence, transform: transform)
        }
    }

    /// Calibrates `yhat_q_baseline` (the baseline's band beside a model band) with the
    /// baseline's own parameters, exactly as a baseline-served band: the segment's band_source
    /// is `baseline`, the band before is kept as `yhat_q_baseline_raw`, and
    /// `meta.baseline_band.band_source` becomes `baseline_conformal` when a step was adjusted.
    /// The guards' counts stay out of the run's totals (they describe yhat_q).
    mutating func calibrateBaselineCopy(_ record: inout Record, meta: inout Record, values: [String]) throws {
        let earlierRaw = record.rawValue(FieldName.yhatQBaselineRaw)
        let rawField = earlierRaw != nil && earlierRaw != Array("null".utf8) ? FieldName.yhatQBaselineRaw : FieldName.yhatQBaseline
        guard let rawBytes = record.rawValue(rawField), let raw = try ForecastFields.band(record, field: rawField) else { return }
        var baselineValues = values
        if let i = segments.names.firstIndex(of: SegmentKeys.bandSource) { baselineValues[i] = BandSource.baseline.rawValue }
        var band = raw
        let savedRules = rules
        let outcome = calibrate(&band, chain: chain(baselineValues))
        rules = savedRules
        totals.guards = rules.totals
        if band == raw {
            record.set(FieldName.yhatQBaseline, encoded: rawBytes)
        } else {
            try band.store(in: &record, field: FieldName.yhatQBaseline)
        }
        if rawField == FieldName.yhatQBaseline { record.set(FieldName.yhatQBaselineRaw, encoded: rawBytes) }
        guard var copy = try meta.nested(MetaKey.baselineBand) else { return }
        let adjusted = outcome.used.contains { $0 != nil }
        try copy.set(MetaKey.bandSource, .string(adjusted ? BandSource.baselineConformal.rawValue : BandSource.baseline.rawValue))
        meta.set(MetaKey.baselineBand, encoded: copy.objectBytes)
    }

    /// The record's as-of time and cadence, which adaptation needs to know when an outcome is due.
    static func clock(of record: Record) throws -> (asOf: Timestamp, cadence: Cadence) {
        guard let text = try record.string(FieldName.asOfTs) else { throw RecordError(field: FieldName.asOfTs, "missing (--adapt needs it)") }
        guard let asOf = Timestamp(text) else { throw RecordError(field: FieldName.asOfTs, "not an RFC 3339 UTC time: \(text)") }
        let freqText = try record.string(FieldName.freq) ?? Cadence.standard.rawValue
        guard let cadence = Cadence(rawValue: freqText) else {
            throw RecordError(field: FieldName.freq, "unknown cadence '\(freqText)' (one of \(Cadence.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return (asOf, cadence)
    }

    /// `meta.conformal`: the parameter version, the group used (the first adjusted step's; with
    /// `step_groups` listing each step's group, null where none, when they differ), the method,
    /// the target and the space; with adaptation, `adaptive: true`.
    func conformalMeta(_ used: [String?]) -> JSONValue {
        let adjusted = used.compactMap { $0 }
        var o = JSONObject()
        o["params_version"] = .string(parameters.version)
        o["group"] = adjusted.first.map { .string($0) } ?? .null
        if adjusted.count != used.count || Set(adjusted).count > 1, !adjusted.isEmpty {
            o["step_groups"] = .array(used.map { $0.map { .string($0) } ?? .null })
        }
        o["method"] = .string(parameters.method.rawValue)
        o["target"] = .double(parameters.target)
        o["space"] = .string(parameters.space.rawValue)
        if adaptation != nil { o["adaptive"] = .bool(true) }
        return .object(o)
    }

    /// The fallback rule: the first group of `chain` (most specific first) with parameters for
    /// this pair at this 1-based step.
    public static func lookup(_ chain: [GroupParameters], pair: QuantilePair, step: Int) -> (String, StepParameters)? {
        for group in chain {
            for p in group.pairs where p.pair == pair {
                if let s = p.step(step) { return (group.group, s) }
            }
        }
        return nil
    }

    /// What `calibrate` did to a band.
    public struct Outcome {
        /// Per step, the group whose parameters were used (nil: unadjusted).
        public var used: [String?]
        /// What the guards changed afterwards.
        public var guards: PostProcessor.Totals
    }

    /// The band `apply` writes: adjust (`adjust`), then the guards tsfm-post enforces (clip,
    /// crossing repair, outer width within [minWidth, maxWidth]). `fit --report` scores bands
    /// made by this same function, so its holdout coverage is what apply's output achieves.
    public mutating func calibrate(_ band: inout QuantileBand, chain: [GroupParameters], firstStep: Int = 1) -> Outcome {
        let used = adjust(&band, chain: chain, firstStep: firstStep)
        let counts = rules.apply(&band)
        totals.guards = rules.totals
        return Outcome(used: used, guards: counts)
    }

    /// Adjusts every step that has parameters for the band's outer pair; returns, per step, the
    /// group whose parameters were used (nil: unchanged). In the calibration space, a level
    /// moved toward the centre stops at the centre (the median, or the pair's midpoint when the
    /// band has none): a narrowing adjustment larger than the band's half-width would otherwise
    /// invert the pair, and sorting it back would make it wider than the raw band.
    /// `firstStep`: the 1-based horizon step of the band's first column (a one-step band cut
    /// from a longer forecast, as `fit --report` scores them).
    public func adjust(_ band: inout QuantileBand, chain: [GroupParameters], firstStep: Int = 1) -> [String?] {
        let pairs = QuantilePair.pairs(ofLevels: band.levels, allPairs: true)
        guard let outer = pairs.first else { return [String?](repeating: nil, count: band.horizon) }
        let f = transform
        let median = band.medianIndex
        var used: [String?] = []
        used.reserveCapacity(band.horizon)
        for h in 0..<band.horizon {
            func lookup(_ pair: QuantilePair) -> (String, StepParameters)? {
                Self.lookup(chain, pair: pair, step: firstStep + h)
            }
            guard let (groupName, outerStep) = lookup(outer.pair) else {
                used.append(nil)
                continue
            }
            used.append(groupName)
            let top = band.levels.count - 1
            let flo = f.forward(band.values[0][h])
            let fhi = f.forward(band.values[top][h])
            let c = median.map { f.forward(band.values[$0][h]) } ?? (flo + fhi) / 2
            switch parameters.method {
            case .cqr, .aci:
                for (i, (pair, lo, hi)) in pairs.enumerated() {
                    guard var q = i == 0 ? outerStep.adjustment : lookup(pair)?.1.adjustment else { continue }
                    if i == 0, let adaptation { q = adaptation.adjustment(group: groupName, step: firstStep + h, fitted: q) }
                    let centre = median == nil ? (f.forward(band.values[lo][h]) + f.forward(band.values[hi][h])) / 2 : c
                    // A level that reaches the centre takes the centre's own value (no round trip
                    // through the transform, so it ties with the median exactly).
                    let centreValue = median.map { band.values[$0][h] } ?? f.inverse(centre)
                    let newLo = f.forward(band.values[lo][h]) - q
                    let newHi = f.forward(band.values[hi][h]) + q
                    band.values[lo][h] = newLo < centre ? f.inverse(newLo) : centreValue
                    band.values[hi][h] = newHi > centre ? f.inverse(newHi) : centreValue
                }
            case .scaled:
                var scales = [Double](repeating: outerStep.scale, count: band.levels.count)
                for (pair, lo, hi) in pairs.dropFirst() {
                    if let s = lookup(pair)?.1 {
                        scales[lo] = s.scale
                        scales[hi] = s.scale
                    }
                }
                var extra = 0.0
                if let adaptation { extra = adaptation.offset(group: groupName, step: firstStep + h) }
                for i in 0...top {
                    // A negative scale would flip the band over its centre; zero collapses it there.
                    var k = max(0, scales[i])
                    if i == 0 || i == top { k = max(0, k + extra) }
                    band.values[i][h] = f.inverse(c + outerStep.shift + k * (f.forward(band.values[i][h]) - c))
                }
            }
        }
        return used
    }
}

extension ConformalApplier {
    /// The outcomes of a forecast apply calibrated earlier and whose realized values are now
    /// known (`--outcomes`, e.g. from `tsfm-prep actuals`): the raw band is `yhat_q_raw`, the
    /// written band `yhat_q`, and each step's group comes from `meta.conformal`. A record apply
    /// did not adjust, or without realized values, gives none.
    public func outcomes(of record: Record) throws -> [OnlineCalibration.Outcome] {
        guard let adaptation, let future = try ForecastFields.realized(record),
              let written = try ForecastFields.band(record, field: FieldName.yhatQ),
              let raw = try ForecastFields.band(record, field: FieldName.yhatQRaw) ?? Optional(written),
              let conformal = try record.object(FieldName.meta)?[MetaKey.conformal]?.object else { return [] }
        let used: [String?]
        if let steps = conformal["step_groups"]?.array {
            used = steps.map(\.string)
        } else if let group = conformal["group"]?.string {
            used = Array(repeating: group, count: written.horizon)
        } else {
            return []
        }
        let clock = try Self.clock(of: record)
        return OnlineCalibration.outcomes(raw: raw, written: written, used: used, future: future, asOf: clock.asOf,
                                          cadence: clock.cadence, transform: transform, unitScale: adaptation.unitScale)
    }
}
