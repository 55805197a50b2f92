import DemarcBase
import DemarcDecode
/// SIP: request lines ending in SIP/2.0, and SIP/2.0 status lines; cleartext signalling.
/// `banner` is the first line, and adds "SRTP keys in clear" when an SDP offer or answer
/// carries SDES keys (`a=crypto:` … `inline:`): whoever reads the SIP can decrypt the
/// call's SRTP.
public enum SIPInspector: ProtocolInspector {
    public static let transports: Transports = .both
    static let methods: [StaticString] = ["INVITE ", "REGISTER ", "OPTIONS ", "ACK ", "BYE ", "CANCEL ", "NOTIFY ",
                                          "SUBSCRIBE ", "MESSAGE ", "INFO ", "PRACK ", "UPDATE ", "REFER ", "PUBLISH "]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        var ok = p.starts(with: "SIP/2.0 ")
        if !ok, let m = methods.first(where: { p.starts(with: $0) }) {
            ok = p.startsCaseless(with: "sip:", at: m.utf8CodeUnitCount) || p.startsCaseless(with: "sips:", at: m.utf8CodeUnitCount)
        }
        guard ok else { return .no }
        c.identify(.sip, keepInspecting: true)
        c.details().banner = p.firstLine(limit: 160)
        follow(&c, p)
        return .yes
    }

    /// SDP offers and answers that carry SDES keys (RFC 4568 `a=crypto:` … `inline:`):
    /// the SRTP master keys of the call travel in this cleartext signalling, so anyone
    /// who reads it can decrypt the media. `banner` says so once.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        guard carriesSDESKeys(p) else { return }
        let d = c.details()
        d.banner = (d.banner.map { $0 + "; " } ?? "") + "SRTP keys in clear (SDP a=crypto)"
        // Nothing left to learn: SIP's verdict never changes.
        c.state.active = false
    }

    static func carriesSDESKeys(_ p: Bytes) -> Bool {
        var i = 0
        while let a = p.find(UInt8(ascii: "a"), from: i) {
            if p.starts(with: "a=crypto:", at: a) {
                let end = p.find(0x0a, from: a) ?? p.count
                var j = a + 9
                while j + 7 <= end {
                    if p.starts(with: "inline:", at: j) { return true }
                    j += 1
                }
            }
            i = a + 1
        }
        return false
    }
}
