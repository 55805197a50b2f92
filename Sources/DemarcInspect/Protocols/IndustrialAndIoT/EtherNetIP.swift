import DemarcBase
import DemarcDecode
/// EtherNet/IP's encapsulation (ODVA, CIP volume 2, chapter 2): a 24-byte little-endian
/// header, a command (ListServices, ListIdentity, ListInterfaces, RegisterSession,
/// UnRegisterSession, SendRRData, SendUnitData), the length of the data after the
/// header, a session handle, a status, the sender's context and options that are zero.
/// Encapsulation packets laid end to end fill the payload.
public enum EtherNetIPInspector: ProtocolInspector {
    public static let transports: Transports = .both

    static let commands: Set<UInt16> = [0x0004, 0x0063, 0x0064, 0x0065, 0x0066, 0x006f, 0x0070]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let framed = Framing.fills(p, limit: 8) { at in
            guard let command = p.u16le(at), commands.contains(command), let len = p.u16le(at + 2),
                  p.u32(at + 20) == 0 else { return nil }
            return 24 + Int(len)
        }
        guard framed else { return .no }
        c.identify(.ethernetip)
        return .yes
    }
}
