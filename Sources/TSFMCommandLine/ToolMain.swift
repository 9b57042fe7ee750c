#if canImport(Glibc)
import Glibc
#endif
import TSFMCore

/// The frame around every tool's work: ignores SIGPIPE so writes report EPIPE, flushes output,
/// turns errors into a one-line message and the right exit status, and ends a closed pipe
/// quietly with status 0.
public enum ToolMain {
    /// Makes a failed write of what ArgumentParser prints (`--help`, `--version`, usage) end
    /// with status 74 instead of 0: at exit, standard output's buffer is flushed and checked.
    /// A closed pipe (`--help | head`) is not a failure. Call first in each tool's `main()`.
    public static func checkStandardOutputAtExit() {
        atexit {
            if fflush(stdout) != 0 || ferror(stdout) != 0 {
                if errno == EPIPE { return }
                let message = "standard output: write failed: \(System.lastErrorText)\n"
                Logger.writeStderr(message)
                _exit(ExitStatus.ioError.rawValue)
            }
        }
    }

    /// Writes a tool error's line to stderr: `FILE:LINE: reason` or `TOOL: reason`. The message
    /// may quote input (a field value, a file name), so control characters are escaped.
    public static func report(_ error: ToolError, tool: String) {
        Logger.writeStderr(TerminalText.escaped(error.line(tool: tool)) + "\n")
    }

    /// `metrics` (the run's `--metrics-file`) is written at the end, whatever the status.
    public static func run(tool: String, output: OutputSink, metrics: MetricsRun? = nil, _ body: () throws -> ExitStatus) -> Never {
        System.ignoreBrokenPipe()
        var status: ExitStatus
        do {
            status = try body()
            try output.flush()
        } catch is BrokenPipe {
            metrics?.finish(status: .success)
            exit(0)
        } catch let error as ToolError {
            try? output.flush()
            report(error, tool: tool)
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
        metrics?.finish(status: status)
        exit(status.rawValue)
    }
}
