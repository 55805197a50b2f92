#if canImport(Glibc)
import Glibc
#endif

/// A crash ends the process at once with exit status 3 (REPORT.md's internal error) and
/// one line on stderr. On these signals the Swift runtime otherwise starts its backtracer,
/// which can keep the caller's stdout and stderr open for minutes: a pipeline reading
/// demarc's output hangs. The runtime's handler stays where SWIFT_BACKTRACE is set (the
/// runtime's own switch), for a backtrace.
public enum CrashExit {
    static let signals: [(Int32, String)] = [(SIGILL, "SIGILL"), (SIGTRAP, "SIGTRAP"), (SIGABRT, "SIGABRT"),
                                             (SIGFPE, "SIGFPE"), (SIGBUS, "SIGBUS"), (SIGSEGV, "SIGSEGV")]

    /// Installs the handlers unless SWIFT_BACKTRACE is set. Call first thing in main.
    public static func install() {
        guard getenv("SWIFT_BACKTRACE") == nil else { return }
        for (signal, name) in signals {
            // Written by the handler as it stands: nothing is allocated on a crash.
            messages[Int(signal)] = strdup("demarc: internal error: stopped by \(name), a bug (SWIFT_BACKTRACE=enable=yes shows where)\n")
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                if signal >= 0 && signal < 32, let text = messages[Int(signal)] {
                    _ = write(2, text, strlen(text))
                }
                _exit(3)
            }
            // On the runtime's alternate stack, so a stack overflow is caught too.
            action.sa_flags = SA_ONSTACK
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
    }
}

/// The handler's lines, by signal number.
nonisolated(unsafe) private var messages = [UnsafeMutablePointer<CChar>?](repeating: nil, count: 32)
