#if canImport(Glibc)
import Glibc
#endif

/// Reads NDJSON lines from files (or standard input for `-` or no files) in large blocks, with
/// memory bounded by the longest line. Blank lines are skipped, a trailing CR is dropped, and a
/// UTF-8 byte-order mark at the start of a file is ignored.
public final class NDJSONInput {
    public let paths: [String]
    let blockSize: Int

    public static let stdinName = "<stdin>"

    public init(paths: [String], blockSize: Int = 1 << 20) {
        self.paths = paths.isEmpty ? ["-"] : paths
        self.blockSize = blockSize
    }

    /// Fails with status 66 naming the first input that cannot be opened or is a directory,
    /// before any output.
    public func checkReadable() throws {
        for path in paths where path != "-" {
            guard access(path, R_OK) == 0 else {
                throw ToolError(.noInput, "\(path): cannot open: \(System.lastErrorText)")
            }
            var info = stat()
            if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
                throw ToolError(.noInput, "\(path): cannot read: Is a directory")
            }
        }
    }

    /// Calls `body` with each non-blank line (a buffer valid only during the call) and its
    /// location. Throwing from `body` stops the reading.
    public func forEachLine(_ body: (UnsafeBufferPointer<UInt8>, SourceLocation) throws -> Void) throws {
        try checkReadable()
        for path in paths {
            let fd: Int32
            if path == "-" {
                fd = 0
            } else {
                fd = open(path, O_RDONLY)
                guard fd >= 0 else {
                    throw ToolError(.noInput, "\(path): cannot open: \(System.lastErrorText)")
                }
            }
            defer { if fd != 0 { close(fd) } }
            try readLines(fd: fd, name: path == "-" ? Self.stdinName : path, body)
        }
    }

    func readLines(fd: Int32, name: String, _ body: (UnsafeBufferPointer<UInt8>, SourceLocation) throws -> Void) throws {
        var capacity = blockSize
        var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var filled = 0
        var lineNumber = 0
        var eof = false

        func emit(_ start: Int, _ end: Int) throws {
            lineNumber += 1
            var s = start
            var e = end
            if e > s && buffer[e - 1] == 0x0D { e -= 1 }
            if lineNumber == 1 && e - s >= 3 && buffer[s] == 0xEF && buffer[s + 1] == 0xBB && buffer[s + 2] == 0xBF {
                s += 3
            }
            var blank = true
            var i = s
            while i < e {
                let c = buffer[i]
                if c != 0x20 && c != 0x09 && c != 0x0D {
                    blank = false
                    break
                }
                i += 1
            }
            if blank { return }
            try body(UnsafeBufferPointer(start: buffer + s, count: e - s), SourceLocation(file: name, line: lineNumber))
        }

        while !eof {
            if filled == capacity {
                // A line longer than the buffer: grow it.
                let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
                bigger.update(from: buffer, count: filled)
                buffer.deallocate()
                buffer = bigger
                capacity *= 2
            }
            let n = read(fd, buffer + filled, capacity - filled)
            if n < 0 {
                if errno == EINTR { continue }
                throw ToolError(.ioError, "\(name): read failed: \(System.lastErrorText)")
            }
            if n == 0 { eof = true }
            let scanFrom = filled
            filled += n
            var lineStart = 0
            var cursor = scanFrom
            while cursor < filled {
                guard let hit = memchr(buffer + cursor, 0x0A, filled - cursor) else { break }
                let newline = buffer.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                try emit(lineStart, newline)
                lineStart = newline + 1
                cursor = lineStart
            }
            if eof {
                if lineStart < filled { try emit(lineStart, filled) }
            } else if lineStart > 0 {
                let rest = filled - lineStart
                if rest > 0 { (buffer).update(from: buffer + lineStart, count: rest) }
                filled = rest
            }
        }
    }
}
