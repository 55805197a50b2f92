import DemarcBase
import DemarcDecode
/// DNP3 (SCADA, TCP or UDP): link-layer frames open with 0x05 0x64 and a length, and
/// carry a CRC after the header and after every 16 data bytes.
public enum DNP3Inspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(0) == 0x05, p.u8(1) == 0x64, let len = p.u8(2), len >= 5 else { return .no }
        let data = Int(len) - 5
        let frame = 10 + data + 2 * ((data + 15) / 16)
        guard frame <= p.count else { return .no }
        c.identify(.dnp3)
        return .yes
    }
}
