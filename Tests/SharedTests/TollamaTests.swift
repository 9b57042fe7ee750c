import Foundation
import Testing
@testable import Shared

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
        // SIGKILL: the runner's threads block SIGTERM, and a child inherits that mask.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: log)
    }

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

func runForecast(_ args: [String], env: [String: String] = [:], stateDir: String? = nil,
                 input: String = "examples/requests.ndjson") throws -> ToolRun {
    let p = Process()
    p.executableURL = repoRoot.appendingPathComponent(".build/debug/tsfm-forecast")
    p.currentDirectoryURL = repoRoot
    let state = stateDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("tsfm-state-\(UUID().uuidString)").path
    p.arguments = ["--deterministic", "--state-dir", state, "--log-format", "text"] + args + [input]
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
        // Every call carried its request id.
        #expect(daemon.forecastCalls.count == eligibleLines.count)
        #expect(daemon.forecastCalls.allSatisfy { (($0["headers"] as? [String: String])?["x-request-id"] ?? "").count == 36 })
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
        let run = try runForecast(["--tollama-url", daemon.url, "--model", "timesfm-2.5-200m", "--retries", "3"])
        #expect(eligibleLines.allSatisfy { run.reasons[$0] == "model_not_installed" })
        #expect(daemon.forecastCalls.count == eligibleLines.count, "a 404 is never retried")
    }

    @Test func serverErrorsAreRetriedOnce() throws {
        let daemon = try StandIn(["--mode", "status:500"])
        let run = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--breaker-failures", "100"])
        #expect(eligibleLines.allSatisfy { run.reasons[$0] == "tollama_http_500" })
        #expect(run.metas.count == 12)
        #expect(daemon.forecastCalls.count == 2 * eligibleLines.count)
    }

    @Test func aRetryCanSucceed() throws {
        let daemon = try StandIn(["--fail-first", "1", "--fail-status", "503"])
        let run = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--concurrency", "1"])
        #expect(eligibleLines.allSatisfy { run.runtimes[$0] == "tollama" })
        #expect(daemon.forecastCalls.count == eligibleLines.count + 1)
    }

    @Test func badRequestsAreNotRetried() throws {
        let daemon = try StandIn(["--mode", "status:400"])
        let run = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--breaker-failures", "100"])
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
    }

    @Test func breakerOpensAfterFiveFailuresAcrossRunsAndClosesAfterAGoodTrial() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("tsfm-breaker-\(UUID().uuidString)").path
        let failing = try StandIn(["--mode", "status:503"])
        let first = try runForecast(["--tollama-url", failing.url, "--model", "mock", "--retries", "0"], stateDir: state)
        #expect(eligibleLines.allSatisfy { first.reasons[$0] == "tollama_http_503" })
        let seen = failing.forecastCalls.count
        // A second process run: the breaker is open, nothing is sent.
        let second = try runForecast(["--tollama-url", failing.url, "--model", "mock"], stateDir: state)
        #expect(eligibleLines.allSatisfy { second.reasons[$0] == "circuit_open" })
        #expect(failing.forecastCalls.count == seen)
        // After the cool-down a good call closes it again.
        let healthy = try StandIn()
        let third = try runForecast(["--tollama-url", healthy.url, "--model", "mock", "--breaker-cooldown", "0s"], stateDir: state)
        #expect(eligibleLines.allSatisfy { third.runtimes[$0] == "tollama" })
        #expect(BreakerStore(directory: state).load() == BreakerState())
    }

    @Test func batchingAndConcurrencyKeepOrder() throws {
        let daemon = try StandIn(["--mode", "reorder", "--delay-ms", "20"])
        let plain = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--concurrency", "1", "--batch-size", "1"])
        let batched = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--concurrency", "4", "--batch-size", "3"])
        #expect(plain.stdout == batched.stdout)
        #expect(eligibleLines.allSatisfy { batched.runtimes[$0] == "tollama" })
    }
}
