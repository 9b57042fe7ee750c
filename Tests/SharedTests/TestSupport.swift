import Foundation
@testable import Shared

/// Writes `text` to a fresh temporary file and returns its path.
func temporaryFile(_ text: String, name: String = "input.ndjson") throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tsfm-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
}

/// Runs a record stream over `text` and returns what it wrote and its totals, or the error it
/// threw. `body` defaults to passing records through.
func runStream(_ text: String, onError: OnErrorPolicy = .fail, blockSize: Int = 1 << 20,
               _ body: (inout Record, SourceLocation) throws -> Void = { _, _ in }) throws -> (output: String, totals: StreamTotals) {
    let path = try temporaryFile(text)
    let outPath = path + ".out"
    FileManager.default.createFile(atPath: outPath, contents: nil)
    let handle = FileHandle(forWritingAtPath: outPath)!
    defer { try? handle.close() }
    let sink = OutputSink(fd: handle.fileDescriptor)
    let stream = RecordStream(input: NDJSONInput(paths: [path], blockSize: blockSize), output: sink, onError: onError)
    try stream.map(body)
    try sink.flush()
    let output = try String(contentsOfFile: outPath, encoding: .utf8)
    return (output, stream.totals)
}

/// The located message a failing stream produces (`FILE:LINE: reason`), with the temp path
/// replaced by `F`.
func streamFailure(_ text: String, _ body: (inout Record, SourceLocation) throws -> Void = { _, _ in }) -> String? {
    do {
        _ = try runStream(text, body)
        return nil
    } catch let error as ToolError {
        guard let colon = error.message.range(of: ".ndjson:") else { return error.message }
        return "F:" + error.message[colon.upperBound...]
    } catch {
        return "\(error)"
    }
}

/// A small deterministic generator for property tests (SplitMix64).
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
