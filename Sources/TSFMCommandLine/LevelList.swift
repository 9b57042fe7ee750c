import ArgumentParser
import TSFMCore

/// A comma-separated list of quantile levels on the command line (`0.05,0.5,0.95`).
public struct LevelList: ExpressibleByArgument, Sendable {
    public var levels: [Double]

    public init(_ levels: [Double]) { self.levels = levels }

    public init?(argument: String) {
        // Each level in the record key grammar (a JSON number in range: no hex, inf or nan).
        let parts = argument.split(separator: ",").map { QuantileLevel.parse(String($0.filter { $0 != " " })) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
        guard let sorted = try? QuantileLevel.validated(parts.map { $0! }, field: "--quantiles") else { return nil }
        levels = sorted
    }

    public var defaultValueDescription: String { levels.map(QuantileLevel.key).joined(separator: ",") }
}

