import DemarcBase
import DemarcDecode
/// A reusable secret seen crossing in cleartext (SCENARIO.md, cleartext credentials): its
/// kind and the user name where one was sent. The secret itself is never kept.
public struct Credential: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case httpBasic = "http-basic", ftp, pop3, imap, saslPlain = "sasl-plain", saslLogin = "sasl-login"
        case telnet, rlogin, ldapSimple = "ldap-simple", snmpCommunity = "snmp-community", postgresql
        case mysqlClear = "mysql-clear", redis, irc
    }
    public var kind: Kind
    public var user: String?
}

/// Finding credentials in the client's bytes of text and BER protocols. Each check reads
/// only the segment it is given (a user name announced earlier waits in the flow's
/// detail record), keeps at most 128 bytes of a user name, and never the secret.
enum Credentials {
    static let userLimit = 128

    /// Records a credential once per kind (the first user name sent is the one shown).
    static func add(_ c: inout InspectionContext, _ kind: Credential.Kind, user: String?) {
        // A flow that upgraded to TLS before this carries the secret encrypted: none.
        guard !c.state.upgraded else { return }
        let d = c.details()
        if d.credentials.contains(where: { $0.kind == kind }) { return }
        d.credentials.append(Credential(kind: kind, user: user.map { String($0.prefix(userLimit)) }))
    }

    /// The text after a command word (case-insensitive, then a space) on the segment's
    /// first line, or nil when the line is another command.
    static func argument(_ p: Bytes, _ command: StaticString, from start: Int = 0) -> String? {
        guard p.startsCaseless(with: command, at: start) else { return nil }
        let at = start + command.utf8CodeUnitCount
        let end = p.find(0x0d, from: at, limit: 512) ?? p.find(0x0a, from: at, limit: 512) ?? min(p.count, at + 512)
        return end > at ? p.text(at, end - at) : ""
    }

    /// FTP and POP3: `USER name` (remembered), then `PASS secret`. Anonymous FTP (user
    /// `anonymous` or `ftp`) is no credential.
    static func userPass(_ c: inout InspectionContext, _ p: Bytes, kind: Credential.Kind) {
        guard c.fromClient else { return }
        if let user = argument(p, "USER ") {
            c.details().pendingUser = String(user.prefix(userLimit))
        } else if let secret = argument(p, "PASS "), !secret.isEmpty {
            let user = c.existingDetails()?.pendingUser
            if kind == .ftp, let u = user?.lowercased(), u == "anonymous" || u == "ftp" { return }
            add(&c, kind, user: user)
        } else {
            sasl(&c, p)
        }
    }

    /// SASL in SMTP, POP3 (`AUTH PLAIN|LOGIN`) and IMAP (`tag AUTHENTICATE PLAIN|LOGIN`),
    /// with the initial response on the line or on the next one. PLAIN's response is
    /// base64 of `authzid NUL authcid NUL password`; LOGIN sends the user, then the
    /// password, each base64 on a line of its own.
    static func sasl(_ c: inout InspectionContext, _ p: Bytes) {
        guard c.fromClient else { return }
        var start = 0
        if !p.startsCaseless(with: "AUTH"), let sp = p.find(0x20, limit: 32), p.startsCaseless(with: " AUTHENTICATE ", at: sp) {
            start = sp + 14   // IMAP: after the tag
        } else if p.startsCaseless(with: "AUTH ") {
            start = 5
        }
        if start > 0 {
            if let rest = argument(p, "PLAIN", from: start) {
                let initial = rest.drop { $0 == " " }
                if initial.isEmpty || initial == "=" { c.details().sasl = .plain } else { plain(&c, String(initial)) }
            } else if let rest = argument(p, "LOGIN", from: start) {
                let initial = rest.drop { $0 == " " }
                if initial.isEmpty { c.details().sasl = .loginUser } else {
                    c.details().pendingUser = Base64.decodeText(String(initial)).map { String($0.prefix(userLimit)) }
                    c.details().sasl = .loginPassword
                }
            }
            return
        }
        guard let d = c.existingDetails(), d.sasl != .none else { return }
        let line = argument(p, "") ?? ""
        if line == "*" { d.sasl = .none; return }   // the client cancelled
        switch d.sasl {
        case .plain:
            d.sasl = .none
            plain(&c, line)
        case .loginUser:
            d.pendingUser = Base64.decodeText(line).map { String($0.prefix(userLimit)) }
            d.sasl = .loginPassword
        case .loginPassword:
            d.sasl = .none
            if !line.isEmpty { add(&c, .saslLogin, user: d.pendingUser) }
        case .none:
            break
        }
    }

    static func plain(_ c: inout InspectionContext, _ b64: String) {
        guard let bytes = Base64.decode(b64) else { return }
        let parts = bytes.split(separator: 0, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[2].isEmpty else { return }
        add(&c, .saslPlain, user: String(decoding: parts[1], as: UTF8.self))
    }

    /// IMAP `tag LOGIN user password` (atoms or quoted strings).
    static func imapLogin(_ c: inout InspectionContext, _ p: Bytes) {
        guard c.fromClient, let sp = p.find(0x20, limit: 32), let rest = argument(p, " LOGIN ", from: sp) else {
            sasl(&c, p)
            return
        }
        var user = rest
        if user.hasPrefix("\"") {
            user = String(user.dropFirst().prefix { $0 != "\"" })
        } else {
            user = String(user.prefix { $0 != " " })
        }
        add(&c, .imap, user: user)
    }

    /// HTTP `Authorization: Basic` or `Proxy-Authorization: Basic` in a request's headers.
    static func httpBasic(_ c: inout InspectionContext, _ p: Bytes) {
        guard c.fromClient else { return }
        var i = 0
        let limit = min(p.count, 8192)
        while i < limit, let nl = p.find(0x0a, from: i, limit: limit - i) {
            let line = nl + 1
            let at = p.startsCaseless(with: "Authorization: Basic ", at: line) ? line + 21
                : p.startsCaseless(with: "Proxy-Authorization: Basic ", at: line) ? line + 27 : nil
            if let at {
                let end = p.find(0x0d, from: at, limit: 1024) ?? p.find(0x0a, from: at, limit: 1024) ?? limit
                if let decoded = Base64.decode(p.text(at, end - at)), let colon = decoded.firstIndex(of: 0x3a) {
                    add(&c, .httpBasic, user: String(decoding: decoded[..<colon], as: UTF8.self))
                }
                return
            }
            if nl + 2 < p.count && p.u8(nl + 1) == 0x0d && p.u8(nl + 2) == 0x0a { return }   // end of headers
            i = line
        }
    }

    /// An LDAP BindRequest with simple authentication and a non-empty password.
    static func ldapBind(_ c: inout InspectionContext, _ p: Bytes) {
        guard c.fromClient, p.u8(0) == 0x30, let (_, h) = BER.length(p, at: 1), p.u8(1 + h) == 0x02,
              let idLen = p.u8(2 + h) else { return }
        var off = 3 + h + Int(idLen)
        guard p.u8(off) == 0x60, let (_, bh) = BER.length(p, at: off + 1) else { return }
        off += 1 + bh
        guard p.u8(off) == 0x02, let (vl, vh) = BER.length(p, at: off + 1) else { return }
        off += 1 + vh + vl
        guard p.u8(off) == 0x04, let (nl, nh) = BER.length(p, at: off + 1), p.has(off + 1 + nh, nl) else { return }
        let name = p.text(off + 1 + nh, nl)
        off += 1 + nh + nl
        guard p.u8(off) == 0x80, let (pl, _) = BER.length(p, at: off + 1), pl > 0 else { return }
        add(&c, .ldapSimple, user: name.isEmpty ? nil : name)
    }

    /// Redis `AUTH [user] password`, as a RESP array or an inline command.
    static func redisAuth(_ c: inout InspectionContext, _ p: Bytes) {
        guard c.fromClient else { return }
        if p.u8(0) == UInt8(ascii: "*"), let n = p.u8(1), n == UInt8(ascii: "2") || n == UInt8(ascii: "3"),
           let at = p.find(0x0a, limit: 16), p.u8(at + 1) == UInt8(ascii: "$"), let l = p.find(0x0a, from: at + 1, limit: 16),
           p.startsCaseless(with: "AUTH\r\n", at: l + 1) {
            var user: String?
            if n == UInt8(ascii: "3"), let l2 = p.find(0x0a, from: l + 7, limit: 16), let e = p.find(0x0d, from: l2 + 1, limit: userLimit + 2) {
                user = p.text(l2 + 1, e - l2 - 1)
            }
            add(&c, .redis, user: user)
        } else if let rest = argument(p, "AUTH "), !rest.isEmpty {
            let words = rest.split(separator: " ")
            add(&c, .redis, user: words.count >= 2 ? String(words[0]) : nil)
        }
    }

    /// IRC `PASS secret`, with the user name from a `USER` line in the same segment.
    static func ircPass(_ c: inout InspectionContext, _ p: Bytes) {
        guard c.fromClient, let secret = argument(p, "PASS "), !secret.isEmpty else { return }
        var user: String?
        var line = 0
        while user == nil, let nl = p.find(0x0a, from: line, limit: 512) {
            line = nl + 1
            user = argument(p, "USER ", from: line).map { String($0.prefix { $0 != " " }) }
        }
        add(&c, .irc, user: user)
    }
}

/// Terminal logins (Telnet, rlogin): the server prints a prompt, the person types. A
/// server segment whose text ends in `password:` (case aside, trailing spaces and Telnet
/// commands skipped) is a password prompt; the client's next typed byte answers it, and
/// that answer is the secret. Telnet's user name is what is typed after a `login:` or
/// `username:` prompt, up to the end of the line (a byte per segment in character mode,
/// the line at once in line mode).
enum TerminalLogin: UInt8, ProtocolPhase {
    case idle
    /// A user-name prompt was printed; the client's keystrokes are the name.
    case typingUser
    /// A password prompt was printed; the client's next keystroke is the secret's first.
    case passwordPrompted

    /// Reads one segment of a terminal session; returns true once the credential is
    /// recorded (the caller may stop following the flow).
    static func read(_ c: inout InspectionContext, _ p: Bytes, kind: Credential.Kind, user fixedUser: String? = nil) -> Bool {
        let phase = c.phase(TerminalLogin.self) ?? .idle
        if !c.fromClient {
            switch prompt(p) {
            case .password:
                c.enter(TerminalLogin.passwordPrompted)
            case .user where fixedUser == nil:
                c.details().pendingUser = ""
                c.enter(TerminalLogin.typingUser)
            default:
                break
            }
            return false
        }
        switch phase {
        case .idle:
            return false
        case .typingUser:
            let d = c.details()
            var user = d.pendingUser ?? ""
            var ended = false
            typed(p) { b in
                if ended { return }
                switch b {
                case 0x0d, 0x0a: ended = true
                case 0x08, 0x7f: if !user.isEmpty { user.removeLast() }
                case 0x21...0x7e: if user.utf8.count < Credentials.userLimit { user.unicodeScalars.append(Unicode.Scalar(b)) }
                default: break
                }
            }
            d.pendingUser = user
            if ended { c.enter(TerminalLogin.idle) }
            return false
        case .passwordPrompted:
            var answered = false
            typed(p) { b in if b >= 0x20 && b != 0x7f { answered = true } }
            guard answered else { return false }
            let user = fixedUser ?? c.existingDetails()?.pendingUser
            Credentials.add(&c, kind, user: user?.isEmpty == false ? user : nil)
            c.enter(TerminalLogin.idle)
            return true
        }
    }

    enum Prompt { case none, user, password }

    /// What the last words of a server segment ask for. Only the last 64 bytes are read.
    static func prompt(_ p: Bytes) -> Prompt {
        // The last letters and colon typed out, lowercased, spaces aside (a small ring).
        var tail: UInt64 = 0, tail2: UInt64 = 0
        var start = max(0, p.count - 64)
        // Starting inside a Telnet command would misread its bytes as text: start after one.
        if start > 0, let iac = p.find(0xff, from: start, limit: 3) { start = iac }
        typed(p.slice(start, p.count - start)) { b in
            guard b != 0x20 && b != 0 && b != 0x0d && b != 0x0a else {
                if b != 0x20 { tail = 0; tail2 = 0 }   // a new line starts
                return
            }
            let lower = (0x41...0x5a).contains(b) ? b | 0x20 : b
            tail2 = tail2 << 8 | tail >> 56
            tail = tail << 8 | UInt64(lower)
        }
        func ends(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            var a = tail, b = tail2
            for i in stride(from: n - 1, through: 0, by: -1) {
                if UInt8(truncatingIfNeeded: a) != word.utf8Start[i] { return false }
                a = a >> 8 | b << 56
                b >>= 8
            }
            return true
        }
        if ends("password:") { return .password }
        if ends("login:") || ends("username:") { return .user }
        return .none
    }

    /// Calls `body` with each data byte of a Telnet stream: IAC commands and
    /// subnegotiations are skipped, IAC IAC is a 0xff byte (RFC 854). Plain terminal
    /// streams (rlogin) rarely hold 0xff; where they do, it is skipped alike.
    static func typed(_ p: Bytes, _ body: (UInt8) -> Void) {
        var i = 0
        var inSub = false
        while i < p.count {
            let b = p.base[i]
            if b == 0xff, let cmd = p.u8(i + 1) {
                switch cmd {
                case 0xff: if !inSub { body(0xff) }; i += 2
                case 0xfa: inSub = true; i += 2
                case 0xf0: inSub = false; i += 2
                case 0xfb...0xfe: i += 3
                default: i += 2
                }
                continue
            }
            if !inSub { body(b) }
            i += 1
        }
    }
}

/// Base64 (RFC 4648, padding optional), for SASL and HTTP Basic.
enum Base64 {
    static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var acc: UInt32 = 0, bits = 0
        for ch in text.utf8 {
            let v: UInt8
            switch ch {
            case 65...90: v = ch - 65
            case 97...122: v = ch - 71
            case 48...57: v = ch + 4
            case 43: v = 62
            case 47: v = 63
            case 61: continue
            default: return nil
            }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
            if out.count > 4096 { return nil }
        }
        return out
    }

    static func decodeText(_ text: String) -> String? { decode(text).map { String(decoding: $0, as: UTF8.self) } }
}
