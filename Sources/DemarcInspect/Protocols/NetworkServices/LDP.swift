import DemarcBase
import DemarcDecode
/// MPLS Label Distribution Protocol (RFC 5036 section 3.1): PDUs of version 1, a length
/// that counts what follows it, a 6-byte LDP identifier, then messages whose type (the
/// low 15 bits) is one of the RFC's: notification, hello, initialization, keepalive,
/// address, label messages. PDUs laid end to end fill the payload (hellos on UDP, the
/// session on TCP).
public enum LDPInspector: ProtocolInspector {
    public static let transports: Transports = .both

    static let messageTypes: Set<UInt16> = [0x0001, 0x0100, 0x0200, 0x0201, 0x0300, 0x0301,
                                            0x0400, 0x0401, 0x0402, 0x0403, 0x0404]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let framed = Framing.fills(p, limit: 16) { at in
            guard p.u16(at) == 1, let len = p.u16(at + 2), len >= 14, let type = p.u16(at + 10),
                  messageTypes.contains(type & 0x7fff), let msgLen = p.u16(at + 12),
                  Int(msgLen) + 4 <= Int(len) - 6 else { return nil }
            return 4 + Int(len)
        }
        guard framed else { return .no }
        c.identify(.ldp)
        return .yes
    }
}
