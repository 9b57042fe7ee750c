/// 128-bit FNV-1a (two 64-bit lanes with different offsets) over a sequence of fields, each
/// followed by a separator so ("ab","c") and ("a","bc") differ.
public struct ContentHash {
    public init() {}
    var lanes = (FNV1a64(), FNV1a64(value: 0x8422_2325_CBF2_9CE4))
    public var a: UInt64 { lanes.0.value }
    public var b: UInt64 { lanes.1.value }

    public mutating func byte(_ x: UInt8) {
        lanes.0.add(x)
        lanes.1.add(x ^ 0x5A)
    }

    public mutating func add(_ s: String) {
        for x in s.utf8 { byte(x) }
        byte(0x1F)
    }

    public mutating func add(_ v: Int) { add(UInt64(bitPattern: Int64(v))) }

    /// Exact bits: values that print alike but differ are different content.
    public mutating func add(_ v: Double) { add(v.bitPattern) }

    public mutating func add(_ v: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { byte(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
        byte(0x1F)
    }

    public var hex: String { NumberText.hex16(a) + NumberText.hex16(b) }
}
