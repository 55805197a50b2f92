import DemarcBase
import DemarcDecode
/// L2TP over UDP (RFC 2661 version 2, RFC 3931 version 3): control messages carry the
/// T, L and S flags, a length equal to the datagram's and attribute-value pairs that
/// tile the rest, the first naming the message type; version 2's data messages carry
/// PPP. L2TP encrypts nothing (L2TP/IPsec shows as ESP instead), so the tunnel is
/// cleartext; `banner` gives the host name a peer announces.
public enum L2TPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let flags = p.u8(0), let version = p.u8(1) else { return .no }
        if flags & 0x80 != 0 {
            // Control: T, L and S set, no offset or priority bits; the whole header fixed.
            guard flags & 0xcb == 0xc8, version & 0x0f == 2 || version & 0x0f == 3, let len = p.u16(2),
                  Int(len) == p.count else { return .no }
            let avps = version & 0x0f == 2 ? 12 : 16
            guard let pairs = attributes(p, from: avps) else { return .no }
            c.identify(.l2tp, .cleartext)
            if let host = pairs.hostName { c.details().banner = "L2TP host " + p.text(host.lowerBound, host.count) }
            return .yes
        }
        // Version 2 data: tunnel and session ids (after a length and sequence numbers
        // when flagged), then a PPP frame.
        guard version & 0x0f == 2, flags & 0x34 == 0, c.port(1701) else { return .no }
        var off = 2
        if flags & 0x40 != 0 {
            guard let len = p.u16(2), Int(len) == p.count else { return .no }
            off += 2
        }
        off += 4
        if flags & 0x08 != 0 { off += 4 }
        if flags & 0x02 != 0, let pad = p.u16(off) { off += 2 + Int(pad) }
        guard p.u8(off) == 0xff, p.u8(off + 1) == 0x03 else { return .no }
        c.identify(.l2tp, .cleartext)
        return .yes
    }

    /// Walks attribute-value pairs (flags and a 10-bit length, vendor, type, value) to the
    /// end: nil unless they tile it, the first being the message type (a zero-length
    /// body is a bare acknowledgement); where the host name (type 7) lies, when one is
    /// given (its text is made only once the whole message proved sound).
    struct Attributes { var hostName: Range<Int>? }

    static func attributes(_ p: Bytes, from start: Int) -> Attributes? {
        var off = start
        var host: Range<Int>?
        var count = 0
        while off < p.count {
            guard count < 64, let word = p.u16(off), let vendor = p.u16(off + 2), let type = p.u16(off + 4) else { return nil }
            let len = Int(word & 0x03ff)
            guard len >= 6, word & 0x3c00 == 0, p.has(off, len) else { return nil }
            if count == 0 && (vendor != 0 || type != 0 || len != 8) { return nil }
            if vendor == 0 && type == 7 && word & 0x4000 == 0 && len > 6 && p.isPrintableASCII(off + 6, len - 6) {
                host = (off + 6)..<(off + len)
            }
            off += len
            count += 1
        }
        return off == p.count ? Attributes(hostName: host) : nil
    }
}
