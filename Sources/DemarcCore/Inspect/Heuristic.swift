#if canImport(Glibc)
import Glibc
#endif

/// Judging payload no inspector recognised, by its bytes. Encrypted data is
/// indistinguishable from random: a packet with nearly as many distinct byte values as
/// random bytes of its length, few zeros and no text looks encrypted; a packet of text,
/// or binary with few distinct values and runs of zeros, cannot be ciphertext. A verdict
/// needs agreement over several packets; otherwise the state stays unknown.
public enum Heuristic {
    /// Bytes of a packet looked at.
    static let window = 128
    /// Packets shorter than this tell too little.
    static let minimumLength = 16

    /// Expected number of distinct byte values among n uniformly random bytes.
    static let expectedDistinct: [Double] = (0...window).map { n in 256 * (1 - pow(255.0 / 256.0, Double(n))) }

    public enum Kind: Equatable { case text, structured, random, tooShort }

    /// Leading bytes set aside when the packet is long enough: encrypted protocols often
    /// frame their ciphertext with a short cleartext header (a length, a type), whose
    /// zeros say nothing about the bytes that follow.
    static let framing = 8

    public static func classify(_ p: Bytes) -> Kind {
        guard p.count >= minimumLength else { return .tooShort }
        let skip = p.count >= minimumLength + framing + 16 ? framing : 0
        let body = p.slice(skip, -1)
        return classifyBody(body)
    }

    static func classifyBody(_ p: Bytes) -> Kind {
        let n = min(p.count, window)
        guard n >= minimumLength else { return .tooShort }
        var printable = 0, zeros = 0
        var seen: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &seen) { raw in
            let words = raw.baseAddress!.assumingMemoryBound(to: UInt64.self)
            let base = p.base
            for i in 0..<n {
                let b = base[i]
                // Printable ASCII, tab, LF, CR: branch-free.
                printable &+= (b &- 0x20 < 0x5f || b == 0x09 || b == 0x0a || b == 0x0d) ? 1 : 0
                zeros &+= b == 0 ? 1 : 0
                words[Int(b >> 6)] |= 1 << UInt64(b & 63)
            }
        }
        let distinct = seen.0.nonzeroBitCount + seen.1.nonzeroBitCount + seen.2.nonzeroBitCount + seen.3.nonzeroBitCount
        let pr = Double(printable) / Double(n)
        if pr >= 0.85 { return .text }
        let expected = expectedDistinct[n]
        let need = n < 48 ? 0.88 : 0.8
        if Double(distinct) >= need * expected && Double(zeros) / Double(n) < 0.06 && pr < 0.65 { return .random }
        return .structured
    }

    public static func tally(_ t: inout HeuristicTally, _ p: Bytes, fromClient: Bool) {
        guard t.packets < 16 else { return }
        let kind = classify(p)
        guard kind != .tooShort else { return }
        t.packets += 1
        switch kind {
        case .text: t.textPackets += 1
        case .structured: t.structuredPackets += 1
        case .random:
            t.randomPackets += 1
            if fromClient { t.randomToServer += 1 } else { t.randomToClient += 1 }
        case .tooShort: break
        }
    }

    /// Sets a heuristic verdict where the tally supports one.
    public static func decide(_ s: inout InspectState) {
        let t = s.heuristic
        let plain = Int(t.textPackets) + Int(t.structuredPackets)
        let random = Int(t.randomPackets)
        guard plain + random > 0 else { return }
        if random == 0 || plain >= 3 * random {
            s.state = .cleartext
        } else if plain == 0 || random >= 3 * plain {
            // Random-looking both ways: ciphertext. One way only could as well be a
            // compressed or media download, so it proves nothing.
            guard random >= 2, t.randomToServer > 0 && t.randomToClient > 0 else { return }
            s.state = .encrypted
        } else {
            return
        }
        s.basis = .heuristic
    }
}
