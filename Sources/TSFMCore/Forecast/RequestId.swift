/// Request ids (`meta.request_id`, sent to tollama as `x-request-id`): UUID-shaped lowercase hex.
public struct RequestIdSource {
    /// Random ids (version-4 form) from a generator seeded once per run, or ids derived from the
    /// request's bytes (version-8 form) when `deterministic`.
    public let deterministic: Bool
    var generator: SplitMix64

    public init(deterministic: Bool, seed: UInt64? = nil) {
        self.deterministic = deterministic
        var system = SystemRandomNumberGenerator()
        generator = SplitMix64(seed: seed ?? system.next())
    }

    /// The id for a request whose input line is `bytes`.
    public mutating func next(for bytes: [UInt8]) -> String {
        if deterministic { return Self.derived(from: bytes) }
        let high = generator.next()
        let low = generator.next()
        return Self.format(high, low, version: 4)
    }

    /// 64-bit FNV-1a of the bytes, widened to 128 bits with SplitMix64's finalizer: the same
    /// request line always gets the same id.
    public static func derived(from bytes: [UInt8]) -> String {
        let hash = FNV1a64.hash(bytes)
        var widen = SplitMix64(seed: hash)
        return format(hash, widen.next(), version: 8)
    }

    /// `xxxxxxxx-xxxx-Vxxx-Nxxx-xxxxxxxxxxxx` with the RFC 9562 version and variant bits set.
    static func format(_ high: UInt64, _ low: UInt64, version: UInt64) -> String {
        let hi = (high & ~(0xF << 12)) | (version << 12)
        let lo = (low & ~(0xC << 60)) | (0x8 << 60)
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(36)
        for i in 0..<32 {
            if i == 8 || i == 12 || i == 16 || i == 20 { out.append(UInt8(ascii: "-")) }
            let word = i < 16 ? hi : lo
            out.append(digits[Int((word >> UInt64(60 - 4 * (i % 16))) & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
