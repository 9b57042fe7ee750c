import TSFMCore
#if canImport(Glibc)
import Glibc
#endif

/// Answers the daemon gave recently, so an identical request within `--cache-ttl` (60 s) is
/// served without calling it. Identical means: the same daemon (base URL), model, options
/// (`model.params`), levels, horizon, frequency, transform and series content (the values sent as `target`); the market
/// id and the clock time are not part of it, since the model's answer depends on neither.
///
/// One file per answer, `<state-dir>/cache/<key>.json`, replaced atomically (no lock needed:
/// two runs storing the same answer write the same content). Entries past the TTL are ignored
/// and removed once per run. A damaged entry is a miss, never an error.
public final class ResponseCache {
    public let directory: String?
    public let ttlMs: Int64
    /// What else an answer depends on: the daemon's base URL.
    public let scope: String
    var pruned = false

    /// `stateDir` nil (no state dir) or a TTL of 0 (`--no-cache`) turns the cache off.
    public init(stateDir: String?, ttlSeconds: Double, scope: String = "") {
        directory = ttlSeconds > 0 ? stateDir.map { $0 + "/cache" } : nil
        ttlMs = Int64(min(ttlSeconds, 1e9) * 1000)
        self.scope = scope
    }

    /// The key of a call: 128 bits of FNV-1a over its identifying content, as hex.
    public static func key(_ call: ModelCall, scope: String = "") -> String {
        let r = call.request
        var hash = ContentHash()
        hash.add(scope)
        hash.add(call.modelName)
        hash.add(r.horizonSteps)
        for level in r.quantiles { hash.add(level) }
        hash.add(r.freq.tollamaAlias)
        hash.add(call.optionsJSON)
        switch r.transform {
        case .identity: hash.add("identity")
        case .logit(let eps): hash.add("logit"); hash.add(eps)
        }
        for y in r.y { hash.add(r.transform.forward(y)) }
        return hash.hex
    }

    /// The key of `call` in this cache, or nil when the cache is off (nothing is hashed then).
    public func key(for call: ModelCall) -> String? {
        directory == nil ? nil : Self.key(call, scope: scope)
    }

    func path(_ key: String) -> String? { directory.map { "\($0)/\(key).json" } }

    /// The cached answer for `call` (whose key is `key`), marked `cached`, when one younger
    /// than the TTL exists and fits the call's levels and horizon.
    public func lookup(_ call: ModelCall, key: String, nowMs: Int64) -> ModelForecast? {
        guard let file = path(key), let bytes = try? FileBytes.read(file, followSymlinks: false),
              let object = (try? JSONValue.parse(String(decoding: bytes, as: UTF8.self)))?.object,
              let stored = object["stored_at_ms"]?.int, nowMs - Int64(stored) < ttlMs, nowMs >= Int64(stored),
              let model = object["model"]?.string,
              let levels = object["levels"]?.array?.compactMap(\.number),
              let rows = object["values"]?.array?.map({ $0.array?.compactMap(\.number) ?? [] }),
              levels == call.request.quantiles, rows.count == levels.count,
              rows.allSatisfy({ $0.count == call.request.horizonSteps })
        else { return nil }
        return ModelForecast(band: QuantileBand(levels: levels, values: rows), modelName: model,
                             modelVersion: object["model_version"]?.string, latencyMs: 0,
                             warnings: object["warnings"]?.array?.compactMap(\.string) ?? [], cached: true)
    }

    /// Keeps `forecast` as the answer under `key`. Failing to write is not the run's problem:
    /// the caller logs it and goes on.
    public func store(_ forecast: ModelForecast, key: String, nowMs: Int64) throws {
        guard let directory, let file = path(key) else { return }
        if !pruned {
            pruned = true
            try StateDir.makeDirectory(directory)
            prune(nowMs: nowMs)
        }
        var object = JSONObject()
        object["stored_at_ms"] = .int(Int(nowMs))
        object["model"] = .string(forecast.modelName)
        object["model_version"] = forecast.modelVersion.map(JSONValue.string) ?? .null
        object["warnings"] = .array(forecast.warnings.map(JSONValue.string))
        object["levels"] = .array(forecast.band.levels.map(JSONValue.double))
        object["values"] = .array(forecast.band.values.map { .array($0.map(JSONValue.double)) })
        try AtomicFile.write(object, to: file, durable: false)
    }

    /// Removes entries past the TTL (by file time, which the atomic write sets).
    func prune(nowMs: Int64) {
        guard let directory, let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasSuffix(".json") else { continue }
            var info = stat()
            let file = directory + "/" + name
            guard stat(file, &info) == 0 else { continue }
            let modifiedMs = Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000
            if nowMs - modifiedMs >= ttlMs { unlink(file) }
        }
    }
}
