#if canImport(Glibc)
import Glibc
#endif

/// Where parameter files live on disk. Every write is atomic (a temporary file in the same
/// directory, fsync'd, then renamed over the target), so a reader never sees half a file.
///
/// A parameter directory (`--out-dir DIR`) holds one file per version, `DIR/<as_of date>.json`
/// (`-2`, `-3`… for further fits with the same as-of date),
/// and `DIR/latest`: a one-line text file naming the current version's file (e.g.
/// `2026-11-04.json`), replaced atomically after the version file is in place. A plain file
/// rather than a symlink, so it survives copying and archiving.
public enum ParameterStore {
    public static let latestName = "latest"

    /// Writes the parameters to `path` atomically (replacing it). Throws `ToolError(.ioError)`.
    public static func write(_ parameters: ConformalParameters, to path: String) throws {
        try AtomicFile.write(try ParameterFile.encode(parameters), to: path)
    }

    /// Writes a new version file in `dir` and points `DIR/latest` at it; returns the file's
    /// path. The file is `<version>.json`, or `<version>-2.json`, `-3`… when a file of that
    /// name exists (two fits for the same as-of date never overwrite each other; the `version`
    /// inside says the same). The name is claimed with link(2), which never replaces a file.
    @discardableResult
    public static func write(_ parameters: ConformalParameters, toDirectory dir: String) throws -> String {
        if mkdir(dir, 0o755) != 0 && errno != EEXIST {
            throw ToolError(.ioError, "cannot create parameter directory \(dir): \(System.lastErrorText)")
        }
        var versioned = parameters
        let staging = join(dir, ".\(parameters.version).staging.\(System.processID)")
        defer { unlink(staging) }
        var suffix = 1
        while true {
            versioned.version = suffix == 1 ? parameters.version : "\(parameters.version)-\(suffix)"
            try AtomicFile.write(try ParameterFile.encode(versioned), to: staging)
            let name = "\(versioned.version).json"
            let path = join(dir, name)
            if link(staging, path) == 0 {
                try AtomicFile.write(Array((name + "\n").utf8), to: join(dir, latestName))
                return path
            }
            guard errno == EEXIST, suffix < 10_000 else {
                throw ToolError(.ioError, "cannot write \(path): \(System.lastErrorText)")
            }
            unlink(staging)
            suffix += 1
        }
    }

    /// The parameters `DIR/latest` points at, or nil when the directory has no `latest` yet.
    public static func current(inDirectory dir: String) throws -> ConformalParameters? {
        var info = stat()
        guard stat(join(dir, latestName), &info) == 0 else { return nil }
        return try load(dir)
    }

    /// Reads a parameter file, or the current version of a parameter directory (via `latest`).
    /// Anything missing, unreadable or of the wrong format is a configuration error (exit 78).
    public static func load(_ path: String) throws -> ConformalParameters {
        var file = path
        var info = stat()
        var bytes: [UInt8]
        if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            file = try follow(join(path, latestName), in: path)
            bytes = try read(file, what: "parameter file")
        } else {
            bytes = try read(file, what: "parameter file")
            // The `latest` pointer itself (`--params params/latest`): a line naming a file beside it.
            if PathParts(path).lastComponent == latestName, bytes.first(where: { $0 > 0x20 }) != UInt8(ascii: "{") {
                let dir = PathParts(path).directory
                file = try follow(path, in: dir, bytes: bytes)
                bytes = try read(file, what: "parameter file")
            }
        }
        do {
            return try ParameterFile.decode(bytes)
        } catch let error as ParameterFileError {
            throw ToolError(.config, "parameter file \(file) \(error)")
        }
    }

    /// The adaptation state's default place: `DIR/adapt-state.json` beside the versions when
    /// `params` is a parameter directory or its `latest`; nil for a plain parameter file.
    public static func defaultStatePath(params: String) -> String? {
        var info = stat()
        if stat(params, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR { return join(params, stateName) }
        if PathParts(params).lastComponent == latestName { return join(PathParts(params).directory, stateName) }
        return nil
    }

    public static let stateName = "adapt-state.json"

    /// The adaptation state's bytes, or nil when there is none yet.
    public static func readState(_ path: String) throws -> [UInt8]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return try read(path, what: "adaptation state")
    }

    /// Replaces the adaptation state atomically.
    public static func writeState(_ bytes: [UInt8], to path: String) throws {
        try AtomicFile.write(bytes, to: path)
    }

    /// The file a `latest` pointer names, in `dir`.
    static func follow(_ pointer: String, in dir: String, bytes known: [UInt8]? = nil) throws -> String {
        let bytes = try known ?? read(pointer, what: "parameter directory pointer")
        let name = String(decoding: bytes, as: UTF8.self)
            .split(whereSeparator: { $0 == "\n" || $0 == "\r" }).first.map(String.init) ?? ""
        guard !name.isEmpty, !name.contains("/"), name != "..", name != "." else {
            throw ToolError(.config, "\(pointer) does not name a parameter file in \(dir)")
        }
        return join(dir, name)
    }

    static func join(_ dir: String, _ name: String) -> String {
        dir.hasSuffix("/") ? dir + name : dir + "/" + name
    }

    static func read(_ path: String, what: String) throws -> [UInt8] {
        do {
            return try FileBytes.read(path)
        } catch {
            throw ToolError(.config, "cannot read \(what) \(path): \(error.reason)")
        }
    }

}

/// The last path component and the directory of a path, without Foundation.
struct PathParts {
    let path: String
    init(_ path: String) { self.path = path }
    var lastComponent: String {
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        return trimmed.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? trimmed
    }
    var directory: String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }
}
