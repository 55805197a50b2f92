import DemarcBase
import DemarcDecode
/// The BSD remote shells, cleartext from the first byte: rlogin opens with a NUL, then
/// the local user, the remote user and `terminal/speed`, each NUL-terminated; rsh with
/// the port for its error stream (digits, possibly none), the two users and the
/// command. The client's first segment holds exactly these fields. An rlogin session the
/// server does not trust asks for a password: that prompt answered is an `rlogin`
/// credential of the remote user (TerminalLogin).
public enum RemoteShellInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient, p.count <= 1024, let fields = fields(p), fields.count == 4 else { return .no }
        let (first, local, remote, last) = (fields[0], fields[1], fields[2], fields[3])
        guard isName(local), isName(remote), !remote.isEmpty else { return .no }
        if first.isEmpty, let slash = last.firstIndex(of: "/"), slash > last.startIndex,
           last[last.index(after: slash)...].allSatisfy(\.isNumber), !last.hasSuffix("/") {
            c.identify(.rlogin, .cleartext, keepInspecting: true)
            c.details().banner = "rlogin as \(remote)"
            Credentials.pend(c, user: String(remote.prefix(Credentials.userLimit)))
            return .yes
        }
        if first.count <= 5, first.allSatisfy(\.isNumber), !last.isEmpty {
            c.identify(.rsh, .cleartext)
            c.details().banner = "rsh as \(remote): \(last.prefix(120))"
            return .yes
        }
        return .no
    }

    /// An rlogin session, until its password prompt is answered or the limit passes.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        guard c.state.app == .rlogin else { c.state.active = false; return }
        // The client's window size message (0xFF 0xFF "ss", then four 16-bit sizes) is no keystroke.
        if c.fromClient, p.count == 12, p.u8(0) == 0xff, p.u8(1) == 0xff { return }
        let user = Credentials.pendingUser(c)
        if TerminalLogin.read(&c, p, kind: .rlogin, user: user ?? "") || c.index >= TelnetInspector.followLimit {
            c.state.active = false
        }
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
