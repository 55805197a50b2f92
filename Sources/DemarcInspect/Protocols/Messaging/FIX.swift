import DemarcBase
import DemarcDecode
/// FIX (Financial Information eXchange): tag=value fields separated by SOH, always
/// opening with BeginString (8=FIX… or 8=FIXT…) and then BodyLength (9=).
public enum FIXInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "8=FIX"), let soh = p.find(0x01, from: 5, limit: 24),
              p.starts(with: "9=", at: soh + 1) else { return .no }
        c.identify(.fix)
        return .yes
    }
}
