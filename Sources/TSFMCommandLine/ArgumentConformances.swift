import ArgumentParser
import TSFMCore

// The core's option values as command-line arguments. The core declares the values (and parses
// the ones that need more than a raw value, `init?(argument:)`); only this module knows
// ArgumentParser, so a library user of TSFMCore never links it.

extension Logger.Level: ExpressibleByArgument {}
extension Logger.Format: ExpressibleByArgument {}
extension OnErrorPolicy: ExpressibleByArgument {}
extension Cadence: ExpressibleByArgument {}
extension DurationArgument: ExpressibleByArgument {}
extension BaselineChoice: ExpressibleByArgument {
    /// Only the names of `allCases` (the struct's own init takes any text).
    public init?(argument: String) {
        guard let choice = Self.allCases.first(where: { $0.rawValue == argument }) else { return nil }
        self = choice
    }
}
extension RuntimeMode: ExpressibleByArgument {}
extension ConformalMethod: ExpressibleByArgument {}
extension ConformalSpace: ExpressibleByArgument {}

extension DurationArgument {
    /// Throws a usage error naming the flag and the accepted range when the duration is outside
    /// it (a tool's `validate()` calls this for each duration flag).
    public func check(_ flag: String, _ range: ClosedRange<Double>, openBelow: Bool = false) throws {
        let inRange = openBelow ? seconds > range.lowerBound && seconds <= range.upperBound : range.contains(seconds)
        guard inRange else {
            let low = openBelow ? "longer than \(DurationText.text(range.lowerBound))" : "at least \(DurationText.text(range.lowerBound))"
            throw ValidationError("\(flag) must be \(low) and at most \(DurationText.text(range.upperBound)) (got \(text))")
        }
    }
}

extension EvalSplit {
    /// `--split`'s transform: parsed once, or refused with the accepted forms.
    @Sendable public static func parse(_ text: String) throws -> EvalSplit {
        guard let split = EvalSplit(argument: text) else { throw ValidationError("must be time:F or event:F with 0 < F < 1") }
        return split
    }
}
