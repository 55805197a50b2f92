import DemarcBase
import DemarcDecode
/// SMTP, POP3 and IMAP: their greetings and first commands. Cleartext until a STARTTLS
/// (STLS) upgrade is followed by a TLS hello; then encrypted, marked as upgraded.
public enum MailInspector: UpgradesToTLS {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        var app: AppProtocol?
        if !c.fromClient {
            if (p.starts(with: "220 ") || p.starts(with: "220-")) && !c.port(21) && !FTPInspector.greetingNamesFTP(p) { app = .smtp }
            else if p.starts(with: "+OK") { app = .pop3 }
            else if p.starts(with: "* OK") || p.starts(with: "* PREAUTH") || p.starts(with: "* BYE") { app = .imap }
        } else {
            if p.startsCaseless(with: "EHLO ") || p.startsCaseless(with: "HELO ") { app = .smtp }
            else if c.port(110) && (p.startsCaseless(with: "CAPA") || p.startsCaseless(with: "USER ") || p.startsCaseless(with: "STLS")) { app = .pop3 }
            else if c.port(143), let sp = p.find(0x20, limit: 16), p.startsCaseless(with: "CAPABILITY", at: sp + 1) || p.startsCaseless(with: "STARTTLS", at: sp + 1) || p.startsCaseless(with: "LOGIN", at: sp + 1) { app = .imap }
        }
        guard let app else { return .no }
        c.identify(app, .cleartext, keepInspecting: true)
        c.details().banner = p.firstLine(limit: 160)
        login(&c, p)
        return .yes
    }

    /// A STARTTLS (STLS) upgrade, or a login in clear.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if Upgrade.tlsStarts(&c, p) { return }
        login(&c, p)
    }

    /// POP3's USER and PASS, IMAP's LOGIN, and SASL PLAIN or LOGIN in all three.
    static func login(_ c: inout InspectionContext, _ p: Bytes) {
        guard c.fromClient else { return }
        switch c.state.app {
        case .pop3:
            // USER name (remembered), then PASS secret (RFC 1939).
            if let user = Credentials.argument(p, "USER ") {
                Credentials.pend(c, user: String(user.prefix(Credentials.userLimit)))
                return
            }
            if let secret = Credentials.argument(p, "PASS "), !secret.isEmpty {
                Credentials.add(&c, .pop3, user: Credentials.pendingUser(c))
                return
            }
        case .imap:
            // `tag LOGIN user password`, the user an atom or a quoted string (RFC 9051).
            if let sp = p.find(0x20, limit: 32), let rest = Credentials.argument(p, " LOGIN ", from: sp) {
                let user = rest.hasPrefix("\"") ? rest.dropFirst().prefix { $0 != "\"" } : rest.prefix { $0 != " " }
                Credentials.add(&c, .imap, user: String(user))
                return
            }
        default:
            break
        }
        SASL.read(&c, p, mechanismAt: saslMechanism(p))
    }

    /// Where the mechanism's name starts in an SMTP or POP3 `AUTH` command or an IMAP
    /// `tag AUTHENTICATE` command; nil for any other line.
    static func saslMechanism(_ p: Bytes) -> Int? {
        if !p.startsCaseless(with: "AUTH"), let sp = p.find(0x20, limit: 32), p.startsCaseless(with: " AUTHENTICATE ", at: sp) {
            return sp + 14   // IMAP: after the tag
        }
        return p.startsCaseless(with: "AUTH ") ? 5 : nil
    }
}
