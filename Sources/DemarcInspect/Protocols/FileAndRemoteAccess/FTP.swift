import DemarcBase
import DemarcDecode
/// FTP control connections: the 220 greeting or the first commands; AUTH TLS upgrades;
/// the data connections the control connection announces (`dataPort`).
public enum FTPInspector: UpgradesToTLS {
    public static let transports: Transports = .tcp
    /// Each transfer is announced on the control connection: it is followed past the
    /// usual follow budget, so a session's later transfers are seen too.
    public static var announcesConnections: Bool { true }

    /// A control connection's phase, or a data connection's (handed over by
    /// `AnnouncedEndpoints`), which carries its control connection's encryption state.
    enum Phase: UInt8, ProtocolPhase {
        case control = 0, dataCleartext, dataEncrypted
    }

    /// The inspector's `InspectState.owner` value: the one its announcements name.
    static let owner = PayloadInspector.owner(of: FTPInspector.self)

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        let ok: Bool
        if c.fromClient {
            ok = c.port(21) && (p.startsCaseless(with: "USER ") || p.startsCaseless(with: "AUTH ") || p.startsCaseless(with: "FEAT")
                                || p.startsCaseless(with: "SYST") || isSessionCommand(p))
        } else {
            ok = ((p.starts(with: "220 ") || p.starts(with: "220-")) && (c.port(21) || greetingNamesFTP(p)))
                || (c.port(21) && isReply(p))
        }
        guard ok else { return .no }
        c.identify(.ftp, .cleartext, keepInspecting: true)
        if !c.fromClient && p.starts(with: "220") { c.details().banner = p.firstLine(limit: 160) }
        login(&c, p)
        announcements(&c, p)
        return .yes
    }

    /// Commands of a session under way (RFC 959 section 4.1, RFC 2428): on the FTP port,
    /// they name a control connection picked up after its login.
    static let sessionCommands: [StaticString] = ["PASV\r\n", "EPSV", "PORT ", "EPRT ", "TYPE ", "RETR ", "STOR ", "LIST",
                                                   "NLST", "CWD ", "PWD\r\n", "NOOP\r\n", "MLSD", "SIZE ", "REST "]

    /// A command of a session under way, its line ended by CRLF within 512 bytes.
    static func isSessionCommand(_ p: Bytes) -> Bool {
        guard let lf = p.find(0x0a, limit: 512), lf >= 5, p.u8(lf - 1) == 0x0d, p.isPrintableASCII(0, lf - 1) else { return false }
        return sessionCommands.contains { p.startsCaseless(with: $0) }
    }

    /// A reply line (RFC 959 section 4.2): three digits, the first 1 to 5, then a space or
    /// a hyphen, printable text and CRLF within 512 bytes.
    static func isReply(_ p: Bytes) -> Bool {
        guard let d = p.u8(0), d >= 0x31, d <= 0x35, isDigit(p, 1), isDigit(p, 2), p.u8(3) == 0x20 || p.u8(3) == 0x2d,
              let lf = p.find(0x0a, limit: 512), p.u8(lf - 1) == 0x0d, p.isPrintableASCII(0, lf - 1) else { return false }
        return true
    }

    /// An AUTH TLS upgrade, a login in clear (`USER`, then `PASS`), or an announcement.
    /// An announced data connection is FTP data from its first payload on, in its control
    /// connection's state: whatever the file's bytes are, FTP adds no encryption of its
    /// own (a TLS-protected control connection's announcements are not seen in clear).
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        switch c.phase(Phase.self) {
        case .dataCleartext?:
            c.identify(.ftpdata, .cleartext)
            return
        case .dataEncrypted?:
            c.identify(.ftpdata, .encrypted)
            return
        default:
            break
        }
        if Upgrade.tlsStarts(&c, p) { return }
        login(&c, p)
        announcements(&c, p)
    }

    /// Announces the data connection the packet's first line naming one announces
    /// (several replies or pipelined commands may share a segment: up to 8 lines, 1 KB).
    static func announcements(_ c: inout InspectionContext, _ p: Bytes) {
        var start = 0
        for _ in 0..<8 where start < min(p.count, 1024) {
            let line = p.slice(start, -1)
            if let port = dataPort(line, fromClient: c.fromClient) {
                c.announce(port: port, listenerIsServer: !c.fromClient, .ftpdata,
                           c.state.state == .encrypted ? Phase.dataEncrypted : Phase.dataCleartext, owner: owner)
                return
            }
            guard let lf = line.find(0x0a, limit: 1024) else { return }
            start += lf + 1
        }
    }

    /// The port a data connection is announced on, if this message announces one: the
    /// server's passive-mode replies, `227 ... (h1,h2,h3,h4,p1,p2)` (RFC 959 section 4.2.2,
    /// PASV in 4.1.2) and `229 ... (|||port|)` (RFC 2428 section 3, EPSV), name a port on
    /// the server's host; the client's `PORT h1,h2,h3,h4,p1,p2` (RFC 959 section 4.1.2) and
    /// `EPRT |proto|address|port|` (RFC 2428 section 2) one on the client's. The hosts the
    /// messages name are not read: the data connection is looked for between the control
    /// connection's own two hosts (a NAT rewrites neither the connection's addresses nor
    /// the port; a third host, FXP, is outside what one flow table sees).
    static func dataPort(_ p: Bytes, fromClient: Bool) -> UInt16? {
        let end = p.find(0x0a, limit: 200) ?? min(p.count, 200)
        if fromClient {
            if p.startsCaseless(with: "PORT ") { return hostPort(p, from: 5, end: end) }
            if p.startsCaseless(with: "EPRT ") { return extendedPort(p, from: 5, end: end, skipping: 2) }
        } else {
            if p.starts(with: "227 ") { return hostPort(p, from: 4, end: end) }
            if p.starts(with: "229 "), let open = p.find(UInt8(ascii: "("), from: 4, limit: end - 4) {
                return extendedPort(p, from: open + 1, end: end, skipping: 2)
            }
        }
        return nil
    }

    /// The port of the first `h1,h2,h3,h4,p1,p2` list between `from` and `end`: six
    /// decimal numbers up to 255 each, separated by commas; the port is p1 * 256 + p2.
    static func hostPort(_ p: Bytes, from: Int, end: Int) -> UInt16? {
        var i = from
        while i < end {
            if isDigit(p, i) && !isDigit(p, i - 1) {
                var at = i
                var values = (0, 0)
                var ok = true
                for n in 0..<6 {
                    guard let (value, after) = decimal(p, at, end), value <= 255 else { ok = false; break }
                    values = (values.1, value)
                    if n < 5 {
                        guard after < end, p.u8(after) == UInt8(ascii: ",") else { ok = false; break }
                        at = after + 1
                    }
                }
                if ok {
                    let port = values.0 << 8 | values.1
                    return port > 0 ? UInt16(port) : nil
                }
            }
            i += 1
        }
        return nil
    }

    /// The port of an RFC 2428 `<d>field<d>field<d>port<d>` list starting at `from`:
    /// the first byte is the delimiter, `skipping` fields come before the port.
    static func extendedPort(_ p: Bytes, from: Int, end: Int, skipping: Int) -> UInt16? {
        guard from < end, let d = p.u8(from), d >= 33, d <= 126, !(d >= 0x30 && d <= 0x39) else { return nil }
        var at = from + 1
        for _ in 0..<skipping {
            guard let next = p.find(d, from: at, limit: end - at) else { return nil }
            at = next + 1
        }
        guard let (value, after) = decimal(p, at, end), p.u8(after) == d, value > 0, value <= 65535 else { return nil }
        return UInt16(value)
    }

    /// The decimal number at `at` (at most five digits, before `end`) and the index past it.
    static func decimal(_ p: Bytes, _ at: Int, _ end: Int) -> (Int, Int)? {
        var value = 0
        var i = at
        while i < end && i - at < 5 && isDigit(p, i) {
            value = value * 10 + Int(p.base[i] - 0x30)
            i += 1
        }
        return i > at && !isDigit(p, i) ? (value, i) : nil
    }

    static func isDigit(_ p: Bytes, _ i: Int) -> Bool {
        guard let b = p.u8(i) else { return false }
        return b >= 0x30 && b <= 0x39
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
