import DemarcBase
import DemarcDecode
/// Cisco's Skinny client control protocol (SCCP, as Wireshark's Skinny dissector
/// documents it): messages laid end to end, each a little-endian header of the length
/// of what follows the length field's own eight bytes, a header version (0 for the
/// basic protocol, 0x11 to 0x17 for later ones) and a message id (station messages up
/// to 0x1FF, call manager ones from 0x8000 to 0x81FF), which fill the payload.
public enum SkinnyInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let framed = Framing.fills(p, limit: 16) { at in
            guard let length = p.u32le(at), length >= 4, length <= 4096, let version = p.u32le(at + 4),
                  version == 0 || (version >= 0x11 && version <= 0x17),
                  let id = p.u32le(at + 8), id <= 0x1ff || (id >= 0x8000 && id <= 0x81ff) else { return nil }
            return 8 + Int(length)
        }
        guard framed else { return .no }
        c.identify(.skinny)
        return .yes
    }
}
