#if canImport(Glibc)
import Glibc
#endif

/// Small whole files (parameter files, state files, cache entries), read in one go, and only
/// when they are regular files of bounded size: a FIFO would block the read forever and a device
/// such as /dev/zero would never end, so both are refused at once, as is a file over the limit.
public enum FileBytes {
    /// The largest file read: 64 MiB. A parameter file of every segment combination at a
    /// 2,000-step horizon is a few MB; state files and cache entries are kilobytes.
    public static let defaultLimit = 64 << 20

    /// Why a file could not be read: the system's message (`strerror`) or the rule it broke.
    public struct ReadError: Error, CustomStringConvertible {
        public let reason: String
        /// The file does not exist (ENOENT): for state that may not have been recorded yet.
        public var isMissing = false
        public var description: String { reason }
    }

    /// The file's bytes. The file is opened with `O_NONBLOCK` (opening a FIFO does not wait for
    /// a writer) and checked with fstat(2) on the open descriptor (no race with a rename): it
    /// must be a regular file of at most `limit` bytes, and it is read no further than that even
    /// if it grows meanwhile. `followSymlinks: false` refuses a symlink (`O_NOFOLLOW`), for files
    /// a tool keeps in its own directories.
    public static func read(_ path: String, limit: Int = defaultLimit, followSymlinks: Bool = true) throws(ReadError) -> [UInt8] {
        let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (followSymlinks ? 0 : O_NOFOLLOW)
        let fd = open(path, flags)
        guard fd >= 0 else {
            let code = errno
            if code == ELOOP && !followSymlinks { throw ReadError(reason: "is a symbolic link") }
            throw ReadError(reason: System.errorText(code), isMissing: code == ENOENT)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ReadError(reason: System.lastErrorText) }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG else {
            throw ReadError(reason: "not a regular file (\(AtomicFile.describe(kind)))")
        }
        guard Int(info.st_size) <= limit else {
            throw ReadError(reason: "larger than the \(sizeText(limit)) limit (\(info.st_size) bytes)")
        }
        var out = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        // One byte of room past the limit tells a file that grew beyond it from one that did not.
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n: Int
            if filled < out.count {
                n = out.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
                if n > 0 { filled += n; continue }
            } else {
                n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, min($0.count, limit + 1 - filled)) }
                if n > 0 {
                    out.append(contentsOf: chunk[0..<n])
                    filled += n
                    if filled > limit { throw ReadError(reason: "larger than the \(sizeText(limit)) limit (it grew while read)") }
                    continue
                }
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw ReadError(reason: System.lastErrorText)
            }
            // End of file (it may have shrunk since fstat).
            if filled < out.count { out.removeSubrange(filled...) }
            return out
        }
    }

    static func sizeText(_ bytes: Int) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes)-byte"
    }
}
