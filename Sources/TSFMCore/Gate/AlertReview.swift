/// `tsfm-gate review`: scores the alerts of the last window whose follow-through is known and
/// decides whether the TSFM arm is doing worse than the baseline arm by more than allowed.
///
/// Breach precision of an arm = the share of its decided alerts followed by a move of at least
/// `move` in the breach's direction within the follow-through window: tsfm-eval's
/// follow-through (`IntervalMetrics.followThrough`, the same function). An alert's outcome is
/// the `followthrough` it carries (known when the alerts were made from a long enough realized
/// path), else built from `--quotes` with prep's y rules, else it is undecided and not scored.
public struct ReviewSettings: Sendable {
    /// Alerts whose breach time lies in (now − window, now] are reviewed.
    public var windowSeconds: Double = 3 * 86_400
    public var now: Timestamp
    public var move = 0.03
    public var followThroughSeconds: Double = 6 * 3600
    /// Roll back when the TSFM arm's precision is below the baseline arm's × (1 − maxDrop).
    public var maxDrop = 0.15
    /// Fewer decided alerts than this in either arm: too few to judge, nothing changes.
    public var minAlerts = 30

    public init(now: Timestamp) { self.now = now }
}

/// What review decided.
public enum ReviewVerdict: String, Sendable {
    /// The TSFM arm's precision fell too far below the baseline arm's: roll back.
    case rollback
    /// The TSFM arm holds up: nothing changes.
    case keep
    /// Too few decided alerts in an arm to judge: nothing changes.
    case tooFewAlerts = "too_few_alerts"
}

/// One arm's alerts in the window.
public struct ArmScore: Equatable, Sendable {
    /// Distinct alerts in the window.
    public var alerts = 0
    /// Of those, the ones whose follow-through is known.
    public var decided = 0
    /// Of those, the ones the move followed.
    public var followed = 0
    public init() {}

    public var precision: Double? { decided > 0 ? Double(followed) / Double(decided) : nil }

    var object: JSONValue {
        ["alerts": .int(alerts), "decided": .int(decided), "followed": .int(followed),
         "precision": precision.map(JSONValue.double) ?? .null]
    }
}

public final class AlertReview {
    public let settings: ReviewSettings
    let quotes: (book: QuoteBook, builder: PrepBuilder)?
    public private(set) var scores: [RolloutArm: ArmScore] = [.tsfm: ArmScore(), .baseline: ArmScore()]
    /// Alert lines read, error records among them, alerts seen twice, alerts outside the window.
    public private(set) var read = 0
    public private(set) var errorRecords = 0
    public private(set) var duplicates = 0
    public private(set) var outsideWindow = 0
    public private(set) var badLines = 0
    var seen: Set<String> = []

    public init(settings: ReviewSettings, quotes: (book: QuoteBook, builder: PrepBuilder)? = nil) {
        self.settings = settings
        self.quotes = quotes
    }

    var windowStart: Timestamp { Timestamp(millis: settings.now.millis - Int64(settings.windowSeconds * 1000)) }

    /// Reads alert lines; a bad line stops the review (`fail`) or is counted and logged (`skip`).
    public func read(_ input: NDJSONInput, onError: OnErrorPolicy, logger: Logger) throws {
        func reject(_ location: SourceLocation, _ error: RecordError) throws {
            guard onError == .skip else { throw ToolError.data(error, at: location) }
            badLines += 1
            logger.warning("bad alert line skipped", [("at", .string(location.description)), ("reason", .string(error.description))])
        }
        try input.forEachLine(longLine: { try reject($0.location, $0.error) }) { bytes, location in
            do {
                let record = try Record(line: bytes)
                if record.isErrorRecord {
                    errorRecords += 1
                    return
                }
                read += 1
                try add(record)
            } catch let error as RecordError {
                try reject(location, error)
            }
        }
    }

    /// Scores one alert record.
    public func add(_ record: Record) throws {
        guard let id = try record.string("alert_id"), !id.isEmpty else { throw RecordError(field: "alert_id", "missing (is this tsfm-gate alerts output?)") }
        guard let armText = try record.string("arm"), let arm = RolloutArm(rawValue: armText) else {
            throw RecordError(field: "arm", "expected one of \(RolloutArm.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let breachText = try record.string("breach_ts"), let breach = Timestamp(breachText) else {
            throw RecordError(field: "breach_ts", "missing or not an RFC 3339 timestamp")
        }
        guard breach > windowStart && breach <= settings.now else {
            outsideWindow += 1
            return
        }
        guard seen.insert(id).inserted else {
            duplicates += 1
            return
        }
        scores[arm, default: ArmScore()].alerts += 1
        var outcome: Bool?
        if let v = try record.value("followthrough"), v != .null {
            guard let b = v.bool else { throw RecordError(field: "followthrough", "expected true, false or null") }
            outcome = b
        } else {
            outcome = try followThroughFromQuotes(record, breach: breach)
        }
        guard let outcome else { return }
        scores[arm, default: ArmScore()].decided += 1
        if outcome { scores[arm, default: ArmScore()].followed += 1 }
    }

    /// The follow-through of an alert from the quotes: the realized path from the breach on.
    func followThroughFromQuotes(_ record: Record, breach: Timestamp) throws -> Bool? {
        guard let quotes else { return nil }
        guard let market = try record.string(FieldName.marketId) else { throw RecordError.missing(FieldName.marketId) }
        let freqText = try record.string(FieldName.freq) ?? Cadence.standard.rawValue
        guard let freq = Cadence(rawValue: freqText) else { throw RecordError(field: FieldName.freq, "'\(freqText)' is not a cadence") }
        guard let y = try record.double("y"), y >= 0, y <= 1 else { throw RecordError(field: "y", "missing or not a probability") }
        let above: Bool
        switch try record.string("direction") {
        case "above"?: above = true
        case "below"?: above = false
        default: throw RecordError(field: "direction", "expected above or below")
        }
        let window = Int(settings.followThroughSeconds / Double(freq.seconds))
        guard window >= 1, let history = quotes.book.markets[market],
              let after = quotes.builder.realizedFuture(history, asOf: breach, cadence: freq, count: window) else { return nil }
        return IntervalMetrics.followThrough(path: [y] + after, at: 0, above: above, move: settings.move, window: window)
    }

    /// The decision and the evidence for it.
    public var verdict: (verdict: ReviewVerdict, reason: String) {
        let t = scores[.tsfm]!, b = scores[.baseline]!
        if t.decided < settings.minAlerts || b.decided < settings.minAlerts {
            return (.tooFewAlerts, "too few alerts with known follow-through to judge: tsfm \(t.decided), baseline \(b.decided) (need \(settings.minAlerts) in each arm); nothing changed")
        }
        let tp = t.precision!, bp = b.precision!
        let floor = bp * (1 - settings.maxDrop)
        let text = "tsfm precision \(Self.percent(tp)) (\(t.followed)/\(t.decided)) vs baseline \(Self.percent(bp)) (\(b.followed)/\(b.decided))"
        if tp < floor - 1e-12 {
            return (.rollback, "\(text): more than \(Self.percent(settings.maxDrop)) below the baseline (floor \(Self.percent(floor)))")
        }
        return (.keep, "\(text): within \(Self.percent(settings.maxDrop)) of the baseline (floor \(Self.percent(floor)))")
    }

    static func percent(_ x: Double) -> String {
        let tenths = (x * 1000).rounded() / 10
        return "\(tenths.rounded() == tenths ? String(Int(tenths)) : tenths.description)%"
    }

    /// The review as one NDJSON row.
    public func row(before: RolloutSetting?, after: RolloutSetting?) -> JSONValue {
        let v = verdict
        var o = JSONObject()
        o["verdict"] = .string(v.verdict.rawValue)
        o["reason"] = .string(v.reason)
        o["window_start"] = .string(windowStart.rfc3339)
        o["window_end"] = .string(settings.now.rfc3339)
        o["tsfm"] = scores[.tsfm]!.object
        o["baseline"] = scores[.baseline]!.object
        o["max_drop"] = .double(settings.maxDrop)
        o["min_alerts"] = .int(settings.minAlerts)
        o["alerts_read"] = .int(read)
        o["duplicates"] = .int(duplicates)
        o["outside_window"] = .int(outsideWindow)
        o["rollout_before"] = before.map { .string($0.description) } ?? .null
        o["rollout_after"] = after.map { .string($0.description) } ?? .null
        return .object(o)
    }
}
