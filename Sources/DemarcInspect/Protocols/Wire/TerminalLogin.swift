import DemarcBase
import DemarcDecode
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
                Credentials.pend(c, user: "")
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
            let login = c.details().slot(PendingLogin())
            var user = login.user ?? ""
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
            login.user = user
            if ended { c.enter(TerminalLogin.idle) }
            return false
        case .passwordPrompted:
            var answered = false
            typed(p) { b in if b >= 0x20 && b != 0x7f { answered = true } }
            guard answered else { return false }
            let user = fixedUser ?? Credentials.pendingUser(c)
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
