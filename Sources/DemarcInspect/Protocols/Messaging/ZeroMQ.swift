import DemarcBase
import DemarcDecode
/// ZeroMQ's message transport protocol, ZMTP 3.0 and 3.1 (rfc.zeromq.org, 23/ZMTP and
/// 37/ZMTP, "Formal Grammar" and "The Greeting"): each peer opens with a 64-byte
/// greeting, the signature 0xFF, eight bytes of padding and 0x7F, the version (major 3,
/// then minor), the security mechanism's name NUL-padded to 20 bytes, the as-server byte
/// and 31 bytes of filler. Implementations send it in parts (libzmq sends the signature
/// and major version, waits for the peer's, then the rest), so a segment may hold the
/// signature alone. The padding is what a ZMTP 1.0 peer reads as an 8-byte length:
/// its first seven bytes are zero. The mechanism decides the verdict: NULL and PLAIN
/// leave the frames in clear; CURVE (26/CURVEZMQ) encrypts every frame after the
/// handshake; GSSAPI's own wrapping is optional, so it says nothing.
public enum ZeroMQInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    enum Phase: UInt8, ProtocolPhase {
        case signature
        /// The signature was seen; the rest of a greeting, with its mechanism, is due.
        case mechanismDue
    }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard p.count >= 10, p.u8(0) == 0xff, p.u8(9) == 0x7f, p.u32(1) == 0, p.u16(5) == 0, p.u8(7) == 0
        else { return .no }
        if p.count >= 11 {
            guard p.u8(10) == 3 else { return .no }
        }
        if p.count >= 32 {
            guard let state = mechanism(p, at: 12), p.u8(32).map({ $0 <= 1 }) ?? true else { return .no }
            c.identify(.zeromq, state)
            return .yes
        }
        c.identify(.zeromq, .unknown, keepInspecting: true)
        c.enter(Phase.mechanismDue)
        return .yes
    }

    /// The rest of a greeting sent in parts: 54, 53 or 52 bytes from the major version, the
    /// minor version or the mechanism on (or a whole greeting, from the peer); the first
    /// mechanism read settles the verdict.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        guard c.phase(Phase.self) == .mechanismDue else { c.state.active = false; return }
        let at: Int
        if p.u8(0) == 0xff && p.u8(9) == 0x7f { at = 12 }
        else if p.count >= 52 && p.count <= 54 { at = p.count - 52 }
        else { return }
        if let state = mechanism(p, at: at) {
            c.state.state = state
            c.state.active = false
        }
    }

    /// The verdict the mechanism named at `at` implies: nil where no known mechanism is.
    static func mechanism(_ p: Bytes, at: Int) -> EncryptionState? {
        if p.starts(with: "NULL\0", at: at) || p.starts(with: "PLAIN\0", at: at) { return .cleartext }
        if p.starts(with: "CURVE\0", at: at) { return .encrypted }
        if p.starts(with: "GSSAPI\0", at: at) { return .unknown }
        return nil
    }
}
