import DemarcBase
import DemarcDecode
/// Nano's node protocol: a header of network id ("R" and A, B, C or X), maximum, used
/// and minimum protocol versions and a message type. Messages are signed, not
/// encrypted: hashes and signatures look random, the protocol is cleartext.
public enum NanoInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.count >= 8, p.u8(0) == UInt8(ascii: "R"), let net = p.u8(1), [0x41, 0x42, 0x43, 0x58].contains(net),
              let maxV = p.u8(2), let using = p.u8(3), let minV = p.u8(4), minV <= using, using <= maxV,
              (0x0c...0x40).contains(minV), maxV <= 0x40, let type = p.u8(5), (2...0x12).contains(type) else { return .no }
        c.identify(.nano)
        return .yes
    }
}
