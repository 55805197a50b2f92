import DemarcBase
import DemarcDecode
/// FTP control connections: the 220 greeting or the first commands; AUTH TLS upgrades.
public enum FTPInspector: UpgradesToTLS {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let ok: Bool
        if c.fromClient {
            ok = c.port(21) && (p.startsCaseless(with: "USER ") || p.startsCaseless(with: "AUTH ") || p.startsCaseless(with: "FEAT") || p.startsCaseless(with: "SYST"))
        } else {
            ok = (p.starts(with: "220 ") || p.starts(with: "220-")) && (c.port(21) || greetingNamesFTP(p))
        }
        guard ok else { return .no }
        c.identify(.ftp, .cleartext, keepInspecting: true)
        if !c.fromClient { c.details().banner = p.firstLine(limit: 160) }
        login(&c, p)
        return .yes
    }

    /// An AUTH TLS upgrade, or a login in clear (`USER`, then `PASS`).
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if Upgrade.tlsStarts(&c, p) { return }
        login(&c, p)
    }

    /// `USER name` (remembered), then `PASS secret`; anonymous FTP (user `anonymous` or
    /// `ftp`) is no credential. An `AUTH` command naming SASL PLAIN or LOGIN is read as SASL.
    static func login(_ c: inout InspectionContext, _ p: Bytes) {
        guard c.fromClient else { return }
        if let user = Credentials.argument(p, "USER ") {
            Credentials.pend(c, user: String(user.prefix(Credentials.userLimit)))
        } else if let secret = Credentials.argument(p, "PASS "), !secret.isEmpty {
            let user = Credentials.pendingUser(c)
            if let u = user?.lowercased(), u == "anonymous" || u == "ftp" { return }
            Credentials.add(&c, .ftp, user: user)
        } else {
            SASL.read(&c, p, mechanismAt: p.startsCaseless(with: "AUTH ") ? 5 : nil)
        }
    }

    /// A 220 greeting whose first line names FTP (and not SMTP): an FTP server's greeting
    /// off port 21.
    static func greetingNamesFTP(_ p: Bytes) -> Bool {
        let line = p.firstLine(limit: 200).uppercased()
        return line.contains("FTP") && !line.contains("SMTP")
    }
}
