import DemarcBase
import DemarcDecode
/// The connectionless packets of Quake-derived game engines (Quake 3, and Valve's Source
/// and GoldSrc, whose server queries are documented as the A2S protocol): four 0xff
/// bytes, then either a text command ("getstatus", "getinfo", "infoResponse",
/// "getchallenge", "connect"…) or an A2S request or reply byte ('T' with "Source Engine
/// Query", 'U' player, 'V' rules, 'W' and 'A' challenge, 'I' info, 'D' players, 'E' rules).
/// A reply too long for one datagram is split (`isSplitReply`): -2 instead of -1, then the
/// split's own header, and the single-packet reply cut into the packets' payloads.
public enum QuakeEngineInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        if isSplitReply(p) {
            c.identify(.sourceengine)
            return .yes
        }
        guard p.u32(0) == 0xffff_ffff, let kind = p.u8(4) else { return .no }
        let app: AppProtocol
        if p.starts(with: "TSource Engine Query", at: 4) {
            app = .sourceengine
        } else if p.isPrintableASCII(4, min(p.count - 4, 8)) && p.count >= 4 + 7 && isLetter(kind) {
            // A command word: printable, starting with a letter, long enough to be a word.
            app = .quake
        } else {
            switch kind {
            case 0x55, 0x56, 0x57: guard p.count == 9 || p.count == 5 else { return .no }   // U, V, W + challenge
            case 0x41: guard p.count == 9 else { return .no }                              // A: a challenge
            case 0x49: guard p.count >= 8, p.find(0, from: 6) != nil else { return .no }   // I: protocol, names
            case 0x44, 0x45: guard p.count >= 7 else { return .no }                        // D, E: counts and items
            default: return .no
            }
            app = .sourceengine
        }
        c.identify(app)
        return .yes
    }

    /// One packet of a split reply (Valve's "Server queries", multi-packet response format):
    /// the long -2 (little-endian, fe ff ff ff) and the answer's id, then for Source the
    /// total number of packets, this packet's number (from 0) and the largest packet size
    /// (a little-endian short; some older games leave it out), for GoldSrc one byte holding
    /// the number (high nibble) and the total (low nibble). The first packet's payload starts
    /// with the single-packet header (-1) or, when the id's top bit marks bzip2 compression,
    /// with the uncompressed size and CRC32 before bzip2's "BZh".
    static func isSplitReply(_ p: Bytes) -> Bool {
        guard p.u32(0) == 0xfeff_ffff, let idTop = p.u8(7), let total = p.u8(8), let number = p.u8(9) else {
            return false
        }
        // Source: a total of at least two packets, this one among them, its payload within
        // the size it gives.
        if total >= 2, number < total {
            if number > 0 {
                guard let lo = p.u8(10), let hi = p.u8(11) else { return false }
                return p.count - 12 <= Int(hi) << 8 | Int(lo)
            }
            if p.u32(12) == 0xffff_ffff || p.u32(10) == 0xffff_ffff { return true }
            if idTop & 0x80 != 0 && p.starts(with: "BZh", at: 20) { return true }
        }
        // GoldSrc: number and total in one byte, the payload right after it.
        let goldNumber = total >> 4, goldTotal = total & 0x0f
        guard goldTotal >= 2, goldNumber < goldTotal else { return false }
        return goldNumber > 0 || p.u32(9) == 0xffff_ffff
    }

    static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a }
}
