import DemarcBase
import DemarcDecode
/// PFCP, the 5G and EPC user plane's control protocol (3GPP TS 29.244 section 7.2.2) on
/// its port 8805: version 1 in the top three bits of the first byte, spare bits clear, a
/// message type of the node (1 to 15) or session (50 to 57) families, and a length that
/// counts what follows the first four bytes; a session message (S flag) carries an
/// 8-byte SEID.
public enum PFCPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(8805), let b0 = p.u8(0), b0 >> 5 == 1, b0 & 0x1c == 0, let type = p.u8(1),
              (1...15).contains(type) || (50...57).contains(type), let len = p.u16(2), Int(len) + 4 == p.count,
              Int(len) >= (b0 & 1 == 1 ? 12 : 4) else { return .no }
        c.identify(.pfcp)
        return .yes
    }
}
