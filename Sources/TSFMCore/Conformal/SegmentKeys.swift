/// The segment hierarchy conformal calibration is fitted over: the full key (every name in
/// `--segment-by`), each prefix of it, and the global group. A group is named
/// `name=value|name=value…` (e.g. `liquidity_bucket=HIGH|tte_bucket=1d-7d`), or `global`.
public struct SegmentKeys: Equatable, Sendable {
    /// Top-level string fields of a record, in hierarchy order. `band_source` is read from
    /// `meta.band_source`, so raw model bands and baseline bands can be calibrated apart.
    public let names: [String]

    public static let standard = SegmentKey.standard.map(\.rawValue)
    public static let globalGroup = "global"
    /// The one key not at the top level of a record.
    public static let bandSource = MetaKey.bandSource

    public init(_ names: [String]) {
        self.names = names
    }

    /// The record's value for each name: a string, a number's text, or "" when absent or null.
    public func values(of record: Record) throws -> [String] {
        guard !names.isEmpty else { return [] }
        var meta: JSONObject?
        return try names.map { name in
            let value: JSONValue?
            if name == Self.bandSource && !record.has(name) {
                if meta == nil { meta = try record.object(FieldName.meta) ?? JSONObject() }
                value = meta?[MetaKey.bandSource]
            } else {
                value = try record.value(name)
            }
            switch value {
            case nil, .null?: return ""
            case .string(let s)?: return s
            case .int(let i)?: return String(i)
            case .double(let d)?: return d.description
            case .bool(let b)?: return b ? "true" : "false"
            default: throw RecordError(field: name, "a segment key must be a string or a number")
            }
        }
    }

    /// The group name at `depth` (0 = global, `names.count` = the full key).
    public func group(_ values: [String], depth: Int) -> String {
        guard depth > 0 else { return Self.globalGroup }
        var text = ""
        for i in 0..<depth {
            if i > 0 { text += "|" }
            text += names[i] + "=" + values[i]
        }
        return text
    }

    /// Group names from the most specific to global: the fallback order of `apply`.
    public func chain(_ values: [String]) -> [String] {
        (0...names.count).reversed().map { group(values, depth: $0) }
    }
}

/// The names `--segment-by` accepts: the record contract's segment fields (docs/records.md),
/// the market and event ids, and `band_source` (read from `meta`). A parameter file may name
/// others (it is read as written); the command line takes only these, so a typo is refused.
public enum SegmentKey: String, CaseIterable, Sendable {
    case liquidityBucket = "liquidity_bucket"
    case tteBucket = "tte_bucket"
    case category
    case eventId = "event_id"
    case marketId = "market_id"
    case bandSource = "band_source"

    /// The default hierarchy: liquidity, time to expiry, category.
    public static let standard: [SegmentKey] = [.liquidityBucket, .tteBucket, .category]
}
