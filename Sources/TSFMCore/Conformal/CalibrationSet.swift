/// Settings of `tsfm-conformal fit` (the flags, with their documented defaults).
public struct FitSettings: Sendable {
    public var method: ConformalMethod = .cqr
    public var space: ConformalSpace = .logit
    public var target = 0.9
    /// ACI's step size.
    public var gamma = 0.005
    public var minSamples = 500
    public var segments = SegmentKeys(SegmentKeys.standard)
    public var allPairs = false
    public var window = DurationArgument(seconds: 14 * 86_400, text: "14d")
    /// The window's end; nil means the latest `as_of_ts` in the input.
    public var asOf: Timestamp?
    /// Keep each sample's band and realized value too, so the holdout can be scored on the band
    /// apply writes (`--report`, and the refit check of `--out-dir`). About 32 bytes a step more.
    public var keepBands = false

    public init() {}
}

/// Counts of what `fit` did with its input records.
public struct IngestCounts: Equatable, Sendable {
    /// Records handed to `add`.
    public var records = 0
    /// Records that contributed at least one sample (before windowing by a default as-of).
    public var sampled = 0
    /// Records without `y_future` (skipped, not an error).
    public var withoutFuture = 0
    /// Records outside an explicit `--as-of` window.
    public var outsideWindow = 0
    /// Records whose realized values covered no step (empty or all null).
    public var withoutSteps = 0
    public init() {}
}

/// The calibration history `fit` holds in memory, compactly: per full segment group and pair,
/// one as-of time per record and per step a column of Float scores (NaN where the record has
/// no realized value at that step). Scores are in the calibration space:
/// - cqr / aci: one column per step, max(lo − y, y − hi);
/// - scaled: three per step, the residual y − centre and the half-widths centre − lo, hi − centre.
public final class CalibrationSet {
    /// The settings; `asOf` may be set after reading (`--exclude-latest` chooses it from the data).
    public var settings: FitSettings
    public internal(set) var counts = IngestCounts()
    /// The latest `as_of_ts` among sampled records.
    public internal(set) var latest: Timestamp?

    final class Cell {
        var times: [Int64] = []
        var columns: [[Float]] = []
        /// With `keepBands`: per step four columns, the pair's lo, the median (NaN when the band
        /// has none), hi and the realized y, in probabilities as the record had them.
        var bands: [[Double]] = []
        var count: Int { times.count }
    }

    var groupIndex: [[String]: Int] = [:]
    var groupValues: [[String]] = []
    var pairIndex: [QuantilePair: Int] = [:]
    var pairs: [QuantilePair] = []
    /// cells[group][pair], nil until a sample arrives.
    var cells: [[Cell?]] = []

    let fieldsPerStep: Int
    let transform: Transform

    public init(settings: FitSettings) {
        self.settings = settings
        fieldsPerStep = settings.method == .scaled ? 3 : 1
        transform = settings.space.transform
    }

    /// Adds one forecast's samples. Throws `RecordError` for a record that cannot be used.
    public func add(_ record: Record) throws {
        counts.records += 1
        guard let tsText = try record.string(FieldName.asOfTs) else { throw RecordError.missing(FieldName.asOfTs) }
        guard let ts = Timestamp(tsText) else { throw RecordError(field: FieldName.asOfTs, "not an RFC 3339 UTC time: \(tsText)") }
        guard let future = try ForecastFields.realized(record) else {
            counts.withoutFuture += 1
            return
        }
        if let asOf = settings.asOf, !Self.inWindow(ts, asOf: asOf, window: settings.window) {
            counts.outsideWindow += 1
            return
        }
        // A calibrated record is scored on its raw band, the band apply starts from.
        let rawText = record.rawValue(FieldName.yhatQRaw)
        let field = rawText != nil && rawText! != Array("null".utf8) ? FieldName.yhatQRaw : FieldName.yhatQ
        guard let band = try ForecastFields.band(record, field: field) else {
            throw RecordError.missing(FieldName.yhatQ)
        }
        guard band.levels.count >= 2 else { throw RecordError(field: FieldName.yhatQ, "needs at least two quantile levels to calibrate") }
        for (i, row) in band.values.enumerated() {
            for (h, v) in row.enumerated() where !(v >= 0 && v <= 1) {
                throw RecordError(field: "\(field).\(QuantileLevel.key(band.levels[i]))[\(h)]",
                                  "\(v) is not a probability (bands are calibrated after tsfm-post)")
            }
        }
        var steps = min(band.horizon, future.count)
        if let horizon = try record.int(FieldName.horizonSteps) {
            guard horizon >= 1 else { throw RecordError(field: FieldName.horizonSteps, "must be at least 1") }
            steps = min(steps, horizon)
        }
        guard future.prefix(steps).contains(where: { !$0.isNaN }) else {
            counts.withoutSteps += 1
            return
        }
        let values = try settings.segments.values(of: record)
        let g = groupSlot(values)
        let median = band.medianIndex
        let f = transform
        for (pair, lo, hi) in QuantilePair.pairs(ofLevels: band.levels, allPairs: settings.allPairs) {
            var row = [Float](repeating: .nan, count: steps * fieldsPerStep)
            var bandRow = settings.keepBands ? [Double](repeating: .nan, count: steps * 4) : []
            let cell = self.cell(g, pairSlot(pair))
            for h in 0..<steps {
                let y = future[h]
                if y.isNaN { continue }
                if settings.keepBands {
                    bandRow[4 * h] = band.values[lo][h]
                    bandRow[4 * h + 1] = median.map { band.values[$0][h] } ?? .nan
                    bandRow[4 * h + 2] = band.values[hi][h]
                    bandRow[4 * h + 3] = y
                }
                let fy = f.forward(y)
                let flo = f.forward(band.values[lo][h])
                let fhi = f.forward(band.values[hi][h])
                if fieldsPerStep == 1 {
                    row[h] = Float(ConformalScore.cqr(lo: flo, hi: fhi, y: fy))
                } else {
                    let c = median.map { f.forward(band.values[$0][h]) } ?? (flo + fhi) / 2
                    row[3 * h] = Float(fy - c)
                    row[3 * h + 1] = Float(c - flo)
                    row[3 * h + 2] = Float(fhi - c)
                }
            }
            append(row, bands: bandRow, time: ts.millis, to: cell)
        }
        counts.sampled += 1
        if latest.map({ ts > $0 }) ?? true { latest = ts }
    }

    /// The window is [asOf − window, asOf], both ends included: a record exactly one window old
    /// still counts.
    public static func inWindow(_ ts: Timestamp, asOf: Timestamp, window: DurationArgument) -> Bool {
        ts <= asOf && ts.millis >= asOf.millis - Int64((window.seconds * 1000).rounded())
    }

    func groupSlot(_ values: [String]) -> Int {
        if let g = groupIndex[values] { return g }
        let g = groupValues.count
        groupIndex[values] = g
        groupValues.append(values)
        cells.append([Cell?](repeating: nil, count: pairs.count))
        return g
    }

    func pairSlot(_ pair: QuantilePair) -> Int {
        if let p = pairIndex[pair] { return p }
        let p = pairs.count
        pairIndex[pair] = p
        pairs.append(pair)
        for g in cells.indices { cells[g].append(nil) }
        return p
    }

    func cell(_ g: Int, _ p: Int) -> Cell {
        if let c = cells[g][p] { return c }
        let c = Cell()
        cells[g][p] = c
        return c
    }

    func append(_ row: [Float], bands: [Double], time: Int64, to cell: Cell) {
        // A record with more steps than the cell has seen adds columns, NaN for earlier records.
        while cell.columns.count < row.count {
            cell.columns.append([Float](repeating: .nan, count: cell.count))
        }
        for j in 0..<cell.columns.count {
            cell.columns[j].append(j < row.count ? row[j] : .nan)
        }
        if settings.keepBands {
            while cell.bands.count < bands.count {
                cell.bands.append([Double](repeating: .nan, count: cell.count))
            }
            for j in 0..<cell.bands.count {
                cell.bands[j].append(j < bands.count ? bands[j] : .nan)
            }
        }
        cell.times.append(time)
    }

    /// The as-of times of every sampled record (ms), one per record, in no particular order.
    public func sampledTimes() -> [Int64] {
        var out: [Int64] = []
        for row in cells {
            for (p, cell) in row.enumerated() where pairs[p].outer {
                if let cell { out.append(contentsOf: cell.times) }
            }
        }
        return out
    }

    // MARK: - Groups of the hierarchy

    /// Every group of the hierarchy with the full groups under it: global first, then by depth
    /// and name.
    func hierarchy() -> [(name: String, members: [Int])] {
        let segments = settings.segments
        var out: [(name: String, members: [Int])] = []
        for depth in 0...segments.names.count {
            var byName: [String: [Int]] = [:]
            for (g, values) in groupValues.enumerated() {
                byName[segments.group(values, depth: depth), default: []].append(g)
            }
            for name in byName.keys.sorted() { out.append((name, byName[name]!)) }
        }
        return out
    }

    /// Steps seen for a pair across the given groups.
    func stepCount(_ members: [Int], _ p: Int) -> Int {
        members.compactMap { cells[$0][p]?.columns.count }.max().map { $0 / fieldsPerStep } ?? 0
    }
}
