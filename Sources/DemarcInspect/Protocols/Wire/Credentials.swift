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

/// Recording credentials, and what several protocols' logins share: a user name sent
/// before its secret waits in the flow's `PendingLogin` slot. Each protocol's file reads
/// its own login messages; a check reads only the segment it is given, keeps at most
/// 128 bytes of a user name, and never the secret.
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

    /// The user name a login announced before its secret, if any.
    static func pendingUser(_ c: InspectionContext) -> String? { c.existingDetails()?[PendingLogin.self]?.user }

    /// Remembers the user name a login announces before its secret.
    static func pend(_ c: InspectionContext, user: String?) { c.details().slot(PendingLogin()).user = user }
}

/// A login under way on a flow (the slot of whichever protocol owns it): the user name
/// sent before its secret (FTP/POP3 USER, a database's start-up, the answer to a
/// terminal's `login:`, SASL LOGIN) and where a SASL exchange stands.
final class PendingLogin: FlowSlot {
    var user: String?
    var sasl: SASL.Step = .none
}

/// SASL's PLAIN and LOGIN mechanisms (RFC 4616, and the LOGIN draft), as SMTP, POP3,
/// IMAP and FTP carry them: the protocol's own command names the mechanism, with the
/// initial response on the line or on the next one. PLAIN's response is base64 of
/// `authzid NUL authcid NUL password`; LOGIN sends the user, then the password, each
/// base64 on a line of its own.
enum SASL {
    /// The step an exchange has reached: the next client line is PLAIN's response,
    /// LOGIN's user name, or LOGIN's password.
    enum Step: UInt8 { case none, plain, loginUser, loginPassword }

    /// A client line: a command whose mechanism name starts at `mechanism` (found by the
    /// protocol's file), or, when nil, a response in an exchange under way.
    static func read(_ c: inout InspectionContext, _ p: Bytes, mechanismAt mechanism: Int?) {
        guard c.fromClient else { return }
        if let start = mechanism {
            if let rest = Credentials.argument(p, "PLAIN", from: start) {
                let initial = rest.drop { $0 == " " }
                if initial.isEmpty || initial == "=" { login(c).sasl = .plain } else { plain(&c, String(initial)) }
            } else if let rest = Credentials.argument(p, "LOGIN", from: start) {
                let initial = rest.drop { $0 == " " }
                if initial.isEmpty { login(c).sasl = .loginUser } else {
                    let l = login(c)
                    l.user = Base64.decodeText(String(initial)).map { String($0.prefix(Credentials.userLimit)) }
                    l.sasl = .loginPassword
                }
            }
            return
        }
        guard let l = c.existingDetails()?[PendingLogin.self], l.sasl != .none else { return }
        let line = Credentials.argument(p, "") ?? ""
        if line == "*" { l.sasl = .none; return }   // the client cancelled
        switch l.sasl {
        case .plain:
            l.sasl = .none
            plain(&c, line)
        case .loginUser:
            l.user = Base64.decodeText(line).map { String($0.prefix(Credentials.userLimit)) }
            l.sasl = .loginPassword
        case .loginPassword:
            l.sasl = .none
            if !line.isEmpty { Credentials.add(&c, .saslLogin, user: l.user) }
        case .none:
            break
        }
    }

    static func login(_ c: InspectionContext) -> PendingLogin { c.details().slot(PendingLogin()) }

    static func plain(_ c: inout InspectionContext, _ b64: String) {
        guard let bytes = Base64.decode(b64) else { return }
        let parts = bytes.split(separator: 0, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[2].isEmpty else { return }
        Credentials.add(&c, .saslPlain, user: String(decoding: parts[1], as: UTF8.self))
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
