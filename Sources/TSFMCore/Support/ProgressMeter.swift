#if canImport(Glibc)
import Glibc
#endif

/// A one-line record counter on stderr for long runs, shown only when stderr is a terminal.
public final class ProgressMeter {
    let tool: String
    var count = 0
    var lastShown: Double = 0
    var shown = false

    /// Nil unless stderr is a terminal.
    public static func forTerminal(tool: String) -> ProgressMeter? {
        isatty(2) != 0 ? ProgressMeter(tool: tool) : nil
    }

    init(tool: String) {
        self.tool = tool
        lastShown = Self.now()
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    @inline(__always)
    public func tick() {
        count += 1
        if count & 0xFFF == 0 { maybeShow() }
    }

    func maybeShow() {
        let t = Self.now()
        guard t - lastShown >= 0.5 else { return }
        lastShown = t
        shown = true
        Logger.writeStderr("\r\(tool): \(count) lines read\u{1B}[K")
    }

    public func finish() {
        if shown { Logger.writeStderr("\r\u{1B}[K") }
        shown = false
    }
}
