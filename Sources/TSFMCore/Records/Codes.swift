/// Stable codes that records carry and docs/records.md lists. Changing a raw value is a breaking
/// change for downstream alerting.

/// Codes appended to `meta.warnings`.
public enum WarningCode: String, CaseIterable, Sendable {
    /// tsfm-post (or tsfm-conformal apply, re-enforcing the same rules) clipped a value into [0,1].
    case clipped
    /// tsfm-post sorted a step whose quantiles crossed.
    case quantileCrossingFixed = "quantile_crossing_fixed"
    /// tsfm-post widened a band narrower than the minimum width.
    case widthExpanded = "width_expanded"
    /// tsfm-post narrowed a band wider than the maximum width.
    case widthClamped = "width_clamped"
    /// No baseline could fit the series; a flat band at the last value was emitted.
    case degenerateSeries = "degenerate_series"
    /// tsfm-conformal found no parameters for the record's segment; the band is unchanged.
    case conformalInsufficientSamples = "conformal_insufficient_samples"
}

/// Why a request was served by a baseline instead of the model (`meta.fallback_reason`).
public struct FallbackReason: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }

    public static let ineligibleGapTooLong = FallbackReason(rawValue: "ineligible_gap_too_long")
    public static let ineligibleStale = FallbackReason(rawValue: "ineligible_stale")
    public static let illiquid = FallbackReason(rawValue: "illiquid")
    public static let tooShort = FallbackReason(rawValue: "too_short")
    public static let tollamaTimeout = FallbackReason(rawValue: "tollama_timeout")
    public static let tollamaUnreachable = FallbackReason(rawValue: "tollama_unreachable")
    public static let tollamaInvalidResponse = FallbackReason(rawValue: "tollama_invalid_response")
    public static let circuitOpen = FallbackReason(rawValue: "circuit_open")
    public static let modelNotInstalled = FallbackReason(rawValue: "model_not_installed")
    public static let baselineOnlyMode = FallbackReason(rawValue: "baseline_only_mode")

    /// `tollama_http_<status>` for an HTTP failure with no more specific code.
    public static func tollamaHTTP(_ status: Int) -> FallbackReason {
        FallbackReason(rawValue: "tollama_http_\(status)")
    }
    /// prep marked the request ineligible for a reason this version does not know (or gave none).
    public static let ineligibleOther = FallbackReason(rawValue: "ineligible_other")
}

/// Why prep marked a request TSFM-ineligible (`quality.baseline_only_reasons`).
public enum BaselineOnlyReason: String, CaseIterable, Sendable {
    case gapTooLong = "gap_too_long"
    case tooShort = "too_short"
    case illiquid
    case stale

    /// The fallback reason tsfm-forecast gives a request prep marked ineligible for this reason.
    public var fallbackReason: FallbackReason {
        switch self {
        case .gapTooLong: return .ineligibleGapTooLong
        case .tooShort: return .tooShort
        case .illiquid: return .illiquid
        case .stale: return .ineligibleStale
        }
    }
}

/// A market's liquidity bucket (`liquidity_bucket`): prep writes it upper-case; every tool reads
/// it in any case. LOW makes a market illiquid (baseline only).
public enum LiquidityBucket: String, CaseIterable, Sendable {
    case low = "LOW"
    case medium = "MEDIUM"
    case high = "HIGH"

    /// The bucket a field's text names, in any case; nil for none or another value.
    public init?(text: String?) {
        guard let text, let bucket = Self(rawValue: text.uppercased()) else { return nil }
        self = bucket
    }
}

/// Where a band came from (`meta.band_source`): what evaluation groups by.
public enum BandSource: String, CaseIterable, Sendable {
    case tsfmRaw = "tsfm_raw"
    case baseline
    case tsfmConformal = "tsfm_conformal"
    case baselineConformal = "baseline_conformal"
}

/// Which runtime produced a forecast (`meta.runtime`).
public enum RuntimeKind: String, CaseIterable, Sendable {
    case tollama
    case baseline
}
