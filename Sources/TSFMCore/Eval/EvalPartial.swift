/// Mergeable partial results of tsfm-eval (`--partial`, then `tsfm-eval merge`): the sums and
/// counts behind the rows, per group and step, so rows over the union of several inputs can be
/// made from their partials alone, identical to one run over the union.
///
/// Exactness: every float sum is an `ExactSum` (fixed point, order-independent), so merging in
/// any order gives the same sums as one pass. Pairing merges exactly when every
/// (market_id, as_of_ts) key was scored within one partial (shard by market: `tsfm-prep
/// --shard`); a partial then carries its keys (16 hex digits each) so the merge can check that.
/// A partial whose band sources are fewer than the union's contributes no paired record (each
/// of its keys lacks a source). A split (`--split`) needs every as-of time or event of the union
/// before anything is summed, so it is refused with `--partial`.
///
/// Format (NDJSON, one object a line): a header `{"tsfm_eval_partial":1, "settings":…,
/// "sources":[…], "counts":…}`, one line per group and step `{"group":[…],"step":k,…sums}`,
/// and with pairing possible, `{"keys":["hex",…]}` lines.
public enum EvalPartial {
    public static let formatVersion = 1
    static let keysPerLine = 4096

    /// What a run counted besides the sums (for `--summary` and the exit status).
    public struct Counts: Sendable, Equatable {
        public var records = 0
        public var withoutFuture = 0
        public var errorRecords = 0
        public var badLines = 0
        public var scored = 0
        public var unpaired = 0
        public init() {}
    }

    public typealias PartialError = TSFMCore.PartialError

    static func settingsObject(_ s: EvalSettings) -> JSONObject {
        JSONObject([
            ("group_by", .strings(s.groupBy.map(\.rawValue))), ("move", .double(s.move)),
            ("followthrough_s", .double(s.followThroughSeconds)), ("paired", s.paired.map(JSONValue.bool) ?? .null),
            ("tolerance", .double(s.tolerance)),
        ])
    }

    static func settings(_ o: JSONObject) throws -> EvalSettings {
        var s = EvalSettings()
        guard let keys = o["group_by"]?.array?.compactMap({ $0.string.flatMap(EvalGroupKey.init(rawValue:)) }),
              let move = o["move"]?.number, let ft = o["followthrough_s"]?.number, let tol = o["tolerance"]?.number
        else { throw PartialError("the header's settings are incomplete") }
        s.groupBy = keys
        s.move = move
        s.followThroughSeconds = ft
        s.paired = o["paired"]?.bool
        s.tolerance = tol
        return s
    }

    /// The partial of a finished run (pass two done), as lines.
    public static func lines(_ e: Evaluator, counts: Counts) throws -> [String] {
        var out: [String] = []
        let c = counts
        let header = JSONObject([
            ("tsfm_eval_partial", .int(formatVersion)), ("settings", .object(settingsObject(e.settings))),
            ("sources", .strings(e.sources)),
            ("counts", .object(JSONObject([
                ("records", .int(c.records)), ("without_y_future", .int(c.withoutFuture)), ("error_records", .int(c.errorRecords)),
                ("bad_lines", .int(c.badLines)), ("scored", .int(c.scored)), ("unpaired_left_out", .int(c.unpaired)),
            ]))),
        ])
        out.append(try JSONValue.object(header).jsonText())
        let byStep = e.settings.groupBy.contains(.step)
        // Sorted, so the same input gives the same partial.
        for (base, index) in e.groupIndex.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            for (i, acc) in e.groupSums[index].enumerated() where acc.steps > 0 || acc.records != 0 {
                var o = JSONObject([("group", .strings(base)), ("step", byStep ? .int(i + 1) : .null)])
                for (k, v) in accumulatorFields(acc, e.slots) { o[k] = v }
                out.append(try JSONValue.object(o).jsonText())
            }
        }
        if e.settings.tracksKeys {
            let keys = e.sourcesByKey.keys.sorted()
            var start = 0
            while start < keys.count {
                let chunk = keys[start..<min(keys.count, start + keysPerLine)]
                out.append(try JSONValue.object(JSONObject([("keys", .strings(chunk.map(NumberText.hex16)))])).jsonText())
                start += keysPerLine
            }
        }
        return out
    }

    static func accumulatorFields(_ a: MetricAccumulator, _ slots: MetricSlots) -> [(String, JSONValue)] {
        let levels: [JSONValue] = a.pinballN.indices.filter { a.pinballN[$0] != 0 }.map {
            [.double(slots.levels[$0]), .string(a.pinballSum[$0].text), .int(a.pinballN[$0])]
        }
        let pairs: [JSONValue] = a.pairN.indices.filter { a.pairN[$0] != 0 }.map {
            [.string(slots.pairs[$0].name), .double(slots.pairs[$0].nominal), .int(a.pairN[$0]), .int(a.pairCovered[$0]),
             .string(a.pairWidthSum[$0].text), .string(a.pairWinklerSum[$0].text)]
        }
        let terms = MetricAccumulator.Term.allCases.map { t -> (String, JSONValue) in
            (t.key, t.isCount ? .int(a.count(t)) : .string(a.sum(t).text))
        }
        return [("records", .int(a.records)), ("steps", .int(a.steps)), ("levels", .array(levels)), ("pairs", .array(pairs))]
            + terms + [("target", a.target.map(JSONValue.double) ?? .null), ("target_mixed", .bool(a.targetMixed))]
    }

    /// Adds a group line's sums into `a`, with slots of the merged run.
    static func absorb(_ o: JSONObject, into a: inout MetricAccumulator, slots: MetricSlots) throws {
        func int(_ k: String) throws -> Int {
            guard let v = o[k]?.int else { throw PartialError("field '\(k)' missing or not an integer") }
            return v
        }
        func sum(_ v: JSONValue?, _ k: String) throws -> ExactSum {
            guard let t = v?.string, let s = ExactSum(text: t) else { throw PartialError("field '\(k)' is not an exact sum") }
            return s
        }
        a.records += try int("records")
        a.steps += try int("steps")
        for entry in o["levels"]?.array ?? [] {
            guard let e = entry.array, e.count == 3, let level = e[0].number, let n = e[2].int else { throw PartialError("a 'levels' entry is malformed") }
            let slot = slots.slot(level: level)
            grow(&a, levels: slot + 1, pairs: 0)
            a.pinballSum[slot] += try sum(e[1], "levels")
            a.pinballN[slot] += n
        }
        for entry in o["pairs"]?.array ?? [] {
            guard let e = entry.array, e.count == 6, let name = e[0].string, let nominal = e[1].number, let n = e[2].int,
                  let covered = e[3].int else { throw PartialError("a 'pairs' entry is malformed") }
            let slot = slots.slot(pair: name, nominal: nominal)
            grow(&a, levels: 0, pairs: slot + 1)
            a.pairN[slot] += n
            a.pairCovered[slot] += covered
            a.pairWidthSum[slot] += try sum(e[4], "pairs")
            a.pairWinklerSum[slot] += try sum(e[5], "pairs")
        }
        for t in MetricAccumulator.Term.allCases {
            if t.isCount { a.counts[t.rawValue] += try int(t.key) } else { a.sums[t.rawValue] += try sum(o[t.key], t.key) }
        }
        // As one pass would: mixed when two records disagree (the rows show a target only when unmixed).
        if o["target_mixed"]?.bool == true { a.targetMixed = true }
        if let t = o["target"]?.number {
            if let old = a.target, old != t { a.targetMixed = true }
            a.target = t
        }
    }

    static func grow(_ a: inout MetricAccumulator, levels: Int, pairs: Int) {
        if a.pinballSum.count < levels {
            a.pinballSum += Array(repeating: ExactSum(), count: levels - a.pinballSum.count)
            a.pinballN += Array(repeating: 0, count: levels - a.pinballN.count)
        }
        if a.pairN.count < pairs {
            let more = pairs - a.pairN.count
            a.pairN += Array(repeating: 0, count: more)
            a.pairCovered += Array(repeating: 0, count: more)
            a.pairWidthSum += Array(repeating: ExactSum(), count: more)
            a.pairWinklerSum += Array(repeating: ExactSum(), count: more)
        }
    }

    /// The merge of several partials: an evaluator holding the union's sums (its `rows()` are
    /// the rows), and the union's counts.
    public struct Merged {
        public let evaluator: Evaluator
        public var counts = Counts()
        public var partials = 0
        public var isPaired: Bool { evaluator.isPaired }
    }

    /// One partial as read: header, group lines, keys.
    struct Part {
        var settings: EvalSettings
        var settingsText: String
        var sources: [String]
        var counts = Counts()
        var groups: [JSONObject] = []
        var keys: [UInt64] = []
        var where_: String
    }

    static func read(path: String) throws -> Part {
        var part: Part?
        try NDJSONInput(paths: [path]).forEachLine { bytes, location in
            let text = String(decoding: bytes, as: UTF8.self)
            guard let o = (try? JSONValue.parse(text))?.object else { throw PartialError("not a JSON object", at: location) }
            if part == nil {
                guard o["tsfm_eval_partial"]?.int == formatVersion, let so = o["settings"]?.object,
                      let sources = o["sources"]?.array?.compactMap(\.string), let c = o["counts"]?.object else {
                    throw PartialError("not a tsfm-eval partial (write one with tsfm-eval --partial)", at: location)
                }
                var p = Part(settings: try settings(so), settingsText: try JSONValue.object(so).jsonText(), sources: sources, where_: path)
                p.counts.records = c["records"]?.int ?? 0
                p.counts.withoutFuture = c["without_y_future"]?.int ?? 0
                p.counts.errorRecords = c["error_records"]?.int ?? 0
                p.counts.badLines = c["bad_lines"]?.int ?? 0
                p.counts.scored = c["scored"]?.int ?? 0
                p.counts.unpaired = c["unpaired_left_out"]?.int ?? 0
                part = p
            } else if let keys = o["keys"]?.array {
                for k in keys {
                    guard let s = k.string, let v = UInt64(s, radix: 16) else { throw PartialError("a key is not 16 hex digits", at: location) }
                    part!.keys.append(v)
                }
            } else if o["group"] != nil {
                part!.groups.append(o)
            } else {
                throw PartialError("neither a group line nor a keys line", at: location)
            }
        }
        guard let part else { throw PartialError("\(path): empty (not a tsfm-eval partial)") }
        return part
    }

    /// Merges the partials at `paths` (at least one). Throws `PartialError` when they were made
    /// with different settings, or when pairing cannot be merged exactly (a key in two partials).
    public static func merge(paths: [String]) throws -> Merged {
        var parts: [Part] = []
        for path in paths { parts.append(try read(path: path)) }
        guard let first = parts.first else { throw PartialError("no partials to merge") }
        for p in parts.dropFirst() where p.settingsText != first.settingsText {
            throw PartialError("\(p.where_) was made with other settings than \(first.where_) (\(p.settingsText) vs \(first.settingsText)): make every partial with the same --group-by, --move, --followthrough, --paired and --tolerance")
        }
        var sources: [String] = []
        for p in parts { for s in p.sources where !sources.contains(s) { sources.append(s) } }
        let settings = first.settings
        if sources.count > Evaluator.maxSources && settings.tracksKeys {
            throw PartialError("more than \(Evaluator.maxSources) band sources: group them or use --no-paired")
        }
        let evaluator = Evaluator(settings: settings)
        evaluator.sources = sources
        var merged = Merged(evaluator: evaluator)
        merged.partials = parts.count
        let paired = evaluator.isPaired
        if paired {
            // A key scored in two partials: which of its records are paired depends on both, and
            // neither partial's sums can say. Shard by market so each key stays in one partial.
            var owner: [UInt64: Int] = [:]
            for (i, p) in parts.enumerated() {
                for k in p.keys {
                    if let j = owner[k], j != i {
                        throw PartialError("a (market_id, as_of_ts) key was scored in both \(parts[j].where_) and \(p.where_): a paired comparison cannot be merged exactly when a key's band sources are split between partials; split the input by market (tsfm-prep --shard i/n) so each key's records stay together, or make the partials with --no-paired")
                    }
                    owner[k] = i
                }
            }
        }
        var failure: Error?
        for p in parts {
            merged.counts.records += p.counts.records
            merged.counts.withoutFuture += p.counts.withoutFuture
            merged.counts.errorRecords += p.counts.errorRecords
            merged.counts.badLines += p.counts.badLines
            // A partial that lacks a source of the union has no key every source scored.
            if paired && Set(p.sources) != Set(sources) {
                merged.counts.unpaired += p.counts.scored + p.counts.unpaired
                continue
            }
            merged.counts.scored += p.counts.scored
            merged.counts.unpaired += p.counts.unpaired
            for g in p.groups {
                guard let base = g["group"]?.array?.compactMap(\.string) else { throw PartialError("\(p.where_): a group line without 'group'") }
                let step = g["step"]?.int
                let index: Int
                if let known = evaluator.groupIndex[base] {
                    index = known
                } else {
                    index = evaluator.groupSums.count
                    evaluator.groupIndex[base] = index
                    evaluator.groupSums.append([])
                }
                let slot = (step ?? 1) - 1
                guard slot >= 0 else { throw PartialError("\(p.where_): a step below 1") }
                evaluator.groupSums[index].withGrowth(to: slot + 1) { accs in
                    do { try absorb(g, into: &accs[slot], slots: evaluator.slots) } catch { failure = error }
                }
                if let failure { throw failure }
            }
        }
        return merged
    }
}
