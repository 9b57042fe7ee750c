import Foundation
import Testing
@testable import TollamaClient
@testable import TSFMCore

/// The repository root, from this file's path.
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The stand-in daemon (Tests/Support/tollama_standin.py) on a free port, for one test.
final class StandIn {
    let process = Process()
    let port: Int
    let log: String

    init(_ flags: [String] = []) throws {
        log = FileManager.default.temporaryDirectory.appendingPathComponent("standin-\(UUID().uuidString).log").path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", repoRoot.appendingPathComponent("Tests/Support/tollama_standin.py").path, "--log", log] + flags
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: log)
    }

    /// Ends it now (its port can then be taken by another stand-in: the same daemon URL).
    func stop() {
        guard !stopped else { return }
        stopped = true
        // SIGKILL: the runner's threads block SIGTERM, and a child inherits that mask.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    private var stopped = false

    var url: String { "http://127.0.0.1:\(port)" }

    /// The requests it saw (method, path, headers).
    var requests: [[String: Any]] {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    var forecastCalls: [[String: Any]] { requests.filter { ($0["path"] as? String)?.hasSuffix("/forecast") == true } }
}

struct ToolRun {
    var stdout: String
    var stderr: String
    var status: Int32

    /// Each output line's meta.
    var metas: [JSONObject] { stdout.split(separator: "\n").compactMap { try? Record(String($0)).object(FieldName.meta) ?? nil } }
    var reasons: [String?] { metas.map { $0[MetaKey.fallbackReason]?.string } }
    var runtimes: [String?] { metas.map { $0[MetaKey.runtime]?.string } }
}

/// Runs the built tsfm-forecast with `args` from the repository root, without the caller's
/// tollama environment (plus `env`).
func runTool(_ args: [String], env: [String: String] = [:]) throws -> ToolRun {
    let p = Process()
    p.executableURL = repoRoot.appendingPathComponent(".build/debug/tsfm-forecast")
    p.currentDirectoryURL = repoRoot
    p.arguments = args
    var environment = ProcessInfo.processInfo.environment
    environment.removeValue(forKey: "TOLLAMA_API_KEY")
    environment.removeValue(forKey: "TOLLAMA_BASE_URL")
    for (k, v) in env { environment[k] = v }
    p.environment = environment
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return ToolRun(stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self), status: p.terminationStatus)
}

/// A deterministic forecast run with its own state dir (unless given one).
func runForecast(_ args: [String], env: [String: String] = [:], stateDir: String? = nil,
                 input: String = "examples/requests.ndjson") throws -> ToolRun {
    let state = stateDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("tsfm-state-\(UUID().uuidString)").path
    return try runTool(["--deterministic", "--state-dir", state, "--log-format", "text"] + args + [input], env: env)
}

/// examples/requests.ndjson: which lines the policy sends to the model in auto mode.
let eligibleLines = [0, 5, 6, 7, 8, 9, 11]

@Suite("tollama client against the stand-in daemon", .serialized)
struct TollamaTests {
    @Test func mockModelServesEligibleRequests() throws {
        let daemon = try StandIn()
        let run = try runForecast(["--tollama-url", daemon.url, "--model", "mock"])
        #expect(run.status == 0)
        #expect(run.metas.count == 12, "no record lost")
        for i in eligibleLines {
            #expect(run.runtimes[i] == "tollama")
            #expect(run.metas[i][MetaKey.bandSource]?.string == "tsfm_raw")
            #expect(run.metas[i][MetaKey.modelName]?.string == "mock")
        }
        // The mock answers the last value (in logit space) for every level: mapped back, the band
        // is the last observation.
        let first = try Record(String(run.stdout.split(separator: "\n")[0]))
        let y = try first.doubles(FieldName.y)!
        let band = try QuantileBand.decode(from: first, field: FieldName.yhatQ)!
        #expect(band.values.allSatisfy { $0.allSatisfy { abs($0 - y.last!) < 1e-9 } })
        // Batched by default: requests with the same horizon and levels share a call, which
        // carries the first series' request id.
        let ids = daemon.forecastCalls.map { $0["ids"] as? [String] ?? [] }
        #expect(ids.map(\.count).reduce(0, +) == eligibleLines.count)
        #expect(daemon.forecastCalls.count < eligibleLines.count)
        let requestIds = Dictionary(uniqueKeysWithValues: eligibleLines.map { i in
            (try! Record(String(run.stdout.split(separator: "\n")[i])).string(FieldName.marketId)!, run.metas[i][MetaKey.requestId]?.string ?? "")
        })
        #expect(daemon.forecastCalls.allSatisfy { call in
            let first = (call["ids"] as? [String])?.first ?? ""
            return (call["headers"] as? [String: String])?["x-request-id"] == requestIds[first]
        })
        // The version is what the daemon reports for the installed model (its digest).
        #expect(eligibleLines.allSatisfy { run.metas[$0][MetaKey.modelVersion]?.string == "sha256:standin-mock" })
    }

    @Test func theRecordsModelAndParamsAreSent() throws {
        let daemon = try StandIn()
        let lines = try String(contentsOf: repoRoot.appendingPathComponent("examples/requests.ndjson"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        var first = try JSONValue.parse(lines[0]).object!
        first["model"] = .object(JSONObject([("model_name", "chronos2"), ("params", .object(JSONObject([("num_samples", 20)])))]))
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("tsfm-model-\(UUID().uuidString).ndjson").path
        try ([try JSONValue.object(first).jsonText()] + lines.dropFirst()).joined(separator: "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let run = try runForecast(["--tollama-url", daemon.url, "--model", "mock"], input: input)
        #expect(run.metas[0][MetaKey.modelName]?.string == "chronos2")
        #expect(eligibleLines.dropFirst().allSatisfy { run.metas[$0][MetaKey.modelName]?.string == "mock" })
        let call = daemon.forecastCalls.first { ($0["ids"] as? [String]) == ["pm-eligible"] }
        #expect(call?["model"] as? String == "chronos2")
        #expect((call?["options"] as? [String: Any])?["num_samples"] as? Int == 20)
        #expect(daemon.forecastCalls.filter { ($0["model"] as? String) == "mock" }.allSatisfy { ($0["options"] as? [String: Any])?.isEmpty == true })
    }

    @Test func plainNotFoundSwitchesToV1ForTheRun() throws {
        let daemon = try StandIn(["--mode", "notfound-plain"])
        let run = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--concurrency", "1"])
        #expect(eligibleLines.allSatisfy { run.runtimes[$0] == "tollama" })
        let paths = daemon.forecastCalls.compactMap { $0["path"] as? String }
        #expect(paths.first == "/api/forecast")
        #expect(paths.dropFirst().allSatisfy { $0 == "/v1/forecast" })
        #expect(paths.filter { $0 == "/api/forecast" }.count == 1)
    }

    @Test func modelNotInstalledIsItsOwnReason() throws {
        let daemon = try StandIn()
        let run = try runForecast(["--tollama-url", daemon.url, "--model", "timesfm-2.5-200m", "--retries", "3", "--concurrency", "1",
                                   "--batch-size", "1"])
        #expect(eligibleLines.allSatisfy { run.reasons[$0] == "model_not_installed" }, "our mistake never opens the breaker")
        #expect(daemon.forecastCalls.count == 1, "a 404 is never retried, and the model's other calls are not sent")
        #expect(run.stderr.contains("tollama pull timesfm-2.5-200m"))
        #expect(run.status == 78)
    }

    @Test func serverErrorsAreRetriedOnce() throws {
        let daemon = try StandIn(["--mode", "status:500"])
        let run = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--breaker-failures", "100", "--batch-size", "1"])
        #expect(eligibleLines.allSatisfy { run.reasons[$0] == "tollama_http_500" })
        #expect(run.metas.count == 12)
        #expect(daemon.forecastCalls.count == 2 * eligibleLines.count)
    }

    @Test func aRetryCanSucceed() throws {
        let daemon = try StandIn(["--fail-first", "1", "--fail-status", "503"])
        let run = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--concurrency", "1", "--batch-size", "1"])
        #expect(eligibleLines.allSatisfy { run.runtimes[$0] == "tollama" })
        #expect(daemon.forecastCalls.count == eligibleLines.count + 1)
    }

    @Test func badRequestsAreNotRetried() throws {
        let daemon = try StandIn(["--mode", "status:400"])
        let run = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--breaker-failures", "100", "--batch-size", "1"])
        #expect(eligibleLines.allSatisfy { run.reasons[$0] == "tollama_http_400" })
        #expect(daemon.forecastCalls.count == eligibleLines.count)
    }

    @Test func timeoutFallsBack() throws {
        let daemon = try StandIn(["--mode", "hang"])
        let run = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--timeout", "0.3", "--retries", "0"])
        #expect(eligibleLines.allSatisfy { run.reasons[$0] == "tollama_timeout" })
        #expect(run.metas.count == 12)
    }

    @Test func unusableAnswersAreInvalidResponses() throws {
        for mode in ["malformed", "missing-level", "nonfinite", "drop"] {
            let daemon = try StandIn(["--mode", mode])
            let run = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--retries", "0"])
            let want = mode == "drop" ? "tollama_unreachable" : "tollama_invalid_response"
            #expect(eligibleLines.allSatisfy { run.reasons[$0] == want }, "\(mode): \(run.reasons)")
            #expect(run.metas.count == 12, "\(mode)")
        }
    }

    @Test func crossingStreamedAndReorderedAnswersAreAccepted() throws {
        for mode in ["crossing", "stream", "reorder"] {
            let daemon = try StandIn(["--mode", mode])
            let run = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--batch-size", "3"])
            #expect(eligibleLines.allSatisfy { run.runtimes[$0] == "tollama" }, "\(mode): \(run.reasons)")
        }
    }

    @Test func tokenIsSentAndNeverShown() throws {
        let secret = "s3cret-token-4242"
        let daemon = try StandIn(["--token", secret])
        let run = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--log-level", "debug"],
                                  env: ["TOLLAMA_API_KEY": secret])
        #expect(eligibleLines.allSatisfy { run.runtimes[$0] == "tollama" })
        #expect(daemon.forecastCalls.allSatisfy { ($0["headers"] as? [String: String])?["authorization"] == "Bearer \(secret)" })
        #expect(!run.stdout.contains(secret) && !run.stderr.contains(secret))
        let wrong = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--log-level", "debug"],
                                    env: ["TOLLAMA_API_KEY": "wrong"])
        #expect(eligibleLines.allSatisfy { wrong.reasons[$0] == "tollama_http_401" })
        #expect(!wrong.stderr.contains("wrong\"") && !wrong.stderr.contains("Bearer"))
        #expect(wrong.status == 78)
    }

    @Test func breakerOpensAfterFiveFailuresAcrossRunsAndClosesAfterAGoodTrial() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("tsfm-breaker-\(UUID().uuidString)").path
        // Baseline-only mode off here: this test is about the breaker alone.
        let flags = ["--model", "mock", "--baseline-only-share", "1", "--batch-size", "1"]
        var failing: StandIn? = try StandIn(["--mode", "status:503"])
        let port = failing!.port
        let url = failing!.url
        // Calls start one at a time (the adaptive limit), so the fifth failure stops the run's sending.
        let first = try runForecast(["--tollama-url", url, "--retries", "0"] + flags, stateDir: state)
        #expect(eligibleLines.prefix(5).allSatisfy { first.reasons[$0] == "tollama_http_503" })
        #expect(eligibleLines.dropFirst(5).allSatisfy { first.reasons[$0] == "circuit_open" })
        let seen = failing!.forecastCalls.count
        #expect(seen == 5)
        #expect(BreakerStore(directory: state, scope: url).load().openedAtMs != nil)
        // A second process run: the breaker is open, nothing is sent.
        let second = try runForecast(["--tollama-url", url] + flags, stateDir: state)
        #expect(eligibleLines.allSatisfy { second.reasons[$0] == "circuit_open" })
        #expect(failing!.forecastCalls.count == seen)
        // After the cool-down one trial call decides; when it fails, the rest are not sent.
        let trial = try runForecast(["--tollama-url", url, "--retries", "0", "--breaker-cooldown", "0s"] + flags, stateDir: state)
        #expect(failing!.forecastCalls.count == seen + 1)
        #expect(trial.reasons[eligibleLines[0]] == "tollama_http_503")
        #expect(eligibleLines.dropFirst().allSatisfy { trial.reasons[$0] == "circuit_open" })
        // The daemon comes back at the same address: a good trial closes the breaker again, and
        // the run goes on with the model.
        failing?.stop()
        failing = nil
        let healthy = try StandIn(["--port", "\(port)"])
        let third = try runForecast(["--tollama-url", url, "--breaker-cooldown", "0s"] + flags, stateDir: state)
        #expect(eligibleLines.allSatisfy { third.runtimes[$0] == "tollama" })
        #expect(healthy.forecastCalls.count == eligibleLines.count)
        #expect(BreakerStore(directory: state, scope: url).load() == BreakerState())
    }

    @Test func breakerStopsSendingWithinARun() throws {
        let failing = try StandIn(["--mode", "status:502"])
        let run = try runForecast(["--tollama-url", failing.url, "--model", "mock", "--retries", "0", "--concurrency", "1",
                                   "--baseline-only-share", "1", "--batch-size", "1"])
        #expect(failing.forecastCalls.count == 5)
        #expect(eligibleLines.prefix(5).allSatisfy { run.reasons[$0] == "tollama_http_502" })
        #expect(eligibleLines.dropFirst(5).allSatisfy { run.reasons[$0] == "circuit_open" })
        #expect(run.metas.count == 12)
    }

    @Test func cacheServesARepeatWithinTheTTLAndNotAfter() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("tsfm-cache-\(UUID().uuidString)").path
        let daemon = try StandIn()
        let first = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--batch-size", "1"], stateDir: state)
        #expect(eligibleLines.allSatisfy { first.runtimes[$0] == "tollama" && first.metas[$0][MetaKey.cached] == nil })
        #expect(daemon.forecastCalls.count == eligibleLines.count)
        // The same requests again: served from the cache, the daemon is not called.
        let second = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--batch-size", "1"], stateDir: state)
        #expect(eligibleLines.allSatisfy { second.runtimes[$0] == "tollama" && second.metas[$0][MetaKey.cached]?.bool == true })
        #expect(daemon.forecastCalls.count == eligibleLines.count)
        #expect(first.stdout.split(separator: "\n").map(String.init)
            == second.stdout.split(separator: "\n").map { $0.replacingOccurrences(of: ",\"cached\":true", with: "") },
            "a cached band is the band")
        // --no-cache calls the daemon.
        _ = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--no-cache", "--batch-size", "1"], stateDir: state)
        #expect(daemon.forecastCalls.count == 2 * eligibleLines.count)
        // Entries older than the TTL are not used: age them by two minutes.
        let dir = state + "/cache"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }
        #expect(files.count == eligibleLines.count)
        for name in files {
            let path = dir + "/" + name
            var object = try JSONValue.parse(String(contentsOfFile: path, encoding: .utf8)).object!
            object["stored_at_ms"] = .int(object["stored_at_ms"]!.int! - 120_000)
            try JSONValue.object(object).jsonText().write(toFile: path, atomically: true, encoding: .utf8)
        }
        let third = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--batch-size", "1"], stateDir: state)
        #expect(eligibleLines.allSatisfy { third.runtimes[$0] == "tollama" && third.metas[$0][MetaKey.cached] == nil })
        #expect(daemon.forecastCalls.count == 3 * eligibleLines.count)
    }

    @Test func mostlyFailingRunsTurnOnBaselineOnlyModeUntilAHealthProbeSucceeds() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("tsfm-mode-\(UUID().uuidString)").path
        let flags = ["--model", "mock", "--retries", "0", "--breaker-failures", "100"]
        let failing = try StandIn(["--mode", "status:503"])
        let port = failing.port, url = failing.url
        let first = try runForecast(["--tollama-url", url] + flags, stateDir: state)
        #expect(eligibleLines.allSatisfy { first.reasons[$0] == "tollama_http_503" })
        #expect(first.stderr.contains("later runs go baseline-only"))
        // The next run does not call the daemon, healthy or not, within the cool-down.
        failing.stop()
        var healthy = try StandIn(["--port", "\(port)"])
        let second = try runForecast(["--tollama-url", url] + flags, stateDir: state)
        #expect(eligibleLines.allSatisfy { second.reasons[$0] == "baseline_only_mode" })
        #expect(healthy.requests.isEmpty)
        #expect(second.metas.count == 12, "no record lost")
        // The mode belongs to that daemon: another one sharing the state dir is used.
        let other = try StandIn()
        let elsewhere = try runForecast(["--tollama-url", other.url] + flags, stateDir: state)
        #expect(eligibleLines.allSatisfy { elsewhere.runtimes[$0] == "tollama" })
        // The probe's cadence is --probe-interval (30 s by default), not the breaker's cool-down:
        // with the cool-down over but not the interval, nothing is sent, not even a probe.
        let early = try runForecast(["--tollama-url", url, "--breaker-cooldown", "0s"] + flags, stateDir: state)
        #expect(eligibleLines.allSatisfy { early.reasons[$0] == "baseline_only_mode" })
        #expect(healthy.requests.isEmpty, "no probe before --probe-interval")
        // After the interval a failed probe keeps the mode (and the forecast endpoint untouched).
        healthy.stop()
        let unreachable = try runForecast(["--tollama-url", url, "--probe-interval", "0s"] + flags, stateDir: state)
        #expect(eligibleLines.allSatisfy { unreachable.reasons[$0] == "baseline_only_mode" })
        #expect(FallbackHistoryStore(directory: state, scope: url).load().lastProbeMs != nil)
        // A successful probe ends it.
        healthy = try StandIn(["--port", "\(port)"])
        let third = try runForecast(["--tollama-url", url, "--probe-interval", "0s"] + flags, stateDir: state)
        #expect(eligibleLines.allSatisfy { third.runtimes[$0] == "tollama" })
        let probe = healthy.requests.first { ($0["path"] as? String) == "/v1/health" }
        #expect(((probe?["headers"] as? [String: String])?["x-request-id"] ?? "").count == 36, "the probe carries a request id")
        #expect(healthy.requests.contains { ($0["path"] as? String) == "/api/tags" }, "the probe asks whether the model is installed")
        #expect(FallbackHistoryStore(directory: state, scope: url).load().baselineOnlySinceMs == nil)
    }

    @Test func healthReportsTheDaemonAndTheState() throws {
        let daemon = try StandIn()
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("tsfm-health-\(UUID().uuidString)").path
        let run = try runTool(["health", "--tollama-url", daemon.url, "--state-dir", state])
        #expect(run.status == 0)
        let object = try JSONValue.parse(run.stdout).object!
        #expect(object["version"]?.string == "0.0-standin")
        #expect(object["models"]?.array?.compactMap(\.string) == ["chronos2", "mock"])
        #expect(object["model_installed"]?.bool == true && object["model_version"]?.string == "sha256:standin-chronos2")
        #expect(object["breaker"]?.object?["state"]?.string == "closed")
        #expect(object["baseline_only_mode"]?.object?["state"]?.string == "off")

        let dead = try runTool(["health", "--tollama-url", "http://127.0.0.1:1", "--state-dir", state])
        #expect(dead.status == 69)
    }

    @Test func batchingAndConcurrencyKeepOrder() throws {
        let daemon = try StandIn(["--mode", "reorder", "--delay-ms", "20"])
        let plain = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--concurrency", "1", "--batch-size", "1"])
        let batched = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--concurrency", "4", "--batch-size", "3"])
        #expect(plain.stdout == batched.stdout)
        #expect(eligibleLines.allSatisfy { batched.runtimes[$0] == "tollama" })
    }
}

@Suite("tollama state: fallback history, response cache")
struct TollamaStateTests {
    @Test func baselineOnlyModeNeedsMoreThanTheShareOverEnoughRecentRequests() {
        var h = FallbackHistory()
        let window: Int64 = 300_000
        let tooFew = h.record(requests: 4, fallbacks: 4, nowMs: 1_000, windowMs: window, share: 0.5, minRequests: 5)
        #expect(!tooFew, "too few requests")
        let half = h.record(requests: 4, fallbacks: 0, nowMs: 2_000, windowMs: window, share: 0.5, minRequests: 5)
        #expect(!half, "4 of 8: not above half")
        let above = h.record(requests: 1, fallbacks: 1, nowMs: 3_000, windowMs: window, share: 0.5, minRequests: 5)
        #expect(above, "5 of 9")
        #expect(h.baselineOnlySinceMs == 3_000)
        #expect(!h.probeDue(nowMs: 100_000, cooldownSeconds: 120))
        #expect(h.probeDue(nowMs: 123_000, cooldownSeconds: 120))
        #expect(h.probeDue(nowMs: 33_000, cooldownSeconds: 30), "the default --probe-interval: 30 s after the mode began")
        #expect(!h.probeDue(nowMs: 32_999, cooldownSeconds: 30))
        h.lastProbeMs = 123_000
        #expect(!h.probeDue(nowMs: 200_000, cooldownSeconds: 120), "one probe per cool-down")
        h.leave()
        #expect(h == FallbackHistory())
        // Old runs leave the window.
        _ = h.record(requests: 10, fallbacks: 10, nowMs: 0, windowMs: window, share: 0.5, minRequests: 50)
        _ = h.record(requests: 10, fallbacks: 0, nowMs: 400_000, windowMs: window, share: 0.5, minRequests: 5)
        #expect(h.entries.count == 1 && h.totals(nowMs: 400_000, windowMs: window) == (10, 0))
    }

    func call(_ id: String = "m", model: String = "mock", y: [Double] = [0.4, 0.5, 0.6], levels: [Double] = [0.1, 0.5, 0.9]) throws -> ModelCall {
        let line = """
            {"market_id":"\(id)","as_of_ts":"2026-11-20T12:00:00Z","freq":"5m","horizon_steps":2,"quantiles":\(levels),"y":\(y)}
            """
        return ModelCall(request: try ForecastRequest(record: try Record(line)), requestId: "r", modelName: model)
    }

    @Test func cacheKeysNameTheContentNotTheMarket() throws {
        let base = ResponseCache.key(try call())
        let otherDaemon = ResponseCache.key(try call(), scope: "http://elsewhere:11435")
        let otherMarket = ResponseCache.key(try call("other-market"))
        let otherModel = ResponseCache.key(try call(model: "chronos2"))
        let otherSeries = ResponseCache.key(try call(y: [0.4, 0.5, 0.6000001]))
        let otherLevels = ResponseCache.key(try call(levels: [0.05, 0.5, 0.95]))
        #expect(otherMarket == base)
        #expect(Set([base, otherDaemon, otherModel, otherSeries, otherLevels]).count == 5)
        #expect(base.count == 32)
    }

    @Test func streamedAnswersMayUseCRLF() throws {
        let body = Array("{\"status\":\"loading model\"}\r\n{\"done\":true,\"response\":{\"model\":\"mock\",\"forecasts\":[]}}\r\n".utf8)
        #expect(TollamaWire.answer(body)?["model"]?.string == "mock")
    }

    @Test func cacheRoundTripsABandExactlyWithinTheTTL() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tsfm-cache-unit-\(UUID().uuidString)").path
        let cache = ResponseCache(stateDir: dir, ttlSeconds: 60)
        let c = try call()
        let band = QuantileBand(levels: [0.1, 0.5, 0.9], values: [[0.1 + 1e-17, 0.2], [0.3, 1.0 / 3], [0.7, 0.9]])
        let key = try #require(cache.key(for: c))
        try cache.store(ModelForecast(band: band, modelName: "mock", modelVersion: "v1", latencyMs: 12, warnings: ["w"]), key: key, nowMs: 1_000_000)
        let hit = cache.lookup(c, key: key, nowMs: 1_059_999)
        #expect(hit?.band == band && hit?.cached == true && hit?.modelVersion == "v1" && hit?.warnings == ["w"])
        #expect(cache.lookup(c, key: key, nowMs: 1_060_000) == nil)
        let other = try call(y: [0.1, 0.2, 0.3])
        #expect(cache.lookup(other, key: try #require(cache.key(for: other)), nowMs: 1_000_001) == nil)
        #expect(ResponseCache(stateDir: dir, ttlSeconds: 0).key(for: c) == nil, "TTL 0 turns it off")
    }
}
