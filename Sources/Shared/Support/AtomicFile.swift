#if canImport(Glibc)
import Glibc
#endif

/// Files a tool writes besides stdout (parameter files, reports) are never left half-written.
public enum AtomicFile {
    /// Temp file in the target's directory (so rename is atomic), full write, fsync, rename.
    /// `durable: false` skips the fsync, for files whose loss in a crash costs nothing (a cache).
    public static func write(_ bytes: [UInt8], to path: String, durable: Bool = true) throws {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temp = (dir.isEmpty ? "" : dir) + "/.\(base).tmp.\(getpid())"
        func fail(_ what: String) -> ToolError {
            ToolError(.ioError, "cannot write \(path) (\(what)): \(String(cString: strerror(errno)))")
        }
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw fail("create \(temp)") }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                let error = fail("write")
                close(fd)
                unlink(temp)
                throw error
            }
            offset += n
        }
        if durable && fsync(fd) != 0 {
            let error = fail("fsync")
            close(fd)
            unlink(temp)
            throw error
        }
        close(fd)
        if rename(temp, path) != 0 {
            let error = fail("rename")
            unlink(temp)
            throw error
        }
    }
}
