import DemarcBase
import DemarcDecode
/// The connectionless packets of Quake-derived game engines (Quake 3, and Valve's Source
/// and GoldSrc, whose server queries are documented as the A2S protocol): four 0xff
/// bytes, then either a text command ("getstatus", "getinfo", "infoResponse",
/// "getchallenge", "connect"…) or an A2S request or reply byte ('T' with "Source Engine
/// Query", 'U' player, 'V' rules, 'W' and 'A' challenge, 'I' info, 'D' players, 'E' rules).
public enum QuakeEngineInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
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

    static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a }
}
