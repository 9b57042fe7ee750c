#if canImport(Glibc)
import Glibc
#endif

/// Where parameter files live on disk. Every write is atomic (a temporary file in the same
/// directory, fsync'd, then renamed over the target), so a reader never sees half a file.
///
/// A parameter directory (`--out-dir DIR`) holds one file per version, `DIR/<as_of date>.json`,
/// and `DIR/latest`: a one-line text file naming the current version's file (e.g.
/// `2026-11-04.json`), replaced atomically after the version file is in place. A plain file
/// rather than a symlink, so it survives copying and archiving.
public enum ParameterStore {
    public static let latestName = "latest"

    /// Writes the parameters to `path` atomically. Throws `ToolError(.ioError)`.
    public static func write(_ parameters: ConformalParameters, to path: String) throws {
        try writeAtomically(try ParameterFile.encode(parameters), to: path)
    }

    /// Writes `DIR/<version>.json`, then points `DIR/latest` at it; returns the file's path.
    @discardableResult
    public static func write(_ parameters: ConformalParameters, toDirectory dir: String) throws -> String {
        if mkdir(dir, 0o755) != 0 && errno != EEXIST {
            throw ToolError(.ioError, "cannot create parameter directory \(dir): \(String(cString: strerror(errno)))")
        }
        let name = "\(parameters.version).json"
        let path = join(dir, name)
        try write(parameters, to: path)
        try writeAtomically(Array((name + "\n").utf8), to: join(dir, latestName))
        return path
    }

    /// Reads a parameter file, or the current version of a parameter directory (via `latest`).
    /// Anything missing, unreadable or of the wrong format is a configuration error (exit 78).
    public static func load(_ path: String) throws -> ConformalParameters {
        var file = path
        var info = stat()
        if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            let pointer = join(path, latestName)
            let name = String(decoding: try read(pointer, what: "parameter directory pointer"), as: UTF8.self)
                .split(whereSeparator: { $0 == "\n" || $0 == "\r" }).first.map(String.init) ?? ""
            guard !name.isEmpty, !name.contains("/"), name != "..", name != "." else {
                throw ToolError(.config, "\(pointer) does not name a parameter file in \(path)")
            }
            file = join(path, name)
        }
        let bytes = try read(file, what: "parameter file")
        do {
            return try ParameterFile.decode(bytes)
        } catch let error as ParameterFileError {
            throw ToolError(.config, "parameter file \(file) \(error)")
        }
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

    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        try AtomicFile.write(bytes, to: path)
    }
}
