import DemarcBase
import DemarcDecode
/// eDonkey2000 and eMule. On TCP, packets of a protocol byte (0xe3 eDonkey, 0xc5 eMule
/// extensions, 0xd4 zlib-packed), a little-endian length and the opcode and data that
/// length counts, laid end to end to the segment's end. On UDP, a server or Kad message:
/// the protocol byte (0xe3, 0xc5, 0xe4 Kademlia, 0xe5 packed Kademlia) and a known
/// opcode; Kademlia's requests carry 16-byte node ids, so they are at least 18 bytes.
/// Obfuscated eMule traffic is random bytes by design and is left to the heuristic.
/// The UDP check is the weakest left (`scripts/random-claims.py` allows it): a protocol
/// byte and an opcode from a list name about one flow of random payload in 2,300; the
/// opcodes' layouts are not documented well enough to check more.
public enum EDonkeyInspector: ProtocolInspector {
    public static let transports: Transports = .both

    /// UDP opcodes of the server protocol (status, search, sources, description).
    static let serverOpcodes: Set<UInt8> = [0x90, 0x92, 0x93, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0xa2, 0xa3, 0xa4, 0xa5]
    /// Kademlia 2's opcodes: bootstrap, hello, request, search, publish, firewall checks, ping.
    static let kadOpcodes: Set<UInt8> = [0x01, 0x09, 0x11, 0x19, 0x1a, 0x21, 0x29, 0x33, 0x34, 0x35, 0x3b, 0x43, 0x44,
                                         0x4c, 0x53, 0x58, 0x59, 0x5a, 0x60, 0x61]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let ok = c.isTCP ? isTCPFraming(p) : isUDPMessage(p)
        guard ok else { return .no }
        c.identify(.edonkey)
        return .yes
    }

    static func isTCPFraming(_ p: Bytes) -> Bool {
        Framing.fills(p, limit: 8) { at in
            guard let proto = p.u8(at), proto == 0xe3 || proto == 0xc5 || proto == 0xd4,
                  let len = p.u32le(at + 1), len >= 1, len < 1 << 24 else { return nil }
            return 5 + Int(len)
        }
    }

    static func isUDPMessage(_ p: Bytes) -> Bool {
        guard let proto = p.u8(0), let op = p.u8(1) else { return false }
        switch proto {
        case 0xe3, 0xc5: return p.count >= 6 && serverOpcodes.contains(op)
        case 0xe4, 0xe5: return p.count >= 18 && kadOpcodes.contains(op)
        default: return false
        }
    }
}
