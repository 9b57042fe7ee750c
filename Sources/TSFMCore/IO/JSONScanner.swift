#if canImport(Glibc)
import Glibc
#endif

/// Invalid JSON text: what was expected and the byte offset where it went wrong.
public struct JSONSyntaxError: Error, CustomStringConvertible {
    public var offset: Int
    public var message: String

    public var description: String {
        // A duplicate key is well-formed JSON text that the record contract refuses.
        if message.hasPrefix("duplicate key") { return "\(message) at column \(offset + 1)" }
        return "not valid JSON at column \(offset + 1): \(message)"
    }
}

/// An object member's key as written: the byte range between its quotes, and whether it holds
/// escapes (then its bytes are not its name: `JSONScanner.string(of:)` decodes it).
public struct JSONKey {
    public let range: Range<Int>
    public let escaped: Bool
}

/// A strict, allocation-light JSON scanner over a byte buffer. It can skip a value (checking its
/// syntax) to learn its byte range, or decode it: this is what lets a tool decode only the fields
/// it owns and copy the others through unchanged.
public struct JSONScanner {
    public let bytes: UnsafeBufferPointer<UInt8>
    public var position: Int

    /// Nesting deeper than this is refused, so hostile input cannot exhaust the stack.
    static let maxDepth = 512

    public init(_ bytes: UnsafeBufferPointer<UInt8>, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    // MARK: - Low-level

    @inline(__always)
    var atEnd: Bool { position >= bytes.count }

    @inline(__always)
    func peek() -> UInt8 { position < bytes.count ? bytes[position] : 0 }

    func fail(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: position, message: message)
    }

    @inline(__always)
    public mutating func skipWhitespace() {
        while position < bytes.count {
            let c = bytes[position]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 {
                position += 1
            } else {
                return
            }
        }
    }

    public mutating func expect(_ byte: UInt8, _ what: String) throws {
        skipWhitespace()
        guard peek() == byte, !atEnd else { throw fail("expected \(what)") }
        position += 1
    }

    /// Requires nothing but whitespace to remain.
    public mutating func expectEnd() throws {
        skipWhitespace()
        if !atEnd { throw fail("unexpected text after the value") }
    }

    // MARK: - Skipping

    /// Skips one value, checking its syntax, and returns its byte range.
    public mutating func skipValue(depth: Int = 0) throws -> Range<Int> {
        skipWhitespace()
        let start = position
        guard !atEnd else { throw fail("expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "{"):
            _ = try forEachMember(depth: depth) { s, _ in _ = try s.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            guard depth < Self.maxDepth else { throw fail("nesting too deep") }
            position += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "]") {
                position += 1
            } else {
                while true {
                    _ = try skipValue(depth: depth + 1)
                    skipWhitespace()
                    let c = peek()
                    position += 1
                    if c == UInt8(ascii: ",") { continue }
                    if c == UInt8(ascii: "]") { break }
                    position -= 1
                    throw fail("expected ',' or ']'")
                }
            }
        case UInt8(ascii: "t"):
            try literal("true")
        case UInt8(ascii: "f"):
            try literal("false")
        case UInt8(ascii: "n"):
            try literal("null")
        default:
            try skipNumber()
        }
        return start..<position
    }

    /// Checks a number token's grammar without computing its value (pass-through fields).
    mutating func skipNumber() throws {
        let start = position
        if peek() == UInt8(ascii: "-") { position += 1 }
        let intStart = position
        while position < bytes.count, bytes[position] &- 0x30 < 10 { position += 1 }
        let intDigits = position - intStart
        if intDigits == 0 {
            position = start
            _ = try scanNumber()  // for its error message
            return
        }
        if intDigits > 1 && bytes[intStart] == UInt8(ascii: "0") { throw fail("leading zero in number") }
        if peek() == UInt8(ascii: ".") {
            position += 1
            let fracStart = position
            while position < bytes.count, bytes[position] &- 0x30 < 10 { position += 1 }
            if position == fracStart { throw fail("expected digits after '.'") }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            let expStart = position
            while position < bytes.count, bytes[position] &- 0x30 < 10 { position += 1 }
            if position == expStart { throw fail("expected digits in exponent") }
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw fail("expected a value") }
        let p = word.utf8Start
        for i in 0..<count where bytes[position + i] != p[i] {
            throw fail("expected a value")
        }
        position += count
    }

    /// Skips a string (position at its opening quote), validating escapes; says whether it had any.
    @discardableResult
    mutating func skipString() throws -> Bool {
        var escaped = false
        position += 1
        while position < bytes.count {
            let c = bytes[position]
            if c == UInt8(ascii: "\"") {
                position += 1
                return escaped
            } else if c == UInt8(ascii: "\\") {
                escaped = true
                position += 1
                guard position < bytes.count else { break }
                switch bytes[position] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    position += 1
                case UInt8(ascii: "u"):
                    guard position + 4 < bytes.count,
                        (1...4).allSatisfy({ hexValue(bytes[position + $0]) != nil })
                    else { throw fail("bad \\u escape") }
                    position += 5
                default:
                    throw fail("bad escape in string")
                }
            } else if c < 0x20 {
                throw fail("control character in string")
            } else {
                position += 1
            }
        }
        throw fail("unterminated string")
    }

    // MARK: - Objects

    /// Walks the members of the object at the current position: the one loop over
    /// `{"key": value, …}` that every reader of objects uses. For each member, `member` gets the
    /// scanner at the value (whitespace skipped) and the key as written, and must consume the
    /// value (decode it or `skipValue`). The walk checks the key strings and the punctuation
    /// between members. Returns false, with the value skipped (so a syntax error still wins), when
    /// the value is not an object.
    @inline(__always)
    public mutating func forEachMember(depth: Int = 0, _ member: (inout JSONScanner, JSONKey) throws -> Void) throws -> Bool {
        try walkMembers(depth: depth) { s, key in
            try member(&s, key)
            return true
        }
    }

    /// `forEachMember` for a reader that can stop early: `member` returns false to stop, leaving
    /// the scanner just after that member's value. Returns false when the value is not an object
    /// or `member` stopped.
    @inline(__always)
    public mutating func walkMembers(depth: Int = 0, _ member: (inout JSONScanner, JSONKey) throws -> Bool) throws -> Bool {
        skipWhitespace()
        guard peek() == UInt8(ascii: "{") else {
            _ = try skipValue(depth: depth)
            return false
        }
        guard depth < Self.maxDepth else { throw fail("nesting too deep") }
        position += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
            return true
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw fail("expected a key string") }
            let start = position + 1
            let escaped = try skipString()
            let key = JSONKey(range: start..<(position - 1), escaped: escaped)
            try expect(UInt8(ascii: ":"), "':'")
            skipWhitespace()
            guard try member(&self, key) else { return false }
            skipWhitespace()
            let c = peek()
            position += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "}") { return true }
            position -= 1
            throw fail("expected ',' or '}'")
        }
    }

    /// Whether a key is `name` exactly (a key with escapes never is: readers decode those).
    @inline(__always)
    public func key(_ key: JSONKey, is name: StaticString) -> Bool {
        !key.escaped && name.matches(UnsafeBufferPointer(rebasing: bytes[key.range]))
    }

    /// A key's name, escapes decoded.
    public func string(of key: JSONKey) throws -> String {
        if !key.escaped { return String(decoding: UnsafeBufferPointer(rebasing: bytes[key.range]), as: UTF8.self) }
        var s = JSONScanner(bytes, position: key.range.lowerBound - 1)
        return try s.parseString()
    }

    /// The error for a key met twice, placed at the key.
    func duplicate(_ key: JSONKey, _ name: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: key.range.lowerBound - 1, message: "duplicate key '\(name)'")
    }

    // MARK: - Numbers

    /// Scans a number token with JSON's grammar and returns its value. Short decimals (the
    /// common case) take an exact fast path; the rest go to strtod, which rounds correctly.
    public mutating func scanNumber() throws -> Double {
        let start = position
        var negative = false
        if peek() == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        var exact = true
        let intStart = position
        while position < bytes.count, bytes[position] &- 0x30 < 10 {
            let d = UInt64(bytes[position] &- 0x30)
            if digits < 19 {
                mantissa = mantissa &* 10 &+ d
                if mantissa != 0 { digits += 1 }
            } else {
                exponent += 1
                exact = false
            }
            position += 1
        }
        let intDigits = position - intStart
        if intDigits == 0 {
            position = start
            if peek() == UInt8(ascii: "N") || peek() == UInt8(ascii: "I") || negative {
                throw fail("NaN and Infinity are not JSON numbers")
            }
            throw fail("expected a value")
        }
        if intDigits > 1 && bytes[intStart] == UInt8(ascii: "0") {
            throw fail("leading zero in number")
        }
        if peek() == UInt8(ascii: ".") {
            position += 1
            let fracStart = position
            while position < bytes.count, bytes[position] &- 0x30 < 10 {
                let d = UInt64(bytes[position] &- 0x30)
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ d
                    if mantissa != 0 { digits += 1 }
                    exponent -= 1
                } else {
                    exact = false
                }
                position += 1
            }
            if position == fracStart { throw fail("expected digits after '.'") }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            position += 1
            var expNegative = false
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") {
                expNegative = peek() == UInt8(ascii: "-")
                position += 1
            }
            let expStart = position
            var e = 0
            while position < bytes.count, bytes[position] &- 0x30 < 10 {
                if e < 100_000 { e = e * 10 + Int(bytes[position] &- 0x30) }
                position += 1
            }
            if position == expStart { throw fail("expected digits in exponent") }
            exponent += expNegative ? -e : e
        }
        if exact && mantissa <= (1 << 53) && exponent >= -22 && exponent <= 22 {
            var value = Double(mantissa)
            if exponent < 0 {
                value /= Self.powersOfTen[-exponent]
            } else {
                value *= Self.powersOfTen[exponent]
            }
            return negative ? -value : value
        }
        return slowNumber(start..<position)
    }

    static let powersOfTen: [Double] = (0...22).map { e in
        var v = 1.0
        for _ in 0..<e { v *= 10 }
        return v
    }

    func slowNumber(_ range: Range<Int>) -> Double {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: range.count + 1) { buffer in
            for (i, b) in bytes[range].enumerated() { buffer[i] = CChar(bitPattern: b) }
            buffer[range.count] = 0
            return strtod(buffer.baseAddress!, nil)
        }
    }

    /// Scans a number and also says whether it was written as an integer.
    mutating func scanNumberValue() throws -> JSONValue {
        let start = position
        let value = try scanNumber()
        var isInteger = true
        for i in start..<position {
            let c = bytes[i]
            if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                isInteger = false
                break
            }
        }
        if isInteger, position - start <= 18 {
            var magnitude = 0
            var negative = false
            for i in start..<position {
                if bytes[i] == UInt8(ascii: "-") { negative = true } else { magnitude = magnitude * 10 + Int(bytes[i] &- 0x30) }
            }
            return .int(negative ? -magnitude : magnitude)
        }
        return .double(value)
    }

    // MARK: - Decoding

    /// Decodes a string (position at its opening quote).
    public mutating func parseString() throws -> String {
        skipWhitespace()
        guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string") }
        let start = position + 1
        // Fast path: no escapes.
        var i = start
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                position = i + 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            }
            if c == UInt8(ascii: "\\") || c < 0x20 { break }
            i += 1
        }
        var out: [UInt8] = []
        out.reserveCapacity(i - start + 16)
        out.append(contentsOf: bytes[start..<i])
        position = i
        while position < bytes.count {
            let c = bytes[position]
            if c == UInt8(ascii: "\"") {
                position += 1
                return String(decoding: out, as: UTF8.self)
            } else if c < 0x20 {
                throw fail("control character in string")
            } else if c != UInt8(ascii: "\\") {
                out.append(c)
                position += 1
                continue
            }
            position += 1
            guard position < bytes.count else { break }
            let e = bytes[position]
            position += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar), position + 1 < bytes.count,
                    bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
                {
                    position += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        scalar = 0xFFFD
                    }
                }
                let unicode = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(unicode)).utf8))
            default:
                throw fail("bad escape in string")
            }
        }
        throw fail("unterminated string")
    }

    mutating func hex4() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw fail("bad \\u escape") }
        var v: UInt32 = 0
        for k in 0..<4 {
            guard let h = hexValue(bytes[position + k]) else { throw fail("bad \\u escape") }
            v = v << 4 | UInt32(h)
        }
        position += 4
        return v
    }

    /// Decodes any value into a tree.
    public mutating func parseValue(depth: Int = 0) throws -> JSONValue {
        skipWhitespace()
        guard !atEnd else { throw fail("expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "{"):
            var object = JSONObject()
            var manyKeys: Set<String>?
            _ = try forEachMember(depth: depth) { s, key in
                let name = try s.string(of: key)
                // Equal keys: parsers disagree on which counts, so a decoded object refuses them.
                if object.count < 32 {
                    if object.members.contains(where: { $0.key == name }) { throw s.duplicate(key, name) }
                } else {
                    if manyKeys == nil { manyKeys = Set(object.keys) }
                    guard manyKeys!.insert(name).inserted else { throw s.duplicate(key, name) }
                }
                object.append(name, try s.parseValue(depth: depth + 1))
            }
            return .object(object)
        case UInt8(ascii: "["):
            guard depth < Self.maxDepth else { throw fail("nesting too deep") }
            position += 1
            var array: [JSONValue] = []
            skipWhitespace()
            if peek() == UInt8(ascii: "]") {
                position += 1
                return .array(array)
            }
            while true {
                array.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                let c = peek()
                position += 1
                if c == UInt8(ascii: ",") { continue }
                if c == UInt8(ascii: "]") { return .array(array) }
                position -= 1
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default:
            return try scanNumberValue()
        }
    }

    /// Decodes an array of numbers without building a tree (the hot path for `y`, bands).
    /// Returns nil when the value is not an array of numbers.
    public mutating func parseDoubleArray() throws -> [Double]? {
        skipWhitespace()
        guard peek() == UInt8(ascii: "[") else { return nil }
        position += 1
        var out: [Double] = []
        out.reserveCapacity(16)
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            position += 1
            return out
        }
        while true {
            skipWhitespace()
            let c = peek()
            guard c == UInt8(ascii: "-") || c &- 0x30 < 10 else { return nil }
            out.append(try scanNumber())
            skipWhitespace()
            let next = peek()
            position += 1
            if next == UInt8(ascii: ",") { continue }
            if next == UInt8(ascii: "]") { return out }
            position -= 1
            throw fail("expected ',' or ']'")
        }
    }
}

@inline(__always)
func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
}
