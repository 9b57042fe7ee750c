/// The `tsfm-gate alerts` stream: reads forecasts, fills in realized paths from `--quotes`
/// where a record has none, and writes alerts as each record is done. Error records from
/// earlier stages pass through unchanged (the evidence stays in the stream); bad lines follow
/// `--on-error` as in every tool.
public final class AlertRun {
    public private(set) var gate: AlertGate
    /// The quotes' histories and prep's y rules, when `--quotes` was given.
    let quotes: (book: QuoteBook, builder: PrepBuilder)?
    /// Records whose realized path was built from `--quotes`.
    public private(set) var joined = 0

    public init(settings: AlertSettings, quotes: (book: QuoteBook, builder: PrepBuilder)? = nil) {
        gate = AlertGate(settings: settings)
        self.quotes = quotes
    }

    /// Reads the quotes of `--quotes` with prep's rules (the same y as `tsfm-prep actuals`).
    /// Bad quote lines follow `onError`, reported through `stream`.
    public static func readQuotes(_ path: String, settings: PrepSettings, stream: RecordStream) throws -> (book: QuoteBook, builder: PrepBuilder) {
        let book = QuoteBook(maxSpanSeconds: Int64(settings.maxSpanSeconds))
        try book.read(NDJSONInput(paths: [path]), stream: stream)
        return (book, PrepBuilder(settings: settings))
    }

    /// Reads the stream's input (the one record loop: `--on-error`, error records, over-long
    /// lines and the common counters are the stream's) and writes each record's alerts.
    public func run(stream: RecordStream) throws {
        var out: [UInt8] = []
        out.reserveCapacity(1 << 12)
        try stream.forEachLine { line, _ in
            out.removeAll(keepingCapacity: true)
            if let errorRecord = try process(line, into: &out) { return .errorRecord(errorRecord) }
            if !out.isEmpty { try stream.output.write(bytes: out) }
            return .used
        }
    }

    /// One line: the fast scan, or the `Record` path for what it cannot judge (which names a
    /// syntax problem, finds an error record, returned to be passed through, or normalises
    /// escaped keys).
    func process(_ line: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) throws -> Record? {
        if UTF8Check.firstInvalid(line) != nil { _ = try Record(line: line) }
        do {
            var f = try GateForecast.scan(line)
            try alerts(&f, line: line, into: &out)
        } catch is GateForecast.NeedsRecord {
            let record = try Record(line: line)
            if record.isErrorRecord { return record }
            var normal: [UInt8] = []
            record.write(into: &normal)
            try normal.withUnsafeBufferPointer { buffer in
                do {
                    var f = try GateForecast.scan(buffer, errorKeyIsData: true)
                    try alerts(&f, line: buffer, into: &out)
                } catch is GateForecast.NeedsRecord {
                    throw RecordError("not a forecast record")
                }
            }
        }
        return nil
    }

    func alerts(_ f: inout GateForecast, line: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) throws {
        if f.yFuture == nil, let quotes, let history = quotes.book.markets[f.marketId] {
            let horizon = try f.horizon ?? GateForecast.band(line, f.yhatQ!, field: FieldName.yhatQ, horizon: nil).horizon
            // The longest path the quotes give, up to horizon + follow-through window, so the
            // alert can say whether the move followed; at least the horizon, or nothing yet.
            let longest = horizon + gate.window(f.freq)
            if let path = quotes.builder.realizedFuture(history, asOf: f.asOf, cadence: f.freq, count: longest)
                ?? quotes.builder.realizedFuture(history, asOf: f.asOf, cadence: f.freq, count: horizon) {
                f.yFuture = path
                joined += 1
            }
        }
        try gate.process(f, line: line, into: &out)
    }
}
