import TSFMCore

/// The JSON that crosses the wire to tollama (TOLLAMA.md): request bodies built with the fast
/// writer, answers read tolerantly (streamed or not, integers as numbers, unknown fields ignored)
/// and validated, never trusted.
enum TollamaWire {
    /// `/api/forecast` takes `"stream": false`; `/v1/forecast` rejects the field.
    static func body(model: String, calls: [ModelCall], streamField: Bool) throws -> [UInt8] {
        let first = calls[0].request
        var w = JSONWriter(capacity: 512 + calls.count * (first.y.count * 40))
        w.raw("{\"model\":")
        w.string(model)
        w.raw(",\"horizon\":")
        w.int(first.horizonSteps)
        w.raw(",\"quantiles\":")
        try w.doubles(first.quantiles)
        w.raw(",\"series\":[")
        for (i, call) in calls.enumerated() {
            let r = call.request
            if i > 0 { w.raw(",") }
            w.raw("{\"id\":")
            w.string(r.marketId)
            w.raw(",\"freq\":")
            w.string(r.freq.tollamaAlias)
            w.raw(",\"timestamps\":[")
            for (k, t) in r.inputTimestamps.enumerated() {
                if k > 0 { w.raw(",") }
                w.string(t.rfc3339)
            }
            w.raw("],\"target\":")
            try w.doubles(r.y.map(r.transform.forward))
            w.raw("}")
        }
        w.raw("],\"options\":")
        w.raw(calls[0].optionsJSON.utf8)
        if streamField { w.raw(",\"stream\":false") }
        w.raw("}")
        return w.bytes
    }

    /// The answer object: the body itself, or the `response` of the streamed line with `done: true`.
    static func answer(_ body: [UInt8]) -> JSONObject? {
        let text = String(decoding: body, as: UTF8.self)
        if let whole = try? JSONValue.parse(text), let object = whole.object {
            if object["forecasts"] != nil { return object }
            if object["done"]?.bool == true { return object["response"]?.object }
        }
        for line in text.split(whereSeparator: \.isNewline) {
            if let object = (try? JSONValue.parse(String(line)))?.object, object["done"]?.bool == true {
                return object["response"]?.object
            }
        }
        return nil
    }

    /// The forecast of every call, or why the answer is unusable for it. Matches series by `id`
    /// and levels by numeric value; maps values back to probabilities.
    static func outcomes(_ body: [UInt8], calls: [ModelCall], latencyMs: Double) -> [ModelOutcome] {
        guard let answer = answer(body), let forecasts = answer["forecasts"]?.array else {
            return calls.map { _ in .failure(.tollamaInvalidResponse, detail: "the answer is not a forecast response") }
        }
        let model = answer["model"]?.string
        let warnings = answer["warnings"]?.array?.compactMap(\.string) ?? []
        var byId: [String: JSONObject] = [:]
        for f in forecasts {
            if let o = f.object, let id = o["id"]?.string { byId[id] = o }
        }
        return calls.map { call in
            let r = call.request
            guard let forecast = byId[r.marketId] else {
                return .failure(.tollamaInvalidResponse, detail: "no forecast for series '\(r.marketId)'")
            }
            guard let quantiles = forecast["quantiles"]?.object else {
                return .failure(.tollamaInvalidResponse, detail: "series '\(r.marketId)' has no quantiles")
            }
            var values: [[Double]] = []
            for level in r.quantiles {
                guard let member = quantiles.members.first(where: { QuantileLevel.parse($0.key).map { abs($0 - level) < 1e-9 } ?? false }) else {
                    return .failure(.tollamaInvalidResponse, detail: "series '\(r.marketId)' lacks level \(QuantileLevel.key(level))")
                }
                guard let array = member.value.array, array.count == r.horizonSteps else {
                    return .failure(.tollamaInvalidResponse, detail: "level \(member.key) of '\(r.marketId)' does not have \(r.horizonSteps) values")
                }
                var row: [Double] = []
                for v in array {
                    guard let x = v.number, x.isFinite else {
                        return .failure(.tollamaInvalidResponse, detail: "level \(member.key) of '\(r.marketId)' has a non-numeric or non-finite value")
                    }
                    row.append(r.transform.inverse(x))
                }
                values.append(row)
            }
            return .success(ModelForecast(band: QuantileBand(levels: r.quantiles, values: values), modelName: model ?? call.modelName,
                                          latencyMs: latencyMs, warnings: warnings.map { "tollama: \($0)" }))
        }
    }

    /// The `detail` of an error body as text (string, list or object), or the raw text.
    static func detail(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(2000), as: UTF8.self)
        guard let object = (try? JSONValue.parse(text))?.object, let detail = object["detail"] else { return text }
        if let s = detail.string { return s }
        return (try? detail.jsonText()) ?? text
    }
}
