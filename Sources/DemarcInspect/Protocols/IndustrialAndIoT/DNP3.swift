import DemarcBase
import DemarcDecode
/// DNP3 (SCADA, TCP or UDP): link-layer frames open with 0x05 0x64 and a length, and
/// carry a CRC after the header and after every 16 data bytes (IEEE 1815 section 9.2):
/// the header's own CRC (CRC-16/DNP over its first eight bytes, little-endian) holds.
public enum DNP3Inspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(0) == 0x05, p.u8(1) == 0x64, let len = p.u8(2), len >= 5 else { return .no }
        let data = Int(len) - 5
        let frame = 10 + data + 2 * ((data + 15) / 16)
        guard frame <= p.count, p.u16le(8) == Checksums.crcDNP(p, 0, 8) else { return .no }
        c.identify(.dnp3)
        return .yes
    }
}
