import DemarcBase
import DemarcDecode
/// Web Services Dynamic Discovery (OASIS WS-Discovery 1.1, and the 2005/04 draft that
/// Windows speaks): SOAP envelopes over UDP, multicast to port 3702, whose XML names the
/// discovery namespace ("docs.oasis-open.org/ws-dd/ns/discovery" or
/// "schemas.xmlsoap.org/ws/2005/04/discovery") among the envelope's first declarations.
public enum WSDiscoveryInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(0) == 0x3c, p.starts(with: "<?xml") || p.startsCaseless(with: "<soap") || p.startsCaseless(with: "<s:envelope"),
              p.contains("/ws/2005/04/discovery", within: 1024) || p.contains("ws-dd/ns/discovery", within: 1024)
        else { return .no }
        c.identify(.wsd)
        return .yes
    }
}
