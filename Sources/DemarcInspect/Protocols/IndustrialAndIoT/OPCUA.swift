import DemarcBase
import DemarcDecode
/// OPC UA's binary transport (OPC 10000-6, sections 7.1.2 and 6.7): chunks of a 3-byte
/// message type (HEL, ACK, ERR, RHE, OPN, MSG, CLO), a chunk type (F, C, A) and a
/// little-endian size that is the chunk's, laid end to end. The OpenSecureChannel
/// request names its security policy in clear: policy None leaves every message
/// readable; under any other the channel signs, or signs and encrypts, its messages,
/// and the first MSG chunk's body tells which (random bytes by the heuristic's measure
/// are ciphertext).
public enum OPCUAInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    enum Phase: UInt8, ProtocolPhase { case start, secured }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let framed = Framing.fills(p, limit: 16) { at in
            guard isMessageType(p, at), let chunk = p.u8(at + 3), chunk == 0x46 || chunk == 0x43 || chunk == 0x41,
                  let size = p.u32le(at + 4), size >= 8, size <= 1 << 24 else { return nil }
            return Int(size)
        }
        guard framed else { return .no }
        c.identify(.opcua, .cleartext, keepInspecting: true)
        follow(&c, p)
        return .yes
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if p.starts(with: "OPN") {
            // SecureChannelId, then SecurityPolicyUri as a length-prefixed string.
            guard let len = p.u32le(12), len <= 256, p.has(16, Int(len)) else { return }
            if len >= 5 && p.starts(with: "#None", at: 16 + Int(len) - 5) {
                c.state.active = false
            } else {
                c.enter(Phase.secured)
            }
        } else if p.starts(with: "MSG"), c.phase(Phase.self) == .secured, p.count >= 24 + 32 {
            // Secure channel id, token id, then sequence header (8): the body after them.
            if Heuristic.classifyBody(p.slice(24, -1)) == .random { c.state.state = .encrypted }
            c.state.active = false
        }
    }

    static func isMessageType(_ p: Bytes, _ at: Int) -> Bool {
        p.starts(with: "HEL", at: at) || p.starts(with: "ACK", at: at) || p.starts(with: "OPN", at: at)
            || p.starts(with: "MSG", at: at) || p.starts(with: "CLO", at: at) || p.starts(with: "ERR", at: at)
            || p.starts(with: "RHE", at: at)
    }
}
