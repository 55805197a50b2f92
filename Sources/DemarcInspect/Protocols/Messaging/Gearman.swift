import DemarcBase
import DemarcDecode
/// Gearman's binary protocol: "\0REQ" or "\0RES", a packet type and the data's length.
public enum GearmanInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "\0REQ") || p.starts(with: "\0RES"), let type = p.u32(4), (1...43).contains(type),
              let len = p.u32(8), Int(len) + 12 <= p.count || p.count >= 1024 else { return .no }
        c.identify(.gearman)
        return .yes
    }
}
