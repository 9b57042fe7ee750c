#if canImport(Glibc)
import Glibc
#endif

/// Files a tool writes besides stdout (parameter files, reports, state, cache entries) are never
/// left half-written, and writing one never harms what was at its path before.
public enum AtomicFile {
    /// Test hook: a signal number the write raises at itself once the temp file is written and
    /// before the rename, to show that an interrupted write leaves nothing behind.
    static let raiseAfterTempVariable = "TSFM_TEST_RAISE_AFTER_TEMP"

    /// A temp file beside the target (so rename is atomic) under an unpredictable name created
    /// with `O_EXCL | O_NOFOLLOW`, full write, fsync, rename. `durable: false` skips the fsync, for
    /// files whose loss in a crash costs nothing (a cache).
    ///
    /// A target that exists and is not a regular file (a device such as /dev/full, a FIFO, a
    /// socket, a directory, or a symlink to one of them) is refused with `ToolError(.cantCreate)`
    /// (exit 73) before anything is created: renaming over it would replace the node itself. A
    /// symlink to a regular file (or a dangling one) is replaced by the new file, as before.
    /// Other failures are `ToolError(.ioError)` (exit 74); the temp file is removed on every
    /// failure and on SIGINT/SIGTERM/SIGHUP.
    public static func write(_ bytes: [UInt8], to path: String, durable: Bool = true) throws {
        try write(bytes, to: path, durable: durable, suffix: TempFile.randomSuffix)
    }

    /// `write` of a JSON object as one line (state files, cache entries).
    public static func write(_ object: JSONObject, to path: String, durable: Bool = true) throws {
        try write(Array((try JSONValue.object(object).jsonText() + "\n").utf8), to: path, durable: durable)
    }

    static func write(_ bytes: [UInt8], to path: String, durable: Bool, suffix: () -> String) throws {
        try checkTarget(path)
        let temp = try TempFile(beside: path, suffix: suffix)
        func fail(_ what: String, _ code: Int32) -> ToolError {
            ToolError(.ioError, "cannot write \(path) (\(what)): \(System.errorText(code))")
        }
        if let code = System.writeAll(temp.fd, bytes) {
            close(temp.fd)
            temp.remove()
            throw fail("write", code)
        }
        if durable && fsync(temp.fd) != 0 {
            let code = errno
            close(temp.fd)
            temp.remove()
            throw fail("fsync", code)
        }
        // close(2) can report a deferred write error (NFS, quotas); the data is then not safe.
        if close(temp.fd) != 0 && errno != EINTR {
            let code = errno
            temp.remove()
            throw fail("close", code)
        }
        if let value = System.environment(raiseAfterTempVariable), let number = Int32(value) {
            raise(number)
        }
        if let code = temp.finish(renamingTo: path) { throw fail("rename", code) }
    }

    /// Throws `ToolError(.cantCreate)` when `path` exists and is not a regular file (following
    /// symlinks). A path that does not exist, or cannot be examined, is left to the write itself.
    /// Tools may call this before long work so a bad target fails at once.
    public static func checkTarget(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        let kind = info.st_mode & S_IFMT
        guard kind != S_IFREG else { return }
        throw ToolError(.cantCreate, "cannot write \(path): it exists and is not a regular file (\(describe(kind))); "
            + "give the path of a regular file or of a new one")
    }

    /// `checkTarget`, and the directory that would hold the temp file must exist and be writable:
    /// what a tool checks before long work (`tsfm-eval --report`, `tsfm-conformal fit --out`), so
    /// a path that cannot be written fails at once (73) instead of after the whole input.
    public static func checkWritable(_ path: String) throws {
        try checkTarget(path)
        let dir = path.lastIndex(of: "/").map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        var info = stat()
        guard stat(dir, &info) == 0 else {
            throw ToolError(.cantCreate, "cannot write \(path): \(dir): \(System.lastErrorText) (create the directory first)")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw ToolError(.cantCreate, "cannot write \(path): \(dir) is not a directory")
        }
        guard access(dir, W_OK) == 0 else {
            throw ToolError(.cantCreate, "cannot write \(path): \(dir): \(System.lastErrorText)")
        }
    }

    /// What a file type is, in words.
    static func describe(_ kind: mode_t) -> String {
        switch kind {
        case S_IFDIR: return "a directory"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "not a regular file"
        }
    }
}
