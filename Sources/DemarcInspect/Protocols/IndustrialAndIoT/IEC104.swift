import DemarcBase
import DemarcDecode
/// IEC 60870-5-104 (telecontrol over TCP, port 2404): APDUs laid end to end, each a start
/// byte 0x68, the length of what follows (4 to 253) and four control octets (IEC
/// 60870-5-104 section 5). An unnumbered (U) frame is exactly a start, stop or test
/// activation or confirmation with no ASDU; a supervisory (S) frame has none either; a
/// numbered (I) frame carries an ASDU whose type id is 1 to 127.
public enum IEC104Inspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    static let unnumbered: Set<UInt8> = [0x07, 0x0b, 0x13, 0x23, 0x43, 0x83]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let framed = Framing.fills(p, limit: 16) { at in
            guard p.u8(at) == 0x68, let len = p.u8(at + 1), len >= 4, len <= 253,
                  let c1 = p.u8(at + 2) else { return nil }
            if c1 & 1 == 0 {
                guard len >= 10, let type = p.u8(at + 6), type >= 1, type <= 127 else { return nil }
            } else if c1 & 3 == 1 {
                guard len == 4, c1 == 1 else { return nil }
            } else {
                guard len == 4, unnumbered.contains(c1), p.u8(at + 3) == 0, p.u16(at + 4) == 0 else { return nil }
            }
            return 2 + Int(len)
        }
        guard framed else { return .no }
        c.identify(.iec104)
        return .yes
    }
}
