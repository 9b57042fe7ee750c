/// FNV-1a, 64 bits (offset basis 0xcbf29ce484222325, prime 0x100000001b3): the one small,
/// stable, unseeded hash of the toolbox — market shards (`MarketHash`), deterministic request
/// ids, eval's pairing keys and event ranks, duplicate-key sets, state and cache file names.
/// Swift's `Hasher` is seeded per process, so it cannot be used where a value must be the same
/// on every run and machine.
public struct FNV1a64: Sendable {
    public static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    public static let prime: UInt64 = 0x100_0000_01b3

    public private(set) var value: UInt64

    /// Starts from the offset basis, or from `value` (a seed, or a second lane).
    public init(value: UInt64 = offsetBasis) { self.value = value }

    @inline(__always)
    public mutating func add(_ byte: UInt8) { value = (value ^ UInt64(byte)) &* Self.prime }

    @inline(__always)
    public mutating func add<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        for b in bytes { add(b) }
    }

    /// Mixes in a whole 64-bit word in one step (eval's key: the as-of time after the id).
    @inline(__always)
    public mutating func mix(_ word: UInt64) { value = (value ^ word) &* Self.prime }

    /// The hash of some bytes.
    public static func hash<S: Sequence>(_ bytes: S) -> UInt64 where S.Element == UInt8 {
        var h = FNV1a64()
        h.add(bytes)
        return h.value
    }
}
