import DemarcBase
import DemarcDecode
/// OpenWire, Apache ActiveMQ's native wire format (ActiveMQ's "OpenWire Version 2
/// Specification": "Wire Format Negotiation" and "Command Types"): each command is a
/// 4-byte big-endian size of what follows, then a 1-byte data type. Both peers open the
/// connection with a WireFormatInfo (data type 1) whose body begins with the magic
/// "ActiveMQ" (8 bytes) and the wire format version, then the marshalled options. Such a
/// command names the protocol; the commands after it carry messages in clear unless the
/// connection is TLS (the ssl transport, which the TLS inspector claims first).
public enum OpenWireInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        // Size, data type 1, magic and a version of one to a few dozen.
        guard let size = p.u32(0), size >= 13, size < 1 << 20, p.u8(4) == 1,
              p.starts(with: "ActiveMQ", at: 5), let version = p.u32(13), version >= 1, version < 64
        else { return .no }
        c.identify(.openwire)
        return .yes
    }
}
