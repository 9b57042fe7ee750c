/// All markets' quote histories, read from quote lines. In live mode it keeps only what the
/// window needs (memory bounded by markets × window, not by input size).
public final class QuoteBook {
    public private(set) var markets: [String: MarketHistory] = [:]
    /// Latest quote time seen (over quotes kept).
    public private(set) var latestTs: Timestamp?
    public private(set) var quotesRead = 0
    public private(set) var quotesAfterAsOf = 0

    /// Keep only this much history before the latest time (live mode); nil keeps everything.
    let keepSeconds: Int64?
    /// Quotes after this time are ignored (an explicit live `--as-of`: no look-ahead).
    let ignoreAfter: Timestamp?
    /// The widest time span the kept quotes may cover (`--max-span`); nil: no limit.
    let maxSpanSeconds: Int64?
    /// The earliest and latest kept quote times, for the span rule.
    public private(set) var span: ClosedRange<Timestamp>?

    public init(keepSeconds: Int64? = nil, ignoreAfter: Timestamp? = nil, maxSpanSeconds: Int64? = nil) {
        self.keepSeconds = keepSeconds
        self.ignoreAfter = ignoreAfter
        self.maxSpanSeconds = maxSpanSeconds
    }

    /// The span rule: a quote that would stretch the kept quotes over more than `--max-span` is
    /// implausible (a bit flip turns 2026 into 2226) and a bad line. Without it one stray
    /// timestamp makes a backtest build a grid over centuries, and moves the live as-of (and
    /// with it every other market out of its window).
    public func checkSpan(_ ts: Timestamp) throws {
        guard let maxSpanSeconds, let span else { return }
        if ts > span.lowerBound + maxSpanSeconds {
            throw RecordError(field: "ts", "\(ts) is more than --max-span \(DurationText.text(Double(maxSpanSeconds))) after the earliest quote (\(span.lowerBound))")
        }
        if ts < span.upperBound - maxSpanSeconds {
            throw RecordError(field: "ts", "\(ts) is more than --max-span \(DurationText.text(Double(maxSpanSeconds))) before the latest quote (\(span.upperBound))")
        }
    }

    /// Reads quote lines through the stream (its `--on-error` policy and totals); error records
    /// from an earlier stage are written to the output as they were read, and counted.
    public func read(_ input: NDJSONInput, stream: RecordStream) throws {
        try stream.forEachLine(in: input) { bytes, _ in
            guard let line = try QuoteParser.parse(bytes) else { return .errorRecord(nil) }
            if ignoreAfter.map({ line.quote.ts <= $0 }) ?? true { try checkSpan(line.quote.ts) }
            add(line)
            return .used
        }
    }

    public func add(_ line: QuoteLine) {
        quotesRead += 1
        if let ignoreAfter, line.quote.ts > ignoreAfter {
            quotesAfterAsOf += 1
            return
        }
        if latestTs.map({ line.quote.ts > $0 }) ?? true { latestTs = line.quote.ts }
        let ts = line.quote.ts
        span = span.map { min($0.lowerBound, ts)...max($0.upperBound, ts) } ?? ts...ts
        var history = markets.removeValue(forKey: line.marketId) ?? MarketHistory()
        history.add(line.quote)
        if let keep = keepSeconds, history.count & 1023 == 0 {
            let reference = ignoreAfter ?? latestTs!
            history.prune(before: reference - keep)
        }
        markets[line.marketId] = history
    }

    public var marketIds: [String] { markets.keys.sorted() }
}
