import DemarcBase
import DemarcDecode
/// Monero's peer protocol, levin (Monero's epee library; Cuprate's protocol book,
/// "Levin Protocol"): each bucket is a 33-byte little-endian header, then its body. The
/// header holds the signature 0x0101010101012101, the body's size, whether an answer
/// is expected, the command (1001 on for the peer-to-peer commands, 2001 on for the
/// block and transaction ones), a return code, the bucket's flags (request 1, response
/// 2, fragment start 4 and end 8) and the protocol version 1. The bodies are epee's
/// portable storage, in clear: the signature and version are enough to name it.
public enum MoneroInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u64(0) == 0x0121_0101_0101_0101, p.u32le(29) == 1,
              let flags = p.u32le(25), flags != 0, flags <= 0x0f,
              let have = p.u8(16), have <= 1 else { return .no }
        c.identify(.monero)
        return .yes
    }
}
