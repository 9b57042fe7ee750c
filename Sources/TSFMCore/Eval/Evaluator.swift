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
    /// Keep the per-source aggregates `--metrics-file` reports (`bySource`, `bySourceStep`).
    public var forMetrics = false
    /// Accepted distance of a calibrated band's coverage from its conformal target (`meets_target`).
    public var tolerance = 0.03
    public init() {}

    /// Whether pass one must note the keys: a split needs them, and so does pairing unless it
    /// was turned off (with several sources it compares only common keys, and whether there are
    /// several sources is known only at the end of the input).
    public var tracksKeys: Bool { split != nil || paired != false }
}

/// Scores forecasts into metric rows. The first pass aggregates as it reads and, when pairing or
/// a split may need them (`EvalSettings.tracksKeys`), notes per (market_id, as_of_ts) key which
/// band sources scored it, the as-of times and the events: only keys (a 64-bit hash and a source
/// mask per key), never records. A second pass over the same input then either
/// - takes the records whose key not every source scored back out of the sums (a paired
///   comparison without a split: every metric is a sum or a count, so this equals scoring only
///   the paired records, and pass two decodes only the records it takes out), or
/// - with a split, aggregates afresh the records the filter keeps (pass one only notes keys).
/// With `--no-paired` and no split nothing is noted and memory holds only the running sums.
public final class Evaluator {
    public let settings: EvalSettings
    /// Per group (without the step), one accumulator per step when grouping by step, else one:
    /// `groupSums[groupIndex[values]]`.
    var groupIndex: [[String]: Int] = [:]
    var groupSums: [[MetricAccumulator]] = []
    /// The last record's group, looked up again only when the group values change.
    var lastGroup: (values: [String], index: Int)?
    public let slots = MetricSlots()
    var serial = 0
    var sources: [String] = []
    var sourcesByKey: [UInt64: UInt64] = [:]
    var asOfTimes = Set<Int64>()
    var eventsByCategory: [String: Set<String>] = [:]
    /// Per (source, step), for the report's charts.
    public private(set) var bySourceStep: [String: [Int: MetricAccumulator]] = [:]
    /// Per source over all steps, and the latest as-of scored (ms), for the metrics file.
    public private(set) var bySource: [String: MetricAccumulator] = [:]
    public private(set) var latestAsOfMs: Int64?
    var filter: ((ScoredForecast) -> Placement?)?
    public private(set) var scored = 0
    /// Records pass one observed.
    var observed = 0
    /// Pass two, filtering: records whose key every source scored.
    var pairedSeen = 0
    /// Pass two, withdrawing: records taken back out.
    var withdrawn = 0
    /// The mode pass two runs in, fixed by `beginSecondPass`.
    var chosenSecondPass: SecondPass?

    /// Records left out because not every band source scored their key.
    public var unpaired: Int {
        switch chosenSecondPass {
        case .withdrawUnpaired?: return withdrawn
        case .filter? where isPaired: return observed - pairedSeen
        default: return 0
        }
    }
    /// At most this many distinct band sources can be compared (one bit each per key).
    public static let maxSources = 64

    public init(settings: EvalSettings) { self.settings = settings }

    /// The pairing key of a forecast: an FNV-1a hash of its market_id's UTF-8 bytes and its
    /// as-of time (64 bits: a collision among a few million keys is vanishingly unlikely).
    static func key(_ f: ScoredForecast) -> UInt64 {
        var id = f.marketId
        return id.withUTF8 { key(marketId: $0, millis: f.asOf.millis) }
    }

    static func key(marketId: UnsafeBufferPointer<UInt8>, millis: Int64) -> UInt64 {
        var h = FNV1a64()
        h.add(marketId)
        h.add(0xff)
        h.mix(UInt64(bitPattern: millis))
        return h.value
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
        observed += 1
        if settings.split == nil { aggregate(f, split: nil) }
    }

    /// The part of a split a record counts in.
    public enum SplitPart: String, Sendable {
        case validation
        case train
    }

    /// Where pass two counts a record: in the rows of a run without a split, or in one part.
    public enum Placement: Equatable, Sendable {
        case unsplit
        case part(SplitPart)
    }

    /// What pass two does, given what pass one saw.
    public enum SecondPass: Sendable {
        case none
        /// Take unpaired records back out of the sums.
        case withdrawUnpaired
        /// Aggregate afresh the records the split (and pairing) keeps.
        case filter
    }

    /// A split filters. Pairing alone takes the unpaired records out when they are the fewer
    /// (pass two then decodes only them), else starts afresh from the paired ones (pass two then
    /// decodes only those): either way pass two skips the other lines after reading their key.
    public var secondPass: SecondPass {
        if let chosenSecondPass { return chosenSecondPass }
        if settings.split != nil { return .filter }
        guard isPaired else { return .none }
        let all = allSources
        var pairedRecords = 0
        var unpairedRecords = 0
        for mask in sourcesByKey.values {
            if mask == all { pairedRecords += mask.nonzeroBitCount } else { unpairedRecords += mask.nonzeroBitCount }
        }
        return unpairedRecords <= pairedRecords ? .withdrawUnpaired : .filter
    }

    /// Whether the results need a second pass (a paired comparison over several sources, or a split).
    public var needsSecondPass: Bool { secondPass != .none }

    public var isPaired: Bool { (settings.paired ?? true) && sources.count > 1 }

    /// The bit mask of every band source seen.
    var allSources: UInt64 { sources.count >= 64 ? UInt64.max : (UInt64(1) << UInt64(sources.count)) - 1 }

    /// Whether every band source scored the key (`key(_:)`, `ScoredForecast.scanKey`).
    public func isPairedKey(_ key: UInt64) -> Bool { sourcesByKey[key] == allSources }

    /// Whether any key was scored by every band source (else a paired comparison is empty).
    public var hasPairedKey: Bool { sourcesByKey.values.contains(allSources) }
    /// Band sources seen.
    public var sourceCount: Int { sources.count }

    /// Prepares pass two: for a split, clears the aggregates and sets the filter from what pass
    /// one saw; for pairing alone, keeps them.
    public func beginSecondPass() {
        chosenSecondPass = secondPass
        withdrawn = 0
        pairedSeen = 0
        if secondPass == .withdrawUnpaired {
            filter = { [unowned self] f in
                guard self.isPairedKey(Self.key(f)) else {
                    self.withdrawn += 1
                    self.aggregate(f, split: nil, weight: -1)
                    return nil
                }
                return .unsplit
            }
            return
        }
        groupIndex = [:]
        groupSums = []
        lastGroup = nil
        bySourceStep = [:]
        scored = 0
        let all = allSources
        let paired = isPaired
        let byKey = sourcesByKey
        var assign: (ScoredForecast) -> SplitPart = { _ in .validation }
        switch settings.split {
        case .time(let fraction):
            let cutoff = TimeSplit.cutoff(Array(asOfTimes), fraction: fraction) ?? Int64.min
            assign = { $0.asOf.millis >= cutoff ? .validation : .train }
        case .event(let fraction):
            var validation = Set<String>()
            for (category, events) in eventsByCategory.sorted(by: { $0.key < $1.key }) {
                let ordered = events.sorted { Self.rank($0, category, settings.seed) < Self.rank($1, category, settings.seed) }
                let count = Int((Double(ordered.count) * fraction).rounded())
                for e in ordered.prefix(count) { validation.insert(category + "\u{1F}" + e) }
            }
            assign = { f in validation.contains((f.category ?? "unknown") + "\u{1F}" + (f.eventId ?? f.marketId)) ? .validation : .train }
        case nil:
            break
        }
        let both = settings.both
        let hasSplit = settings.split != nil
        filter = { [unowned self] f in
            if paired {
                guard byKey[Self.key(f)] == all else { return nil }
                self.pairedSeen += 1
            }
            guard hasSplit else { return .unsplit }
            let part = assign(f)
            return part == .validation || both ? .part(part) : nil
        }
    }

    static func rank(_ event: String, _ category: String, _ seed: UInt64) -> UInt64 {
        var rng = SplitMix64(seed: seed)
        var h = FNV1a64(value: rng.next())
        h.add((category + "\u{1F}" + event).utf8)
        var mixer = SplitMix64(seed: h.value)
        return mixer.next()
    }

    /// Pass two, for each record pass one aggregated: with a split, aggregates it when the
    /// filter keeps it; with pairing alone, takes it back out when its key is unpaired. Returns
    /// where it counts, nil when left out.
    @discardableResult
    public func rescore(_ f: ScoredForecast) -> Placement? {
        guard let placement = filter?(f) else { return nil }
        if secondPass == .filter {
            if case .part(let part) = placement { aggregate(f, split: part) } else { aggregate(f, split: nil) }
        }
        return placement
    }

    /// Adds a record to its group's sums (weight 1), or takes it back out (weight −1).
    func aggregate(_ f: ScoredForecast, split: SplitPart?, weight: Int = 1) {
        scored += weight
        serial += 1
        let layout = slots.layout(for: f.band.levels)
        let window = Int(settings.followThroughSeconds / Double(f.freq.seconds))
        let stepsScored = min(f.horizon, f.band.horizon, f.yFuture.count)
        let byStep = settings.groupBy.contains(.step)
        var base: [String] = split.map { [$0.rawValue] } ?? []
        for key in settings.groupBy where key != .step { base.append(f.attribute(key)) }
        let index: Int
        if let lastGroup, lastGroup.values == base {
            index = lastGroup.index
        } else if let known = groupIndex[base] {
            index = known
        } else {
            index = groupSums.count
            groupIndex[base] = index
            groupSums.append([])
        }
        lastGroup = (base, index)
        let move = settings.move
        groupSums[index].withGrowth(to: byStep ? stepsScored : 1) { accumulators in
            for h in 0..<stepsScored {
                accumulators[byStep ? h : 0].add(f, step: h, serial: serial, layout: layout, move: move, window: window, weight: weight)
            }
        }
        // The report describes what the rows report first: the validation part of a split.
        if settings.forMetrics && split != .train {
            var all = bySource[f.bandSource] ?? MetricAccumulator()
            for h in 0..<stepsScored {
                all.add(f, step: h, serial: serial, layout: layout, move: move, window: window, weight: weight)
            }
            bySource[f.bandSource] = all
            latestAsOfMs = max(latestAsOfMs ?? f.asOf.millis, f.asOf.millis)
        }
        if (settings.forReport || settings.forMetrics) && split != .train {
            var perStep = bySourceStep[f.bandSource] ?? [:]
            for h in 0..<stepsScored {
                perStep[h + 1, default: MetricAccumulator()].add(f, step: h, serial: serial, layout: layout, move: move, window: window,
                                                                 weight: weight)
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
        for (base, index) in groupIndex {
            for (i, acc) in groupSums[index].enumerated() where acc.steps > 0 {
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
            for (k, v) in flat[key]!.metrics(slots, tolerance: settings.tolerance) { row[k] = v }
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
