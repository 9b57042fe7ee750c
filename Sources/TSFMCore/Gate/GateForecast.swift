/// What the gate needs of one forecast record, read in one pass over the line's bytes: the
/// identity and clock (`market_id`, `as_of_ts`, `freq`, `horizon_steps`), where each band is
/// (`yhat_q`, `yhat_q_raw`, `yhat_q_baseline`, kept as byte ranges and decoded only when
/// chosen), the realized path (`y_future`) and the few `meta` members an alert reports. Every
/// other value is skipped with its syntax checked, never decoded: that is what lets alerts run
/// at the speed of tsfm-eval's scan (docs/tsfm-gate.md, Performance).
public struct GateForecast {
    public var marketId = ""
    public var asOf = Timestamp(millis: 0)
    public var freq = Cadence.standard
    public var horizon: Int?
    /// Byte ranges of the bands' values in the scanned line (nil: absent or null).
    var yhatQ: Range<Int>?
    var yhatQRaw: Range<Int>?
    var yhatQBaseline: Range<Int>?
    public var yFuture: [Double]?
    public var runtime: String?
    public var modelName: String?
    public var modelVersion: String?
    public var bandSource: String?
    public var fallbackUsed = false
    public var fallbackReason: String?
    /// `meta.conformal.params_version`.
    public var paramsVersion: String?
    /// `meta.baseline_band`: the baseline that made `yhat_q_baseline` and its band source.
    public var baselineModel: String?
    public var baselineBandSource: String?

    /// The scan could not judge the line itself (an escaped key, a key named `error`, broken
    /// syntax): the caller parses it as a `Record`, which names the problem or normalises it.
    /// The same sentinel eval's scan uses.
    typealias NeedsRecord = ScoredForecast.Undecided

    /// Field names as static strings, compared against raw key bytes.
    enum Key {
        static let marketId: StaticString = "market_id"
        static let asOfTs: StaticString = "as_of_ts"
        static let freq: StaticString = "freq"
        static let horizonSteps: StaticString = "horizon_steps"
        static let yhatQ: StaticString = "yhat_q"
        static let yhatQRaw: StaticString = "yhat_q_raw"
        static let yhatQBaseline: StaticString = "yhat_q_baseline"
        static let yFuture: StaticString = "y_future"
        static let meta: StaticString = "meta"
        static let error: StaticString = "error"
    }

    /// Scans a line. Throws `RecordError` (a field's fault, named) or `NeedsRecord`.
    /// `errorKeyIsData`: a second pass over a line `Record` has parsed and found not to be an
    /// error record treats an `error` key as any other field.
    static func scan(_ line: UnsafeBufferPointer<UInt8>, errorKeyIsData: Bool = false) throws -> GateForecast {
        do {
            return try KeyRangeSet.with(line) { keys in try scanOrThrow(line, keys: &keys, errorKeyIsData: errorKeyIsData) }
        } catch is JSONSyntaxError {
            throw NeedsRecord()
        }
    }

    static func scanOrThrow(_ line: UnsafeBufferPointer<UInt8>, keys: inout KeyRangeSet, errorKeyIsData: Bool) throws -> GateForecast {
        var f = GateForecast()
        var s = JSONScanner(line)
        var haveMarket = false, haveAsOf = false
        let object = try s.forEachMember { s, key in
            guard !key.escaped, keys.insert(key.range) else { throw NeedsRecord() }
            if s.key(key, is: Key.yhatQ) {
                f.yhatQ = try s.skipValue().nonNull(line)
            } else if s.key(key, is: Key.yhatQRaw) {
                f.yhatQRaw = try s.skipValue().nonNull(line)
            } else if s.key(key, is: Key.yhatQBaseline) {
                f.yhatQBaseline = try s.skipValue().nonNull(line)
            } else if s.key(key, is: Key.yFuture) {
                f.yFuture = try future(&s)
            } else if s.key(key, is: Key.marketId) {
                guard let id = try optionalString(&s, field: FieldName.marketId), !id.isEmpty else {
                    throw RecordError.missing(FieldName.marketId)
                }
                f.marketId = id
                haveMarket = true
            } else if s.key(key, is: Key.asOfTs) {
                guard let text = try optionalString(&s, field: FieldName.asOfTs) else { throw RecordError.missing(FieldName.asOfTs) }
                guard let t = Timestamp(text) else { throw RecordError(field: FieldName.asOfTs, "'\(text)' is not an RFC 3339 timestamp") }
                f.asOf = t
                haveAsOf = true
            } else if s.key(key, is: Key.freq) {
                if let text = try optionalString(&s, field: FieldName.freq) {
                    guard let c = Cadence(rawValue: text) else {
                        throw RecordError(field: FieldName.freq, "'\(text)' is not one of \(Cadence.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    f.freq = c
                }
            } else if s.key(key, is: Key.horizonSteps) {
                let value = try s.parseValue(depth: 1)
                if value != .null {
                    guard let h = value.int, h >= 1, h <= ForecastRequest.maxHorizon else {
                        throw RecordError(field: FieldName.horizonSteps, "expected an integer from 1 to \(ForecastRequest.maxHorizon)")
                    }
                    f.horizon = h
                }
            } else if s.key(key, is: Key.meta) {
                try f.scanMeta(&s)
            } else if s.key(key, is: Key.error) && !errorKeyIsData {
                throw NeedsRecord()
            } else {
                _ = try s.skipValue()
            }
        }
        guard object else { throw NeedsRecord() }
        try s.expectEnd()
        guard haveMarket else { throw RecordError.missing(FieldName.marketId) }
        guard haveAsOf else { throw RecordError.missing(FieldName.asOfTs) }
        guard f.yhatQ != nil else { throw RecordError.missing(FieldName.yhatQ) }
        return f
    }

    /// `y_future`: null, or an array of probabilities.
    static func future(_ s: inout JSONScanner) throws -> [Double]? {
        s.skipWhitespace()
        if s.peek() == UInt8(ascii: "n") {
            _ = try s.skipValue()
            return nil
        }
        guard let values = try s.parseDoubleArray() else { throw RecordError(field: FieldName.yFuture, "expected an array of numbers") }
        guard values.count <= ForecastRequest.maxFutureLength else {
            throw RecordError(field: FieldName.yFuture, "has \(values.count) values; the cap is \(ForecastRequest.maxFutureLength)")
        }
        for (i, v) in values.enumerated() where !(v >= 0 && v <= 1) {
            throw RecordError(field: "\(FieldName.yFuture)[\(i)]", "\(v) is not a probability in [0, 1]")
        }
        return values
    }

    static func optionalString(_ s: inout JSONScanner, field: String) throws -> String? {
        let value = try s.parseValue(depth: 1)
        if value == .null { return nil }
        guard let text = value.string else { throw RecordError(field: field, "expected a string") }
        return text
    }

    /// The members of `meta` an alert reports; every other member is skipped. `meta` is small,
    /// so its keys are parsed in full (escapes allowed) and checked for repeats.
    mutating func scanMeta(_ s: inout JSONScanner) throws {
        let value = try s.parseValue(depth: 1)
        if value == .null { return }
        guard let meta = value.object else { throw RecordError(field: FieldName.meta, "expected an object") }
        func string(_ key: String, in object: JSONObject, path: String) throws -> String? {
            guard let v = object[key], v != .null else { return nil }
            guard let text = v.string else { throw RecordError(field: "\(path).\(key)", "expected a string") }
            return text
        }
        let m = FieldName.meta
        runtime = try string(MetaKey.runtime, in: meta, path: m)
        modelName = try string(MetaKey.modelName, in: meta, path: m)
        modelVersion = try string(MetaKey.modelVersion, in: meta, path: m)
        bandSource = try string(MetaKey.bandSource, in: meta, path: m)
        fallbackReason = try string(MetaKey.fallbackReason, in: meta, path: m)
        if let used = meta[MetaKey.fallbackUsed], used != .null {
            guard let b = used.bool else { throw RecordError(field: "\(m).\(MetaKey.fallbackUsed)", "expected true or false") }
            fallbackUsed = b
        }
        if let c = meta[MetaKey.conformal], c != .null {
            guard let conformal = c.object else { throw RecordError(field: "\(m).\(MetaKey.conformal)", "expected an object") }
            paramsVersion = try string("params_version", in: conformal, path: "\(m).\(MetaKey.conformal)")
        }
        if let b = meta[MetaKey.baselineBand], b != .null {
            guard let baseline = b.object else { throw RecordError(field: "\(m).\(MetaKey.baselineBand)", "expected an object") }
            baselineModel = try string(MetaKey.modelName, in: baseline, path: "\(m).\(MetaKey.baselineBand)")
            baselineBandSource = try string(MetaKey.bandSource, in: baseline, path: "\(m).\(MetaKey.baselineBand)")
        }
    }

    // MARK: - Bands

    /// Decodes the band at `range` of `line`: the fast reader first, the tree path (which names
    /// the problem) when it declines. Values must be probabilities (tsfm-post makes them so).
    static func band(_ line: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, field: String, horizon: Int?) throws -> QuantileBand {
        var s = JSONScanner(line, position: range.lowerBound)
        var band = QuantileBand.scan(&s, horizon: horizon)
        if band == nil {
            var tree = JSONScanner(line, position: range.lowerBound)
            let json: JSONValue
            do { json = try tree.parseValue(depth: 1) } catch { throw RecordError(field: field, "\(error)") }
            band = try QuantileBand.decode(json, field: field, horizon: horizon)
        }
        for (i, row) in band!.values.enumerated() {
            for (h, v) in row.enumerated() where !(v >= 0 && v <= 1) {
                throw RecordError(field: "\(field).\(QuantileLevel.key(band!.levels[i]))[\(h)]",
                                  "\(v) is not a probability in [0, 1] (run tsfm-post first)")
            }
        }
        return band!
    }
}

extension Range where Bound == Int {
    /// Nil for a JSON `null` value.
    func nonNull(_ line: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        line[lowerBound] == UInt8(ascii: "n") ? nil : self
    }
}
