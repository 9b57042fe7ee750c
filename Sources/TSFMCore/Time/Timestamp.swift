/// A UTC instant with millisecond precision, parsed from and written as RFC 3339. Hand-rolled
/// (no DateFormatter) because prep parses millions of them per second.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var millis: Int64

    public init(millis: Int64) { self.millis = millis }
    public init(seconds: Int64) { self.millis = seconds * 1000 }

    /// The wall clock: used only when a user asks for it (`--as-of now`), never by default.
    public static func now() -> Timestamp {
        Timestamp(millis: System.wallClockMillis())
    }

    public var seconds: Int64 { millis >= 0 ? millis / 1000 : (millis - 999) / 1000 }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.millis < b.millis }

    public static func + (t: Timestamp, seconds: Int64) -> Timestamp { Timestamp(millis: t.millis + seconds * 1000) }
    public static func - (t: Timestamp, seconds: Int64) -> Timestamp { Timestamp(millis: t.millis - seconds * 1000) }

    /// The earliest instant a timestamp may denote: 1970-01-01T00:00:00Z. Prediction markets
    /// (and the Unix clocks that stamp their quotes) are younger; anything before is a bad value.
    public static let earliest = Timestamp(millis: 0)
    /// The latest: 9999-12-31T23:59:59.999Z, the last instant RFC 3339's four-digit year can
    /// write. Together they keep every instant writable and every sum of an instant and a
    /// duration (at most `DurationText.maxSeconds`) far from Int64 overflow.
    public static let latest = Timestamp(millis: 253_402_300_799_999)

    /// The documented range, for messages.
    public static let rangeText = "1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z"

    /// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`; a space may stand for `T`, `z` for `Z`.
    /// An instant outside `earliest...latest` (after applying the offset) does not parse.
    public init?(_ text: String) {
        var copy = text
        guard let value = copy.withUTF8({ Timestamp.parse($0) }) else { return nil }
        self = value
    }

    /// Parses from bytes (no quotes).
    public static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        let n = b.count
        guard n >= 20 else { return nil }
        @inline(__always) func digit(_ i: Int) -> Int? {
            let d = b[i] &- 0x30
            return d < 10 ? Int(d) : nil
        }
        @inline(__always) func num(_ i: Int, _ count: Int) -> Int? {
            var v = 0
            for k in 0..<count {
                guard let d = digit(i + k) else { return nil }
                v = v * 10 + d
            }
            return v
        }
        guard let year = num(0, 4), b[4] == UInt8(ascii: "-"), let month = num(5, 2), b[7] == UInt8(ascii: "-"),
            let day = num(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
            let hour = num(11, 2), b[13] == UInt8(ascii: ":"), let minute = num(14, 2), b[16] == UInt8(ascii: ":"),
            let second = num(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year, month), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var millis = 0
        if i < n && b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 100
            let fracStart = i
            while i < n, let d = digit(i) {
                millis += d * scale
                scale /= 10
                i += 1
            }
            guard i > fracStart else { return nil }
        }
        guard i < n else { return nil }
        var offsetMinutes = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard i + 6 <= n, let oh = num(i + 1, 2), b[i + 3] == UInt8(ascii: ":"), let om = num(i + 4, 2),
                oh < 24, om < 60
            else { return nil }
            offsetMinutes = (oh * 60 + om) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        default:
            return nil
        }
        guard i == n else { return nil }
        let days = daysFromCivil(year, month, day)
        let secs = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) - Int64(offsetMinutes * 60)
        let value = secs * 1000 + Int64(millis)
        guard value >= earliest.millis, value <= latest.millis else { return nil }
        return Timestamp(millis: value)
    }

    /// `2026-11-24T12:05:00Z`, with `.sss` only when there are milliseconds.
    public var rfc3339: String {
        let secs = seconds
        let ms = Int(millis - secs * 1000)
        let days = secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400
        let rem = Int(secs - days * 86_400)
        let (y, m, d) = civilFromDays(Int(days))
        var out: [UInt8] = []
        out.reserveCapacity(24)
        func put(_ v: Int, _ width: Int) {
            var digits = [UInt8](repeating: 0x30, count: width)
            var x = v
            for k in stride(from: width - 1, through: 0, by: -1) {
                digits[k] = UInt8(x % 10) + 0x30
                x /= 10
            }
            out.append(contentsOf: digits)
        }
        put(y, 4); out.append(UInt8(ascii: "-")); put(m, 2); out.append(UInt8(ascii: "-")); put(d, 2)
        out.append(UInt8(ascii: "T"))
        put(rem / 3600, 2); out.append(UInt8(ascii: ":")); put(rem / 60 % 60, 2); out.append(UInt8(ascii: ":"))
        put(rem % 60, 2)
        if ms != 0 {
            out.append(UInt8(ascii: "."))
            put(ms, 3)
        }
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { rfc3339 }

    /// The latest multiple of `step` seconds (since the epoch) at or before this instant.
    public func floored(toMultipleOf step: Int64) -> Timestamp {
        let stepMs = step * 1000
        let q = millis >= 0 ? millis / stepMs : (millis - stepMs + 1) / stepMs
        return Timestamp(millis: q * stepMs)
    }
}

func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

func daysInMonth(_ y: Int, _ m: Int) -> Int {
    switch m {
    case 2: return isLeap(y) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
}

func civilFromDays(_ days: Int) -> (Int, Int, Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (m <= 2 ? y + 1 : y, m, d)
}
