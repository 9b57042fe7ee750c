import Foundation
import Testing
@testable import TSFMCore
@testable import TSFMCommandLine

@Suite("metrics file: Prometheus text, totals across runs")
struct MetricsFileTests {
    @Test func numbersArePlainShortestDecimals() {
        #expect(NumberText.plain(0) == "0")
        #expect(NumberText.plain(3) == "3")
        #expect(NumberText.plain(0.87) == "0.87")
        #expect(NumberText.plain(317.52) == "317.52")
        #expect(NumberText.plain(1764590700.412) == "1764590700.412")
        #expect(NumberText.plain(0.00001) == "0.00001")
        #expect(NumberText.plain(1.5e-7) == "0.00000015")
        #expect(NumberText.plain(-2.5e-5) == "-0.000025")
        #expect(NumberText.plain(1.25e20) == "125000000000000000000")
        #expect(NumberText.plain(.nan) == "0", "never NaN")
    }

    /// The one 16-digit hex form (alert ids, partial keys, cache keys, temp names).
    @Test func hex16IsZeroPaddedLowercase() {
        #expect(NumberText.hex16(0) == "0000000000000000")
        #expect(NumberText.hex16(0xABC) == "0000000000000abc")
        #expect(NumberText.hex16(.max) == "ffffffffffffffff")
        #expect(UInt64(NumberText.hex16(0x0123_4567_89AB_CDEF), radix: 16) == 0x0123_4567_89AB_CDEF)
    }

    @Test func familiesAndSamplesAreOrderedAsTheContractSays() {
        let m = RunMetrics()
        m.set("tsfm_eval_coverage_by_step_ratio", [("band_source", "baseline"), ("pair", "0.1-0.9"), ("step", "10")], 0.5)
        m.set("tsfm_eval_coverage_by_step_ratio", [("band_source", "baseline"), ("pair", "0.1-0.9"), ("step", "2")], 0.25)
        m.add("tsfm_bad_lines_total", [], 0)
        m.set("tsfm_eval_breach_ratio", [("band_source", "baseline")], nil)
        m.observe("tsfm_tollama_call_duration_seconds", seconds: 0.3)
        m.observe("tsfm_tollama_call_duration_seconds", seconds: 20)
        let text = PrometheusText.render(tool: "tsfm-eval", pipeline: "p", counters: m.counters, gauges: m.gauges, histograms: m.histograms)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "# HELP tsfm_bad_lines_total Input lines rejected as bad (exit 65, or error records with --on-error skip).")
        #expect(!text.contains("tsfm_eval_breach_ratio"), "an undefined value leaves its family out")
        let steps = lines.filter { $0.hasPrefix("tsfm_eval_coverage_by_step_ratio{") }
        #expect(steps == [
            "tsfm_eval_coverage_by_step_ratio{tool=\"tsfm-eval\",pipeline=\"p\",band_source=\"baseline\",pair=\"0.1-0.9\",step=\"2\"} 0.25",
            "tsfm_eval_coverage_by_step_ratio{tool=\"tsfm-eval\",pipeline=\"p\",band_source=\"baseline\",pair=\"0.1-0.9\",step=\"10\"} 0.5",
        ], "step sorts numerically")
        #expect(lines.contains("tsfm_tollama_call_duration_seconds_bucket{tool=\"tsfm-eval\",pipeline=\"p\",le=\"0.25\"} 0"))
        #expect(lines.contains("tsfm_tollama_call_duration_seconds_bucket{tool=\"tsfm-eval\",pipeline=\"p\",le=\"0.3\"} 1"), "a bound is inclusive")
        #expect(lines.contains("tsfm_tollama_call_duration_seconds_bucket{tool=\"tsfm-eval\",pipeline=\"p\",le=\"10\"} 1"))
        #expect(lines.contains("tsfm_tollama_call_duration_seconds_bucket{tool=\"tsfm-eval\",pipeline=\"p\",le=\"+Inf\"} 2"))
        #expect(lines.contains("tsfm_tollama_call_duration_seconds_sum{tool=\"tsfm-eval\",pipeline=\"p\"} 20.3"))
        #expect(text.hasSuffix("\n") && !text.contains("\n\n"))
        let families = lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        #expect(families == families.sorted())
    }

    @Test func countersAddUpAcrossRunsAndSurviveTheirFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tsfm-metrics-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/t.prom"
        var clock: Int64 = 1_000_000
        func run(_ status: TSFMCore.ExitStatus, badLines: Int) throws -> String {
            let r = MetricsRun(path: path, tool: "tsfm-post", pipeline: "cycle", stateDir: dir + "/state", output: nil,
                               logger: .silent(), wallClockMs: { clock })
            r.collect { m, _ in m.add("tsfm_bad_lines_total", [], badLines) }
            r.finish(status: status)
            clock += 300_000
            return try String(contentsOfFile: path, encoding: .utf8)
        }
        _ = try run(.success, badLines: 2)
        let second = try run(.dataError, badLines: 3)
        #expect(second.contains("tsfm_bad_lines_total{tool=\"tsfm-post\",pipeline=\"cycle\"} 5\n"))
        #expect(second.contains("tsfm_runs_total{tool=\"tsfm-post\",pipeline=\"cycle\"} 2\n"))
        #expect(second.contains("tsfm_run_failures_total{tool=\"tsfm-post\",pipeline=\"cycle\"} 1\n"))
        #expect(second.contains("tsfm_last_run_exit_code{tool=\"tsfm-post\",pipeline=\"cycle\"} 65\n"))
        #expect(second.contains("tsfm_last_success_timestamp_seconds{tool=\"tsfm-post\",pipeline=\"cycle\"} 1000\n"), "the failed run keeps the last success")
        #expect(second.contains("tsfm_last_run_timestamp_seconds{tool=\"tsfm-post\",pipeline=\"cycle\"} 1300\n"))
        // A damaged totals file counts as zeros (a counter reset).
        let totals = try FileManager.default.contentsOfDirectory(atPath: dir + "/state/metrics").filter { $0.hasSuffix(".json") }
        #expect(totals.count == 1 && totals[0].count == 21, "16 hex digits + .json")
        try "{not json".write(toFile: dir + "/state/metrics/" + totals[0], atomically: true, encoding: .utf8)
        let third = try run(.success, badLines: 1)
        #expect(third.contains("tsfm_runs_total{tool=\"tsfm-post\",pipeline=\"cycle\"} 1\n"))
    }

    @Test func theConfigFileIsStrict() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tsfm-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try #"{"min_width": 0.1, "retries": 2, "probe_interval": "10s"}"#.write(toFile: dir + "/ok.json", atomically: true, encoding: .utf8)
        #expect(try ToolConfig.load(dir + "/ok.json") == ["min_width": "0.1", "retries": "2", "probe_interval": "10s"])
        try #"{"retries": 1.5}"#.write(toFile: dir + "/type.json", atomically: true, encoding: .utf8)
        #expect(throws: ToolError.self) { try ToolConfig.load(dir + "/type.json") }
        try #"{"modle": "x"}"#.write(toFile: dir + "/key.json", atomically: true, encoding: .utf8)
        do {
            _ = try ToolConfig.load(dir + "/key.json")
            Issue.record("an unknown key must throw")
        } catch let error as ToolError {
            #expect(error.status == .config && error.message.contains("key.json: unknown key 'modle'"))
        }
    }

    @Test func theFileAppliesWhereNoFlagOrEnvironmentDoes() {
        let file = (path: "/etc/c.json", values: ["min_width": "0.1", "max_width": "0.5", "model": "mock"])
        let s = ToolConfig.settings(command: "tsfm-post", arguments: ["--max-width=0.4", "x.ndjson"], file: file)
        #expect(s.first { $0.key == "min_width" } == ToolConfig.Setting(key: "min_width", value: "0.1", source: .file("/etc/c.json")))
        #expect(s.first { $0.key == "max_width" } == ToolConfig.Setting(key: "max_width", value: "0.4", source: .flag))
        #expect(!s.contains { $0.key == "model" }, "tsfm-post takes no --model")
        #expect(ToolConfig.command(tool: "tsfm-forecast", arguments: ["--model", "x"]) == "tsfm-forecast forecast")
        #expect(ToolConfig.command(tool: "tsfm-conformal", arguments: ["apply", "--params", "p"]) == "tsfm-conformal apply")
        #expect(ToolConfig.command(tool: "tsfm-prep", arguments: ["requests"]) == "tsfm-prep")
    }

    @Test func theLicenceGuardRefusesResearchOnlyModelsInProd() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let registry = try ModelRegistry.load(root.appendingPathComponent("ops/models.json").path)
        let prod = LicenceGuard(profile: .prod, registry: registry)
        #expect(throws: Never.self) { try prod.check(model: "chronos2") }
        do {
            try prod.check(model: "moirai-2.0-R-small", at: "r.ndjson:3")
            Issue.record("moirai-2.0-R-small must be refused in prod")
        } catch let error as ToolError {
            #expect(error.status == .config)
            #expect(error.message == "r.ndjson:3: model 'moirai-2.0-R-small' (CC-BY-NC-4.0) is not allowed in production: research-only or non-commercial licence")
        }
        #expect(throws: ToolError.self) { try prod.check(model: "mock") }
        #expect(throws: ToolError.self) { try prod.check(model: "unlisted") }
        #expect(throws: Never.self) { try LicenceGuard(profile: .dev, registry: nil).check(model: "moirai-2.0-R-small") }
    }
}
