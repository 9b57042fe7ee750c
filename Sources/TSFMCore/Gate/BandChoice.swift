/// Which band the TSFM arm's alerts use (`--band-source`).
public enum GateBandSource: String, CaseIterable, Sendable {
    /// The calibrated model band (`yhat_q` after tsfm-conformal apply): the plan's default.
    case tsfmConformal = "tsfm_conformal"
    /// The model's band before calibration (`yhat_q_raw`, or `yhat_q` before apply).
    case tsfmRaw = "tsfm_raw"
    /// The baseline's band: `yhat_q` of a baseline-served record, else `yhat_q_baseline`.
    case baseline
}

/// Why an alert's band is not the requested one (`band_source_fallback`), along the order
/// conformal → raw → baseline.
public enum BandSourceFallback: String, CaseIterable, Sendable {
    /// A calibrated band was asked for, but apply did not adjust this record (or did not run):
    /// the model's raw band was used.
    case notCalibrated = "not_calibrated"
    /// A model band was asked for, but a baseline served the record: the baseline band was used.
    case baselineServed = "baseline_served"
}

/// The band an alert is judged against, and what the alert says about it.
public struct BandChoice {
    /// Byte range of the band in the scanned line, and its field (for error messages).
    var range: Range<Int>
    public var field: String
    /// The band's actual source: `tsfm_conformal`, `tsfm_raw`, `baseline`, `baseline_conformal`.
    public var bandSource: String
    public var fallback: BandSourceFallback?
    public var modelName: String?
    public var modelVersion: String?
    /// The conformal parameter version, for calibrated bands.
    public var paramsVersion: String?
}

extension GateForecast {
    /// Whether the model served the record (else a baseline did). From `meta.band_source`,
    /// else `meta.runtime`; a record with neither cannot say which band `yhat_q` is.
    func servedByModel() throws -> Bool {
        switch bandSource {
        case BandSource.tsfmRaw.rawValue?, BandSource.tsfmConformal.rawValue?: return true
        case BandSource.baseline.rawValue?, BandSource.baselineConformal.rawValue?: return false
        case let other?:
            throw RecordError(field: "\(FieldName.meta).\(MetaKey.bandSource)",
                              "'\(other)' is not one of \(BandSource.allCases.map(\.rawValue).joined(separator: ", "))")
        case nil:
            switch runtime {
            case RuntimeKind.tollama.rawValue?: return true
            case RuntimeKind.baseline.rawValue?: return false
            default:
                throw RecordError(field: "\(FieldName.meta).\(MetaKey.bandSource)",
                                  "missing (neither band_source nor runtime says which band yhat_q is; run tsfm-forecast)")
            }
        }
    }

    /// The TSFM arm's band for `requested`, falling back conformal → raw → baseline. Nil only
    /// when the chain ends at a baseline band the record does not carry.
    public func tsfmBand(_ requested: GateBandSource) throws -> BandChoice? {
        if requested == .baseline { return try baselineBand() }
        guard try servedByModel() else {
            guard var choice = try baselineBand() else { return nil }
            choice.fallback = .baselineServed
            return choice
        }
        let calibrated = bandSource == BandSource.tsfmConformal.rawValue
        var choice = BandChoice(range: yhatQ!, field: FieldName.yhatQ, bandSource: BandSource.tsfmConformal.rawValue,
                                fallback: nil, modelName: modelName, modelVersion: modelVersion, paramsVersion: paramsVersion)
        switch requested {
        case .tsfmConformal where calibrated:
            return choice
        case .tsfmConformal:
            // Not adjusted: yhat_q is the model's band (made safe again by apply, when it ran).
            choice.bandSource = BandSource.tsfmRaw.rawValue
            choice.fallback = .notCalibrated
            choice.paramsVersion = nil
            return choice
        case .tsfmRaw:
            choice.bandSource = BandSource.tsfmRaw.rawValue
            choice.paramsVersion = nil
            if let raw = yhatQRaw {
                choice.range = raw
                choice.field = FieldName.yhatQRaw
            } else if calibrated {
                throw RecordError(field: FieldName.yhatQRaw, "missing (a calibrated band without its raw band; tsfm-conformal apply keeps it)")
            }
            return choice
        case .baseline:
            preconditionFailure("handled above")
        }
    }

    /// The baseline's band: `yhat_q` when a baseline served the record, else the copy in
    /// `yhat_q_baseline` (nil when the record has none: forecasts made before the copy existed).
    public func baselineBand() throws -> BandChoice? {
        if try !servedByModel() {
            return BandChoice(range: yhatQ!, field: FieldName.yhatQ, bandSource: bandSource ?? BandSource.baseline.rawValue,
                              fallback: nil, modelName: modelName, modelVersion: modelVersion,
                              paramsVersion: bandSource == BandSource.baselineConformal.rawValue ? paramsVersion : nil)
        }
        guard let copy = yhatQBaseline else { return nil }
        let source = baselineBandSource ?? BandSource.baseline.rawValue
        return BandChoice(range: copy, field: FieldName.yhatQBaseline, bandSource: source, fallback: nil,
                          modelName: baselineModel, modelVersion: nil,
                          paramsVersion: source == BandSource.baselineConformal.rawValue ? paramsVersion : nil)
    }
}
