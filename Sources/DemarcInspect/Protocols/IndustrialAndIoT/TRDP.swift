import DemarcBase
import DemarcDecode
/// TRDP, the train real-time data protocol (IEC 61375-2-3 annex A): process data (PD)
/// over UDP with a 40-byte header, message data (MD) over UDP or TCP with a 116-byte one.
/// Both open with a sequence counter, the protocol version (major 1), a two-letter
/// message type ("Pd", "Pp", "Pr", "Pe"; "Mn", "Mr", "Mp", "Mq", "Mc", "Me"), the ComId,
/// two topography counters and the dataset's length, which with the header (and padding
/// to four bytes) fills the payload.
public enum TRDPInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let version = p.u16(4), version >> 8 == 1, let type = p.u16(6), let length = p.u32(20) else { return .no }
        let header: Int
        switch type {
        case 0x5064, 0x5070, 0x5072, 0x5065: header = 40                          // Pd Pp Pr Pe
        case 0x4d6e, 0x4d72, 0x4d70, 0x4d71, 0x4d63, 0x4d65: header = 116           // Mn Mr Mp Mq Mc Me
        default: return .no
        }
        guard length <= 65_536 else { return .no }
        let whole = header + Int(length)
        guard p.count == whole || p.count == (whole + 3) & ~3 else { return .no }
        c.identify(.trdp)
        return .yes
    }
}
