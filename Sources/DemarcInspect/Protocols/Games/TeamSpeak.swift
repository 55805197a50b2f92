import DemarcBase
import DemarcDecode
/// TeamSpeak 3's connection setup over UDP: the init packets open with "TS3INIT1" in
/// place of a MAC, then packet id 0x0065. Its voice and command packets that follow are
/// framed the same way and the flow is already claimed by then.
public enum TeamSpeakInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "TS3INIT1"), p.u16(8) == 0x0065 else { return .no }
        c.identify(.teamspeak)
        return .yes
    }
}
