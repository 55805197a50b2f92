/// QUIC over UDP: long-header packets name their version (IETF v1 and v2, drafts,
/// Google's Q0xx and T0xx, Facebook's mvfst); Google's older public-header format too.
public enum QUICInspector: ProtocolInspector {
    public static let transports: Transports = .udp

    static func knownVersion(_ v: UInt32) -> Bool {
        switch v {
        case 0x0000_0001, 0x6b33_43cf, 0x709a_50c4: return true
        case 0xff00_0001...0xff00_0022: return true
        case 0xface_b001...0xface_b00f: return true
        case _ where v & 0x0f0f_0f0f == 0x0a0a_0a0a:
            // Reserved versions (RFC 9000 §15) that force version negotiation.
            return true
        default:
            // Q0xx / T0xx: ASCII 'Q' or 'T', then three digits.
            let b0 = v >> 24, b1 = (v >> 16) & 0xff, b2 = (v >> 8) & 0xff, b3 = v & 0xff
            return (b0 == 0x51 || b0 == 0x54) && (0x30...0x39).contains(b1) && (0x30...0x39).contains(b2) && (0x30...0x39).contains(b3)
        }
    }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let first = p.u8(0), p.count >= 20 else { return .no }
        if first & 0x80 != 0 {
            guard let version = p.u32(1), let dcid = p.u8(5), dcid <= 20 else { return .no }
            if version == 0 {
                // Version negotiation: the list of versions must hold known ones.
                guard let scid = p.u8(6 + Int(dcid)), scid <= 20, let v = p.u32(7 + Int(dcid) + Int(scid)), knownVersion(v) else { return .no }
                c.identify(.quic, .encrypted)
                return .yes
            }
            guard knownVersion(version), first & 0x40 != 0 || version >> 24 == 0x51 else { return .no }
            // An Initial is padded to at least 1200 bytes by the client.
            let isInitial = (first & 0x30) == 0 && version >> 24 != 0x51 && version >> 24 != 0x54
            if isInitial && c.fromClient && c.index == 0 && p.count < 1200 && version == 1 { return .no }
            c.identify(.quic, .encrypted)
            c.state.versionKind = .quic
            c.state.version = version
            return .yes
        }
        // Google QUIC public header: version flag (0x01) with an 8-byte connection id (0x08).
        if first & 0x09 == 0x09, let v = p.u32(9), v >> 24 == 0x51, knownVersion(v) {
            c.identify(.quic, .encrypted)
            c.state.versionKind = .quic
            c.state.version = v
            return .yes
        }
        return .no
    }
}
