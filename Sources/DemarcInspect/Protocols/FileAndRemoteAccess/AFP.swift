import DemarcBase
import DemarcDecode
/// AFP over TCP: the Data Stream Interface (Apple's "AFP over TCP" documentation,
/// chapter on DSI): a 16-byte header, flags (0 request, 1 reply), a command (1
/// CloseSession to 8 Attention), a request id, an error code or data offset, the total
/// length of the data after the header and a reserved zero; packets laid end to end
/// fill the segment. AFP's own authentication may exchange passwords in clear; the
/// session is not encrypted.
public enum AFPInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let framed = Framing.fills(p, limit: 16) { at in
            guard let flags = p.u8(at), flags <= 1, let command = p.u8(at + 1), (1...8).contains(command),
                  let len = p.u32(at + 8), len <= 1 << 20, p.u32(at + 12) == 0 else { return nil }
            return 16 + Int(len)
        }
        guard framed else { return .no }
        c.identify(.afp)
        return .yes
    }
}
