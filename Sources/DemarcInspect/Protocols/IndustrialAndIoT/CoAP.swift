import DemarcBase
import DemarcDecode
/// CoAP (UDP 5683, RFC 7252 section 3): version 1, a token of at most 8 bytes, and a code
/// the registry holds (a method 0.01 to 0.07, a response 2.01 to 2.05 or 2.31, a client
/// error of section 12.1.2 or RFCs 7959, 8132 and 9175, a server error 5.00 to 5.05), or
/// the empty 0.00, alone as a reset must be and an acknowledgement may be (section 4.2 and
/// 4.3): an empty message is the 4-byte header alone. After
/// the token, options (a delta and a length nibble each, 13 and 14 extended by one or two
/// bytes, 15 reserved) run to the datagram's end or to the 0xff marker before a payload,
/// which must then hold a byte at least.
public enum CoAPInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.port(5683), let b0 = p.u8(0), b0 >> 6 == 1, let code = p.u8(1), p.count >= 4 + Int(b0 & 0x0f),
              b0 & 0x0f <= 8, [0, 2, 4, 5].contains(code >> 5) else { return .no }
        let type = (b0 >> 4) & 3
        guard knownCode(code), type != 3 || code == 0, type != 2 || code >> 5 != 0 || code == 0 else { return .no }
        guard code == 0 ? p.count == 4 && b0 & 0x0f == 0 : optionsEnd(p, from: 4 + Int(b0 & 0x0f)) else { return .no }
        c.identify(.coap)
        return .yes
    }

    /// A code in the CoAP Codes registries: 0.00 empty, methods 0.01 to 0.07, responses.
    static func knownCode(_ code: UInt8) -> Bool {
        let detail = code & 0x1f
        switch code >> 5 {
        case 0: return detail <= 7
        case 2: return (1...5).contains(detail) || detail == 31
        case 4: return (0...6).contains(detail) || [8, 12, 13, 15, 22, 29].contains(detail)
        case 5: return detail <= 5
        default: return false
        }
    }

    /// Whether the options from `start` run to the end, or to a payload marker and a payload.
    static func optionsEnd(_ p: Bytes, from start: Int) -> Bool {
        var at = start
        while at < p.count {
            guard let b = p.u8(at) else { return false }
            if b == 0xff { return at + 1 < p.count }
            at += 1
            let delta = b >> 4, nibble = b & 0x0f
            guard delta != 15, nibble != 15 else { return false }
            // The delta's extension comes first, then the length's.
            at += delta == 13 ? 1 : delta == 14 ? 2 : 0
            var length = Int(nibble)
            if nibble == 13 {
                guard let e = p.u8(at) else { return false }
                length = 13 + Int(e)
                at += 1
            } else if nibble == 14 {
                guard let e = p.u16(at) else { return false }
                length = 269 + Int(e)
                at += 2
            }
            at += length
        }
        return at == p.count
    }
}
