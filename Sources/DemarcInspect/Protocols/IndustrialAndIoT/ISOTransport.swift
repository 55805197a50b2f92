import DemarcBase
import DemarcDecode
/// ISO transport over TCP (RFC 1006): TPKT headers (version 3, a reserved zero, the
/// packet's whole length) laid end to end, each holding a COTP TPDU (ISO 8073: a length
/// indicator and a TPDU code: connection request, confirm, data, disconnect). What a
/// data TPDU carries names the protocol: protocol id 0x32 is S7comm, 0x72 S7comm-plus;
/// anything else on ISO-TSAP's port 102 is an OSI session (MMS, ICCP). A connection
/// request or confirm is claimed on port 102 and named by the data that follows. RDP's
/// X.224 over TPKT is its own inspector's, which comes first.
public enum ISOTransportInspector: ProtocolInspector {
    public static let transports: Transports = .tcp

    enum Phase: UInt8, ProtocolPhase { case start, connecting }

    public static func identify(_ c: inout InspectionContext, _ p: Bytes) -> Identification {
        guard isTPKT(p), let code = p.u8(5) else { return .no }
        switch code & 0xf0 {
        case 0xf0:
            guard let app = dataApp(c, p) else { return .no }
            c.identify(app)
        case 0xe0, 0xd0:
            guard c.port(102) else { return .no }
            c.identify(.isotsap, keepInspecting: true)
            c.enter(Phase.connecting)
        default:
            return .no
        }
        return .yes
    }

    /// After the connection: the first data TPDU names S7comm where it carries it.
    public static func follow(_ c: inout InspectionContext, _ p: Bytes) {
        guard c.phase(Phase.self) == .connecting else { c.state.active = false; return }
        guard isTPKT(p), p.u8(5).map({ $0 & 0xf0 == 0xf0 }) == true else { return }
        if let app = dataApp(c, p) { c.state.app = app }
        c.state.active = false
    }

    static func isTPKT(_ p: Bytes) -> Bool {
        guard p.u8(4).map({ $0 >= 2 }) == true else { return false }
        return Framing.fills(p, limit: 8) { at in
            guard p.u8(at) == 3, p.u8(at + 1) == 0, let len = p.u16(at + 2), len >= 7,
                  let li = p.u8(at + 4), Int(li) + 5 <= Int(len) else { return nil }
            return Int(len)
        }
    }

    static func dataApp(_ c: InspectionContext, _ p: Bytes) -> AppProtocol? {
        guard p.u8(4) == 2, let id = p.u8(7) else { return c.port(102) ? .isotsap : nil }
        if id == 0x32 || id == 0x72 { return .s7comm }
        return c.port(102) ? .isotsap : nil
    }
}
