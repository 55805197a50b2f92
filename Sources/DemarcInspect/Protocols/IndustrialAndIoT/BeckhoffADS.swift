import DemarcBase
import DemarcDecode
/// Beckhoff's ADS over AMS/TCP (Beckhoff Information System, "ADS specification"): a
/// 6-byte AMS/TCP header, two reserved zero bytes and the little-endian length of the AMS
/// packet after it; the AMS header of 32 bytes holds target and source AMS net ids and
/// ports, a command id (1 to 9), state flags and the little-endian length of the ADS data
/// that ends the packet. Packets laid end to end fill the segment.
public enum BeckhoffADSInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let framed = Framing.fills(p, limit: 16) { at in
            guard p.u16(at) == 0, let len = p.u32le(at + 2), len >= 32, len <= 1 << 20,
                  let command = p.u16le(at + 6 + 16), command >= 1, command <= 9,
                  let data = p.u32le(at + 6 + 20), Int(data) + 32 == Int(len) else { return nil }
            return 6 + Int(len)
        }
        guard framed else { return .no }
        c.identify(.ads)
        return .yes
    }
}
