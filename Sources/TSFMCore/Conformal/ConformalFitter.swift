/// Fitting: turns the calibration history into per-group, per-pair, per-step parameters.
extension CalibrationSet {
    /// The window to fit: it ends at `--as-of`, or at the latest sampled `as_of_ts`; nil when
    /// there is neither.
    public func window() -> (start: Timestamp, asOf: Timestamp)? {
        guard let asOf = settings.asOf ?? latest else { return nil }
        return (Timestamp(millis: asOf.millis - Int64((settings.window.seconds * 1000).rounded())), asOf)
    }

    /// One step's samples of one pair over some groups and a time range.
    struct StepSamples {
        var times: [Int64] = []
        /// cqr / aci: scores; scaled: residuals.
        var a: [Float] = []
        /// scaled: lower and upper half-widths.
        var b: [Float] = []
        var c: [Float] = []
        /// With `withBands`: the pair's lo, median (NaN: none), hi and the realized y.
        var bands: [(lo: Double, median: Double, hi: Double, y: Double)] = []
    }

    func gather(_ members: [Int], pair p: Int, step h: Int, in range: ClosedRange<Int64>, withTimes: Bool,
                withBands: Bool = false) -> StepSamples {
        var s = StepSamples()
        let k = fieldsPerStep
        for g in members {
            guard let cell = cells[g][p], h * k < cell.columns.count else { continue }
            let times = cell.times
            let a = cell.columns[h * k]
            for i in 0..<times.count where range.contains(times[i]) && !a[i].isNaN {
                s.a.append(a[i])
                if withTimes { s.times.append(times[i]) }
                if k == 3 {
                    s.b.append(cell.columns[h * k + 1][i])
                    s.c.append(cell.columns[h * k + 2][i])
                }
                if withBands {
                    s.bands.append((cell.bands[4 * h][i], cell.bands[4 * h + 1][i], cell.bands[4 * h + 2][i], cell.bands[4 * h + 3][i]))
                }
            }
        }
        return s
    }

    /// A share rounded to 6 decimals: the file is read by people, and more digits say nothing.
    static func share(_ count: Int, of n: Int) -> Double {
        (Double(count) / Double(n) * 1e6).rounded() / 1e6
    }

    /// The parameters of one step, or nil below `minSamples`.
    func fitStep(_ s: inout StepSamples, step: Int, target: Double) -> StepParameters? {
        let n = s.a.count
        guard n > 0, n >= settings.minSamples else { return nil }
        switch settings.method {
        case .cqr:
            let covered = s.a.reduce(0) { $0 + ($1 <= 0 ? 1 : 0) }
            let q = ConformalQuantile.quantile(&s.a, level: target)!
            return StepParameters(step: step, n: n, coverageBefore: Self.share(covered, of: n), adjustment: q.value, capped: q.capped)
        case .aci:
            let covered = s.a.reduce(0) { $0 + ($1 <= 0 ? 1 : 0) }
            // Time order, ties kept in input order, so the pass is deterministic.
            let times = s.times
            let order: [Int]
            if let first = times.min(), let last = times.max(), last - first < 1 << 31, n < 1 << 32 {
                // Sorting packed (time, index) keys is several times faster than a closure sort.
                var keys = (0..<n).map { UInt64(times[$0] - first) << 32 | UInt64($0) }
                keys.sort()
                order = keys.map { Int($0 & 0xFFFF_FFFF) }
            } else {
                order = (0..<n).sorted { times[$0] != times[$1] ? times[$0] < times[$1] : $0 < $1 }
            }
            let timeOrdered = order.map { s.a[$0] }
            let outcome = AdaptiveConformal.run(timeOrdered: timeOrdered, times: order.map { times[$0] }, sorted: s.a.sorted(),
                                                target: target, gamma: settings.gamma)
            return StepParameters(step: step, n: n, coverageBefore: Self.share(covered, of: n), adjustment: outcome.adjustment,
                                  alpha: outcome.alpha, capped: outcome.capped)
        case .scaled:
            var covered = 0
            for i in 0..<n where -s.b[i] <= s.a[i] && s.a[i] <= s.c[i] { covered += 1 }
            var residuals = s.a
            let shift = ConformalQuantile.median(&residuals)!
            var errors = (0..<n).map {
                Float(ConformalScore.normalisedError(residual: Double(s.a[$0]), lowerHalf: Double(s.b[$0]),
                                                     upperHalf: Double(s.c[$0]), shift: shift))
            }
            let k = ConformalQuantile.quantile(&errors, level: target)!
            return StepParameters(step: step, n: n, coverageBefore: Self.share(covered, of: n), shift: shift,
                                  scale: k.value, capped: k.capped)
        }
    }

    /// Fits every group of the hierarchy on the samples whose as-of time lies in `range`.
    func fitGroups(in range: ClosedRange<Int64>) -> (groups: [GroupParameters], below: [(group: String, n: Int)]) {
        var groups: [GroupParameters] = []
        var below: [(group: String, n: Int)] = []
        let pairOrder = pairs.indices.sorted { pairs[$0] < pairs[$1] }
        for (name, members) in hierarchy() {
            var fitted: [PairParameters] = []
            var largest = 0
            for p in pairOrder {
                let pair = pairs[p]
                let target = pair.target(outerTarget: settings.target)
                var steps: [StepParameters] = []
                for h in 0..<stepCount(members, p) {
                    var samples = gather(members, pair: p, step: h, in: range, withTimes: settings.method == .aci)
                    largest = max(largest, samples.a.count)
                    if let step = fitStep(&samples, step: h + 1, target: target) { steps.append(step) }
                }
                if !steps.isEmpty { fitted.append(PairParameters(pair: pair, target: target, steps: steps)) }
            }
            if fitted.isEmpty {
                if largest > 0 { below.append((name, largest)) }
            } else {
                groups.append(GroupParameters(group: name, pairs: fitted))
            }
        }
        return (groups, below)
    }

    /// Records with at least one sample in `range`.
    func records(in range: ClosedRange<Int64>) -> Int {
        var n = 0
        for row in cells {
            for (p, cell) in row.enumerated() where pairs[p].outer {
                guard let cell else { continue }
                n += cell.times.reduce(0) { $0 + (range.contains($1) ? 1 : 0) }
            }
        }
        return n
    }

    /// Records with at least one sample in the window.
    public func recordsInWindow() -> Int {
        guard let (start, asOf) = window() else { return 0 }
        return records(in: start.millis...asOf.millis)
    }

    /// The parameter file for the whole window; nil when no record carried a time.
    public func parameters() -> ConformalParameters? {
        guard let (start, asOf) = window() else { return nil }
        return parameters(asOf: asOf, start: start, range: start.millis...asOf.millis)
    }

    func parameters(asOf: Timestamp, start: Timestamp, range: ClosedRange<Int64>) -> ConformalParameters {
        let fitted = fitGroups(in: range)
        return ConformalParameters(
            version: ConformalParameters.version(for: asOf), asOf: asOf, window: settings.window.text,
            windowStart: start, method: settings.method, space: settings.space, target: settings.target,
            gamma: settings.method == .aci ? settings.gamma : nil, minSamples: settings.minSamples,
            segmentBy: settings.segments.names, records: records(in: range), groups: fitted.groups,
            belowMinSamples: fitted.below)
    }
}
