import DemarcBase
import DemarcDecode
/// DNS (and mDNS, LLMNR): a header whose counts are plausible and a question that
/// parses as labels. On its own ports a header suffices; elsewhere the question must
/// parse, so random bytes (DNSCrypt) do not pass. NetBIOS's name service (DNS's format
/// on UDP 137) is claimed by NetBIOSInspector, listed before this one in the registry.
public enum DNSInspector: ProtocolInspector {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        var msg = p
        if c.isTCP {
            guard let len = p.u16(0), len >= 12 else { return .no }
            msg = p.slice(2, -1)
        }
        let app: AppProtocol = c.port(5353) ? .mdns : c.port(5355) ? .llmnr : .dns
        let wellKnown = c.port(53) || c.port(5353) || c.port(5355)
        guard valid(msg, strict: !wellKnown) else { return .no }
        if isDNSCryptCertificateQuery(msg) {
            // DNSCrypt's handshake: the client asks for the resolver's certificate
            // ("2.dnscrypt-cert.<provider>" TXT); what follows is encrypted.
            c.identify(.dnscrypt, .encrypted)
            return .yes
        }
        c.identify(app)
        return .yes
    }

    /// A query whose first label is a protocol version and second "dnscrypt-cert".
    static func isDNSCryptCertificateQuery(_ m: Bytes) -> Bool {
        guard let l1 = m.u8(12), l1 >= 1, l1 <= 3, let l2 = m.u8(13 + Int(l1)), l2 == 13 else { return false }
        return m.startsCaseless(with: "dnscrypt-cert", at: 14 + Int(l1))
    }

    static func valid(_ m: Bytes, strict: Bool) -> Bool {
        guard m.count >= 12, let flags = m.u16(2), let qd = m.u16(4), let an = m.u16(6), let ns = m.u16(8), let ar = m.u16(10) else { return false }
        let opcode = (flags >> 11) & 0xf
        guard opcode <= 6, opcode != 3, qd <= 16, an <= 256, ns <= 256, ar <= 256 else { return false }
        if !strict { return qd > 0 || an > 0 || ns > 0 || ar > 0 }
        guard qd == 1 else { return false }
        // The question: labels, then type and class.
        var off = 12, labels = 0
        while let l = m.u8(off) {
            if l == 0 { off += 1; break }
            if l & 0xc0 != 0 || l > 63 { return false }
            for i in 1...Int(l) {
                guard let ch = m.u8(off + i), ch >= 0x21 && ch < 0x7f else { return false }
            }
            off += 1 + Int(l)
            labels += 1
            if labels > 64 { return false }
        }
        guard let qtype = m.u16(off), let qclass = m.u16(off + 2) else { return false }
        return qtype >= 1 && qtype <= 260 && (qclass & 0x7fff == 1 || qclass == 255)
    }
}
