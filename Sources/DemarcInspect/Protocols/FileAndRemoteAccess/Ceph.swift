import DemarcBase
import DemarcDecode
/// Ceph's messenger (Ceph's documentation, "Messenger v2 protocol" and the v1 "banner"):
/// each end of a connection opens with a banner, "ceph v027" for messenger v1 and
/// "ceph v2\n" followed by the two feature masks' length for v2.
public enum CephInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "ceph v027") || p.starts(with: "ceph v2\n") else { return .no }
        c.identify(.ceph)
        return .yes
    }
}
