/// How records are split into validation and train parts.
public enum EvalSplit: Equatable, Sendable {
    /// The latest `fraction` of distinct as-of times is validation.
    case time(Double)
    /// `fraction` of events (event_id, else market_id) per category is validation.
    case event(Double)

    public init?(argument: String) {
        let parts = argument.split(separator: ":")
        guard parts.count == 2, let f = Double(parts[1]), f > 0, f < 1 else { return nil }
        switch parts[0] {
        case "time": self = .time(f)
        case "event": self = .event(f)
        default: return nil
        }
    }
}

public struct EvalSettings: Sendable {
    public var groupBy: [EvalGroupKey] = [.bandSource, .step]
    public var move = 0.03
    public var followThroughSeconds: Double = 6 * 3600
    /// nil: paired when more than one band source is present.
    public var paired: Bool?
    public var split: EvalSplit?
    public var seed: UInt64 = 0
    /// Also report the train part of a split.
    public var both = false
    /// Keep per (band source, step) sums for the HTML report.
    public var forReport = false
    public init() {}

    /// Whether pass one must note the keys: a split needs them, and so does pairing unless it
    /// was turned off (with several sources it compares only common keys, and whether there are
    /// several sources is known only at the end of the input).
    public var tracksKeys: Bool { split != nil || paired != false }
}

/// Scores forecasts into metric rows. The first pass aggregates as it reads and, when pairing or
/// a split may need them (`EvalSettings.tracksKeys`), notes per (market_id, as_of_ts) key which
/// band sources scored it, the as-of times and the events: only keys (a 64-bit hash and a source
/// mask per key), never records. When a paired comparison or a split needs a filter, a second
/// pass over the same input aggregates the chosen records. With `--no-paired` and no split
/// nothing is noted and memory holds only the running sums.
public final class Evaluator {
    public let settings: EvalSettings
    /// Per group (without the step), one accumulator per step when grouping by step, else one.
    var groups: [[String]: [MetricAccumulator]] = [:]
    var serial = 0
    var sources: [String] = []
    var sourcesByKey: [UInt64: UInt64] = [:]
    var asOfTimes = Set<Int64>()
    var eventsByCategory: [String: Set<String>] = [:]
    /// Per (source, step), for the report's charts.
    public private(set) var bySourceStep: [String: [Int: MetricAccumulator]] = [:]
    var filter: ((ScoredForecast) -> String?)?
    public private(set) var scored = 0
    /// Records left out in pass two because not every band source scored their key.
    public private(set) var unpaired = 0
    /// At most this many distinct band sources can be compared (one bit each per key).
    public static let maxSources = 64

    public init(settings: EvalSettings) { self.settings = settings }

    static func key(_ f: ScoredForecast) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in f.marketId.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        h = (h ^ 0xff) &* 0x100_0000_01b3
        return (h ^ UInt64(bitPattern: f.asOf.millis)) &* 0x100_0000_01b3
    }

    /// Pass one: notes keys (when needed) and aggregates the record, unless a split makes a
    /// second pass certain. Throws when there are more band sources than pairing can track.
    public func observe(_ f: ScoredForecast) throws {
        var index = sources.firstIndex(of: f.bandSource)
        if index == nil {
            guard sources.count < Self.maxSources || !settings.tracksKeys else {
                throw ToolError(.dataError, "more than \(Self.maxSources) band sources: group them or use --no-paired")
            }
            sources.append(f.bandSource)
            index = sources.count - 1
        }
        if settings.tracksKeys {
            sourcesByKey[Self.key(f), default: 0] |= 1 << UInt64(index!)
            if settings.split != nil {
                asOfTimes.insert(f.asOf.millis)
                eventsByCategory[f.category ?? "unknown", default: []].insert(f.eventId ?? f.marketId)
            }
        }
        if settings.split == nil { aggregate(f, split: nil) }
    }

    /// Whether the results need a second pass (a paired comparison over several sources, or a split).
    public var needsSecondPass: Bool {
        settings.split != nil || ((settings.paired ?? true) && sources.count > 1)
    }

    public var isPaired: Bool { (settings.paired ?? true) && sources.count > 1 }

    /// Prepares pass two: clears the aggregates and sets the filter from what pass one saw.
    public func beginSecondPass() {
        groups = [:]
        bySourceStep = [:]
        scored = 0
        unpaired = 0
        let all: UInt64 = sources.count >= 64 ? UInt64.max : (UInt64(1) << UInt64(sources.count)) - 1
        let paired = isPaired
        let byKey = sourcesByKey
        var assign: (ScoredForecast) -> String? = { _ in nil }
        switch settings.split {
        case .time(let fraction):
            let times = asOfTimes.sorted()
            let validationCount = max(1, Int((Double(times.count) * fraction).rounded()))
            let cutoff = times.isEmpty ? Int64.min : times[max(0, times.count - validationCount)]
            assign = { $0.asOf.millis >= cutoff ? "validation" : "train" }
        case .event(let fraction):
            var validation = Set<String>()
            for (category, events) in eventsByCategory.sorted(by: { $0.key < $1.key }) {
                let ordered = events.sorted { Self.rank($0, category, settings.seed) < Self.rank($1, category, settings.seed) }
                let count = Int((Double(ordered.count) * fraction).rounded())
                for e in ordered.prefix(count) { validation.insert(category + "\u{1F}" + e) }
            }
            assign = { f in validation.contains((f.category ?? "unknown") + "\u{1F}" + (f.eventId ?? f.marketId)) ? "validation" : "train" }
        case nil:
            break
        }
        let both = settings.both
        let hasSplit = settings.split != nil
        filter = { [unowned self] f in
            if paired && byKey[Self.key(f)] != all {
                self.unpaired += 1
                return nil
            }
            guard hasSplit else { return "" }
            let part = assign(f)!
            return part == "validation" || both ? part : nil
        }
    }

    static func rank(_ event: String, _ category: String, _ seed: UInt64) -> UInt64 {
        var rng = SplitMix64(seed: seed)
        var h = rng.next()
        for b in (category + "\u{1F}" + event).utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        var mixer = SplitMix64(seed: h)
        return mixer.next()
    }

    /// Pass two: aggregates a record when the filter keeps it. Returns the part it went to
    /// ("validation", "train", or "" without a split), nil when it was left out.
    @discardableResult
    public func rescore(_ f: ScoredForecast) -> String? {
        guard let part = filter?(f) else { return nil }
        aggregate(f, split: part.isEmpty ? nil : part)
        return part
    }

    func aggregate(_ f: ScoredForecast, split: String?) {
        scored += 1
        serial += 1
        let pairs = IntervalMetrics.pairs(f.band.levels)
        let window = Int(settings.followThroughSeconds / Double(f.freq.seconds))
        let stepsScored = min(f.horizon, f.band.horizon, f.yFuture.count)
        let byStep = settings.groupBy.contains(.step)
        var base: [String] = split.map { [$0] } ?? []
        for key in settings.groupBy where key != .step { base.append(f.attribute(key)) }
        let window2 = window
        groups[base, default: []].withGrowth(to: byStep ? stepsScored : 1) { accumulators in
            for h in 0..<stepsScored {
                accumulators[byStep ? h : 0].add(f, step: h, serial: serial, pairs: pairs, move: settings.move, window: window2)
            }
        }
        // The report describes what the rows report first: the validation part of a split.
        if settings.forReport && split != "train" {
            var perStep = bySourceStep[f.bandSource] ?? [:]
            for h in 0..<stepsScored {
                perStep[h + 1, default: MetricAccumulator()].add(f, step: h, serial: serial, pairs: pairs, move: settings.move, window: window)
            }
            bySourceStep[f.bandSource] = perStep
        }
    }

    /// The metric rows, in a deterministic order (split, then group values; steps numerically).
    public func rows() -> [JSONObject] {
        let hasSplit = settings.split != nil
        let names = settings.groupBy.map(\.rawValue)
        let byStep = settings.groupBy.contains(.step)
        var flat: [[String]: MetricAccumulator] = [:]
        for (base, accumulators) in groups {
            for (i, acc) in accumulators.enumerated() where acc.steps > 0 {
                flat[byStep ? base + [String(i + 1)] : base] = acc
            }
        }
        let keys = flat.keys.sorted { a, b in
            for (x, y) in zip(a, b) where x != y {
                if let i = Int(x), let j = Int(y) { return i < j }
                return x < y
            }
            return a.count < b.count
        }
        return keys.map { key in
            var row = JSONObject()
            var values = key[...]
            if hasSplit { row["split"] = .string(values.removeFirst()) }
            for name in names {
                let v = name == EvalGroupKey.step.rawValue ? values.last! : values.removeFirst()
                row[name] = name == EvalGroupKey.step.rawValue ? .int(Int(v)!) : .string(v)
            }
            if isPaired { row["paired"] = true }
            for (k, v) in flat[key]!.metrics() { row[k] = v }
            return row
        }
    }
}

extension Array where Element == MetricAccumulator {
    /// Grows to at least `count` accumulators, then lets `body` change them in place.
    mutating func withGrowth(to count: Int, _ body: (inout [MetricAccumulator]) -> Void) {
        while self.count < count { append(MetricAccumulator()) }
        body(&self)
    }
}
