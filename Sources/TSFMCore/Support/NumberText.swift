/// Numbers in messages and labels for people: a whole number without a fraction (`5000`, not
/// `5000.0`), anything else in Swift's shortest round-trip form (locale-free). Records use
/// `JSONWriter`, which always writes the round-trip form.
public enum NumberText {
    public static func short(_ v: Double) -> String {
        v.rounded() == v && abs(v) < 1e15 ? String(Int(v)) : v.description
    }
}
