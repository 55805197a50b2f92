import DemarcBase
import DemarcDecode
/// FastCGI (the FastCGI specification, section 3.3): records of an 8-byte header —
/// version 1, a type (1 begin request to 11 unknown type), a request id, a content
/// length, a padding length and a reserved zero — then content and padding, laid end to
/// end. A web server's first record is a begin request (8 bytes of content) or a query
/// of the application's values.
public enum FastCGIInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, p.u8(0) == 1, let first = p.u8(1), (first == 1 && p.u16(4) == 8) || first == 9
        else { return .no }
        let framed = Framing.fills(p, limit: 32) { at in
            guard p.u8(at) == 1, let type = p.u8(at + 1), (1...11).contains(type), let len = p.u16(at + 4),
                  let pad = p.u8(at + 6), p.u8(at + 7) == 0 else { return nil }
            return 8 + Int(len) + Int(pad)
        }
        guard framed else { return .no }
        c.identify(.fastcgi)
        return .yes
    }
}
