import DemarcBase
import DemarcDecode
/// netcode.io, the secure UDP transport of the yojimbo game networking library: the
/// client's connection request is the only packet not encrypted, and even it carries the
/// connect token sealed for the server. It is a zero byte, "NETCODE 1.0x" and a NUL,
/// the protocol id, the token's expiry, its nonce (8 bytes up to 1.01, 24 from 1.02) and
/// the 1,024-byte encrypted token. Every later packet is ChaCha20-Poly1305 ciphertext.
public enum NetcodeInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, p.u8(0) == 0, p.starts(with: "NETCODE 1.0", at: 1), let minor = p.u8(12),
              p.u8(13) == 0 else { return .no }
        switch (minor, p.count) {
        case (UInt8(ascii: "0"), 1062), (UInt8(ascii: "1"), 1062), (UInt8(ascii: "2"), 1078): break
        default: return .no
        }
        c.identify(.netcode)
        return .yes
    }
}
