import Shared
#if canImport(Glibc)
import Glibc
#endif

// Placeholder until its issue lands: says so and exits 70 (internal: not implemented).
if CommandLine.arguments.contains("--version") {
    print(TSFM.version)
    exit(0)
}
Logger.writeStderr("tsfm-eval: not implemented yet\n")
exit(ExitStatus.software.rawValue)
