/// A self-contained HTML page (inline SVG, no scripts, nothing fetched) that people read before
/// they trust a number: coverage by horizon per band source against its target, width by
/// horizon, a reliability plot per level pair, and a fan chart of a few sample markets. The
/// markup is well-formed XML (XHTML), so it can be checked mechanically.
public struct EvalReport {
    let evaluator: Evaluator
    let samples: [ScoredForecast]

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

    public init(evaluator: Evaluator, samples: [ScoredForecast]) {
        self.evaluator = evaluator
        self.samples = samples
    }

    public func write(to path: String) throws {
        try AtomicFile.write(Array(html().utf8), to: path)
    }

    struct Series {
        var name: String
        var color: String
        var points: [(Double, Double)]
        var dashed = false
        /// Points instead of a line.
        var scatter = false
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
        let r = (x * 1000).rounded() / 1000
        return r == r.rounded() ? String(Int(r)) : r.description
    }

    /// A line chart with axes, ticks, a legend and optional shaded bands.
    static func chart(title: String, xLabel: String, yLabel: String, series: [Series], xRange: (Double, Double),
                      yRange: (Double, Double), bands: [(color: String, lower: [(Double, Double)], upper: [(Double, Double)])] = []) -> String {
        let w = 560.0, h = 300.0, left = 60.0, right = 150.0, top = 30.0, bottom = 45.0
        let pw = w - left - right, ph = h - top - bottom
        let (x0, x1) = xRange.0 == xRange.1 ? (xRange.0 - 1, xRange.1 + 1) : xRange
        let (y0, y1) = yRange.0 == yRange.1 ? (yRange.0 - 0.05, yRange.1 + 0.05) : yRange
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * pw }
        func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * ph }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\">"
        s += "<title>\(escape(title))</title>"
        s += "<text x=\"\(num(left))\" y=\"18\" font-size=\"14\" font-weight=\"bold\">\(escape(title))</text>"
        for i in 0...4 {
            let yv = y0 + (y1 - y0) * Double(i) / 4
            s += "<line x1=\"\(num(left))\" y1=\"\(num(py(yv)))\" x2=\"\(num(left + pw))\" y2=\"\(num(py(yv)))\" stroke=\"#e5e5e5\"/>"
            s += "<text x=\"\(num(left - 6))\" y=\"\(num(py(yv) + 4))\" font-size=\"11\" text-anchor=\"end\">\(label(yv))</text>"
            let xv = x0 + (x1 - x0) * Double(i) / 4
            s += "<text x=\"\(num(px(xv)))\" y=\"\(num(top + ph + 16))\" font-size=\"11\" text-anchor=\"middle\">\(label(xv))</text>"
        }
        s += "<rect x=\"\(num(left))\" y=\"\(num(top))\" width=\"\(num(pw))\" height=\"\(num(ph))\" fill=\"none\" stroke=\"#444\"/>"
        s += "<text x=\"\(num(left + pw / 2))\" y=\"\(num(h - 6))\" font-size=\"12\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        s += "<text x=\"14\" y=\"\(num(top + ph / 2))\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(num(top + ph / 2)))\">\(escape(yLabel))</text>"
        for band in bands where !band.lower.isEmpty {
            let pts = band.lower.map { "\(num(px($0.0))),\(num(py($0.1)))" } + band.upper.reversed().map { "\(num(px($0.0))),\(num(py($0.1)))" }
            s += "<polygon points=\"\(pts.joined(separator: " "))\" fill=\"\(band.color)\" fill-opacity=\"0.25\" stroke=\"none\"/>"
        }
        for (i, line) in series.enumerated() where !line.points.isEmpty {
            if line.scatter {
                for p in line.points {
                    s += "<circle cx=\"\(num(px(p.0)))\" cy=\"\(num(py(p.1)))\" r=\"4\" fill=\"\(line.color)\"/>"
                }
            } else {
                let pts = line.points.map { "\(num(px($0.0))),\(num(py($0.1)))" }.joined(separator: " ")
                s += "<polyline points=\"\(pts)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\"\(line.dashed ? " stroke-dasharray=\"6 4\"" : "")/>"
            }
            let ly = top + 14 + Double(i) * 18
            s += "<line x1=\"\(num(left + pw + 12))\" y1=\"\(num(ly - 4))\" x2=\"\(num(left + pw + 32))\" y2=\"\(num(ly - 4))\" stroke=\"\(line.color)\" stroke-width=\"3\"\(line.dashed ? " stroke-dasharray=\"6 4\"" : "")/>"
            s += "<text x=\"\(num(left + pw + 36))\" y=\"\(num(ly))\" font-size=\"11\">\(escape(line.name))</text>"
        }
        return s + "</svg>"
    }

    /// Outer-pair coverage and width per step of one source: (step, coverage, width, nominal, target).
    func outer(_ source: String) -> (cov: [(Double, Double)], width: [(Double, Double)], nominal: Double?, target: Double?) {
        var cov: [(Double, Double)] = []
        var width: [(Double, Double)] = []
        var nominal: Double?
        var target: Double?
        for (step, acc) in (evaluator.bySourceStep[source] ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let name = acc.pairs.keys.max(by: { acc.pairs[$0]!.nominal < acc.pairs[$1]!.nominal }) else { continue }
            let p = acc.pairs[name]!
            cov.append((Double(step), Double(p.covered) / Double(p.n)))
            width.append((Double(step), p.widthSum / Double(p.n)))
            nominal = p.nominal
            if !acc.targetMixed, let t = acc.target { target = t }
        }
        return (cov, width, nominal, target)
    }

    public func html() -> String {
        let sources = evaluator.bySourceStep.keys.sorted()
        let maxStep = Double(evaluator.bySourceStep.values.flatMap(\.keys).max() ?? 1)
        var body = "<h1>tsfm-eval report</h1>"
        body += "<p>\(evaluator.scored) scored forecasts; band sources: \(Self.escape(sources.joined(separator: ", ")))\(evaluator.isPaired ? " (paired: only keys every source scored)" : "").</p>"
        body += "<h2>Coverage by horizon</h2><div class=\"charts\">"
        for (i, source) in sources.enumerated() {
            let o = outer(source)
            var lines = [Series(name: source, color: Self.palette[i % Self.palette.count], points: o.cov)]
            if let nominal = o.nominal {
                lines.append(Series(name: "nominal \(Self.label(nominal))", color: "#555", points: [(1, nominal), (maxStep, nominal)], dashed: true))
            }
            if let t = o.target {
                lines.append(Series(name: "target \(Self.label(t))", color: "#000", points: [(1, t), (maxStep, t)], dashed: true))
            }
            body += Self.chart(title: "Coverage of the outer band: \(source)", xLabel: "horizon step", yLabel: "empirical coverage",
                               series: lines, xRange: (1, maxStep), yRange: (0, 1))
        }
        body += "</div><h2>Width by horizon</h2>"
        let widths = sources.enumerated().map { i, s in Series(name: s, color: Self.palette[i % Self.palette.count], points: outer(s).width) }
        let maxWidth = widths.flatMap { $0.points.map(\.1) }.max() ?? 1
        body += Self.chart(title: "Mean width of the outer band", xLabel: "horizon step", yLabel: "width (probability)",
                           series: widths, xRange: (1, maxStep), yRange: (0, max(maxWidth * 1.1, 0.01)))
        body += "<h2>Reliability</h2>"
        var reliability: [Series] = [Series(name: "ideal", color: "#999", points: [(0, 0), (1, 1)], dashed: true)]
        for (i, source) in sources.enumerated() {
            var pairs: [String: (nominal: Double, covered: Int, n: Int)] = [:]
            for acc in (evaluator.bySourceStep[source] ?? [:]).values {
                for (name, p) in acc.pairs {
                    var e = pairs[name] ?? (p.nominal, 0, 0)
                    e.covered += p.covered
                    e.n += p.n
                    pairs[name] = e
                }
            }
            let pts = pairs.values.sorted { $0.nominal < $1.nominal }.map { ($0.nominal, Double($0.covered) / Double($0.n)) }
            reliability.append(Series(name: source, color: Self.palette[i % Self.palette.count], points: pts, scatter: true))
        }
        body += Self.chart(title: "Nominal vs empirical coverage per level pair", xLabel: "nominal coverage",
                           yLabel: "empirical coverage", series: reliability, xRange: (0, 1), yRange: (0, 1))
        body += "<h2>Sample markets</h2><div class=\"charts\">"
        for f in samples {
            let steps = Array(1...max(1, min(f.horizon, f.band.horizon, f.yFuture.count)))
            let pairs = IntervalMetrics.pairs(f.band.levels)
            var bands: [(color: String, lower: [(Double, Double)], upper: [(Double, Double)])] = []
            for (k, p) in pairs.enumerated() {
                bands.append((k == 0 ? "#1f77b4" : "#08306b", steps.map { (Double($0), f.band.values[p.lowIndex][$0 - 1]) },
                              steps.map { (Double($0), f.band.values[p.highIndex][$0 - 1]) }))
            }
            var lines: [Series] = []
            if let m = f.band.medianIndex {
                lines.append(Series(name: "median", color: "#1f77b4", points: steps.map { (Double($0), f.band.values[m][$0 - 1]) }))
            }
            lines.append(Series(name: "realized", color: "#d62728", points: steps.map { (Double($0), f.yFuture[$0 - 1]) }))
            let all = lines.flatMap { $0.points.map(\.1) } + bands.flatMap { $0.lower.map(\.1) + $0.upper.map(\.1) }
            let lo = max(0, (all.min() ?? 0) - 0.01), hi = min(1, (all.max() ?? 1) + 0.01)
            body += Self.chart(title: "\(f.marketId) as of \(f.asOfText) (\(f.bandSource))", xLabel: "horizon step",
                               yLabel: "probability", series: lines, xRange: (1, Double(steps.count)), yRange: (lo, hi), bands: bands)
        }
        body += "</div>"
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/><title>tsfm-eval report</title>
            <style>body{font-family:sans-serif;margin:2em;color:#222}h2{margin-top:1.5em}.charts{display:flex;flex-wrap:wrap;gap:1em}svg{background:#fff}</style>
            </head><body>\(body)</body></html>

            """
    }
}

