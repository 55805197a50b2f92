import DemarcBase
import DemarcDecode
/// Service Location Protocol (v1 and v2): version, function, and a length that is the
/// message's.
public enum SLPInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(427), let v = p.u8(0), let f = p.u8(1) else { return .no }
        if v == 2, (1...11).contains(f), let hi = p.u8(2), let lo = p.u16(3) {
            let len = Int(hi) << 16 | Int(lo)
            guard len == p.count || (c.isTCP && len > p.count) else { return .no }
        } else if v == 1, (1...10).contains(f), let len = p.u16(2) {
            guard Int(len) == p.count || (c.isTCP && Int(len) > p.count) else { return .no }
        } else {
            return .no
        }
        c.identify(.slp)
        return .yes
    }
}
