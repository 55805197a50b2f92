import DemarcBase
import DemarcDecode
/// RakNet (Minecraft Bedrock and many other games): its offline messages carry a fixed
/// 16-byte magic at an offset their id implies. Unconnected ping (0x01, 0x02): id, an
/// 8-byte time, the magic. Unconnected pong (0x1c): id, time, an 8-byte server guid, the
/// magic. Open connection request and reply 1 and 2 (0x05 to 0x08), and the incompatible
/// protocol reply (0x19): id, then the magic. The offline messages are in clear; the
/// game's payload in the connected datagrams that follow (flags 0x80 to 0x8f, a 3-byte
/// sequence number, then frames with a header of up to 10 bytes more) is the game's to
/// encrypt: where it looks random by the heuristic's measure, the flow is encrypted.
public enum RakNetInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    static let magic: [UInt8] = [0x00, 0xff, 0xff, 0x00, 0xfe, 0xfe, 0xfe, 0xfe,
                                 0xfd, 0xfd, 0xfd, 0xfd, 0x12, 0x34, 0x56, 0x78]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let id = p.u8(0) else { return .no }
        let at: Int
        switch id {
        case 0x01, 0x02: at = 9
        case 0x1c: at = 17
        case 0x05, 0x06, 0x07, 0x08, 0x19: at = 1
        default: return .no
        }
        guard p.has(at, 16) else { return .no }
        for i in 0..<16 where p.base[at + i] != magic[i] { return .no }
        c.identify(.raknet, keepInspecting: true)
        return .yes
    }

    /// Connected datagrams: their frames' bodies judged by the heuristic.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        guard let flags = p.u8(0), flags & 0xf0 == 0x80, p.count >= 64 else { return }
        if Heuristic.classifyBody(p.slice(14, -1)) == .random {
            c.state.state = .encrypted
            c.state.active = false
        }
    }
}
