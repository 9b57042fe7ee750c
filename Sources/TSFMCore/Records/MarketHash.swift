/// The stable, documented hash of a market id that splits work by market (`tsfm-prep --shard`)
/// and is the same on every machine, every run and every build: FNV-1a 64-bit over the UTF-8
/// bytes of `market_id`, its top 53 bits divided by 2^53 (docs/scale-out.md). Swift's `Hasher`
/// is seeded per process, so it cannot be used for this.
public enum MarketHash {
    /// FNV-1a 64-bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3) of the id's UTF-8 bytes.
    public static func fnv1a64(_ marketId: String) -> UInt64 {
        FNV1a64.hash(marketId.utf8)
    }

    /// The market's place in [0, 1): the hash's top 53 bits / 2^53 (exact as a Double).
    public static func fraction(_ marketId: String) -> Double {
        Double(fnv1a64(marketId) >> 11) / 9_007_199_254_740_992
    }

    /// The shard (0-based, of `count`) a market belongs to: ⌊fraction · count⌋, so shard i of n
    /// holds the markets with fraction in [i/n, (i+1)/n). Every market is in exactly one shard.
    public static func shard(_ marketId: String, of count: Int) -> Int {
        min(count - 1, Int(fraction(marketId) * Double(count)))
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
