import DemarcBase
import DemarcDecode
/// Checkmk's agent output (Checkmk's documentation, "The Checkmk agent"): the agent on
/// TCP 6556 writes its report as sections, each opening with a header line
/// "<<<name>>>", the first being "<<<check_mk>>>" with the agent's version.
public enum CheckMKInspector: OpeningLineInspector {
    public static let opening: StaticString = "<<<check_mk>>>"
    public static let app = AppProtocol.checkmk
}
