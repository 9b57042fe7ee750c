/// Fast readers for the two arrays conformal needs from every record: the band and the realized
/// values. The fast path decodes arrays without building a tree; anything unusual falls back to
/// the canonical decoder, which gives the precise error.
enum ForecastFields {
    /// The band in `field` (levels ascending), or nil when the field is absent or null.
    static func band(_ record: Record, field: String) throws -> QuantileBand? {
        let fast: QuantileBand?? = try? record.withScanner(field) { scanner in fastBand(&scanner) }
        if let outer = fast, let band = outer { return band }
        return try QuantileBand.decode(from: record, field: field)
    }

    /// `{"0.1":[…],…}` with valid, distinct levels and equal-length finite arrays; else nil.
    static func fastBand(_ s: inout JSONScanner) -> QuantileBand? {
        s.skipWhitespace()
        guard s.peek() == UInt8(ascii: "{") else { return nil }
        s.position += 1
        var pairs: [(Double, [Double])] = []
        pairs.reserveCapacity(5)
        while true {
            s.skipWhitespace()
            guard s.peek() == UInt8(ascii: "\""), let key = try? s.parseString(), let level = QuantileLevel.parse(key) else { return nil }
            guard (try? s.expect(UInt8(ascii: ":"), "':'")) != nil else { return nil }
            guard let values = (try? s.parseDoubleArray()) ?? nil else { return nil }
            for v in values where !v.isFinite { return nil }
            if let first = pairs.first, first.1.count != values.count { return nil }
            pairs.append((level, values))
            s.skipWhitespace()
            let c = s.peek()
            s.position += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "}") { break }
            return nil
        }
        var sorted = true
        for i in 1..<pairs.count where !(pairs[i - 1].0 < pairs[i].0) { sorted = false }
        if !sorted {
            pairs.sort { $0.0 < $1.0 }
            for i in 1..<pairs.count where pairs[i].0 == pairs[i - 1].0 { return nil }
        }
        return QuantileBand(levels: pairs.map(\.0), values: pairs.map(\.1))
    }

    /// The realized values (`y_future`), with NaN where an entry is null; nil when the field is
    /// absent or null. Every present value must be a probability in [0, 1].
    static func realized(_ record: Record) throws -> [Double]? {
        let key = FieldName.yFuture
        var values: [Double]
        do {
            guard let v = try record.doubles(key) else { return nil }
            values = v
        } catch {
            guard let json = try record.value(key), let array = json.array else { throw error }
            values = try array.enumerated().map { i, element in
                if element == .null { return .nan }
                guard let d = element.number, d.isFinite else { throw RecordError(field: "\(key)[\(i)]", "expected a number or null") }
                return d
            }
        }
        for (i, v) in values.enumerated() where !v.isNaN && !(v >= 0 && v <= 1) {
            throw RecordError(field: "\(key)[\(i)]", "\(v) is not a probability in [0, 1]")
        }
        return values
    }
}
