/// `--runtime`: who serves the requests.
public enum RuntimeMode: String, CaseIterable, Sendable {
    /// The model for eligible, liquid requests; a baseline (with a fallback reason) otherwise.
    case auto
    /// A baseline for every request; not a fallback, so no reason is given.
    case baseline
    /// The model for every valid request, eligibility ignored; a baseline when the model fails.
    case tollama
}

/// Where one request goes.
public enum ForecastRoute: Equatable, Sendable {
    case model
    /// A baseline; the reason is nil when the baseline was asked for (`--runtime baseline`).
    case baseline(FallbackReason?)
}

/// The policy that chooses between the model and a baseline for a request.
public struct ForecastPolicy: Sendable {
    public var mode: RuntimeMode
    /// Requests whose `volume_24h` is below this are illiquid (`--illiquid-volume`).
    public var illiquidVolume: Double

    public static let defaultIlliquidVolume = 5000.0

    public init(mode: RuntimeMode = .auto, illiquidVolume: Double = defaultIlliquidVolume) {
        self.mode = mode
        self.illiquidVolume = illiquidVolume
    }

    /// The route for a request, given whether a model runtime exists.
    public func route(_ request: ForecastRequest, runtimeAvailable: Bool) -> ForecastRoute {
        switch mode {
        case .baseline:
            return .baseline(nil)
        case .tollama:
            return runtimeAvailable ? .model : .baseline(.tollamaUnreachable)
        case .auto:
            if let reason = baselineOnlyReason(request) { return .baseline(reason) }
            return runtimeAvailable ? .model : .baseline(.tollamaUnreachable)
        }
    }

    /// Why a request must be served by a baseline in `auto` mode, or nil when the model may
    /// serve it: prep's verdict first, then liquidity.
    public func baselineOnlyReason(_ request: ForecastRequest) -> FallbackReason? {
        if request.tsfmEligible == false || (request.tsfmEligible == nil && !request.baselineOnlyReasons.isEmpty) {
            return Self.fallbackReason(forIneligibility: request.baselineOnlyReasons)
        }
        if LiquidityBucket(text: request.liquidityBucket) == .low { return .illiquid }
        if let volume = request.volume24h, volume < illiquidVolume { return .illiquid }
        return nil
    }

    /// Maps prep's `quality.baseline_only_reasons` to a fallback reason: the first reason it
    /// knows, in prep's order; `ineligible_other` when none is known.
    public static func fallbackReason(forIneligibility reasons: [String]) -> FallbackReason {
        reasons.lazy.compactMap(BaselineOnlyReason.init(rawValue:)).first?.fallbackReason ?? .ineligibleOther
    }
}
