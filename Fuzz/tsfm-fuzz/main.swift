#if canImport(Glibc)
import Glibc
#endif

// SwiftPM gives every executable a `main` of its own, which would shadow libFuzzer's, so this
// one hands the command line to libFuzzer's driver (in the runtime that -sanitize=fuzzer links).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runFuzzerDriver(&argc, &argv, { data, size in fuzzOne(data, size) }))
