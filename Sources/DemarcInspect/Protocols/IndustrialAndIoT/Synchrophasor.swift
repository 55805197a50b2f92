import DemarcBase
import DemarcDecode
/// IEEE C37.118 synchrophasor frames (C37.118.2-2011 section 6.2, "Common frame
/// organisation"): SYNC (0xAA, then the frame type in bits 6-4: data, header,
/// configuration 1, 2 or 3, or command, and the version in bits 3-0), FRAMESIZE, IDCODE,
/// SOC and FRACSEC, and a CRC-CCITT over everything before it in the last two bytes.
/// Frames laid end to end fill the payload, each with a check value that holds.
public enum SynchrophasorInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let framed = Framing.fills(p, limit: 8) { at in
            guard p.u8(at) == 0xaa, let kind = p.u8(at + 1), kind & 0x80 == 0, (kind >> 4) <= 5,
                  kind & 0x0f >= 1 && kind & 0x0f <= 3,
                  let size = p.u16(at + 2), size >= 16, p.has(at, Int(size)),
                  p.u16(at + Int(size) - 2) == crc(p, at, Int(size) - 2) else { return nil }
            return Int(size)
        }
        guard framed else { return .no }
        c.identify(.c37118)
        return .yes
    }

    /// CRC-CCITT as the standard gives it: polynomial 0x1021, initial value 0xFFFF, no
    /// reflection and no final XOR.
    static func crc(_ p: Bytes, _ from: Int, _ length: Int) -> UInt16 {
        var crc: UInt16 = 0xffff
        for i in from..<(from + length) {
            crc ^= UInt16(p.base[i]) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        }
        return crc
    }
}
