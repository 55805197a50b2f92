import DemarcBase
import DemarcDecode
/// LISP, the Locator/ID Separation Protocol. Its data plane (RFC 9300 section 5.3, UDP
/// 4341) is an 8-byte header before an IPv4 or IPv6 packet whose own length fills the
/// rest of the datagram; an overlay, cleartext whatever it carries. Its control plane
/// (RFC 9301 section 5, UDP 4342): a Map-Request (type 1) with at least one record, a
/// nonce and a source EID's address family; a Map-Reply (2) whose records (each with its
/// locators, every address of family IPv4, IPv6 or LCAF, section 5.4) fill the datagram;
/// a Map-Register (3) or Map-Notify (4) with at least one record and an authentication
/// field of none, HMAC-SHA-1-96 or HMAC-SHA-256-128's length (0, 20 or 32 bytes).
public enum LISPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let ok = (c.port(4341) && isData(p)) || (c.port(4342) && isControl(p))
        guard ok else { return .no }
        c.identify(.lisp)
        return .yes
    }

    static func isData(_ p: Bytes) -> Bool {
        guard let v = p.u8(8) else { return false }
        if v == 0x45 { return p.u16(10).map { Int($0) + 8 == p.count } == true }
        if v >> 4 == 6 { return p.u16(12).map { Int($0) + 48 == p.count } == true }
        return false
    }

    static func isControl(_ p: Bytes) -> Bool {
        guard let b0 = p.u8(0), let records = p.u8(3), records >= 1, p.count >= 16 else { return false }
        switch b0 >> 4 {
        case 1: return p.u16(12).map { $0 <= 2 } == true
        case 2: return recordsFill(p, from: 12, count: Int(records))
        case 3, 4: return p.u16(14).map { [0, 20, 32].contains($0) } == true && p.count >= 16 + 16
        default: return false
        }
    }

    /// Whether `count` mapping records (RFC 9301 section 5.4: TTL, locator count, EID mask
    /// length, flags, map version, the EID prefix, then each locator's priorities, flags and
    /// address) fill `p` from `start`.
    static func recordsFill(_ p: Bytes, from start: Int, count: Int) -> Bool {
        var at = start
        for _ in 0..<count {
            guard let locators = p.u8(at + 4), let mask = p.u8(at + 5), let eid = addressLength(p, at: at + 10),
                  Int(mask) <= 8 * eid.bits else { return false }
            at += 12 + eid.bytes
            for _ in 0..<Int(locators) {
                guard let locator = addressLength(p, at: at + 6) else { return false }
                at += 8 + locator.bytes
            }
        }
        return at == p.count
    }

    /// The address after the family at `at`: its bytes, and its bits as a prefix (IPv4,
    /// IPv6, or an LCAF, RFC 8060 section 3, whose header gives its length).
    static func addressLength(_ p: Bytes, at: Int) -> (bytes: Int, bits: Int)? {
        switch p.u16(at) {
        case 1: return (4, 32)
        case 2: return (16, 128)
        case 16387: return p.u16(at + 6).map { (6 + Int($0), 255) }
        default: return nil
        }
    }
}
