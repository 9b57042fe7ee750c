#if canImport(Glibc)
import Glibc
#endif

/// The frame around every tool's work: ignores SIGPIPE so writes report EPIPE, flushes output,
/// turns errors into a one-line message and the right exit status, and ends a closed pipe
/// quietly with status 0.
public enum ToolMain {
    public static func run(tool: String, output: OutputSink, _ body: () throws -> ExitStatus) -> Never {
        signal(SIGPIPE, SIG_IGN)
        var status: ExitStatus
        do {
            status = try body()
            try output.flush()
        } catch is BrokenPipe {
            exit(0)
        } catch let error as ToolError {
            try? output.flush()
            Logger.writeStderr(error.status == .dataError ? "\(error.message)\n" : "\(tool): \(error.message)\n")
            status = error.status
        } catch let error as NonFiniteNumber {
            try? output.flush()
            Logger.writeStderr("\(tool): internal error: \(error)\n")
            status = .software
        } catch {
            try? output.flush()
            Logger.writeStderr("\(tool): internal error: \(error)\n")
            status = .software
        }
        exit(status.rawValue)
    }
}
