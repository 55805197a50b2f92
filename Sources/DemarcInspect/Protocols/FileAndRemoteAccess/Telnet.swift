import DemarcBase
import DemarcDecode
/// Telnet: option negotiation (IAC WILL/WONT/DO/DONT) on the first packet, or port 23.
public enum TelnetInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(0) == 0xff, let cmd = p.u8(1), (0xfa...0xfe).contains(cmd), p.count >= 3 else { return .no }
        c.identify(.telnet)
        return .yes
    }
}
