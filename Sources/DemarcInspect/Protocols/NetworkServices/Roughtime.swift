import DemarcBase
import DemarcDecode
/// Roughtime (UDP 2002): a message of N tags, N-1 offsets and the values, all
/// little-endian; the offsets climb in steps of four within the message and the tags
/// ("NONC", "PAD\xff", "SIG\0", "SREP"…) are in strictly increasing order, as the
/// protocol requires. The IETF drafts prefix it with "ROUGHTIM" and a length. Times and
/// signatures travel readable (signed, not encrypted): cleartext.
public enum RoughtimeInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(2002) else { return .no }
        var msg = p
        if p.starts(with: "ROUGHTIM") {
            guard let len = p.u32le(8), Int(len) + 12 == p.count else { return .no }
            msg = p.slice(12, -1)
        }
        guard isMessage(msg) else { return .no }
        c.identify(.roughtime)
        return .yes
    }

    /// The message's header is consistent: tag count, offsets, tags in order.
    static func isMessage(_ m: Bytes) -> Bool {
        guard let n = m.u32le(0), (1...64).contains(n) else { return false }
        let header = 4 + 8 * Int(n) - 4
        guard header <= m.count, (m.count - header) % 4 == 0 else { return false }
        let values = m.count - header
        var last: UInt32 = 0
        for i in 0..<(Int(n) - 1) {
            guard let off = m.u32le(4 + 4 * i), off % 4 == 0, off >= last, Int(off) <= values else { return false }
            last = off
        }
        var previous: UInt32?
        for i in 0..<Int(n) {
            guard let tag = m.u32le(4 + 4 * (Int(n) - 1) + 4 * i) else { return false }
            if let previous, tag <= previous { return false }
            previous = tag
        }
        return true
    }
}
