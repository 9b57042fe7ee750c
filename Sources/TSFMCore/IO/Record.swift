/// One NDJSON record, scanned at its top level only: each field is its key plus the byte range
/// of its raw value. A tool decodes only the fields it owns and replaces or adds only those;
/// every other field's bytes are copied to the output unchanged (exact text, original order).
public struct Record {
    /// The line's bytes, as read.
    public let line: [UInt8]
    public private(set) var fields: [Field]

    public struct Field {
        public var key: String
        var slot: Slot
    }

    enum Slot {
        /// The value's byte range in `line`.
        case raw(Range<Int>)
        /// A replacement value, already encoded as JSON.
        case encoded([UInt8])
    }

    /// Scans a line. Throws a `RecordError` saying why it is not a JSON object: not UTF-8, not
    /// JSON, not an object, or a key that appears twice (JSON parsers disagree on which of two
    /// equal keys counts, so a record with both could mean one thing to a tool and another to
    /// `jq`; it is refused).
    public init(line bytes: UnsafeBufferPointer<UInt8>) throws {
        if let bad = UTF8Check.firstInvalid(bytes) {
            throw RecordError("not valid UTF-8 at byte \(bad + 1)")
        }
        line = Array(bytes)
        fields = []
        fields.reserveCapacity(24)
        var manyKeys: Set<String>?
        try line.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            do {
                let object = try scanner.forEachMember { s, key in
                    let name = try s.string(of: key)
                    if fields.count < 32 {
                        for f in fields where f.key == name { throw RecordError(field: name, "appears twice") }
                    } else {
                        if manyKeys == nil { manyKeys = Set(fields.map(\.key)) }
                        guard manyKeys!.insert(name).inserted else { throw RecordError(field: name, "appears twice") }
                    }
                    fields.append(Field(key: name, slot: .raw(try s.skipValue())))
                }
                guard object else { throw RecordError("not a JSON object") }
                try scanner.expectEnd()
            } catch let error as JSONSyntaxError {
                throw RecordError(error.description)
            }
        }
    }

    /// Parses a record from text (tests, small tools).
    public init(_ text: String) throws {
        let bytes = Array(text.utf8)
        self = try bytes.withUnsafeBufferPointer { try Record(line: $0) }
    }

    /// An empty record to build from scratch.
    public init() {
        line = []
        fields = []
    }

    // MARK: - Reading fields

    public var keys: [String] { fields.map(\.key) }

    func index(of key: String) -> Int? {
        fields.firstIndex { $0.key == key }
    }

    public func has(_ key: String) -> Bool { index(of: key) != nil }

    /// The raw JSON text of a field's value.
    public func rawValue(_ key: String) -> [UInt8]? {
        guard let i = index(of: key) else { return nil }
        switch fields[i].slot {
        case .raw(let range): return Array(line[range])
        case .encoded(let bytes): return bytes
        }
    }

    /// Runs `body` with a scanner positioned at the field's value.
    func withScanner<T>(_ key: String, _ body: (inout JSONScanner) throws -> T) throws -> T? {
        guard let i = index(of: key) else { return nil }
        do {
            switch fields[i].slot {
            case .raw(let range):
                return try line.withUnsafeBufferPointer { buffer in
                    var scanner = JSONScanner(buffer, position: range.lowerBound)
                    return try body(&scanner)
                }
            case .encoded(let bytes):
                return try bytes.withUnsafeBufferPointer { buffer in
                    var scanner = JSONScanner(buffer)
                    return try body(&scanner)
                }
            }
        } catch let error as JSONSyntaxError {
            throw RecordError(field: key, error.description)
        }
    }

    /// A field decoded as a tree; nil when absent.
    public func value(_ key: String) throws -> JSONValue? {
        try withScanner(key) { try $0.parseValue() }
    }

    /// A field that must be present and not null.
    public func required(_ key: String) throws -> JSONValue {
        guard let v = try value(key), v != .null else { throw RecordError.missing(key) }
        return v
    }

    /// A string field; nil when absent or null.
    public func string(_ key: String) throws -> String? {
        guard let v = try value(key), v != .null else { return nil }
        guard let s = v.string else { throw RecordError(field: key, "expected a string") }
        return s
    }

    /// A number field; nil when absent or null.
    public func double(_ key: String) throws -> Double? {
        guard let v = try value(key), v != .null else { return nil }
        guard let d = v.number else { throw RecordError(field: key, "expected a number") }
        guard d.isFinite else { throw RecordError(field: key, "number out of range") }
        return d
    }

    /// An integer field; nil when absent or null.
    public func int(_ key: String) throws -> Int? {
        guard let v = try value(key), v != .null else { return nil }
        guard let i = v.int else { throw RecordError(field: key, "expected an integer") }
        return i
    }

    /// An object field; nil when absent or null.
    public func object(_ key: String) throws -> JSONObject? {
        guard let v = try value(key), v != .null else { return nil }
        guard let o = v.object else { throw RecordError(field: key, "expected an object") }
        return o
    }

    /// An array of numbers, decoded without a tree; nil when absent or null. Every element must
    /// be a finite number.
    public func doubles(_ key: String) throws -> [Double]? {
        let decoded: [Double]?? = try withScanner(key) { scanner -> [Double]? in
            scanner.skipWhitespace()
            if scanner.peek() == UInt8(ascii: "n") { return nil }
            guard let values = try scanner.parseDoubleArray() else {
                throw RecordError(field: key, "expected an array of numbers")
            }
            return values
        }
        guard let present = decoded, let values = present else { return nil }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw RecordError(field: "\(key)[\(bad)]", "number out of range")
        }
        return values
    }

    /// True for an error record: exactly the shape `--on-error skip` writes,
    /// `{"error":{"file":"…","line":N,"reason":"…"},"input":"…"}` (no other keys, those types).
    /// Every tool passes such records through unchanged; anything else carrying an `error` key
    /// is an ordinary record and is judged like one.
    public var isErrorRecord: Bool {
        guard fields.count == 2, has(FieldName.error), has(FieldName.input),
              case .string? = try? value(FieldName.input),
              let detail = try? value(FieldName.error), let object = detail.object, object.count == 3,
              object["file"]?.string != nil, object["reason"]?.string != nil,
              case .int(let line)? = object["line"], line >= 1
        else { return false }
        return true
    }

    /// `isErrorRecord` of a raw line (false for a line that is not a record).
    public static func isErrorRecord(line: UnsafeBufferPointer<UInt8>) -> Bool {
        (try? Record(line: line))?.isErrorRecord ?? false
    }

    /// A nested object field as a record of its own, so a tool can change the members it owns
    /// and copy the others through as raw bytes (exact text: `-0` stays `-0`, a 20-digit
    /// integer stays whole). Nil when absent or null; `RecordError` when not an object.
    public func nested(_ key: String) throws -> Record? {
        guard let raw = rawValue(key) else { return nil }
        if raw.first == UInt8(ascii: "n") { return nil }
        guard raw.first == UInt8(ascii: "{") else { throw RecordError(field: key, "expected an object") }
        do {
            return try raw.withUnsafeBufferPointer { try Record(line: $0) }
        } catch let error as RecordError {
            throw RecordError(field: error.field.map { "\(key).\($0)" } ?? key, error.reason)
        }
    }

    // MARK: - Changing fields

    /// Replaces a field's value in place, or appends the field when it is new.
    public mutating func set(_ key: String, encoded bytes: [UInt8]) {
        if let i = index(of: key) {
            fields[i].slot = .encoded(bytes)
        } else {
            fields.append(Field(key: key, slot: .encoded(bytes)))
        }
    }

    /// Sets a field to a value. Throws `NonFiniteNumber` if the value holds NaN or infinity.
    public mutating func set(_ key: String, _ value: JSONValue) throws {
        var writer = JSONWriter(capacity: 64)
        try writer.value(value)
        set(key, encoded: writer.bytes)
    }

    /// Sets a field to an array of numbers.
    public mutating func set(_ key: String, doubles values: [Double]) throws {
        var writer = JSONWriter(capacity: values.count * 12 + 2)
        try writer.doubles(values)
        set(key, encoded: writer.bytes)
    }

    public mutating func remove(_ key: String) {
        fields.removeAll { $0.key == key }
    }

    // MARK: - Writing

    /// Appends the record as one compact JSON line (with the newline).
    public func write(into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (i, field) in fields.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendKey(field.key, into: &out)
            out.append(UInt8(ascii: ":"))
            switch field.slot {
            case .raw(let range): out.append(contentsOf: line[range])
            case .encoded(let bytes): out.append(contentsOf: bytes)
            }
        }
        out.append(UInt8(ascii: "}"))
        out.append(0x0A)
    }

    func appendKey(_ key: String, into out: inout [UInt8]) {
        var plain = true
        for c in key.utf8 where c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") {
            plain = false
            break
        }
        if plain {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: key.utf8)
            out.append(UInt8(ascii: "\""))
        } else {
            var writer = JSONWriter(capacity: key.utf8.count + 8)
            writer.string(key)
            out.append(contentsOf: writer.bytes)
        }
    }

    /// The record as a JSON object, without the newline (to store it inside another record).
    public var objectBytes: [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        out.removeLast()
        return out
    }

    /// The record as one line of JSON text, without the newline.
    public var jsonText: String {
        var out: [UInt8] = []
        write(into: &out)
        out.removeLast()
        return String(decoding: out, as: UTF8.self)
    }
}
