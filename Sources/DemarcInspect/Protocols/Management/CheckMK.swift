import DemarcBase
import DemarcDecode
/// Checkmk's agent output (Checkmk's documentation, "The Checkmk agent"): the agent on
/// TCP 6556 writes its report as sections, each opening with a header line
/// "<<<name>>>", the first being "<<<check_mk>>>" with the agent's version.
public enum CheckMKInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "<<<check_mk>>>") else { return .no }
        c.identify(.checkmk)
        return .yes
    }
}
