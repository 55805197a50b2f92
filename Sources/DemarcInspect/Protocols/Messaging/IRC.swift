import DemarcBase
import DemarcDecode
/// IRC: a client registers (NICK, USER, PASS, CAP LS), a server speaks in prefixed
/// lines (":server NOTICE …"), each line ending in CR LF.
public enum IRCInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    static let registration: [StaticString] = ["NICK ", "USER ", "PASS ", "CAP LS"]
    static let serverWords: [StaticString] = ["NOTICE ", "PING ", "001 ", "020 ", "439 "]

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let nl = p.find(0x0a, from: 0, limit: 512), nl > 4, p.u8(nl - 1) == 0x0d else { return .no }
        if c.fromClient {
            guard registration.contains(where: { p.starts(with: $0) }) else { return .no }
        } else {
            guard p.u8(0) == UInt8(ascii: ":"), let sp = p.find(0x20, from: 1, limit: nl),
                  serverWords.contains(where: { p.starts(with: $0, at: sp + 1) }) else { return .no }
        }
        c.identify(.irc, keepInspecting: c.fromClient)
        pass(&c, p)
        return .yes
    }

    /// Registration may send PASS in a later segment.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        pass(&c, p)
        if c.index >= 3 { c.state.active = false }
    }

    /// IRC `PASS secret`, with the user name from a `USER` line in the same segment.
    static func pass(_ c: inout InspectionContext, _ p: Bytes) {
        guard c.fromClient, let secret = Credentials.argument(p, "PASS "), !secret.isEmpty else { return }
        var user: String?
        var line = 0
        while user == nil, let nl = p.find(0x0a, from: line, limit: 512) {
            line = nl + 1
            user = Credentials.argument(p, "USER ", from: line).map { String($0.prefix { $0 != " " }) }
        }
        Credentials.add(&c, .irc, user: user)
    }
}
