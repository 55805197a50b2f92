import DemarcBase
import DemarcDecode
/// NetBIOS (RFC 1002): name service (UDP 137, DNS-like); datagrams (UDP 138, section
/// 4.4): a type of 0x10 to 0x16, flags with their top four bits clear, then by type a
/// datagram whose length field counts the rest (0x10 to 0x12), an error code (0x13), or
/// an encoded name (0x14 to 0x16); sessions (TCP 139, section 4.3): a packet type, flags
/// with only the length extension bit, and a body the type fixes (a request's encoded
/// names, an empty positive response or keep-alive, a negative response's error code, a
/// retarget's address and port) or, for session messages, one SMB does not claim.
public enum NetBIOSInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        if c.isUDP && c.port(137) {
            guard DNSInspector.valid(p, strict: false) else { return .no }
        } else if c.isUDP && c.port(138) {
            guard isDatagram(p) else { return .no }
        } else if c.isTCP && c.port(139) {
            guard let t = p.u8(0), let flags = p.u8(1), flags & 0xfe == 0, let low = p.u16(2) else { return .no }
            let length = Int(flags) << 16 | Int(low)
            switch t {
            case 0x00: guard length >= 1 else { return .no }
            case 0x81: guard length >= 68, length + 4 == p.count, isEncodedName(p, at: 4) else { return .no }
            case 0x82, 0x85: guard length == 0 else { return .no }
            case 0x83: guard length == 1, p.count == 5, let e = p.u8(4), [0x80, 0x81, 0x82, 0x83, 0x8f].contains(e) else { return .no }
            case 0x84: guard length == 6, p.count == 10 else { return .no }
            default: return .no
            }
            if t == 0x00, SMBInspector.smb(p) != nil { return .no }
        } else {
            return .no
        }
        c.identify(.netbios)
        return .yes
    }

    /// A datagram service message (RFC 1002 section 4.4.1 to 4.4.3).
    static func isDatagram(_ p: Bytes) -> Bool {
        guard let t = p.u8(0), let flags = p.u8(1), flags & 0xf0 == 0 else { return false }
        switch t {
        case 0x10, 0x11, 0x12:
            guard let length = p.u16(10) else { return false }
            return 14 + Int(length) == p.count && isEncodedName(p, at: 14)
        case 0x13:
            return p.count == 11 && p.u8(10).map { (0x82...0x84).contains($0) } == true
        case 0x14, 0x15, 0x16:
            return p.count >= 44 && isEncodedName(p, at: 10)
        default:
            return false
        }
    }

    /// A first-level encoded NetBIOS name at `at` (RFC 1001 section 14.1): a label of 32
    /// letters from A to P, each half a byte of the 16-byte name.
    static func isEncodedName(_ p: Bytes, at: Int) -> Bool {
        guard p.u8(at) == 0x20, p.has(at + 1, 32) else { return false }
        for i in (at + 1)...(at + 32) where !(0x41...0x50).contains(p.base[i]) { return false }
        return true
    }
}
