import DemarcBase
import DemarcDecode
/// BGP: the 16-byte all-ones marker and a message type.
public enum BGPInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u64(0) == UInt64.max, p.u64(8) == UInt64.max, let t = p.u8(18), (1...5).contains(t) else { return .no }
        c.identify(.bgp)
        return .yes
    }
}
