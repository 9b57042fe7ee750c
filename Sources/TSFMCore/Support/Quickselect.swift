/// Selection of the k-th smallest value (Hoare's quickselect, median-of-three pivots): linear on
/// average, deterministic, in place. The one selection of the toolbox: the rolling-quantile
/// baseline's empirical quantiles and conformal's finite-sample quantile both use it.
public enum Quickselect {
    /// Reorders `values[0..<count]` so that `values[k]` (0-based) is the k-th smallest, with
    /// nothing larger before it and nothing smaller after it; returns it. `from`: an index known
    /// to hold an order statistic at or below k (from an earlier selection on the same values),
    /// so the search starts there.
    @inline(__always)
    public static func select<T: Comparable>(_ values: UnsafeMutableBufferPointer<T>, from: Int = 0, count: Int, k: Int) -> T {
        var left = from
        var right = count - 1
        while right > left {
            // Median of three as the pivot, moved to `left`.
            let middle = left + (right - left) / 2
            if values[middle] < values[left] { values.swapAt(middle, left) }
            if values[right] < values[left] { values.swapAt(right, left) }
            if values[right] < values[middle] { values.swapAt(right, middle) }
            values.swapAt(left, middle)
            let pivot = values[left]
            var i = left
            var j = right + 1
            while true {
                repeat { i += 1 } while i <= right && values[i] < pivot
                repeat { j -= 1 } while values[j] > pivot
                if i >= j { break }
                values.swapAt(i, j)
            }
            values.swapAt(left, j)
            if j == k { return values[k] }
            if j < k { left = j + 1 } else { right = j - 1 }
        }
        return values[k]
    }
}
