/// `tsfm-conformal apply`'s work on one forecast: choose each step's parameters by the group
/// fallback order, adjust the band in the calibration space, re-enforce bounds and order with
/// `BandGuard` (as tsfm-post does), and record what was done in `meta`.
public struct ConformalApplier {
    public let parameters: ConformalParameters
    public var maxWidth: Double

    /// Totals over a run, for `--summary`.
    public struct Totals: Equatable, Sendable {
        public var records = 0
        /// Every step adjusted.
        public var adjusted = 0
        /// Some steps adjusted, some without parameters.
        public var partial = 0
        /// No step adjusted: the band passed through unchanged.
        public var unadjusted = 0
        /// Adjusted bands wider than the max width at some step (flagged, not clamped).
        public var widthAboveMax = 0
        public init() {}
    }

    public private(set) var totals = Totals()

    let groups: [String: GroupParameters]
    var lastValues: [String] = []
    var lastChain: [GroupParameters]?
    var lastUsed: [String?] = []
    var lastConformal: [UInt8] = []
    let segments: SegmentKeys
    let transform: Transform

    public init(parameters: ConformalParameters, maxWidth: Double = BandGuard.defaultMaxWidth) {
        self.parameters = parameters
        self.maxWidth = maxWidth
        var groups: [String: GroupParameters] = [:]
        for g in parameters.groups { groups[g.group] = g }
        self.groups = groups
        segments = SegmentKeys(parameters.segmentBy)
        transform = parameters.space.transform
    }

    /// Calibrates the record's band in place. A record that already carries `yhat_q_raw` (applied
    /// before) is recalibrated from that raw band, so apply can be re-run with new parameters.
    public mutating func process(_ record: inout Record) throws {
        let earlierRaw = record.rawValue(FieldName.yhatQRaw)
        let rawField = earlierRaw != nil && earlierRaw != Array("null".utf8) ? FieldName.yhatQRaw : FieldName.yhatQ
        guard let rawBytes = record.rawValue(rawField),
              var band = try ForecastFields.band(record, field: rawField) else {
            throw RecordError(field: FieldName.yhatQ, "missing")
        }
        // meta is edited member by member; members apply does not own keep their exact bytes.
        var meta = try record.nested(FieldName.meta) ?? Record()
        if try meta.string(MetaKey.yhatSpace) == "logit" {
            throw RecordError(field: "\(FieldName.meta).\(MetaKey.yhatSpace)", "the band is in logit space; run tsfm-post before tsfm-conformal apply")
        }
        // Consecutive forecasts often share a segment: reuse the last fallback chain.
        let values = try segments.values(of: record)
        if values != lastValues || lastChain == nil {
            lastValues = values
            lastChain = segments.chain(values).compactMap { groups[$0] }
        }
        let used = adjust(&band, chain: lastChain!)
        let adjustedSteps = used.compactMap { $0 }.count
        totals.records += 1

        var warnings = try meta.value(MetaKey.warnings)?.array ?? []
        func warn(_ code: WarningCode) {
            let value = JSONValue.string(code.rawValue)
            if !warnings.contains(value) { warnings.append(value) }
        }
        if adjustedSteps < used.count { warn(.conformalInsufficientSamples) }
        if adjustedSteps == 0 {
            totals.unadjusted += 1
            record.set(FieldName.yhatQ, encoded: rawBytes)
        } else {
            if adjustedSteps == used.count { totals.adjusted += 1 } else { totals.partial += 1 }
            BandGuard.clip(&band)
            BandGuard.repairCrossing(&band)
            if BandGuard.stepsAbove(band, maxWidth: maxWidth) > 0 {
                warn(.widthAboveMax)
                totals.widthAboveMax += 1
            }
            try band.store(in: &record, field: FieldName.yhatQ)
            if let source = try meta.string(MetaKey.bandSource) {
                switch BandSource(rawValue: source) {
                case .tsfmRaw?: try meta.set(MetaKey.bandSource, .string(BandSource.tsfmConformal.rawValue))
                case .baseline?: try meta.set(MetaKey.bandSource, .string(BandSource.baselineConformal.rawValue))
                default: break
                }
            }
        }
        if rawField == FieldName.yhatQ { record.set(FieldName.yhatQRaw, encoded: rawBytes) }
        try meta.set(MetaKey.warnings, .array(warnings))
        if used != lastUsed || lastConformal.isEmpty {
            var w = JSONWriter(capacity: 160)
            try w.value(conformalMeta(used))
            lastUsed = used
            lastConformal = w.bytes
        }
        // The (cached) conformal block is stored as bytes, not re-encoded.
        meta.set(MetaKey.conformal, encoded: lastConformal)
        record.set(FieldName.meta, encoded: meta.objectBytes)
    }

    /// `meta.conformal`: the parameter version, the group used (the first adjusted step's; with
    /// `step_groups` listing each step's group, null where none, when they differ), the method,
    /// the target and the space.
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

    /// Adjusts every step that has parameters for the band's outer pair; returns, per step, the
    /// group whose parameters were used (nil: unchanged). Pure.
    public func adjust(_ band: inout QuantileBand, chain: [GroupParameters]) -> [String?] {
        let pairs = QuantilePair.pairs(ofLevels: band.levels, allPairs: true)
        guard let outer = pairs.first else { return [String?](repeating: nil, count: band.horizon) }
        let f = transform
        let median = band.medianIndex
        var used: [String?] = []
        used.reserveCapacity(band.horizon)
        for h in 0..<band.horizon {
            func lookup(_ pair: QuantilePair) -> (String, StepParameters)? {
                Self.lookup(chain, pair: pair, step: h + 1)
            }
            guard let (groupName, outerStep) = lookup(outer.pair) else {
                used.append(nil)
                continue
            }
            used.append(groupName)
            switch parameters.method {
            case .cqr, .aci:
                for (i, (pair, lo, hi)) in pairs.enumerated() {
                    guard let s = i == 0 ? outerStep : lookup(pair)?.1 else { continue }
                    band.values[lo][h] = f.inverse(f.forward(band.values[lo][h]) - s.adjustment)
                    band.values[hi][h] = f.inverse(f.forward(band.values[hi][h]) + s.adjustment)
                }
            case .scaled:
                let top = band.levels.count - 1
                let flo = f.forward(band.values[0][h])
                let fhi = f.forward(band.values[top][h])
                let c = median.map { f.forward(band.values[$0][h]) } ?? (flo + fhi) / 2
                var scales = [Double](repeating: outerStep.scale, count: band.levels.count)
                for (pair, lo, hi) in pairs.dropFirst() {
                    if let s = lookup(pair)?.1 {
                        scales[lo] = s.scale
                        scales[hi] = s.scale
                    }
                }
                for i in 0...top {
                    band.values[i][h] = f.inverse(c + outerStep.shift + scales[i] * (f.forward(band.values[i][h]) - c))
                }
            }
        }
        return used
    }
}
