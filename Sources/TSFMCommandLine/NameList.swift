import ArgumentParser
import TSFMCore

/// A comma-separated list of names, each a case of `Name` (`--group-by band_source,step`,
/// `--segment-by liquidity_bucket,category`). Parsed once, when the command line is read: a name
/// that is not a case (a typo such as `liquidity`) or one given twice is refused (exit 64) with
/// the valid names listed. Spaces around a name are ignored; an empty text is an empty list.
public struct NameList<Name: CaseIterable & RawRepresentable & Sendable & Equatable>: Sendable, CustomStringConvertible
where Name.RawValue == String {
    public var names: [Name]

    public init(_ names: [Name]) { self.names = names }

    /// The parser for `@Option(transform:)`.
    @Sendable public static func parse(_ text: String) throws -> NameList {
        var names: [Name] = []
        for part in text.split(separator: ",") {
            let word = String(part.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
            guard !word.isEmpty else { continue }
            guard let name = Name(rawValue: word) else {
                throw ValidationError("unknown name '\(word)' (valid: \(Name.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard !names.contains(name) else { throw ValidationError("'\(word)' is given twice") }
            names.append(name)
        }
        return NameList(names)
    }

    /// As written on the command line (and shown as the default in `--help`).
    public var description: String { names.map(\.rawValue).joined(separator: ",") }
}
