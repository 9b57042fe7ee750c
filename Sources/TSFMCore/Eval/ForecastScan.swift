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

        s.skipWhitespace()
        guard s.peek() == UInt8(ascii: "{") else { throw Undecided() }
        s.position += 1
        s.skipWhitespace()
        if s.peek() == UInt8(ascii: "}") {
            s.position += 1
        } else {
            while true {
                s.skipWhitespace()
                let key = try rawKey(&s)
                guard keys.insert(key) else { throw Undecided() }
                try s.expect(UInt8(ascii: ":"), "':'")
                s.skipWhitespace()
                if matches(line, key, Key.yhatQ), first(1) {
                    guard let b = QuantileBand.scan(&s, horizon: nil),
                          b.values.allSatisfy({ $0.allSatisfy { $0 >= 0 && $0 <= 1 } }) else { throw Undecided() }
                    band = b
                } else if matches(line, key, Key.yFuture), first(2) {
                    guard let values = try s.parseDoubleArray(), values.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
                        // null (no future yet) or anything odd: the Record path decides.
                        throw Undecided()
                    }
                    future = values
                } else if matches(line, key, Key.marketId), first(4) {
                    marketId = try string(&s)
                } else if matches(line, key, Key.asOfTs), first(8) {
                    asOf = try timestamp(&s)
                } else if matches(line, key, Key.freq), first(16) {
                    guard let c = Cadence(rawValue: try string(&s)) else { throw Undecided() }
                    freq = c
                } else if matches(line, key, Key.horizonSteps), first(32) {
                    horizon = try integer(&s)
                } else if matches(line, key, Key.eventId), first(64) {
                    eventId = try string(&s)
                } else if matches(line, key, Key.liquidityBucket), first(128) {
                    liquidity = try string(&s)
                } else if matches(line, key, Key.tteBucket), first(256) {
                    tte = try string(&s)
                } else if matches(line, key, Key.category), first(512) {
                    category = try string(&s)
                } else if matches(line, key, Key.meta), first(1024) {
                    try scanMeta(&s, line) { key, scanner in
                        if matches(line, key, Key.bandSource) {
                            bandSource = try string(&scanner)
                        } else if matches(line, key, Key.runtime) {
                            runtime = try string(&scanner)
                        } else if matches(line, key, Key.modelName) {
                            model = try string(&scanner)
                        } else if matches(line, key, Key.conformal) {
                            try scanMeta(&scanner, line) { key, inner in
                                if matches(line, key, Key.target) {
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
                } else if matches(line, key, Key.error) {
                    // Possibly an error record: the Record path tells.
                    throw Undecided()
                } else {
                    _ = try s.skipValue()
                }
                s.skipWhitespace()
                let c = s.peek()
                s.position += 1
                if c == UInt8(ascii: ",") { continue }
                if c == UInt8(ascii: "}") { break }
                throw Undecided()
            }
        }
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

    @inline(__always)
    static func matches(_ line: UnsafeBufferPointer<UInt8>, _ key: Range<Int>, _ name: StaticString) -> Bool {
        name.matches(UnsafeBufferPointer(rebasing: line[key]))
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
            s.position += 1
            while true {
                s.skipWhitespace()
                let key = try rawKey(&s)
                try s.expect(UInt8(ascii: ":"), "':'")
                s.skipWhitespace()
                if matches(line, key, Key.marketId), market == nil {
                    market = try rawKey(&s)
                } else if matches(line, key, Key.asOfTs), asOf == nil {
                    asOf = try timestamp(&s)
                } else {
                    _ = try s.skipValue()
                }
                if let market, let asOf {
                    return Evaluator.key(marketId: UnsafeBufferPointer(rebasing: line[market]), millis: asOf.millis)
                }
                s.skipWhitespace()
                guard s.peek() == UInt8(ascii: ",") else { return nil }
                s.position += 1
            }
        } catch {
            return nil
        }
    }

    /// The bytes of a key without escapes (an escaped key is left to the Record path).
    static func rawKey(_ s: inout JSONScanner) throws -> Range<Int> {
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
        let range = try rawKey(&s)
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

    /// Walks an object's members, handing each key (unescaped bytes) to `member`, which must
    /// consume the value. null and other types go to the Record path.
    static func scanMeta(_ s: inout JSONScanner, _ line: UnsafeBufferPointer<UInt8>,
                         _ member: (Range<Int>, inout JSONScanner) throws -> Void) throws {
        guard s.peek() == UInt8(ascii: "{") else { throw Undecided() }
        s.position += 1
        s.skipWhitespace()
        if s.peek() == UInt8(ascii: "}") {
            s.position += 1
            return
        }
        try KeyRangeSet.with(line) { keys in try scanMembers(&s, line, keys: &keys, member) }
    }

    /// The members of an object after its `{`; a key that appears twice goes to the Record path.
    static func scanMembers(_ s: inout JSONScanner, _ line: UnsafeBufferPointer<UInt8>, keys: inout KeyRangeSet,
                            _ member: (Range<Int>, inout JSONScanner) throws -> Void) throws {
        while true {
            s.skipWhitespace()
            let key = try rawKey(&s)
            guard keys.insert(key) else { throw Undecided() }
            try s.expect(UInt8(ascii: ":"), "':'")
            s.skipWhitespace()
            try member(key, &s)
            s.skipWhitespace()
            let c = s.peek()
            s.position += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "}") { return }
            throw Undecided()
        }
    }
}
