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
                  p.u16(at + Int(size) - 2) == Checksums.crcCCITT(p, at, Int(size) - 2) else { return nil }
            return Int(size)
        }
        guard framed else { return .no }
        c.identify(.c37118)
        return .yes
    }
}
