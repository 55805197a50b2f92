import DemarcBase
import DemarcDecode
/// SSH: the identification banner (`SSH-2.0-…`) opens both directions.
public enum SSHInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "SSH-") else { return c.index == 0 && p.count < 4 && p.starts(with: "S") ? .notYet : .no }
        let line = p.firstLine(limit: 255)
        let v1 = line.hasPrefix("SSH-1.") && !line.hasPrefix("SSH-1.99")
        c.identify(.ssh, .encrypted)
        c.state.versionKind = .ssh
        c.state.version = v1 ? 1 : 2
        if v1 {
            c.state.weak = true
            c.details().note = "SSH protocol 1"
        }
        c.details().banner = line
        return .yes
    }
}
