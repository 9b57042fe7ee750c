/// A self-contained HTML page (inline SVG, no scripts, nothing fetched) that people read before
/// they trust a number: coverage by horizon per band source against its nominal and target
/// lines, width by horizon, a reliability plot per level pair, and a fan chart of a few sample
/// markets. The markup is well-formed XML (XHTML), so it can be checked mechanically.
public struct EvalReport {
    let evaluator: Evaluator
    let samples: [ScoredForecast]
    /// Why nothing was scored, when nothing was: the page says so instead of showing empty charts.
    let nothingScored: String?

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
    /// Pair colours, outermost first.
    static let pairPalette = ["#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]

    public init(evaluator: Evaluator, samples: [ScoredForecast], nothingScored: String? = nil) {
        self.evaluator = evaluator
        self.samples = samples
        self.nothingScored = nothingScored
    }

    public func write(to path: String) throws {
        try AtomicFile.write(Array(html().utf8), to: path)
    }

    struct Series {
        enum Style { case line, dashed, dots }
        var name: String
        var color: String
        var points: [(Double, Double)]
        var style = Style.line
    }

    struct Band {
        var name: String
        var color: String
        var opacity: Double
        var lower: [(Double, Double)]
        var upper: [(Double, Double)]
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    static func num(_ x: Double) -> String { ((x * 100).rounded() / 100).description }

    static func label(_ x: Double) -> String {
        NumberText.short((x * 1000).rounded() / 1000)
    }

    /// A chart with axes, grid, ticks (whole numbers on an integer axis), axis labels, a legend
    /// beside the plot, shaded bands and an optional vertical marker.
    static func chart(title: String, xLabel: String, yLabel: String, series: [Series], bands: [Band] = [],
                      xRange: (Double, Double), yRange: (Double, Double), integerX: Bool = false,
                      marker: (x: Double, label: String)? = nil, legendWidth: Double = 150) -> String {
        let right = legendWidth, w = 370 + right, h = 300.0, left = 60.0, top = 30.0, bottom = 45.0
        let pw = w - left - right, ph = h - top - bottom
        let (x0, x1) = xRange.0 == xRange.1 ? (xRange.0 - 1, xRange.1 + 1) : xRange
        let (y0, y1) = yRange.0 == yRange.1 ? (yRange.0 - 0.05, yRange.1 + 0.05) : yRange
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * pw }
        func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * ph }
        func points(_ pts: [(Double, Double)]) -> String { pts.map { "\(num(px($0.0))),\(num(py($0.1)))" }.joined(separator: " ") }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\">"
        s += "<title>\(escape(title))</title>"
        s += "<text x=\"\(num(left))\" y=\"18\" font-size=\"13\" font-weight=\"bold\">\(escape(title))</text>"
        for i in 0...4 {
            let yv = y0 + (y1 - y0) * Double(i) / 4
            s += "<line x1=\"\(num(left))\" y1=\"\(num(py(yv)))\" x2=\"\(num(left + pw))\" y2=\"\(num(py(yv)))\" stroke=\"#e5e5e5\"/>"
            s += "<text x=\"\(num(left - 6))\" y=\"\(num(py(yv) + 4))\" font-size=\"11\" text-anchor=\"end\">\(label(yv))</text>"
        }
        var xTicks: [Double] = []
        if integerX {
            let stride = max(1, Int(((x1 - x0) / 6).rounded(.up)))
            var t = Int(x0.rounded(.up))
            while Double(t) <= x1 {
                xTicks.append(Double(t))
                t += stride
            }
        } else {
            xTicks = (0...4).map { x0 + (x1 - x0) * Double($0) / 4 }
        }
        for xv in xTicks {
            s += "<line x1=\"\(num(px(xv)))\" y1=\"\(num(top + ph))\" x2=\"\(num(px(xv)))\" y2=\"\(num(top + ph + 4))\" stroke=\"#444\"/>"
            s += "<text x=\"\(num(px(xv)))\" y=\"\(num(top + ph + 16))\" font-size=\"11\" text-anchor=\"middle\">\(label(xv))</text>"
        }
        s += "<text x=\"\(num(left + pw / 2))\" y=\"\(num(h - 6))\" font-size=\"12\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        s += "<text x=\"14\" y=\"\(num(top + ph / 2))\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(num(top + ph / 2)))\">\(escape(yLabel))</text>"
        for band in bands where !band.lower.isEmpty {
            s += "<polygon points=\"\(points(band.lower + band.upper.reversed()))\" fill=\"\(band.color)\" fill-opacity=\"\(band.opacity)\" stroke=\"none\"/>"
        }
        if let marker {
            s += "<line x1=\"\(num(px(marker.x)))\" y1=\"\(num(top))\" x2=\"\(num(px(marker.x)))\" y2=\"\(num(top + ph))\" stroke=\"#888\" stroke-dasharray=\"3 3\"/>"
            s += "<text x=\"\(num(px(marker.x) - 4))\" y=\"\(num(top + 12))\" font-size=\"10\" text-anchor=\"end\" fill=\"#666\">\(escape(marker.label))</text>"
        }
        for line in series where !line.points.isEmpty {
            switch line.style {
            case .dots:
                for p in line.points {
                    s += "<circle cx=\"\(num(px(p.0)))\" cy=\"\(num(py(p.1)))\" r=\"4\" fill=\"\(line.color)\"/>"
                }
            case .line, .dashed:
                let dash = line.style == .dashed ? " stroke-dasharray=\"6 4\"" : ""
                s += "<polyline points=\"\(points(line.points))\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\"\(dash)/>"
            }
        }
        s += "<rect x=\"\(num(left))\" y=\"\(num(top))\" width=\"\(num(pw))\" height=\"\(num(ph))\" fill=\"none\" stroke=\"#444\"/>"
        // Legend: bands first, then lines, each with a swatch of its own style.
        var ly = top + 10
        let lx = left + pw + 12
        for band in bands {
            s += "<rect x=\"\(num(lx))\" y=\"\(num(ly - 9))\" width=\"20\" height=\"10\" fill=\"\(band.color)\" fill-opacity=\"\(band.opacity)\"/>"
            s += "<text x=\"\(num(lx + 26))\" y=\"\(num(ly))\" font-size=\"11\">\(escape(band.name))</text>"
            ly += 18
        }
        for line in series where !line.points.isEmpty {
            switch line.style {
            case .dots:
                s += "<circle cx=\"\(num(lx + 10))\" cy=\"\(num(ly - 4))\" r=\"4\" fill=\"\(line.color)\"/>"
            case .line, .dashed:
                let dash = line.style == .dashed ? " stroke-dasharray=\"6 4\"" : ""
                s += "<line x1=\"\(num(lx))\" y1=\"\(num(ly - 4))\" x2=\"\(num(lx + 20))\" y2=\"\(num(ly - 4))\" stroke=\"\(line.color)\" stroke-width=\"3\"\(dash)/>"
            }
            s += "<text x=\"\(num(lx + 26))\" y=\"\(num(ly))\" font-size=\"11\">\(escape(line.name))</text>"
            ly += 18
        }
        return s + "</svg>"
    }

    /// A lower bound for a coverage axis: a tenth below the smallest value, at least 0.
    static func coverageFloor(_ values: [Double]) -> Double {
        max(0, (((values.min() ?? 0) - 0.05) * 10).rounded(.down) / 10)
    }

    /// Per pair of one source, by step: coverage and width; outermost pair first.
    struct PairCurves {
        var name: String
        var nominal: Double
        var coverage: [(Double, Double)] = []
        var width: [(Double, Double)] = []
        var covered = 0
        var n = 0
    }

    func curves(_ source: String) -> (pairs: [PairCurves], target: Double?) {
        var byName: [String: PairCurves] = [:]
        var target: Double?
        for (step, acc) in (evaluator.bySourceStep[source] ?? [:]).sorted(by: { $0.key < $1.key }) {
            for p in acc.pairStats(evaluator.slots) {
                let name = p.name
                var c = byName[name] ?? PairCurves(name: name, nominal: p.nominal)
                c.coverage.append((Double(step), Double(p.covered) / Double(p.n)))
                c.width.append((Double(step), p.widthSum / Double(p.n)))
                c.covered += p.covered
                c.n += p.n
                byName[name] = c
            }
            if !acc.targetMixed, let t = acc.target { target = t }
        }
        return (byName.values.sorted { $0.nominal > $1.nominal }, target)
    }

    /// The opening table: one row per band source over all its steps, with the outer pair's
    /// coverage against its nominal level and (calibrated sources) its target, marked.
    func metricsTable(_ sources: [String]) -> String {
        let tolerance = evaluator.settings.tolerance
        var t = "<h2>Metrics by band source</h2><p>All steps together. Coverage, width and Winkler are the outer pair's; "
        t += "a calibrated source <b>meets</b> its conformal target when its coverage is within ±\(Self.label(tolerance)) of it.</p>"
        t += "<table><tr><th>band source</th><th>records</th><th>steps</th><th>pair</th><th>coverage</th><th>nominal</th>"
        t += "<th>target</th><th>verdict</th><th>mean width</th><th>Winkler</th><th>pinball</th><th>breach rate</th><th>follow-through</th></tr>"
        func cell(_ v: JSONValue?) -> String {
            guard let x = v?.number else { return "–" }
            return String(((x * 10_000).rounded() / 10_000).description)
        }
        for source in sources {
            var total = MetricAccumulator()
            for acc in (evaluator.bySourceStep[source] ?? [:]).values { total.absorb(acc) }
            let m = JSONObject(total.metrics(evaluator.slots, tolerance: tolerance))
            guard let (pair, coverage) = m["coverage"]?.object?.members.first, let c = coverage.object else { continue }
            let verdict = c["meets_target"]?.bool.map { $0 ? "<b style=\"color:#2ca02c\">meets</b>" : "<b style=\"color:#d62728\">misses</b>" } ?? "–"
            t += "<tr><td>\(Self.escape(source))</td><td>\(total.records)</td><td>\(total.steps)</td><td>\(Self.escape(pair))</td>"
            t += "<td>\(cell(c["empirical"]))</td><td>\(cell(c["nominal"]))</td><td>\(cell(c["target"]))</td><td>\(verdict)</td>"
            t += "<td>\(cell(m["mean_width"]?.object?[pair]))</td><td>\(cell(m["winkler"]?.object?[pair]))</td>"
            t += "<td>\(cell(m["pinball"]?.object?["mean"]))</td><td>\(cell(m["breach_rate"]))</td><td>\(cell(m["followthrough_rate"]))</td></tr>"
        }
        return t + "</table>"
    }

    static func page(_ body: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE html>
        <html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/><title>tsfm-eval report</title>
        <style>body{font-family:sans-serif;margin:2em;color:#222;max-width:1150px}h2{margin-top:1.5em}p{max-width:60em}.charts{display:flex;flex-wrap:wrap;gap:1em}svg{background:#fff}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}</style>
        </head><body>\(body)</body></html>

        """
    }

    public func html() -> String {
        if let nothingScored {
            return Self.page("<h1>tsfm-eval report</h1><p><b>Nothing was scored.</b> \(Self.escape(nothingScored)).</p>")
        }
        let sources = evaluator.bySourceStep.keys.sorted()
        let maxStep = Double(evaluator.bySourceStep.values.flatMap(\.keys).max() ?? 1)
        let all = sources.map { ($0, curves($0)) }
        var body = "<h1>tsfm-eval report</h1>"
        body += "<p>\(evaluator.scored) scored forecasts; band sources: \(Self.escape(sources.joined(separator: ", ")))"
        body += evaluator.isPaired ? " (paired: only (market, as-of) keys every source scored; \(evaluator.unpaired) records left out)." : "."
        if evaluator.settings.split != nil { body += " Validation part of the split only." }
        body += "</p>"
        body += metricsTable(sources)

        body += "<h2>Coverage by horizon</h2><p>Empirical coverage of each symmetric level pair per horizon step; "
        body += "dashed: the pair's nominal coverage, black dashed: the conformal target of the outer pair. "
        body += "All panels share one y range, so they can be compared.</p><div class=\"charts\">"
        var coverageValues: [Double] = []
        for (_, c) in all {
            for p in c.pairs { coverageValues += p.coverage.map(\.1) + [p.nominal] }
            if let t = c.target { coverageValues.append(t) }
        }
        let coverageFloor = Self.coverageFloor(coverageValues)
        for (source, c) in all {
            var lines: [Series] = []
            for (k, p) in c.pairs.enumerated() {
                let color = Self.pairPalette[k % Self.pairPalette.count]
                lines.append(Series(name: p.name, color: color, points: p.coverage))
                lines.append(Series(name: "nominal \(Self.label(p.nominal))", color: color, points: [(1, p.nominal), (maxStep, p.nominal)], style: .dashed))
            }
            if let t = c.target {
                lines.append(Series(name: "target \(Self.label(t))", color: "#000", points: [(1, t), (maxStep, t)], style: .dashed))
            }
            body += Self.chart(title: "Coverage by horizon: \(source)", xLabel: "horizon step", yLabel: "empirical coverage",
                               series: lines, xRange: (1, maxStep), yRange: (coverageFloor, 1), integerX: true)
        }
        body += "</div>"

        body += "<h2>Width by horizon</h2><p>Mean width (hi − lo, in probability) of each pair per horizon step.</p><div class=\"charts\">"
        var widthLines: [Series] = []
        for (i, (source, c)) in all.enumerated() {
            for (k, p) in c.pairs.enumerated() {
                widthLines.append(Series(name: "\(source) \(p.name)", color: Self.palette[i % Self.palette.count], points: p.width,
                                         style: k == 0 ? .line : .dashed))
            }
        }
        let maxWidth = widthLines.flatMap { $0.points.map(\.1) }.max() ?? 0
        body += Self.chart(title: "Mean width by horizon", xLabel: "horizon step", yLabel: "width (probability)",
                           series: widthLines, xRange: (1, maxStep), yRange: (0, max(maxWidth * 1.1, 0.01)), integerX: true,
                           legendWidth: 60 + 6.5 * Double(widthLines.map(\.name.count).max() ?? 10))

        var reliability: [Series] = []
        var lowest = 1.0
        for (i, (source, c)) in all.enumerated() {
            let pts = c.pairs.reversed().map { ($0.nominal, Double($0.covered) / Double($0.n)) }
            lowest = min(lowest, pts.map { min($0.0, $0.1) }.min() ?? 1)
            reliability.append(Series(name: source, color: Self.palette[i % Self.palette.count], points: pts, style: .dots))
        }
        let floor = Self.coverageFloor([lowest])
        reliability.insert(Series(name: "ideal", color: "#999", points: [(floor, floor), (1, 1)], style: .dashed), at: 0)
        body += "</div><h2>Reliability</h2><p>Nominal against empirical coverage of every level pair over all steps; "
        body += "points below the diagonal are over-confident bands.</p>"
        body += Self.chart(title: "Nominal vs empirical coverage per level pair", xLabel: "nominal coverage",
                           yLabel: "empirical coverage", series: reliability, xRange: (floor, 1), yRange: (floor, 1))

        body += "<h2>Sample markets</h2><p>The bands of a few forecasts against the realized path, one row per forecast "
        body += "with a panel for every band source that scored it (same y range along the row); after the horizon "
        body += "(dotted line) the path is what follow-through is judged on. Red dots: steps that breach the outer band.</p>"
        var seen: [String] = []
        for f in samples where !seen.contains(f.marketId + "\u{1F}" + f.asOfText) {
            seen.append(f.marketId + "\u{1F}" + f.asOfText)
            let row = samples.filter { $0.marketId == f.marketId && $0.asOfText == f.asOfText }.sorted { $0.bandSource < $1.bandSource }
            let ranges = row.map(Self.valueRange)
            let range = (ranges.map(\.0).min() ?? 0, ranges.map(\.1).max() ?? 1)
            body += "<div class=\"charts\">" + row.map { fanChart($0, yRange: range) }.joined() + "</div>"
        }
        return Self.page(body)
    }

    /// The values a fan chart shows (band, median, realized path), padded, within [0, 1].
    static func valueRange(_ f: ScoredForecast) -> (Double, Double) {
        let horizon = max(1, min(f.horizon, f.band.horizon, f.yFuture.count))
        let pathEnd = min(f.yFuture.count, 2 * horizon)
        var values = Array(f.yFuture.prefix(max(1, pathEnd)))
        for row in f.band.values { values += row.prefix(horizon) }
        return (max(0, (values.min() ?? 0) - 0.01), min(1, (values.max() ?? 1) + 0.01))
    }

    /// One forecast's band (each pair shaded), median, and realized path; the path runs past the
    /// horizon (at most another horizon's worth) when y_future carries it.
    func fanChart(_ f: ScoredForecast, yRange: (Double, Double)? = nil) -> String {
        let horizon = max(1, min(f.horizon, f.band.horizon, f.yFuture.count))
        let steps = Array(1...horizon)
        let pathEnd = min(f.yFuture.count, 2 * horizon)
        let pairs = IntervalMetrics.pairs(f.band.levels)
        var bands: [Band] = []
        for (k, p) in pairs.enumerated() {
            bands.append(Band(name: "\(p.name) band", color: "#1f77b4", opacity: k == 0 ? 0.18 : 0.35,
                              lower: steps.map { (Double($0), f.band.values[p.lowIndex][$0 - 1]) },
                              upper: steps.map { (Double($0), f.band.values[p.highIndex][$0 - 1]) }))
        }
        var lines: [Series] = []
        if let m = f.band.medianIndex {
            lines.append(Series(name: "median", color: "#08306b", points: steps.map { (Double($0), f.band.values[m][$0 - 1]) }))
        }
        lines.append(Series(name: "realized", color: "#d62728", points: (1...max(1, pathEnd)).map { (Double($0), f.yFuture[$0 - 1]) }))
        if let outer = pairs.first {
            let breaches = steps.filter { h in
                let y = f.yFuture[h - 1]
                return y < f.band.values[outer.lowIndex][h - 1] || y > f.band.values[outer.highIndex][h - 1]
            }
            lines.append(Series(name: "breach", color: "#d62728", points: breaches.map { (Double($0), f.yFuture[$0 - 1]) }, style: .dots))
        }
        let (lo, hi) = yRange ?? Self.valueRange(f)
        return Self.chart(title: "\(f.marketId) as of \(f.asOfText) (\(f.bandSource))", xLabel: "step after the as-of time",
                          yLabel: "probability", series: lines, bands: bands, xRange: (1, Double(max(pathEnd, horizon))),
                          yRange: (lo, hi), integerX: true, marker: pathEnd > horizon ? (Double(horizon), "horizon") : nil)
    }
}
