import Foundation
@testable import TSFMCore

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
               maxLineBytes: Int = NDJSONInput.defaultMaxLineBytes, _ body: (inout Record, SourceLocation) throws -> Void = { _, _ in }) throws -> (output: String, totals: StreamTotals) {
    let path = try temporaryFile(text)
    let outPath = path + ".out"
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    let handle = FileHandle(forWritingAtPath: outPath)!
    defer { try? handle.close() }
    let sink = OutputSink(fd: handle.fileDescriptor)
    let stream = RecordStream(input: NDJSONInput(paths: [path], blockSize: blockSize, maxLineBytes: maxLineBytes), output: sink, onError: onError)
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

/// Property tests use the shared seeded generator.
typealias SeededRandom = SplitMix64
