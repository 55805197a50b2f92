import DemarcBase
import DemarcDecode
/// TiVo's discovery beacon (TiVo Connect Automatic Machine Discovery Protocol, TiVo's
/// published specification): key=value lines over UDP broadcast or TCP on port 2190,
/// opening with "tivoconnect=1" and naming the method, platform, machine and identity.
public enum TiVoConnectInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.startsCaseless(with: "tivoconnect="), p.isTextLines(0, min(p.count, 64)) else { return .no }
        c.identify(.tivoconnect)
        return .yes
    }
}
