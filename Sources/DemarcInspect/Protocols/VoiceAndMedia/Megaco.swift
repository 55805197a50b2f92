import DemarcBase
import DemarcDecode
/// Megaco (H.248), the media gateway control protocol in its text encoding (RFC 3525,
/// Annex B.2 "ABNF specification"): a message is optional white space, an optional
/// authentication header ("AU=" or "Authentication="), then the protocol token "MEGACO"
/// or its short form "!", a slash and a version of one or two digits, white space, and the
/// sender's message id: a domain name in angle brackets, an address in square brackets
/// (either with an optional port) or an MTP address "MTP{...}". Over TCP each message is
/// inside a TPKT header (Annex D.2: version 3, a reserved byte, the packet's length).
/// Such a message names the protocol; its transactions follow in clear text. The binary
/// (ASN.1) encoding of Annex A is not recognised.
public enum MegacoInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        var at = 0
        if c.isTCP {
            guard p.u8(0) == 3, p.u8(1) == 0, let length = p.u16(2), Int(length) == p.count, length > 4
            else { return .no }
            at = 4
        }
        while at < min(p.count, 16), isSpace(p.base[at]) { at += 1 }
        guard let first = p.u8(at), first == 0x21 || first | 0x20 == 0x6d || first | 0x20 == 0x61 else { return .no }
        // An authentication header: its token, then its fields up to white space.
        if p.startsCaseless(with: "AU=", at: at) || p.startsCaseless(with: "Authentication=", at: at) {
            var end = at
            while end < min(p.count, at + 160), !isSpace(p.base[end]) { end += 1 }
            at = end
            while at < min(p.count, end + 8), isSpace(p.base[at]) { at += 1 }
        }
        if p.u8(at) == 0x21 { at += 1 }
        else if p.startsCaseless(with: "MEGACO", at: at) { at += 6 }
        else { return .no }
        guard p.u8(at) == 0x2f, let d = p.u8(at + 1), isDigit(d) else { return .no }
        at += 2
        if let d = p.u8(at), isDigit(d) { at += 1 }
        guard let sep = p.u8(at), isSpace(sep) else { return .no }
        while at < min(p.count, 256), isSpace(p.base[at]) { at += 1 }
        // The message id and the rest of its line are text.
        guard let mid = p.u8(at), mid == 0x3c || mid == 0x5b || p.startsCaseless(with: "MTP{", at: at),
              let eol = p.find(0x0a, from: at, limit: 256) ?? (p.count - at <= 256 ? p.count : nil),
              p.isTextLines(at, eol - at) else { return .no }
        c.identify(.megaco)
        return .yes
    }

    @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0d || b == 0x0a }
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
}
