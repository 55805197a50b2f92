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
        return .yes
    }

    static func mentionsFTP(_ p: Bytes) -> Bool {
        let line = p.firstLine(limit: 200).uppercased()
        return line.contains("FTP") && !line.contains("SMTP")
    }
}

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
        return .yes
    }
}

/// XMPP: the XML stream header; <starttls/> then a TLS hello upgrades.
public enum XMPPInspector: UpgradesToTLS {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "<?xml") || p.starts(with: "<stream:stream") else { return .no }
        let head = p.text(0, min(p.count, 512))
        guard head.contains("stream") || c.port(5222) || c.port(5269) else { return .no }
        c.identify(.xmpp, .cleartext, keepInspecting: true)
        return .yes
    }
}

/// LDAP: a BER LDAPMessage (SEQUENCE, message id, an application-tagged operation).
/// The StartTLS extended operation followed by a TLS hello upgrades.
public enum LDAPInspector: UpgradesToTLS {
    public static let transports: Transports = .both

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(0) == 0x30, let (len, hdr) = BER.length(p, at: 1), hdr + len <= p.count + 65536 else { return .no }
        guard p.u8(1 + hdr) == 0x02, let idLen = p.u8(2 + hdr), (1...4).contains(idLen),
              let op = p.u8(3 + hdr + Int(idLen)), (0x60...0x79).contains(op) || op == 0x42 || op == 0x4a || op == 0x50 else { return .no }
        guard c.port(389) || c.port(3268) || (op == 0x60 && c.isTCP) else { return .no }
        c.identify(.ldap, .cleartext, keepInspecting: c.isTCP)
        return .yes
    }
}

enum BER {
    /// A BER length at `off`: (length, bytes the length field took).
    static func length(_ p: Bytes, at off: Int) -> (Int, Int)? {
        guard let first = p.u8(off) else { return nil }
        if first < 0x80 { return (Int(first), 1) }
        let n = Int(first & 0x7f)
        guard n >= 1 && n <= 4 else { return nil }
        var v = 0
        for i in 1...n {
            guard let b = p.u8(off + i) else { return nil }
            v = v << 8 | Int(b)
        }
        return (v, 1 + n)
    }
}

/// Telnet: option negotiation (IAC WILL/WONT/DO/DONT) on the first packet, or port 23.
public enum TelnetInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(0) == 0xff, let cmd = p.u8(1), (0xfa...0xfe).contains(cmd), p.count >= 3 else { return .no }
        c.identify(.telnet)
        return .yes
    }
}

/// SMB 1, 2 and 3 behind the NetBIOS session header. SMB 3's transform header means the
/// session is encrypted.
public enum SMBInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    static func smb(_ p: Bytes) -> UInt8? {
        guard p.u8(0) == 0x00, let marker = p.u8(4), marker == 0xff || marker == 0xfe || marker == 0xfd,
              p.starts(with: "SMB", at: 5) else { return nil }
        return marker
    }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard let marker = smb(p) else { return .no }
        c.identify(.smb, marker == 0xfd ? .encrypted : .cleartext, keepInspecting: marker != 0xfd)
        return .yes
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if smb(p) == 0xfd {
            c.state.state = .encrypted
            c.details().note = "SMB 3 encryption"
            c.state.active = false
        }
    }
}

/// The BSD remote shells, cleartext from the first byte: rlogin opens with a NUL, then
/// the local user, the remote user and `terminal/speed`, each NUL-terminated; rsh with
/// the port for its error stream (digits, possibly none), the two users and the
/// command. The client's first segment holds exactly these fields.
public enum RemoteShellInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, p.count <= 1024, let fields = fields(p), fields.count == 4 else { return .no }
        let (first, local, remote, last) = (fields[0], fields[1], fields[2], fields[3])
        guard isName(local), isName(remote), !remote.isEmpty else { return .no }
        if first.isEmpty, let slash = last.firstIndex(of: "/"), slash > last.startIndex,
           last[last.index(after: slash)...].allSatisfy(\.isNumber), !last.hasSuffix("/") {
            c.identify(.rlogin, .cleartext)
            c.details().banner = "rlogin as \(remote)"
            return .yes
        }
        if first.count <= 5, first.allSatisfy(\.isNumber), !last.isEmpty {
            c.identify(.rsh, .cleartext)
            c.details().banner = "rsh as \(remote): \(last.prefix(120))"
            return .yes
        }
        return .no
    }

    /// NUL-terminated printable fields filling the payload exactly.
    static func fields(_ p: Bytes) -> [String]? {
        guard p.count >= 4, p.base[p.count - 1] == 0 else { return nil }
        var nuls = 0
        for b in p.base {
            if b == 0 { nuls += 1 } else if b < 0x20 || b > 0x7e { return nil }
        }
        guard nuls == 4 else { return nil }
        var out: [String] = []
        var start = 0
        while start < p.count, out.count < 5, let nul = p.find(0, from: start) {
            out.append(p.text(start, nul - start))
            start = nul + 1
        }
        return start == p.count ? out : nil
    }

    static func isName(_ s: String) -> Bool {
        s.count <= 64 && s.allSatisfy { $0.isLetter || $0.isNumber || "._-$".contains($0) }
    }
}

/// RDP: the X.224 connection request and confirm inside TPKT. If the server selects TLS
/// or CredSSP, the TLS hello that follows upgrades the flow.
public enum RDPInspector: UpgradesToTLS {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.u8(0) == 0x03, p.u8(1) == 0x00, let len = p.u16(2), Int(len) == p.count, let li = p.u8(4),
              Int(li) + 5 <= p.count, let code = p.u8(5), code == 0xe0 || code == 0xd0 else { return .no }
        c.identify(.rdp, .cleartext, keepInspecting: true)
        return .yes
    }
}

/// VNC (RFB): the protocol version greeting, then the security type the client picks.
public enum VNCInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.starts(with: "RFB 0"), p.count == 12 else { return .no }
        c.identify(.vnc, .cleartext, keepInspecting: true)
        return .yes
    }

    /// The client's choice of security type (one byte, RFB 3.7 on) settles it: TLS (18)
    /// and VeNCrypt (19) go on to a TLS handshake, which makes the flow encrypted (unless
    /// VeNCrypt's Plain subtype was chosen, then no TLS comes); any other type leaves the
    /// session in clear, VNC authentication's DES challenge included.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if c.state.phase == 1 {
            _ = Upgrade.tlsStarts(&c, p)
        } else if c.fromClient, p.count == 1, let type = p.u8(0) {
            if type == 18 || type == 19 { c.state.phase = 1 } else { c.state.active = false }
        }
    }
}
