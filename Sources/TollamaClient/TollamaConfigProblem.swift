import TSFMCore

/// A reason the daemon refuses calls that only the user can fix: no or a wrong API key, a model
/// that is not installed, a licence not accepted. Unlike an outage it does not pass by itself, so
/// it never counts toward the circuit breaker or baseline-only mode (which would keep the model
/// off for a cool-down after the fix); the run warns once with the fix, serves the affected
/// requests by baseline, and exits 78 at the end so cron notices.
public struct TollamaConfigProblem: Hashable, Sendable {
    public enum Kind: String, Sendable {
        /// 401 or 403: every call fails alike, so the run stops sending.
        case auth
        /// 404 naming the model: calls for that model stop; others go on.
        case modelNotInstalled = "model_not_installed"
        /// 409 saying the licence needs accepting: calls for that model stop.
        case licenseNotAccepted = "license_not_accepted"
    }

    public var kind: Kind
    /// The model concerned (nil for auth, which concerns every call).
    public var model: String?
    /// The daemon's words (token redacted).
    public var detail: String
    /// What to do about it.
    public var hint: String
    /// The fallback reason of the requests it sends to a baseline.
    public var reason: FallbackReason

    /// 401/403 from the daemon; `tokenSet` says whether TOLLAMA_API_KEY was sent.
    public static func auth(status: Int, detail: String, tokenSet: Bool) -> TollamaConfigProblem {
        let hint: String
        if status == 403 {
            hint = "the daemon refused this API key for the call: check the key's permissions on the daemon"
        } else if tokenSet {
            hint = "the daemon rejected TOLLAMA_API_KEY: set it to one of the daemon's API keys (auth.api_keys in its config.json)"
        } else {
            hint = "the daemon requires an API key: set TOLLAMA_API_KEY to one of its keys (auth.api_keys in its config.json)"
        }
        return TollamaConfigProblem(kind: .auth, model: nil, detail: detail, hint: hint, reason: .tollamaHTTP(status))
    }

    public static func modelNotInstalled(_ model: String, detail: String) -> TollamaConfigProblem {
        TollamaConfigProblem(kind: .modelNotInstalled, model: model, detail: detail,
                             hint: "run `tollama pull \(model)` where the daemon runs, or choose an installed model with --model",
                             reason: .modelNotInstalled)
    }

    public static func licenseNotAccepted(_ model: String, detail: String) -> TollamaConfigProblem {
        TollamaConfigProblem(kind: .licenseNotAccepted, model: model, detail: detail,
                             hint: "accept the model's licence: `tollama pull \(model) --accept-license`",
                             reason: .tollamaHTTP(409))
    }

    /// Whether a 409's detail is the licence refusal (a 409 can also be a runner conflict, which
    /// passes and is retried).
    static func isLicenseRefusal(_ detail: String) -> Bool {
        let d = detail.lowercased()
        return d.contains("license") || d.contains("licence")
    }

    /// Does this problem stop a call for `model`?
    func blocks(model: String) -> Bool { self.model == nil || self.model == model }

    /// The warning's fields.
    public var fields: [(String, JSONValue)] {
        var f: [(String, JSONValue)] = [("problem", .string(kind.rawValue))]
        if let model { f.append(("model", .string(model))) }
        f.append(("detail", .string(detail)))
        f.append(("hint", .string(hint)))
        return f
    }
}
