import DemarcBase
import DemarcDecode
/// The control planes of software-defined networks (OpenFlow, OVSDB), which overlay and
/// gateway providers run between their controllers and switches, are cleartext without
/// TLS, and whoever can read or write them can read or rewrite the whole data plane's
/// forwarding.
///
/// OpenFlow (1.0 to 1.5): messages of an 8-byte header (version, type, length of the
/// whole message, transaction id) laid end to end. A connection opens with HELLO both
/// ways; mid-connection, messages on OpenFlow's ports (6653, formerly 6633) that fill the
/// segment exactly with one version. `banner` names the version the two settled on.
public enum OpenFlowInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let version = p.u8(0), (1...6).contains(version), let type = p.u8(1) else { return .no }
        guard type == 0 ? hello(p, version: version) : c.port(6653) || c.port(6633),
              let whole = wholeMessages(p, version: version) else { return .no }
        // A message running on past this segment alone is too little to tell: the next
        // segment may close it and start another.
        guard whole > 0 else { return .notYet }
        // HELLOs offer each side's highest version; the first other message speaks the
        // one they settled on, which the banner names.
        c.identify(.openflow, .cleartext, keepInspecting: type == 0)
        follow(&c, p)
        return .yes
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        var off = 0
        while p.u8(off + 1) == 0, let len = p.u16(off + 2), len >= 8 { off += Int(len) }
        guard let version = p.u8(off), (1...6).contains(version), p.u8(off + 1) != nil else { return }
        c.details().banner = "OpenFlow 1.\(version - 1)"
        c.state.active = false
    }

    /// HELLO: bare up to OpenFlow 1.2 (8 bytes, so a TPKT header, 03 00 and a length, is
    /// not taken for one); from 1.3 on, followed by elements (type, length, padded to 8
    /// bytes) that fill it.
    static func hello(_ p: Bytes, version: UInt8) -> Bool {
        guard let len = p.u16(2) else { return false }
        if version <= 3 { return len == 8 }
        var off = 8
        while off < Int(len) {
            guard let type = p.u16(off), type >= 1, type <= 2, let elen = p.u16(off + 2), elen >= 4 else { return false }
            off += (Int(elen) + 7) / 8 * 8
        }
        return off == Int(len)
    }

    /// Messages of one version and a known type (0 HELLO … 35) laid end to end over the
    /// segment, the last of which may run on into the next segment: how many end within
    /// it, or nil where a header is not OpenFlow's.
    static func wholeMessages(_ p: Bytes, version: UInt8) -> Int? {
        var off = 0
        var messages = 0
        while off < p.count {
            guard messages < 64, p.u8(off) == version, let type = p.u8(off + 1), type <= 35,
                  let len = p.u16(off + 2), len >= 8 else { return nil }
            if type == 0 && len > 256 { return nil }
            off += Int(len)
            if off <= p.count { messages += 1 }
        }
        return messages
    }
}
