/// A buffered writer to a file descriptor (standard output by default). Every write is checked:
/// a closed pipe downstream surfaces as `BrokenPipe`, so a tool stops at once and quietly.
public final class OutputSink {
    public let fd: Int32
    public private(set) var buffer: [UInt8]
    let threshold: Int
    /// Records and lines written, for the metrics file's `tsfm_records_out_total`.
    public private(set) var recordsWritten = 0

    public init(fd: Int32 = 1, threshold: Int = 1 << 16) {
        self.fd = fd
        self.threshold = threshold
        buffer = []
        buffer.reserveCapacity(threshold + (1 << 14))
    }

    /// Writes a record as one line.
    public func write(_ record: Record) throws {
        record.write(into: &buffer)
        recordsWritten += 1
        if buffer.count >= threshold { try flush() }
    }

    /// Writes bytes as they are (the caller supplies the newline).
    public func write<C: Collection>(bytes: C) throws where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
        if buffer.count >= threshold { try flush() }
    }

    public func write(line: String) throws {
        recordsWritten += 1
        buffer.append(contentsOf: line.utf8)
        buffer.append(0x0A)
        if buffer.count >= threshold { try flush() }
    }

    public func flush() throws {
        guard !buffer.isEmpty else { return }
        if let code = System.writeAll(fd, buffer) {
            if System.isBrokenPipe(code) { throw BrokenPipe() }
            throw ToolError(.ioError, "write failed: \(System.errorText(code))")
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
