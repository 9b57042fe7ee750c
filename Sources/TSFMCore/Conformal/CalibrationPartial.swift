/// Partial fits (`tsfm-conformal fit --partial`, then `fit --merge`): a partial carries what
/// `fit` holds in memory after reading its input (every group's and pair's as-of times, Float
/// scores per step and, for `--report` / `--out-dir`, each sample's band and realized value),
/// so a merge rebuilds the calibration history of the union and runs the same fit code: the
/// parameter file equals one fit over the union, byte for byte.
///
/// Order: cqr and scaled take quantiles and medians, which do not depend on the order of the
/// samples. aci runs over samples in time order and keeps input order among equal as-of times,
/// so for aci the merge equals the single fit when the partials are consecutive pieces of the
/// input given in order (`parallel --pipe --keep-order`), not for shards by market.
///
/// Format (NDJSON): a header `{"tsfm_conformal_partial":1, "scoring":…, "counts":…,
/// "latest_ms":…}`, then cell lines `{"group":[…],"pair":[lo,hi,outer],"times":[…],
/// "columns":[[…]…],"bands":[[…]…]}` of at most 4,096 records each (null for a missing value).
public enum CalibrationPartial {
    public static let formatVersion = 1
    static let recordsPerLine = 4096

    public typealias PartialError = TSFMCore.PartialError

    /// The settings that shape the scores as they are read (so partials and the merge must agree
    /// on them); the rest (target, gamma, min samples, a window without --as-of) act at fit time.
    static func scoring(_ s: FitSettings) -> JSONObject {
        JSONObject([
            ("method", .string(s.method.rawValue)), ("space", .string(s.space.rawValue)),
            ("segment_by", .strings(s.segments.names)), ("all_pairs", .bool(s.allPairs)),
            ("as_of", s.asOf.map { .string($0.rfc3339) } ?? .null),
            ("window", s.asOf == nil ? .null : .string(s.window.text)),
        ])
    }

    static func number(_ x: Double) -> JSONValue { x.isNaN ? .null : .double(x) }

    /// The partial of a history read with `keepBands` on, written line by line to `write`.
    public static func write(_ set: CalibrationSet, totals: StreamTotals, _ write: (String) throws -> Void) throws {
        let c = set.counts
        let header = JSONObject([
            ("tsfm_conformal_partial", .int(formatVersion)), ("scoring", .object(scoring(set.settings))),
            ("counts", .object(JSONObject([
                ("records", .int(c.records)), ("sampled", .int(c.sampled)), ("without_y_future", .int(c.withoutFuture)),
                ("outside_window", .int(c.outsideWindow)), ("without_steps", .int(c.withoutSteps)),
                ("stream_records", .int(totals.records)), ("error_records_passed", .int(totals.errorRecordsPassed)),
                ("bad_lines", .int(totals.badLines)),
            ]))),
            ("latest_ms", set.latest.map { .int(Int($0.millis)) } ?? .null),
        ])
        try write(try JSONValue.object(header).jsonText())
        for (g, values) in set.groupValues.enumerated() {
            for (p, pair) in set.pairs.enumerated() {
                guard let cell = set.cells[g][p] else { continue }
                var start = 0
                while start < cell.count {
                    let range = start..<min(cell.count, start + recordsPerLine)
                    let o = JSONObject([
                        ("group", .strings(values)), ("pair", [.double(pair.lo), .double(pair.hi), .bool(pair.outer)]),
                        ("times", .array(cell.times[range].map { .int(Int($0)) })),
                        // A Float widened to Double is exact, and JSON doubles round-trip.
                        ("columns", .array(cell.columns.map { col in .array(col[range].map { number(Double($0)) }) })),
                        ("bands", .array(cell.bands.map { col in .array(col[range].map { number($0) }) })),
                    ])
                    try write(try JSONValue.object(o).jsonText())
                    start = range.upperBound
                }
            }
        }
    }

    /// Counts of the merged inputs' streams (records read, error records, bad lines).
    public struct Totals: Sendable {
        public var records = 0
        public var errorRecordsPassed = 0
        public var badLines = 0
        public var partials = 0
    }

    /// Reads the partials at `paths` into `set` (whose settings must score as theirs did), in
    /// the order given.
    public static func merge(paths: [String], into set: CalibrationSet) throws -> Totals {
        var totals = Totals()
        let expected = try JSONValue.object(scoring(set.settings)).jsonText()
        for path in paths {
            var seenHeader = false
            try NDJSONInput(paths: [path]).forEachLine { bytes, location in
                guard let o = (try? JSONValue.parse(String(decoding: bytes, as: UTF8.self)))?.object else {
                    throw PartialError("not a JSON object", at: location)
                }
                if !seenHeader {
                    guard o["tsfm_conformal_partial"]?.int == formatVersion, let scoring = o["scoring"]?.object,
                          let c = o["counts"]?.object else {
                        throw PartialError("not a tsfm-conformal partial (write one with tsfm-conformal fit --partial)", at: location)
                    }
                    let text = try JSONValue.object(scoring).jsonText()
                    guard text == expected else {
                        throw PartialError("\(path) was scored with \(text), this merge scores with \(expected): give the merge the same --method, --space, --segment-by, --all-pairs (and --as-of, --window when set) as the partials")
                    }
                    set.counts.records += c["records"]?.int ?? 0
                    set.counts.sampled += c["sampled"]?.int ?? 0
                    set.counts.withoutFuture += c["without_y_future"]?.int ?? 0
                    set.counts.outsideWindow += c["outside_window"]?.int ?? 0
                    set.counts.withoutSteps += c["without_steps"]?.int ?? 0
                    totals.records += c["stream_records"]?.int ?? 0
                    totals.errorRecordsPassed += c["error_records_passed"]?.int ?? 0
                    totals.badLines += c["bad_lines"]?.int ?? 0
                    if let ms = o["latest_ms"]?.int {
                        let t = Timestamp(millis: Int64(ms))
                        if set.latest.map({ t > $0 }) ?? true { set.latest = t }
                    }
                    seenHeader = true
                    totals.partials += 1
                    return
                }
                try absorbCell(o, into: set, at: location)
            }
            guard seenHeader else { throw PartialError("\(path): empty (not a tsfm-conformal partial)") }
        }
        return totals
    }

    static func absorbCell(_ o: JSONObject, into set: CalibrationSet, at location: SourceLocation) throws {
        guard let values = o["group"]?.array?.compactMap(\.string), let p = o["pair"]?.array, p.count == 3,
              let lo = p[0].number, let hi = p[1].number, let outer = p[2].bool,
              let times = o["times"]?.array?.compactMap(\.int), let columns = o["columns"]?.array?.compactMap(\.array),
              let bands = o["bands"]?.array?.compactMap(\.array)
        else { throw PartialError("a malformed cell line", at: location) }
        let n = times.count
        guard columns.allSatisfy({ $0.count == n }), bands.allSatisfy({ $0.count == n }) else {
            throw PartialError("a cell's columns differ in length from its times", at: location)
        }
        if set.settings.keepBands && bands.isEmpty && !columns.isEmpty {
            throw PartialError("the partial carries no bands, which --report and --out-dir need", at: location)
        }
        let cell = set.cell(set.groupSlot(values), set.pairSlot(QuantilePair(lo: lo, hi: hi, outer: outer)))
        for i in 0..<n {
            let row = columns.map { Float($0[i].number ?? .nan) }
            let band = set.settings.keepBands ? bands.map { $0[i].number ?? .nan } : []
            set.append(row, bands: band, time: Int64(times[i]), to: cell)
        }
    }
}
