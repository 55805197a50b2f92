import DemarcBase
import DemarcDecode
/// Avast's NOSA protocol (its antivirus clients' service connections, often on TCP 80):
/// each message opens with "NOSA" and its own length. The message's body, after a header
/// of ids, is ciphertext: the flow is encrypted once a body long enough to judge looks
/// random, and stays unknown while none does.
public enum AvastNOSAInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    /// Header bytes before the ciphertext.
    static let header = 24

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "NOSA"), let len = p.u16(4), len >= 16,
              Int(len) == p.count || (Int(len) > p.count && p.count >= 1200) else { return .no }
        c.identify(.avast, .unknown, keepInspecting: true)
        follow(&c, p)
        return .yes
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        guard p.starts(with: "NOSA"), p.count >= header + 32 else { return }
        if Heuristic.classifyBody(p.slice(header, -1)) == .random {
            c.state.state = .encrypted
            c.state.active = false
        }
    }
}
