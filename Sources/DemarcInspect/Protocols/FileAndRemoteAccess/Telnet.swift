import DemarcBase
import DemarcDecode
/// Telnet: option negotiation (IAC WILL/WONT/DO/DONT) on the first packet. The session is
/// followed through its login: a password prompt answered is a `telnet` credential, with
/// the user name typed at the `login:` prompt (TerminalLogin).
public enum TelnetInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    /// Segments read each way before giving up on seeing a login (character mode sends a
    /// segment per keystroke).
    static let followLimit = 96

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(0) == 0xff, let cmd = p.u8(1), (0xfa...0xfe).contains(cmd), p.count >= 3 else { return .no }
        c.identify(.telnet, keepInspecting: true)
        follow(&c, p)
        return .yes
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if TerminalLogin.read(&c, p, kind: .telnet) || c.index >= followLimit { c.state.active = false }
    }
}
