import DemarcBase
import DemarcDecode
/// VMware's authentication daemon (vmware-authd, TCP 902 and 912), which hosts' remote
/// consoles and file copies open with: the server's greeting line "220 VMware
/// Authentication Daemon Version 1.10: SSL Required, ServerDaemonProtocol:SOAP, ...".
/// Where the greeting says "SSL Required" the client's TLS hello follows at once and the
/// flow is TLS from there (`UpgradesToTLS`); a daemon that does not require it (version
/// 1.0, often on 912) takes its USER and PASS lines in clear. The greeting is checked in
/// full, since other servers greet with "220 " too (SMTP and FTP come after it).
public enum VMwareAuthdInspector: UpgradesToTLS {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard !c.fromClient, p.starts(with: "220 VMware Authentication Daemon Version ") else { return .no }
        c.identify(.vmware, .cleartext, keepInspecting: true)
        c.details().banner = p.firstLine(limit: 160)
        return .yes
    }
}
