/// tsfm-post's work on one forecast record: optional inverse transform, clipping, crossing
/// repair and the width guard, with warning codes and per-record counts in `meta`.
public struct PostProcessor {
    public var minWidth: Double
    public var maxWidth: Double

    /// Totals over a run, for `--summary`.
    public struct Totals: Equatable, Sendable {
        public var records = 0
        public var clipped = 0
        public var crossingsFixed = 0
        public var expanded = 0
        public var clamped = 0
        /// Horizon steps of the bands checked (the metrics' `tsfm_band_steps_total`).
        public var steps = 0
        public init() {}
    }

    public private(set) var totals = Totals()

    public init(minWidth: Double = BandGuard.defaultMinWidth, maxWidth: Double = BandGuard.defaultMaxWidth) {
        self.minWidth = minWidth
        self.maxWidth = maxWidth
    }

    /// Makes the record's `yhat_q` safe in place. Throws `RecordError` for a record that cannot be
    /// repaired (missing band, ragged arrays, bad levels, non-finite values, horizon mismatch).
    public mutating func process(_ record: inout Record) throws {
        let horizon = try record.int(FieldName.horizonSteps)
        guard var band = try QuantileBand.decode(from: record, field: FieldName.yhatQ, horizon: horizon) else {
            throw RecordError.missing(FieldName.yhatQ)
        }
        // meta is edited member by member: the members post owns are decoded and replaced, the
        // others keep their exact bytes (a `-0` or a 20-digit id must not be re-encoded).
        var meta = try record.nested(FieldName.meta) ?? Record()
        var warnings: [JSONValue] = []
        do {
            if let space = try meta.string(MetaKey.yhatSpace), space == "logit" {
                for i in band.values.indices {
                    for h in band.values[i].indices { band.values[i][h] = logistic(band.values[i][h]) }
                }
                try meta.set(MetaKey.yhatSpace, "prob")
            }
            if let given = try meta.value(MetaKey.warnings), given != .null {
                guard let list = given.array, list.allSatisfy({ $0.string != nil }) else {
                    throw RecordError(field: MetaKey.warnings, "expected an array of warning codes")
                }
                warnings = list
            }
        } catch let error as RecordError {
            throw RecordError(field: "\(FieldName.meta).\(error.field ?? "")", error.reason)
        }
        let counts = apply(&band)
        totals.records += 1
        try band.store(in: &record, field: FieldName.yhatQ)
        // The baseline's copy beside a model band gets the same rules; its counts stay out of
        // the record's (they describe yhat_q).
        if var copy = try QuantileBand.decode(from: record, field: FieldName.yhatQBaseline, horizon: horizon) {
            var rules = PostProcessor(minWidth: minWidth, maxWidth: maxWidth)
            if rules.apply(&copy) != Totals() { try copy.store(in: &record, field: FieldName.yhatQBaseline) }
        }

        for code in Self.warnings(for: counts) where !warnings.contains(.string(code.rawValue)) {
            warnings.append(.string(code.rawValue))
        }
        try meta.set(MetaKey.warnings, .array(warnings))
        try meta.set(MetaKey.post, [
            "clipped": .int(counts.clipped), "crossing_fixed": .int(counts.crossingsFixed),
            "expanded": .int(counts.expanded), "clamped": .int(counts.clamped),
        ])
        record.set(FieldName.meta, encoded: meta.objectBytes)
    }

    /// The warning codes for what the rules changed in one band, in a fixed order. tsfm-conformal
    /// apply uses the same codes when it re-enforces the rules after calibrating.
    public static func warnings(for counts: Totals) -> [WarningCode] {
        var codes: [WarningCode] = []
        if counts.clipped > 0 { codes.append(.clipped) }
        if counts.crossingsFixed > 0 { codes.append(.quantileCrossingFixed) }
        if counts.expanded > 0 { codes.append(.widthExpanded) }
        if counts.clamped > 0 { codes.append(.widthClamped) }
        return codes
    }

    /// The band rules in order: clip, repair crossing, width guard. Returns this band's counts.
    public mutating func apply(_ band: inout QuantileBand) -> Totals {
        var counts = Totals()
        counts.clipped = BandGuard.clip(&band)
        counts.crossingsFixed = BandGuard.repairCrossing(&band)
        let widths = BandGuard.guardWidth(&band, minWidth: minWidth, maxWidth: maxWidth)
        counts.expanded = widths.expanded
        counts.clamped = widths.clamped
        totals.clipped += counts.clipped
        totals.crossingsFixed += counts.crossingsFixed
        totals.expanded += counts.expanded
        totals.clamped += counts.clamped
        totals.steps += band.values.first?.count ?? 0
        return counts
    }
}
