#if canImport(Glibc)
import Glibc
#endif

/// One series of a family: its labels beyond `tool` and `pipeline` (which the file adds), in
/// the documented order.
public struct SeriesKey: Hashable, Sendable {
    public struct Label: Hashable, Sendable {
        public let name: String
        public let value: String
    }

    public let family: String
    public let labels: [Label]

    public init(_ family: String, _ labels: [(String, String)] = []) {
        self.family = family
        self.labels = labels.map { Label(name: $0.0, value: $0.1) }
    }
}

/// A histogram over `MetricCatalog.durationBuckets`: a count per bucket (not cumulative; the
/// last one is above every bound), the sum and the count.
public struct DurationHistogram: Equatable, Sendable {
    public var buckets: [Int]
    public var sum: Double
    public var count: Int

    public init() {
        buckets = Array(repeating: 0, count: MetricCatalog.durationBuckets.count + 1)
        sum = 0
        count = 0
    }

    public mutating func observe(_ seconds: Double) {
        let value = seconds.isFinite ? max(0, seconds) : 0
        let i = MetricCatalog.durationBuckets.firstIndex { value <= $0 } ?? MetricCatalog.durationBuckets.count
        buckets[i] += 1
        sum += value
        count += 1
    }

    public mutating func add(_ other: DurationHistogram) {
        for i in buckets.indices where i < other.buckets.count { buckets[i] += other.buckets[i] }
        sum += other.sum
        count += other.count
    }
}

/// What one run of a tool counted and measured, for `MetricsFile`. Counters and histograms hold
/// the run's own increments (the file adds the totals of earlier runs); gauges the run's values.
/// Safe to use from several threads (tollama's workers observe call durations).
public final class RunMetrics: @unchecked Sendable {
    var mutex = pthread_mutex_t()
    public private(set) var counters: [SeriesKey: Int] = [:]
    public private(set) var gauges: [SeriesKey: Double] = [:]
    public private(set) var histograms: [SeriesKey: DurationHistogram] = [:]

    public init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }

    func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }

    /// Adds `n` to a counter; `n` 0 makes the series exist (written as 0).
    public func add(_ family: String, _ labels: [(String, String)] = [], _ n: Int = 1) {
        let key = SeriesKey(family, labels)
        locked { counters[key, default: 0] += n }
    }

    /// Sets a gauge; nil leaves the series out (an undefined value is never written as NaN).
    public func set(_ family: String, _ labels: [(String, String)] = [], _ value: Double?) {
        let key = SeriesKey(family, labels)
        locked { gauges[key] = value.flatMap { $0.isFinite ? $0 : nil } }
    }

    /// Observes a duration in seconds.
    public func observe(_ family: String, _ labels: [(String, String)] = [], seconds: Double) {
        let key = SeriesKey(family, labels)
        locked { histograms[key, default: DurationHistogram()].observe(seconds) }
    }

    /// Makes a histogram series exist with no observation.
    public func declareHistogram(_ family: String, _ labels: [(String, String)] = []) {
        let key = SeriesKey(family, labels)
        locked { _ = histograms[key, default: DurationHistogram()] }
    }

    /// The counts every record-processing tool reports from its stream.
    public func stream(_ totals: StreamTotals) {
        add("tsfm_records_in_total", [], totals.records)
        add("tsfm_bad_lines_total", [], totals.badLines)
        add("tsfm_error_records_passed_total", [], totals.errorRecordsPassed)
    }
}
