import DemarcBase
import DemarcDecode
/// Lustre's network layer over TCP (LNet's socket driver, as Lustre's lnet-idl.h defines
/// it and Wireshark's LNet dissector reads it): a connection opens with the acceptor's
/// request (magic 0xACCE7100, little-endian, version 1 and the target's NID) or directly
/// with the socket driver's hello (magic "Eric" 0x45726963, little-endian, then the
/// hello's version 1 to 3).
public enum LustreInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let magic = p.u32le(0), let version = p.u32le(4) else { return .no }
        switch magic {
        case 0xacce_7100: guard version == 1 else { return .no }
        case 0x4572_6963: guard version >= 1 && version <= 3 else { return .no }
        default: return .no
        }
        c.identify(.lustre)
        return .yes
    }
}
