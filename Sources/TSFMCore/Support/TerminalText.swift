/// Text from input records shown to people (an error message on stderr, a `--format table`
/// cell, a text log line): control characters are written as `\u{1b}` so a field value cannot
/// move the cursor, retitle the terminal or hide a line (terminal escape injection).
public enum TerminalText {
    /// C0 controls, DEL and C1 controls escaped; everything else unchanged. A fast path returns
    /// the string itself when there is nothing to escape.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    @inline(__always)
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (s.value >= 0x7F && s.value < 0xA0)
    }
}

/// CSV cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) get
/// a leading `'` (OWASP's advice for CSV injection); numbers are never passed here.
public enum CSVText {
    public static func guarded(_ cell: String) -> String {
        guard let first = cell.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return cell }
        return "'" + cell
    }
}
