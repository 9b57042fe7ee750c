#if canImport(Glibc)
import Glibc
#endif

/// Reads NDJSON lines from files (or standard input for `-` or no files) in large blocks, with
/// memory bounded by the longest line, which is at most `maxLineBytes`. Blank lines are skipped,
/// a trailing CR is dropped, and a UTF-8 byte-order mark at the start of a file is ignored.
public final class NDJSONInput {
    public let paths: [String]
    let blockSize: Int
    let maxLineBytes: Int

    public static let stdinName = "<stdin>"

    /// The longest line read: 64 MiB. The largest record the contract allows (2,000 steps of
    /// 200 levels, 2,000 values of `y`) is about 8 MB; a longer line is a bad line, so a file
    /// without newlines cannot make a tool hold all of it.
    public static let defaultMaxLineBytes = 64 << 20
    /// How much of an over-long line its error record keeps as `input`.
    public static let keptPrefixBytes = 1024

    public init(paths: [String], blockSize: Int = 1 << 20, maxLineBytes: Int = defaultMaxLineBytes) {
        self.paths = paths.isEmpty ? ["-"] : paths
        self.blockSize = min(blockSize, maxLineBytes + 1)
        self.maxLineBytes = maxLineBytes
    }

    /// What a reader is told of a line longer than `maxLineBytes`: its first bytes (at most
    /// `keptPrefixBytes`), where it is, and its length. The rest of it was never held.
    public struct LongLine: Sendable {
        public let prefix: [UInt8]
        public let location: SourceLocation
        public let length: Int
        public let limit: Int

        public var error: RecordError {
            RecordError("the line is \(length) bytes, longer than the \(FileBytes.sizeText(limit)) limit (its first \(prefix.count) bytes are kept as input)")
        }
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
    /// location. Throwing from `body` stops the reading. A line longer than `maxLineBytes` goes
    /// to `longLine`; without one, it ends the reading with a located data error (65).
    public func forEachLine(longLine: ((LongLine) throws -> Void)? = nil,
                            _ body: (UnsafeBufferPointer<UInt8>, SourceLocation) throws -> Void) throws {
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
            try readLines(fd: fd, name: path == "-" ? Self.stdinName : path, longLine: longLine, body)
        }
    }

    func readLines(fd: Int32, name: String, longLine: ((LongLine) throws -> Void)?,
                   _ body: (UnsafeBufferPointer<UInt8>, SourceLocation) throws -> Void) throws {
        var capacity = blockSize
        var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var filled = 0
        var lineNumber = 0
        var eof = false
        // While skipping an over-long line: its first bytes and its length so far.
        var skipped: (prefix: [UInt8], length: Int)?

        func endLongLine(_ rest: Int) throws {
            lineNumber += 1
            let long = LongLine(prefix: skipped!.prefix, location: SourceLocation(file: name, line: lineNumber),
                                length: skipped!.length + rest, limit: maxLineBytes)
            skipped = nil
            guard let longLine else { throw ToolError.data(long.error, at: long.location) }
            try longLine(long)
        }

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
            if filled == capacity && capacity > maxLineBytes {
                // The whole buffer is one line (lines before it were moved out): too long. Keep
                // its first bytes, and drop the rest up to its newline as it arrives.
                if skipped == nil { skipped = (Array(UnsafeBufferPointer(start: buffer, count: min(filled, Self.keptPrefixBytes))), 0) }
                skipped!.length += filled
                filled = 0
            } else if filled == capacity {
                // A line longer than the buffer: grow it, up to one byte past the longest line.
                let grown = min(capacity * 2, maxLineBytes + 1)
                let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
                bigger.update(from: buffer, count: filled)
                buffer.deallocate()
                buffer = bigger
                capacity = grown
            }
            let n = read(fd, buffer + filled, capacity - filled)
            if n < 0 {
                if errno == EINTR { continue }
                throw ToolError(.ioError, "\(name): read failed: \(System.lastErrorText)")
            }
            if n == 0 { eof = true }
            var scanFrom = filled
            filled += n
            if skipped != nil {
                // The end of an over-long line: its newline, or the end of the file.
                if let hit = memchr(buffer + scanFrom, 0x0A, filled - scanFrom) {
                    let newline = buffer.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    try endLongLine(newline)
                    let rest = filled - newline - 1
                    if rest > 0 { buffer.update(from: buffer + newline + 1, count: rest) }
                    filled = rest
                    scanFrom = 0
                } else if eof {
                    try endLongLine(filled)
                    filled = 0
                    scanFrom = 0
                } else {
                    continue
                }
            }
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
