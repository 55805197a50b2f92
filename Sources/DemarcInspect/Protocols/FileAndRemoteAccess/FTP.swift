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
            ok = (p.starts(with: "220 ") || p.starts(with: "220-")) && (c.port(21) || MailInspector.mentionsFTP(p))
        }
        guard ok else { return .no }
        c.identify(.ftp, .cleartext, keepInspecting: true)
        if !c.fromClient { c.details().banner = p.firstLine(limit: 160) }
        Credentials.userPass(&c, p, kind: .ftp)
        return .yes
    }

    /// An AUTH TLS upgrade, or a login in clear (`USER`, then `PASS`).
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if Upgrade.tlsStarts(&c, p) { return }
        Credentials.userPass(&c, p, kind: .ftp)
    }
}
