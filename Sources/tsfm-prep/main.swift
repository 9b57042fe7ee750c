import ArgumentParser
import TSFMCommandLine
import TSFMCore

@main
struct TsfmPrep: ParsableCommand {
    /// `--help` and `--version` to a full disk exit 74, not 0.
    static func main() {
        ToolMain.checkStandardOutputAtExit()
        main(ToolConfig.arguments(tool: "tsfm-prep"))
    }

    static let configuration = CommandConfiguration(
        commandName: "tsfm-prep",
        abstract: "Turn raw market quotes into forecast requests.",
        discussion: """
            Without a subcommand, builds requests (see `tsfm-prep requests --help`).

            Examples:
              tsfm-prep --markets examples/markets.ndjson examples/quotes.ndjson \\
                | tsfm-forecast | tsfm-post
              tsfm-prep --backtest --stride 6 examples/quotes.ndjson > backtest.ndjson
              tsfm-prep actuals --quotes later-quotes.ndjson < forecasts.ndjson
            """,
        version: TSFM.version,
        subcommands: [Requests.self, Actuals.self],
        defaultSubcommand: Requests.self
    )
}

/// Options that shape the series, shared by both subcommands.
struct SeriesOptions: ParsableArguments {
    @Option(help: "Cadence of the grid: 1m, 5m, 15m or 1h (aligned to the epoch).")
    var freq: Cadence = .standard

    @Option(help: "Forecast horizon written into each request (steps, 1 to 2000).")
    var horizon: Int = 12

    @Option(help: "y_future length in backtest/actuals: max(horizon, this) (1 to 10000).")
    var futureSteps: Int?

    @Option(help: "A record (and a last trade) observes a grid point only this fresh (at most 7d).")
    var maxTradeAge: DurationArgument = DurationArgument(seconds: 900, text: "15m")

    @Option(help: "Forward-fill limit; a longer gap makes a request TSFM-ineligible (0 to 7d; a number with a unit: 90s, 15m, 1.5h, 2d, as quality.longest_gap_min reports minutes).")
    var maxGap: DurationArgument = DurationArgument(seconds: 3600, text: "60m")

    @Option(help: "Widest span of quote times accepted (at most 3660d); a quote outside it is a bad line.")
    var maxSpan: DurationArgument = DurationArgument(seconds: 366 * 86_400, text: "366d")

    func validate() throws {
        try FlagRange.check("--horizon", horizon, 1...PrepSettings.maxHorizon)
        if let f = futureSteps { try FlagRange.check("--future-steps", f, 1...PrepSettings.maxFutureSteps) }
        try maxTradeAge.check("--max-trade-age", 0...PrepSettings.maxGapLimitSeconds, openBelow: true)
        try maxGap.check("--max-gap", 0...PrepSettings.maxGapLimitSeconds)
        try maxSpan.check("--max-span", 0...DurationText.maxSeconds, openBelow: true)
    }

    func apply(to s: inout PrepSettings) {
        s.cadence = freq
        s.horizon = horizon
        s.futureSteps = futureSteps
        s.maxTradeAgeSeconds = maxTradeAge.seconds
        s.maxGapSeconds = maxGap.seconds
        s.maxSpanSeconds = maxSpan.seconds
    }

    /// The quote book with the span rule.
    func book(keepSeconds: Int64? = nil, ignoreAfter: Timestamp? = nil) -> QuoteBook {
        QuoteBook(keepSeconds: keepSeconds, ignoreAfter: ignoreAfter, maxSpanSeconds: Int64(maxSpan.seconds))
    }
}

struct Requests: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build one forecast request per market (live) or per as-of time (backtest).",
        discussion: """
            y at each grid point: the mid (bid+ask)/2 of the latest quote at or before
            it when both sides are present (or its `price`); else its last trade if at
            most --max-trade-age old; else the previous y carried forward. A record
            older than --max-trade-age observes nothing. Carried points count as
            missing; a carry longer than --max-gap marks the request gap_too_long.
            Requests still go out when ineligible, so a baseline can serve them.
            See docs/tsfm-prep.md for every rule and field.

            Examples:
              tsfm-prep --markets examples/markets.ndjson examples/quotes.ndjson
              tsfm-prep --top 200 --markets markets.ndjson quotes.ndjson
              tsfm-prep --backtest --stride 6 --future-steps 72 quotes.ndjson
            """
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var series: SeriesOptions
    @OptionGroup var state: StateDirOption

    @Option(help: "Market metadata (NDJSON): volume_24h, open_interest, liquidity_bucket, category, event_id, end_ts.")
    var markets: String?

    @Option(help: "Points per request, ending at the as-of time (1 to 2000, the hard cap).")
    var inputLen: Int = 288

    @Option(help: "Quantile levels written into each request.")
    var quantiles: LevelList = LevelList(QuantileLevel.standard)

    @Option(help: "Model space written into each request: logit or identity.")
    var transform: TransformChoice = .logit

    @Option(help: "y is clipped to [eps, 1-eps] under logit (eps in [1e-12, 0.5)).")
    var eps: Double = 1e-6

    @Option(help: "Fewer points than this marks a request too_short (0 to 2000).")
    var minInput: Int = 32

    @Option(help: "24h volume below this marks a market illiquid (a finite number ≥ 0).")
    var illiquidVolume: Double = 5000

    @Option(help: "Live as-of time (RFC 3339, floored to the grid), or 'now'. Default: the latest quote time seen.")
    var asOf: AsOfArgument?

    @Flag(help: "One request at every --stride-th grid point, each with y_future.")
    var backtest = false

    @Option(help: "Backtest: grid points between as-of times (1 to 1000000).")
    var stride: Int = 1

    @Option(help: "Backtest output order: market (each market's requests in time order, streaming) or time (by as_of_ts, then market_id; all requests held in memory), as tsfm-conformal apply --adapt needs.")
    var order: BacktestOrder = .market

    enum BacktestOrder: String, ExpressibleByArgument, CaseIterable { case market, time }

    @Option(help: "Live: keep the N best markets by 0.6·z(volume_24h) + 0.4·z(open_interest) (1 to 1000000).")
    var top: Int?

    @Option(help: "Keep only the markets of shard i of n (1 ≤ i ≤ n), by the stable market hash (docs/scale-out.md); the n shards together give exactly the unsharded output.")
    var shard: ShardArgument?

    struct ShardArgument: ExpressibleByArgument {
        var spec: ShardSpec
        init?(argument: String) {
            guard let s = ShardSpec(argument: argument) else { return nil }
            spec = s
        }
        static var defaultValueDescription: String { "i/n" }
    }

    enum TransformChoice: String, ExpressibleByArgument, CaseIterable { case logit, identity }

    func validate() throws {
        guard inputLen >= 1, inputLen <= PrepSettings.maxInputLength else {
            throw ValidationError("--input-len must be between 1 and \(PrepSettings.maxInputLength) (the hard cap)")
        }
        guard Transform.epsRange.contains(eps) else { throw ValidationError("--eps must be in \(Transform.epsRangeText) (got \(eps))") }
        try FlagRange.check("--min-input", minInput, 0...PrepSettings.maxInputLength)
        try FlagRange.check("--illiquid-volume", illiquidVolume, low: 0, high: nil)
        try FlagRange.check("--stride", stride, 1...PrepSettings.maxStride)
        if let top { try FlagRange.check("--top", top, 1...PrepSettings.maxTop) }
        if top != nil && backtest { throw ValidationError("--top selects live cycles; it cannot be combined with --backtest") }
        if backtest && asOf != nil { throw ValidationError("--as-of is for live mode; a backtest covers all the data") }
        if order == .time && !backtest { throw ValidationError("--order is for --backtest") }
        // Top-N ranks markets against each other (z-scores over all of them): a shard cannot know the rest.
        if top != nil && shard != nil { throw ValidationError("--top ranks every market against the others; it cannot be combined with --shard (select the top N first, then shard)") }
    }

    func run() throws {
        common.run(tool: "tsfm-prep", stateDir: state.path) { output, log, metrics in
            var settings = PrepSettings()
            series.apply(to: &settings)
            settings.inputLength = inputLen
            settings.quantiles = quantiles.levels
            settings.transform = transform == .logit ? .logit(eps: eps) : .identity
            settings.minInput = minInput
            settings.illiquidVolume = illiquidVolume
            let stream = common.stream(tool: "tsfm-prep", output: output)
            let shard = self.shard?.spec
            // Every shard reads every line (the as-of time and the span rule see all quotes), so
            // only shard 1 writes the error records: the union holds each once.
            if let shard, shard.index != 1 { stream.writesErrorRecords = false }
            // Every input is checked before any output (66), the metadata file included.
            try NDJSONInput(paths: common.files + (markets.map { [$0] } ?? [])).checkReadable()
            let metadata = try markets.map { try MarketMetadata.load(path: $0, stream: stream) } ?? [:]
            let builder = PrepBuilder(settings: settings, metadata: metadata)
            let fixedAsOf = asOf?.timestamp
            let book = series.book(keepSeconds: backtest ? nil : builder.liveKeepSeconds, ignoreAfter: fixedAsOf)
            try book.read(stream.input, stream: stream)

            var emitted = 0
            var eligible = 0
            var reasonCounts: [BaselineOnlyReason: Int] = [:]
            var firstReasons: [BaselineOnlyReason: Int] = [:]
            metrics?.collect { m, _ in
                m.add("tsfm_records_in_total", [], book.quotesRead)
                m.add("tsfm_bad_lines_total", [], stream.totals.badLines)
                m.add("tsfm_error_records_passed_total", [], stream.totals.errorRecordsPassed)
                m.add("tsfm_records_out_total", [], emitted)
                for reason in BaselineOnlyReason.allCases {
                    m.add("tsfm_prep_ineligible_requests_total", [("reason", reason.rawValue)], firstReasons[reason] ?? 0)
                }
            }
            func emit(_ r: PrepRequest) throws {
                try output.write(bytes: try r.encoded(settings: settings))
                emitted += 1
                if r.quality.eligible { eligible += 1 }
                for reason in r.quality.reasons { reasonCounts[reason, default: 0] += 1 }
                if let first = r.quality.reasons.first { firstReasons[first, default: 0] += 1 }
            }
            var unusable: [String] = []
            if backtest {
                var held: [PrepRequest] = []
                for id in book.marketIds where shard?.contains(id) ?? true {
                    let count = try builder.backtestRequests(id, book.markets[id]!, stride: Int64(stride)) { r in
                        if order == .time { held.append(r) } else { try emit(r) }
                    }
                    if count == 0 { unusable.append(id) }
                }
                // Markets come in market_id order, so a stable sort by time keeps market_id order within a time.
                for r in held.enumerated().sorted(by: { ($0.element.asOf.millis, $0.offset) < ($1.element.asOf.millis, $1.offset) }).map(\.element) {
                    try emit(r)
                }
            } else if let reference = fixedAsOf ?? book.latestTs {
                let asOfTime = reference.floored(toMultipleOf: settings.cadence.seconds)
                let live = builder.liveRequests(book, asOf: asOfTime, top: top)
                unusable = live.unusable.filter { shard?.contains($0) ?? true }
                for r in live.requests where shard?.contains(r.marketId) ?? true { try emit(r) }
            }
            if emitted == 0 && book.quotesRead > 0 && shard == nil {
                // Nothing written from real quotes: say why and what to change, not just an empty stream.
                let step = Double(settings.cadence.seconds)
                let need = Double(inputLen + (backtest ? settings.futureLength : 0)) * step
                let span = book.markets.values.compactMap { h -> Double? in
                    guard let a = h.firstTs, let b = h.latestTs else { return nil }
                    return Double(b.millis - a.millis) / 1000
                }.max() ?? 0
                func hours(_ s: Double) -> String { ((s / 360).rounded() / 10).description + "h" }
                let fewer = max(1, Int(span / step) - (backtest ? settings.futureLength : 0))
                log.warning(backtest
                    ? "no request written: a backtest request needs --input-len \(inputLen) steps of history plus \(settings.futureLength) of future (\(hours(need)) at \(settings.cadence.rawValue)), and the longest market spans \(hours(span)); try --input-len \(fewer) or a shorter --future-steps"
                    : "no request written: no market had a usable price in the window before the as-of time; check --as-of, or try a shorter --input-len (\(inputLen) steps = \(hours(Double(inputLen) * step)))",
                    [("markets", .int(book.markets.count)), ("quotes", .int(book.quotesRead))])
            } else if !unusable.isEmpty {
                if backtest {
                    log.warning("markets without a full window and future", [("markets", .strings(unusable))])
                } else {
                    // Loud on purpose: with the default as-of, one quote far after the others
                    // moves the as-of and leaves the other markets without a window.
                    let used = (fixedAsOf ?? book.latestTs).map { $0.floored(toMultipleOf: settings.cadence.seconds).rfc3339 } ?? ""
                    log.warning("markets without a usable price in the window before the as-of time",
                                [("as_of", .string(used)), ("as_of_from", .string(fixedAsOf == nil ? "latest quote" : "--as-of")),
                                 ("markets", .strings(unusable))])
                }
            }
            if common.summary {
                log.summary(records: nil, [
                    ("quotes", .int(book.quotesRead)), ("markets", .int(book.markets.count)),
                    ("requests", .int(emitted)), ("eligible", .int(eligible)),
                    ("baseline_only_reasons", .object(JSONObject(reasonCounts.sorted { $0.key.rawValue < $1.key.rawValue }.map { ($0.key.rawValue, .int($0.value)) }))),
                    ("markets_without_request", .strings(unusable)),
                    ("quotes_after_as_of", .int(book.quotesAfterAsOf)),
                ], errorRecordsPassed: stream.totals.errorRecordsPassed, badLines: stream.totals.badLines)
            }
            return stream.exitStatus
        }
    }
}

struct Actuals: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Attach realized values (y_future) to stored forecasts from later quotes.",
        discussion: """
            Reads forecasts (or requests) and, for each, builds the realized y of the
            max(horizon_steps, --future-steps) grid points after its as_of_ts on its
            freq, from the quotes, with the same rules as requests. A record whose
            future is not complete yet (or whose market has no quotes) passes through
            unchanged and is counted in --summary.

            Example:
              tsfm-prep actuals --quotes quotes.ndjson < forecasts.ndjson > scored.ndjson
            """
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var series: SeriesOptions
    @OptionGroup var state: StateDirOption

    @Option(help: "Quotes (NDJSON) covering the forecasts' futures.")
    var quotes: String

    func run() throws {
        common.run(tool: "tsfm-prep", metricsName: "tsfm-prep actuals", stateDir: state.path) { output, log, metrics in
            var settings = PrepSettings()
            series.apply(to: &settings)
            let builder = PrepBuilder(settings: settings)
            let book = series.book()
            let stream = common.stream(tool: "tsfm-prep", output: output)
            metrics?.collect { m, _ in m.stream(stream.totals) }
            // Every input is checked before any output (66); bad quote lines follow --on-error
            // like bad forecast lines and count in the same totals.
            try NDJSONInput(paths: common.files + [quotes]).checkReadable()
            try book.read(NDJSONInput(paths: [quotes]), stream: stream)
            var joined = 0
            var incomplete = 0
            try stream.map { record, _ in
                let key = try ForecastKey(record: record)
                let count = max(key.horizonSteps, settings.futureSteps ?? key.horizonSteps)
                guard let history = book.markets[key.marketId],
                      let future = builder.realizedFuture(history, asOf: key.asOf, cadence: key.freq, count: count)
                else {
                    incomplete += 1
                    return
                }
                try record.set(FieldName.yFuture, doubles: future)
                joined += 1
            }
            if common.summary {
                log.summary(stream.totals, [("joined", .int(joined)), ("incomplete", .int(incomplete))])
            }
            return stream.exitStatus
        }
    }
}
