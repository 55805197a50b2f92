import DemarcBase
import DemarcDecode
/// Telnet: option negotiation on the first packet (RFC 854 and RFC 855): it opens with
/// IAC WILL, WONT, DO, DONT or SB, and is a run of commands (a subnegotiation closed by
/// IAC SE within the packet, options IANA assigns: 0 to 50, 138 to 140 and 255), then
/// nothing or lines of text (a banner, a login prompt). The session is
/// followed through its login: a password prompt answered is a `telnet` credential, with
/// the user name typed at the `login:` prompt (TerminalLogin).
public enum TelnetInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    /// Segments read each way before giving up on seeing a login (character mode sends a
    /// segment per keystroke).
    static let followLimit = 96

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(0) == 0xff, let cmd = p.u8(1), (0xfa...0xfe).contains(cmd), p.count >= 3, let end = commands(p),
              end == p.count || p.isTextLines(end, p.count - end) else { return .no }
        c.identify(.telnet, keepInspecting: true)
        follow(&c, p)
        return .yes
    }

    /// Where the run of commands at the packet's start ends, or nil where a command there
    /// is not Telnet's.
    static func commands(_ p: Bytes) -> Int? {
        var at = 0
        while p.u8(at) == 0xff {
            guard let cmd = p.u8(at + 1) else { return nil }
            switch cmd {
            case 0xfb...0xfe:
                guard let option = p.u8(at + 2), assigned(option) else { return nil }
                at += 3
            case 0xfa:
                guard let option = p.u8(at + 2), assigned(option) else { return nil }
                var end = at + 3
                while !(p.u8(end) == 0xff && p.u8(end + 1) == 0xf0) {
                    guard end < p.count else { return nil }
                    end += 1
                }
                at = end + 2
            case 0xf1...0xf9:
                at += 2
            default:
                return nil
            }
        }
        return at
    }

    /// Options IANA has assigned (Telnet Options registry).
    static func assigned(_ option: UInt8) -> Bool { option <= 50 || (138...140).contains(option) || option == 255 }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if TerminalLogin.read(&c, p, kind: .telnet) || c.index >= followLimit { c.state.active = false }
    }
}
