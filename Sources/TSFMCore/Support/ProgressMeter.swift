/// A one-line record counter on stderr for long runs, shown only when stderr is a terminal.
public final class ProgressMeter {
    let tool: String
    var count = 0
    var lastShown: Double = 0
    var shown = false

    /// Nil unless stderr is a terminal.
    public static func forTerminal(tool: String) -> ProgressMeter? {
        System.isTerminal(2) ? ProgressMeter(tool: tool) : nil
    }

    init(tool: String) {
        self.tool = tool
        lastShown = Self.now()
    }

    static func now() -> Double { System.monotonicSeconds() }

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
