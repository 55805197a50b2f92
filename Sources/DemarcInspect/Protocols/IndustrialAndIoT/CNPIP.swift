import DemarcBase
import DemarcDecode
/// CNP/IP, LonWorks' control network protocol tunnelled over IP (ANSI/CEA-852, "Tunneling
/// Component Network Protocols over Internet Protocol Channels", section 6): a 20-byte
/// common header of the packet's whole length (which fills the datagram), the version
/// (1), the packet type (data, configuration and channel membership requests and
/// responses, 0x01 to 0x0B, or segments 0x7F), the extended header's size in words,
/// protocol flags, the vendor code, a session id, a sequence number and a timestamp.
public enum CNPIPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.count >= 20, let length = p.u16(0), Int(length) == p.count, p.u8(2) == 1,
              let type = p.u8(3), (type >= 0x01 && type <= 0x0b) || type == 0x7f,
              let ext = p.u8(4), 20 + 4 * Int(ext) <= p.count else { return .no }
        c.identify(.cnpip)
        return .yes
    }
}
