/// Builds a band from a normal predictive distribution: level `p` at step `h` is
/// `center + Φ⁻¹(p) · sd[h]`. Values stay in the space `center` and `sd` are in.
@inline(__always)
func gaussianBand(center: Double, sd: [Double], levels: [Double]) -> QuantileBand {
    var values: [[Double]] = []
    values.reserveCapacity(levels.count)
    for level in levels {
        let z = level == 0.5 ? 0 : normalQuantile(level)
        values.append(sd.map { center + z * $0 })
    }
    return QuantileBand(levels: levels, values: values)
}

/// True when every value is finite.
@inline(__always)
func allFinite(_ x: [Double]) -> Bool {
    for v in x where !v.isFinite { return false }
    return true
}
