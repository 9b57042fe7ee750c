import Foundation
import Testing
@testable import TSFMCore

/// Issue #13: no input line can get past validation, kill a run or make a tool allocate without
/// bound. End-to-end checks are the golden cases and Tests/BadInput; these pin the pieces.
@Suite("Reliability: input hygiene")
struct InputHygieneTests {
    func bytes(_ b: [UInt8]) -> Int? { b.withUnsafeBufferPointer { UTF8Check.firstInvalid($0) } }

    @Test func utf8CheckFindsTheFirstBadByte() {
        #expect(bytes(Array("plain ascii that is longer than eight bytes".utf8)) == nil)
        #expect(bytes(Array("é€😀 mixed with ascii text".utf8)) == nil)
        #expect(bytes([0x41, 0xFF]) == 1)
        #expect(bytes(Array("12345678".utf8) + [0xC0, 0xAF]) == 8)  // overlong
        #expect(bytes([0xED, 0xA0, 0x80]) == 0)  // surrogate
        #expect(bytes([0xE2, 0x82]) == 0)  // truncated
        #expect(bytes([0xF4, 0x90, 0x80, 0x80]) == 0)  // above U+10FFFF
        #expect(bytes([0xF4, 0x8F, 0xBF, 0xBF]) == nil)  // U+10FFFF itself
    }

    @Test func recordsRefuseInvalidUTF8AndDuplicateKeys() {
        func reason(_ b: [UInt8]) -> String? {
            do {
                _ = try b.withUnsafeBufferPointer { try Record(line: $0) }
                return nil
            } catch { return "\(error)" }
        }
        #expect(reason(Array(#"{"a":""#.utf8) + [0xFF] + Array(#""}"#.utf8)) == "not valid UTF-8 at byte 7")
        #expect(reason(Array(#"{"a":1,"b":2,"a":3}"#.utf8)) == "field 'a': appears twice")
        #expect(reason(Array(#"{"a":1,"\u0061":3}"#.utf8)) == "field 'a': appears twice")
        // Many keys take the hashed path; still exact.
        let many = (0..<100).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect(reason(Array("{\(many)}".utf8)) == nil)
        #expect(reason(Array("{\(many),\"k57\":1}".utf8)) == "field 'k57': appears twice")
        // Decoded nested objects refuse them too; skipped (pass-through) values do not look.
        #expect((try? JSONValue.parse(#"{"x":{"a":1,"a":2}}"#)) == nil)
        #expect(reason(Array(#"{"x":{"a":1,"a":2}}"#.utf8)) == nil)
    }

    @Test func keyRangeSetIsExactBeyondTheLinearLimit() {
        let text = Array((0..<80).map { "k\($0)" }.joined(separator: " ").utf8)
        text.withUnsafeBufferPointer { line in
            KeyRangeSet.with(line) { set in
                var start = 0
                for i in 0...text.count where i == text.count || text[i] == 0x20 {
                    let added = set.insert(start..<i)
                    #expect(added)
                    start = i + 1
                }
                let first = set.insert(0..<2)  // "k0" again
                let last = set.insert(text.count - 3..<text.count)  // "k79" again
                #expect(!first && !last)
            }
        }
    }

    @Test func onlyTheExactSkipShapeIsAnErrorRecord() throws {
        #expect(try Record(#"{"error":{"file":"f","line":3,"reason":"r"},"input":"x"}"#).isErrorRecord)
        #expect(try Record(#"{"input":"x","error":{"file":"f","line":3,"reason":"r"}}"#).isErrorRecord)
        for text in [#"{"error":{}}"#, #"{"error":{"file":"f","line":3,"reason":"r"}}"#,
                     #"{"error":{"file":"f","line":3,"reason":"r"},"input":"x","y":1}"#,
                     #"{"error":{"file":"f","line":"3","reason":"r"},"input":"x"}"#,
                     #"{"error":{"file":"f","line":3,"reason":"r","more":1},"input":"x"}"#,
                     #"{"error":{"file":"f","line":3,"reason":"r"},"input":5}"#] {
            #expect(try !Record(text).isErrorRecord, "\(text)")
        }
    }

    @Test func nestedObjectsKeepUnownedBytes() throws {
        let record = try Record(#"{"meta":{"a":-0,"b":12345678901234567890,"c":1e400,"w":[]}}"#)
        var meta = try #require(try record.nested("meta"))
        try meta.set("w", .array(["x"]))
        #expect(String(decoding: meta.objectBytes, as: UTF8.self) == #"{"a":-0,"b":12345678901234567890,"c":1e400,"w":["x"]}"#)
        #expect(throws: RecordError.self) { try Record(#"{"meta":5}"#).nested("meta") }
        #expect(try Record(#"{"meta":null}"#).nested("meta") == nil)
    }

    @Test func levelKeysFollowTheJSONNumberGrammarAndRange() {
        #expect(QuantileLevel.parse("0.1") == 0.1)
        #expect(QuantileLevel.parse("1e-05") == 1e-5)
        #expect(QuantileLevel.parse("0.10") == 0.1)
        for bad in ["0x1p-3", " 0.5", "0.5 ", "inf", "nan", "-0.5", ".5", "5e-324", "1", "0", "+0.5", "1e-07"] {
            #expect(QuantileLevel.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func controlCharactersAreEscapedForPeople() {
        #expect(TerminalText.escaped("plain é") == "plain é")
        #expect(TerminalText.escaped("a\u{1b}[2Jb\u{9b}c\u{7f}\n") == "a\\u{1b}[2Jb\\u{9b}c\\u{7f}\\u{a}")
        #expect(CSVText.guarded("=1+1") == "'=1+1")
        #expect(CSVText.guarded("@a") == "'@a")
        #expect(CSVText.guarded("a=b") == "a=b")
    }
}

@Suite("Reliability: caps and ranges")
struct CapsAndRangesTests {
    func request(_ fields: String) -> String? {
        do {
            _ = try ForecastRequest(record: try Record(#"{"market_id":"m","as_of_ts":"2026-11-20T12:00:00Z","y":[0.4,0.5]"# + fields + "}"))
            return nil
        } catch { return "\(error)" }
    }

    @Test func requestLengthsAreCapped() {
        #expect(request(#","horizon_steps":2000"#) == nil)
        #expect(request(#","horizon_steps":2001"#) == "field 'horizon_steps': 2001 is outside 1...2000")
        #expect(request(#","horizon_steps":1000000000000"#) == "field 'horizon_steps': 1000000000000 is outside 1...2000")
        let levels = (1...201).map { String(Double($0) / 202) }.joined(separator: ",")
        #expect(request(#","quantiles":["# + levels + "]") == "field 'quantiles': has 201 levels; the cap is 200")
        #expect(request(#","quantiles":[5e-324,0.5]"#) == "field 'quantiles': level 5e-324 is outside [1e-06, 0.999999]")
        let future = Array(repeating: "0.5", count: 10_001).joined(separator: ",")
        #expect(request(#","y_future":["# + future + "]") == "field 'y_future': has 10001 points; the cap is 10000")
    }

    @Test func transformEpsMustBeANumberInRange() {
        #expect(request(#","transform":{"space":"logit","eps":"0.5"}"#) == "field 'transform.eps': expected a number")
        #expect(request(#","transform":{"space":"logit","eps":true}"#) == "field 'transform.eps': expected a number")
        #expect(request(#","transform":{"space":"logit","eps":5e-324}"#) == "field 'transform.eps': must be in [1e-12, 0.5)")
        #expect(request(#","transform":{"space":"logit","eps":null}"#) == nil)
    }

    @Test func durationsArePlainDecimalsAndBounded() {
        #expect(DurationText.seconds("15m") == 900)
        #expect(DurationText.seconds("1.5h") == 5400)
        #expect(DurationText.seconds("200ms") == 0.2)
        #expect(DurationText.seconds("90") == 90)
        #expect(DurationText.seconds("3660d") == 316_224_000.0)
        for bad in ["3661d", "1e9d", "0x10s", "inf", "nans", "-5m", "+5m", "5.m", ".5m", "", "m"] {
            #expect(DurationText.seconds(bad) == nil, "\(bad)")
        }
        #expect(DurationText.text(3600) == "1h")
        #expect(DurationText.text(0) == "0s")
    }
}

@Suite("Reliability: prep's span rule")
struct SpanRuleTests {
    func read(_ lines: [String], maxSpanDays: Int64 = 366) throws -> (QuoteBook, String) {
        let book = QuoteBook(maxSpanSeconds: maxSpanDays * 86_400)
        let path = try temporaryFile(lines.joined(separator: "\n") + "\n")
        let outPath = path + ".out"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        let handle = FileHandle(forWritingAtPath: outPath)!
        defer { try? handle.close() }
        let sink = OutputSink(fd: handle.fileDescriptor)
        let input = NDJSONInput(paths: [path])
        try book.read(input, stream: RecordStream(input: input, output: sink, onError: .skip))
        try sink.flush()
        return (book, try String(contentsOfFile: outPath, encoding: .utf8))
    }

    @Test func aQuoteFarFromTheOthersIsABadLine() throws {
        let (book, out) = try read([
            #"{"market_id":"a","ts":"2026-11-21T00:00:00Z","price":0.5}"#,
            #"{"market_id":"a","ts":"2226-11-21T00:00:00Z","price":0.5}"#,
            #"{"market_id":"b","ts":"1990-11-21T00:00:00Z","price":0.5}"#,
            #"{"market_id":"b","ts":"2027-11-21T00:00:00Z","price":0.5}"#,
        ])
        #expect(book.quotesRead == 2)
        #expect(book.span == Timestamp("2026-11-21T00:00:00Z")!...Timestamp("2027-11-21T00:00:00Z")!)
        #expect(out.contains(#""line":2,"reason":"field 'ts': 2226-11-21T00:00:00Z is more than --max-span 366d after the earliest quote (2026-11-21T00:00:00Z)""#))
        #expect(out.contains(#""line":3,"reason":"field 'ts': 1990-11-21T00:00:00Z is more than --max-span 366d before the latest quote (2026-11-21T00:00:00Z)""#))
    }
}
