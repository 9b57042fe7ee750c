import Foundation
import Testing
@testable import TollamaClient
@testable import TSFMCore

/// Adaptive concurrency, the batch time limit, the half-open trial shared by concurrent runs, and
/// state kept per daemon URL.
@Suite("tollama concurrency and shared state", .serialized)
struct TollamaConcurrencyTests {
    func tempPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tsfm-\(name)-\(UUID().uuidString)").path
    }

    /// `n` synthetic requests (tsfm-bench), all eligible.
    func requests(_ n: Int) throws -> String {
        let path = tempPath("requests") + ".ndjson"
        let p = Process()
        p.executableURL = repoRoot.appendingPathComponent(".build/debug/tsfm-bench")
        p.arguments = ["requests", "\(n)"]
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try p.run()
        p.waitUntilExit()
        return path
    }

    @Test func aDaemonThatServesOneCallAtATimeIsNotFloodedIntoTimeouts() throws {
        // Like tollama 0.1.0: one call at a time. 40 calls in flight at once would queue for
        // 40 × 30 ms, past the 1 s limit; the adaptive limit keeps only a few in flight.
        let daemon = try StandIn(["--serial", "--delay-ms", "30"])
        let input = try requests(40)
        let run = try runForecast(["--runtime", "tollama", "--tollama-url", daemon.url, "--model", "mock", "--batch-size", "1",
                                   "--concurrency", "64", "--timeout", "1", "--retries", "0"], input: input)
        #expect(run.runtimes.count == 40)
        #expect(run.runtimes.allSatisfy { $0 == "tollama" }, "\(run.reasons)")
        let most = daemon.forecastCalls.compactMap { $0["inflight"] as? Int }.max() ?? 0
        #expect(most >= 1 && most < 16, "at most \(most) calls were in the daemon at once")
    }

    @Test func aBatchGetsMoreTimeThanASingleSeries() throws {
        let daemon = try StandIn(["--delay-ms", "500"])
        let input = try requests(7)
        let flags = ["--runtime", "tollama", "--tollama-url", daemon.url, "--model", "mock", "--batch-size", "7", "--timeout", "0.3",
                     "--retries", "0"]
        let budget = try runForecast(flags + ["--timeout-per-series", "0.1"], input: input)
        #expect(budget.runtimes.count == 7 && budget.runtimes.allSatisfy { $0 == "tollama" }, "0.3 + 6 × 0.1 s covers the 0.5 s answer")
        let flat = try runForecast(flags + ["--timeout-per-series", "0"], input: input)
        #expect(flat.reasons.count == 7 && flat.reasons.allSatisfy { $0 == "tollama_timeout" })
        #expect(daemon.forecastCalls.count == 2, "one call of 7 series each time")
    }

    @Test func theCallTimeLimitGrowsWithTheSeries() {
        let config = TollamaConfig()
        #expect(config.callTimeout(series: 1) == 2.0, "one series keeps the plan's 2 s")
        #expect(abs(config.callTimeout(series: 50) - 4.45) < 1e-9)
    }

    @Test func runsThatLoseTheTrialWaitForItsOutcome() throws {
        let daemon = try StandIn(["--delay-ms", "800"])
        let state = tempPath("halfopen")
        try BreakerStore(directory: state, scope: daemon.url).update { s in
            s.consecutiveFailures = 5
            s.openedAtMs = Timestamp.now().millis - 10_000
        }
        let input = try requests(5)
        let flags = ["--runtime", "tollama", "--deterministic", "--state-dir", state, "--log-format", "text", "--tollama-url", daemon.url,
                     "--model", "mock", "--breaker-cooldown", "1s", "--no-cache"]
        // Run A claims the trial; run B starts while the trial is out.
        let a = Process()
        a.executableURL = repoRoot.appendingPathComponent(".build/debug/tsfm-forecast")
        a.currentDirectoryURL = repoRoot
        a.arguments = flags + [input]
        let aOut = Pipe()
        a.standardOutput = aOut
        a.standardError = FileHandle.nullDevice
        try a.run()
        var waited = 0
        while daemon.forecastCalls.isEmpty && waited < 600 { usleep(50_000); waited += 1 }
        #expect(!daemon.forecastCalls.isEmpty, "run A sent its trial")
        let b = try runTool(flags + [input])
        let aText = String(decoding: aOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        a.waitUntilExit()
        let aRun = ToolRun(stdout: aText, stderr: "", status: a.terminationStatus)
        #expect(aRun.runtimes.count == 5 && aRun.runtimes.allSatisfy { $0 == "tollama" })
        #expect(b.runtimes.count == 5 && b.runtimes.allSatisfy { $0 == "tollama" }, "B waited for the trial instead of failing: \(b.reasons)")
        #expect(daemon.forecastCalls.count == 2, "one call of five series each")
        #expect(BreakerStore(directory: state, scope: daemon.url).load() == BreakerState())
        #expect(FallbackHistoryStore(directory: state, scope: daemon.url).load().totals(nowMs: Timestamp.now().millis, windowMs: 300_000).1 == 0)
    }

    @Test func circuitOpenFallbacksDoNotFeedBaselineOnlyMode() throws {
        let state = tempPath("open")
        let url = "http://127.0.0.1:1"
        try BreakerStore(directory: state, scope: url).update { s in
            s.consecutiveFailures = 5
            s.openedAtMs = Timestamp.now().millis
        }
        for _ in 0..<3 {
            let run = try runForecast(["--tollama-url", url, "--model", "mock"], stateDir: state)
            #expect(eligibleLines.allSatisfy { run.reasons[$0] == "circuit_open" })
        }
        let history = FallbackHistoryStore(directory: state, scope: url).load()
        #expect(history.baselineOnlySinceMs == nil)
        #expect(history.totals(nowMs: Timestamp.now().millis, windowMs: 300_000) == (0, 0))
    }

    @Test func aBreakerOpenedAgainstOneDaemonDoesNotHoldUpAnother() throws {
        let state = tempPath("perurl")
        let dead = try runForecast(["--tollama-url", "http://127.0.0.1:1", "--model", "mock", "--batch-size", "1", "--retries", "0",
                                    "--concurrency", "1"], stateDir: state)
        #expect(eligibleLines.prefix(5).allSatisfy { dead.reasons[$0] == "tollama_unreachable" })
        #expect(BreakerStore(directory: state, scope: "http://127.0.0.1:1").load().openedAtMs != nil)
        let daemon = try StandIn()
        let run = try runForecast(["--tollama-url", daemon.url, "--model", "mock"], stateDir: state)
        #expect(eligibleLines.allSatisfy { run.runtimes[$0] == "tollama" })
        // The trailing slash names the same daemon.
        #expect(StateFile<BreakerState>.scopedName("breaker.json", scope: "http://h:1/") == StateFile<BreakerState>.scopedName("breaker.json", scope: "http://h:1"))
    }

    @Test func droppedCallsAreLoggedAndCacheHitsCounted() throws {
        let dropping = try StandIn(["--mode", "drop"])
        let dropped = try runForecast(["--tollama-url", dropping.url, "--model", "mock", "--log-level", "info", "--batch-size", "1",
                                       "--breaker-failures", "100"])
        #expect(dropped.stderr.split(separator: "\n").filter { $0.contains("tollama call failed") && $0.contains("tollama_unreachable") }.count
                == eligibleLines.count)
        let daemon = try StandIn()
        let state = tempPath("summary")
        _ = try runForecast(["--tollama-url", daemon.url, "--model", "mock"], stateDir: state)
        let again = try runForecast(["--tollama-url", daemon.url, "--model", "mock", "--summary"], stateDir: state)
        #expect(again.stderr.contains("model=7 cached=7"), "\(again.stderr)")
    }
}

@Suite("adaptive concurrency limit")
struct ConcurrencyLimitTests {
    @Test func startsAtOneAndGrowsFastOnFastAnswers() {
        var limit = ConcurrencyLimit(ceiling: 8)
        #expect(limit.current == 1)
        for _ in 0..<3 { limit.succeeded(latency: 0.1) }
        #expect(limit.current == 4, "slow start: one more per fast answer")
        for _ in 0..<20 { limit.succeeded(latency: 0.1) }
        #expect(limit.current == 8, "never above the ceiling")
    }

    @Test func settlesLowAgainstADaemonThatServesOneCallAtATime() {
        // A serial daemon: with w calls in flight, each waits for the others: latency w × s.
        var limit = ConcurrencyLimit(ceiling: 64)
        let service = 0.035
        for _ in 0..<500 { limit.succeeded(latency: Double(limit.current) * service) }
        #expect(limit.current >= 2 && limit.current <= 4, "\(limit.window)")
    }

    @Test func halvesOnOverloadOncePerRoundTrip() {
        var limit = ConcurrencyLimit(ceiling: 64, start: 16)
        limit.overloaded(startedAt: 1.0, now: 2.0)
        #expect(limit.current == 8)
        limit.overloaded(startedAt: 1.5, now: 2.1)
        #expect(limit.current == 8, "sent before the cut: not cut again")
        limit.overloaded(startedAt: 2.2, now: 3.0)
        #expect(limit.current == 4)
        for t in 0..<10 { limit.overloaded(startedAt: 4.0 + Double(t), now: 4.5 + Double(t)) }
        #expect(limit.current == 1, "never below one")
        #expect(!limit.slowStart)
    }
}
