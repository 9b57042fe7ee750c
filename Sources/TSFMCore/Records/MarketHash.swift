/// The stable hash of a `market_id` that places a market in a rollout arm (tsfm-gate) and, by
/// the same rule, in a shard (`tsfm-prep --shard i/n`). It depends on the id's UTF-8 bytes
/// only, so a market lands in the same place on every run, machine and Swift version (Swift's
/// own `Hasher` is seeded per process and must never be used for this).
///
/// The rule, documented in docs/tsfm-gate.md and docs/scale-out.md so other tools and languages can reproduce it:
///   1. FNV-1a 64 over the UTF-8 bytes of the id: h = 0xcbf29ce484222325; for each byte b:
///      h = (h XOR b) * 0x100000001b3 (mod 2^64).
///   2. The SplitMix64 finaliser, so the low and high bits are equally well mixed:
///      h ^= h >> 30; h *= 0xbf58476d1ce4e5b9; h ^= h >> 27; h *= 0x94d049bb133111eb; h ^= h >> 31.
///   3. `fraction` = (h >> 11) / 2^53, uniform in [0, 1).
/// A market is in an arm of P % when `fraction < P / 100`: the arms are nested (a market in the
/// 10 % canary stays in at 50 %) because the threshold only grows.
public enum MarketHash {
    /// FNV-1a 64 of some bytes (step 1; the toolbox's one `FNV1a64`), also used for stable alert ids.
    @inline(__always)
    public static func fnv1a<S: Sequence>(_ bytes: S, seed: UInt64 = FNV1a64.offsetBasis) -> UInt64 where S.Element == UInt8 {
        var h = FNV1a64(value: seed)
        h.add(bytes)
        return h.value
    }

    /// The SplitMix64 finaliser (step 2).
    @inline(__always)
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The market's 64-bit bucket.
    public static func bucket(_ marketId: String) -> UInt64 {
        mix(fnv1a(marketId.utf8))
    }

    /// The market's place in [0, 1).
    public static func fraction(_ marketId: String) -> Double {
        fraction(bucket: bucket(marketId))
    }

    public static func fraction(bucket: UInt64) -> Double {
        Double(bucket >> 11) / 9_007_199_254_740_992.0 // 2^53
    }

    /// Whether the market is among the first `percent` % (0…100).
    public static func isIn(_ marketId: String, percent: Double) -> Bool {
        fraction(marketId) * 100 < percent
    }

    /// The shard (0 ..< count) of a market: `floor(fraction · count)`, so shards are contiguous
    /// ranges of the same fraction the rollout uses (`tsfm-prep --shard i/n` keeps shard i − 1).
    public static func shard(_ marketId: String, of count: Int) -> Int {
        precondition(count >= 1)
        return min(Int(fraction(marketId) * Double(count)), count - 1)
    }
}

/// `--shard i/n`: this run keeps the markets of shard i (1-based, as people count) of n.
public struct ShardSpec: Equatable, Sendable, CustomStringConvertible {
    /// 1…count.
    public var index: Int
    public var count: Int

    /// Parses `i/n` with 1 ≤ i ≤ n ≤ 1,000,000.
    public init?(argument: String) {
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, n <= 1_000_000, i >= 1, i <= n else { return nil }
        index = i
        count = n
    }

    public var description: String { "\(index)/\(count)" }

    /// Whether the market belongs to this shard.
    public func contains(_ marketId: String) -> Bool { MarketHash.shard(marketId, of: count) == index - 1 }
}
