/// The y rules (docs/tsfm-prep.md): the series of a market on a cadence's grid, with which
/// points were observed and how old the value carried to each point is.
public struct GridSeries: Equatable, Sendable {
    /// Grid index (time / cadence) of `values[0]`.
    public var start: Int64
    /// y per grid point, probabilities. Points before the first observation are not included.
    public var values: [Double]
    /// True where the point was carried forward (counts as missing).
    public var filled: [Bool]
    /// How long the value has been carried at this point: the run of carried points so far ×
    /// the cadence, in minutes (0 when observed here). The gap rule compares its maximum.
    public var ageMinutes: [Int]

    public var end: Int64 { start + Int64(values.count) - 1 }
    public var isEmpty: Bool { values.isEmpty }

    /// What one grid point observes: the latest quote at or before it, if that record is at most
    /// `maxAge` old there; its mid when both sides are present (or its `price`), else its last
    /// trade when the trade is at most `maxAge` old; nothing for an empty book.
    public static func observation(_ quote: Quote?, at t: Timestamp, maxAgeMs: Int64) -> Double? {
        guard let quote, t.millis - quote.ts.millis <= maxAgeMs else { return nil }
        switch quote.price {
        case .mid(let v): return v
        case .trade(let v, let at): return t.millis - at.millis <= maxAgeMs ? v : nil
        case .none: return nil
        }
    }

    /// Builds the series over grid indices `from...to` (inclusive). Values are rounded to 10
    /// decimals so a mid like (0.41 + 0.42)/2 is written 0.415, not 0.41500000000000004.
    public static func build(_ history: MarketHistory, cadence: Cadence, from: Int64, to: Int64, maxAgeMs: Int64) -> GridSeries {
        var series = GridSeries(start: from, values: [], filled: [], ageMinutes: [])
        guard to >= from else { return series }
        let stepMinutes = Int(cadence.seconds / 60)
        var last: Double?
        var age = 0
        series.values.reserveCapacity(Int(to - from + 1))
        for k in from...to {
            let t = Timestamp(seconds: k * cadence.seconds)
            if let v = observation(history.latest(atOrBefore: t), at: t, maxAgeMs: maxAgeMs) {
                let rounded = (v * 1e10).rounded() / 1e10
                if last == nil { series.start = k }
                last = rounded
                age = 0
                series.values.append(rounded)
                series.filled.append(false)
                series.ageMinutes.append(0)
            } else if let carried = last {
                age += stepMinutes
                series.values.append(carried)
                series.filled.append(true)
                series.ageMinutes.append(age)
            }
        }
        if last == nil { series.start = to + 1 }
        return series
    }

    /// The points from grid index `from` to `to`, clamped to the series.
    public func slice(from: Int64, to: Int64) -> GridSeries {
        let lo = max(from, start)
        let hi = min(to, end)
        guard hi >= lo else { return GridSeries(start: lo, values: [], filled: [], ageMinutes: []) }
        let a = Int(lo - start), b = Int(hi - start)
        return GridSeries(start: lo, values: Array(values[a...b]), filled: Array(filled[a...b]),
                          ageMinutes: Array(ageMinutes[a...b]))
    }
}
