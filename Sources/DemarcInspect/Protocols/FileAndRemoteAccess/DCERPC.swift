import DemarcBase
import DemarcDecode
/// DCE/RPC over TCP (MS-RPC: the endpoint mapper on 135, DCOM, WMI and the dynamic
/// ports they hand out): a 16-byte header (version 5.0 or 5.1, PDU type, flags, data
/// representation, fragment and authentication lengths, call id). When a PDU is
/// authenticated, the trailer before its credentials names the level: 6, packet privacy,
/// encrypts the stub data; lower levels sign it at most. A bind without authentication,
/// or one below privacy, is cleartext; a later PDU that asks for privacy makes the flow
/// encrypted.
public enum DCERPCInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    /// PDU types a connection opens with (bind, alter context) or answers them with.
    static let opening: ClosedRange<UInt8> = 11...15

    /// The PDU's type and, when it is authenticated and whole in the segment, its
    /// authentication type and level; nil when the header is not DCE/RPC's.
    static func header(_ p: Bytes) -> (type: UInt8, auth: (type: UInt8, level: UInt8)?)? {
        guard p.u8(0) == 5, let minor = p.u8(1), minor <= 1, let type = p.u8(2), type <= 20,
              let rep = p.u8(4), rep & 0xe0 == 0, let f = p.u16(8), let a = p.u16(10) else { return nil }
        let little = rep & 0x10 != 0
        let frag = Int(little ? f.byteSwapped : f), authLength = Int(little ? a.byteSwapped : a)
        guard frag >= 16, authLength + 8 + 16 <= frag || authLength == 0 else { return nil }
        guard authLength > 0, frag <= p.count, let authType = p.u8(frag - authLength - 8),
              let level = p.u8(frag - authLength - 7), (1...6).contains(level) else { return (type, nil) }
        return (type, (authType, level))
    }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let h = header(p), opening.contains(h.type) || c.port(135) else { return .no }
        judge(&c, h.auth)
        return .yes
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if let h = header(p), let auth = h.auth, auth.level == 6 { judge(&c, auth) }
    }

    static func judge(_ c: inout InspectionContext, _ auth: (type: UInt8, level: UInt8)?) {
        guard let auth else {
            c.identify(.dcerpc, .cleartext, keepInspecting: true)
            c.details().banner = "DCE/RPC without authentication"
            return
        }
        let privacy = auth.level == 6
        c.identify(.dcerpc, privacy ? .encrypted : .cleartext, keepInspecting: !privacy)
        let mechanism: String
        switch auth.type {
        case 9: mechanism = "SPNEGO"
        case 10: mechanism = "NTLMSSP"
        case 16: mechanism = "Kerberos"
        case 0x44: mechanism = "Netlogon"
        default: mechanism = "auth type \(auth.type)"
        }
        let level = ["none", "connect", "call", "packet", "integrity", "privacy"][Int(auth.level) - 1]
        c.details().banner = "DCE/RPC \(mechanism), \(level)"
    }
}
