#if canImport(Glibc)
import Glibc
#endif

/// The space a request's series is modelled in. Logit maps a probability to the real line so
/// models and baselines work unbounded; eps keeps 0 and 1 finite.
public enum Transform: Equatable, Sendable {
    case identity
    case logit(eps: Double)

    /// The product default: logit with eps 1e-6.
    public static let standard = Transform.logit(eps: 1e-6)

    /// Probability → model space (clipped to [eps, 1-eps] first under logit).
    @inline(__always)
    public func forward(_ p: Double) -> Double {
        switch self {
        case .identity: return p
        case .logit(let eps):
            let q = min(max(p, eps), 1 - eps)
            return log(q / (1 - q))
        }
    }

    /// Model space → probability.
    @inline(__always)
    public func inverse(_ x: Double) -> Double {
        switch self {
        case .identity: return x
        case .logit: return logistic(x)
        }
    }

    /// `{"space":"logit","eps":1e-6}` or `{"space":"identity"}`.
    public var json: JSONValue {
        switch self {
        case .identity: return ["space": "identity"]
        case .logit(let eps): return ["space": "logit", "eps": .double(eps)]
        }
    }

    /// Accepted eps: below 1e-12, 1 − eps rounds to 1 and the logit of a clipped 1 is infinite.
    public static let epsRange: Range<Double> = 1e-12..<0.5
    public static let epsRangeText = "[1e-12, 0.5)"

    /// Reads the record form; `field` names the field in errors.
    public init(json: JSONValue, field: String = FieldName.transform) throws {
        guard let object = json.object, let space = object["space"]?.string else {
            throw RecordError(field: field, "expected an object with a 'space' of \"logit\" or \"identity\"")
        }
        switch space {
        case "identity":
            self = .identity
        case "logit":
            var eps = 1e-6
            if let given = object["eps"], given != .null {
                guard let number = given.number else { throw RecordError(field: "\(field).eps", "expected a number") }
                eps = number
            }
            guard Self.epsRange.contains(eps) else { throw RecordError(field: "\(field).eps", "must be in \(Self.epsRangeText)") }
            self = .logit(eps: eps)
        default:
            throw RecordError(field: "\(field).space", "unknown space '\(space)' (expected logit or identity)")
        }
    }
}

/// The logistic function, stable for large |x| (never exp of a large positive number).
@inline(__always)
public func logistic(_ x: Double) -> Double {
    if x >= 0 {
        return 1 / (1 + exp(-x))
    }
    let e = exp(x)
    return e / (1 + e)
}

/// log(p / (1 - p)) for p in (0, 1).
@inline(__always)
public func logit(_ p: Double) -> Double {
    log(p / (1 - p))
}
