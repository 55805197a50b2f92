import DemarcBase
import DemarcDecode
/// ANSI C12.22 (IEEE 1703), metering messages over TCP or UDP: each message is an ACSE
/// association PDU (ANSI C12.22-2008 section 6, "C12.22 Message"), BER-encoded as
/// [APPLICATION 0] (0x60) whose length fills the payload. Its elements are context tags
/// of ACSE: application context (A1), called AP title (A2), called AP invocation id
/// (A4), calling AP title (A6), calling AE qualifier (A7), calling AP invocation id (A8),
/// calling authentication value (AC) and the user information (BE), which carries the
/// EPSEM. The element walk must fill the PDU. A GSS-API token shares the 0x60 tag, but
/// its first element is a bare OID (0x06), not a context tag.
public enum ANSIC1222Inspector: ProtocolInspector {
    public static let transports: Transports = .both

    static func isElement(_ tag: UInt8) -> Bool {
        switch tag {
        case 0xa1, 0xa2, 0xa4, 0xa6, 0xa7, 0xa8, 0xac, 0xbe: return true
        default: return false
        }
    }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(0) == 0x60, let (length, field) = BER.length(p, at: 1), 1 + field + length == p.count,
              let first = p.u8(1 + field), isElement(first) else { return .no }
        var at = 1 + field, elements = 0, sawUserInformation = false
        while at < p.count {
            guard elements < 12, let tag = p.u8(at), isElement(tag),
                  let (n, f) = BER.length(p, at: at + 1), p.has(at + 1 + f, n) else { return .no }
            if tag == 0xbe { sawUserInformation = true }
            at += 1 + f + n
            elements += 1
        }
        guard sawUserInformation else { return .no }
        c.identify(.c1222)
        return .yes
    }
}
