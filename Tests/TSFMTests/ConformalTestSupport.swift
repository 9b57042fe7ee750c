import Foundation
@testable import TSFMCore

/// Builds a scored forecast record (3 levels) for conformal tests.
func conformalForecast(
    ts: String, lo: [Double], mid: [Double], hi: [Double], future: [Double]?,
    liquidity: String = "HIGH", tte: String = "1d-7d", category: String = "politics",
    source: String = "baseline", horizon: Int? = nil, extra: String = ""
) -> Record {
    var w = JSONWriter(capacity: 1024)
    w.raw("{\"market_id\":\"m1\",\"as_of_ts\":")
    w.string(ts)
    w.raw(",\"horizon_steps\":")
    w.int(horizon ?? lo.count)
    w.raw(",\"liquidity_bucket\":")
    w.string(liquidity)
    w.raw(",\"tte_bucket\":")
    w.string(tte)
    w.raw(",\"category\":")
    w.string(category)
    if let future {
        w.raw(",\"y_future\":")
        try! w.doubles(future)
    }
    w.raw(",\"yhat_q\":{\"0.1\":")
    try! w.doubles(lo)
    w.raw(",\"0.5\":")
    try! w.doubles(mid)
    w.raw(",\"0.9\":")
    try! w.doubles(hi)
    w.raw("},\"meta\":{\"runtime\":\"baseline\",\"warnings\":[],\"band_source\":")
    w.string(source)
    w.raw("}")
    w.raw(Array(extra.utf8))
    w.raw("}")
    return try! Record(String(decoding: w.bytes, as: UTF8.self))
}

/// The simulations' deterministic generator: the library's SplitMix64, seeded by `state`.
typealias TestRandom = SplitMix64

extension SplitMix64 {
    init(state: UInt64) { self.init(seed: state) }
}
