import DemarcBase
import DemarcDecode
/// SMPP, the short message peer-to-peer protocol (SMPP v3.4 specification, 3.2 "SMPP PDU
/// Format", 4.1 "Bind Operation", 5.1.2.1 "command_id"; v5.0 keeps the layout): each PDU
/// is a 16-byte header of command_length (the whole PDU), command_id, command_status and
/// sequence_number, then its body. A session opens with a bind: bind_receiver (1),
/// bind_transmitter (2) or bind_transceiver (9) from the client, whose body is the
/// system_id, password and system_type C-octet strings (at most 16, 9 and 13 bytes with
/// their NUL), the interface_version (0x00 to 0x34, or 0x50 for v5.0), two address type
/// bytes and the address_range string; the server answers with the same id plus
/// 0x80000000, a command_status, and its own system_id string; or the server opens with
/// an outbind (0x0B: system_id and password). Such a PDU filling the segment names the
/// protocol; short messages follow in clear (TLS, where used, is claimed first).
public enum SMPPInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let length = p.u32(0), length >= 17, Int(length) == p.count, let id = p.u32(4),
              let status = p.u32(8), let sequence = p.u32(12), sequence >= 1, sequence <= 0x7fff_ffff
        else { return .no }
        let bound: Bool
        switch id {
        case 1, 2, 9:
            guard status == 0, let system = cString(p, at: 16, max: 16), let password = cString(p, at: system, max: 9),
                  let type = cString(p, at: password, max: 13), let version = p.u8(type),
                  version <= 0x34 || version == 0x50, p.has(type + 1, 2),
                  let range = cString(p, at: type + 3, max: 41) else { return .no }
            bound = range == p.count
        case 0x8000_0001, 0x8000_0002, 0x8000_0009:
            // The system_id, then optional TLVs (sc_interface_version).
            guard let system = cString(p, at: 16, max: 16) else { return .no }
            bound = Framing.fills(p, from: system, limit: 4) { at in
                p.u16(at + 2).map { Int($0) + 4 }
            } || system == p.count
        case 0x0b:
            guard status == 0, let system = cString(p, at: 16, max: 16) else { return .no }
            bound = cString(p, at: system, max: 9) == p.count
        default:
            return .no
        }
        guard bound else { return .no }
        c.identify(.smpp)
        return .yes
    }

    /// The end of a C-octet string at `at`: printable bytes and a NUL, at most `max`
    /// bytes with it.
    static func cString(_ p: Bytes, at: Int, max: Int) -> Int? {
        guard let end = p.find(0, from: at, limit: max), p.isPrintableASCII(at, end - at) else { return nil }
        return end + 1
    }
}
