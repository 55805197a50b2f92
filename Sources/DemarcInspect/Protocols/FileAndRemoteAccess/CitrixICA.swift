import DemarcBase
import DemarcDecode
/// Citrix's ICA remote display protocol (as Wireshark's ICA and CGP dissectors read
/// it): a bare ICA connection opens with the six-byte detection string 0x7F 0x7F "ICA"
/// 0x00, repeated by both ends; on session reliability's port the Common Gateway
/// Protocol opens with a length byte and "CGP/01". nDPI counts Citrix as encrypted:
/// ICA's own encryption layer follows the detection strings.
public enum CitrixICAInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "\u{7f}\u{7f}ICA\0") || p.starts(with: "CGP/01", at: 1) else { return .no }
        c.identify(.citrix)
        return .yes
    }
}
