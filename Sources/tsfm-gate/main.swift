import ArgumentParser
import TSFMCore
import TSFMCommandLine

@main
struct TsfmGate: ParsableCommand {
    /// `--help` and `--version` to a full disk exit 74, not 0.
    static func main() {
        ToolMain.checkStandardOutputAtExit()
        main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "tsfm-gate",
        abstract: "Gate-1 breach alerts from calibrated bands, with a phased rollout and automatic rollback.",
        discussion: """
            alerts    forecasts + realized prices -> one alert per band breach
            rollout   record the rollout phase (shadow, canary, ramp, full)
            rollback  send every market back to the baseline band
            status    print the phase, its percentage, since when and why
            review    score the last window's alerts; roll back when the TSFM
                      arm's breach precision is >15% below the baseline arm's

            Example cycle:
              tsfm-prep actuals --quotes quotes.ndjson < calibrated.ndjson \\
                | tsfm-gate alerts > alerts.ndjson
              tsfm-gate rollout --set canary --reason "shadow week looked fine"
              tsfm-gate review --quotes quotes.ndjson alerts/*.ndjson

            The rollout state lives in --state-dir (default $XDG_STATE_HOME/tsfm,
            else ~/.local/state/tsfm). See docs/tsfm-gate.md and docs/rollout-plan.md.
            """,
        version: TSFM.version,
        subcommands: [Alerts.self, Rollout.self, Rollback.self, Status.self, Review.self]
    )
}

/// `--state-dir`, shared by every subcommand.
struct StateOptions: ParsableArguments {
    @Option(help: "Where the rollout state lives (default $XDG_STATE_HOME/tsfm, else ~/.local/state/tsfm).")
    var stateDir: String?

    func store() -> RolloutStore? {
        StateDir.resolve(explicit: stateDir).map(RolloutStore.init(directory:))
    }

    func requiredStore() throws -> RolloutStore {
        guard let store = store() else {
            throw ToolError(.config, "no state dir: set --state-dir, XDG_STATE_HOME or HOME")
        }
        return store
    }

    /// Records a new phase (keeping the one it replaces) and returns the status line to print.
    func record(_ setting: RolloutSetting, setBy: String, reason: String, at time: Timestamp?) throws -> String {
        let store = try requiredStore()
        let next = RolloutState(setting: setting, since: time ?? .now(), setBy: setBy, reason: reason,
                                previous: try store.load()?.setting)
        try store.save(next)
        return GatePhase.statusText(next, store: store)
    }

    /// `rollout --set` and `rollback`: records the phase, prints its status line and exits.
    func recordAndExit(_ setting: RolloutSetting, setBy: String, reason: String, at time: Timestamp?) -> Never {
        let output = OutputSink()
        ToolMain.run(tool: "tsfm-gate", output: output) {
            try output.write(line: try record(setting, setBy: setBy, reason: reason, at: time))
            return .success
        }
    }
}

/// `--now`: an RFC 3339 UTC time; the wall clock when absent.
struct TimeArgument: ExpressibleByArgument {
    var timestamp: Timestamp
    init?(argument: String) {
        guard let t = Timestamp(argument) else { return nil }
        timestamp = t
    }
}

extension RolloutSetting: ExpressibleByArgument {
    public init?(argument: String) { self.init(argumentText: argument) }
}

struct Alerts: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn forecasts and the prices that followed into breach alerts.",
        discussion: """
            Reads forecasts (after tsfm-post and tsfm-conformal apply) carrying the
            realized prices in y_future (tsfm-prep actuals, or a backtest), or joins
            them from --quotes with prep's y rules. Writes one alert per forecast
            and arm at the first step where the price left the band (every such
            step with --all): direction above/below, y and the band's bounds there,
            band_source (and band_source_fallback when the requested band was not
            there: conformal -> raw -> baseline), model, params_version, phase, arm,
            shadow, followthrough (tsfm-eval's definition; null until known) and a
            stable alert_id. Records without a realized path give no alert and are
            counted (--summary); error records pass through.

            Arms: the TSFM arm uses --band-source, the baseline arm the baseline's
            band (yhat_q of a baseline-served record, else yhat_q_baseline). The
            phase is the state dir's (tsfm-gate rollout --set), else --rollout,
            else shadow; a recorded rollback overrides --rollout.
              shadow      baseline alerts live, TSFM alerts with "shadow": true
              canary[:P]  markets in the first P% (10) by hash get TSFM alerts
              ramp[:P]    the same with 50%: canary markets stay in
              full        every market gets TSFM alerts
              rollback    every market gets baseline alerts

            Examples:
              tsfm-prep actuals --quotes quotes.ndjson < calibrated.ndjson \\
                | tsfm-gate alerts > alerts.ndjson
              tsfm-gate alerts --quotes quotes.ndjson --rollout canary calibrated.ndjson
              tsfm-gate alerts --band-source tsfm_raw --pair 0.1-0.9 --all scored.ndjson
            """
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var state: StateOptions

    @Option(help: "Realized prices: quotes (NDJSON) to build each forecast's path from, for records without y_future.")
    var quotes: String?

    @Option(help: "The TSFM arm's band: tsfm_conformal, tsfm_raw or baseline.")
    var bandSource: String = GateBandSource.tsfmConformal.rawValue

    @Option(help: "The level pair that is the band, e.g. 0.1-0.9 (default: the outermost pair).")
    var pair: String?

    @Flag(help: "An alert for every breaching step, not only the first of each forecast.")
    var all = false

    @Option(help: "Phase for this run when the state dir records none: \(RolloutSetting.argumentHelp).")
    var rollout: RolloutSetting?

    @OptionGroup var followThrough: FollowThroughOptions

    func validate() throws {
        guard GateBandSource(rawValue: bandSource) != nil else {
            throw ValidationError("--band-source must be one of \(GateBandSource.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let pair, AlertSettings.parsePair(pair) == nil {
            throw ValidationError("--pair must be two levels LO-HI with LO < 0.5 and LO + HI = 1, e.g. 0.1-0.9 (got \(pair))")
        }
    }

    func run() throws {
        common.run(tool: "tsfm-gate", metricsName: "tsfm-gate alerts", stateDir: state.stateDir ?? StateDirOption.defaultPath()) { output, log, metrics in
            var settings = AlertSettings()
            settings.bandSource = GateBandSource(rawValue: bandSource)!
            settings.pair = pair.flatMap(AlertSettings.parsePair)
            settings.all = all
            settings.move = followThrough.move
            settings.followThroughSeconds = followThrough.seconds
            let recorded = try state.store()?.load()
            settings.rollout = GatePhase.effective(recorded: recorded, requested: rollout, logger: log)
            try NDJSONInput(paths: common.files + (quotes.map { [$0] } ?? [])).checkReadable()
            let stream = common.stream(tool: "tsfm-gate", output: output)
            let book = try quotes.map { try AlertRun.readQuotes($0, settings: PrepSettings(), stream: stream) }
            let run = AlertRun(settings: settings, quotes: book)
            metrics?.collect { m, _ in
                m.stream(StreamTotals(records: run.gate.totals.records, errorRecordsPassed: stream.totals.errorRecordsPassed,
                                      badLines: stream.totals.badLines))
            }
            try run.run(stream: stream)
            let t = run.gate.totals
            if t.withoutBaselineBand > 0 {
                log.warning("forecasts served by the model carry no yhat_q_baseline: their baseline arm has no band (re-run tsfm-forecast)",
                            [("records", .int(t.withoutBaselineBand))])
            }
            if common.summary {
                var fields: [(String, JSONValue)] = [
                    ("rollout", .string(settings.rollout.description)), ("records", .int(t.records)),
                    ("with_future", .int(t.withFuture)), ("without_future", .int(t.withoutFuture)),
                ]
                if quotes != nil { fields.append(("joined_from_quotes", .int(run.joined))) }
                fields += [
                    ("alerts", .int(t.alerts)), ("shadow_alerts", .int(t.shadowAlerts)),
                    ("band_source_fallbacks", .object(JSONObject(t.bandFallbacks.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) }))),
                    ("without_baseline_band", .int(t.withoutBaselineBand)),
                    ("error_records_passed", .int(stream.totals.errorRecordsPassed)),
                    ("bad_lines", .int(stream.totals.badLines)),
                ]
                log.summary(fields)
            }
            return stream.exitStatus
        }
    }
}

struct Rollout: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record the rollout phase in the state dir (read by every later 'alerts' run).",
        discussion: """
            Phases: shadow (TSFM alerts only as shadows), canary (10% of markets by
            hash), ramp (50%), full (100%), rollback (none); canary:P and ramp:P
            choose the percentage. A market's arm is a stable hash of its market_id,
            so markets of a 10% canary stay in at 50%. Setting a phase also ends a
            rollback. See docs/rollout-plan.md for the gates between phases.

            Examples:
              tsfm-gate rollout --set canary --reason "shadow week: precision on par"
              tsfm-gate rollout --set ramp:25 --state-dir /var/lib/tsfm
            """
    )

    @OptionGroup var state: StateOptions

    @Option(help: "The phase: \(RolloutSetting.argumentHelp).")
    var set: RolloutSetting

    @Option(help: "Why (kept in the state and shown by status).")
    var reason: String = "set by hand"

    @Option(help: "The time to record (RFC 3339; default: now).")
    var now: TimeArgument?

    func run() throws {
        state.recordAndExit(set, setBy: set.phase == .rollback ? "rollback" : "rollout", reason: reason, at: now?.timestamp)
    }
}

struct Rollback: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send every market back to the baseline band from the next 'alerts' run.",
        discussion: """
            Records phase rollback in the state dir (the same as rollout --set
            rollback). It stays until a phase is set again with tsfm-gate rollout --set.

            Example:
              tsfm-gate rollback --reason "canary alerts flood on election night"
            """
    )

    @OptionGroup var state: StateOptions

    @Option(help: "Why (kept in the state and shown by status).")
    var reason: String = "rolled back by hand"

    @Option(help: "The time to record (RFC 3339; default: now).")
    var now: TimeArgument?

    func run() throws {
        state.recordAndExit(RolloutSetting(phase: .rollback), setBy: "rollback", reason: reason, at: now?.timestamp)
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the rollout phase, its percentage, since when and why.",
        discussion: """
            Text for people by default; --format json prints the state file's object
            (with "recorded": false and the default phase when none was recorded).

            Examples:
              tsfm-gate status
              tsfm-gate status --format json | jq -r .phase
            """
    )

    @OptionGroup var state: StateOptions

    @Option(help: "text or json.")
    var format: Format = .text

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    func run() throws {
        let output = OutputSink()
        ToolMain.run(tool: "tsfm-gate", output: output) {
            let store = try state.requiredStore()
            let recorded = try store.load()
            switch format {
            case .text:
                if let recorded {
                    try output.write(line: GatePhase.statusText(recorded, store: store))
                } else {
                    try output.write(line: "phase shadow (the default: no rollout recorded in \(store.directory)); set one with 'tsfm-gate rollout --set PHASE'")
                }
            case .json:
                var o = recorded?.object ?? RolloutState(setting: RolloutSetting(phase: .shadow), since: Timestamp(millis: 0),
                                                          setBy: "", reason: "no rollout recorded").object
                o["recorded"] = .bool(recorded != nil)
                try output.write(line: try JSONValue.object(o).jsonText())
            }
            return .success
        }
    }
}

struct Review: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score the last window's alerts and roll back when the TSFM arm does worse.",
        discussion: """
            Reads alerts (tsfm-gate alerts output: files, or stdin) and keeps those
            whose breach_ts lies in the --window before --now, each alert_id once.
            An alert's follow-through is its followthrough field when known, else
            built from --quotes (prep's y rules), else undecided and not scored.
            Breach precision of an arm = followed / decided (tsfm-eval's follow-
            through: a move >= --move in the breach's direction within
            --followthrough). When both arms have >= --min-alerts decided alerts and
            the tsfm arm's precision is below the baseline arm's x (1 - --max-drop),
            the rollback is recorded in the state dir, logged, and the exit status
            is 79. Otherwise nothing changes (exit 0), and too few alerts says so.
            One verdict row (NDJSON) goes to stdout.

            Examples:
              tsfm-gate review --quotes quotes.ndjson alerts/*.ndjson
              tsfm-gate review --window 1d --now 2026-11-24T00:00:00Z alerts.ndjson
            """
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var state: StateOptions

    @Option(help: "Quotes to judge follow-through of alerts that do not know it yet.")
    var quotes: String?

    @Option(help: "How far back from --now alerts are reviewed.")
    var window: DurationArgument = DurationArgument(seconds: 3 * 86_400, text: "3d")

    @Option(help: "End of the window (RFC 3339; default: now).")
    var now: TimeArgument?

    @OptionGroup var followThrough: FollowThroughOptions

    @Option(help: "Roll back when the tsfm arm's precision is more than this share below the baseline arm's (0 to 1).")
    var maxDrop: Double = 0.15

    @Option(help: "Decided alerts needed in each arm to judge.")
    var minAlerts: Int = 30

    @Flag(help: "Decide and report, but change no state (exit 79 still says 'would roll back').")
    var dryRun = false

    func validate() throws {
        try window.check("--window", 0...DurationText.maxSeconds, openBelow: true)
        try FlagRange.check("--max-drop", maxDrop, low: 0, high: 1, openHigh: true)
        try FlagRange.check("--min-alerts", minAlerts, 1...1_000_000_000)
    }

    func run() throws {
        let output = OutputSink()
        let log = common.logger(tool: "tsfm-gate")
        ToolMain.run(tool: "tsfm-gate", output: output) {
            var settings = ReviewSettings(now: now?.timestamp ?? .now())
            settings.windowSeconds = window.seconds
            settings.move = followThrough.move
            settings.followThroughSeconds = followThrough.seconds
            settings.maxDrop = maxDrop
            settings.minAlerts = minAlerts
            let store = try state.requiredStore()
            let recorded = try store.load()
            try NDJSONInput(paths: common.files + (quotes.map { [$0] } ?? [])).checkReadable()
            let stream = common.stream(tool: "tsfm-gate", output: OutputSink(fd: 2))
            let book = try quotes.map { try AlertRun.readQuotes($0, settings: PrepSettings(), stream: stream) }
            let review = AlertReview(settings: settings, quotes: book)
            try review.read(NDJSONInput(paths: common.files), onError: common.onError, logger: log)
            let decision = review.verdict
            let before = recorded?.setting ?? RolloutSetting(phase: .shadow)
            var after = before
            var status = ExitStatus.success
            if decision.verdict == .rollback && before.phase != .rollback {
                after = RolloutSetting(phase: .rollback)
                status = .rolledBack
                if !dryRun {
                    try store.save(RolloutState(setting: after, since: settings.now, setBy: "review", reason: decision.reason, previous: before))
                }
                log.error(dryRun ? "review would roll back (dry run: nothing changed)" : "review rolled back: every market uses the baseline band from the next run",
                          [("reason", .string(decision.reason)), ("state", .string(store.path))])
            } else if decision.verdict == .rollback {
                log.warning("review: already rolled back", [("reason", .string(decision.reason))])
            } else {
                log.info("review: \(decision.verdict.rawValue)", [("reason", .string(decision.reason))])
            }
            try output.write(line: try review.row(before: before, after: dryRun ? before : after).jsonText())
            if common.summary {
                log.summary([("alerts_read", .int(review.read)), ("duplicates", .int(review.duplicates)),
                             ("outside_window", .int(review.outsideWindow)), ("error_records", .int(review.errorRecords)),
                             ("bad_lines", .int(review.badLines + stream.totals.badLines))])
            }
            if status == .success && review.badLines + stream.totals.badLines > 0 { return .dataError }
            return status
        }
    }
}
