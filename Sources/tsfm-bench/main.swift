// Synthetic data for `make bench`: realistic record sizes, deterministic (fixed seed).
// Usage: tsfm-bench KIND N [MARKETS]
//   forecasts N   forecasts: 12 steps x 3 levels, a 288-value `y` and 12-value `y_future`
//   requests N    forecast requests with a 288-value `y` (what tsfm-forecast reads)
//   scored N      compact scored forecasts (no `y`): band, 12-value `y_future`, segment keys
//                 varied over liquidity/tte/category and band sources (conformal fit, eval)
//   quotes N [M]  raw quotes for M markets (default 1000), 5-second spacing, interleaved
import TSFMCore

#if canImport(Glibc)
import Glibc
#endif

func round4(_ x: Double) -> Double { (x * 10_000).rounded() / 10_000 }

let args = CommandLine.arguments
guard args.count >= 3, let n = Int(args[2]) else {
    Logger.writeStderr("usage: tsfm-bench forecasts|requests|scored|quotes N [MARKETS]\n")
    exit(64)
}
let out = OutputSink()
var rng = SplitMix64(seed: 42)
let start = Timestamp("2026-11-01T00:00:00Z")!

func path(_ count: Int, from p0: Double) -> [Double] {
    var x = logit(p0)
    return (0..<count).map { _ in
        x += 0.05 * rng.normal()
        return round4(min(max(logistic(x), 0.001), 0.999))
    }
}

do {
    switch args[1] {
    case "forecasts", "requests":
        let withBand = args[1] == "forecasts"
        for i in 0..<n {
            let y = path(withBand ? 300 : 288, from: 0.2 + 0.6 * rng.uniform())
            var w = JSONWriter(capacity: 4096)
            w.raw("{\"market_id\":")
            w.string("mkt-\(i % 997)")
            w.raw(",\"as_of_ts\":")
            w.string((start + Int64(i) * 300).rfc3339)
            w.raw(",\"freq\":\"5m\",\"horizon_steps\":12,\"quantiles\":[0.1,0.5,0.9],\"y\":")
            try w.doubles(Array(y.prefix(288)))
            w.raw(",\"transform\":{\"space\":\"logit\",\"eps\":1e-06},\"liquidity_bucket\":\"HIGH\",\"category\":\"politics\",\"tte_bucket\":\"7d-30d\"")
            if withBand {
                w.raw(",\"y_future\":")
                try w.doubles(Array(y.suffix(12)))
                let last = y[287]
                w.raw(",\"yhat_q\":{")
                for (k, (level, z)) in [("0.1", -1.2816), ("0.5", 0.0), ("0.9", 1.2816)].enumerated() {
                    if k > 0 { w.raw(",") }
                    w.string(level)
                    w.raw(":")
                    try w.doubles((1...12).map { h in
                        round4(logistic(logit(last) + z * 0.05 * Double(h).squareRoot() + 0.01 * rng.normal()))
                    })
                }
                w.raw("},\"meta\":{\"runtime\":\"baseline\",\"model_name\":\"baseline:ewma\",\"fallback_used\":false,\"fallback_reason\":null,\"warnings\":[],\"band_source\":\"baseline\"}")
            }
            w.raw("}\n")
            try out.write(bytes: w.bytes)
        }
    case "scored":
        let buckets = ["LOW", "MEDIUM", "HIGH"]
        let ttes = ["<1d", "1d-7d", "7d-30d", ">30d"]
        let categories = ["politics", "sports", "crypto"]
        let sources = ["baseline", "tsfm_raw"]
        for i in 0..<n {
            let y = path(13, from: 0.1 + 0.8 * rng.uniform())
            let last = y[0]
            // Bands deliberately a little too narrow, so calibration has work to do.
            let scale = 0.035 + 0.02 * rng.uniform()
            var w = JSONWriter(capacity: 1024)
            w.raw("{\"market_id\":")
            w.string("mkt-\(i % 997)")
            w.raw(",\"as_of_ts\":")
            w.string((start + Int64(i / 997) * 300).rfc3339)
            w.raw(",\"freq\":\"5m\",\"horizon_steps\":12,\"quantiles\":[0.1,0.5,0.9],\"liquidity_bucket\":")
            w.string(buckets[i % 3])
            w.raw(",\"tte_bucket\":")
            w.string(ttes[(i / 3) % 4])
            w.raw(",\"category\":")
            w.string(categories[(i / 12) % 3])
            w.raw(",\"event_id\":")
            w.string("evt-\(i % 997 / 3)")
            w.raw(",\"y_future\":")
            try w.doubles(Array(y.suffix(12)))
            w.raw(",\"yhat_q\":{")
            for (k, (level, z)) in [("0.1", -1.2816), ("0.5", 0.0), ("0.9", 1.2816)].enumerated() {
                if k > 0 { w.raw(",") }
                w.string(level)
                w.raw(":")
                try w.doubles((1...12).map { h in round4(logistic(logit(last) + z * scale * Double(h).squareRoot())) })
            }
            w.raw("},\"meta\":{\"runtime\":\"baseline\",\"model_name\":\"baseline:ewma\",\"band_source\":")
            w.string(sources[(i / 997) % 2])
            w.raw("}}\n")
            try out.write(bytes: w.bytes)
        }
    case "quotes":
        let markets = args.count > 3 ? Int(args[3]) ?? 1000 : 1000
        var level = (0..<markets).map { _ in 0.1 + 0.8 * rng.uniform() }
        for i in 0..<n {
            let m = i % markets
            let t = start + Int64(i / markets) * 5
            level[m] = min(max(level[m] + 0.002 * rng.normal(), 0.01), 0.99)
            let spread = 0.01 + 0.02 * rng.uniform()
            var w = JSONWriter(capacity: 160)
            w.raw("{\"market_id\":")
            w.string("mkt-\(m)")
            w.raw(",\"ts\":")
            w.string(t.rfc3339)
            w.raw(",\"bid\":")
            try w.double(round4(max(level[m] - spread / 2, 0)))
            w.raw(",\"ask\":")
            try w.double(round4(min(level[m] + spread / 2, 1)))
            w.raw(",\"last_trade\":")
            try w.double(round4(level[m]))
            w.raw(",\"last_trade_ts\":")
            w.string(t.rfc3339)
            w.raw("}\n")
            try out.write(bytes: w.bytes)
        }
    default:
        Logger.writeStderr("tsfm-bench: unknown kind \(args[1])\n")
        exit(64)
    }
    try out.flush()
} catch {
    Logger.writeStderr("tsfm-bench: \(error)\n")
    exit(70)
}
