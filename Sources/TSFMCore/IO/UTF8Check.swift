/// JSON text must be UTF-8 (RFC 8259 §8.1). A line that is not is a bad line, never copied to
/// an output. The check is one pass that reads eight bytes at a time while they are ASCII (the
/// common case) and decodes sequences only where a byte has its high bit set.
public enum UTF8Check {
    /// The offset of the first byte that does not belong to a well-formed UTF-8 sequence
    /// (overlong forms, surrogates and code points above U+10FFFF are ill-formed); nil when the
    /// whole buffer is valid.
    public static func firstInvalid(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let n = bytes.count
        var i = 0
        while i < n {
            while i + 8 <= n {
                let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                if word & 0x8080_8080_8080_8080 != 0 { break }
                i += 8
            }
            guard i < n else { return nil }
            let b0 = base[i]
            if b0 < 0x80 {
                i += 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return i
            }
            guard i + length <= n else { return i }
            let b1 = base[i + 1]
            guard b1 >= low && b1 <= high else { return i }
            for k in 2..<max(length, 2) where base[i + k] & 0xC0 != 0x80 { return i }
            i += length
        }
        return nil
    }
}

/// Exact duplicate-key detection for one JSON object's keys, given as byte ranges of a line
/// (keys without escapes, compared byte for byte). Cheap for the small objects of the record
/// contract (a linear scan over a stack buffer), and hashed beyond `linearLimit` keys so a
/// hostile line with a million keys costs linear time, not quadratic.
struct KeyRangeSet {
    static let linearLimit = 32
    let line: UnsafeBufferPointer<UInt8>
    let slots: UnsafeMutablePointer<Range<Int>>
    var count = 0
    var hashed: [UInt64: [Range<Int>]] = [:]

    init(line: UnsafeBufferPointer<UInt8>, slots: UnsafeMutablePointer<Range<Int>>) {
        self.line = line
        self.slots = slots
    }

    /// Runs `body` with an empty set whose first keys live on the stack.
    static func with<T>(_ line: UnsafeBufferPointer<UInt8>, _ body: (inout KeyRangeSet) throws -> T) rethrows -> T {
        try withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: linearLimit) { buffer in
            var set = KeyRangeSet(line: line, slots: buffer.baseAddress!)
            return try body(&set)
        }
    }

    @inline(__always)
    func same(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
        guard a.count == b.count else { return false }
        var i = 0
        while i < a.count {
            if line[a.lowerBound + i] != line[b.lowerBound + i] { return false }
            i += 1
        }
        return true
    }

    /// Adds a key; false when an equal key was added before.
    mutating func insert(_ key: Range<Int>) -> Bool {
        if count < Self.linearLimit {
            for j in 0..<count where same(slots[j], key) { return false }
            slots[count] = key
            count += 1
            if count == Self.linearLimit {
                for j in 0..<count { hashed[hash(slots[j]), default: []].append(slots[j]) }
            }
            return true
        }
        let h = hash(key)
        if let list = hashed[h], list.contains(where: { same($0, key) }) { return false }
        hashed[h, default: []].append(key)
        count += 1
        return true
    }

    func hash(_ key: Range<Int>) -> UInt64 {
        FNV1a64.hash(UnsafeBufferPointer(rebasing: line[key]))
    }
}
