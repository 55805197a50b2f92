import DemarcBase
import DemarcDecode
/// Oracle's Transparent Network Substrate (as Wireshark's TNS dissector documents it):
/// an 8-byte header of the packet's whole length, a packet checksum (zero), the packet
/// type, a reserved byte and a header checksum (zero). A session opens with the client's
/// Connect packet (type 1), whose body starts with the TNS version and the lowest one
/// it accepts (300 to 320 in the releases of the last decades). The length fills the
/// payload.
public enum OracleTNSInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let length = p.u16(0), Int(length) == p.count, p.u16(2) == 0, p.u8(4) == 1, p.u8(5) == 0,
              p.u16(6) == 0, let version = p.u16(8), version >= 300 && version <= 320,
              let lowest = p.u16(10), lowest >= 300 && lowest <= version else { return .no }
        c.identify(.oracle)
        return .yes
    }
}
