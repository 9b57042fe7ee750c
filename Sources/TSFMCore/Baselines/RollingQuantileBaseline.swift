/// Rolling empirical-quantile baseline: no distribution assumed. Over the last `window` points,
/// the h-step changes xₜ₊ₕ − xₜ (every pair inside the window) give, at each requested level, an
/// empirical quantile (linear interpolation between order statistics, "type 7", the default of R
/// and NumPy), added to the last value. Invalid when the one-step changes in the window never
/// vary (every h-step change is then the same number: a zero-width band).
extension BaselineKind { public static let rollingQuantile = BaselineKind(rawValue: "rolling_quantile") }
extension BaselineChoice { public static let rolling = BaselineChoice(rawValue: "rolling") }

public struct RollingQuantileBaseline: Baseline {
    public let kind = BaselineKind.rollingQuantile
    public let choice = BaselineChoice.rolling

    public func band(_ x: [Double], horizon: Int, levels: [Double], settings: BaselineSettings) -> Result<QuantileBand, BaselineFailure> {
        Self.forecast(x, horizon: horizon, levels: levels, window: settings.window)
    }

    /// At least two h-step changes for the longest step: `horizon + 2` points in the window.
    public static func minimumPoints(horizon: Int) -> Int { horizon + 2 }

    /// The type-7 empirical quantile of `values[0..<count]`, which it reorders: the k-th order
    /// statistic by selection (`Quickselect`), then the (k+1)-th as
    /// the smallest value to its right. O(count) on average instead of a sort per level.
    /// `from`: an index known to hold an order statistic at or below k (from a lower level's
    /// selection on the same values), so the search starts there.
    @inline(__always)
    static func quantile(_ values: UnsafeMutableBufferPointer<Double>, count: Int, level: Double, from: Int = 0) -> Double {
        let position = level * Double(count - 1)
        let lower = min(Int(position), count - 1)
        let fraction = position - Double(lower)
        let low = Quickselect.select(values, from: min(from, lower), count: count, k: lower)
        guard fraction > 0, lower + 1 < count else { return low }
        var next = values[lower + 1]
        for i in (lower + 2)..<count where values[i] < next { next = values[i] }
        return low + fraction * (next - low)
    }

    /// The band for steps 1…horizon at `levels` (ascending), in the space `x` is in.
    public static func forecast(_ x: [Double], horizon: Int, levels: [Double],
                                window: Int = BaselineSettings.defaultWindow) -> Result<QuantileBand, BaselineFailure> {
        let n = min(x.count, max(window, 1))
        guard n >= minimumPoints(horizon: horizon) else { return .failure(.tooFewPoints) }
        let start = x.count - n
        guard allFinite(x) else { return .failure(.nonFiniteValues) }
        // Changes that never vary (a constant series, or a straight line) give a zero-width band.
        let firstChange = x[start + 1] - x[start]
        var varies = false
        for i in (start + 2)..<x.count where x[i] - x[i - 1] != firstChange {
            varies = true
            break
        }
        guard varies else { return .failure(.zeroVariance) }
        let last = x[x.count - 1]
        var values = [[Double]](repeating: [Double](repeating: 0, count: horizon), count: levels.count)
        // One scratch buffer for every step's changes.
        let scratch = UnsafeMutableBufferPointer<Double>.allocate(capacity: n)
        defer { scratch.deallocate() }
        for h in 1...horizon {
            let count = n - h
            for t in 0..<count {
                scratch[t] = x[start + t + h] - x[start + t]
            }
            // Levels ascend, so each selection can start where the previous one settled.
            var settled = 0
            for (i, level) in levels.enumerated() {
                values[i][h - 1] = last + quantile(scratch, count: count, level: level, from: settled)
                settled = min(Int(level * Double(count - 1)), count - 1)
            }
        }
        return .success(QuantileBand(levels: levels, values: values))
    }
}
