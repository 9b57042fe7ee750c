import TSFMCore

/// The health probe: is the daemon up, does it take our key, and is the configured model
/// installed? `/v1/health` alone answers ok while the model is missing, so a probe that only
/// asked it let baseline-only mode end into a run of `model_not_installed` calls; asking
/// `/api/tags` too tells an outage (unreachable) from a configuration problem.
struct DaemonProbe {
    enum Verdict: Equatable {
        case healthy
        case unreachable
        case problem(TollamaConfigProblem)
    }

    var verdict: Verdict
    /// Installed models and what the daemon reports as their version (the tags' `digest`), when
    /// `/api/tags` answered.
    var installed: [String: String]?

    /// GET /v1/health (else /api/version), then /api/tags.
    static func run(_ transport: HTTPTransport, config: TollamaConfig) -> DaemonProbe {
        var up = false
        for path in ["/v1/health", "/api/version"] where !up {
            switch transport.get(config.url(path), token: config.token, timeout: config.timeout) {
            case .response(200, _)?:
                up = true
            case .response(let status, let body)? where status == 401 || status == 403:
                return DaemonProbe(verdict: .problem(.auth(status: status, detail: config.redact(TollamaWire.detail(body)),
                                                            tokenSet: config.token != nil)), installed: nil)
            default:
                continue
            }
        }
        guard up else { return DaemonProbe(verdict: .unreachable, installed: nil) }
        switch transport.get(config.url("/api/tags"), token: config.token, timeout: config.timeout) {
        case .response(let status, let body)? where status == 401 || status == 403:
            return DaemonProbe(verdict: .problem(.auth(status: status, detail: config.redact(TollamaWire.detail(body)),
                                                        tokenSet: config.token != nil)), installed: nil)
        case .response(200, let body)?:
            guard let installed = installedModels(body) else { return DaemonProbe(verdict: .healthy, installed: nil) }
            if installed[config.model] == nil {
                return DaemonProbe(verdict: .problem(.modelNotInstalled(config.model, detail: "model '\(config.model)' is not installed")),
                                   installed: installed)
            }
            return DaemonProbe(verdict: .healthy, installed: installed)
        default:
            // A daemon without /api/tags cannot be asked; it answered health, so it is up.
            return DaemonProbe(verdict: .healthy, installed: nil)
        }
    }

    /// `/api/tags`' models: name → digest ("" when it gives none); nil when the body is not a
    /// tag list.
    static func installedModels(_ body: [UInt8]) -> [String: String]? {
        guard let models = (try? JSONValue.parse(String(decoding: body, as: UTF8.self)))?.object?["models"]?.array else { return nil }
        var out: [String: String] = [:]
        for m in models {
            guard let o = m.object, let name = o["name"]?.string ?? o["model"]?.string else { continue }
            out[name] = o["digest"]?.string ?? ""
        }
        return out
    }
}
