import DemarcBase
import DemarcDecode
/// Bitcoin's peer protocol: network magic and an ASCII command.
public enum BitcoinInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let magic = p.u32(0), [0xf9be_b4d9, 0x0b11_0907, 0xfabf_b5da, 0x0a03_cf40].contains(magic) else { return .no }
        guard let ch = p.u8(4), ch >= 0x61 && ch <= 0x7a else { return .no }
        c.identify(.bitcoin)
        return .yes
    }
}
