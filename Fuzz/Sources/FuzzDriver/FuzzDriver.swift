#if canImport(Glibc)
import Glibc
#endif

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<Int32>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Int32

nonisolated(unsafe) private var target: (UnsafeRawBufferPointer) -> Void = { _ in }

/// Runs libFuzzer's driver from the program's own entry point, handing each input to
/// `body` (one of DemarcCore's FuzzHarness entries). Crashes, traps and memory errors
/// are what it looks for.
public func fuzz(_ body: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
    target = body
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(runFuzzerDriver(&argc, &argv, { data, size in
        target(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }))
}
