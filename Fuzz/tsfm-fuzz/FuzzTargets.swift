#if canImport(Glibc)
import Glibc
#endif
import TSFMCore

// libFuzzer targets for the parsers of untrusted input, one binary for all of them (one
// sanitizer build instead of eight). `FUZZ_TARGET` picks the parser; Fuzz/run.sh sets it, and
// a crasher is replayed with `FUZZ_TARGET=json .build-fuzz/debug/tsfm-fuzz crash-…`.
//
// A target fails (traps, so libFuzzer saves the input) on a crash of the code under test and on
// a broken property that every input must keep; a thrown error is the parser doing its job.

enum Target: String, CaseIterable {
    /// NDJSONInput: the same lines whatever the block size (a line crossing blocks, CR, BOM).
    case ndjson
    /// JSONScanner / JSONValue: parse, skip, and a stable re-serialisation.
    case json
    /// tsfm-prep's quote line parser and market metadata decoder.
    case quote
    /// tsfm-forecast's request decoder.
    case request
    /// tsfm-post: band decoding and repair; an accepted record leaves with a safe band.
    case post
    /// tsfm-conformal apply with the fixture parameters: band decoding and adjustment.
    case apply
    /// tsfm-eval: the fast byte scan, and the Record path it falls back to.
    case eval
    /// Conformal parameter files.
    case params
}

nonisolated(unsafe) var selected: Target?
nonisolated(unsafe) var applier: ConformalApplier?

func fuzzFailure(_ message: String) -> Never {
    fputs("tsfm-fuzz: \(message)\n", stderr)
    abort()
}

func target() -> Target {
    if let selected { return selected }
    guard let name = getenv("FUZZ_TARGET").map({ String(cString: $0) }), let t = Target(rawValue: name) else {
        fuzzFailure("set FUZZ_TARGET to one of: \(Target.allCases.map(\.rawValue).joined(separator: " "))")
    }
    if t == .apply {
        // The fixture lives beside the corpora; FUZZ_PARAMS overrides it.
        let path = getenv("FUZZ_PARAMS").map { String(cString: $0) } ?? "Tests/Fuzz/apply-params.json"
        do { applier = ConformalApplier(parameters: try ParameterStore.load(path)) } catch { fuzzFailure("cannot load \(path): \(error)") }
    }
    selected = t
    return t
}

/// The lines NDJSONInput yields for `bytes` read in blocks of `blockSize`, through a pipe (which
/// also gives the reader short reads). Inputs fit in the pipe's 64 KiB buffer (-max_len).
func lines(of bytes: UnsafeBufferPointer<UInt8>, blockSize: Int, maxLineBytes: Int = NDJSONInput.defaultMaxLineBytes) -> [[UInt8]] {
    var ends: [Int32] = [0, 0]
    guard pipe(&ends) == 0 else { fuzzFailure("pipe: \(String(cString: strerror(errno)))") }
    defer { close(ends[0]) }
    var offset = 0
    while offset < bytes.count {
        let n = write(ends[1], bytes.baseAddress! + offset, bytes.count - offset)
        guard n > 0 else { fuzzFailure("write to the pipe failed") }
        offset += n
    }
    close(ends[1])
    var out: [[UInt8]] = []
    do {
        // An over-long line comes out as "#LONG <line> <length>" followed by its kept prefix.
        let input = NDJSONInput(paths: ["/proc/self/fd/\(ends[0])"], blockSize: blockSize, maxLineBytes: maxLineBytes)
        try input.forEachLine(longLine: { long in
            guard long.length > maxLineBytes, long.prefix.count <= max(NDJSONInput.keptPrefixBytes, maxLineBytes + 1) else {
                fuzzFailure("a long line of \(long.length) bytes (limit \(maxLineBytes)) kept \(long.prefix.count)")
            }
            out.append(Array("#LONG \(long.location.line) \(long.length) ".utf8) + long.prefix)
        }) { line, _ in
            if line.count > maxLineBytes { fuzzFailure("a line of \(line.count) bytes passed the \(maxLineBytes)-byte limit") }
            out.append(Array(line))
        }
    } catch {
        fuzzFailure("NDJSONInput failed on a readable pipe: \(error)")
    }
    return out
}

func checkSafeBand(_ record: Record) {
    guard let band = try? QuantileBand.decode(from: record, field: "yhat_q") else {
        fuzzFailure("tsfm-post accepted a record but its output band does not decode: \(record.jsonText)")
    }
    for row in band.values {
        for v in row where !(v >= 0 && v <= 1) { fuzzFailure("tsfm-post output \(v) outside [0, 1]: \(record.jsonText)") }
    }
    for h in 0..<(band.values.first?.count ?? 0) {
        for i in 1..<max(1, band.values.count) where band.values[i][h] < band.values[i - 1][h] {
            fuzzFailure("tsfm-post output crosses at step \(h + 1): \(record.jsonText)")
        }
    }
}

// Exported under libFuzzer's name too: its runtime is linked whole and refers to it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: size == 0 ? nil : data, count: size)
    switch target() {
    case .ndjson:
        guard size <= 60_000 else { return 0 }
        let small = lines(of: bytes, blockSize: 7)
        let large = lines(of: bytes, blockSize: 1 << 16)
        if small != large { fuzzFailure("NDJSONInput yields different lines for block sizes 7 and 65536") }
        // With a 40-byte limit, the same lines and over-long-line reports whatever the blocks.
        if lines(of: bytes, blockSize: 3, maxLineBytes: 40) != lines(of: bytes, blockSize: 1 << 16, maxLineBytes: 40) {
            fuzzFailure("NDJSONInput treats over-long lines differently for block sizes 3 and 65536")
        }
        for line in small { _ = line.withUnsafeBufferPointer { try? Record(line: $0) } }
    case .json:
        var scanner = JSONScanner(bytes)
        if let value = try? scanner.parseValue(), (try? scanner.expectEnd()) != nil {
            // Writing what was read, then reading and writing that, must give the same text.
            if let first = try? value.jsonText() {
                guard let again = try? JSONValue.parse(first), let second = try? again.jsonText() else {
                    fuzzFailure("JSONValue wrote text it cannot read back: \(first)")
                }
                if first != second { fuzzFailure("JSONValue's text is not stable: \(first) then \(second)") }
            }
        }
        var skipper = JSONScanner(bytes)
        _ = try? skipper.skipValue()
        var arrays = JSONScanner(bytes)
        _ = try? arrays.parseDoubleArray()
    case .quote:
        _ = try? QuoteParser.parse(bytes)
        if let record = try? Record(line: bytes) { _ = try? MarketMetadata.decode(record) }
    case .request:
        if let record = try? Record(line: bytes) { _ = try? ForecastRequest(record: record) }
    case .post:
        if var record = try? Record(line: bytes) {
            var post = PostProcessor()
            if (try? post.process(&record)) != nil {
                var out: [UInt8] = []
                record.write(into: &out)
                guard let written = out.withUnsafeBufferPointer({ try? Record(line: $0) }) else {
                    fuzzFailure("tsfm-post wrote a line it cannot read back: \(String(decoding: out, as: UTF8.self))")
                }
                checkSafeBand(written)
            }
        }
    case .apply:
        if var record = try? Record(line: bytes) {
            _ = try? applier!.process(&record)
            var out: [UInt8] = []
            record.write(into: &out)
        }
    case .eval:
        _ = ScoredForecast.scanKey(bytes)
        let fast = ScoredForecast.scan(bytes)
        _ = try? ScoredForecast.read(line: bytes)
        // The fast scan must agree with the Record path whenever it decides on its own.
        if case .forecast(let f) = fast, let record = try? Record(line: bytes), let slow = try? ScoredForecast(record: record) {
            if f.marketId != slow.marketId || f.horizon != slow.horizon || f.band != slow.band || f.yFuture != slow.yFuture
                || f.bandSource != slow.bandSource || f.target != slow.target {
                fuzzFailure("eval's fast scan and its Record path disagree")
            }
        }
    case .params:
        _ = try? ParameterFile.decode(Array(bytes))
    }
    return 0
}
