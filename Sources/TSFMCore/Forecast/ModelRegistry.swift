
/// The model registry (`ops/models.json`, docs/models.md): each model's licence and whether the
/// production profile may use it. Loaded strictly: an unknown key, a missing one or a value of
/// the wrong type is a configuration error (exit 78) naming the file.
public struct ModelRegistry: Sendable {
    public struct Model: Sendable, Equatable {
        public var name: String
        public var family: String
        public var license: String
        public var needsAcceptance: Bool
        public var production: Bool
        public var source: String
        public var note: String?
    }

    public let path: String
    public let models: [String: Model]

    static let topKeys: Set<String> = ["format_version", "generated_from", "models"]
    static let modelKeys: Set<String> = ["name", "family", "license", "needs_acceptance", "production", "source", "note"]

    /// Reads and checks the file. Throws `ToolError(.config)` with `FILE: reason`.
    public static func load(_ path: String) throws -> ModelRegistry {
        func bad(_ reason: String) -> ToolError { ToolError(.config, "\(path): \(reason)") }
        let bytes: [UInt8]
        do { bytes = try FileBytes.read(path) } catch { throw bad("cannot read the model registry (\(error))") }
        guard let root = (try? JSONValue.parse(String(decoding: bytes, as: UTF8.self)))?.object else {
            throw bad("not a JSON object")
        }
        for key in root.keys where !topKeys.contains(key) { throw bad("unknown key '\(key)'") }
        guard root["format_version"]?.int == 1 else { throw bad("format_version must be 1") }
        guard let list = root["models"]?.array else { throw bad("'models' must be an array") }
        var models: [String: Model] = [:]
        for (i, item) in list.enumerated() {
            guard let o = item.object else { throw bad("models[\(i)] is not an object") }
            for key in o.keys where !modelKeys.contains(key) { throw bad("models[\(i)]: unknown key '\(key)'") }
            guard let name = o["name"]?.string, !name.isEmpty else { throw bad("models[\(i)]: 'name' must be a non-empty string") }
            func string(_ k: String) throws -> String {
                guard let v = o[k]?.string else { throw bad("model '\(name)': '\(k)' must be a string") }
                return v
            }
            func bool(_ k: String) throws -> Bool {
                guard let v = o[k]?.bool else { throw bad("model '\(name)': '\(k)' must be true or false") }
                return v
            }
            let note = o["note"]
            if let note, note.string == nil { throw bad("model '\(name)': 'note' must be a string") }
            guard models[name] == nil else { throw bad("model '\(name)' is listed twice") }
            models[name] = Model(name: name, family: try string("family"), license: try string("license"),
                                 needsAcceptance: try bool("needs_acceptance"), production: try bool("production"),
                                 source: try string("source"), note: note?.string)
        }
        return ModelRegistry(path: path, models: models)
    }

    /// Where the registry is, when no flag names it: `$TSFM_MODEL_REGISTRY`, else
    /// `<executable's directory>/../share/tsfm/models.json` if that file exists (an installed
    /// tool never looks in the working directory).
    public static func defaultPath() -> String? {
        if let v = System.environment("TSFM_MODEL_REGISTRY") { return v }
        guard let exe = System.executablePath(), let slash = exe.lastIndex(of: "/") else { return nil }
        let candidate = String(exe[..<slash]) + "/../share/tsfm/models.json"
        return System.isReadable(candidate) ? candidate : nil
    }

    /// The production profile's verdict on a model: nil when allowed, else the refusal.
    public func productionRefusal(_ model: String) -> String? {
        guard let m = models[model] else {
            return "model '\(model)' is not in the model registry \(path): not allowed in production"
        }
        guard !m.production else { return nil }
        let why = m.license.contains("-NC") ? "research-only or non-commercial licence" : "not for production" + (m.note.map { ": \($0)" } ?? "")
        return "model '\(model)' (\(m.license)) is not allowed in production: \(why)"
    }
}

/// The run's profile: `dev` uses any model; `prod` only the registry's production models.
public enum Profile: String, CaseIterable, Sendable {
    case dev, prod
}

/// The licence guard tsfm-forecast applies before any call (and `check-config` for CI).
public struct LicenceGuard: Sendable {
    public let profile: Profile
    public let registry: ModelRegistry?

    public init(profile: Profile, registry: ModelRegistry?) {
        self.profile = profile
        self.registry = registry
    }

    /// Throws `ToolError(.config)` (exit 78) when the profile refuses `model`. `at` prefixes the
    /// message (a request's `FILE:LINE`).
    public func check(model: String, at: String? = nil) throws {
        guard profile == .prod else { return }
        let prefix = at.map { "\($0): " } ?? ""
        guard let registry else {
            throw ToolError(.config, "\(prefix)model '\(model)' is not allowed in production: no model registry (give --model-registry FILE or set TSFM_MODEL_REGISTRY)")
        }
        if let refusal = registry.productionRefusal(model) { throw ToolError(.config, prefix + refusal) }
    }

    /// The one line check-config prints when `model` passes.
    public func verdict(model: String) -> String {
        let license = registry?.models[model].map { " (\($0.license))" } ?? ""
        return profile == .prod ? "ok: \(model)\(license) allowed in production" : "ok: \(model)\(license) (profile dev: not checked)"
    }
}
