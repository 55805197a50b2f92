import DemarcBase
import DemarcDecode
/// WhatsApp's chat transport: a Noise Pipes handshake opened by a 4-byte preamble ("WA"
/// and a version, or "ED" and a version), then length-prefixed Noise frames.
public enum WhatsAppInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, c.index == 0, p.count >= 4, p.starts(with: "WA") || p.starts(with: "ED"),
              let major = p.u8(2), major <= 10 else { return .no }
        // The preamble may travel alone or with the first Noise frame (3-byte length).
        if p.count > 4 {
            guard let hi = p.u8(4), let lo = p.u16(5), (Int(hi) << 16 | Int(lo)) + 7 <= p.count + 65536 else { return .no }
        }
        c.identify(.whatsapp, .encrypted)
        return .yes
    }
}
