import DemarcBase
import DemarcDecode
/// Diameter (RFC 6733 section 3): messages of version 1, a 24-bit length that is the whole
/// message's and a multiple of 4, command flags whose four reserved bits are clear, a
/// command code, an application id and two identifiers; messages laid end to end fill the
/// segment.
public enum DiameterInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let framed = Framing.fills(p, limit: 16) { at in
            guard let head = p.u32(at), head >> 24 == 1, let flags = p.u8(at + 4), flags & 0x0f == 0,
                  let code = p.u32(at + 4), code & 0x00ff_ffff != 0 else { return nil }
            let len = Int(head & 0x00ff_ffff)
            return len >= 20 && len % 4 == 0 ? len : nil
        }
        guard framed else { return .no }
        c.identify(.diameter)
        return .yes
    }
}
