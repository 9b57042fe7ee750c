/// The segment hierarchy conformal calibration is fitted over: the full key (every name in
/// `--segment-by`), each prefix of it, and the global group. A group is named
/// `name=value|name=value…` (e.g. `liquidity_bucket=HIGH|tte_bucket=1d-7d`), or `global`.
public struct SegmentKeys: Equatable, Sendable {
    /// Top-level string fields of a record, in hierarchy order. `band_source` is read from
    /// `meta.band_source`, so raw model bands and baseline bands can be calibrated apart.
    public let names: [String]

    public static let standard = [FieldName.liquidityBucket, FieldName.tteBucket, FieldName.category]
    public static let globalGroup = "global"
    /// The one key not at the top level of a record.
    public static let bandSource = MetaKey.bandSource

    public init(_ names: [String]) {
        self.names = names
    }

    /// Parses `a,b,c`; an empty text means global only.
    public init(list: String) throws {
        let names = list.split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
        guard Set(names).count == names.count else { throw SegmentKeysError("--segment-by names a key twice") }
        self.init(names)
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

public struct SegmentKeysError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

fileprivate extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
