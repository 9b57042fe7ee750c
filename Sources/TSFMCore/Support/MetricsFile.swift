
/// The `--metrics-file` of one run (docs/metrics.md): at the run's end, adds the run's counters
/// to the totals kept in `<state-dir>/metrics/<hash of the path>.json` (under the state dir's
/// lock) and writes the Prometheus text exposition atomically to the path.
///
/// A tool makes one at its start, registers what it reports with `collect`, and `ToolMain.run`
/// calls `finish(status:)` with the exit status. How to adopt it in a new tool: docs/metrics.md,
/// "Adding a tool".
public final class MetricsRun {
    public let path: String
    public let tool: String
    public let pipeline: String
    public let stateDir: String?
    public let metrics = RunMetrics()
    let logger: Logger
    let output: OutputSink?
    let startedNs: UInt64
    let wallClockMs: () -> Int64
    var collectors: [(RunMetrics, ExitStatus) -> Void] = []
    var finished = false

    public init(path: String, tool: String, pipeline: String, stateDir: String?, output: OutputSink?, logger: Logger,
                wallClockMs: @escaping () -> Int64 = { Timestamp.now().millis }) {
        self.path = path
        self.tool = tool
        self.pipeline = pipeline
        self.stateDir = stateDir
        self.output = output
        self.logger = logger
        self.wallClockMs = wallClockMs
        startedNs = System.monotonicNanoseconds()
    }

    /// `body` runs once, at the run's end, whatever its exit status, to fill in what the tool
    /// reports (it sees the state the run reached, even after an error).
    public func collect(_ body: @escaping (RunMetrics, ExitStatus) -> Void) {
        collectors.append(body)
    }

    /// Writes the file. A failure is one warning naming the path; the exit status stays.
    public func finish(status: ExitStatus) {
        guard !finished else { return }
        finished = true
        for collector in collectors { collector(metrics, status) }
        if let output { metrics.add("tsfm_records_out_total", [], output.recordsWritten) }
        metrics.add("tsfm_runs_total")
        metrics.add("tsfm_run_failures_total", [], status == .success ? 0 : 1)
        metrics.set("tsfm_last_run_exit_code", [], Double(status.rawValue))
        for family in ["tsfm_records_in_total", "tsfm_bad_lines_total", "tsfm_error_records_passed_total"] {
            metrics.add(family, [], 0)
        }
        do {
            try write(status: status)
        } catch let error as ToolError {
            logger.warning("cannot write metrics file \(path): \(error.message)")
        } catch {
            logger.warning("cannot write metrics file \(path): \(error)")
        }
    }

    func write(status: ExitStatus) throws {
        let endMs = wallClockMs()
        let elapsedNs = System.monotonicNanoseconds() &- startedNs
        var totals = MetricTotals()
        if let stateDir {
            try StateDir.makeDirectory(stateDir + "/metrics")
            totals = try StateDir(stateDir).update("metrics/\(Self.totalsName(path)).json") { object -> MetricTotals in
                var t = MetricTotals(object)
                t.add(metrics)
                if status == .success { t.lastSuccessMs = endMs }
                object = t.object
                return t
            }
        } else {
            totals.add(metrics)
            if status == .success { totals.lastSuccessMs = endMs }
        }
        var gauges = metrics.gauges
        gauges[SeriesKey("tsfm_last_run_timestamp_seconds")] = Double(endMs) / 1000
        gauges[SeriesKey("tsfm_last_run_duration_seconds")] = (Double(elapsedNs) / 1e6).rounded() / 1000
        gauges[SeriesKey("tsfm_last_success_timestamp_seconds")] = Double(totals.lastSuccessMs ?? 0) / 1000
        let text = PrometheusText.render(tool: tool, pipeline: pipeline, counters: totals.counters, gauges: gauges,
                                         histograms: totals.histograms)
        try AtomicFile.write(Array(text.utf8), to: path, durable: false)
    }

    /// 16 hex digits of a hash of the path made absolute: two paths keep separate totals.
    static func totalsName(_ path: String) -> String {
        var absolute = path
        if !path.hasPrefix("/") {
            if let cwd = System.currentDirectory() { absolute = cwd + "/" + path }
        }
        var hash = ContentHash()
        hash.add(absolute)
        return String(hash.hex.prefix(16))
    }
}

/// The counters and histograms of every run that wrote one metrics file, and when the latest
/// successful one ended: the JSON file in `<state-dir>/metrics/`. A damaged file reads as zeros
/// (a counter reset, which `rate()` handles).
struct MetricTotals {
    var counters: [SeriesKey: Int] = [:]
    var histograms: [SeriesKey: DurationHistogram] = [:]
    var lastSuccessMs: Int64?

    init() {}

    init(_ object: JSONObject) {
        for entry in object["counters"]?.array ?? [] {
            guard let a = entry.array, a.count == 3, let key = Self.key(a[0], a[1]), let n = a[2].int, n >= 0 else { continue }
            counters[key] = n
        }
        for entry in object["histograms"]?.array ?? [] {
            guard let a = entry.array, a.count == 5, let key = Self.key(a[0], a[1]),
                  let buckets = a[2].array?.compactMap(\.int), buckets.count == MetricCatalog.durationBuckets.count + 1,
                  let sum = a[3].number, let count = a[4].int else { continue }
            var h = DurationHistogram()
            h.buckets = buckets
            h.sum = sum
            h.count = count
            histograms[key] = h
        }
        lastSuccessMs = object["last_success_ms"]?.int.map(Int64.init)
    }

    static func key(_ family: JSONValue, _ labels: JSONValue) -> SeriesKey? {
        guard let name = family.string, MetricCatalog.families[name] != nil, let list = labels.array else { return nil }
        var pairs: [(String, String)] = []
        for item in list {
            guard let p = item.array, p.count == 2, let k = p[0].string, let v = p[1].string else { return nil }
            pairs.append((k, v))
        }
        return SeriesKey(name, pairs)
    }

    static func labels(_ key: SeriesKey) -> JSONValue {
        .array(key.labels.map { .array([.string($0.name), .string($0.value)]) })
    }

    mutating func add(_ run: RunMetrics) {
        for (key, n) in run.counters { counters[key, default: 0] += n }
        for (key, h) in run.histograms { histograms[key, default: DurationHistogram()].add(h) }
    }

    var object: JSONObject {
        var o = JSONObject()
        o["format_version"] = .int(1)
        o["counters"] = .array(counters.keys.sorted(by: PrometheusText.order).map {
            .array([.string($0.family), Self.labels($0), .int(counters[$0]!)])
        })
        o["histograms"] = .array(histograms.keys.sorted(by: PrometheusText.order).map {
            let h = histograms[$0]!
            return .array([.string($0.family), Self.labels($0), .array(h.buckets.map { .int($0) }), .double(h.sum), .int(h.count)])
        })
        o["last_success_ms"] = lastSuccessMs.map { .int(Int($0)) } ?? .null
        return o
    }
}

/// The text exposition format 0.0.4 as docs/metrics.md fixes it: families in byte order of their
/// names, HELP and TYPE from `MetricCatalog`, labels in the documented order, samples sorted by
/// label values (`step` and `le` numerically), no timestamps, plain decimal numbers.
public enum PrometheusText {
    public static func render(tool: String, pipeline: String, counters: [SeriesKey: Int], gauges: [SeriesKey: Double],
                              histograms: [SeriesKey: DurationHistogram]) -> String {
        var byFamily: [String: [String]] = [:]
        let base: [(String, String)] = [("tool", tool), ("pipeline", pipeline)]
        for key in counters.keys.sorted(by: order) {
            byFamily[key.family, default: []].append(sample(key.family, base, key, [], NumberText.plain(Double(counters[key]!))))
        }
        for key in gauges.keys.sorted(by: order) {
            byFamily[key.family, default: []].append(sample(key.family, base, key, [], NumberText.plain(gauges[key]!)))
        }
        for key in histograms.keys.sorted(by: order) {
            let h = histograms[key]!
            var cumulative = 0
            var lines: [String] = []
            for (i, bound) in MetricCatalog.durationBuckets.enumerated() {
                cumulative += h.buckets[i]
                lines.append(sample(key.family + "_bucket", base, key, [("le", NumberText.plain(bound))], String(cumulative)))
            }
            lines.append(sample(key.family + "_bucket", base, key, [("le", "+Inf")], String(h.count)))
            lines.append(sample(key.family + "_sum", base, key, [], NumberText.plain(h.sum)))
            lines.append(sample(key.family + "_count", base, key, [], String(h.count)))
            byFamily[key.family, default: []] += lines
        }
        var text = ""
        for family in byFamily.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            guard let meta = MetricCatalog.families[family] else { continue }
            text += "# HELP \(family) \(meta.help)\n# TYPE \(family) \(meta.type.rawValue)\n"
            for line in byFamily[family]! { text += line + "\n" }
        }
        return text
    }

    static func sample(_ name: String, _ base: [(String, String)], _ key: SeriesKey, _ extra: [(String, String)],
                       _ value: String) -> String {
        let labels = base + key.labels.map { ($0.name, $0.value) } + extra
        return name + "{" + labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "} " + value
    }

    static func escape(_ value: String) -> String {
        var out = ""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    /// Series order within a file: by family, then by label values in label order, `step`
    /// numerically.
    static func order(_ a: SeriesKey, _ b: SeriesKey) -> Bool {
        if a.family != b.family { return a.family < b.family }
        for (x, y) in zip(a.labels, b.labels) where x.value != y.value {
            if x.name == "step", let i = Int(x.value), let j = Int(y.value) { return i < j }
            return x.value < y.value
        }
        return a.labels.count < b.labels.count
    }
}
