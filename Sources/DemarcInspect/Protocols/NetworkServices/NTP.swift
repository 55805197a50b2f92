import DemarcBase
import DemarcDecode
/// NTP: version 1–4 and a mode in the first byte, 48 bytes or more, on port 123.
public enum NTPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(123), let b = p.u8(0), p.count >= 48 || (p.count >= 12 && b & 7 == 6) else { return .no }
        let version = (b >> 3) & 7, mode = b & 7
        guard (1...4).contains(version), (1...7).contains(mode) else { return .no }
        c.identify(.ntp)
        return .yes
    }
}
