
/// The rollout as recorded in the state dir (`gate-rollout.json`): the phase and percentage,
/// since when, who set it and why, and what it was before (so a rollback says what to return
/// to). `tsfm-gate alerts` reads it on every run; `rollout --set`, `rollback` and `review`
/// write it.
public struct RolloutState: Equatable, Sendable {
    public static let fileName = "gate-rollout.json"
    /// Raised when the file's meaning changes; another version is refused, not guessed at.
    public static let formatVersion = 1

    public var setting: RolloutSetting
    public var since: Timestamp
    /// `rollout`, `rollback` or `review`.
    public var setBy: String
    public var reason: String
    /// The setting before this one (nil for the first).
    public var previous: RolloutSetting?

    public init(setting: RolloutSetting, since: Timestamp, setBy: String, reason: String, previous: RolloutSetting? = nil) {
        self.setting = setting
        self.since = since
        self.setBy = setBy
        self.reason = reason
        self.previous = previous
    }

    public var object: JSONObject {
        var o = JSONObject()
        o["version"] = .int(Self.formatVersion)
        o["phase"] = .string(setting.phase.rawValue)
        o["percent"] = setting.percent.rounded() == setting.percent ? .int(Int(setting.percent)) : .double(setting.percent)
        o["since"] = .string(since.rfc3339)
        o["set_by"] = .string(setBy)
        o["reason"] = .string(reason)
        o["previous"] = previous.map { .string($0.description) } ?? .null
        return o
    }

    /// Reads the object the file holds; a message saying what is wrong otherwise.
    public init(_ o: JSONObject) throws(RolloutStateError) {
        guard o["version"]?.int == Self.formatVersion else {
            throw RolloutStateError("version \(o["version"].flatMap { try? $0.jsonText() } ?? "missing") (expected \(Self.formatVersion))")
        }
        guard let phaseText = o["phase"]?.string, let phase = RolloutPhase(rawValue: phaseText) else {
            throw RolloutStateError("field 'phase': expected one of \(RolloutPhase.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let percent = o["percent"]?.number, percent >= 0, percent <= 100 else {
            throw RolloutStateError("field 'percent': expected a number in [0, 100]")
        }
        guard let sinceText = o["since"]?.string, let since = Timestamp(sinceText) else {
            throw RolloutStateError("field 'since': expected an RFC 3339 time")
        }
        setting = RolloutSetting(phase: phase, percent: percent)
        self.since = since
        setBy = o["set_by"]?.string ?? ""
        reason = o["reason"]?.string ?? ""
        previous = o["previous"]?.string.flatMap(RolloutSetting.init(argumentText:))
    }
}

public struct RolloutStateError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The rollout state file in a state dir, written atomically (a reader never sees half a file).
public struct RolloutStore: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public var path: String { directory + "/" + RolloutState.fileName }

    /// The recorded state, nil when none was ever recorded. A file that exists but cannot be
    /// read or understood is a configuration error (78): the gate must not guess its phase.
    public func load() throws -> RolloutState? {
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path)
        } catch {
            if error.isMissing { return nil }
            throw ToolError(.config, "\(path): cannot read the rollout state: \(error.reason); fix or remove it, then set the phase with 'tsfm-gate rollout --set PHASE'")
        }
        do {
            guard let object = try JSONValue.parse(String(decoding: bytes, as: UTF8.self)).object else {
                throw RolloutStateError("not a JSON object")
            }
            return try RolloutState(object)
        } catch {
            throw ToolError(.config, "\(path): not a rollout state (\(error)); fix or remove it, then set the phase with 'tsfm-gate rollout --set PHASE'")
        }
    }

    public func save(_ state: RolloutState) throws {
        try StateDir.makeDirectory(directory)
        try AtomicFile.write(state.object, to: path)
    }
}
