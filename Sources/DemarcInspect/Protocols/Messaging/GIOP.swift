import DemarcBase
import DemarcDecode
/// CORBA's GIOP (IIOP on TCP): the "GIOP" magic, version 1.0–1.3, a message type and
/// the body's size in the byte order the flags name.
public enum GIOPInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "GIOP"), p.u8(4) == 1, let minor = p.u8(5), minor <= 3,
              let flags = p.u8(6), let type = p.u8(7), type <= 7, let raw = p.u32(8) else { return .no }
        let size = flags & 1 == 1 ? raw.byteSwapped : raw
        guard size < 1 << 24 else { return .no }
        c.identify(.giop)
        return .yes
    }
}
