import ArgumentParser
import TSFMCore

/// `--as-of`: an RFC 3339 UTC time, or `now` (the wall clock, read only when asked for).
public struct AsOfArgument: ExpressibleByArgument, Sendable {
    public var timestamp: Timestamp

    public init?(argument: String) {
        if argument == "now" {
            timestamp = Timestamp.now()
        } else if let t = Timestamp(argument) {
            timestamp = t
        } else {
            return nil
        }
    }

    public static var defaultValueDescription: String { "RFC 3339 time or 'now'" }
}
