#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A file created under an unpredictable name beside its final path, for `AtomicFile` to fill and
/// rename. Creation uses `O_CREAT | O_EXCL | O_NOFOLLOW`, so nothing planted at the name (a
/// symlink, a FIFO, another file) is ever opened, followed or truncated: such a name is skipped
/// and another one drawn. Until `finish` or `discard`, the path is registered for removal if
/// SIGINT, SIGTERM or SIGHUP ends the process (see `TempFileCleanup`); the caller ends every
/// temp file with exactly one of them.
struct TempFile {
    let fd: Int32
    let path: String
    let slot: Int?

    /// Names drawn before giving up: a clash of 64 random bits is already unheard of, so several
    /// in a row mean someone is creating every name we try.
    static let attempts = 16

    /// A fresh temp file in the directory of `target`. `suffix` draws the random part of the name
    /// (tests inject it). Throws `ToolError(.ioError)`.
    init(beside target: String, suffix: () -> String = TempFile.randomSuffix) throws {
        let slash = target.lastIndex(of: "/")
        let dir = slash.map { String(target[...$0]) } ?? ""
        let base = slash.map { String(target[target.index(after: $0)...]) } ?? target
        var lastError: Int32 = EEXIST
        for _ in 0..<Self.attempts {
            // Leading dot: hidden from `ls` and from the cache's prune (which wants `*.json`).
            let candidate = "\(dir).\(base).\(suffix()).tmp"
            let slot = TempFileCleanup.claim(candidate)
            let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            if fd >= 0 {
                if let slot { TempFileCleanup.arm(slot) }
                self.fd = fd
                path = candidate
                self.slot = slot
                return
            }
            lastError = errno
            if let slot { TempFileCleanup.release(slot) }
            if lastError != EEXIST && lastError != EINTR { break }
        }
        throw ToolError(.ioError, "cannot write \(target) (create a temporary file in \(dir.isEmpty ? "." : dir)): "
            + (lastError == EEXIST ? "\(Self.attempts) names in a row were taken" : System.errorText(lastError)))
    }

    /// 64 random bits as 16 hex digits, from the system's generator (getrandom(2)).
    static func randomSuffix() -> String {
        var generator = SystemRandomNumberGenerator()
        return NumberText.hex16(generator.next())
    }

    /// Renames the written file over `target`; on failure the temp file is removed.
    /// Returns the rename's errno, or nil when it succeeded.
    func finish(renamingTo target: String) -> Int32? {
        if rename(path, target) != 0 {
            let error = errno
            remove()
            return error
        }
        if let slot { TempFileCleanup.release(slot) }
        return nil
    }

    /// Removes the temp file (after a failed write).
    func remove() {
        unlink(path)
        if let slot { TempFileCleanup.release(slot) }
    }
}

/// The temp files in flight, removed by a handler for SIGINT, SIGTERM and SIGHUP before the
/// signal takes its default course (the process still ends by the signal, with status 128+n).
///
/// A signal handler may only touch memory and call async-signal-safe functions (unlink, signal,
/// raise), so the paths live in storage allocated once, and two atomic bit masks say which slots
/// are taken (`claimed`) and which hold a created file (`live`). The handler is installed, once,
/// only for signals whose disposition is still the default: a tool or a shell that ignores SIGHUP
/// (`nohup`) or handles a signal itself keeps that behaviour.
enum TempFileCleanup {
    static let slots = 64
    static let pathCapacity = 4096
    static let claimed = Atomic<UInt64>(0)
    static let live = Atomic<UInt64>(0)
    nonisolated(unsafe) static let storage: UnsafeMutablePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: slots * pathCapacity)
        p.initialize(repeating: 0, count: slots * pathCapacity)
        return p
    }()
    static let installed = Atomic<Bool>(false)
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Takes a free slot and stores `path` in it; nil when all are taken or the path is too long
    /// (the file is then still removed on every error path, just not on a signal).
    static func claim(_ path: String) -> Int? {
        installHandlers()
        let bytes = Array(path.utf8)
        guard bytes.count < pathCapacity, !bytes.contains(0) else { return nil }
        var mask = claimed.load(ordering: .relaxed)
        while true {
            guard mask != UInt64.max else { return nil }
            let slot = (~mask).trailingZeroBitCount
            let (exchanged, original) = claimed.compareExchange(expected: mask, desired: mask | (1 << UInt64(slot)),
                                                                ordering: .acquiringAndReleasing)
            if exchanged {
                let start = storage + slot * pathCapacity
                bytes.withUnsafeBufferPointer { b in
                    b.withMemoryRebound(to: CChar.self) { start.update(from: $0.baseAddress!, count: b.count) }
                }
                start[bytes.count] = 0
                return slot
            }
            mask = original
        }
    }

    /// The slot's file exists now: a signal from here on removes it.
    static func arm(_ slot: Int) {
        live.bitwiseOr(1 << UInt64(slot), ordering: .releasing)
    }

    static func release(_ slot: Int) {
        live.bitwiseAnd(~(1 << UInt64(slot)), ordering: .releasing)
        claimed.bitwiseAnd(~(1 << UInt64(slot)), ordering: .releasing)
    }

    static func installHandlers() {
        guard !installed.load(ordering: .acquiring) else { return }
        guard installed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        // Initialised here, never lazily inside the handler.
        _ = storage
        _ = live.load(ordering: .relaxed)
        for sig in signals {
            let previous = signal(sig, removeTempFilesAndRaise)
            // SIG_DFL is the null handler; anything else was chosen by someone: put it back.
            if unsafeBitCast(previous, to: Int.self) != 0 { signal(sig, previous) }
        }
    }

    /// Removes every live temp file (the other half of a write cannot happen now).
    static func removeLive() {
        var mask = live.load(ordering: .acquiring)
        while mask != 0 {
            let slot = mask.trailingZeroBitCount
            unlink(storage + slot * pathCapacity)
            mask &= mask - 1
        }
    }
}

private let removeTempFilesAndRaise: @convention(c) (Int32) -> Void = { sig in
    TempFileCleanup.removeLive()
    signal(sig, SIG_DFL)
    raise(sig)
}
