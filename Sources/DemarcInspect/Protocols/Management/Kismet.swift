import DemarcBase
import DemarcDecode
/// Kismet's legacy client/server protocol (Kismet's documentation, "Kismet client
/// protocol"): lines of text on TCP 2501, each server line "*NAME: fields", the first
/// one "*KISMET: version start-time server-name build".
public enum KismetInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "*KISMET: ") else { return .no }
        c.identify(.kismet)
        return .yes
    }
}
