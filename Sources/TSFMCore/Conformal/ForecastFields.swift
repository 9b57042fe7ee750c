/// The two arrays conformal needs from every record: the band (`QuantileBand`'s fast scan, else
/// its tree decoder) and the realized values, which may hold nulls.
enum ForecastFields {
    /// The band in `field` (levels ascending), or nil when the field is absent or null.
    static func band(_ record: Record, field: String) throws -> QuantileBand? {
        try QuantileBand.decode(from: record, field: field)
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
