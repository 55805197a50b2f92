import DemarcBase
import DemarcDecode
/// Dropbox's LAN sync discovery: the desktop client broadcasts a JSON object on UDP
/// 17500 naming its host ("host_int"), protocol version, display name, port and shared
/// namespaces, in that order (as Dropbox's help centre and the published analyses of
/// LAN sync describe it).
public enum DropboxLANSyncInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "{\"host_int\": "), p.contains("\"namespaces\"", within: 2048) else { return .no }
        c.identify(.dropbox)
        return .yes
    }
}
