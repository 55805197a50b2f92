import DemarcBase
import DemarcDecode
/// RTSP: request lines ending in RTSP/1.0 or 2.0, and RTSP status lines.
public enum RTSPInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        if p.starts(with: "RTSP/1.0 ") || p.starts(with: "RTSP/2.0 ") {
            c.identify(.rtsp); return .yes
        }
        guard let sp = p.find(0x20, limit: 16), p.startsCaseless(with: "rtsp://", at: sp + 1) || p.starts(with: "* RTSP/", at: sp + 1) else { return .no }
        c.identify(.rtsp)
        return .yes
    }
}
