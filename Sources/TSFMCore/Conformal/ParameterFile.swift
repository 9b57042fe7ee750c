/// The JSON form of `ConformalParameters` (docs/tsfm-conformal.md shows an example), and its
/// strict reading: a file `apply` cannot fully understand is refused, never half-used.
public enum ParameterFile {
    /// Encodes the parameters as readable JSON (indented, short objects on one line), ending in
    /// a newline. Deterministic: fixed key order, shortest round-trip numbers.
    public static func encode(_ p: ConformalParameters) throws -> [UInt8] {
        var root = JSONObject()
        root["format_version"] = .int(ConformalParameters.formatVersion)
        root["version"] = .string(p.version)
        root["as_of"] = .string(p.asOf.rfc3339)
        root["window"] = .string(p.window)
        root["window_start"] = .string(p.windowStart.rfc3339)
        root["method"] = .string(p.method.rawValue)
        root["space"] = .string(p.space.rawValue)
        root["target"] = .double(p.target)
        if let gamma = p.gamma { root["gamma"] = .double(gamma) }
        root["min_samples"] = .int(p.minSamples)
        root["segment_by"] = .strings(p.segmentBy)
        root["records"] = .int(p.records)
        root["groups"] = .array(p.groups.map { group -> JSONValue in
            ["group": .string(group.group), "pairs": .array(group.pairs.map { pair -> JSONValue in
                [
                    "lo": .double(pair.pair.lo), "hi": .double(pair.pair.hi), "outer": .bool(pair.pair.outer),
                    "target": .double(pair.target), "steps": .array(pair.steps.map { stepJSON($0, method: p.method) }),
                ]
            })]
        })
        root["below_min_samples"] = .array(p.belowMinSamples.map { item -> JSONValue in ["group": .string(item.group), "n": .int(item.n)] })
        var out: [UInt8] = []
        try PrettyJSON.write(.object(root), indent: 0, into: &out)
        out.append(0x0A)
        return out
    }

    static func stepJSON(_ s: StepParameters, method: ConformalMethod) -> JSONValue {
        var o = JSONObject([("step", .int(s.step)), ("n", .int(s.n)), ("coverage_before", .double(s.coverageBefore))])
        switch method {
        case .cqr:
            o["adjustment"] = .double(s.adjustment)
        case .aci:
            o["adjustment"] = .double(s.adjustment)
            o["alpha"] = .double(s.alpha ?? 0)
        case .scaled:
            o["shift"] = .double(s.shift)
            o["scale"] = .double(s.scale)
        }
        if s.capped { o["capped"] = .bool(true) }
        return .object(o)
    }

    /// Reads a parameter file's text. Throws `ParameterFileError` naming what is wrong.
    public static func decode(_ bytes: [UInt8]) throws -> ConformalParameters {
        let json: JSONValue
        do {
            json = try bytes.withUnsafeBufferPointer { buffer in
                var scanner = JSONScanner(buffer)
                let value = try scanner.parseValue()
                try scanner.expectEnd()
                return value
            }
        } catch let error as JSONSyntaxError {
            throw ParameterFileError("is not valid JSON (\(error))")
        }
        guard let root = json.object else { throw ParameterFileError("is not a JSON object") }
        guard let version = root["format_version"] else {
            throw ParameterFileError("has no format_version (not a tsfm-conformal parameter file?)")
        }
        guard version.int == ConformalParameters.formatVersion else {
            let text = (try? version.jsonText()) ?? "?"
            throw ParameterFileError("has format_version \(text); this tsfm-conformal reads version \(ConformalParameters.formatVersion)")
        }
        func string(_ key: String) throws -> String {
            guard let s = root[key]?.string else { throw ParameterFileError("field '\(key)' is missing or not a string") }
            return s
        }
        func number(_ v: JSONValue?, _ key: String) throws -> Double {
            guard let d = v?.number, d.isFinite else { throw ParameterFileError("field '\(key)' is missing or not a number") }
            return d
        }
        func int(_ v: JSONValue?, _ key: String) throws -> Int {
            guard let i = v?.int else { throw ParameterFileError("field '\(key)' is missing or not an integer") }
            return i
        }
        func timestamp(_ key: String) throws -> Timestamp {
            guard let t = Timestamp(try string(key)) else { throw ParameterFileError("field '\(key)' is not an RFC 3339 time") }
            return t
        }
        guard let method = ConformalMethod(rawValue: try string("method")) else {
            throw ParameterFileError("field 'method' is not one of \(ConformalMethod.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let space = ConformalSpace(rawValue: try string("space")) else {
            throw ParameterFileError("field 'space' is not logit or prob")
        }
        guard let segmentBy = root["segment_by"]?.array?.compactMap(\.string),
              segmentBy.count == root["segment_by"]?.array?.count else {
            throw ParameterFileError("field 'segment_by' is not an array of strings")
        }
        guard let groupsJSON = root["groups"]?.array else { throw ParameterFileError("field 'groups' is missing") }
        var groups: [GroupParameters] = []
        for (g, groupJSON) in groupsJSON.enumerated() {
            let at = "groups[\(g)]"
            guard let o = groupJSON.object, let name = o["group"]?.string, let pairsJSON = o["pairs"]?.array else {
                throw ParameterFileError("\(at) needs 'group' and 'pairs'")
            }
            var pairs: [PairParameters] = []
            for (k, pairJSON) in pairsJSON.enumerated() {
                let pat = "\(at).pairs[\(k)]"
                guard let po = pairJSON.object, let stepsJSON = po["steps"]?.array, let outer = po["outer"]?.bool else {
                    throw ParameterFileError("\(pat) needs 'lo', 'hi', 'outer', 'target' and 'steps'")
                }
                let pair = QuantilePair(lo: try number(po["lo"], "\(pat).lo"), hi: try number(po["hi"], "\(pat).hi"), outer: outer)
                var steps: [StepParameters] = []
                for (i, stepJSON) in stepsJSON.enumerated() {
                    let sat = "\(pat).steps[\(i)]"
                    guard let so = stepJSON.object else { throw ParameterFileError("\(sat) is not an object") }
                    var s = StepParameters(step: try int(so["step"], "\(sat).step"), n: try int(so["n"], "\(sat).n"),
                                           coverageBefore: try number(so["coverage_before"], "\(sat).coverage_before"))
                    guard s.step >= 1 else { throw ParameterFileError("\(sat).step must be ≥ 1") }
                    switch method {
                    case .cqr:
                        s.adjustment = try number(so["adjustment"], "\(sat).adjustment")
                    case .aci:
                        s.adjustment = try number(so["adjustment"], "\(sat).adjustment")
                        s.alpha = try number(so["alpha"], "\(sat).alpha")
                    case .scaled:
                        s.shift = try number(so["shift"], "\(sat).shift")
                        s.scale = try number(so["scale"], "\(sat).scale")
                    }
                    s.capped = so["capped"]?.bool ?? false
                    steps.append(s)
                }
                steps.sort { $0.step < $1.step }
                pairs.append(PairParameters(pair: pair, target: try number(po["target"], "\(pat).target"), steps: steps))
            }
            groups.append(GroupParameters(group: name, pairs: pairs))
        }
        var below: [(group: String, n: Int)] = []
        for item in root["below_min_samples"]?.array ?? [] {
            guard let o = item.object, let g = o["group"]?.string, let n = o["n"]?.int else {
                throw ParameterFileError("field 'below_min_samples' holds an entry without 'group' and 'n'")
            }
            below.append((g, n))
        }
        return ConformalParameters(
            version: try string("version"), asOf: try timestamp("as_of"), window: try string("window"),
            windowStart: try timestamp("window_start"), method: method, space: space,
            target: try number(root["target"], "target"), gamma: root["gamma"]?.number,
            minSamples: try int(root["min_samples"], "min_samples"), segmentBy: segmentBy,
            records: try int(root["records"], "records"), groups: groups, belowMinSamples: below)
    }
}

/// Why a parameter file cannot be used; the caller adds the path.
public struct ParameterFileError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Indented JSON for files people read: a container whose compact form fits in 110 characters
/// stays on one line, others get one member per line.
enum PrettyJSON {
    static func write(_ value: JSONValue, indent: Int, into out: inout [UInt8]) throws {
        var compact = JSONWriter(capacity: 128)
        try compact.value(value)
        let isContainer: Bool
        switch value {
        case .array(let a): isContainer = !a.isEmpty
        case .object(let o): isContainer = !o.isEmpty
        default: isContainer = false
        }
        if !isContainer || compact.bytes.count + indent <= 110 {
            out.append(contentsOf: compact.bytes)
            return
        }
        let pad = [UInt8](repeating: 0x20, count: indent + 2)
        switch value {
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, element) in a.enumerated() {
                out.append(contentsOf: i > 0 ? [UInt8(ascii: ","), 0x0A] : [0x0A])
                out.append(contentsOf: pad)
                try write(element, indent: indent + 2, into: &out)
            }
            out.append(0x0A)
            out.append(contentsOf: [UInt8](repeating: 0x20, count: indent))
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            for (i, member) in o.members.enumerated() {
                out.append(contentsOf: i > 0 ? [UInt8(ascii: ","), 0x0A] : [0x0A])
                out.append(contentsOf: pad)
                var key = JSONWriter(capacity: 32)
                key.string(member.key)
                out.append(contentsOf: key.bytes)
                out.append(contentsOf: [UInt8(ascii: ":"), 0x20])
                try write(member.value, indent: indent + 2, into: &out)
            }
            out.append(0x0A)
            out.append(contentsOf: [UInt8](repeating: 0x20, count: indent))
            out.append(UInt8(ascii: "}"))
        default:
            break
        }
    }
}
