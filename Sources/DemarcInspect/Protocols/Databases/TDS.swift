import DemarcBase
import DemarcDecode
/// Microsoft SQL Server's TDS. Encryption is negotiated in the PRELOGIN exchange: the
/// client offers (ON, OFF, NOT_SUP, REQ) and the server decides. NOT_SUP on either side
/// leaves the whole session in cleartext; OFF means only the LOGIN7 packet is
/// encrypted, queries and results travel in clear; ON or REQ encrypt everything once
/// the TLS handshake (carried in PRELOGIN packets) starts. TDS 8 (strict) opens with
/// TLS itself, which the TLS inspector sees.
public enum TDSInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    static let off: UInt8 = 0, on: UInt8 = 1, notSupported: UInt8 = 2, required: UInt8 = 3
    enum Phase: UInt8, ProtocolPhase {
        case start
        /// The client's PRELOGIN offer was read.
        case offered
        /// The server chose full encryption: the TLS handshake is due.
        case awaitingTLS
    }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard c.fromClient else { return c.index == 0 ? .notYet : .no }
        guard let offer = prelogin(p, type: 0x12) else { return .no }
        c.identify(.mssql, offer == notSupported ? .cleartext : .unknown, keepInspecting: true)
        c.enter(Phase.offered)
        return .yes
    }

    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        if c.phase(Phase.self) == .offered, !c.fromClient, let choice = prelogin(p, type: 0x04) {
            switch choice {
            case off, notSupported:
                // OFF encrypts the LOGIN7 packet alone: queries and results are in clear.
                c.state.state = .cleartext
                c.state.active = false
            case on, required:
                c.enter(Phase.awaitingTLS)
            default:
                c.state.active = false
            }
        } else if c.phase(Phase.self) == .offered, c.fromClient, let type = p.u8(0), type == 0x10 || type == 0x01, p.u8(7) == 0 {
            // A login or a query in clear (the server's answer was not seen): no encryption.
            c.state.state = .cleartext
            c.state.active = false
        } else if c.phase(Phase.self) == .awaitingTLS, p.u8(0) == 0x12, p.u8(8) == 0x16, p.u8(9) == 0x03 {
            // The TLS handshake, inside PRELOGIN packets: from here on, all is encrypted.
            c.state.state = .encrypted
            c.state.upgraded = true
            c.state.active = false
        }
    }

    /// A PRELOGIN message (client: packet type 0x12; server: 0x04) that parses: its
    /// ENCRYPTION option, or 0xff when it has none. Nil if not PRELOGIN.
    static func prelogin(_ p: Bytes, type: UInt8) -> UInt8? {
        guard p.u8(0) == type, let status = p.u8(1), status & 0xe0 == 0, let len = p.u16(2), len >= 8 + 6,
              Int(len) <= p.count, p.u8(7) == 0 else { return nil }
        let body = p.slice(8, Int(len) - 8)
        var off = 0
        var encryption: UInt8 = 0xff
        var sawVersion = false
        for _ in 0..<16 {
            guard let token = body.u8(off) else { return nil }
            if token == 0xff { return sawVersion ? encryption : nil }
            guard let at = body.u16(off + 1), let n = body.u16(off + 3), Int(at) + Int(n) <= body.count else { return nil }
            if token == 0x00 { sawVersion = n == 6 }
            if token == 0x01 {
                guard n >= 1, let v = body.u8(Int(at)) else { return nil }
                encryption = v & 0x0f
            }
            off += 5
        }
        return nil
    }
}
