import Foundation
import Testing
@testable import TSFMCore

@Suite("NDJSON reader")
struct ReaderTests {
    @Test func skipsBlankLinesAndKeepsLineNumbers() throws {
        var seen: [Int] = []
        let result = try runStream("{\"a\":1}\n\n   \n{\"a\":2}\n") { _, location in seen.append(location.line) }
        #expect(seen == [1, 4])
        #expect(result.output == "{\"a\":1}\n{\"a\":2}\n")
    }

    @Test func acceptsCRLFAndBOMAndMissingFinalNewline() throws {
        let result = try runStream("\u{FEFF}{\"a\":1}\r\n{\"b\":\"x\"}")
        #expect(result.output == "{\"a\":1}\n{\"b\":\"x\"}\n")
    }

    @Test func linesLongerThanTheBlockAreRead() throws {
        let long = "{\"y\":[" + (0..<5000).map { "0.\($0 % 10)1" }.joined(separator: ",") + "]}"
        let text = long + "\n" + long + "\n{\"z\":1}\n"
        let result = try runStream(text, blockSize: 64)
        #expect(result.output == text)
        #expect(result.totals.records == 3)
    }

    /// A line over the limit is a bad line held to its first bytes, wherever the blocks split
    /// it, with or without a final newline; the lines around it are read as usual.
    @Test func aLineOverTheLimitIsABadLine() throws {
        let long = "{\"y\":[" + String(repeating: "0.5,", count: 600) + "0.5]}"
        for blockSize in [7, 64, 1 << 20] {
            for last in ["{\"z\":2}\n", ""] {
                let text = "{\"a\":1}\n" + long + "\n" + long + "\n{\"b\":1}\n" + (last.isEmpty ? long : last)
                let result = try runStream(text, onError: .skip, blockSize: blockSize, maxLineBytes: 2000)
                let lines = result.output.split(separator: "\n").map(String.init)
                #expect(lines.count == 5, "block \(blockSize)")
                #expect(lines[0] == #"{"a":1}"# && lines[3] == #"{"b":1}"#)
                for (i, lineNumber) in [(1, 2), (2, 3)] + (last.isEmpty ? [(4, 5)] : []) {
                    let record = try Record(lines[i])
                    let error = try #require(try record.value("error")?.object)
                    #expect(error["line"] == .int(lineNumber))
                    #expect(error["reason"]?.string == "the line is \(long.utf8.count) bytes, longer than the 2000-byte limit (its first 1024 bytes are kept as input)")
                    #expect(try record.string("input") == String(long.prefix(1024)))
                }
                #expect(result.totals.badLines == (last.isEmpty ? 3 : 2) && result.totals.records == (last.isEmpty ? 2 : 3))
            }
        }
        // A line of exactly the limit is read.
        let exact = "{\"y\":\"" + String(repeating: "x", count: 2000 - 8) + "\"}"
        #expect(exact.utf8.count == 2000)
        #expect(try runStream(exact + "\n", blockSize: 16, maxLineBytes: 2000).totals.records == 1)
        do {
            _ = try runStream("{}\n" + long + "\n", blockSize: 64, maxLineBytes: 2000)
            Issue.record("an over-long line under --on-error fail must end the run")
        } catch let error as ToolError {
            #expect(error.status == .dataError)
            #expect(error.message.hasSuffix(".ndjson:2: the line is \(long.utf8.count) bytes, longer than the 2000-byte limit (its first 1024 bytes are kept as input)"))
        }
    }

    @Test func notJSONNamesTheLine() {
        #expect(streamFailure("{\"a\":1}\nnot json\n") == "F:2: not valid JSON at column 1: expected a value")
    }

    @Test func truncatedObjectIsNotJSON() {
        #expect(streamFailure("{\"a\":[1,2\n")?.hasPrefix("F:1: not valid JSON") == true)
    }

    @Test func notAnObject() {
        #expect(streamFailure("{}\n[1,2]\n") == "F:2: not a JSON object")
        #expect(streamFailure("\"text\"\n") == "F:1: not a JSON object")
    }

    @Test func trailingGarbage() {
        #expect(streamFailure("{\"a\":1} x\n")?.contains("unexpected text after the value") == true)
    }

    @Test func nanIsRefused() {
        #expect(streamFailure("{\"a\":NaN}\n")?.contains("NaN and Infinity are not JSON numbers") == true)
    }

    @Test func missingAndWrongTypeFields() {
        #expect(streamFailure("{\"a\":1}\n") { r, _ in _ = try r.required("market_id") } == "F:1: field 'market_id': missing (tsfm-prep writes it)")
        #expect(streamFailure("{\"market_id\":3}\n") { r, _ in _ = try r.string("market_id") }
            == "F:1: field 'market_id': expected a string")
        #expect(streamFailure("{\"y\":[0.1,\"x\"]}\n") { r, _ in _ = try r.doubles("y") }
            == "F:1: field 'y': expected an array of numbers")
    }

    /// A pipeline field that is missing names the stage that writes it; a field of the user's
    /// own files (quotes, markets) does not.
    @Test func missingFieldNamesItsProducer() {
        #expect(RecordError.missing("yhat_q").description == "field 'yhat_q': missing (tsfm-forecast writes it)")
        #expect(RecordError.missing("y_future").description == "field 'y_future': missing (tsfm-prep --backtest or tsfm-prep actuals writes it)")
        #expect(RecordError.missing("yhat_q_raw").description == "field 'yhat_q_raw': missing (tsfm-conformal apply writes it)")
        #expect(RecordError.missing("ts").description == "field 'ts': missing")
    }

    @Test func numberOutOfRange() {
        #expect(streamFailure("{\"y\":[0.1,1e999]}\n") { r, _ in _ = try r.doubles("y") }
            == "F:1: field 'y[1]': number out of range")
    }

    @Test func skipWritesErrorRecordsAndGoesOn() throws {
        let result = try runStream("{\"a\":1}\nbad\n{\"a\":2}\n", onError: .skip)
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[1].hasPrefix("{\"error\":{\"file\":"))
        #expect(lines[1].hasSuffix("\"line\":2,\"reason\":\"not valid JSON at column 1: expected a value\"},\"input\":\"bad\"}"))
        #expect(result.totals.badLines == 1)
        #expect(result.totals.records == 2)
    }

    @Test func errorRecordsPassThroughUnchanged() throws {
        let error = "{\"error\":{\"file\":\"a\",\"line\":3,\"reason\":\"r\"},\"input\":\"zz\"}"
        var touched = 0
        let result = try runStream(error + "\n{\"a\":1}\n") { _, _ in touched += 1 }
        #expect(result.output == error + "\n{\"a\":1}\n")
        #expect(result.totals.errorRecordsPassed == 1)
        #expect(touched == 1)
    }

    @Test func missingFileIsStatus66() {
        let input = NDJSONInput(paths: ["/nonexistent/x.ndjson"])
        do {
            try input.forEachLine { _, _ in }
            Issue.record("expected an error")
        } catch let error as ToolError {
            #expect(error.status == .noInput)
            #expect(error.message.hasPrefix("/nonexistent/x.ndjson: cannot open"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

@Suite("Records and JSON")
struct RecordTests {
    @Test func unknownFieldsPassThroughByteForByte() throws {
        let text = #"{"z":{"deep":[1,2.50,{"k":"\u00e9\n"}]},"market_id":"m","n":1.0e3,"s":"a\"b"}"#
        var record = try Record(text)
        try record.set("added", .int(1))
        try record.set("market_id", "m2")
        #expect(record.jsonText == #"{"z":{"deep":[1,2.50,{"k":"\u00e9\n"}]},"market_id":"m2","n":1.0e3,"s":"a\"b","added":1}"#)
    }

    @Test func fieldsDecode() throws {
        let record = try Record(#"{"a":"x\u00e9\ud83d\ude00","b":[1,-2.5e-3,3],"c":{"k":[true,null]},"d":7,"e":null}"#)
        #expect(try record.string("a") == "xé😀")
        #expect(try record.doubles("b") == [1, -0.0025, 3])
        #expect(try record.value("c") == ["k": [true, nil]])
        #expect(try record.int("d") == 7)
        #expect(try record.string("e") == nil)
        #expect(try record.doubles("missing") == nil)
    }

    @Test func numberParsingIsExact() throws {
        let cases = ["0.1", "0.30000000000000004", "1e-06", "123456789.123456789", "2.2250738585072014e-308",
                     "9007199254740993", "0.000001234", "-0.0", "1E+2", "17976931348623157e292"]
        for text in cases {
            let record = try Record("{\"x\":[\(text)]}")
            #expect(try record.doubles("x") == [Double(text)!], "\(text)")
        }
    }

    @Test func writerUsesShortestRoundTripAndNeverNaN() throws {
        var writer = JSONWriter()
        try writer.doubles([0.1, 1.0 / 3.0, 1e-6, 100, 0.5, 1e21])
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "[0.1,0.3333333333333333,1e-06,100.0,0.5,1e+21]")
        #expect(throws: NonFiniteNumber.self) { try writer.double(.nan) }
        #expect(throws: NonFiniteNumber.self) { try writer.double(.infinity) }
    }

    @Test func writerIsDeterministic() throws {
        let value: JSONValue = ["b": 1, "a": [0.25, "x\n\u{1}"], "c": ["z": nil, "y": false]]
        let first = try value.jsonText()
        for _ in 0..<20 { #expect(try value.jsonText() == first) }
        #expect(first == #"{"b":1,"a":[0.25,"x\n\u0001"],"c":{"z":null,"y":false}}"#)
    }

    @Test func integersRoundTrip() throws {
        #expect(try JSONValue.parse("123456789012345678") == .int(123_456_789_012_345_678))
        #expect(try JSONValue.parse("-42").jsonText() == "-42")
    }

    /// The one object loop every reader uses: keys as written, escapes flagged, early stop,
    /// non-objects skipped, broken punctuation named.
    @Test func memberWalk() throws {
        func walk(_ text: String, stopAt stop: String? = nil) throws -> (object: Bool, keys: [String], rest: Int) {
            let bytes = Array(text.utf8)
            return try bytes.withUnsafeBufferPointer { buffer in
                var s = JSONScanner(buffer)
                var keys: [String] = []
                let object = try s.walkMembers { s, key in
                    let name = try s.string(of: key)
                    keys.append((key.escaped ? "escaped:" : "") + name + (s.key(key, is: "b") ? "=b" : ""))
                    _ = try s.skipValue()
                    return name != stop
                }
                return (object, keys, buffer.count - s.position)
            }
        }
        let whole = try walk(#" { "a" : 1 , "b":{"c":[2]}, "\u0062":null } "#)
        #expect(whole.object && whole.keys == ["a", "b=b", "escaped:b"] && whole.rest == 1)
        let stopped = try walk(#"{"a":1,"b":2,"c":3}"#, stopAt: "b")
        #expect(!stopped.object && stopped.keys == ["a", "b=b"] && stopped.rest == 7)
        let array = try walk("[1,2] ")
        #expect(!array.object && array.keys.isEmpty && array.rest == 1)
        #expect(try walk("{}").keys.isEmpty)
        for (text, message) in [("{a:1}", "expected a key string"), (#"{"a":1,}"#, "expected a key string"),
                                (#"{"a" 1}"#, "expected ':'"), (#"{"a":1 "b":2}"#, "expected ',' or '}'"),
                                ("[1,", "expected a value")] {
            #expect(throws: JSONSyntaxError.self, "\(text)") { _ = try walk(text) }
            do { _ = try walk(text) } catch { #expect("\(error)".contains(message), "\(text): \(error)") }
        }
    }

    @Test func quantileBandDecodeSortsByNumericLevel() throws {
        let band = try QuantileBand.decode(JSONValue.parse(#"{"0.9":[3],"0.10":[1],"0.5":[2]}"#), field: "yhat_q")
        #expect(band.levels == [0.1, 0.5, 0.9])
        #expect(band.values == [[1], [2], [3]])
        #expect(String(decoding: try band.encoded(), as: UTF8.self) == #"{"0.1":[1.0],"0.5":[2.0],"0.9":[3.0]}"#)
    }

    @Test func quantileBandRejectsBadShapes() {
        func reason(_ text: String, horizon: Int? = nil) -> String? {
            do {
                _ = try QuantileBand.decode(JSONValue.parse(text), field: "yhat_q", horizon: horizon)
                return nil
            } catch { return "\(error)" }
        }
        #expect(reason(#"{"0.1":[1,2],"0.9":[1]}"#)?.contains("different lengths") == true)
        #expect(reason(#"{"1.5":[1]}"#)?.contains("not a number in [1e-06, 0.999999]") == true)
        #expect(reason(#"{"0.1":[1],"0.10":[2]}"#)?.contains("appears twice") == true)
        #expect(reason(#"{"0.1":[1,2]}"#, horizon: 3)?.contains("horizon_steps is 3") == true)
        #expect(reason(#"{}"#)?.contains("no quantile levels") == true)
    }
}

@Suite("Time")
struct TimeTests {
    @Test func parsesAndFormatsRFC3339() {
        #expect(Timestamp("1970-01-01T00:00:00Z")?.millis == 0)
        #expect(Timestamp("2026-11-24T12:05:00Z")?.rfc3339 == "2026-11-24T12:05:00Z")
        #expect(Timestamp("2026-11-24T12:05:00.250Z")?.rfc3339 == "2026-11-24T12:05:00.250Z")
        #expect(Timestamp("2026-11-24T14:05:00+02:00") == Timestamp("2026-11-24T12:05:00Z"))
        #expect(Timestamp("2024-02-29T23:59:59Z")?.rfc3339 == "2024-02-29T23:59:59Z")
        // Outside 1970...9999 (after the offset) is not a timestamp the tools accept.
        #expect(Timestamp("1969-12-31T23:59:59Z") == nil)
        #expect(Timestamp("0000-01-01T00:00:00+23:59") == nil)
        #expect(Timestamp("1970-01-01T00:30:00+01:00") == nil)
        #expect(Timestamp("9999-12-31T23:59:59Z")?.rfc3339 == "9999-12-31T23:59:59Z")
        #expect(Timestamp("9999-12-31T23:59:59-00:01") == nil)
        #expect(Timestamp("2023-02-29T00:00:00Z") == nil)
        #expect(Timestamp("2026-11-24 12:05") == nil)
        #expect(Timestamp("2026-11-24T12:05:00") == nil)
    }

    @Test func floorsToTheGrid() {
        let t = Timestamp("2026-11-24T12:07:31Z")!
        #expect(t.floored(toMultipleOf: 300).rfc3339 == "2026-11-24T12:05:00Z")
        #expect(t.floored(toMultipleOf: 3600).rfc3339 == "2026-11-24T12:00:00Z")
    }

    @Test func durations() {
        #expect(DurationText.seconds("15m") == 900)
        #expect(DurationText.seconds("200ms") == 0.2)
        #expect(DurationText.seconds("14d") == 1_209_600.0)
        #expect(DurationText.seconds("2.5") == 2.5)
        #expect(DurationText.seconds("x") == nil)
    }
}
