import DemarcBase
import DemarcDecode
/// CoAP (UDP 5683): version 1, a token of at most 8 bytes, and a request, response or
/// empty code.
public enum CoAPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(5683), let b0 = p.u8(0), b0 >> 6 == 1, let code = p.u8(1), p.count >= 4 + Int(b0 & 0x0f),
              b0 & 0x0f <= 8, [0, 2, 4, 5].contains(code >> 5) else { return .no }
        // Class 0 is a request (1-7) or the empty message (0.00).
        guard code >> 5 != 0 || code & 0x1f <= 7 else { return .no }
        c.identify(.coap)
        return .yes
    }
}
