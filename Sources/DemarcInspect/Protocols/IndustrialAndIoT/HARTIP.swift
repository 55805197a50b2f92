import DemarcBase
import DemarcDecode
/// HART-IP (FieldComm Group HCF_SPEC-085, section 10.2): an 8-byte header, version 1 or
/// 2, a message type (request, response, publish, error, NAK), a message id (session
/// initiate, close, keep alive, token-passing PDU, and the directory and audit ids), a
/// status, a sequence number and a byte count that is the whole message's; messages laid
/// end to end fill the payload.
public enum HARTIPInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let framed = Framing.fills(p, limit: 8) { at in
            guard let v = p.u8(at), v == 1 || v == 2, let type = p.u8(at + 1), type <= 4,
                  let id = p.u8(at + 2), id <= 4 || (id >= 128 && id <= 131), let count = p.u16(at + 6),
                  count >= 8 else { return nil }
            return Int(count)
        }
        guard framed else { return .no }
        c.identify(.hartip)
        return .yes
    }
}
