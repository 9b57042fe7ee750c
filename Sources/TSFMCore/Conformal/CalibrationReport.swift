/// `fit --report`: hold out the latest part of the window by time, fit on the rest, and measure
/// on the holdout how often the band covered the realized value before and after adjustment,
/// per group of the hierarchy, pair and step. A holdout sample is adjusted with the parameters
/// `apply` would pick for it (its most specific group with parameters), so the rows say what
/// apply would achieve; each group's row aggregates the samples under it.
public struct CalibrationReport {
    public struct Row: Equatable, Sendable {
        public var group: String
        public var pair: QuantilePair
        public var target: Double
        /// 1-based horizon step.
        public var step: Int
        public var n = 0
        /// Samples for which no group had parameters (counted as unchanged).
        public var unadjusted = 0
        public var coveredBefore = 0
        public var coveredAfter = 0

        public var coverageBefore: Double { n > 0 ? Double(coveredBefore) / Double(n) : 0 }
        public var coverageAfter: Double { n > 0 ? Double(coveredAfter) / Double(n) : 0 }
        public func meets(tolerance: Double) -> Bool { abs(coverageAfter - target) <= tolerance + 1e-12 }
    }

    /// The parameters fitted on the calibration part.
    public var parameters: ConformalParameters
    public var calibrationStart: Timestamp
    /// The first as-of time of the holdout; the holdout runs to `parameters.asOf` inclusive.
    public var holdoutStart: Timestamp
    public var tolerance: Double
    public var rows: [Row]

    /// NDJSON rows: group, pair, target, step, counts, coverages (4 decimals) and the verdict.
    public func ndjson() throws -> [UInt8] {
        var out: [UInt8] = []
        for row in rows {
            let o: JSONValue = [
                "group": .string(row.group), "pair": .string(row.pair.label), "target": .double(row.target),
                "step": .int(row.step), "n": .int(row.n), "n_unadjusted": .int(row.unadjusted),
                "covered_before": .int(row.coveredBefore), "covered_after": .int(row.coveredAfter),
                "coverage_before": .double(Self.round4(row.coverageBefore)),
                "coverage_after": .double(Self.round4(row.coverageAfter)),
                "meets_target": .bool(row.meets(tolerance: tolerance)),
            ]
            var w = JSONWriter(capacity: 256)
            try w.value(o)
            out.append(contentsOf: w.bytes)
            out.append(0x0A)
        }
        return out
    }

    /// A table for people, with a closing line on the holdout and the verdicts.
    public func table() -> String {
        let header = ["group", "pair", "step", "n", "unadjusted", "before", "after", "target", "meets"]
        var lines = rows.map { row in
            [row.group, row.pair.label, String(row.step), String(row.n), String(row.unadjusted), Self.fixed(row.coverageBefore, 3),
             Self.fixed(row.coverageAfter, 3), Self.fixed(row.target, 2) + "±" + Self.fixed(tolerance, 2),
             row.meets(tolerance: tolerance) ? "yes" : "NO"]
        }
        lines.insert(header, at: 0)
        var widths = [Int](repeating: 0, count: header.count)
        for line in lines { for (i, cell) in line.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var text = ""
        for line in lines {
            let cells = line.enumerated().map { i, cell -> String in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return i < 2 ? cell + pad : pad + cell
            }
            text += cells.joined(separator: "  ").replacingTrailingSpaces() + "\n"
        }
        let met = rows.filter { $0.meets(tolerance: tolerance) }.count
        text += "calibration \(calibrationStart.rfc3339) to \(holdoutStart.rfc3339) (exclusive), "
        text += "holdout to \(parameters.asOf.rfc3339); \(met) of \(rows.count) rows meet the target\n"
        return text
    }

    static func round4(_ x: Double) -> Double { (x * 10_000).rounded() / 10_000 }

    /// `x` with `digits` decimals, locale-free.
    static func fixed(_ x: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((abs(x) * scale).rounded())
        let whole = scaled / Int(scale)
        var fraction = String(scaled % Int(scale))
        while fraction.count < digits { fraction = "0" + fraction }
        return (x < 0 && scaled > 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + fraction : "")
    }
}

fileprivate extension String {
    func replacingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}

extension CalibrationSet {
    /// The earliest as-of time of a sample in `range`.
    func earliest(in range: ClosedRange<Int64>) -> Int64? {
        var first: Int64?
        for row in cells {
            for cell in row {
                guard let cell else { continue }
                for t in cell.times where range.contains(t) && t < (first ?? .max) { first = t }
            }
        }
        return first
    }

    /// Fits on the window minus its latest `holdoutFraction` (by time, over the span from the
    /// earliest sample in the window to as-of) and evaluates on that holdout. Nil when no record
    /// carried a time.
    public func report(holdoutFraction: Double = 0.2, tolerance: Double = 0.03) -> CalibrationReport? {
        guard let (start, asOf) = window() else { return nil }
        // The split is over the time the data actually spans inside the window, so a short
        // history (a day of backtest in a 14-day window) still gets a calibration part.
        let first = earliest(in: start.millis...asOf.millis) ?? start.millis
        let windowMillis = asOf.millis - first
        let cutoff = Timestamp(millis: asOf.millis - Int64((Double(windowMillis) * holdoutFraction).rounded()))
        let parameters = self.parameters(asOf: asOf, start: start, range: start.millis...(cutoff.millis - 1))
        var byName: [String: GroupParameters] = [:]
        for g in parameters.groups { byName[g.group] = g }

        let segments = settings.segments
        let holdout = cutoff.millis...asOf.millis
        var applier = ConformalApplier(parameters: parameters)
        var rows: [String: [Int: [Int: CalibrationReport.Row]]] = [:]
        for (g, values) in groupValues.enumerated() {
            let chainNames = segments.chain(values)
            let chain = chainNames.compactMap { byName[$0] }
            for (p, pair) in pairs.enumerated() {
                let target = pair.target(outerTarget: settings.target)
                for h in 0..<stepCount([g], p) {
                    // The outer pair is scored on the band apply writes (the same function);
                    // inner pairs on their scores.
                    let onBands = pair.outer && settings.keepBands
                    let s = gather([g], pair: p, step: h, in: holdout, withTimes: false, withBands: onBands)
                    guard !s.a.isEmpty else { continue }
                    let params = ConformalApplier.lookup(chain, pair: pair, step: h + 1)?.1
                    var tally = CalibrationReport.Row(group: "", pair: pair, target: target, step: h + 1)
                    for i in 0..<s.a.count {
                        let before: Bool
                        var after: Bool
                        if onBands {
                            let b = s.bands[i]
                            before = b.lo <= b.y && b.y <= b.hi
                            var band = b.median.isNaN
                                ? QuantileBand(levels: [pair.lo, pair.hi], values: [[b.lo], [b.hi]])
                                : QuantileBand(levels: [pair.lo, 0.5, pair.hi], values: [[b.lo], [b.median], [b.hi]])
                            _ = applier.calibrate(&band, chain: chain, firstStep: h + 1)
                            after = band.values[0][0] <= b.y && b.y <= band.values[band.levels.count - 1][0]
                        } else if fieldsPerStep == 1 {
                            before = s.a[i] <= 0
                            after = params.map { Double(s.a[i]) <= $0.adjustment } ?? before
                        } else {
                            before = -s.b[i] <= s.a[i] && s.a[i] <= s.c[i]
                            after = params.map {
                                ConformalScore.normalisedError(residual: Double(s.a[i]), lowerHalf: Double(s.b[i]),
                                                               upperHalf: Double(s.c[i]), shift: $0.shift) <= $0.scale
                            } ?? before
                        }
                        tally.n += 1
                        if params == nil { tally.unadjusted += 1 }
                        if before { tally.coveredBefore += 1 }
                        if after { tally.coveredAfter += 1 }
                    }
                    // Every group of the hierarchy above this full group gets the tally.
                    for name in chainNames {
                        var row = rows[name]?[p]?[h] ?? CalibrationReport.Row(group: name, pair: pair, target: target, step: h + 1)
                        row.n += tally.n
                        row.unadjusted += tally.unadjusted
                        row.coveredBefore += tally.coveredBefore
                        row.coveredAfter += tally.coveredAfter
                        rows[name, default: [:]][p, default: [:]][h] = row
                    }
                }
            }
        }
        let pairOrder = pairs.indices.sorted { pairs[$0] < pairs[$1] }
        var ordered: [CalibrationReport.Row] = []
        for (name, _) in hierarchy() {
            guard let byPair = rows[name] else { continue }
            for p in pairOrder {
                guard let bySteps = byPair[p] else { continue }
                for h in bySteps.keys.sorted() { ordered.append(bySteps[h]!) }
            }
        }
        return CalibrationReport(parameters: parameters, calibrationStart: Timestamp(millis: first), holdoutStart: cutoff,
                                 tolerance: tolerance, rows: ordered)
    }
}
