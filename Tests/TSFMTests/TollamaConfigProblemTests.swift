import Foundation
import Testing
@testable import TollamaClient
@testable import TSFMCore

/// Configuration problems (no or a wrong key, a model not installed, a licence not accepted)
/// against the stand-in: one warning with the fix, every record written, exit 78, and nothing
/// that keeps the model off after the fix.
@Suite("tollama configuration problems", .serialized)
struct TollamaConfigProblemTests {
    func tempDir(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tsfm-\(name)-\(UUID().uuidString)").path
    }

    func warnings(_ run: ToolRun) -> [Substring] {
        run.stderr.split(separator: "\n").filter { $0.contains(": warning: ") }
    }

    @Test func aMissingTokenWarnsOnceExits78AndTheRunWithTheTokenIsServedAtOnce() throws {
        let secret = "k-\(UUID().uuidString)"
        let daemon = try StandIn(["--token", secret])
        let state = tempDir("auth")
        let flags = ["--tollama-url", daemon.url, "--model", "mock", "--batch-size", "1", "--concurrency", "1"]
        // More runs than it takes to turn baseline-only mode on, were the 401s counted.
        for _ in 0..<3 {
            let run = try runForecast(flags, stateDir: state)
            #expect(run.status == 78)
            #expect(run.metas.count == 12, "every record is written")
            #expect(eligibleLines.allSatisfy { run.reasons[$0] == "tollama_http_401" })
            #expect(warnings(run).count == 1, "\(run.stderr)")
            #expect(run.stderr.contains("set TOLLAMA_API_KEY"))
        }
        #expect(daemon.forecastCalls.count == 3, "after the first 401 a run stops sending")
        #expect(FallbackHistoryStore(directory: state, scope: daemon.url).load().totals(nowMs: Timestamp.now().millis, windowMs: 300_000) == (0, 0))
        #expect(BreakerStore(directory: state, scope: daemon.url).load() == BreakerState())
        let fixed = try runForecast(flags, env: ["TOLLAMA_API_KEY": secret], stateDir: state)
        #expect(fixed.status == 0)
        #expect(eligibleLines.allSatisfy { fixed.runtimes[$0] == "tollama" })
        #expect(!fixed.stderr.contains(secret))
    }

    @Test func aModelThatIsNotInstalledStopsOnlyItsOwnCalls() throws {
        let daemon = try StandIn()
        let lines = try String(contentsOf: repoRoot.appendingPathComponent("examples/requests.ndjson"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        var first = try JSONValue.parse(lines[0]).object!
        first["model"] = .object(JSONObject([("model_name", "mock")]))
        let input = tempDir("model") + ".ndjson"
        try ([try JSONValue.object(first).jsonText()] + lines.dropFirst()).joined(separator: "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let run = try runForecast(["--tollama-url", daemon.url, "--model", "timesfm-2.5-200m", "--batch-size", "1", "--concurrency", "1"],
                                  input: input)
        #expect(run.status == 78)
        #expect(run.runtimes[0] == "tollama", "the record naming an installed model is served")
        #expect(eligibleLines.dropFirst().allSatisfy { run.reasons[$0] == "model_not_installed" })
        #expect(warnings(run).count == 1)
        #expect(run.stderr.contains("tollama pull timesfm-2.5-200m"))
    }

    @Test func aLicenceRefusalIsAConfigurationProblemNotRetried() throws {
        let daemon = try StandIn(["--mode", "license"])
        let state = tempDir("licence")
        let run = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--retries", "3", "--batch-size", "1"], stateDir: state)
        #expect(run.status == 78)
        #expect(eligibleLines.allSatisfy { run.reasons[$0] == "tollama_http_409" })
        #expect(daemon.forecastCalls.count >= 1 && daemon.forecastCalls.count < eligibleLines.count)
        #expect(run.stderr.contains("--accept-license"))
        #expect(BreakerStore(directory: state, scope: daemon.url).load().consecutiveFailures == 0)
    }

    @Test func theDaemonsRunnerConflict409IsStillRetried() throws {
        let daemon = try StandIn(["--fail-first", "1", "--fail-status", "409"])
        let run = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--concurrency", "1", "--batch-size", "1"])
        #expect(run.status == 0)
        #expect(eligibleLines.allSatisfy { run.runtimes[$0] == "tollama" })
        #expect(daemon.forecastCalls.count == eligibleLines.count + 1)
    }

    @Test func healthExits78WithTheHintUnderAuthAndForAMissingModel() throws {
        let secret = "k-\(UUID().uuidString)"
        let daemon = try StandIn(["--token", secret])
        let state = tempDir("health")
        let noToken = try runTool(["health", "--tollama-url", daemon.url, "--state-dir", state, "--model", "mock", "--log-format", "text"])
        #expect(noToken.status == 78)
        #expect(noToken.stderr.contains("set TOLLAMA_API_KEY"))
        #expect(noToken.stderr.hasPrefix("tsfm-forecast: warning: "), "--log-format text is honoured")
        #expect(try JSONValue.parse(noToken.stdout).object?["problem"]?.object?["kind"]?.string == "auth")
        let ok = try runTool(["health", "--tollama-url", daemon.url, "--state-dir", state, "--model", "mock"], env: ["TOLLAMA_API_KEY": secret])
        #expect(ok.status == 0)
        #expect(!ok.stdout.contains(secret) && !ok.stderr.contains(secret))
        let missing = try runTool(["health", "--tollama-url", daemon.url, "--state-dir", state, "--model", "timesfm-2.5-200m"],
                                  env: ["TOLLAMA_API_KEY": secret])
        #expect(missing.status == 78)
        #expect(missing.stderr.contains("tollama pull timesfm-2.5-200m"))
        #expect(try JSONValue.parse(missing.stdout).object?["model_installed"]?.bool == false)
    }

    @Test func theProbeThatEndsBaselineOnlyModeReportsAMissingModel() throws {
        let daemon = try StandIn()
        let state = tempDir("probe")
        try FallbackHistoryStore(directory: state, scope: daemon.url).update { h in
            h.record(requests: 10, fallbacks: 10, nowMs: Timestamp.now().millis - 1000, windowMs: 300_000, share: 0.5, minRequests: 5)
        }
        let run = try runForecast(["--tollama-url", daemon.url, "--model", "timesfm-2.5-200m", "--probe-interval", "0s"], stateDir: state)
        #expect(run.status == 78)
        #expect(eligibleLines.allSatisfy { run.reasons[$0] == "model_not_installed" })
        #expect(daemon.forecastCalls.isEmpty, "the probe already knew")
        #expect(run.stderr.contains("tollama pull timesfm-2.5-200m"))
        #expect(FallbackHistoryStore(directory: state, scope: daemon.url).load().baselineOnlySinceMs == nil, "the daemon is up: the mode ends")
    }

    @Test func theTokenIsRedactedFromEchoedErrorBodies() throws {
        let secret = "k-\(UUID().uuidString)"
        let daemon = try StandIn(["--mode", "echo-auth"])
        let run = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--log-level", "debug", "--batch-size", "1"],
                                  env: ["TOLLAMA_API_KEY": secret])
        #expect(eligibleLines.allSatisfy { run.reasons[$0] == "tollama_http_400" })
        #expect(run.stderr.contains("Authorization: Bearer [redacted]"), "\(run.stderr)")
        #expect(!run.stderr.contains(secret) && !run.stdout.contains(secret))
    }

    @Test func aTokenWithALineBreakIsRefused() throws {
        let daemon = try StandIn()
        for key in ["abc\r\nX-Injected: 1", "abc\nX-Injected: 1"] {
            let run = try runForecast(["--tollama-url", daemon.url, "--model", "mock"], env: ["TOLLAMA_API_KEY": key])
            #expect(run.status == 78)
            #expect(run.stdout.isEmpty)
            #expect(run.stderr.contains("TOLLAMA_API_KEY contains a line break"))
            #expect(!run.stderr.contains("X-Injected"))
            let health = try runTool(["health", "--tollama-url", daemon.url], env: ["TOLLAMA_API_KEY": key])
            #expect(health.status == 78)
        }
        #expect(daemon.requests.isEmpty, "nothing was sent")
        #expect(throws: ToolError.self) { try TollamaConfig.token("a\rb") }
        #expect(try TollamaConfig.token("plain-key") == "plain-key")
    }

    @Test func redactionReplacesEveryOccurrence() {
        var config = TollamaConfig()
        #expect(config.redact("Bearer abc") == "Bearer abc", "no token, nothing to hide")
        config.token = "s3cr3t"
        #expect(config.redact("Authorization: Bearer s3cr3t, again s3cr3t") == "Authorization: Bearer [redacted], again [redacted]")
    }
}
