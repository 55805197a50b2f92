import DemarcBase
import DemarcDecode
/// GTP-C, the mobile core's control plane (3GPP TS 29.060 for version 1, TS 29.274 for
/// version 2): sessions are created, changed and deleted in clear, subscriber identities
/// (IMSI, MSISDN) and addresses included. Version 2's information elements (type, length,
/// instance, value) must tile the message exactly; version 1 (whose elements have
/// lengths fixed by their type) needs its header to fit the datagram and GTP-C's port.
public enum GTPControlInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let flags = p.u8(0), let type = p.u8(1), type != 0, let len = p.u16(2) else { return .no }
        switch flags >> 5 {
        case 1:
            // Version 1, protocol type GTP; G-PDUs (255) are the user plane's.
            guard c.port(2123), flags & 0x18 == 0x10, type != 255, Int(len) + 8 == p.count else { return .no }
        case 2:
            guard version2(p, flags: flags, length: Int(len)) else { return .no }
        default:
            return .no
        }
        c.identify(.gtpc)
        return .yes
    }

    /// Header: flags (version 2, piggybacking P 0x10, TEID present T 0x08, message
    /// priority 0x04), type, length of what follows the first 4 bytes, the TEID when T,
    /// a 3-byte sequence number and a spare byte; then the elements. A piggybacked
    /// message may follow the first.
    static func version2(_ p: Bytes, flags: UInt8, length: Int) -> Bool {
        guard flags & 0x03 == 0 else { return false }
        let end = 4 + length
        guard flags & 0x10 != 0 ? end < p.count : end == p.count else { return false }
        var off = flags & 0x08 != 0 ? 12 : 8
        guard off <= end else { return false }
        var elements = 0
        while off < end {
            guard elements < 256, let t = p.u8(off), t != 0, let l = p.u16(off + 1) else { return false }
            off += 4 + Int(l)
            elements += 1
        }
        return off == end && elements > 0
    }
}
