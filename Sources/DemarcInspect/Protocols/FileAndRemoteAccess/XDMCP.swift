import DemarcBase
import DemarcDecode
/// XDMCP, the X display manager control protocol (X Consortium, "X Display Manager
/// Control Protocol" version 1.1, section 9 "Protocol Encoding"): over UDP, a header of
/// the protocol version (1), an opcode (BroadcastQuery 1 to KeepAlive 13 and Alive 14)
/// and the length of the data after the 6-byte header, which fills the datagram.
public enum XDMCPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u16(0) == 1, let opcode = p.u16(2), opcode >= 1 && opcode <= 14,
              let length = p.u16(4), 6 + Int(length) == p.count else { return .no }
        c.identify(.xdmcp)
        return .yes
    }
}
