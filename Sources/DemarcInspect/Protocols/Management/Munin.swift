import DemarcBase
import DemarcDecode
/// Munin's node protocol (munin-node's documentation, "Protocol"): a line-based text
/// protocol on TCP 4949 whose server greets with "# munin node at HOSTNAME", answered by
/// commands such as "cap", "list", "fetch" and "config".
public enum MuninInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "# munin node at ") else { return .no }
        c.identify(.munin)
        return .yes
    }
}
