/// A symmetric pair of quantile levels that is calibrated together. The outermost pair of a band
/// is calibrated to `--target`; an inner pair (with `--all-pairs`) to its nominal coverage
/// hi − lo, so the band's shape is kept.
public struct QuantilePair: Hashable, Sendable, Comparable {
    public var lo: Double
    public var hi: Double
    public var outer: Bool

    public init(lo: Double, hi: Double, outer: Bool) {
        self.lo = lo
        self.hi = hi
        self.outer = outer
    }

    /// `0.1-0.9`.
    public var label: String { "\(QuantileLevel.key(lo))-\(QuantileLevel.key(hi))" }

    public func target(outerTarget: Double) -> Double { outer ? outerTarget : hi - lo }

    /// Outer pairs first, then by widening nominal coverage.
    public static func < (a: QuantilePair, b: QuantilePair) -> Bool {
        if a.outer != b.outer { return a.outer }
        if a.lo != b.lo { return a.lo < b.lo }
        return a.hi > b.hi
    }

    /// The pairs of a band's ascending levels to calibrate: the outermost, and with `allPairs`
    /// every symmetric inner pair (i, count−1−i).
    public static func pairs(ofLevels levels: [Double], allPairs: Bool) -> [(pair: QuantilePair, lo: Int, hi: Int)] {
        guard levels.count >= 2 else { return [] }
        var out = [(QuantilePair(lo: levels[0], hi: levels[levels.count - 1], outer: true), 0, levels.count - 1)]
        if allPairs {
            var i = 1
            while i < levels.count - 1 - i {
                out.append((QuantilePair(lo: levels[i], hi: levels[levels.count - 1 - i], outer: false), i, levels.count - 1 - i))
                i += 1
            }
        }
        return out
    }
}

/// What one group learned for one pair at one horizon step.
public struct StepParameters: Equatable, Sendable {
    /// 1-based horizon step.
    public var step: Int
    /// Calibration samples.
    public var n: Int
    /// Share of samples the unadjusted pair covered.
    public var coverageBefore: Double
    /// cqr / aci: lower levels move down and upper levels up by this (negative narrows).
    public var adjustment: Double
    /// scaled: centre shift (median residual) and width scale about the shifted centre.
    public var shift: Double
    public var scale: Double
    /// aci: the final working miscoverage level.
    public var alpha: Double?
    /// The finite-sample rank exceeded n, so the largest score was used.
    public var capped: Bool

    public init(step: Int, n: Int, coverageBefore: Double, adjustment: Double = 0, shift: Double = 0,
                scale: Double = 1, alpha: Double? = nil, capped: Bool = false) {
        self.step = step
        self.n = n
        self.coverageBefore = coverageBefore
        self.adjustment = adjustment
        self.shift = shift
        self.scale = scale
        self.alpha = alpha
        self.capped = capped
    }
}

/// One pair's parameters in one group: only the steps that had at least `min_samples`.
public struct PairParameters: Equatable, Sendable {
    public var pair: QuantilePair
    public var target: Double
    public var steps: [StepParameters]

    public init(pair: QuantilePair, target: Double, steps: [StepParameters]) {
        self.pair = pair
        self.target = target
        self.steps = steps
    }

    /// The parameters of 1-based step `step`, if fitted.
    public func step(_ step: Int) -> StepParameters? {
        // Steps are stored ascending and usually dense, so the direct index almost always hits.
        if step - 1 < steps.count, steps[step - 1].step == step { return steps[step - 1] }
        return steps.first { $0.step == step }
    }
}

public struct GroupParameters: Equatable, Sendable {
    public var group: String
    public var pairs: [PairParameters]

    public init(group: String, pairs: [PairParameters]) {
        self.group = group
        self.pairs = pairs
    }
}

/// The parameter file: everything `apply` needs, and what it was fitted on.
public struct ConformalParameters: Equatable, Sendable {
    /// Bumped on any change `apply` would misread; `apply` refuses other versions.
    public static let formatVersion = 1

    /// The file's version id: the UTC date of `asOf` (`2026-11-04`).
    public var version: String
    public var asOf: Timestamp
    public var window: String
    public var windowStart: Timestamp
    public var method: ConformalMethod
    public var space: ConformalSpace
    public var target: Double
    public var gamma: Double?
    public var minSamples: Int
    public var segmentBy: [String]
    /// Records that contributed at least one sample.
    public var records: Int
    /// Groups with parameters, global first, then by depth and name.
    public var groups: [GroupParameters]
    /// Groups seen with fewer than `minSamples` samples at every step (their largest n).
    public var belowMinSamples: [(group: String, n: Int)]

    public init(version: String, asOf: Timestamp, window: String, windowStart: Timestamp, method: ConformalMethod,
                space: ConformalSpace, target: Double, gamma: Double?, minSamples: Int, segmentBy: [String],
                records: Int, groups: [GroupParameters], belowMinSamples: [(group: String, n: Int)]) {
        self.version = version
        self.asOf = asOf
        self.window = window
        self.windowStart = windowStart
        self.method = method
        self.space = space
        self.target = target
        self.gamma = gamma
        self.minSamples = minSamples
        self.segmentBy = segmentBy
        self.records = records
        self.groups = groups
        self.belowMinSamples = belowMinSamples
    }

    public static func == (a: ConformalParameters, b: ConformalParameters) -> Bool {
        a.version == b.version && a.asOf == b.asOf && a.window == b.window && a.windowStart == b.windowStart
            && a.method == b.method && a.space == b.space && a.target == b.target && a.gamma == b.gamma
            && a.minSamples == b.minSamples && a.segmentBy == b.segmentBy && a.records == b.records
            && a.groups == b.groups && a.belowMinSamples.map(\.group) == b.belowMinSamples.map(\.group)
            && a.belowMinSamples.map(\.n) == b.belowMinSamples.map(\.n)
    }

    /// The version id for an as-of time: its UTC date.
    public static func version(for asOf: Timestamp) -> String {
        String(asOf.rfc3339.prefix(10))
    }
}
