import DemarcBase
import DemarcDecode
/// Canon's BJNP printer and scanner discovery and job protocol (as Wireshark's BJNP
/// dissector and the cups-bjnp and sane-pixma drivers read it): a 16-byte header of a
/// magic ("BJNP" for printers, "BJNB" for scanners, "MFNP" for multifunction devices),
/// a type (commands 0x01 to 0x03, responses with the top bit set), a code, a sequence
/// number, a session id and the length of the data after the header, which fills the
/// payload.
public enum BJNPInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "BJNP") || p.starts(with: "BJNB") || p.starts(with: "MFNP"),
              let type = p.u8(4), (type & 0x7f) >= 1 && (type & 0x7f) <= 3,
              let len = p.u32(12), Int(len) == p.count - 16 else { return .no }
        c.identify(.bjnp)
        return .yes
    }
}
