import DemarcBase
import DemarcDecode
/// BFCP, the binary floor control protocol (RFC 8855 section 5.1, and RFC 4582 for
/// version 1): a 12-byte common header of the version (1 or 2) in the top three bits, a
/// primitive (1 FloorRequest to 17 FloorRequestStatusAck), the length of the attributes
/// in four-byte words, the conference, transaction and user ids. The attributes follow,
/// each a 7-bit type, a mandatory bit and a length that counts its own two-byte header,
/// padded to four bytes; together they fill the length the header gives, and it fills
/// the payload (a fragment, with the F bit set, only the rest of the datagram).
public enum BFCPInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let framed = Framing.fills(p, limit: 8) { at in
            guard let first = p.u8(at), first >> 5 == 1 || first >> 5 == 2, first & 0x08 == 0,
                  let primitive = p.u8(at + 1), primitive >= 1 && primitive <= 17,
                  let words = p.u16(at + 2) else { return nil }
            let end = at + 12 + 4 * Int(words)
            guard p.has(at, end - at), attributesFill(p, from: at + 12, to: end) else { return nil }
            return end - at
        }
        guard framed else { return .no }
        c.identify(.bfcp)
        return .yes
    }

    /// Attributes from `from` reach exactly `to`, each padded to a multiple of four.
    static func attributesFill(_ p: Bytes, from: Int, to: Int) -> Bool {
        var at = from, items = 0
        while at < to {
            guard items < 32, let head = p.u8(at), head >> 1 >= 1 && head >> 1 <= 24,
                  let length = p.u8(at + 1), length >= 2 else { return false }
            at += (Int(length) + 3) & ~3
            items += 1
        }
        return at == to
    }
}
