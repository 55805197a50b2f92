/// The bounds on what a user hands demarc, checked before any work: a value outside
/// them is a usage error (exit 2) that names the allowed range, never a crash or a
/// run that does not end. The README's exit-status section lists them.
public enum Limits {
    /// `--idle-timeout`: a millisecond to a year.
    public static let idleTimeout: ClosedRange<Double> = 0.001...31_536_000
    /// `--max-flows`: one flow to a billion (a slot is a 32-bit index).
    public static let maxFlows = 1_000_000_000
    /// `--duration`: a millisecond to ten years.
    public static let duration: ClosedRange<Double> = 0.001...315_360_000
    /// `--snaplen`, in bytes (libpcap would quietly replace a value outside it).
    public static let snaplen: ClosedRange<Int> = 1...262_144
    /// `--buffer-size`, in MiB.
    public static let bufferSize: ClosedRange<Int> = 1...4096
    /// `--filter`: characters, and primitives joined by and/or. libpcap's optimiser
    /// grows with about the cube of the terms (measured here: 100 `port` terms 0.3 s,
    /// 300 7 s, 5000 `host` terms minutes in gigabytes); a person's filter stays far
    /// below either bound.
    public static let maxFilterBytes = 16_384
    public static let maxFilterTerms = 200

    /// A number of seconds for `option`, within `range`.
    public static func seconds(_ text: String, option: String, range: ClosedRange<Double>) throws -> Double {
        let allowed = "between \(plain(range.lowerBound)) and \(plain(range.upperBound)) seconds"
        guard let v = Double(text), v.isFinite else {
            throw DemarcError.badInput("\(option) takes a number of seconds, \(allowed), not '\(text)'")
        }
        guard range.contains(v) else { throw DemarcError.badInput("\(option) must be \(allowed), not \(text)") }
        return v
    }

    /// A whole number for `option`, within `range`.
    public static func integer(_ text: String, option: String, unit: String, range: ClosedRange<Int>) throws -> Int {
        let allowed = "between \(range.lowerBound) and \(range.upperBound) \(unit)"
        guard let v = Int(text) else {
            throw DemarcError.badInput("\(option) takes a whole number, \(allowed), not '\(text)'")
        }
        guard range.contains(v) else { throw DemarcError.badInput("\(option) must be \(allowed), not \(text)") }
        return v
    }

    /// Refuses a BPF expression longer, or with more terms, than libpcap compiles in
    /// reasonable time and memory.
    public static func checkFilter(_ expression: String) throws {
        let bytes = expression.utf8.count
        guard bytes <= maxFilterBytes else {
            throw DemarcError.badInput("--filter is \(bytes) characters long; at most \(maxFilterBytes) are accepted (libpcap's compiler would take minutes)")
        }
        let terms = filterTerms(expression)
        guard terms <= maxFilterTerms else {
            throw DemarcError.badInput("--filter joins \(terms) terms with and/or; at most \(maxFilterTerms) are accepted (libpcap's compiler would take minutes); a scenario's rules or a shorter net/portrange filter can say the same")
        }
    }

    /// Primitives in a BPF expression: one more than its `and`/`or`/`&&`/`||` joins.
    static func filterTerms(_ expression: String) -> Int {
        // The current word's length and its first bytes, lower-cased, packed in a word:
        // enough to know whether it is `and` or `or`, with nothing allocated.
        var joins = 0, length = 0, packed: UInt32 = 0
        var previous: UInt8 = 0
        let and = UInt32(0x61) << 16 | UInt32(0x6e) << 8 | 0x64, or = UInt32(0x6f) << 8 | 0x72
        func endWord() {
            if (length == 3 && packed == and) || (length == 2 && packed == or) { joins += 1 }
            length = 0; packed = 0
        }
        for c in expression.utf8 {
            if (c == UInt8(ascii: "&") || c == UInt8(ascii: "|")) && previous == c {
                joins += 1
                previous = 0
                endWord()
                continue
            }
            previous = c
            let isLetter = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)
            if isLetter || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: ".") || c == UInt8(ascii: ":") {
                if length < 4 { packed = packed << 8 | UInt32(c | (isLetter ? 0x20 : 0)) }
                length += 1
            } else {
                endWord()
            }
        }
        endWord()
        return joins + 1
    }

    /// 31536000, 0.001: no exponent, no trailing ".0".
    static func plain(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }
}
