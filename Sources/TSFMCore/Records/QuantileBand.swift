/// Quantile-level keys: a level is written in its shortest form (`0.1`, `0.05`, `1e-05`, the
/// same as Python's `g` for these values) and keys are matched by numeric value, never by text.
public enum QuantileLevel {
    /// The product default levels.
    public static let standard: [Double] = [0.1, 0.5, 0.9]

    public static func key(_ level: Double) -> String { level.description }

    /// The smallest level accepted; the largest is 1 − this. Tails beyond 1e-6 are not
    /// estimable from 2000 points, and levels near the smallest double (5e-324) make the
    /// baselines' normal quantiles infinite.
    public static let minLevel = 1e-6
    public static let maxLevel = 1 - 1e-6
    /// At most this many levels in one request or band.
    public static let maxCount = 200
    public static let rangeText = "[1e-06, 0.999999]"

    /// Parses a key: a JSON number (`0.1`, `1e-05`; not `0x1p-3`, ` 0.5`, `inf`) inside
    /// `minLevel...maxLevel`; nil otherwise.
    public static func parse(_ key: String) -> Double? {
        var text = key
        return text.withUTF8 { parse($0) }
    }

    /// `parse` of a key's bytes as written (the fast band reader's keys).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        guard let first = bytes.first, first &- 0x30 < 10 else { return nil }
        var scanner = JSONScanner(bytes)
        guard let v = try? scanner.scanNumber(), scanner.atEnd, v >= minLevel, v <= maxLevel else { return nil }
        return v
    }

    /// Checks a list of levels: each inside `minLevel...maxLevel`, no two equal, at most
    /// `maxCount`. Returns them ascending.
    public static func validated(_ levels: [Double], field: String) throws -> [Double] {
        guard !levels.isEmpty else { throw RecordError(field: field, "needs at least one level") }
        guard levels.count <= maxCount else {
            throw RecordError(field: field, "has \(levels.count) levels; the cap is \(maxCount)")
        }
        for level in levels where !(level >= minLevel && level <= maxLevel) {
            throw RecordError(field: field, "level \(level) is outside \(rangeText)")
        }
        let sorted = levels.sorted()
        for i in 1..<max(sorted.count, 1) where sorted[i] == sorted[i - 1] {
            throw RecordError(field: field, "level \(sorted[i]) appears twice")
        }
        return sorted
    }
}

/// A forecast band: for each quantile level (ascending), one value per horizon step.
public struct QuantileBand: Equatable, Sendable {
    /// Levels in ascending order.
    public var levels: [Double]
    /// `values[i][h]`: the value of level `levels[i]` at horizon step `h`.
    public var values: [[Double]]

    public init(levels: [Double], values: [[Double]]) {
        precondition(levels.count == values.count)
        self.levels = levels
        self.values = values
    }

    public var horizon: Int { values.first?.count ?? 0 }

    /// Index of the 0.5 level, if the band has one.
    public var medianIndex: Int? { levels.firstIndex(of: 0.5) }

    /// The values of one level, matched by numeric value.
    public func values(at level: Double) -> [Double]? {
        guard let i = levels.firstIndex(where: { abs($0 - level) < 1e-12 }) else { return nil }
        return values[i]
    }

    /// Decodes `{"0.1":[…],"0.5":[…],…}`. Keys must be levels inside (0,1), unique by value; all
    /// arrays must have the same length (and `horizon` when given); values must be finite.
    public static func decode(_ json: JSONValue, field: String, horizon expected: Int? = nil) throws -> QuantileBand {
        guard let object = json.object else { throw RecordError(field: field, "expected an object of level → array") }
        guard !object.isEmpty else { throw RecordError(field: field, "has no quantile levels") }
        guard object.count <= QuantileLevel.maxCount else {
            throw RecordError(field: field, "has \(object.count) levels; the cap is \(QuantileLevel.maxCount)")
        }
        var pairs: [(Double, [Double])] = []
        pairs.reserveCapacity(object.count)
        var length: Int?
        for (key, value) in object.members {
            guard let level = QuantileLevel.parse(key) else {
                throw RecordError(field: field, "level '\(key)' is not a number in \(QuantileLevel.rangeText)")
            }
            guard let array = value.array else { throw RecordError(field: "\(field).\(key)", "expected an array of numbers") }
            var numbers: [Double] = []
            numbers.reserveCapacity(array.count)
            for (step, element) in array.enumerated() {
                guard let x = element.number else {
                    throw RecordError(field: "\(field).\(key)[\(step)]", "expected a number")
                }
                guard x.isFinite else { throw RecordError(field: "\(field).\(key)[\(step)]", "non-finite value") }
                numbers.append(x)
            }
            if let length, numbers.count != length {
                throw RecordError(field: field, "arrays of different lengths (\(length) and \(numbers.count) at level \(key))")
            }
            length = numbers.count
            pairs.append((level, numbers))
        }
        if let expected, let length, length != expected {
            throw RecordError(field: field, "has \(length) steps but horizon_steps is \(expected)")
        }
        pairs.sort { $0.0 < $1.0 }
        for i in 1..<pairs.count where pairs[i].0 == pairs[i - 1].0 {
            throw RecordError(field: field, "level \(pairs[i].0) appears twice")
        }
        return QuantileBand(levels: pairs.map(\.0), values: pairs.map(\.1))
    }

    /// Decodes the band in a record's field; nil when the field is absent.
    public static func decode(from record: Record, field: String, horizon: Int? = nil) throws -> QuantileBand? {
        // The common, well-formed case straight from the bytes; anything unusual takes the tree
        // path below, which names the problem.
        if let fast = try? record.withScanner(field, { scanner in scan(&scanner, horizon: horizon) }), let band = fast {
            return band
        }
        guard let json = try record.value(field), json != .null else { return nil }
        return try decode(json, field: field, horizon: horizon)
    }

    /// Thrown inside the fast reader for anything the tree path should judge.
    struct Declined: Error {}

    /// Reads a well-formed band directly; nil for anything the tree path should judge.
    static func scan(_ s: inout JSONScanner, horizon: Int?) -> QuantileBand? {
        var pairs: [(Double, [Double])] = []
        pairs.reserveCapacity(5)
        do {
            s.skipWhitespace()
            guard s.peek() == UInt8(ascii: "{") else { return nil }
            _ = try s.forEachMember { s, key in
                guard !key.escaped, let level = QuantileLevel.parse(UnsafeBufferPointer(rebasing: s.bytes[key.range])),
                      let values = try s.parseDoubleArray(), values.allSatisfy({ $0.isFinite }),
                      pairs.first.map({ $0.1.count == values.count }) ?? true,
                      pairs.count < QuantileLevel.maxCount
                else { throw Declined() }
                pairs.append((level, values))
            }
        } catch {
            return nil
        }
        guard let first = pairs.first, horizon.map({ first.1.count == $0 }) ?? true else { return nil }
        // Bands are written in ascending order: sort only the rare one that is not.
        if !zip(pairs, pairs.dropFirst()).allSatisfy({ $0.0 < $1.0 }) {
            pairs.sort { $0.0 < $1.0 }
            for i in 1..<pairs.count where pairs[i].0 == pairs[i - 1].0 { return nil }
        }
        return QuantileBand(levels: pairs.map(\.0), values: pairs.map(\.1))
    }

    /// Encodes as `{"<level>":[…],…}` in ascending level order.
    public func encoded() throws -> [UInt8] {
        var writer = JSONWriter(capacity: levels.count * (horizon * 20 + 10) + 2)
        writer.byte(UInt8(ascii: "{"))
        for (i, level) in levels.enumerated() {
            if i > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.string(QuantileLevel.key(level))
            writer.byte(UInt8(ascii: ":"))
            try writer.doubles(values[i])
        }
        writer.byte(UInt8(ascii: "}"))
        return writer.bytes
    }

    /// Writes the band into a record field.
    public func store(in record: inout Record, field: String) throws {
        record.set(field, encoded: try encoded())
    }
}
