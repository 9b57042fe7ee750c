/// A market's quotes reduced to the latest quote per minute, in time order. Every cadence is a
/// whole number of minutes aligned to the epoch, so "the latest quote at or before a grid point"
/// is always answered exactly from these buckets, whatever the cadence; and memory grows with
/// minutes of history, not with the number of quotes. Quotes may arrive out of order.
public struct MarketHistory: Sendable {
    /// Bucket of a quote: ⌈ts / 1 min⌉, so the bucket of minute m holds quotes in (m−1, m].
    var minutes: [Int64] = []
    var quotes: [Quote] = []
    /// Index of the first live bucket (buckets before it were pruned).
    var head = 0
    /// Latest quote time seen.
    public private(set) var latestTs: Timestamp?
    /// Quotes added.
    public private(set) var count = 0

    public init() {}

    public var isEmpty: Bool { head >= minutes.count }

    static func minute(ofQuoteAt ts: Timestamp) -> Int64 {
        let ms = ts.millis
        return ms >= 0 ? (ms + 59_999) / 60_000 : ms / 60_000
    }

    /// Adds a quote; within one minute the latest by time wins, and among equal times the one
    /// read last (duplicates at the same timestamp keep the last one).
    public mutating func add(_ quote: Quote) {
        count += 1
        if latestTs.map({ quote.ts > $0 }) ?? true { latestTs = quote.ts }
        let m = Self.minute(ofQuoteAt: quote.ts)
        if isEmpty || m > minutes[minutes.count - 1] {
            minutes.append(m)
            quotes.append(quote)
            return
        }
        let i = lowerBound(m)
        if i < minutes.count && minutes[i] == m {
            if quote.ts >= quotes[i].ts { quotes[i] = quote }
        } else {
            minutes.insert(m, at: i)
            quotes.insert(quote, at: i)
        }
    }

    /// First index in the live part whose minute is ≥ m.
    func lowerBound(_ m: Int64) -> Int {
        var lo = head
        var hi = minutes.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if minutes[mid] < m { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The latest quote at or before `t`.
    public func latest(atOrBefore t: Timestamp) -> Quote? {
        let m = Self.minute(ofQuoteAt: t)
        var i = lowerBound(m + 1) - 1
        // The bucket of minute m may hold a quote after t only when t is not on a minute
        // boundary; grid points always are, but be exact anyway.
        while i >= head {
            if quotes[i].ts <= t { return quotes[i] }
            i -= 1
        }
        return nil
    }

    /// Drops buckets before `t`, keeping the last one before it (it may still be carried forward).
    public mutating func prune(before t: Timestamp) {
        let i = lowerBound(Self.minute(ofQuoteAt: t)) - 1
        if i > head { head = i }
        if head > 4096 && head > minutes.count / 2 {
            minutes.removeFirst(head)
            quotes.removeFirst(head)
            head = 0
        }
    }

    /// Time of the first live quote.
    public var firstTs: Timestamp? { isEmpty ? nil : quotes[head].ts }
}
