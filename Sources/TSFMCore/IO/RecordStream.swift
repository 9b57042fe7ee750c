/// What a tool does with a line it cannot use.
public enum OnErrorPolicy: String, CaseIterable, Sendable {
    /// Stop at the first bad line: `FILE:LINE: reason` on stderr, exit 65.
    case fail
    /// Write an error record for the bad line, go on, and exit 65 at the end.
    case skip
}

/// Counts every stream keeps, for `--summary` and the exit status.
public struct StreamTotals: Sendable, Equatable {
    /// Records read and handed to the tool.
    public var records = 0
    /// Error records from an earlier stage, passed through unchanged.
    public var errorRecordsPassed = 0
    /// Bad lines written as error records under `--on-error skip`.
    public var badLines = 0

    public init() {}

    public init(records: Int, errorRecordsPassed: Int, badLines: Int) {
        self.records = records
        self.errorRecordsPassed = errorRecordsPassed
        self.badLines = badLines
    }
}

/// The loop every tool runs: read records, hand each good one to the tool, pass error records
/// through, and treat bad lines by the `--on-error` policy, so that nothing is lost silently.
public final class RecordStream {
    public let input: NDJSONInput
    public let output: OutputSink
    public let onError: OnErrorPolicy
    public private(set) var totals = StreamTotals()
    let progress: ProgressMeter?
    /// Whether error records (passed through, or written for bad lines) go to the output. A
    /// shard other than the first (`tsfm-prep --shard`) counts them but leaves writing them to
    /// shard 1, so the union of the shards holds each exactly once.
    public var writesErrorRecords = true

    /// What the stream writes of its own accord, in input order: an error record passed
    /// through, or a bad line (which `emit` turns into an error record or a located error).
    public enum Output {
        case record(Record)
        /// A line written as it was read (an error record a fast reader did not decode).
        case line([UInt8])
        case rejected([UInt8], SourceLocation, RecordError)
    }

    /// Set by a tool that holds records back (tsfm-forecast, while a batch is out): the stream
    /// hands its own writes here instead of writing them, and the tool passes each to `emit`
    /// when its turn in the output comes. Nil: they are written at once.
    public var deferWrites: ((Output) throws -> Void)?

    public init(input: NDJSONInput, output: OutputSink, onError: OnErrorPolicy, progress: ProgressMeter? = nil) {
        self.input = input
        self.output = output
        self.onError = onError
        self.progress = progress
    }

    /// What a line turned out to be, for `forEachLine`.
    public enum Line {
        /// A line the tool used (or counted itself).
        case used
        /// An error record from an earlier stage: counted, and passed to the output as the
        /// record (re-written compactly) or, nil, as the line's bytes.
        case errorRecord(Record?)
        /// An error record in a side input (`--markets`): not this output's to carry.
        case ignored
    }

    /// The loop under every reader: hands each line of `input` (the stream's own by default, or
    /// a side input read under the same policy and totals) to `body`, which parses it its own
    /// way and says what it was. A `RecordError` thrown by `body` is the line's fault: it stops
    /// the run (`fail`) or becomes an error record (`skip`).
    public func forEachLine(in input: NDJSONInput? = nil,
                            _ body: (UnsafeBufferPointer<UInt8>, SourceLocation) throws -> Line) throws {
        let longLine = { (long: NDJSONInput.LongLine) throws in
            self.progress?.tick()
            try long.prefix.withUnsafeBufferPointer { try self.reject($0, at: long.location, long.error) }
        }
        try (input ?? self.input).forEachLine(longLine: longLine) { bytes, location in
            progress?.tick()
            do {
                switch try body(bytes, location) {
                case .used, .ignored:
                    break
                case .errorRecord(let record):
                    totals.errorRecordsPassed += 1
                    if writesErrorRecords { try pass(record.map(Output.record) ?? .line(Array(bytes))) }
                }
            } catch let error as RecordError {
                try reject(bytes, at: location, error)
            }
        }
        progress?.finish()
    }

    /// Calls `body` for each good record. A `RecordError` thrown by `body` (or found while
    /// scanning the line) is the line's fault: it stops the run (`fail`) or becomes an error
    /// record (`skip`). Error records from earlier stages go straight to the output.
    public func forEach(_ body: (inout Record, SourceLocation) throws -> Void) throws {
        try forEachLine { bytes, location in
            var record = try Record(line: bytes)
            if record.isErrorRecord { return .errorRecord(record) }
            totals.records += 1
            try body(&record, location)
            return .used
        }
    }

    /// Counts a record a tool read through `forEachLine` with a parser of its own.
    public func countRecord() { totals.records += 1 }

    /// Runs a one-in, one-out transform and writes each record when it is done.
    public func map(_ transform: (inout Record, SourceLocation) throws -> Void) throws {
        try forEach { record, location in
            try transform(&record, location)
            try output.write(record)
        }
    }

    /// Handles a bad line by the policy: throws a located `ToolError` (fail) or writes an error
    /// record `{"error":{"file","line","reason"},"input":"<line>"}` (skip).
    public func reject(_ bytes: UnsafeBufferPointer<UInt8>, at location: SourceLocation, _ error: RecordError) throws {
        if deferWrites != nil {
            try pass(.rejected(Array(bytes), location, error))
            return
        }
        switch onError {
        case .fail:
            throw ToolError.data(error, at: location)
        case .skip:
            totals.badLines += 1
            if writesErrorRecords { try output.write(Self.errorRecord(line: bytes, at: location, error)) }
        }
    }

    func pass(_ entry: Output) throws {
        if let deferWrites { try deferWrites(entry) } else { try emit(entry) }
    }

    /// Writes a record, or treats a bad line by the policy (`reject`), now.
    public func emit(_ entry: Output) throws {
        switch entry {
        case .record(let record):
            try output.write(record)
        case .line(let bytes):
            try output.write(bytes: bytes)
            try output.write(bytes: [0x0A])
        case .rejected(let bytes, let location, let error):
            let deferred = deferWrites
            deferWrites = nil
            defer { deferWrites = deferred }
            try bytes.withUnsafeBufferPointer { try reject($0, at: location, error) }
        }
    }

    public static func errorRecord(line: UnsafeBufferPointer<UInt8>, at location: SourceLocation, _ error: RecordError) -> Record {
        var record = Record()
        let detail: JSONValue = [
            "file": .string(location.file), "line": .int(location.line), "reason": .string(error.description),
        ]
        try? record.set(FieldName.error, detail)
        try? record.set(FieldName.input, .string(String(decoding: line, as: UTF8.self)))
        return record
    }

    /// The exit status the stream's outcome calls for: 65 when any line was bad.
    public var exitStatus: ExitStatus { totals.badLines > 0 ? .dataError : .success }
}
