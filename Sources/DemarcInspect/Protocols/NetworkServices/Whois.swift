import DemarcBase
import DemarcDecode
/// WHOIS (TCP 43): one query line from the client.
public enum WhoisInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, c.serverPort == 43, p.count >= 3, p.count <= 512, p.u8(p.count - 1) == 0x0a,
              p.isPrintableASCII(0, p.count - 2) else { return .no }
        c.identify(.whois)
        return .yes
    }
}
