import Foundation
import Testing
@testable import TollamaClient
@testable import TSFMCore

/// A fresh empty directory for one test.
private func scratchDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tsfm-files-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

private func contents(_ path: String) -> String? {
    (try? Data(contentsOf: URL(fileURLWithPath: path))).map { String(decoding: $0, as: UTF8.self) }
}

private func fileType(_ path: String) -> mode_t? {
    var info = stat()
    return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : nil
}

/// The status of the ToolError `body` throws, or nil when it throws none.
private func status(_ body: () throws -> Void) -> TSFMCore.ExitStatus? {
    do { try body() } catch let error as ToolError { return error.status } catch { return .software }
    return nil
}

@Suite("Atomic file writes")
struct AtomicFileTests {
    @Test func replacesARegularFileAndLeavesNoTempBehind() throws {
        let dir = try scratchDirectory()
        let target = dir + "/out.json"
        try AtomicFile.write(Array("old\n".utf8), to: target)
        try AtomicFile.write(Array("new\n".utf8), to: target)
        #expect(contents(target) == "new\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.json"])
    }

    @Test func refusesAFIFOAndLeavesIt() throws {
        let dir = try scratchDirectory()
        let fifo = dir + "/report.html"
        #expect(mkfifo(fifo, 0o644) == 0)
        #expect(status { try AtomicFile.write(Array("x".utf8), to: fifo) } == .cantCreate)
        #expect(fileType(fifo) == S_IFIFO)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["report.html"])
    }

    @Test func refusesADirectoryAndASymlinkToAFIFO() throws {
        let dir = try scratchDirectory()
        #expect(status { try AtomicFile.write(Array("x".utf8), to: dir) } == .cantCreate)
        let fifo = dir + "/fifo"
        #expect(mkfifo(fifo, 0o644) == 0)
        #expect(symlink(fifo, dir + "/link") == 0)
        #expect(status { try AtomicFile.write(Array("x".utf8), to: dir + "/link") } == .cantCreate)
        #expect(fileType(dir + "/link") == S_IFLNK)
    }

    /// The device is /dev/full itself, except as root: there a rename over it would succeed, so a
    /// regression must not be able to replace the machine's /dev/full. A private node with the
    /// same device numbers (1, 7) stands in for it.
    @Test func refusesACharacterDeviceAndLeavesIt() throws {
        var device = "/dev/full"
        if getuid() == 0 {
            let dir = try scratchDirectory()
            device = dir + "/full"
            try #require(mknod(device, S_IFCHR | 0o666, dev_t(1 << 8 | 7) /* makedev(1, 7) */) == 0, "mknod failed: \(String(cString: strerror(errno)))")
        }
        #expect(status { try AtomicFile.write(Array("x".utf8), to: device) } == .cantCreate)
        #expect(fileType(device) == S_IFCHR)
    }

    /// The old temp name was `.<name>.tmp.<pid>`, opened with O_TRUNC and following symlinks: a
    /// symlink planted there had its target overwritten, and the rename then put the symlink in
    /// place of the output.
    @Test func aSymlinkAtTheOldPredictableTempNameIsNotFollowed() throws {
        let dir = try scratchDirectory()
        let victim = dir + "/victim"
        try Data("precious\n".utf8).write(to: URL(fileURLWithPath: victim))
        #expect(symlink(victim, dir + "/.params.json.tmp.\(getpid())") == 0)
        try AtomicFile.write(Array("{}\n".utf8), to: dir + "/params.json")
        #expect(contents(victim) == "precious\n")
        #expect(fileType(dir + "/params.json") == S_IFREG)
        #expect(contents(dir + "/params.json") == "{}\n")
    }

    /// Creation is exclusive and does not follow links: with the random part of the name forced,
    /// whatever was planted at the first names drawn (a symlink, a file, a FIFO) is skipped,
    /// untouched, and the write goes to the next free name.
    @Test func plantedTempNamesAreSkippedNotOpened() throws {
        let dir = try scratchDirectory()
        let victim = dir + "/victim"
        try Data("precious\n".utf8).write(to: URL(fileURLWithPath: victim))
        #expect(symlink(victim, dir + "/.out.json.a.tmp") == 0)
        try Data("planted\n".utf8).write(to: URL(fileURLWithPath: dir + "/.out.json.b.tmp"))
        #expect(mkfifo(dir + "/.out.json.c.tmp", 0o644) == 0)
        var names = ["a", "b", "c", "d"].makeIterator()
        try AtomicFile.write(Array("new\n".utf8), to: dir + "/out.json", durable: false, suffix: { names.next()! })
        #expect(names.next() == nil)
        #expect(contents(dir + "/out.json") == "new\n")
        #expect(contents(victim) == "precious\n")
        #expect(contents(dir + "/.out.json.b.tmp") == "planted\n")
        #expect(fileType(dir + "/.out.json.a.tmp") == S_IFLNK)
        #expect(fileType(dir + "/.out.json.c.tmp") == S_IFIFO)
        #expect(fileType(dir + "/.out.json.d.tmp") == nil)
    }

    @Test func givesUpWhenEveryNameIsTakenAndCreatesNothing() throws {
        let dir = try scratchDirectory()
        try Data("planted\n".utf8).write(to: URL(fileURLWithPath: dir + "/.out.json.x.tmp"))
        #expect(status { try AtomicFile.write(Array("new\n".utf8), to: dir + "/out.json", durable: true, suffix: { "x" }) } == .ioError)
        #expect(contents(dir + "/.out.json.x.tmp") == "planted\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == [".out.json.x.tmp"])
    }

    @Test func tempNamesAreRandomAndHidden() throws {
        let a = TempFile.randomSuffix(), b = TempFile.randomSuffix()
        #expect(a.count == 16 && b.count == 16 && a != b)
        #expect(a.allSatisfy { $0.isHexDigit })
    }

    @Test func aFailedRenameRemovesTheTempFile() throws {
        // The target's directory does not exist: the temp file cannot even be created there,
        // and nothing is left anywhere.
        let dir = try scratchDirectory()
        #expect(status { try AtomicFile.write(Array("x".utf8), to: dir + "/missing/out.json") } == .ioError)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }
}

@Suite("Bounded whole-file reads")
struct FileBytesTests {
    @Test func readsARegularFile() throws {
        let dir = try scratchDirectory()
        let text = String(repeating: "0123456789", count: 20_000)
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/f"))
        #expect(try FileBytes.read(dir + "/f") == Array(text.utf8))
        try Data().write(to: URL(fileURLWithPath: dir + "/empty"))
        #expect(try FileBytes.read(dir + "/empty") == [])
    }

    @Test func refusesAFileOverTheLimit() throws {
        let dir = try scratchDirectory()
        try Data(repeating: 0x20, count: 1001).write(to: URL(fileURLWithPath: dir + "/f"))
        #expect(try FileBytes.read(dir + "/f", limit: 1001).count == 1001)
        #expect(throws: FileBytes.ReadError.self) { try FileBytes.read(dir + "/f", limit: 1000) }
    }

    /// Opening a FIFO for reading used to wait for a writer forever; now it is refused at once.
    /// (A regression hangs here; the golden cases cover it under `timeout`.)
    @Test func refusesAFIFOWithoutWaiting() throws {
        let dir = try scratchDirectory()
        #expect(mkfifo(dir + "/fifo", 0o644) == 0)
        #expect { try FileBytes.read(dir + "/fifo") } throws: { ($0 as? FileBytes.ReadError)?.reason == "not a regular file (a FIFO)" }
    }

    @Test func refusesDevicesAndDirectories() throws {
        #expect { try FileBytes.read("/dev/zero") } throws: { ($0 as? FileBytes.ReadError)?.reason == "not a regular file (a character device)" }
        #expect { try FileBytes.read("/") } throws: { ($0 as? FileBytes.ReadError)?.reason == "not a regular file (a directory)" }
    }

    @Test func symlinksAreFollowedOnlyWhenAsked() throws {
        let dir = try scratchDirectory()
        try Data("{}".utf8).write(to: URL(fileURLWithPath: dir + "/f"))
        #expect(symlink(dir + "/f", dir + "/link") == 0)
        #expect(try FileBytes.read(dir + "/link") == Array("{}".utf8))
        #expect { try FileBytes.read(dir + "/link", followSymlinks: false) } throws: { ($0 as? FileBytes.ReadError)?.reason == "is a symbolic link" }
    }

    @Test func parameterFilesThatAreNotRegularAreConfigurationErrors() throws {
        let dir = try scratchDirectory()
        #expect(mkfifo(dir + "/p.json", 0o644) == 0)
        #expect(status { _ = try ParameterStore.load(dir + "/p.json") } == .config)
        #expect(status { _ = try ParameterStore.load("/dev/zero") } == .config)
    }

    @Test func aStateFileThatIsAFIFOIsNoStateAndIsNotReplaced() throws {
        let dir = try scratchDirectory()
        #expect(mkfifo(dir + "/breaker.json", 0o644) == 0)
        let state = StateDir(dir)
        #expect(state.read("breaker.json") == nil)
        #expect(status { try state.update("breaker.json") { $0["x"] = .int(1) } } == .cantCreate)
        #expect(fileType(dir + "/breaker.json") == S_IFIFO)
    }

    /// A cache entry replaced by a FIFO is a miss (no hang), and storing over it fails (the
    /// runtime logs that and goes on) without replacing it.
    @Test func aCacheEntryThatIsAFIFOIsAMiss() throws {
        let dir = try scratchDirectory()
        let cache = ResponseCache(stateDir: dir, ttlSeconds: 60)
        let line = #"{"market_id":"m","as_of_ts":"2026-11-20T12:00:00Z","freq":"5m","horizon_steps":2,"quantiles":[0.1,0.5,0.9],"y":[0.4,0.5,0.6]}"#
        let call = ModelCall(request: try ForecastRequest(record: try Record(line)), requestId: "r", modelName: "mock")
        let key = try #require(cache.key(for: call))
        try FileManager.default.createDirectory(atPath: dir + "/cache", withIntermediateDirectories: true)
        #expect(mkfifo(dir + "/cache/\(key).json", 0o644) == 0)
        #expect(cache.lookup(call, key: key, nowMs: 1_000) == nil)
        let band = QuantileBand(levels: [0.1, 0.5, 0.9], values: [[0.1, 0.2], [0.3, 0.4], [0.7, 0.9]])
        let answer = ModelForecast(band: band, modelName: "mock", modelVersion: nil, latencyMs: 1, warnings: [])
        #expect(status { try cache.store(answer, key: key, nowMs: 1_000) } == .cantCreate)
        #expect(fileType(dir + "/cache/\(key).json") == S_IFIFO)
    }

    /// The state dir's lock file is never opened through a symlink planted at its name, nor
    /// used when it is a FIFO: the update fails (74) and the planted target is untouched.
    @Test func theLockFileIsTheStateDirsOwn() throws {
        let dir = try scratchDirectory()
        let victim = dir + "/victim"
        try Data("keep".utf8).write(to: URL(fileURLWithPath: victim))
        #expect(symlink(victim, dir + "/state.lock") == 0)
        let state = StateDir(dir)
        #expect(status { try state.update("breaker.json") { $0["x"] = .int(1) } } == .ioError)
        #expect(contents(victim) == "keep")
        #expect(fileType(dir + "/breaker.json") == nil)
        unlink(dir + "/state.lock")
        #expect(mkfifo(dir + "/state.lock", 0o644) == 0)
        #expect(status { try state.update("breaker.json") { $0["x"] = .int(1) } } == .ioError)
        unlink(dir + "/state.lock")
        #expect(status { try state.update("breaker.json") { $0["x"] = .int(1) } } == nil)
        #expect(fileType(dir + "/state.lock") == S_IFREG)
    }
}
