/// The captures of `replay` and `diff`, taken out of the command line before
/// ArgumentParser reads it. ArgumentParser's time grows with the square of the values of
/// one repeated argument (each value merges the positions of all earlier ones: 10k
/// captures took 1.8 s of CPU, 20k 7 s); taken out, the captures are a plain list, and
/// ArgumentParser sees only the first (so its checks and messages stay as they are).
public enum CaptureList {
    /// Options of replay and diff that take no value; every other `-x`/`--x` written
    /// without `=` takes the next argument as its value (an unknown one too, which
    /// ArgumentParser then refuses).
    static let flags: Set<String> = ["--all-flows", "--progress", "--no-progress", "--help", "-h", "--version"]

    /// `arguments` (the command line without the program's name) with every capture after
    /// the first removed, and those captures in order. Other commands' are unchanged.
    public static func split(_ arguments: [String]) -> (arguments: [String], more: [String]) {
        guard let command = arguments.first, command == "replay" || command == "diff" else { return (arguments, []) }
        var kept = [command], more: [String] = []
        var positionals = 0, i = 1, terminated = false
        kept.reserveCapacity(arguments.count)
        while i < arguments.count {
            let a = arguments[i]
            if terminated || a == "-" || !a.hasPrefix("-") {
                if positionals == 0 { kept.append(a) } else { more.append(a) }
                positionals += 1
            } else if a == "--" {
                // Everything after is a capture: the first stays with ArgumentParser,
                // after the terminator as it was written.
                terminated = true
                kept.append(a)
            } else {
                kept.append(a)
                if !a.contains("="), !flags.contains(a), i + 1 < arguments.count {
                    i += 1
                    kept.append(arguments[i])
                }
            }
            i += 1
        }
        return (kept, more)
    }
}
