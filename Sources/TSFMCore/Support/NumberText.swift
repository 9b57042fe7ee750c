/// Numbers as text, the one place for them: `short` for messages and labels for people (a whole
/// number without a fraction, `5000`, anything else in Swift's shortest round-trip form), `plain`
/// where an exponent is not wanted. Records use `JSONWriter`, which always writes the round-trip
/// form. All locale-free.
public enum NumberText {
    public static func short(_ v: Double) -> String {
        v.rounded() == v && abs(v) < 1e15 ? String(Int(v)) : v.description
    }

    /// The shortest decimal that reads back to `value`, in plain notation: `0.87`, `317.52`,
    /// `0`, `1764590700.412`, never an exponent nor a trailing `.0` (Prometheus samples,
    /// configuration values).
    public static func plain(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        if value == value.rounded(), abs(value) < 9e15 { return String(Int64(value)) }
        let text = "\(value)"
        guard let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) else {
            return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
        }
        var mantissa = String(text[..<e])
        let exponent = Int(String(text[text.index(after: e)...]).replacing("+", with: "")) ?? 0
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa.removeFirst() }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let intPart = String(parts[0])
        var digits = intPart + (parts.count > 1 ? String(parts[1]) : "")
        while digits.count > 1 && digits.hasSuffix("0") { digits.removeLast() }
        let point = intPart.count + exponent
        var out: String
        if point <= 0 {
            out = "0." + String(repeating: "0", count: -point) + digits
        } else if point >= digits.count {
            out = digits + String(repeating: "0", count: point - digits.count)
        } else {
            out = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
        }
        return (negative ? "-" : "") + out
    }

    /// A 64-bit value as 16 lowercase hex digits, zero-padded (ids, hash keys, temp names).
    public static func hex16(_ x: UInt64) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 16)
        for i in 0..<16 { out[i] = digits[Int((x >> UInt64(60 - 4 * i)) & 0xF)] }
        return String(decoding: out, as: UTF8.self)
    }
}
