import DemarcBase
import DemarcDecode
/// rsync's daemon protocol: both sides open with "@RSYNCD: " and a version.
public enum RsyncInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "@RSYNCD: "), let d = p.u8(9), (0x30...0x39).contains(d) else { return .no }
        c.identify(.rsync)
        return .yes
    }
}
