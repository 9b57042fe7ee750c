/// The fast path of reading a scored forecast: one pass over the line's bytes that decodes only
/// the fields evaluation uses and skips every other value (checking its syntax, so a line it
/// accepts is one `Record` would accept). Nothing is copied but the decoded values: no `Record`,
/// no tree for `meta`, no second scan of the arrays. Anything unusual (an error record, an
/// escaped key, a null or mistyped field, a band the fast band reader declines, a value out of
/// range) is `.undecided`, and the caller takes the `Record` path, which gives the same result or
/// names the problem.
extension ScoredForecast {
    public enum Scan {
        case forecast(ScoredForecast)
        /// A good record without `y_future`: not scorable yet.
        case withoutFuture
        /// Take the `Record` path.
        case undecided
    }

    /// The record contract's names as static strings (`FieldKey`: no lazy initialisation on
    /// the hot path).
    typealias Key = FieldKey

    /// Sentinel for "the scan cannot decide".
    struct Undecided: Error {}

    public static func scan(_ line: UnsafeBufferPointer<UInt8>) -> Scan {
        // Not UTF-8: the Record path names it.
        if UTF8Check.firstInvalid(line) != nil { return .undecided }
        do {
            return try KeyRangeSet.with(line) { keys in try scanOrThrow(line, keys: &keys) }
        } catch {
            return .undecided
        }
    }

    static func scanOrThrow(_ line: UnsafeBufferPointer<UInt8>, keys: inout KeyRangeSet) throws -> Scan {
        var s = JSONScanner(line)
        var marketId: String?
        var asOf: Timestamp?
        var freq: Cadence?
        var horizon: Int?
        var band: QuantileBand?
        var future: [Double]?
        var eventId: String?, liquidity: String?, tte: String?, category: String?
        var bandSource: String?, runtime: String?, model: String?, target: Double?
        // A key that appears twice goes to the Record path, which refuses it.
        var seen: UInt16 = 0
        func first(_ bit: UInt16) -> Bool {
            seen |= bit
            return true
        }

        let object = try s.forEachMember { s, key in
            guard !key.escaped, keys.insert(key.range) else { throw Undecided() }
            if s.key(key, is: Key.yhatQ), first(1) {
                guard let b = QuantileBand.scan(&s, horizon: nil),
                      b.values.allSatisfy({ $0.allSatisfy { $0 >= 0 && $0 <= 1 } }) else { throw Undecided() }
                band = b
            } else if s.key(key, is: Key.yFuture), first(2) {
                guard let values = try s.parseDoubleArray(), values.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
                    // null (no future yet) or anything odd: the Record path decides.
                    throw Undecided()
                }
                future = values
            } else if s.key(key, is: Key.marketId), first(4) {
                marketId = try string(&s)
            } else if s.key(key, is: Key.asOfTs), first(8) {
                asOf = try timestamp(&s)
            } else if s.key(key, is: Key.freq), first(16) {
                guard let c = Cadence(rawValue: try string(&s)) else { throw Undecided() }
                freq = c
            } else if s.key(key, is: Key.horizonSteps), first(32) {
                horizon = try integer(&s)
            } else if s.key(key, is: Key.eventId), first(64) {
                eventId = try string(&s)
            } else if s.key(key, is: Key.liquidityBucket), first(128) {
                liquidity = try string(&s)
            } else if s.key(key, is: Key.tteBucket), first(256) {
                tte = try string(&s)
            } else if s.key(key, is: Key.category), first(512) {
                category = try string(&s)
            } else if s.key(key, is: Key.meta), first(1024) {
                try scanObject(&s, depth: 1) { scanner, key in
                    if scanner.key(key, is: Key.bandSource) {
                        bandSource = try string(&scanner)
                    } else if scanner.key(key, is: Key.runtime) {
                        runtime = try string(&scanner)
                    } else if scanner.key(key, is: Key.modelName) {
                        model = try string(&scanner)
                    } else if scanner.key(key, is: Key.conformal) {
                        try scanObject(&scanner, depth: 2) { inner, key in
                            if inner.key(key, is: Key.target) {
                                let t = try inner.scanNumber()
                                guard t > 0 && t < 1 else { throw Undecided() }
                                target = t
                            } else {
                                _ = try inner.skipValue(depth: 2)
                            }
                        }
                    } else {
                        _ = try scanner.skipValue(depth: 1)
                    }
                }
            } else if s.key(key, is: Key.error) {
                // Possibly an error record: the Record path tells.
                throw Undecided()
            } else {
                _ = try s.skipValue()
            }
        }
        guard object else { throw Undecided() }
        try s.expectEnd()
        guard let future else {
            // Absent: not scorable yet (present but null was sent to the Record path above).
            return seen & 2 == 0 ? .withoutFuture : .undecided
        }
        guard let marketId, !marketId.isEmpty, let asOf, let band, seen & 16 == 0 || freq != nil else { throw Undecided() }
        if let horizon, horizon != band.horizon { throw Undecided() }
        var f = ScoredForecast(marketId: marketId, asOf: asOf, freq: freq ?? .standard, horizon: horizon ?? band.horizon,
                               band: band, yFuture: future)
        f.eventId = eventId
        f.liquidityBucket = liquidity
        f.tteBucket = tte
        f.category = category
        f.bandSource = bandSource ?? ScoredForecast.unknown
        f.runtime = runtime
        f.model = model
        f.target = target
        return .forecast(f)
    }

    /// The pairing key of a line, `Evaluator.key` of its market_id and as_of_ts, by a light scan
    /// that stops as soon as it has both (values before them are skipped with their syntax
    /// checked). Nil when it cannot tell cheaply (escapes, nulls, odd values): decode the line.
    public static func scanKey(_ line: UnsafeBufferPointer<UInt8>) -> UInt64? {
        var s = JSONScanner(line)
        var market: Range<Int>?
        var asOf: Timestamp?
        do {
            s.skipWhitespace()
            guard s.peek() == UInt8(ascii: "{") else { return nil }
            _ = try s.walkMembers { s, key in
                guard !key.escaped else { throw Undecided() }
                if s.key(key, is: Key.marketId), market == nil {
                    market = try rawString(&s)
                } else if s.key(key, is: Key.asOfTs), asOf == nil {
                    asOf = try timestamp(&s)
                } else {
                    _ = try s.skipValue()
                }
                return market == nil || asOf == nil
            }
        } catch {
            return nil
        }
        guard let market, let asOf else { return nil }
        return Evaluator.key(marketId: UnsafeBufferPointer(rebasing: line[market]), millis: asOf.millis)
    }

    /// The bytes of a string value without escapes (an escaped one is left to the Record path).
    static func rawString(_ s: inout JSONScanner) throws -> Range<Int> {
        guard s.peek() == UInt8(ascii: "\"") else { throw Undecided() }
        let start = s.position + 1
        var i = start
        while i < s.bytes.count {
            let c = s.bytes[i]
            if c == UInt8(ascii: "\"") {
                s.position = i + 1
                return start..<i
            }
            if c == UInt8(ascii: "\\") || c < 0x20 { throw Undecided() }
            i += 1
        }
        throw Undecided()
    }

    /// A string value; null and other types go to the Record path.
    static func string(_ s: inout JSONScanner) throws -> String {
        guard s.peek() == UInt8(ascii: "\"") else { throw Undecided() }
        return try s.parseString()
    }

    static func timestamp(_ s: inout JSONScanner) throws -> Timestamp {
        let range = try rawString(&s)
        guard let t = Timestamp.parse(UnsafeBufferPointer(rebasing: s.bytes[range])) else { throw Undecided() }
        return t
    }

    /// A plain integer (digits with an optional minus): anything else goes to the Record path.
    static func integer(_ s: inout JSONScanner) throws -> Int {
        let start = s.position
        var i = start
        if i < s.bytes.count && s.bytes[i] == UInt8(ascii: "-") { i += 1 }
        var value = 0
        let digits = i
        while i < s.bytes.count, s.bytes[i] >= UInt8(ascii: "0"), s.bytes[i] <= UInt8(ascii: "9"), i - digits < 15 {
            value = value * 10 + Int(s.bytes[i] - UInt8(ascii: "0"))
            i += 1
        }
        guard i > digits else { throw Undecided() }
        if i < s.bytes.count {
            let c = s.bytes[i]
            if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) {
                throw Undecided()
            }
        }
        s.position = i
        return s.bytes[start] == UInt8(ascii: "-") ? -value : value
    }

    /// The members of a nested object (`meta` and its `conformal`), each key checked for repeats;
    /// null, other types, escaped or repeated keys go to the Record path.
    static func scanObject(_ s: inout JSONScanner, depth: Int, _ member: (inout JSONScanner, JSONKey) throws -> Void) throws {
        guard s.peek() == UInt8(ascii: "{") else { throw Undecided() }
        try KeyRangeSet.with(s.bytes) { keys in
            _ = try s.forEachMember(depth: depth) { s, key in
                guard !key.escaped, keys.insert(key.range) else { throw Undecided() }
                try member(&s, key)
            }
        }
    }
}
