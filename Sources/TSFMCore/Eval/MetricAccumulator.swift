/// The quantile levels and level pairs seen in a run, each given a slot once, so running sums
/// are dense arrays indexed by slot instead of dictionaries looked up per step.
public final class MetricSlots {
    public private(set) var levels: [Double] = []
    public private(set) var pairs: [(name: String, nominal: Double)] = []
    var levelSlot: [Double: Int] = [:]
    var pairSlot: [String: Int] = [:]
    var lastLevels: [Double] = []
    var lastLayout: Layout?

    /// Where one band's levels and pairs go: computed once per distinct level set.
    struct Layout {
        /// Slot of each band level (band order).
        var levelSlots: [Int]
        /// The band's symmetric pairs (outermost first) with their slots.
        var pairs: [(pair: IntervalMetrics.Pair, slot: Int)]
        var medianIndex: Int?
        /// The largest slots, so accumulators grow once per record, not per step.
        var maxLevelSlot: Int
        var maxPairSlot: Int
    }

    public init() {}

    /// The slot of a level, given one when new (merging partials, `EvalPartial`).
    func slot(level: Double) -> Int {
        if let slot = levelSlot[level] { return slot }
        levels.append(level)
        levelSlot[level] = levels.count - 1
        lastLayout = nil
        lastLevels = []
        return levels.count - 1
    }

    /// The slot of a pair, given one when new.
    func slot(pair name: String, nominal: Double) -> Int {
        if let slot = pairSlot[name] { return slot }
        pairs.append((name, nominal))
        pairSlot[name] = pairs.count - 1
        lastLayout = nil
        lastLevels = []
        return pairs.count - 1
    }

    func layout(for levels: [Double]) -> Layout {
        if let lastLayout, levels == lastLevels { return lastLayout }
        let levelSlots = levels.map { level -> Int in
            if let slot = levelSlot[level] { return slot }
            self.levels.append(level)
            levelSlot[level] = self.levels.count - 1
            return self.levels.count - 1
        }
        let pairs = IntervalMetrics.pairs(levels).map { pair -> (pair: IntervalMetrics.Pair, slot: Int) in
            if let slot = pairSlot[pair.name] { return (pair, slot) }
            self.pairs.append((pair.name, pair.nominal))
            pairSlot[pair.name] = self.pairs.count - 1
            return (pair, self.pairs.count - 1)
        }
        let layout = Layout(levelSlots: levelSlots, pairs: pairs, medianIndex: levels.firstIndex(of: 0.5),
                            maxLevelSlot: levelSlots.max() ?? -1, maxPairSlot: pairs.map(\.slot).max() ?? -1)
        lastLevels = levels
        lastLayout = layout
        return layout
    }
}

/// Running sums for one group's metrics; memory is independent of the number of records.
public struct MetricAccumulator: Sendable {
    /// One pair's sums, as the report reads them.
    struct PairStats {
        var name: String
        var nominal: Double
        var n: Int
        var covered: Int
        var widthSum: Double
        var winklerSum: Double
    }

    var records = 0
    var steps = 0
    // Per level slot.
    var pinballSum: [ExactSum] = []
    var pinballN: [Int] = []
    // Per pair slot.
    var pairN: [Int] = []
    var pairCovered: [Int] = []
    var pairWidthSum: [ExactSum] = []
    var pairWinklerSum: [ExactSum] = []
    /// The scalar metrics' terms, indexed by `Term` (a sum term uses `sums`, a count `counts`).
    /// Stored inline (no heap array per accumulator, no uniqueness check per step): the size is
    /// `Term.allCases.count`, which a test checks.
    var sums = InlineArray<9, ExactSum>(repeating: ExactSum())
    var counts = InlineArray<9, Int>(repeating: 0)
    var target: Double?
    var targetMixed = false
    var lastSerial = -1

    public init() {}

    /// Adds step `h` of a forecast (serial numbers count each record once per group), or with
    /// weight −1 takes it back out (pairing, `Evaluator`): every metric is a sum or a count.
    mutating func add(_ f: ScoredForecast, step h: Int, serial: Int, layout: MetricSlots.Layout, move: Double, window: Int,
                      weight: Int = 1) {
        let w = Double(weight)
        if serial != lastSerial {
            records += weight
            lastSerial = serial
            if weight > 0, let t = f.target {
                if let old = target, old != t { targetMixed = true }
                target = t
            }
            let last = layout.maxLevelSlot
            if last >= pinballSum.count {
                pinballSum += Array(repeating: ExactSum(), count: last + 1 - pinballSum.count)
                pinballN += Array(repeating: 0, count: last + 1 - pinballN.count)
            }
            if layout.maxPairSlot >= pairN.count {
                let more = layout.maxPairSlot + 1 - pairN.count
                pairN += Array(repeating: 0, count: more)
                pairCovered += Array(repeating: 0, count: more)
                pairWidthSum += Array(repeating: ExactSum(), count: more)
                pairWinklerSum += Array(repeating: ExactSum(), count: more)
            }
        }
        steps += weight
        let y = f.yFuture[h]
        let band = f.band
        for i in 0..<band.levels.count {
            let slot = layout.levelSlots[i]
            pinballSum[slot] += w * IntervalMetrics.pinball(level: band.levels[i], predicted: band.values[i][h], actual: y)
            pinballN[slot] += weight
        }
        var wis = IntervalMetrics.WISTerms()
        if let m = layout.medianIndex {
            let median = band.values[m][h]
            wis.addMedian(median, actual: y)
            add(.abs, w * abs(y - median))
            add(.sq, w * (y - median) * (y - median))
            count(.medianN, weight)
        }
        for (p, slot) in layout.pairs {
            let lo = band.values[p.lowIndex][h], hi = band.values[p.highIndex][h]
            let winkler = IntervalMetrics.winkler(lo: lo, hi: hi, alpha: p.alpha, actual: y)
            pairN[slot] += weight
            if IntervalMetrics.covers(lo: lo, hi: hi, actual: y) { pairCovered[slot] += weight }
            pairWidthSum[slot] += w * (hi - lo)
            pairWinklerSum[slot] += w * winkler
            wis.addInterval(winkler: winkler, alpha: p.alpha)
        }
        if let score = wis.value {
            add(.wis, w * score)
            count(.wisN, weight)
        }
        if band.levels.count >= 2 {
            let lo = band.values[0][h], hi = band.values[band.levels.count - 1][h]
            count(.breachN, weight)
            if y < lo || y > hi {
                count(.breaches, weight)
                if let ft = IntervalMetrics.followThrough(path: f.yFuture, at: h, above: y > hi, move: move, window: window) {
                    count(.ftN, weight)
                    if ft { count(.ft, weight) }
                }
            }
        }
    }

    @inline(__always)
    mutating func add(_ term: Term, _ value: Double) { sums[term.rawValue] += value }

    @inline(__always)
    mutating func count(_ term: Term, _ n: Int) { counts[term.rawValue] += n }

    func sum(_ term: Term) -> ExactSum { sums[term.rawValue] }

    func count(_ term: Term) -> Int { counts[term.rawValue] }

    /// Adds another accumulator's sums (the report's per-source totals over its steps). Records
    /// are the larger count: each step's accumulator counts the same records again.
    mutating func absorb(_ o: MetricAccumulator) {
        func add(_ a: inout [Int], _ b: [Int]) {
            if a.count < b.count { a += Array(repeating: 0, count: b.count - a.count) }
            for i in b.indices { a[i] += b[i] }
        }
        func add(_ a: inout [ExactSum], _ b: [ExactSum]) {
            if a.count < b.count { a += Array(repeating: ExactSum(), count: b.count - a.count) }
            for i in b.indices { a[i] += b[i] }
        }
        records = max(records, o.records)
        steps += o.steps
        add(&pinballSum, o.pinballSum)
        add(&pinballN, o.pinballN)
        add(&pairN, o.pairN)
        add(&pairCovered, o.pairCovered)
        add(&pairWidthSum, o.pairWidthSum)
        add(&pairWinklerSum, o.pairWinklerSum)
        for t in Term.allCases {
            sums[t.rawValue] += o.sums[t.rawValue]
            counts[t.rawValue] += o.counts[t.rawValue]
        }
        if let t = o.target {
            if let old = target, old != t { targetMixed = true }
            target = t
        }
        targetMixed = targetMixed || o.targetMixed
    }

    /// The pairs this group saw, outermost (widest nominal) first.
    func pairStats(_ slots: MetricSlots) -> [PairStats] {
        pairN.indices.filter { pairN[$0] > 0 }
            .map { PairStats(name: slots.pairs[$0].name, nominal: slots.pairs[$0].nominal, n: pairN[$0], covered: pairCovered[$0],
                             widthSum: pairWidthSum[$0].value, winklerSum: pairWinklerSum[$0].value) }
            .sorted { $0.nominal > $1.nominal }
    }

    static func round(_ x: Double) -> JSONValue { .double((x * 1e9).rounded() / 1e9) }

    /// The metric part of a row, keys in a fixed order; undefined values are null, never NaN.
    /// `meets_target` says whether the outer pair's coverage is within `tolerance` of its target.
    func metrics(_ slots: MetricSlots, tolerance: Double = 0.03) -> [(String, JSONValue)] {
        var coverage = JSONObject()
        var width = JSONObject()
        var winkler = JSONObject()
        for (k, s) in pairStats(slots).enumerated() {
            var c = JSONObject([("nominal", Self.round(s.nominal)), ("empirical", Self.round(Double(s.covered) / Double(s.n))),
                                ("n", .int(s.n))])
            if k == 0, let target, !targetMixed {
                c["target"] = Self.round(target)
                c["meets_target"] = .bool(abs(Double(s.covered) / Double(s.n) - target) <= tolerance + 1e-12)
            }
            coverage[s.name] = .object(c)
            width[s.name] = Self.round(s.widthSum / Double(s.n))
            winkler[s.name] = Self.round(s.winklerSum / Double(s.n))
        }
        var pin = JSONObject()
        var pinN = JSONObject()
        var total = 0.0
        let levelSlots = pinballN.indices.filter { pinballN[$0] > 0 }.sorted { slots.levels[$0] < slots.levels[$1] }
        for slot in levelSlots {
            let key = QuantileLevel.key(slots.levels[slot])
            let mean = pinballSum[slot].value / Double(pinballN[slot])
            pin[key] = Self.round(mean)
            pinN[key] = .int(pinballN[slot])
            total += mean
        }
        if !levelSlots.isEmpty { pin["mean"] = Self.round(total / Double(levelSlots.count)) }
        return [
            ("n_records", .int(records)), ("n_steps", .int(steps)),
            ("coverage", .object(coverage)), ("mean_width", .object(width)), ("winkler", .object(winkler)),
            ("pinball", .object(pin)), ("pinball_n", .object(pinN)),
        ] + Self.scalars.map { ($0.key, $0.value(self)) }
    }

    /// One number of a row: its key, its value from the sums (null when undefined), and its
    /// column in table and CSV output (nil: rows only, like an n beside its metric).
    struct ScalarMetric {
        let key: String
        let value: (MetricAccumulator) -> JSONValue
        let column: String?
    }

    static func mean(_ t: Term, _ n: Term, _ a: MetricAccumulator) -> JSONValue {
        a.count(n) > 0 ? round(a.sum(t).value / Double(a.count(n))) : .null
    }
    static func rate(_ k: Term, _ n: Term, _ a: MetricAccumulator) -> JSONValue {
        a.count(n) > 0 ? round(Double(a.count(k)) / Double(a.count(n))) : .null
    }

    /// The additive terms behind the scalar metrics: a sum (`ExactSum`) or a count of steps.
    /// Every scalar metric is a function of its terms, so partials carry them (under `key`, in
    /// this order) and merge exactly, and pairing can take a record back out.
    enum Term: Int, CaseIterable {
        case wis, wisN, abs, sq, medianN, breaches, breachN, ft, ftN

        /// Its field in a partial's group line (`EvalPartial`).
        var key: String {
            switch self {
            case .wis: "wis"
            case .wisN: "wis_n"
            case .abs: "abs"
            case .sq: "sq"
            case .medianN: "median_n"
            case .breaches: "breaches"
            case .breachN: "breach_n"
            case .ft: "ft"
            case .ftN: "ft_n"
            }
        }

        var isCount: Bool {
            switch self {
            case .wis, .abs, .sq: false
            default: true
            }
        }
    }

    /// The scalar metrics after the per-pair and per-level objects, in row order; `EvalOutput`
    /// takes its columns from the same list. A new scalar metric is its terms (`Term`, fed in
    /// `add`) and one entry here: partials, merges, rows, tables and CSV follow.
    static let scalars: [ScalarMetric] = [
        ScalarMetric(key: "wis", value: { mean(.wis, .wisN, $0) }, column: "wis"),
        ScalarMetric(key: "wis_n", value: { .int($0.count(.wisN)) }, column: nil),
        ScalarMetric(key: "mae", value: { mean(.abs, .medianN, $0) }, column: "mae"),
        ScalarMetric(key: "rmse", value: {
            $0.count(.medianN) > 0 ? round(($0.sum(.sq).value / Double($0.count(.medianN))).squareRoot()) : .null
        }, column: "rmse"),
        ScalarMetric(key: "median_n", value: { .int($0.count(.medianN)) }, column: nil),
        ScalarMetric(key: "breach_rate", value: { rate(.breaches, .breachN, $0) }, column: "breach_rate"),
        ScalarMetric(key: "breach_n", value: { .int($0.count(.breachN)) }, column: nil),
        ScalarMetric(key: "followthrough_rate", value: { rate(.ft, .ftN, $0) }, column: "followthrough_rate"),
        ScalarMetric(key: "followthrough_n", value: { .int($0.count(.ftN)) }, column: "followthrough_n"),
    ]
    /// The scalar metrics shown as columns, in order.
    static var scalarColumns: [ScalarMetric] { scalars.filter { $0.column != nil } }
}
