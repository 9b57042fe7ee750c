/// A sum of doubles that does not depend on the order of its terms, so the same records give
/// the same sum whether one process adds them in input order or partials from several machines
/// are merged (`tsfm-eval --partial` / `merge`). Kept in 64.64 fixed point: each term is rounded
/// once to a multiple of 2^-64 (5.4e-20, far below the 1e-9 rows print), then added as an
/// integer, which is exact and associative. The integer part holds ±9.2e18, so no metric sum
/// here comes near it (a Winkler score is at most 1 + 2/α).
public struct ExactSum: Equatable, Sendable {
    /// ⌊sum⌋.
    public private(set) var whole: Int64 = 0
    /// (sum − ⌊sum⌋) · 2^64.
    public private(set) var fraction: UInt64 = 0

    static let twoTo64 = 18_446_744_073_709_551_616.0

    public init() {}

    public init(whole: Int64, fraction: UInt64) {
        self.whole = whole
        self.fraction = fraction
    }

    /// |x| as a fixed-point pair; a non-finite or huge term (never produced by the metrics)
    /// saturates instead of trapping. Rounding |x| (not x) makes a term and its negation cancel
    /// exactly, which pairing's withdrawal of unpaired records relies on.
    static func split(magnitude x: Double) -> (Int64, UInt64) {
        guard x.isFinite, x < 4.6e18 else { return (Int64.max / 4, 0) }
        let floor = x.rounded(.down)
        // x − ⌊x⌋ is exact for every finite double; scaling by 2^64 is exact too.
        let scaled = ((x - floor) * twoTo64).rounded()
        if scaled >= twoTo64 { return (Int64(floor) + 1, 0) }
        return (Int64(floor), UInt64(scaled))
    }

    public mutating func add(_ x: Double) {
        let (w, f) = Self.split(magnitude: abs(x))
        if x < 0 {
            // −(w + f/2^64) = (−w − 1) + (2^64 − f)/2^64 when f > 0.
            if f == 0 { add(whole: 0 &- w, fraction: 0) } else { add(whole: 0 &- w &- 1, fraction: 0 &- f) }
        } else {
            add(whole: w, fraction: f)
        }
    }

    mutating func add(whole w: Int64, fraction f: UInt64) {
        let (sum, carry) = fraction.addingReportingOverflow(f)
        fraction = sum
        whole = whole &+ w &+ (carry ? 1 : 0)
    }

    public mutating func add(_ other: ExactSum) { add(whole: other.whole, fraction: other.fraction) }

    public static func += (a: inout ExactSum, x: Double) { a.add(x) }
    public static func += (a: inout ExactSum, b: ExactSum) { a.add(b) }

    /// The sum as a double (a function of the exact value alone, so equal sums give equal doubles).
    public var value: Double { Double(whole) + Double(fraction) / Self.twoTo64 }

    /// `whole:fraction` in hex-free decimal integers, for partials: exact and round-trippable.
    public var text: String { "\(whole):\(fraction)" }

    public init?(text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let w = Int64(parts[0]), let f = UInt64(parts[1]) else { return nil }
        whole = w
        fraction = f
    }
}
