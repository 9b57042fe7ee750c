/// One raw quote, reduced to what the y rules need.
public struct Quote: Equatable, Sendable {
    /// What the quote says about the price.
    public enum Price: Equatable, Sendable {
        /// Both sides of the book ((bid+ask)/2) or a `price`-form record: observed as is.
        case mid(Double)
        /// Only a last trade, observed if it is fresh enough at the grid point.
        case trade(Double, at: Timestamp)
        /// An empty book: the record observes nothing.
        case none
    }

    public var ts: Timestamp
    public var price: Price

    public init(ts: Timestamp, price: Price) {
        self.ts = ts
        self.price = price
    }
}

/// A quote line as read: the market and its quote.
public struct QuoteLine: Equatable, Sendable {
    public var marketId: String
    public var quote: Quote
}

/// Reads quote lines with a byte-level scan of the top level (no tree), because prep reads
/// millions of them. Accepts `{"market_id","ts","bid","ask","last_trade","last_trade_ts"}`
/// (each price optional or null) and `{"market_id","ts","price"}`; other fields are ignored.
public enum QuoteParser {
    /// The quote on a line; nil for an error record from an earlier stage (pass it through).
    /// Throws `RecordError` naming the field for a bad line: not UTF-8, not a JSON object, a key
    /// that appears twice, or a bad value.
    public static func parse(_ line: UnsafeBufferPointer<UInt8>) throws -> QuoteLine? {
        if let bad = UTF8Check.firstInvalid(line) { throw RecordError("not valid UTF-8 at byte \(bad + 1)") }
        do {
            return try KeyRangeSet.with(line) { keys in try parse(line, keys: &keys) }
        } catch is EscapedKey {
            // A key with escapes (rare): let Record decode the keys and refuse duplicates among
            // the decoded names, then read its canonical form, whose known keys are plain.
            let record = try Record(line: line)
            if record.isErrorRecord { return nil }
            let canonical = record.objectBytes
            return try canonical.withUnsafeBufferPointer { buffer in
                try KeyRangeSet.with(buffer) { keys in try parse(buffer, keys: &keys, escapedKeysChecked: true) }
            }
        }
    }

    /// Thrown by the fast path at a key with escapes.
    struct EscapedKey: Error {}

    static func parse(_ line: UnsafeBufferPointer<UInt8>, keys: inout KeyRangeSet,
                      escapedKeysChecked: Bool = false) throws -> QuoteLine? {
        var s = JSONScanner(line)
        var marketId: String?
        var tsRange: Range<Int>?
        var bid: Double?, ask: Double?, last: Double?, price: Double?
        var lastTsRange: Range<Int>?
        var hasErrorKey = false
        do {
            let object = try s.forEachMember { s, key in
                if key.escaped {
                    guard escapedKeysChecked else { throw EscapedKey() }
                } else if !keys.insert(key.range) {
                    throw RecordError(field: try s.string(of: key), "appears twice")
                }
                if s.key(key, is: FieldKey.marketId) {
                    if s.peek() == UInt8(ascii: "\"") { marketId = try s.parseString() } else {
                        _ = try s.skipValue()
                        throw RecordError(field: "market_id", "expected a string")
                    }
                } else if s.key(key, is: FieldKey.ts) {
                    tsRange = try stringRange(&s, field: "ts")
                } else if s.key(key, is: FieldKey.bid) {
                    bid = try number(&s, field: "bid")
                } else if s.key(key, is: FieldKey.ask) {
                    ask = try number(&s, field: "ask")
                } else if s.key(key, is: FieldKey.lastTrade) {
                    last = try number(&s, field: "last_trade")
                } else if s.key(key, is: FieldKey.lastTradeTs) {
                    lastTsRange = try stringRange(&s, field: "last_trade_ts")
                } else if s.key(key, is: FieldKey.price) {
                    price = try number(&s, field: "price")
                } else {
                    if s.key(key, is: FieldKey.error) { hasErrorKey = true }
                    _ = try s.skipValue()
                }
            }
            guard object else { throw RecordError("not a JSON object") }
            try s.expectEnd()
        } catch let error as JSONSyntaxError {
            throw RecordError(error.description)
        }
        // Only the exact shape `--on-error skip` writes is an error record; a quote that merely
        // carries an `error` field is judged as a quote.
        let isError = hasErrorKey && keys.count == 2 && Record.isErrorRecord(line: line)
        if isError { return nil }
        guard let marketId, !marketId.isEmpty else { throw RecordError(field: "market_id", "missing") }
        guard let tsRange else { throw RecordError(field: "ts", "missing") }
        guard let ts = Timestamp.parse(UnsafeBufferPointer(rebasing: line[tsRange])) else {
            throw RecordError(field: "ts", "'\(String(decoding: UnsafeBufferPointer(rebasing: line[tsRange]), as: UTF8.self))' is not an RFC 3339 timestamp")
        }
        for (name, value) in [("bid", bid), ("ask", ask), ("last_trade", last), ("price", price)] {
            if let v = value, !(v >= 0 && v <= 1) {
                throw RecordError(field: name, "\(v) is not a probability in [0, 1]")
            }
        }
        if let b = bid, let a = ask, b > a {
            throw RecordError(field: "bid", "bid \(b) is above ask \(a)")
        }
        var tradeTs = ts
        if let lastTsRange {
            guard let t = Timestamp.parse(UnsafeBufferPointer(rebasing: line[lastTsRange])) else {
                throw RecordError(field: "last_trade_ts", "'\(String(decoding: UnsafeBufferPointer(rebasing: line[lastTsRange]), as: UTF8.self))' is not an RFC 3339 timestamp")
            }
            tradeTs = t
        }
        let observed: Quote.Price
        if let b = bid, let a = ask {
            observed = .mid((b + a) / 2)
        } else if let p = price {
            observed = .mid(p)
        } else if let l = last {
            observed = .trade(l, at: tradeTs)
        } else {
            observed = .none
        }
        return QuoteLine(marketId: marketId, quote: Quote(ts: ts, price: observed))
    }

    /// The byte range of a string's content (no escapes expected in timestamps); nil for null.
    static func stringRange(_ s: inout JSONScanner, field: String) throws -> Range<Int>? {
        if s.peek() == UInt8(ascii: "n") {
            _ = try s.skipValue()
            return nil
        }
        guard s.peek() == UInt8(ascii: "\"") else {
            _ = try s.skipValue()
            throw RecordError(field: field, "expected a string")
        }
        let start = s.position + 1
        try s.skipString()
        return start..<(s.position - 1)
    }

    static func number(_ s: inout JSONScanner, field: String) throws -> Double? {
        let c = s.peek()
        if c == UInt8(ascii: "n") {
            _ = try s.skipValue()
            return nil
        }
        guard c == UInt8(ascii: "-") || c &- 0x30 < 10 else {
            _ = try s.skipValue()
            throw RecordError(field: field, "expected a number")
        }
        let v = try s.scanNumber()
        guard v.isFinite else { throw RecordError(field: field, "number out of range") }
        return v
    }
}
