import DemarcBase
import DemarcDecode
/// SMTP, POP3 and IMAP: their greetings and first commands. Cleartext until a STARTTLS
/// (STLS) upgrade is followed by a TLS hello; then encrypted, marked as upgraded.
public enum MailInspector: UpgradesToTLS {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        var app: AppProtocol?
        if !c.fromClient {
            if (p.starts(with: "220 ") || p.starts(with: "220-")) && !c.port(21) && !mentionsFTP(p) { app = .smtp }
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
        switch c.state.app {
        case .pop3: Credentials.userPass(&c, p, kind: .pop3)
        case .imap: Credentials.imapLogin(&c, p)
        default: Credentials.sasl(&c, p)
        }
    }

    static func mentionsFTP(_ p: Bytes) -> Bool {
        let line = p.firstLine(limit: 200).uppercased()
        return line.contains("FTP") && !line.contains("SMTP")
    }
}
