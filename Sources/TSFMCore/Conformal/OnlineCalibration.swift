/// Online adaptation of `apply`'s adjustments as outcomes become known, in the spirit of adaptive
/// conformal inference (Gibbs & Candès 2021) and conformal PID control (Angelopoulos, Candès &
/// Tibshirani 2023). Per group (the one whose parameters served the step) and horizon step:
///
/// - **a rolling window** of the latest `window` realized scores (cqr/aci: the raw band's score
///   max(lo − y, y − hi) in the calibration space). Once it holds `minimumOutcomes`, its
///   finite-sample conformal quantile at the target replaces the stored adjustment: the
///   calibration is re-fitted continuously on the most recent outcomes (the scorecaster of
///   conformal PID, in its simplest form);
/// - **quantile tracking** on top (PID's proportional term): an offset δ moved by each outcome,
///   δ ← δ + η · w · (miss − α), with miss = 1 when the realized value fell outside the band
///   apply wrote, α = 1 − target, η the rate and w the raw band's half-width in the calibration
///   space (1 for scaled, whose offset adds to the width scale). It corrects what the window's
///   quantile leaves (the lag after a change, the guards' effect), and its long-run miss rate
///   converges to α whatever the window says.
///
/// The window and the tracking alone were measured against each other on the drift simulation
/// (docs/tsfm-conformal.md): tracking alone reaches the target but, fed with outcomes that
/// arrive h steps late, overshoots and oscillates into bands 25–80% wider than an oracle's; the
/// window re-fits without that overshoot.
///
/// An outcome counts only once it is due: a forecast made at t for step h is scored at
/// t + h·freq, when a record at least that late arrives (no look-ahead in a time-ordered
/// replay). The state (windows, offsets, outcomes not yet due) is kept in a file between runs;
/// outcomes due earlier than what a key already counted are not counted twice.
public struct OnlineCalibration {
    public struct Key: Hashable, Comparable, Sendable {
        public var group: String
        public var step: Int
        public static func < (a: Key, b: Key) -> Bool { a.group != b.group ? a.group < b.group : a.step < b.step }
    }

    public struct Tracker: Equatable, Sendable {
        /// The latest scores, oldest first (at most `window`).
        public var scores: [Float] = []
        /// The window's conformal quantile, once it holds `minimumOutcomes`.
        public var quantile: Double?
        public var offset = 0.0
        public var updates = 0
        /// The latest due time counted (ms); outcomes due earlier were counted by an earlier run.
        public var countedThrough = Int64.min
    }

    /// A forecast step whose realized value is known but not yet due.
    public struct Outcome: Equatable, Sendable {
        public var due: Int64
        public var key: Key
        public var miss: Bool
        /// The raw band's score at this step (cqr/aci), in the calibration space.
        public var score: Float
        public var scale: Double
    }

    public static let defaultRate = 0.01
    public static let defaultWindow = 500
    /// Scores a window needs before its quantile replaces the stored adjustment.
    public static let minimumOutcomes = 50
    /// The offset is kept within ±`limit` (calibration-space units, or scale units for scaled),
    /// so a long run of misses that the width guard keeps unfixable cannot wind it up forever.
    public static let limit = 10.0

    public let paramsVersion: String
    public let rate: Double
    public let window: Int
    public let target: Double
    public let miss: Double
    let unitScale: Bool
    public private(set) var trackers: [Key: Tracker] = [:]
    /// Outcomes not yet due, ascending by due time (ties in arrival order).
    public private(set) var pending: [Outcome] = []
    /// The as-of time of the latest record seen this run.
    public private(set) var clock: Int64?
    /// Outcomes counted this run.
    public private(set) var counted = 0
    /// Outcomes left out because an earlier run had counted them.
    public private(set) var duplicates = 0

    public init(parameters: ConformalParameters, rate: Double = defaultRate, window: Int = defaultWindow) {
        paramsVersion = parameters.version
        self.rate = rate
        self.window = window
        target = parameters.target
        miss = 1 - parameters.target
        unitScale = parameters.method == .scaled
    }

    /// The adjustment for a group at a 1-based step: the window's quantile once it has enough
    /// outcomes (else `fitted`), plus the tracking offset.
    public func adjustment(group: String, step: Int, fitted: Double) -> Double {
        guard let t = trackers[Key(group: group, step: step)] else { return fitted }
        return (t.quantile ?? fitted) + t.offset
    }

    /// The tracking offset alone (what scaled adds to its width scale).
    public func offset(group: String, step: Int) -> Double {
        trackers[Key(group: group, step: step)]?.offset ?? 0
    }

    /// Moves the clock to `asOf` and counts every outcome due by then. Records must come in
    /// as-of order: an earlier one would be calibrated with knowledge of its own future.
    public mutating func advance(to asOf: Timestamp) throws {
        if let clock, asOf.millis < clock {
            throw RecordError(field: FieldName.asOfTs, "\(asOf.rfc3339) is earlier than a record before it (\(Timestamp(millis: clock).rfc3339)); --adapt replays records in as_of_ts order: use tsfm-prep --backtest --order time")
        }
        clock = asOf.millis
        var due = 0
        while due < pending.count && pending[due].due <= asOf.millis { due += 1 }
        guard due > 0 else { return }
        var touched = Set<Key>()
        for outcome in pending[..<due] where count(outcome) { touched.insert(outcome.key) }
        pending.removeFirst(due)
        refresh(touched)
    }

    /// Queues the outcomes of a calibrated forecast: per step with parameters and a realized
    /// value, whether `written` (the band apply wrote) missed it, due at as-of + step·cadence.
    public mutating func observe(raw: QuantileBand, written: QuantileBand, used: [String?], future: [Double],
                                 asOf: Timestamp, cadence: Cadence, transform: Transform) {
        for outcome in Self.outcomes(raw: raw, written: written, used: used, future: future, asOf: asOf,
                                     cadence: cadence, transform: transform, unitScale: unitScale) {
            enqueue(outcome)
        }
    }

    /// Counts outcomes known now (from `--outcomes`: earlier forecasts with their realized values),
    /// in due order.
    public mutating func countNow(_ outcomes: [Outcome]) {
        var touched = Set<Key>()
        for outcome in outcomes.sorted(by: { $0.due < $1.due }) where count(outcome) { touched.insert(outcome.key) }
        refresh(touched)
    }

    static func outcomes(raw: QuantileBand, written: QuantileBand, used: [String?], future: [Double], asOf: Timestamp,
                         cadence: Cadence, transform f: Transform, unitScale: Bool) -> [Outcome] {
        let top = raw.levels.count - 1
        guard top > 0, written.levels.count == raw.levels.count else { return [] }
        var out: [Outcome] = []
        for h in 0..<min(used.count, future.count, written.horizon) {
            guard let group = used[h], !future[h].isNaN else { continue }
            let y = future[h]
            let missed = y < written.values[0][h] || y > written.values[top][h]
            let flo = f.forward(raw.values[0][h])
            let fhi = f.forward(raw.values[top][h])
            let scale = unitScale ? 1 : max((fhi - flo) / 2, 1e-6)
            out.append(Outcome(due: asOf.millis + Int64(h + 1) * cadence.seconds * 1000, key: Key(group: group, step: h + 1),
                               miss: missed, score: Float(ConformalScore.cqr(lo: flo, hi: fhi, y: f.forward(y))), scale: scale))
        }
        return out
    }

    mutating func enqueue(_ outcome: Outcome) {
        // Binary search for the first outcome due later: ties stay in arrival order.
        var lo = 0
        var hi = pending.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if pending[mid].due <= outcome.due { lo = mid + 1 } else { hi = mid }
        }
        pending.insert(outcome, at: lo)
    }

    /// Counts one outcome; false when an earlier run already had.
    mutating func count(_ outcome: Outcome) -> Bool {
        var t = trackers[outcome.key] ?? Tracker()
        if outcome.due < t.countedThrough {
            duplicates += 1
            return false
        }
        let step = rate * outcome.scale * ((outcome.miss ? 1 : 0) - miss)
        t.offset = min(Self.limit, max(-Self.limit, t.offset + step))
        if !unitScale && window > 0 {
            if t.scores.count >= window { t.scores.removeFirst(t.scores.count - window + 1) }
            t.scores.append(outcome.score)
        }
        t.updates += 1
        t.countedThrough = outcome.due
        trackers[outcome.key] = t
        counted += 1
        return true
    }

    /// Re-computes the window quantile of the keys that got new scores.
    mutating func refresh(_ keys: Set<Key>) {
        for key in keys {
            guard var t = trackers[key], t.scores.count >= Self.minimumOutcomes else { continue }
            var scores = t.scores
            t.quantile = ConformalQuantile.quantile(&scores, level: target)?.value
            trackers[key] = t
        }
    }
}

// MARK: - The state file

extension OnlineCalibration {
    public static let formatVersion = 1

    /// The state as JSON: the parameter version it belongs to, the trackers and the pending
    /// outcomes (one short object per line, for people and diffs).
    public func encoded() throws -> [UInt8] {
        var text = "{\n  \"format_version\": \(Self.formatVersion),\n"
        text += "  \"params_version\": " + (try JSONValue.string(paramsVersion).jsonText()) + ",\n"
        text += "  \"rate\": \(rate.description),\n"
        func lines(_ values: [JSONValue]) throws -> String {
            try values.map { "    " + (try $0.jsonText()) }.joined(separator: ",\n")
        }
        let trackerValues: [JSONValue] = trackers.keys.sorted().map { key in
            let t = trackers[key]!
            return ["group": .string(key.group), "step": .int(key.step), "offset": .double(t.offset),
                    "updates": .int(t.updates), "counted_through": .int(Int(t.countedThrough)),
                    "scores": .array(t.scores.map { .double(ConformalQuantile.widened($0)) })]
        }
        let pendingValues: [JSONValue] = pending.map {
            ["due": .int(Int($0.due)), "group": .string($0.key.group), "step": .int($0.key.step),
             "miss": .bool($0.miss), "score": .double(ConformalQuantile.widened($0.score)), "scale": .double($0.scale)]
        }
        text += "  \"trackers\": [\n" + (try lines(trackerValues)) + (trackerValues.isEmpty ? "" : "\n") + "  ],\n"
        text += "  \"pending\": [\n" + (try lines(pendingValues)) + (pendingValues.isEmpty ? "" : "\n") + "  ]\n}\n"
        return Array(text.utf8)
    }

    /// Restores trackers and pending outcomes from a state file written for the same parameter
    /// version. Returns false (and keeps a fresh state) when the file belongs to another
    /// version: new parameters start their adaptation afresh. Throws a message for a damaged file.
    public mutating func restore(_ bytes: [UInt8]) throws -> Bool {
        let value = try JSONValue.parse(String(decoding: bytes, as: UTF8.self))
        guard let o = value.object, o["format_version"]?.int == Self.formatVersion else {
            throw StateError("not an adaptation state file of format_version \(Self.formatVersion)")
        }
        guard let version = o["params_version"]?.string else { throw StateError("params_version missing") }
        guard version == paramsVersion else { return false }
        func key(_ e: JSONObject) throws -> Key {
            guard let g = e["group"]?.string, let s = e["step"]?.int, s >= 1 else { throw StateError("an entry without group and step") }
            return Key(group: g, step: s)
        }
        for element in o["trackers"]?.array ?? [] {
            guard let e = element.object, let offset = e["offset"]?.number, offset.isFinite, abs(offset) <= Self.limit,
                  let updates = e["updates"]?.int, let through = e["counted_through"]?.int else {
                throw StateError("a tracker entry is malformed")
            }
            var scores: [Float] = []
            for v in e["scores"]?.array ?? [] {
                guard let d = v.number, d.isFinite else { throw StateError("a tracker's scores are malformed") }
                scores.append(Float(d))
            }
            trackers[try key(e)] = Tracker(scores: Array(scores.suffix(window)), offset: offset, updates: updates,
                                           countedThrough: Int64(through))
        }
        refresh(Set(trackers.keys))
        for element in o["pending"]?.array ?? [] {
            guard let e = element.object, let due = e["due"]?.int, let miss = e["miss"]?.bool,
                  let score = e["score"]?.number, score.isFinite, let scale = e["scale"]?.number, scale.isFinite, scale > 0 else {
                throw StateError("a pending entry is malformed")
            }
            enqueue(Outcome(due: Int64(due), key: try key(e), miss: miss, score: Float(score), scale: scale))
        }
        return true
    }

    public struct StateError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
