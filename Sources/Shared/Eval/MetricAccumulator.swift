/// Running sums for one group's metrics; memory is independent of the number of records.
public struct MetricAccumulator: Sendable {
    struct PairStats: Sendable {
        var nominal: Double
        var n = 0
        var covered = 0
        var widthSum = 0.0
        var winklerSum = 0.0
    }

    var records = 0
    var steps = 0
    var pairs: [String: PairStats] = [:]
    var pinball: [Double: (sum: Double, n: Int)] = [:]
    var wisSum = 0.0
    var wisN = 0
    var absErrorSum = 0.0
    var squaredErrorSum = 0.0
    var medianN = 0
    var breaches = 0
    var breachN = 0
    var followThroughs = 0
    var followThroughN = 0
    var target: Double?
    var targetMixed = false
    var lastSerial = -1

    public init() {}

    /// Adds step `h` of a forecast (serial numbers count each record once per group).
    mutating func add(_ f: ScoredForecast, step h: Int, serial: Int, pairs detected: [IntervalMetrics.Pair],
                      move: Double, window: Int) {
        if serial != lastSerial {
            records += 1
            lastSerial = serial
            if let t = f.target {
                if let old = target, old != t { targetMixed = true }
                target = t
            }
        }
        steps += 1
        let y = f.yFuture[h]
        let band = f.band
        for (i, level) in band.levels.enumerated() {
            let loss = IntervalMetrics.pinball(level: level, predicted: band.values[i][h], actual: y)
            pinball[level, default: (0, 0)].sum += loss
            pinball[level, default: (0, 0)].n += 1
        }
        var intervals: [(lo: Double, hi: Double, alpha: Double)] = []
        for p in detected {
            let lo = band.values[p.lowIndex][h], hi = band.values[p.highIndex][h]
            var s = pairs[p.name] ?? PairStats(nominal: p.nominal)
            s.n += 1
            if IntervalMetrics.covers(lo: lo, hi: hi, actual: y) { s.covered += 1 }
            s.widthSum += hi - lo
            s.winklerSum += IntervalMetrics.winkler(lo: lo, hi: hi, alpha: p.alpha, actual: y)
            pairs[p.name] = s
            intervals.append((lo, hi, p.alpha))
        }
        let median = band.medianIndex.map { band.values[$0][h] }
        if let w = IntervalMetrics.wis(median: median, intervals: intervals, actual: y) {
            wisSum += w
            wisN += 1
        }
        if let m = median {
            absErrorSum += abs(y - m)
            squaredErrorSum += (y - m) * (y - m)
            medianN += 1
        }
        if band.levels.count >= 2 {
            let lo = band.values[0][h], hi = band.values[band.levels.count - 1][h]
            breachN += 1
            if y < lo || y > hi {
                breaches += 1
                if let ft = IntervalMetrics.followThrough(path: f.yFuture, at: h, above: y > hi, move: move, window: window) {
                    followThroughN += 1
                    if ft { followThroughs += 1 }
                }
            }
        }
    }

    static func round(_ x: Double) -> JSONValue { .double((x * 1e9).rounded() / 1e9) }

    /// The metric part of a row, keys in a fixed order; undefined values are null, never NaN.
    func metrics() -> [(String, JSONValue)] {
        let names = pairs.keys.sorted { pairs[$0]!.nominal > pairs[$1]!.nominal }
        var coverage = JSONObject()
        var width = JSONObject()
        var winkler = JSONObject()
        let outer = names.first
        for name in names {
            let s = pairs[name]!
            var c = JSONObject([("nominal", Self.round(s.nominal)), ("empirical", Self.round(Double(s.covered) / Double(s.n))),
                                ("n", .int(s.n))])
            if name == outer, let target, !targetMixed { c["target"] = Self.round(target) }
            coverage[name] = .object(c)
            width[name] = Self.round(s.widthSum / Double(s.n))
            winkler[name] = Self.round(s.winklerSum / Double(s.n))
        }
        var pin = JSONObject()
        var pinN = JSONObject()
        var total = 0.0
        for level in pinball.keys.sorted() {
            let p = pinball[level]!
            pin[QuantileLevel.key(level)] = Self.round(p.sum / Double(p.n))
            pinN[QuantileLevel.key(level)] = .int(p.n)
            total += p.sum / Double(p.n)
        }
        if !pinball.isEmpty { pin["mean"] = Self.round(total / Double(pinball.count)) }
        func rate(_ k: Int, _ n: Int) -> JSONValue { n > 0 ? Self.round(Double(k) / Double(n)) : .null }
        return [
            ("n_records", .int(records)), ("n_steps", .int(steps)),
            ("coverage", .object(coverage)), ("mean_width", .object(width)), ("winkler", .object(winkler)),
            ("pinball", .object(pin)), ("pinball_n", .object(pinN)),
            ("wis", wisN > 0 ? Self.round(wisSum / Double(wisN)) : .null), ("wis_n", .int(wisN)),
            ("mae", medianN > 0 ? Self.round(absErrorSum / Double(medianN)) : .null),
            ("rmse", medianN > 0 ? Self.round((squaredErrorSum / Double(medianN)).squareRoot()) : .null),
            ("median_n", .int(medianN)),
            ("breach_rate", rate(breaches, breachN)), ("breach_n", .int(breachN)),
            ("followthrough_rate", rate(followThroughs, followThroughN)), ("followthrough_n", .int(followThroughN)),
        ]
    }
}
