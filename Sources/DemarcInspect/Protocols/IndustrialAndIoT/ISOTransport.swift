import DemarcBase
import DemarcDecode
/// ISO transport over TCP (RFC 1006): TPKT headers (version 3, a reserved zero, the
/// packet's whole length) laid end to end, each holding a COTP TPDU (ISO 8073: a length
/// indicator and a TPDU code: connection request, confirm, data, disconnect). What a
/// data TPDU carries names the protocol: protocol id 0x32 is S7comm, 0x72 S7comm-plus;
/// anything else on ISO-TSAP's port 102 is an OSI session (MMS, ICCP). A connection
/// request or confirm is claimed on port 102 and named by the data that follows. RDP's
/// X.224 over TPKT is its own inspector's, which comes first.
/// Siemens' newer PLCs secure S7comm-plus with TLS carried in the data TPDUs themselves:
/// after S7comm-plus's opening exchange, a data TPDU's user data is a TLS record (RFC 8446
/// section 5.1: content type, version 3.x, length), and the flow is encrypted from there.
public enum ISOTransportInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    /// `connecting`: a connection request or confirm was seen, the first data TPDU names
    /// the protocol; `plus`: S7comm-plus is under way, its data TPDUs watched for TLS.
    enum Phase: UInt8, ProtocolPhase { case start, connecting, plus }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard isTPKT(p), let code = p.u8(5) else { return .no }
        switch code & 0xf0 {
        case 0xf0:
            if c.port(102) && carriesTLS(p, helloOnly: true) {
                c.identify(.isotsap, .encrypted)
                return .yes
            }
            guard let app = dataApp(c, p) else { return .no }
            let plus = carriesPlus(p)
            c.identify(app, keepInspecting: plus)
            if plus { c.enter(Phase.plus) }
        case 0xe0, 0xd0:
            guard c.port(102) else { return .no }
            c.identify(.isotsap, keepInspecting: true)
            c.enter(Phase.connecting)
        default:
            return .no
        }
        return .yes
    }

    /// After the connection: the first data TPDU names S7comm where it carries it. Under
    /// S7comm-plus, a data TPDU carrying a TLS record makes the flow encrypted.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        let phase = c.phase(Phase.self)
        guard phase == .connecting || phase == .plus else { c.state.active = false; return }
        guard isTPKT(p), p.u8(5).map({ $0 & 0xf0 == 0xf0 }) == true else { return }
        if carriesTLS(p, helloOnly: phase == .connecting) {
            c.state.state = .encrypted
            c.state.basis = .protocol
            c.state.active = false
            return
        }
        guard phase == .connecting else { return }
        if let app = dataApp(c, p) { c.state.app = app }
        if carriesPlus(p) { c.enter(Phase.plus) } else { c.state.active = false }
    }

    static func isTPKT(_ p: Bytes) -> Bool {
        guard p.u8(4).map({ $0 >= 2 }) == true else { return false }
        return Framing.fills(p, limit: 8) { at in
            guard p.u8(at) == 3, p.u8(at + 1) == 0, let len = p.u16(at + 2), len >= 7,
                  let li = p.u8(at + 4), Int(li) + 5 <= Int(len) else { return nil }
            return Int(len)
        }
    }

    /// A data TPDU (length indicator 2) whose user data is S7comm-plus (protocol id 0x72).
    static func carriesPlus(_ p: Bytes) -> Bool { p.u8(4) == 2 && p.u8(7) == 0x72 }

    /// A data TPDU (length indicator 2) whose user data opens with a TLS record header
    /// (content type 20 to 23, version 3.x, a length; the record may run on into the next
    /// TPDUs). Without S7comm-plus before it, only a handshake record opening a client or
    /// server hello counts, so that no other user data passes for TLS.
    static func carriesTLS(_ p: Bytes, helloOnly: Bool = false) -> Bool {
        guard p.u8(4) == 2, TLSRecordChain.header(p, 7) != nil else { return false }
        guard helloOnly else { return true }
        return p.u8(7) == 22 && (p.u8(12) == 1 || p.u8(12) == 2)
    }

    static func dataApp(_ c: InspectionContext, _ p: Bytes) -> AppProtocol? {
        guard p.u8(4) == 2, let id = p.u8(7) else { return c.port(102) ? .isotsap : nil }
        if id == 0x32 || id == 0x72 { return .s7comm }
        return c.port(102) ? .isotsap : nil
    }
}
