import DemarcBase
import DemarcDecode
/// OpenVPN: its control channel opens with a hard-reset opcode (TCP: after a 2-byte
/// length).
public enum OpenVPNInspector: ProtocolInspector {
    public static let transports: Transports = .both

    /// The flow's slot while a hard reset waits for its confirmation: its session id.
    final class Candidate: FlowSlot {
        let session: UInt64
        init(_ session: UInt64) { self.session = session; super.init() }
    }

    /// A hard reset: client v2/v3 or server v2, key id 0, a session id. One byte of
    /// opcode is weak evidence (an ONC RPC call id can look the same), so the client's
    /// reset only makes a candidate. The flow is OpenVPN once the session is confirmed:
    /// the server's reset acknowledges the client's session id, or the client goes on
    /// (a control or ACK packet) under the same session id, which is what shows when
    /// tls-crypt hides the server's acknowledgement.
    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        var off = 0
        if c.isTCP {
            guard let len = p.u16(0), Int(len) + 2 <= p.count || p.count >= 1400, len >= 14 else { return .no }
            off = 2
        }
        guard let op = p.u8(off), p.count - off >= 14, let session = p.u64(off + 1) else { return .no }
        let opcode = op >> 3, keyID = op & 7
        guard keyID == 0 else { return .no }
        // Detail memory only for flows that pass the opcode test.
        let candidate = c.existingDetails()?[Candidate.self]?.session
        if c.fromClient {
            let reset = opcode == 7 || opcode == 10
            guard let candidate else {
                guard reset, !(c.isUDP && p.count - off > 400) else { return .no }
                c.details()[Candidate.self] = Candidate(session)
                return .notYet
            }
            guard session == candidate else { return .no }
            if reset { return .notYet }    // the reset again (retransmitted)
            guard opcode == 4 || opcode == 5 else { return .no }
        } else if c.state.packetsToServer == 0 {
            // Only the server is seen so far (a one-way capture): its reset makes the
            // candidate, its next control or ACK packet under that session confirms it.
            guard let candidate else {
                guard opcode == 8, !(c.isUDP && p.count - off > 400) else { return c.index < 2 ? .notYet : .no }
                c.details()[Candidate.self] = Candidate(session)
                return .notYet
            }
            guard session == candidate else { return .no }
            if opcode == 8 { return .notYet }
            guard opcode == 4 || opcode == 5 else { return .no }
        } else {
            guard let candidate else { return c.index < 2 ? .notYet : .no }
            guard opcode == 8 else { return .no }
            if !acknowledges(p, from: off + 9, session: candidate) { return .notYet }
        }
        c.existingDetails()?[Candidate.self] = nil
        c.identify(.openvpn)
        return .yes
    }

    /// The client's session id among the server reset's first bytes (its ACK's remote
    /// session id, after an optional HMAC and packet id).
    static func acknowledges(_ p: Bytes, from start: Int, session: UInt64) -> Bool {
        var i = start
        while i + 8 <= min(p.count, start + 80) {
            if p.u64(i) == session { return true }
            i += 1
        }
        return false
    }
}
