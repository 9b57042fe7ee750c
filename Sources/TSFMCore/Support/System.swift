#if canImport(Glibc)
import Glibc
#endif

/// The operating system calls the tools share, in one place: whole writes to a descriptor, the
/// text of an errno value, the clocks, SIGPIPE, terminals, the environment and file locks. Other
/// files keep only the calls that are theirs alone (open/read/stat of one kind of file). Linux
/// (Glibc) only: Package.swift declares no other platform.
public enum System {
    /// The system's message for an errno value (`strerror`), e.g. "No such file or directory".
    public static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// The message for the current `errno`.
    public static var lastErrorText: String { errorText(errno) }

    /// Writes every byte to `fd`, retrying after EINTR; nil when done, else the errno of the
    /// write that failed (a write that returns 0 counts as EIO).
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        guard let base = bytes.baseAddress else { return nil }
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, base + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if n == 0 { return EIO }
            offset += n
        }
        return nil
    }

    /// Whether a write's errno says the reader went away (EPIPE, once SIGPIPE is ignored).
    public static func isBrokenPipe(_ code: Int32) -> Bool { code == EPIPE }

    /// `writeAll` of an array.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }

    /// Monotonic nanoseconds (latencies, time limits, progress); never written to a record.
    public static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Monotonic seconds.
    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// The wall clock in milliseconds since the epoch.
    public static func wallClockMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// The working directory; nil when it cannot be told (removed, too long).
    public static func currentDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        return getcwd(&buffer, buffer.count) != nil ? String(cString: buffer) : nil
    }

    /// The running executable's path (/proc/self/exe); nil when it cannot be read.
    public static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return n > 0 ? String(cString: buffer) : nil
    }

    /// Whether `path` names something this process may read.
    public static func isReadable(_ path: String) -> Bool { access(path, R_OK) == 0 }

    /// This process's id (temp names, seeds).
    public static var processID: Int32 { getpid() }

    /// Sleeps for `seconds` (retry back-off, polling); a signal may end it early.
    public static func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        var ts = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        nanosleep(&ts, nil)
    }

    /// Makes a write to a closed pipe fail with EPIPE instead of killing the process, so a tool
    /// can end quietly when its reader goes away (`| head`).
    public static func ignoreBrokenPipe() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// Whether `fd` is a terminal.
    public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) != 0 }

    /// An environment variable; nil when unset or empty.
    public static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let s = String(cString: value)
        return s.isEmpty ? nil : s
    }

    /// Runs `body` holding an exclusive `flock` on `path` (created when missing), so processes
    /// sharing a directory take turns. Throws `ToolError(.ioError)` naming the file.
    public static func withExclusiveLock<T>(_ path: String, _ body: () throws -> T) throws -> T {
        // Never through a symlink planted at the name, and only a regular file (a FIFO or a
        // device there is someone else's): the lock file is the state dir's own.
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0o644)
        guard fd >= 0 else {
            let code = errno
            throw ToolError(.ioError, "cannot open \(path): \(code == ELOOP ? "it is a symbolic link" : errorText(code))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw ToolError(.ioError, "cannot lock \(path): not a regular file")
        }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw ToolError(.ioError, "cannot lock \(path): \(lastErrorText)") }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
