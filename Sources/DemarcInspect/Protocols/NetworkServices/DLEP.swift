import DemarcBase
import DemarcDecode
/// The Dynamic Link Exchange Protocol (RFC 8175 sections 11 and 12) on its port 854.
/// Discovery on UDP: a signal opens with "DLEP", then a signal type (Peer Discovery 1,
/// Peer Offer 2) and a length that the data items after it fill. Sessions on TCP:
/// messages of a type (1 to 19) and a length, each holding data items (a 16-bit type
/// and length each), laid end to end.
public enum DLEPInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(854) else { return .no }
        let ok: Bool
        if c.isUDP {
            ok = p.starts(with: "DLEP") && p.u16(4).map { $0 == 1 || $0 == 2 } == true
                && p.u16(6).map { Int($0) + 8 == p.count } == true
                && (p.count == 8 || Framing.tlvFills(p, from: 8, typeBytes: 2, lengthBytes: 2, lengthIncludesHeader: false))
        } else {
            ok = Framing.fills(p, limit: 16) { at in
                guard let type = p.u16(at), (1...19).contains(type), let len = p.u16(at + 2) else { return nil }
                return 4 + Int(len)
            }
        }
        guard ok else { return .no }
        c.identify(.dlep)
        return .yes
    }
}
