/// All markets' quote histories, read from quote lines. In live mode it keeps only what the
/// window needs (memory bounded by markets × window, not by input size).
public final class QuoteBook {
    public private(set) var markets: [String: MarketHistory] = [:]
    /// Latest quote time seen (over quotes kept).
    public private(set) var latestTs: Timestamp?
    public private(set) var quotesRead = 0
    public private(set) var quotesAfterAsOf = 0
    public private(set) var errorRecordsPassed = 0

    /// Keep only this much history before the latest time (live mode); nil keeps everything.
    let keepSeconds: Int64?
    /// Quotes after this time are ignored (an explicit live `--as-of`: no look-ahead).
    let ignoreAfter: Timestamp?

    public init(keepSeconds: Int64? = nil, ignoreAfter: Timestamp? = nil) {
        self.keepSeconds = keepSeconds
        self.ignoreAfter = ignoreAfter
    }

    /// Reads quote lines. Bad lines go to `stream.reject` (the `--on-error` policy); error
    /// records from an earlier stage are written to the output at once and counted.
    public func read(_ input: NDJSONInput, stream: RecordStream) throws {
        try input.forEachLine { bytes, location in
            do {
                guard let line = try QuoteParser.parse(bytes) else {
                    errorRecordsPassed += 1
                    try stream.output.write(bytes: bytes)
                    try stream.output.write(bytes: [0x0A])
                    return
                }
                add(line)
            } catch let error as RecordError {
                try stream.reject(bytes, at: location, error)
            }
        }
    }

    public func add(_ line: QuoteLine) {
        quotesRead += 1
        if let ignoreAfter, line.quote.ts > ignoreAfter {
            quotesAfterAsOf += 1
            return
        }
        if latestTs.map({ line.quote.ts > $0 }) ?? true { latestTs = line.quote.ts }
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
