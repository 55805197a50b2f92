import DemarcBase
import DemarcDecode
/// Ethereum's devp2p: RLPx (TCP) opens with an EIP-8 auth message, a 2-byte size and an
/// ECIES ciphertext (a public key, an IV, the ciphertext, a MAC): encrypted. Node
/// discovery v4 (UDP, devp2p's discv4 specification) is a hash, a 65-byte signature whose
/// last byte is the recovery id (0 or 1), a packet type (1 to 6) and an RLP list: signed
/// but not encrypted. The hash is the Keccak-256 of everything after it, which random
/// bytes never match; the type and recovery id alone would, once in 5,000 datagrams.
public enum EthereumInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        if c.isUDP {
            guard p.count >= 99, let recovery = p.u8(96), recovery <= 1, let type = p.u8(97), (1...6).contains(type),
                  let list = p.u8(98), list >= 0xc0, Keccak256.headsItsOwnHash(p) else { return .no }
            c.identify(.ethereum, .cleartext)
            return .yes
        }
        // EIP-8: size prefix, then 0x04 (an uncompressed ephemeral public key).
        guard c.index == 0, let size = p.u16(0), Int(size) + 2 == p.count, size >= 113, p.u8(2) == 0x04 else { return .no }
        c.identify(.ethereum, .encrypted)
        return .yes
    }
}
